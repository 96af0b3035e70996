//! The demo district: deterministic, realistic, after the brief's Jing'an scenario
//! (§5: 521 organisations in commercial buildings, 7,000+ members, 185 buildings).
//! It is generated as spreadsheets and loaded through the real import path.

use anyhow::{Context, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::fmt::Write as _;
use tongxin_domain::access::Role;
use tongxin_domain::codes::{DivisionCode, ResidentId};
use tongxin_store::bulk::ImportMode;
use tongxin_store::{Actor, Store};

/// Jing'an district (静安区).
pub const DISTRICT: &str = "310106";
const SEED: u64 = 20_240_612;

const BUILDING_WORDS: &[&str] = &[
    "嘉里",
    "恒隆",
    "中信",
    "会德丰",
    "越洋",
    "兴业",
    "静安",
    "梅龙镇",
    "久光",
    "协和",
    "达安",
    "凯迪",
    "华润",
    "国贸",
    "同乐",
    "锦沧",
    "丰盛",
    "新福康",
    "大中里",
    "苏河",
];
const BUILDING_SUFFIX: &[&str] = &["大厦", "广场", "中心", "国际", "商务楼", "科技楼"];
const PARK_NAMES: &[&str] = &[
    "市北高新园区",
    "静安现代产业园",
    "大宁科技园",
    "灵石数据港",
    "苏河湾创意园",
    "江场三路产业园",
    "昌平路创意园",
    "三和花园",
];
const FIRM_WORDS: &[&str] = &[
    "云联", "智汇", "申城", "锦程", "恒信", "华章", "远景", "星河", "卓越", "安和", "博雅", "睿思", "同创", "汇通",
    "鼎盛", "沪申", "新元", "万象", "启明", "众诚", "嘉禾", "伟业", "长风", "天合",
];
const FIRM_TRADES: &[&str] = &[
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
    "律师事务所",
    "会计师事务所",
    "教育科技",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "高",
    "罗",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "晨", "宇", "欣",
];

fn person(rng: &mut StdRng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// A valid fictional resident ID (Jing'an area code), unique for each `n`.
fn resident_id(rng: &mut StdRng, n: u32) -> String {
    let year = rng.random_range(1950..2002);
    // Born by 2002: every demo member has joined as an adult (Party Constitution Art. 1).
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let seq = n % 1000;
    let area = 310101 + (n / 1000) % 20;
    ResidentId::with_check(&format!("{area:06}{year:04}{month:02}{day:02}{seq:03}"))
        .map(|r| r.reveal().to_string())
        .unwrap_or_default()
}

struct Unit {
    name: String,
    street: String,
    members: u32,
}

/// Loads the demo district when the store has no units yet, and creates one account per
/// role (printed with their passwords).
pub async fn ensure_demo(store: &Store) -> Result<()> {
    let system = Actor::system("demo");
    let existing = store.list_units(&system, &Default::default()).await?.total;
    if existing == 0 {
        let started = std::time::Instant::now();
        let (carriers, units, orgs, members) = build(store).await?;
        let mut tables = Vec::new();
        for (kind, csv) in [
            (tongxin_import::Kind::Carriers, carriers),
            (tongxin_import::Kind::Units, units),
            (tongxin_import::Kind::Orgs, orgs),
            (tongxin_import::Kind::Members, members),
        ] {
            tables.extend(
                tongxin_import::read_tables(csv.as_bytes(), "demo.csv", Some(kind)).context("reading demo sheet")?,
            );
        }
        let report = store.import_tables(&system, &tables, ImportMode::default()).await?;
        if !report.errors.is_empty() {
            anyhow::bail!(
                "demo data did not import: {:?}",
                &report.errors[..report.errors.len().min(5)]
            );
        }
        let counts: Vec<String> = report
            .sheets
            .iter()
            .map(|s| format!("{} {}", s.created, s.kind))
            .collect();
        println!(
            "demo district loaded in {:.1}s: {}",
            started.elapsed().as_secs_f64(),
            counts.join(", ")
        );
    }
    accounts(store, &system).await?;
    crate::centres::ensure_centres(store, &system, DISTRICT).await?;
    crate::alliance::ensure_alliance(store, &system, DISTRICT).await
}

async fn build(store: &Store) -> Result<(String, String, String, String)> {
    let mut rng = StdRng::seed_from_u64(SEED);
    let streets: Vec<(String, String)> = store
        .division_children(Some(DISTRICT))
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    anyhow::ensure!(!streets.is_empty(), "division table has no streets under {DISTRICT}");

    // Carriers: 200 key buildings, 8 parks, a few markets and business districts.
    let mut carriers = String::from("载体名称,载体类型,是否重点,所属区划,地址\n");
    let mut carrier_list: Vec<(String, String)> = Vec::new();
    for i in 0..200 {
        let (code, sname) = &streets[i % streets.len()];
        let name = format!(
            "{}{}{}",
            BUILDING_WORDS[i % BUILDING_WORDS.len()],
            BUILDING_SUFFIX[(i / BUILDING_WORDS.len()) % BUILDING_SUFFIX.len()],
            if i >= 120 {
                format!("{}号楼", i / 120 + 1)
            } else {
                String::new()
            }
        );
        writeln!(
            carriers,
            "{name},楼宇,{},{code},{}{}号",
            if i < 185 { "是" } else { "否" },
            sname,
            100 + i
        )?;
        carrier_list.push((name, code.clone()));
    }
    for (i, p) in PARK_NAMES.iter().enumerate() {
        let (code, _) = &streets[(i * 3) % streets.len()];
        writeln!(carriers, "{p},园区,是,{code},")?;
        carrier_list.push((p.to_string(), code.clone()));
    }
    for (i, (n, k)) in [
        ("南京西路商圈", "商圈"),
        ("大悦城商圈", "商圈"),
        ("静安寺商圈", "商圈"),
        ("天目西路农贸市场", "市场"),
    ]
    .iter()
    .enumerate()
    {
        let (code, _) = &streets[(i * 5) % streets.len()];
        writeln!(carriers, "{n},{k},是,{code},")?;
    }

    // Units: 3,200, most in a carrier; member counts skewed like real firms.
    let mut units_csv = String::from("单位名称,单位类型,统一社会信用代码,从业人数,所在载体,所属区划,党建指导员\n");
    let mut units: Vec<Unit> = Vec::new();
    for i in 0..3200u32 {
        let (cname, ccode) = &carrier_list[rng.random_range(0..carrier_list.len())];
        let in_carrier = rng.random_bool(0.85);
        let street = if in_carrier {
            ccode.clone()
        } else {
            streets[rng.random_range(0..streets.len())].0.clone()
        };
        let social = i % 25 == 0;
        let name = format!(
            "上海{}{}{}{}",
            FIRM_WORDS[(i as usize) % FIRM_WORDS.len()],
            FIRM_WORDS[(i as usize / FIRM_WORDS.len()) % FIRM_WORDS.len()],
            if social {
                "社会服务中心"
            } else {
                FIRM_TRADES[(i as usize * 7) % FIRM_TRADES.len()]
            },
            if social {
                format!("{i}")
            } else {
                format!("有限公司{i}")
            }
        );
        let members = match rng.random_range(0..100) {
            0..=44 => 0,
            45..=69 => 1,
            70..=79 => 2,
            80..=95 => rng.random_range(3..12),
            _ => rng.random_range(12..45),
        };
        let employees = members * rng.random_range(4..15) + rng.random_range(3..60);
        let instructor = if members < 3 && rng.random_bool(0.3) {
            format!("指导员{}", person(&mut rng))
        } else {
            String::new()
        };
        writeln!(
            units_csv,
            "{name},{},{},{employees},{},{street},{instructor}",
            if social { "社会组织" } else { "企业" },
            crate::demo_code(i + 1),
            if in_carrier { cname.as_str() } else { "" }
        )?;
        units.push(Unit { name, street, members });
    }

    // Organisations: a comprehensive committee per street; own branches for most units
    // with 3+ members; joint branches of up to 5 small units; building committees.
    let mut orgs_csv =
        String::from("党组织名称,组织类别,上级党组织,所属单位,所在载体,所属区划,书记,成立日期,届满日期\n");
    let mut org_of_unit: Vec<Option<String>> = vec![None; units.len()];
    let mut street_committee = std::collections::HashMap::new();
    for (code, sname) in &streets {
        let n = format!("{sname}两新组织综合党委");
        writeln!(
            orgs_csv,
            "{n},党委,,,,{code},{},2015-07-01,{}",
            person(&mut rng),
            term_end(&mut rng)
        )?;
        street_committee.insert(code.clone(), n);
    }
    for (i, (cname, ccode)) in carrier_list.iter().take(120).enumerate() {
        let parent = &street_committee[ccode];
        writeln!(
            orgs_csv,
            "{cname}楼宇党委,党委,{parent},,{cname},{ccode},{},{},{}",
            person(&mut rng),
            2010 + i % 12,
            term_end(&mut rng)
        )?;
    }
    let mut small: Vec<usize> = Vec::new();
    for (i, u) in units.iter().enumerate() {
        if u.members >= 3 && rng.random_bool(0.85) {
            let n = format!("{}党支部", u.name);
            let parent = &street_committee[&u.street];
            writeln!(
                orgs_csv,
                "{n},党支部,{parent},{},,{},{},{}-03-01,{}",
                u.name,
                u.street,
                person(&mut rng),
                2008 + i % 15,
                term_end(&mut rng)
            )?;
            org_of_unit[i] = Some(n);
        } else if (1..3).contains(&u.members) && rng.random_bool(0.7) {
            small.push(i);
        }
    }
    // Joint branches per street, 2–5 units each.
    small.sort_by(|a, b| units[*a].street.cmp(&units[*b].street));
    let mut j = 0;
    let mut k = 0;
    while j < small.len() {
        let street = units[small[j]].street.clone();
        let size = rng.random_range(2..=5);
        let group: Vec<usize> = small[j..]
            .iter()
            .copied()
            .take_while(|u| units[*u].street == street)
            .take(size)
            .collect();
        j += group.len();
        k += 1;
        let n = format!(
            "{}第{k}联合党支部",
            streets
                .iter()
                .find(|s| s.0 == street)
                .map(|s| s.1.as_str())
                .unwrap_or("")
        );
        let names: Vec<&str> = group.iter().map(|u| units[*u].name.as_str()).collect();
        writeln!(
            orgs_csv,
            "{n},联合党支部,{},{},,{street},{},2018-06-01,{}",
            street_committee[&street],
            names.join("、"),
            person(&mut rng),
            term_end(&mut rng)
        )?;
        for u in group {
            org_of_unit[u] = Some(n.clone());
        }
    }

    // Members: every member of a unit belongs to its own or joint branch, else to the
    // street's comprehensive committee; plus members kept directly by the committees.
    let mut members_csv = String::from("姓名,党员类别,公民身份号码,联系电话,所在党组织,工作单位,入党日期\n");
    let mut n = 0u32;
    for (i, u) in units.iter().enumerate() {
        let org = org_of_unit[i]
            .clone()
            .unwrap_or_else(|| street_committee[&u.street].clone());
        for _ in 0..u.members {
            n += 1;
            write_member(&mut members_csv, &mut rng, n, &org, &u.name)?;
        }
    }
    while n < 7200 {
        n += 1;
        let (code, _) = &streets[(n as usize) % streets.len()];
        write_member(&mut members_csv, &mut rng, n, &street_committee[code], "")?;
    }
    Ok((carriers, units_csv, orgs_csv, members_csv))
}

fn term_end(rng: &mut StdRng) -> String {
    format!(
        "{}-{:02}-{:02}",
        rng.random_range(2025..2030),
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    )
}

fn write_member(out: &mut String, rng: &mut StdRng, n: u32, org: &str, unit: &str) -> Result<()> {
    let status = if rng.random_bool(0.93) {
        "正式党员"
    } else {
        "预备党员"
    };
    let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
    let id = resident_id(rng, n);
    let born: i32 = id[6..10].parse().unwrap_or(1970);
    let joined = format!(
        "{}-{:02}-{:02}",
        rng.random_range(born + 19..2026),
        rng.random_range(1..=12),
        rng.random_range(1..=28)
    );
    writeln!(out, "{},{status},{id},{phone},{org},{unit},{joined}", person(rng))?;
    Ok(())
}

/// One account per role; passwords printed once.
async fn accounts(store: &Store, system: &Actor) -> Result<()> {
    let first_street = store
        .division_children(Some(DISTRICT))
        .await?
        .into_iter()
        .next()
        .map(|d| d.code)
        .unwrap_or_else(|| DISTRICT.into());
    let branch = store
        .list_orgs(
            system,
            &tongxin_store::registry::ListQuery {
                kind: Some("branch".into()),
                per_page: Some(1),
                ..Default::default()
            },
        )
        .await?
        .items
        .into_iter()
        .next()
        .map(|o| o.id.0);
    let plan: [(&str, Role, Option<&str>, Option<i64>); 6] = [
        ("district", Role::DistrictOffice, Some(DISTRICT), None),
        ("street", Role::StreetOffice, Some(first_street.as_str()), None),
        ("centre", Role::ServiceCentreStaff, Some(first_street.as_str()), None),
        ("secretary", Role::BranchSecretary, None, branch),
        ("liaison", Role::UnitLiaison, Some(first_street.as_str()), None),
        ("member", Role::Member, None, branch),
    ];
    let mut made = Vec::new();
    for (name, role, division, org) in plan {
        if store.account_exists(name).await? {
            continue;
        }
        if division.is_none() && org.is_none() {
            continue;
        }
        let password = tongxin_store::accounts::new_password();
        let d = division
            .map(DivisionCode::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let account = store
            .create_account(system, name, &password, role, d.as_ref(), org)
            .await?;
        // The member's account is one of its branch's members, for the member's page.
        if let (Role::Member, Some(org)) = (role, org) {
            let first = store
                .members_of_org(
                    system,
                    tongxin_domain::registry::OrgId(org),
                    &tongxin_store::registry::ListQuery {
                        per_page: Some(1),
                        ..Default::default()
                    },
                )
                .await?
                .items
                .into_iter()
                .next();
            if let Some(m) = first {
                store.link_member(system, account.id, m.id).await?;
            }
        }
        println!("demo account {name:<10} role {:<22} password {password}", role.code());
        made.push((name.to_string(), role));
    }
    // The login page of a demo store names these accounts and says where their
    // passwords are (printed above, kept nowhere).
    store.note_demo_accounts(system, &made).await?;
    Ok(())
}
