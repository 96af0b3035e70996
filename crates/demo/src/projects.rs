//! The demo conference's projects: needs turned into projects with the resource the
//! matcher ranks first, claimed by the two units (and, for every third, the year's
//! rotating convener), ten of them signed at the 10th plenary and two at a summit,
//! reported month by month (filed by the 5th; two projects have missed recent months,
//! which the secretariat sees flagged), three closed with their evaluations, two still
//! open to claim. Brief §1.4–1.5.

use anyhow::{Context, Result, anyhow};
use chrono::{Datelike, NaiveDate, Utc};
use tongxin_domain::alliance::{ConferenceId, Grade, Month, PlenaryId, PostKind, ProjectId, ReportFields, months_due};
use tongxin_store::alliance::Signing;
use tongxin_store::{Actor, Store};

/// Projects written in all.
pub const PROJECTS: usize = 14;
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
