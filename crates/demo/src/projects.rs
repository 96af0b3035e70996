//! The demo conference's projects: needs turned into projects with the resource the
//! matcher ranks first, claimed by the two units, ten of them signed at the 10th plenary
//! and the others at the next summit,
//! reported month by month (filed by the 5th; two projects have missed recent months,
//! which the secretariat sees flagged), three closed with their evaluations, two still
//! open to claim. Then the year's selections: ten brand projects and ten key projects
//! chosen from them, and a hundred excellent branches (百优支部) of the district, each
//! scored by two judges and published. Brief §1.4–1.5.

use anyhow::{Context, Result, anyhow};
use chrono::{Datelike, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{
    CallFields, ConferenceId, Grade, Month, PlenaryId, PostKind, ProjectId, ReportFields, months_due,
};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::AccountId;
use tongxin_domain::scope::Scope;
use tongxin_store::alliance::Signing;
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

/// Selected by each project call, and by the branch call.
pub const BRAND: usize = 10;
pub const KEY: usize = 10;
pub const EXCELLENT_BRANCHES: usize = 100;

/// Projects written in all.
pub const PROJECTS: usize = 26;
/// Of them, signed at the 10th plenary.
pub const SIGNED_AT_TENTH: usize = 10;
/// Of them, closed with an evaluation.
pub const CLOSED: usize = 3;

/// Writes the projects of conference `c`, whose 10th plenary is `tenth` (held on
/// `tenth_on`).
pub async fn ensure_projects(
    store: &Store,
    system: &Actor,
    c: ConferenceId,
    tenth: PlenaryId,
    tenth_on: NaiveDate,
) -> Result<()> {
    if !store.list_projects(system, c, None).await?.is_empty() {
        return Ok(());
    }
    let needs = store
        .list_posts(system, c, Some(PostKind::Need), Some("open"), None)
        .await?;
    let today = Utc::now().date_naive();
    let summit = NaiveDate::from_ymd_opt(2025, 6, 18).context("date")?;
    let closed_on = NaiveDate::from_ymd_opt(2025, 12, 31).context("date")?;
    let mut made = 0;
    for need in needs.iter().rev() {
        if made == PROJECTS {
            break;
        }
        let Some(best) = store
            .match_post(system, need.id, 1)
            .await?
            .into_iter()
            .next()
            .filter(|m| m.post.status == "open")
        else {
            continue;
        };
        let draft = store
            .project_draft(system, c, Some(need.id), Some(best.post.id))
            .await?;
        let title = format!("{}（{}）", need.title, best.post.member_name);
        let input = draft
            .fill(Some(title.chars().take(100).collect()), None, None, None, None, None)
            .map_err(|e| anyhow!("demo project: {e:?}"))?;
        let p = store.create_project(system, c, &input).await?;
        let id = p.summary.id;
        let i = made;
        made += 1;
        // The last is left unclaimed, the one before claimed by one unit only.
        if i == PROJECTS - 1 {
            continue;
        }
        let mut p = store.claim_project(system, id, best.post.member_id, None, None).await?;
        if i == PROJECTS - 2 {
            continue;
        }
        if need.member_id != best.post.member_id {
            p = store.claim_project(system, id, need.member_id, None, None).await?;
        }
        let (signing, signed_on) = if i < SIGNED_AT_TENTH {
            (
                Signing {
                    plenary: Some(tenth),
                    ..Default::default()
                },
                tenth_on,
            )
        } else {
            (
                Signing {
                    plenary: None,
                    signed_on: Some(summit),
                    occasion: Some("2025年度区域化党建峰会".into()),
                },
                summit,
            )
        };
        let p = store.sign_project(system, id, p.summary.version, &signing).await?;
        let closes = i < CLOSED;
        let until = if closes { Some(closed_on) } else { None };
        let due = months_due(signed_on, until, today);
        // Two projects have missed their latest months (flagged to the secretariat).
        let missed = match i {
            4 => 1,
            7 => 2,
            _ => 0,
        };
        let n = due.len();
        for (k, m) in due.iter().enumerate().take(n.saturating_sub(missed)) {
            report(store, system, id, *m, k, n, closes).await?;
        }
        if closes {
            let grade = [Grade::Excellent, Grade::Good, Grade::Excellent][i];
            store
                .evaluate_project(
                    system,
                    id,
                    p.summary.version,
                    grade,
                    closed_on,
                    Some("按期完成，服务对象满意度高，形成可复制的共建机制".into()),
                )
                .await?;
        }
    }
    Ok(())
}

/// The report of month `m`, the `k`th of `n` a project owes, filed by the 5th of the
/// next month.
async fn report(
    store: &Store,
    system: &Actor,
    id: ProjectId,
    m: Month,
    k: usize,
    n: usize,
    closes: bool,
) -> Result<()> {
    // Progress rises month by month; a project that closes reaches 100% in its last.
    let percent = if closes && k + 1 == n {
        100
    } else {
        ((k + 1) * 90 / n.max(1)).min(95)
    };
    let progress = match (percent, m.first_day().month()) {
        (100, _) => "done",
        (_, 7) => "at_risk",
        _ => "on_track",
    };
    let text = format!("本月开展活动{}场，服务群众{}人次", 1 + k % 3, 40 + (k * 37) % 160);
    let fields = ReportFields::parse(&m.to_string(), progress, &percent.to_string(), &text)
        .map_err(|e| anyhow!("demo report: {e:?}"))?;
    let filed_on = m.next().first_day() + chrono::Duration::days(4);
    store.backfill_report(system, id, &fields, filed_on).await?;
    Ok(())
}

/// The year's selections of conference `c` (district `district`): brand projects from
/// the projects signed at the 10th plenary and the summit, key projects from the rest,
/// excellent branches from the district's branches; two office accounts judge.
pub async fn ensure_selection(store: &Store, system: &Actor, c: ConferenceId, district: &str) -> Result<()> {
    if !store.list_calls(system, c).await?.is_empty() {
        return Ok(());
    }
    let judges: Vec<Actor> = store
        .list_accounts(system)
        .await?
        .into_iter()
        .filter(|a| matches!(a.role, Role::DistrictOffice | Role::StreetOffice) && !a.disabled)
        .take(2)
        .map(|a| Actor {
            account_id: Some(AccountId(a.id)),
            username: a.username,
            role: a.role,
            scope: a
                .scope_division
                .as_deref()
                .and_then(|d| DivisionCode::parse(d).ok())
                .map(Scope::division)
                .unwrap_or(Scope::All),
        })
        .collect();
    if judges.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(20_251_215);
    let signed: Vec<i64> = store
        .nominable_projects(system, c)
        .await?
        .into_iter()
        .map(|(id, _)| id.0)
        .collect();
    let half = signed.len() / 2;
    let published = NaiveDate::from_ymd_opt(2025, 12, 15).context("date")?;
    let criteria = "工作成效:40\n创新性:20\n示范带动:20\n群众满意度:20";
    let calls: [(&str, &str, usize, &[i64]); 2] = [
        ("品牌项目", "2025年度区域化党建十大品牌项目", BRAND, &signed[..half]),
        ("重点项目", "2026年度区域化党建重点项目", KEY, &signed[half..]),
    ];
    for (kind, title, quota, pool) in calls {
        let f = CallFields::parse(kind, title, "2025", &quota.to_string(), "100", criteria, "")
            .map_err(|e| anyhow!("demo call: {e:?}"))?;
        let call = store.create_call(system, c, &f).await?;
        for p in pool {
            store.nominate(system, call.summary.id, *p, None, None).await?;
        }
        judge_and_publish(store, system, call.summary.id, &judges, &mut rng, published).await?;
    }
    // A hundred excellent branches of the district, out of the branches recommended.
    let f = CallFields::parse(
        "百优支部",
        "2025年度“百优支部”",
        "2025",
        &EXCELLENT_BRANCHES.to_string(),
        "10",
        "组织生活规范:30\n作用发挥:40\n群众评价:30",
        "",
    )
    .map_err(|e| anyhow!("demo call: {e:?}"))?;
    let call = store.create_call(system, c, &f).await?;
    let mut after = None;
    let mut nominated = 0;
    while nominated < EXCELLENT_BRANCHES + EXCELLENT_BRANCHES / 5 {
        let page = store
            .list_orgs(
                system,
                &ListQuery {
                    division: Some(district.to_string()),
                    kind: Some("党支部".into()),
                    per_page: Some(500),
                    after,
                    ..Default::default()
                },
            )
            .await?;
        if page.items.is_empty() {
            break;
        }
        after = page.items.last().map(|o| o.id.0);
        // Every third branch is recommended.
        for o in page.items.iter().step_by(3) {
            if nominated == EXCELLENT_BRANCHES + EXCELLENT_BRANCHES / 5 {
                break;
            }
            store.nominate(system, call.summary.id, o.id.0, None, None).await?;
            nominated += 1;
        }
    }
    judge_and_publish(store, system, call.summary.id, &judges, &mut rng, published).await?;
    Ok(())
}

/// Names the judges of call `id`, has each score every candidate, and publishes.
async fn judge_and_publish(
    store: &Store,
    system: &Actor,
    id: i64,
    judges: &[Actor],
    rng: &mut StdRng,
    on: NaiveDate,
) -> Result<()> {
    for j in judges {
        store.add_judge(system, id, &j.username).await?;
    }
    let v = store.get_call(system, id).await?;
    let scale = i64::from(v.summary.scale);
    for cand in &v.candidates {
        // A candidate's merit, which each judge sees with a little noise.
        let merit = rng.random_range(scale / 2..=scale);
        for j in judges {
            let scores: Vec<(i64, i64)> = v
                .criteria
                .iter()
                .map(|cr| {
                    (
                        cr.id,
                        (merit + rng.random_range(-scale / 10..=scale / 10)).clamp(0, scale),
                    )
                })
                .collect();
            store.score(j, id, cand.id, &scores).await?;
        }
    }
    store.publish_call(system, id, v.summary.version, on).await?;
    Ok(())
}
