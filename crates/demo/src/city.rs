//! `tongxin demo --scale city`: a Shanghai-sized registry on the real division codes
//! (brief §6: 2,500,000 members, 120,000 organisations, 500,000 units, 10,000 carriers),
//! deterministic from a fixed seed, loaded in large batches with a progress bar.

use crate::progress::bar;
use anyhow::{Context, Result, bail};
use chrono::{Datelike, Duration, NaiveDate};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::{HashMap, HashSet};
use tongxin_domain::codes::{CreditCode, DivisionCode, DivisionLevel, ResidentId};
use tongxin_domain::registry::{CarrierKind, MemberStatus, OrgId, OrgKind, OrgPath, UnitKind};
use tongxin_store::generate::{CarrierRow, InstructorRow, MemberRow, OrgRow, UncheckedLoad, UnitRow};
use tongxin_store::{Actor, Store};

/// How big a generated city is.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub carriers: usize,
    pub units: usize,
    pub orgs: usize,
    pub members: usize,
}

impl Scale {
    /// Shanghai (brief §6).
    pub const CITY: Scale = Scale {
        carriers: 10_000,
        units: 500_000,
        orgs: 120_000,
        members: 2_500_000,
    };

    /// The same shape at `1/n` of the size (tests).
    pub fn divided(self, n: usize) -> Scale {
        Scale {
            carriers: self.carriers / n,
            units: self.units / n,
            orgs: self.orgs / n,
            members: self.members / n,
        }
    }
}

mod workbook;

const SEED: u64 = 2_500_000;
const MEMBER_BATCH: usize = 50_000;

const WORDS: &[&str] = &[
    "云联", "智汇", "申城", "锦程", "恒信", "华章", "远景", "星河", "卓越", "安和", "博雅", "睿思", "同创", "汇通",
    "鼎盛", "沪申", "新元", "万象", "启明", "众诚", "嘉禾", "伟业", "长风", "天合", "浦江", "海纳", "东方", "金桥",
    "张江", "徐汇",
];
const TRADES: &[&str] = &[
    "信息科技",
    "网络科技",
    "商务咨询",
    "文化传媒",
    "投资管理",
    "物业管理",
    "餐饮管理",
    "贸易",
    "广告",
    "人力资源",
    "建筑设计",
    "教育科技",
    "物流",
    "生物医药",
    "电子商务",
    "家政服务",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "晨", "宇", "欣", "浩然", "子涵", "思远", "佳怡", "一鸣",
];
const BUILDING_SUFFIX: &[&str] = &["大厦", "广场", "中心", "国际", "商务楼", "科技楼"];

fn person(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// A valid unified social credit code, unique for each `n` (base-31 digits of `n`).
fn credit_code(n: usize) -> Option<String> {
    const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("9131");
    let mut x = n;
    for _ in 0..13 {
        body.push(A[x % 31] as char);
        x /= 31;
    }
    CreditCode::with_check(&body).map(|c| c.to_string())
}

/// A valid fictional resident ID, unique for each `n`: the birth date steps a week every
/// thousand members and the sequence number is `n` modulo a thousand.
fn resident_id(rng: &mut StdRng, n: usize) -> (String, NaiveDate) {
    let base = NaiveDate::from_ymd_opt(1955, 1, 1).unwrap_or_default();
    let birth = base + Duration::days(((n / 1000) * 7 % 17_500) as i64);
    let area = 310_101 + rng.random_range(0..20);
    let id = ResidentId::with_check(&format!(
        "{area:06}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        n % 1000
    ))
    .map(|r| r.reveal().to_string())
    .unwrap_or_default();
    (id, birth)
}

fn pick<T: Copy>(rng: &mut StdRng, weighted: &[(T, u32)]) -> T {
    let total: u32 = weighted.iter().map(|w| w.1).sum();
    let mut x = rng.random_range(0..total);
    for (v, w) in weighted {
        if x < *w {
            return *v;
        }
        x -= w;
    }
    weighted[0].0
}

/// Where a generated city goes: straight into an empty store, or into a workbook in the
/// import layout (see `workbook.rs`).
pub(crate) trait Sink {
    async fn instructors(&mut self, rows: &[InstructorRow]) -> Result<()>;
    async fn carriers(&mut self, rows: &[CarrierRow]) -> Result<()>;
    async fn units(&mut self, rows: &[UnitRow]) -> Result<()>;
    async fn orgs(&mut self, rows: &[OrgRow]) -> Result<()>;
    async fn members(&mut self, rows: &[MemberRow]) -> Result<()>;
    async fn finish(&mut self, summary: serde_json::Value) -> Result<()>;
}

/// The store's generated load: rows straight into the tables, coverage built at the end.
struct IntoStore<'s>(Option<UncheckedLoad<'s>>);

impl IntoStore<'_> {
    fn load(&self) -> Result<&UncheckedLoad<'_>> {
        self.0.as_ref().context("the load is finished")
    }
}

impl Sink for IntoStore<'_> {
    async fn instructors(&mut self, rows: &[InstructorRow]) -> Result<()> {
        Ok(self.load()?.load_instructors(rows).await?)
    }
    async fn carriers(&mut self, rows: &[CarrierRow]) -> Result<()> {
        Ok(self.load()?.load_carriers(rows).await?)
    }
    async fn units(&mut self, rows: &[UnitRow]) -> Result<()> {
        Ok(self.load()?.load_units(rows).await?)
    }
    async fn orgs(&mut self, rows: &[OrgRow]) -> Result<()> {
        Ok(self.load()?.load_orgs(rows).await?)
    }
    async fn members(&mut self, rows: &[MemberRow]) -> Result<()> {
        Ok(self.load()?.load_members(rows).await?)
    }
    async fn finish(&mut self, summary: serde_json::Value) -> Result<()> {
        let load = self.0.take().context("the load is finished")?;
        Ok(load.finish(&Actor::system("demo"), summary).await?)
    }
}

/// Generates the city into `store`, which must hold no records yet. Returns what was
/// made.
pub async fn generate(store: &Store, scale: Scale, progress: bool) -> Result<serde_json::Value> {
    // The generated load refuses a store that holds records.
    let divisions = store.division_names_within(None).await?;
    let mut sink = IntoStore(Some(store.unchecked_load(&Actor::system("demo")).await?));
    build(&mut sink, divisions, scale, progress).await
}

/// Writes the city as one workbook in the import layout (the city an office would bring:
/// 2,500,000 members over three sheets, as a sheet holds at most 1,048,576 rows).
pub async fn workbook(
    store: &Store,
    path: &std::path::Path,
    scale: Scale,
    progress: bool,
) -> Result<serde_json::Value> {
    let divisions = store.division_names_within(None).await?;
    let mut sink = workbook::CityWorkbook::create(path)?;
    build(&mut sink, divisions, scale, progress).await
}

/// The city itself, deterministic from [`SEED`], given to `sink` kind by kind.
async fn build<S: Sink>(
    sink: &mut S,
    divisions: Vec<(String, String)>,
    scale: Scale,
    progress: bool,
) -> Result<serde_json::Value> {
    let started = std::time::Instant::now();
    let mut phases = serde_json::Map::new();
    let mut lap = std::time::Instant::now();
    let mut phase = |name: &str| {
        phases.insert(name.to_string(), serde_json::json!(lap.elapsed().as_secs_f64()));
        lap = std::time::Instant::now();
    };
    let mut rng = StdRng::seed_from_u64(SEED);
    let today = chrono::Local::now().date_naive();
    let codes: Vec<DivisionCode> = divisions
        .iter()
        .filter_map(|d| DivisionCode::parse(&d.0).ok())
        .collect();
    let mut streets: Vec<DivisionCode> = codes
        .iter()
        .filter(|c| c.level() == DivisionLevel::Street)
        .cloned()
        .collect();
    streets.sort();
    let mut communities: HashMap<DivisionCode, Vec<DivisionCode>> = HashMap::new();
    for code in codes.iter().filter(|c| c.level() == DivisionLevel::Community) {
        if let Some(street) = code.street() {
            communities.entry(street).or_default().push(code.clone());
        }
    }
    for v in communities.values_mut() {
        v.sort();
    }
    streets.retain(|s| communities.contains_key(s));
    if streets.is_empty() {
        bail!("no streets with communities in the division table");
    }
    let place = |rng: &mut StdRng| -> (usize, DivisionCode) {
        let s = rng.random_range(0..streets.len());
        let cs = &communities[&streets[s]];
        (s, cs[rng.random_range(0..cs.len())].clone())
    };
    let hidden = |pb: ProgressBar| {
        if !progress {
            pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
        }
        pb
    };

    // Instructors: two per street.
    let instructors: Vec<InstructorRow> = (0..streets.len() * 2)
        .map(|i| InstructorRow {
            id: i as i64 + 1,
            name: format!("{}（指导员{}）", person(&mut rng), i + 1),
            division: streets[i / 2].clone(),
        })
        .collect();
    sink.instructors(&instructors).await?;

    // Carriers.
    let pb = hidden(bar(scale.carriers, "carriers"));
    let mut carriers = Vec::with_capacity(scale.carriers);
    let mut carrier_street = Vec::with_capacity(scale.carriers);
    for i in 0..scale.carriers {
        let (s, division) = place(&mut rng);
        let kind = pick(
            &mut rng,
            &[
                (CarrierKind::Building, 60),
                (CarrierKind::Park, 15),
                (CarrierKind::BusinessDistrict, 10),
                (CarrierKind::Market, 15),
            ],
        );
        let word = WORDS[rng.random_range(0..WORDS.len())];
        let name = match kind {
            CarrierKind::Building => format!(
                "{word}{}{}号",
                BUILDING_SUFFIX[rng.random_range(0..BUILDING_SUFFIX.len())],
                i + 1
            ),
            CarrierKind::Park => format!("{word}产业园{}期", i + 1),
            CarrierKind::BusinessDistrict => format!("{word}商圈{}", i + 1),
            CarrierKind::Market => format!("{word}市场{}", i + 1),
        };
        carriers.push(CarrierRow {
            id: i as i64 + 1,
            name,
            kind,
            is_key: rng.random_ratio(1, 4),
            division,
            address: format!("{word}路{}号", rng.random_range(1..2000)),
        });
        carrier_street.push(s);
    }
    sink.carriers(&carriers).await?;
    pb.finish_with_message("carriers");
    phase("carriers");

    // Units: 45% in a carrier (and its community), the rest in a community.
    let pb = hidden(bar(scale.units, "units"));
    let mut units: Vec<UnitRow> = Vec::with_capacity(scale.units);
    let mut unit_street: Vec<usize> = Vec::with_capacity(scale.units);
    // Unit names are unique in the whole city, so that a workbook names each unit plainly.
    let mut names: HashSet<String> = HashSet::new();
    for i in 0..scale.units {
        let (s, division, carrier) = if !carriers.is_empty() && rng.random_ratio(45, 100) {
            let c = rng.random_range(0..carriers.len());
            (carrier_street[c], carriers[c].division.clone(), Some(c as i64 + 1))
        } else {
            let (s, d) = place(&mut rng);
            (s, d, None)
        };
        let kind = pick(
            &mut rng,
            &[
                (UnitKind::Enterprise, 85),
                (UnitKind::SocialOrganisation, 8),
                (UnitKind::PublicInstitution, 5),
                (UnitKind::GovernmentBody, 2),
            ],
        );
        let mut name = format!(
            "上海{}{}{}有限公司",
            WORDS[rng.random_range(0..WORDS.len())],
            WORDS[rng.random_range(0..WORDS.len())],
            TRADES[rng.random_range(0..TRADES.len())]
        );
        if !names.insert(name.clone()) {
            name = format!("{name}（{}）", i + 1);
            names.insert(name.clone());
        }
        units.push(UnitRow {
            id: i as i64 + 1,
            name,
            kind,
            credit_code: (kind == UnitKind::Enterprise).then(|| credit_code(i)).flatten(),
            employees: Some(rng.random_range(3..800)),
            carrier_id: carrier,
            division,
            instructor_id: None,
        });
        unit_street.push(s);
    }
    drop(names);

    // Organisations: a committee per street, committees in a third of the carriers, own
    // branches in 18% of units, joint branches over the units that remain.
    let pb_orgs = hidden(bar(scale.orgs, "orgs"));
    let mut orgs: Vec<OrgRow> = Vec::with_capacity(scale.orgs);
    let term = |rng: &mut StdRng| {
        let founded =
            NaiveDate::from_ymd_opt(rng.random_range(2000..2024), rng.random_range(1..=12), 1).unwrap_or_default();
        let ends = today + Duration::days(rng.random_range(-200..1800));
        (Some(founded), Some(ends.max(founded)))
    };
    let mut street_org = Vec::with_capacity(streets.len());
    for (s, code) in streets.iter().enumerate() {
        let id = orgs.len() as i64 + 1;
        let (founded_on, term_ends_on) = term(&mut rng);
        orgs.push(OrgRow {
            id,
            name: format!("街道党工委{}", s + 1),
            kind: OrgKind::Committee,
            parent_id: None,
            path: OrgPath::root(OrgId(id)),
            division: code.clone(),
            carrier_id: None,
            secretary: Some(person(&mut rng)),
            founded_on,
            term_ends_on,
            unit_ids: vec![],
        });
        street_org.push(id);
    }
    let mut carrier_org: HashMap<i64, i64> = HashMap::new();
    for (c, row) in carriers.iter().enumerate() {
        if !rng.random_ratio(35, 100) || orgs.len() >= scale.orgs {
            continue;
        }
        let id = orgs.len() as i64 + 1;
        let parent = street_org[carrier_street[c]];
        let (founded_on, term_ends_on) = term(&mut rng);
        orgs.push(OrgRow {
            id,
            name: format!("{}党委", row.name),
            kind: if row.kind == CarrierKind::Market {
                OrgKind::Branch
            } else {
                OrgKind::Committee
            },
            parent_id: Some(parent),
            path: orgs[parent as usize - 1].path.child(OrgId(id)),
            division: row.division.clone(),
            carrier_id: Some(row.id),
            secretary: Some(person(&mut rng)),
            founded_on,
            term_ends_on,
            unit_ids: vec![],
        });
        carrier_org.insert(row.id, id);
    }
    let parent_of = |u: &UnitRow, s: usize, orgs: &Vec<OrgRow>| -> (i64, OrgPath) {
        let p = u
            .carrier_id
            .and_then(|c| carrier_org.get(&c).copied())
            .unwrap_or(street_org[s]);
        (p, orgs[p as usize - 1].path.clone())
    };
    // Own organisations: 18% of units.
    let own_target = (scale.units * 18 / 100).min(scale.orgs.saturating_sub(orgs.len()));
    let mut has_org = vec![false; units.len()];
    let mut own: Vec<(i64, usize)> = vec![]; // (org id, unit index)
    while own.len() < own_target {
        let u = rng.random_range(0..units.len());
        if has_org[u] {
            continue;
        }
        has_org[u] = true;
        let id = orgs.len() as i64 + 1;
        let (parent, ppath) = parent_of(&units[u], unit_street[u], &orgs);
        let (founded_on, term_ends_on) = term(&mut rng);
        orgs.push(OrgRow {
            id,
            name: format!("{}党支部", units[u].name),
            kind: if rng.random_ratio(1, 10) {
                OrgKind::GeneralBranch
            } else {
                OrgKind::Branch
            },
            parent_id: Some(parent),
            path: ppath.child(OrgId(id)),
            division: units[u].division.clone(),
            carrier_id: None,
            secretary: Some(person(&mut rng)),
            founded_on,
            term_ends_on,
            unit_ids: vec![units[u].id],
        });
        own.push((id, u));
    }
    // Joint branches over the remaining units, street by street, 2–5 units each (a few
    // over the limit of 5).
    let mut free_by_street: Vec<Vec<usize>> = vec![vec![]; streets.len()];
    for (u, s) in unit_street.iter().enumerate() {
        if !has_org[u] {
            free_by_street[*s].push(u);
        }
    }
    let mut joint: Vec<(i64, Vec<usize>)> = vec![];
    let mut street_cursor = vec![0usize; streets.len()];
    let mut s = 0;
    let mut stalled = 0;
    while orgs.len() < scale.orgs && stalled < streets.len() {
        let free = &free_by_street[s];
        let want = if rng.random_ratio(2, 100) {
            rng.random_range(6..9)
        } else {
            rng.random_range(2..6)
        };
        let start = street_cursor[s];
        if start + want > free.len() {
            stalled += 1;
            s = (s + 1) % streets.len();
            continue;
        }
        stalled = 0;
        let members: Vec<usize> = free[start..start + want].to_vec();
        street_cursor[s] += want;
        for u in &members {
            has_org[*u] = true;
        }
        let id = orgs.len() as i64 + 1;
        let parent = street_org[s];
        let (founded_on, term_ends_on) = term(&mut rng);
        orgs.push(OrgRow {
            id,
            name: format!("{}联合党支部{}", streets[s], id),
            kind: OrgKind::JointBranch,
            parent_id: Some(parent),
            path: orgs[parent as usize - 1].path.child(OrgId(id)),
            division: streets[s].clone(),
            carrier_id: None,
            secretary: Some(person(&mut rng)),
            founded_on,
            term_ends_on,
            unit_ids: members.iter().map(|u| units[*u].id).collect(),
        });
        joint.push((id, members));
        s = (s + 1) % streets.len();
    }
    // Instructors for one in three units left without an organisation.
    for (u, row) in units.iter_mut().enumerate() {
        if !has_org[u] && rng.random_ratio(1, 3) {
            row.instructor_id = Some((unit_street[u] * 2 + rng.random_range(0..2)) as i64 + 1);
        }
    }
    for chunk in units.chunks(50_000) {
        sink.units(chunk).await?;
        pb.inc(chunk.len() as u64);
    }
    pb.finish_with_message("units");
    phase("units");
    sink.orgs(&orgs).await?;
    phase("orgs");
    pb_orgs.set_position(orgs.len() as u64);
    pb_orgs.finish_with_message("orgs");

    // Members: own branches 5–40 (1% over 50), joint branches 3–12 over their units,
    // and the rest in street committees with work units that have no organisation (one
    // in ten of those reaches 3 full members: units that should set up their own).
    let pb = hidden(bar(scale.members, "members"));
    let mut batch: Vec<MemberRow> = Vec::with_capacity(MEMBER_BATCH);
    let mut n = 0usize;
    let push = |rng: &mut StdRng, batch: &mut Vec<MemberRow>, n: &mut usize, org: i64, unit: Option<i64>| {
        let (resident_id, birth) = resident_id(rng, *n);
        let adult = birth + Duration::days(18 * 366);
        let joined = (adult + Duration::days(rng.random_range(0..12_000))).min(today - Duration::days(1));
        batch.push(MemberRow {
            name: person(rng),
            status: if rng.random_ratio(93, 100) {
                MemberStatus::Full
            } else {
                MemberStatus::Probationary
            },
            org_id: org,
            work_unit_id: unit,
            resident_id,
            phone: Some(format!("13{:09}", (*n as u64 * 7_919) % 1_000_000_000)),
            joined_on: Some(joined.max(adult)),
        });
        *n += 1;
    };
    let own_share = scale.members * 82 / 100;
    let joint_share = scale.members * 10 / 100;
    let mut plan: Vec<(i64, Vec<Option<i64>>, usize)> = vec![];
    let mut planned = 0;
    for (org, u) in &own {
        let k = if rng.random_ratio(1, 100) {
            rng.random_range(51..80)
        } else {
            rng.random_range(5..41)
        };
        plan.push((*org, vec![Some(units[*u].id)], k));
        planned += k;
        if planned >= own_share {
            break;
        }
    }
    let mut jplanned = 0;
    for (org, us) in &joint {
        let k = rng.random_range(3..13);
        plan.push((*org, us.iter().map(|u| Some(units[*u].id)).collect(), k));
        jplanned += k;
        if jplanned >= joint_share {
            break;
        }
    }
    let free: Vec<usize> = (0..units.len()).filter(|u| !has_org[*u]).collect();
    let mut rest = scale.members.saturating_sub(planned + jplanned);
    let mut cursor = 0usize;
    while rest > 0 {
        let k = if rng.random_ratio(1, 10) {
            rng.random_range(3..6)
        } else {
            rng.random_range(1..3)
        }
        .min(rest);
        let (org, unit) = if free.is_empty() {
            (street_org[rng.random_range(0..street_org.len())], None)
        } else {
            // Each unit in turn (the units were placed at random): one group a unit.
            let u = free[cursor % free.len()];
            cursor += 1;
            let org = units[u]
                .carrier_id
                .and_then(|c| carrier_org.get(&c).copied())
                .unwrap_or(street_org[unit_street[u]]);
            (org, Some(units[u].id))
        };
        plan.push((org, vec![unit], k));
        rest -= k;
    }
    for (org, work_units, k) in plan {
        for i in 0..k {
            if n >= scale.members {
                break;
            }
            let unit = work_units[i % work_units.len()];
            push(&mut rng, &mut batch, &mut n, org, unit);
            if batch.len() == MEMBER_BATCH {
                sink.members(&batch).await?;
                batch.clear();
                pb.set_position(n as u64);
            }
        }
    }
    sink.members(&batch).await?;
    pb.set_position(n as u64);
    pb.finish_with_message("members");
    phase("members");

    let sp = hidden(ProgressBar::new_spinner());
    sp.set_message("coverage facts and counters");
    sp.enable_steady_tick(std::time::Duration::from_millis(200));
    let summary = serde_json::json!({
        "scale": "city",
        "carriers": carriers.len(),
        "units": units.len(),
        "orgs": orgs.len(),
        "members": n,
        "seed": SEED,
    });
    sink.finish(summary.clone()).await?;
    sp.finish_with_message("coverage facts and counters");
    phase("coverage");
    let mut out = summary;
    out["phase_seconds"] = serde_json::Value::Object(phases);
    out["seconds"] = serde_json::json!(started.elapsed().as_secs_f64());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A city at 1/50 of its size: the shapes hold, it is deterministic, and the
    /// counters built at the end agree with a plain recount.
    #[tokio::test]
    async fn a_small_city_is_consistent() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("c.db").display());
        let store = Store::open(&url).await.expect("open");
        store.ensure_builtin_divisions().await.expect("divisions");
        let scale = Scale::CITY.divided(50);
        let made = generate(&store, scale, false).await.expect("generate");
        assert_eq!(made["members"], scale.members);
        assert_eq!(made["units"], scale.units);
        assert_eq!(made["orgs"], scale.orgs);
        let t = store
            .coverage_territory(&Actor::system("test"), Some(tongxin_store::coverage::Territory::All))
            .await
            .expect("territory");
        let fast = store.coverage_summary(&t).await.expect("summary");
        assert_eq!(fast, store.coverage_recount(&t).await.expect("recount"));
        assert_eq!(fast.units_total as usize, scale.units);
        assert_eq!((fast.members_full + fast.members_probationary) as usize, scale.members);
        assert!(
            fast.units_uncovered > 0 && fast.units_org_covered > 0 && fast.units_work_covered > 0,
            "{fast:?}"
        );
        assert!(fast.units_qualifying > fast.units_qualifying_with_own_org, "{fast:?}");
        // A second run refuses a store that holds records.
        assert!(generate(&store, scale, false).await.is_err());
        // The same seed makes the same city.
        let url2 = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
        let again = Store::open(&url2).await.expect("open");
        again.ensure_builtin_divisions().await.expect("divisions");
        generate(&again, scale, false).await.expect("generate again");
        assert_eq!(again.coverage_summary(&t).await.expect("summary"), fast);
    }
}
