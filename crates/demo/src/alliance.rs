//! The demo district's joint conference, after the brief's Huangpu scenario (§1.3, §5):
//! 66 member units (government bodies, state firms, universities, hospitals, private
//! firms from the registry, social organisations), a standing convener and a rotating
//! one each year, ten yearly plenaries of which the 10th admits two units and hands
//! them their plaques, attendance, resolutions, exchanges, awards and signings, visits,
//! and a sub-conference of a street's buildings. The demo's liaison account posts for
//! one member unit. Names are made up.

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tongxin_domain::alliance::{
    AllianceMemberId, ConferenceFields, MemberFields, Office, PlenaryFields, Term, VisitFields,
};
use tongxin_store::alliance::{Admission, AllianceMemberInput, PlenaryInput};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

const SEED: u64 = 20_140_630;
/// Member units in all, as Huangpu's conference has (brief §5).
pub const MEMBERS: usize = 66;
/// Plenaries held, one a year from 2015.
pub const PLENARIES: u32 = 10;

/// Outside organisations (not in the district's registry), by kind: `{d}` is the
/// district's name (静安区), `{s}` its short name (静安).
const OUTSIDE: &[(&str, &str)] = &[
    ("中共{d}委组织部", "党政机关"),
    ("中共{d}委社会工作部", "党政机关"),
    ("{d}发展和改革委员会", "党政机关"),
    ("{d}卫生健康委员会", "党政机关"),
    ("{d}国有资产监督管理委员会", "党政机关"),
    ("{d}司法局", "党政机关"),
    ("{d}总工会", "党政机关"),
    ("共青团{d}委", "党政机关"),
    ("{d}妇女联合会", "党政机关"),
    ("{d}工商业联合会", "党政机关"),
    ("{d}城市运行管理中心", "事业单位"),
    ("{d}党建服务中心", "事业单位"),
    ("{d}图书馆", "事业单位"),
    ("{d}文化馆", "事业单位"),
    ("{d}中心医院", "医院"),
    ("{d}中医医院", "医院"),
    ("{d}妇幼保健院", "医院"),
    ("市第十二人民医院", "医院"),
    ("沪北大学", "高校"),
    ("申江财经学院", "高校"),
    ("海上职业技术学院", "高校"),
    ("申城银行{s}支行", "国企"),
    ("沪通电信{s}分公司", "国企"),
    ("申能燃气{s}营业所", "国企"),
    ("城投置业集团有限公司", "国企"),
    ("苏河湾开发建设有限公司", "国企"),
    ("上海新城地铁运营分公司", "国企"),
    ("申江邮政{s}分公司", "国企"),
    ("海港物流集团有限公司", "国企"),
    ("{d}律师协会", "社会组织"),
    ("{d}楼宇经济促进会", "社会组织"),
    ("{d}社会组织服务中心", "社会组织"),
    ("{d}美发美容行业协会", "社会组织"),
    ("{d}志愿者协会", "社会组织"),
    ("{d}慈善基金会", "社会组织"),
    ("{d}餐饮行业协会", "社会组织"),
    ("{d}物业管理行业协会", "社会组织"),
    ("{d}退役军人服务中心", "事业单位"),
];

const RESOLUTIONS: &[&str] = &[
    "审议通过年度区域化党建工作要点",
    "审议通过年度十大重点项目清单",
    "审议通过联席会议工作规则修订稿",
    "审议通过新增成员单位名单",
    "审议通过十大品牌项目评选结果",
];
const EXCHANGES: &[&str] = &[
    "党建引领楼宇治理经验交流",
    "金融服务实体经济的党建实践",
    "医联体进社区、健康服务进楼宇",
    "校地共建育人才",
    "新就业群体党建工作探索",
    "滨水空间共建共治共享",
];
const SIGNINGS: &[&str] = &[
    "“健康楼宇”医企共建项目签约",
    "“金融活水”小微企业融资服务项目签约",
    "“银发无忧”为老服务项目签约",
];

fn day(y: i32, m: u32, d: u32) -> Result<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d).context("a demo date")
}

/// Records the demo's conference when the store has none.
pub async fn ensure_alliance(store: &Store, system: &Actor, district: &str) -> Result<()> {
    if !store.list_conferences(system, false).await?.is_empty() {
        return Ok(());
    }
    let mut rng = StdRng::seed_from_u64(SEED);
    let dname = store
        .division(district)
        .await?
        .map(|d| d.name)
        .unwrap_or_else(|| district.into());
    let short = dname.trim_end_matches('区');
    let founded = day(2014, 6, 30)?;
    let fields = ConferenceFields::parse(
        &format!("{dname}区域化党建联席会议"),
        district,
        Some(founded),
        "常任轮值：区委组织部为常任召集单位，成员单位按年度轮值召集；\n常态走访：秘书处每季度走访成员单位；\n常抓项目：每年发布十大重点项目、评选十大品牌项目；\n长效认领：需求、资源、项目三张清单常年开放认领。",
    )
    .map_err(|e| anyhow::anyhow!("demo conference: {e:?}"))?;
    let c = store.create_conference(system, &fields, None).await?;

    // Registry units of the district: the largest firms join as private-firm members.
    let outside: Vec<(String, &str)> = OUTSIDE
        .iter()
        .map(|(n, k)| (n.replace("{d}", &dname).replace("{s}", short), *k))
        .collect();
    let registry_members = MEMBERS - outside.len();
    let units = store
        .list_units(
            system,
            &ListQuery {
                sort: Some("-employees".into()),
                per_page: Some(registry_members as u64),
                ..Default::default()
            },
        )
        .await?
        .items;
    // Two of them wait for the 10th plenary to be admitted (brief §5: two units admitted
    // at Huangpu's 10th plenary).
    let (founders_from_registry, admitted_at_tenth) = units.split_at(units.len().saturating_sub(2));
    let mut members: Vec<(AllianceMemberId, NaiveDate)> = Vec::new();
    // Founding members, then others joining year by year until the 9th plenary.
    for (i, (name, kind)) in outside.iter().enumerate() {
        let joined = if i < 30 {
            founded
        } else {
            day(2015 + (i as i32 - 30), 12, 20)?
        };
        let m = store
            .add_alliance_member(
                system,
                c.id,
                &AllianceMemberInput {
                    unit: None,
                    name: Some(name.clone()),
                    fields: MemberFields::parse(kind, Some(joined), Some(joined), None)
                        .map_err(|e| anyhow::anyhow!("demo member {name}: {e:?}"))?,
                },
            )
            .await?;
        members.push((m.id, joined));
    }
    for (i, u) in founders_from_registry.iter().enumerate() {
        let joined = if i < 16 {
            founded
        } else {
            day(2016 + (i as i32 - 16) % 8, 12, 20)?
        };
        let m = store
            .add_alliance_member(
                system,
                c.id,
                &AllianceMemberInput {
                    unit: Some(u.id),
                    name: None,
                    fields: MemberFields::parse("非公企业", Some(joined), Some(joined), None)
                        .map_err(|e| anyhow::anyhow!("demo member {}: {e:?}", u.name))?,
                },
            )
            .await?;
        members.push((m.id, joined));
    }

    // Offices: the standing convener, a rotating convener each year, vice conveners, the
    // secretary-general and the secretariat.
    let office = |o: Office, m: AllianceMemberId, from: NaiveDate, to: Option<NaiveDate>| {
        let t = Term::parse(Some(from), to);
        async move {
            let t = t.map_err(|e| anyhow::anyhow!("demo term: {e:?}"))?;
            store.add_alliance_office(system, c.id, m, o, t).await?;
            anyhow::Ok(())
        }
    };
    office(Office::Convener, members[0].0, founded, None).await?;
    office(Office::SecretaryGeneral, members[1].0, founded, None).await?;
    office(Office::Secretariat, members[11].0, founded, None).await?;
    for v in [21, 18, 14] {
        office(Office::ViceConvener, members[v].0, founded, None).await?;
    }
    // One rotating convener a year, from the founding members: state firms, hospitals,
    // universities and private firms in turn.
    let rotation = [21, 14, 18, 24, 38, 15, 19, 22, 39, 25, 40, 16];
    for (year, &m) in (2015..=2026).zip(rotation.iter()) {
        office(
            Office::RotatingConvener,
            members[m].0,
            day(year, 1, 1)?,
            Some(day(year, 12, 31)?),
        )
        .await?;
    }

    // Ten plenaries, one each December; the chair is the rotation's.
    let mut tenth = None;
    for n in 1..=PLENARIES {
        let held = day(2014 + n as i32, 12, 20)?;
        let p = store
            .create_plenary(
                system,
                c.id,
                &PlenaryInput {
                    number: None,
                    fields: PlenaryFields::parse(
                        Some(held),
                        &format!("{dname}党群服务中心报告厅"),
                        "一、通报年度区域化党建工作；二、审议年度重点项目；三、成员单位交流发言；四、表彰与签约。",
                    )
                    .map_err(|e| anyhow::anyhow!("demo plenary: {e:?}"))?,
                    chair: None,
                },
            )
            .await?;
        if n == PLENARIES {
            tenth = Some((p.id, held));
            for u in admitted_at_tenth {
                let m = store
                    .admit_at_plenary(
                        system,
                        c.id,
                        p.id,
                        &Admission {
                            unit: Some(u.id),
                            name: None,
                            kind: "非公企业".into(),
                            plaque: true,
                        },
                    )
                    .await?;
                members.push((m.id, held));
            }
        }
        // About nine in ten of that day's members attend.
        let present: Vec<AllianceMemberId> = members
            .iter()
            .filter(|(_, joined)| *joined <= held)
            .filter(|_| rng.random_bool(0.9))
            .map(|(m, _)| *m)
            .collect();
        store.set_attendance(system, c.id, p.id, &present).await?;
        if present.is_empty() {
            continue;
        }
        let pick = |rng: &mut StdRng| present[rng.random_range(0..present.len())];
        store
            .add_plenary_item(
                system,
                c.id,
                p.id,
                "决议",
                RESOLUTIONS[n as usize % RESOLUTIONS.len()],
                None,
            )
            .await?;
        for (k, kind) in ["现场交流", "书面交流"].iter().enumerate() {
            let text = EXCHANGES[(n as usize + k) % EXCHANGES.len()];
            store
                .add_plenary_item(system, c.id, p.id, kind, text, Some(pick(&mut rng)))
                .await?;
        }
        if n % 2 == 0 {
            store
                .add_plenary_item(system, c.id, p.id, "表彰", "年度优秀成员单位", Some(pick(&mut rng)))
                .await?;
        }
        if n >= 8 {
            let text = SIGNINGS[(n as usize) % SIGNINGS.len()];
            store
                .add_plenary_item(system, c.id, p.id, "签约", text, Some(pick(&mut rng)))
                .await?;
        }
    }

    // Visits by the secretariat this year.
    for q in 0..12u32 {
        let (m, _) = members[rng.random_range(0..members.len())];
        let on = day(2025, 1 + q, 10 + q % 15)?;
        let v = VisitFields::parse(Some(on), "秘书处", "走访座谈，了解需求和可提供的资源")
            .map_err(|e| anyhow::anyhow!("demo visit: {e:?}"))?;
        store.add_visit(system, c.id, m, &v).await?;
    }

    // A sub-conference of the first street's buildings.
    if let Some(street) = store.division_children(Some(district)).await?.into_iter().next() {
        let f = ConferenceFields::parse(
            &format!("{}楼宇党建联盟", street.name),
            &street.code,
            Some(day(2019, 7, 1)?),
            "楼宇党组织轮值、物业企业共建",
        )
        .map_err(|e| anyhow::anyhow!("demo sub-conference: {e:?}"))?;
        store.create_conference(system, &f, Some(c.id)).await?;
    }

    // The demo liaison posts for a registry member unit.
    let liaison_unit = members.get(outside.len()).map(|(m, _)| *m);
    if store.account_exists("liaison").await?
        && let Some(m) = liaison_unit
    {
        store.add_alliance_liaison(system, c.id, m, "liaison").await?;
    }

    // Needs and resources: the labelled set's, posted by the member units in turn (the
    // liaison's unit posts the first needs).
    let (resources, needs) = crate::matching::eval_set()?;
    let poster = |i: usize| members[i % members.len()].0;
    for (i, r) in resources.iter().enumerate() {
        crate::matching::post_for(store, system, c.id, poster(i * 7), "resource", r).await?;
    }
    for (i, n) in needs.iter().enumerate() {
        let m = match liaison_unit {
            Some(m) if i < 3 => m,
            _ => poster(i * 11 + 3),
        };
        crate::matching::post_for(store, system, c.id, m, "need", n).await?;
    }
    if let Some((p, held)) = tenth {
        crate::projects::ensure_projects(store, system, c.id, p, held).await?;
        crate::projects::ensure_selection(store, system, c.id, district).await?;
    }
    crate::pairing::ensure_pairing(store, system, c.id, district).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tongxin_domain::alliance::ConferenceId;

    /// The demo's conference is the brief's Huangpu scenario, counted back from the
    /// store: 66 member units, ten plenaries, two units admitted with plaques at the 10th,
    /// each plenary chaired by the rotating convener of its year, members of the day only
    /// at each meeting; a second run adds nothing.
    #[tokio::test]
    async fn the_demo_conference_is_huangpu_s_shape() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("d.db").display());
        let store = Store::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        store.ensure_builtin_divisions().await.expect("divisions");
        crate::district::ensure_demo(&store).await.expect("demo");
        crate::district::ensure_demo(&store).await.expect("a second run");
        let sys = Actor::system("t");
        let all = store.list_conferences(&sys, false).await.expect("list");
        assert_eq!(all.len(), 2, "the district's and a street's sub-conference");
        let c: ConferenceId = all.iter().find(|c| c.parent_id.is_none()).expect("top").id;
        let members = store.list_alliance_members(&sys, c, true).await.expect("members");
        assert_eq!(members.len(), MEMBERS);
        assert!(members.iter().any(|m| m.unit_id.is_some()) && members.iter().any(|m| m.unit_id.is_none()));
        let plenaries = store.list_plenaries(&sys, c).await.expect("plenaries");
        assert_eq!(plenaries.len(), PLENARIES as usize);
        let offices = store.list_alliance_offices(&sys, c).await.expect("offices");
        for p in &plenaries {
            let v = store.get_plenary(&sys, c, p.id).await.expect("record");
            // Recount who was a member that day from the member list itself.
            let of_the_day = members
                .iter()
                .filter(|m| m.joined_on <= p.held_on && m.left_on.is_none_or(|l| p.held_on < l))
                .count();
            assert_eq!(v.attendance.len() + v.absent.len(), of_the_day, "plenary {}", p.number);
            let rotating = offices
                .iter()
                .find(|o| {
                    o.office == "rotating_convener"
                        && o.starts_on <= p.held_on
                        && o.ends_on.is_none_or(|e| p.held_on <= e)
                })
                .expect("a rotating convener each year");
            assert_eq!(p.chair_id, Some(rotating.member_id), "plenary {}", p.number);
            let admitted = v.admitted.len();
            if p.number == PLENARIES as i32 {
                assert_eq!(admitted, 2);
                assert!(v.admitted.iter().all(|m| m.plaque_on == Some(p.held_on)));
            } else {
                assert_eq!(admitted, 0);
            }
        }
        assert!(!store.list_visits(&sys, c, None).await.expect("visits").is_empty());

        // Its projects, counted back: ten signed at the 10th plenary, three closed, two
        // open; the months missed are those the demo left out, and only those.
        use crate::projects::{CLOSED, PROJECTS, SIGNED_AT_TENTH};
        let projects = store.list_projects(&sys, c, None).await.expect("projects");
        assert_eq!(projects.len(), PROJECTS);
        let tenth_on = plenaries
            .iter()
            .find(|p| p.number == PLENARIES as i32)
            .expect("10th")
            .held_on;
        assert_eq!(
            projects.iter().filter(|p| p.signed_on == Some(tenth_on)).count(),
            SIGNED_AT_TENTH
        );
        assert_eq!(projects.iter().filter(|p| p.stage == "closed").count(), CLOSED);
        assert_eq!(projects.iter().filter(|p| p.stage == "open").count(), 2);
        assert!(
            projects
                .iter()
                .filter(|p| p.stage != "open")
                .all(|p| p.claim_count >= 1)
        );
        // Its pairing, counted back: 44 branch pairs and the firms' pairs, each with a
        // partner of the district; the idle ones are those the demo left idle.
        use crate::pairing::{BRANCH_PAIRS, FIRM_PAIRS, IDLE_BRANCH_PAIRS};
        let pairs = store.list_pairs(&sys, c, None).await.expect("pairs");
        assert_eq!(pairs.iter().filter(|p| p.kind == "branches").count(), BRANCH_PAIRS);
        assert_eq!(pairs.iter().filter(|p| p.kind == "firm_community").count(), FIRM_PAIRS);
        let gaps = store
            .pairing_gaps(&sys, c, chrono::Utc::now().date_naive())
            .await
            .expect("gaps");
        let idle_branches = gaps.idle_pairs.iter().filter(|p| p.kind == "branches").count();
        assert_eq!(
            idle_branches,
            pairs
                .iter()
                .filter(|p| p.kind == "branches" && p.activities_this_year == 0)
                .count()
        );
        assert!(idle_branches >= IDLE_BRANCH_PAIRS);
        assert!(gaps.communities_without_firm > 0);
        let flags = store
            .overdue_reports(&sys, c, chrono::Utc::now().date_naive())
            .await
            .expect("flags");
        let missed: usize = projects.iter().map(|p| p.missed.len()).sum();
        assert_eq!(flags.len(), missed);
        assert_eq!(missed, 3, "{flags:?}");

        // Ten brand projects, ten key projects and a hundred excellent branches, each
        // selected by its published results.
        let calls = store.list_calls(&sys, c).await.expect("calls");
        let mut selected: Vec<(String, usize)> = vec![];
        for call in &calls {
            let v = store.get_call(&sys, call.id).await.expect("call");
            assert_eq!(v.summary.stage, "published");
            assert_eq!(v.judges.len(), 2);
            assert!(
                v.candidates.windows(2).all(|w| w[0].total >= w[1].total),
                "ranked by score"
            );
            selected.push((call.kind.clone(), v.candidates.iter().filter(|x| x.selected).count()));
        }
        selected.sort();
        assert_eq!(
            selected,
            [
                ("brand_project".to_string(), crate::projects::BRAND),
                ("excellent_branch".to_string(), crate::projects::EXCELLENT_BRANCHES),
                ("key_project".to_string(), crate::projects::KEY),
            ]
        );
    }
}
