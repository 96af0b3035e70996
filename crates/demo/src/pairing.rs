//! The demo conference's pairing (结对共建), brief §1.5: 44 branch pairs (one group's
//! figure), set up between 2019 and 2024, each pair with a few activities a year; and
//! firms paired with residential communities ("百企连百居百村": the district's largest
//! firms, one community each). Some pairs have done nothing this year and many
//! communities have no partner firm yet: the gap list has something to show.

use anyhow::{Result, anyhow};
use chrono::{Datelike, NaiveDate, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tongxin_domain::alliance::{ConferenceId, PairActivityFields, PairFields};
use tongxin_domain::codes::DivisionCode;
use tongxin_store::alliance::PairInput;
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

/// Branch pairs set up.
pub const BRANCH_PAIRS: usize = 44;
/// Firms paired with a community.
pub const FIRM_PAIRS: usize = 60;
/// Branch pairs with nothing logged this year.
pub const IDLE_BRANCH_PAIRS: usize = 6;

const SEED: u64 = 0x7061_6972;

const ACTIVITIES: &[&str] = &[
    "共建主题党日",
    "联合开展党课学习",
    "结对走访慰问困难党员",
    "志愿服务进社区",
    "党建工作经验交流会",
    "红色寻访活动",
    "为老服务助餐配送",
    "联合组织生活会",
];

fn day(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow!("no day {y}-{m}-{d}"))
}

/// Pairs the branches and firms of `district` in conference `c`, once.
pub async fn ensure_pairing(store: &Store, system: &Actor, c: ConferenceId, district: &str) -> Result<()> {
    if !store.list_pairs(system, c, None).await?.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(SEED);
    let today = Utc::now().date_naive();
    let branches = store
        .list_orgs(
            system,
            &ListQuery {
                kind: Some("branch".into()),
                division: Some(district.into()),
                per_page: Some((BRANCH_PAIRS * 2) as u64),
                ..Default::default()
            },
        )
        .await?
        .items;
    let half = branches.len() / 2;
    for i in 0..half.min(BRANCH_PAIRS) {
        let (a, b) = (&branches[i], &branches[i + half]);
        let started = day(2019 + (i % 6) as i32, 1 + (i % 12) as u32, 1 + (i % 27) as u32)?;
        let fields = PairFields::parse("branches", Some(started), None, "").map_err(|e| anyhow!("demo pair: {e:?}"))?;
        let p = store
            .create_pair(
                system,
                c,
                &PairInput {
                    fields,
                    org_a: Some(a.id),
                    org_b: Some(b.id),
                    firm: None,
                    community: None,
                },
            )
            .await?;
        log_activities(store, system, p.id, started, today, i < IDLE_BRANCH_PAIRS, &mut rng).await?;
    }
    let firms = store
        .list_units(
            system,
            &ListQuery {
                sort: Some("-employees".into()),
                division: Some(district.into()),
                per_page: Some(FIRM_PAIRS as u64),
                ..Default::default()
            },
        )
        .await?
        .items;
    let code = DivisionCode::parse(district).map_err(|e| anyhow!("{e}"))?;
    let communities: Vec<String> = store
        .division_names_within(Some(&code))
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .filter(|c| c.len() == 12)
        .collect();
    for (i, (f, community)) in firms.iter().zip(communities.iter().step_by(2)).enumerate() {
        let started = day(2021 + (i % 4) as i32, 3 + (i % 9) as u32, 1 + (i % 27) as u32)?;
        let fields = PairFields::parse("firm_community", Some(started), None, "百企连百居百村")
            .map_err(|e| anyhow!("demo pair: {e:?}"))?;
        let p = store
            .create_pair(
                system,
                c,
                &PairInput {
                    fields,
                    org_a: None,
                    org_b: None,
                    firm: Some(f.id),
                    community: DivisionCode::parse(community).ok(),
                },
            )
            .await?;
        log_activities(store, system, p.id, started, today, i % 5 == 0, &mut rng).await?;
    }
    Ok(())
}

/// One to three activities a year from the pair's start, none this year when `idle`.
async fn log_activities(
    store: &Store,
    system: &Actor,
    pair: i64,
    started: NaiveDate,
    today: NaiveDate,
    idle: bool,
    rng: &mut StdRng,
) -> Result<()> {
    for year in started.year()..=today.year() {
        if idle && year == today.year() {
            continue;
        }
        for _ in 0..rng.random_range(1..=3) {
            let on = day(year, rng.random_range(1..=12), rng.random_range(1..=28))?;
            if on < started || on > today {
                continue;
            }
            let title = ACTIVITIES[rng.random_range(0..ACTIVITIES.len())];
            let people = rng.random_range(8..=60).to_string();
            let f =
                PairActivityFields::parse(Some(on), title, "", &people).map_err(|e| anyhow!("demo activity: {e:?}"))?;
            store.log_pair_activity(system, pair, &f).await?;
        }
    }
    Ok(())
}
