//! The regional alliance in the store, on SQLite and (with TONGXIN_TEST_POSTGRES)
//! PostgreSQL: who sees and keeps a joint conference, member units from the registry
//! and outside it, offices with their rotation, plenaries in order with their chairs,
//! admissions, attendance and items, visits, liaisons.

mod common;
/// Projects from claim to award.
#[path = "alliance/pairing.rs"]
mod pairing;
#[path = "alliance/projects.rs"]
mod projects;
use chrono::NaiveDate;
use common::store;
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{ConferenceFields, MemberFields, Office, PlenaryFields, Term, VisitFields};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{UnitFields, UnitId};
use tongxin_domain::scope::Scope;
use tongxin_domain::{Coded, ErrorCode};
use tongxin_store::alliance::{
    Admission, AllianceMemberInput, AllianceMemberPatch, ConferencePatch, ConferenceRight, PlenaryInput, PlenaryPatch,
    PostPatch,
};
use tongxin_store::registry::UnitInput;
use tongxin_store::{Actor, Store, StoreError};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
}

fn office(role: Role, division: &str) -> Actor {
    Actor {
        account_id: None,
        username: format!("office-{division}"),
        role,
        scope: Scope::division(DivisionCode::parse(division).expect("code")),
    }
}

fn conference(name: &str, division: &str) -> ConferenceFields {
    ConferenceFields::parse(
        name,
        division,
        Some(day("2014-06-30")),
        "常任轮值、常态走访、常抓项目、长效认领",
    )
    .expect("conference")
}

fn joined(kind: &str, on: &str) -> MemberFields {
    MemberFields::parse(kind, Some(day(on)), None, None).expect("member")
}

fn outside(name: &str, kind: &str, on: &str) -> AllianceMemberInput {
    AllianceMemberInput {
        unit: None,
        name: Some(name.into()),
        fields: joined(kind, on),
    }
}

fn plenary(on: &str) -> PlenaryInput {
    PlenaryInput {
        number: None,
        fields: PlenaryFields::parse(Some(day(on)), "黄浦区党群服务中心", "审议年度重点项目").expect("plenary"),
        chair: None,
    }
}

fn admission(unit: Option<UnitId>, name: Option<&str>, kind: &str, plaque: bool) -> Admission {
    Admission {
        unit,
        name: name.map(Into::into),
        kind: kind.into(),
        plaque,
    }
}

fn code_of(e: &StoreError) -> ErrorCode {
    match e {
        StoreError::Invalid(v) if v.len() == 1 => v[0].code(),
        other => other.code(),
    }
}

async fn unit(s: &Store, name: &str, division: &str) -> UnitId {
    s.create_unit(
        &Actor::system("t"),
        UnitInput {
            fields: UnitFields::parse(name, "企业", "", "20", division, "").expect("unit"),
            carrier_id: None,
            instructor_id: None,
        },
    )
    .await
    .expect("unit")
    .id
}

#[tokio::test]
async fn a_conference_is_kept_by_its_territory_and_seen_from_below() {
    let (s, _d) = store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("the district's own");
    // A street of the district sees it (its units sit in it) but does not keep it.
    let street = office(Role::StreetOffice, "310101002");
    assert_eq!(
        s.conference_right(&street, c.id).await.expect("seen"),
        ConferenceRight::Read
    );
    assert_eq!(
        s.list_conferences(&street, false).await.expect("list").len(),
        1,
        "a street lists its district's conference"
    );
    let refused = s
        .update_conference(&street, c.id, c.version, &ConferencePatch::default())
        .await
        .expect_err("a street does not keep the district's");
    assert_eq!(refused.code(), ErrorCode::Forbidden);
    // Another district sees nothing of it: its id answers as if there were none.
    let xuhui = office(Role::DistrictOffice, "310104");
    for e in [
        s.get_conference(&xuhui, c.id).await.map(|_| ()).expect_err("not found"),
        s.list_alliance_members(&xuhui, c.id, false)
            .await
            .map(|_| ())
            .expect_err("not found"),
        s.list_plenaries(&xuhui, c.id).await.map(|_| ()).expect_err("not found"),
        s.create_plenary(&xuhui, c.id, &plenary("2024-01-01"))
            .await
            .map(|_| ())
            .expect_err("not found"),
    ] {
        assert_eq!(e.code(), ErrorCode::NotFound);
    }
    assert!(s.list_conferences(&xuhui, false).await.expect("list").is_empty());
    // Nor may it found one in Huangpu.
    let e = s
        .create_conference(&xuhui, &conference("越界的联盟", "310101"), None)
        .await
        .expect_err("outside");
    assert_eq!(e.code(), ErrorCode::OutsideTerritory);

    // A sub-conference sits inside its parent's division; a street's own is the street's.
    let sub = s
        .create_conference(&street, &conference("外滩金融集聚带党建联盟", "310101002"), Some(c.id))
        .await
        .expect("a street's sub-conference");
    assert_eq!(sub.parent_name.as_deref(), Some("黄浦区区域化党建联席会议"));
    assert_eq!(s.sub_conferences(&huangpu, c.id).await.expect("subs").len(), 1);
    let e = s
        .create_conference(&xuhui, &conference("错挂的联盟", "310104003"), Some(c.id))
        .await
        .expect_err("a parent it cannot see");
    assert_eq!(e.code(), ErrorCode::ReferenceInvalid);

    // An edit changes what it names and nothing else; a stale one is refused.
    let v = s
        .update_conference(
            &huangpu,
            c.id,
            c.version,
            &ConferencePatch {
                name: Some("黄浦区区域化党建促进会".into()),
                ..Default::default()
            },
        )
        .await
        .expect("renamed");
    assert_eq!(v.mechanisms, c.mechanisms, "what was not sent stays");
    assert_eq!(v.founded_on, c.founded_on);
    let e = s
        .update_conference(&huangpu, c.id, c.version, &ConferencePatch::default())
        .await
        .expect_err("stale");
    assert_eq!(e.code(), ErrorCode::StaleEdit);
    assert!(!s.conference_history(&huangpu, c.id).await.expect("history").is_empty());
}

#[tokio::test]
async fn members_come_from_the_registry_or_by_name() {
    let (s, _d) = store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let ours = unit(&s, "外滩某金融公司", "310101013").await;
    let theirs = unit(&s, "徐汇某科技公司", "310104003").await;
    let m = s
        .add_alliance_member(
            &huangpu,
            c.id,
            &AllianceMemberInput {
                unit: Some(ours),
                name: None,
                fields: joined("非公企业", "2015-01-01"),
            },
        )
        .await
        .expect("a registry unit of the district");
    assert_eq!(m.name, "外滩某金融公司");
    assert_eq!(m.kind, "private_firm");
    // Another district's unit is refused like an id that does not exist.
    let e = s
        .add_alliance_member(
            &huangpu,
            c.id,
            &AllianceMemberInput {
                unit: Some(theirs),
                name: None,
                fields: joined("企业", "2015-01-01"),
            },
        )
        .await
        .expect_err("foreign unit");
    assert_eq!(e.code(), ErrorCode::ReferenceInvalid);
    // Outside organisations are named; the same twice is a duplicate.
    s.add_alliance_member(
        &huangpu,
        c.id,
        &outside("上海交通大学医学院附属瑞金医院", "医院", "2014-06-30"),
    )
    .await
    .expect("outside");
    let e = s
        .add_alliance_member(
            &huangpu,
            c.id,
            &outside("上海交通大学医学院附属瑞金医院", "医院", "2016-01-01"),
        )
        .await
        .expect_err("twice");
    assert_eq!(e.code(), ErrorCode::Duplicate);
    let e = s
        .add_alliance_member(
            &huangpu,
            c.id,
            &AllianceMemberInput {
                unit: Some(ours),
                name: None,
                fields: joined("企业", "2016-01-01"),
            },
        )
        .await
        .expect_err("the unit twice");
    assert_eq!(e.code(), ErrorCode::Duplicate);

    // Leaving: a member that left is listed only when asked; the edit keeps the rest.
    let left = s
        .update_alliance_member(
            &huangpu,
            c.id,
            m.id,
            m.version,
            &AllianceMemberPatch {
                left_on: Some(Some(day("2020-12-31"))),
                ..Default::default()
            },
        )
        .await
        .expect("left");
    assert_eq!(left.kind, "private_firm");
    assert!(!left.current);
    assert_eq!(
        s.list_alliance_members(&huangpu, c.id, false)
            .await
            .expect("list")
            .len(),
        1
    );
    assert_eq!(
        s.list_alliance_members(&huangpu, c.id, true).await.expect("list").len(),
        2
    );
    let e = s
        .update_alliance_member(
            &huangpu,
            c.id,
            m.id,
            left.version,
            &AllianceMemberPatch {
                plaque_on: Some(Some(day("2014-01-01"))),
                ..Default::default()
            },
        )
        .await
        .expect_err("a plaque before joining");
    assert_eq!(code_of(&e), ErrorCode::OutOfOrder);
    // The conference's list says how many are members today.
    assert_eq!(s.get_conference(&huangpu, c.id).await.expect("c").members, 1);
}

#[tokio::test]
async fn conveners_rotate_and_chair_the_plenaries_in_turn() {
    let (s, _d) = store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let committee = s
        .add_alliance_member(&huangpu, c.id, &outside("中共黄浦区委", "党政机关", "2014-06-30"))
        .await
        .expect("m");
    let bank = s
        .add_alliance_member(&huangpu, c.id, &outside("某银行上海分行", "国企", "2014-06-30"))
        .await
        .expect("m");
    let hospital = s
        .add_alliance_member(&huangpu, c.id, &outside("瑞金医院", "医院", "2014-06-30"))
        .await
        .expect("m");
    let late = s
        .add_alliance_member(&huangpu, c.id, &outside("某大学", "高校", "2024-06-01"))
        .await
        .expect("m");
    let term = |a: &str, b: Option<&str>| Term::parse(Some(day(a)), b.map(day)).expect("term");
    s.add_alliance_office(&huangpu, c.id, committee.id, Office::Convener, term("2014-06-30", None))
        .await
        .expect("convener");
    s.add_alliance_office(
        &huangpu,
        c.id,
        bank.id,
        Office::RotatingConvener,
        term("2023-01-01", Some("2023-12-31")),
    )
    .await
    .expect("rotation 2023");
    s.add_alliance_office(
        &huangpu,
        c.id,
        hospital.id,
        Office::RotatingConvener,
        term("2024-01-01", Some("2024-12-31")),
    )
    .await
    .expect("rotation 2024");
    // Two rotating conveners on one day: refused.
    let e = s
        .add_alliance_office(
            &huangpu,
            c.id,
            late.id,
            Office::RotatingConvener,
            term("2024-06-01", None),
        )
        .await
        .expect_err("overlap");
    assert_eq!(code_of(&e), ErrorCode::TermsOverlap);
    // An office before the unit joined: refused.
    let e = s
        .add_alliance_office(&huangpu, c.id, late.id, Office::ViceConvener, term("2024-01-01", None))
        .await
        .expect_err("not yet a member");
    assert_eq!(e.code(), ErrorCode::NotAMember);
    // Vice conveners are several.
    s.add_alliance_office(&huangpu, c.id, late.id, Office::ViceConvener, term("2024-06-01", None))
        .await
        .expect("vice");
    s.add_alliance_office(&huangpu, c.id, bank.id, Office::ViceConvener, term("2024-06-01", None))
        .await
        .expect("vice");

    // Plenaries numbered in order, chaired by the rotation of the day.
    let p1 = s
        .create_plenary(&huangpu, c.id, &plenary("2023-03-01"))
        .await
        .expect("1st");
    let p2 = s
        .create_plenary(&huangpu, c.id, &plenary("2024-03-01"))
        .await
        .expect("2nd");
    let p3 = s
        .create_plenary(&huangpu, c.id, &plenary("2025-03-01"))
        .await
        .expect("3rd");
    assert_eq!((p1.number, p2.number, p3.number), (1, 2, 3));
    assert_eq!(p1.chair_name.as_deref(), Some("某银行上海分行"));
    assert_eq!(p2.chair_name.as_deref(), Some("瑞金医院"));
    assert_eq!(
        p3.chair_name.as_deref(),
        Some("中共黄浦区委"),
        "no rotation in 2025: the convener"
    );
    // The next one cannot be dated before the last.
    let e = s
        .create_plenary(&huangpu, c.id, &plenary("2024-12-31"))
        .await
        .expect_err("out of order");
    assert_eq!(code_of(&e), ErrorCode::OutOfOrder);
    // Nor moved there.
    let e = s
        .update_plenary(
            &huangpu,
            c.id,
            p3.id,
            p3.version,
            &PlenaryPatch {
                held_on: Some(day("2023-01-01")),
                ..Default::default()
            },
        )
        .await
        .expect_err("moved before the 2nd");
    assert_eq!(code_of(&e), ErrorCode::OutOfOrder);
    // A number taken is a duplicate; a named chair must be a member on the day.
    let mut again = plenary("2026-01-01");
    again.number = Some(3);
    assert_eq!(
        s.create_plenary(&huangpu, c.id, &again)
            .await
            .expect_err("taken")
            .code(),
        ErrorCode::Duplicate
    );
    let mut chaired = plenary("2023-06-01");
    chaired.number = Some(10);
    chaired.chair = Some(late.id);
    let e = s.create_plenary(&huangpu, c.id, &chaired).await.expect_err("chair");
    assert!(
        matches!(e, StoreError::NotAMember { .. } | StoreError::Invalid(_)),
        "{e:?}"
    );

    let offices = s.list_alliance_offices(&huangpu, c.id).await.expect("offices");
    assert_eq!(offices.len(), 5);
    assert_eq!(offices[0].office, "convener");
    assert!(
        !offices
            .iter()
            .find(|o| o.member_name == "某银行上海分行" && o.office == "rotating_convener")
            .expect("bank")
            .current
    );
}

#[tokio::test]
async fn a_plenary_admits_units_and_keeps_its_record() {
    let (s, _d) = store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let a = s
        .add_alliance_member(&huangpu, c.id, &outside("中共黄浦区委", "党政机关", "2014-06-30"))
        .await
        .expect("m");
    let b = s
        .add_alliance_member(&huangpu, c.id, &outside("某银行上海分行", "国企", "2014-06-30"))
        .await
        .expect("m");
    let p = s
        .create_plenary(&huangpu, c.id, &plenary("2024-12-20"))
        .await
        .expect("plenary");
    let firm = unit(&s, "外滩某金融公司", "310101013").await;
    let admitted = s
        .admit_at_plenary(&huangpu, c.id, p.id, &admission(Some(firm), None, "非公企业", true))
        .await
        .expect("admitted");
    assert_eq!(admitted.joined_on, day("2024-12-20"), "joins on the meeting's date");
    assert_eq!(admitted.plaque_on, Some(day("2024-12-20")), "plaque handed there");
    assert_eq!(admitted.admitted_at_number, Some(1));
    s.admit_at_plenary(
        &huangpu,
        c.id,
        p.id,
        &admission(None, Some("复旦大学上海医学院"), "高校", false),
    )
    .await
    .expect("an outside one");
    // Attendance: members of that day only.
    s.set_attendance(&huangpu, c.id, p.id, &[a.id, b.id, admitted.id])
        .await
        .expect("present");
    let late = s
        .add_alliance_member(&huangpu, c.id, &outside("某新单位", "社会组织", "2025-01-01"))
        .await
        .expect("m");
    let e = s
        .set_attendance(&huangpu, c.id, p.id, &[a.id, late.id])
        .await
        .expect_err("not a member then");
    assert_eq!(e.code(), ErrorCode::NotAMember);
    // Items: a resolution, an exchange by a member, an award.
    s.add_plenary_item(&huangpu, c.id, p.id, "决议", "审议通过2025年度十大重点项目", None)
        .await
        .expect("resolution");
    s.add_plenary_item(&huangpu, c.id, p.id, "现场交流", "党建引领金融服务实体经济", Some(b.id))
        .await
        .expect("exchange");
    let e = s
        .add_plenary_item(&huangpu, c.id, p.id, "跳舞", "", Some(late.id))
        .await
        .expect_err("two field errors");
    assert!(matches!(&e, StoreError::Invalid(v) if v.len() == 2), "{e:?}");
    let e = s
        .add_plenary_item(&huangpu, c.id, p.id, "表彰", "优秀成员单位", Some(late.id))
        .await
        .expect_err("late is not a member then");
    assert_eq!(e.code(), ErrorCode::NotAMember);

    let v = s.get_plenary(&huangpu, c.id, p.id).await.expect("record");
    assert_eq!(v.summary.attended, 3);
    assert_eq!(v.summary.admitted, 2);
    assert_eq!(v.summary.items, 2);
    let absent: Vec<&str> = v.absent.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(absent, ["复旦大学上海医学院"], "members of the day who did not come");
    assert_eq!(v.items[1].member_name.as_deref(), Some("某银行上海分行"));

    // Moving the meeting moves its admissions' dates.
    s.update_plenary(
        &huangpu,
        c.id,
        p.id,
        p.version,
        &PlenaryPatch {
            held_on: Some(day("2024-12-27")),
            ..Default::default()
        },
    )
    .await
    .expect("moved");
    let m = s.get_alliance_member(&huangpu, c.id, admitted.id).await.expect("m");
    assert_eq!((m.joined_on, m.plaque_on), (day("2024-12-27"), Some(day("2024-12-27"))));

    // Visits, to members on the day.
    s.add_visit(
        &huangpu,
        c.id,
        b.id,
        &VisitFields::parse(Some(day("2025-03-01")), "秘书处", "走访座谈").expect("v"),
    )
    .await
    .expect("visit");
    let e = s
        .add_visit(
            &huangpu,
            c.id,
            late.id,
            &VisitFields::parse(Some(day("2024-03-01")), "秘书处", "").expect("v"),
        )
        .await
        .expect_err("before it joined");
    assert_eq!(e.code(), ErrorCode::NotAMember);
    assert_eq!(s.list_visits(&huangpu, c.id, None).await.expect("visits").len(), 1);
}

#[tokio::test]
async fn a_liaison_sees_its_unit_s_conference_and_no_other() {
    let (s, _d) = store().await;
    let sys = Actor::system("t");
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let other = s
        .create_conference(&huangpu, &conference("南京东路街道党建联盟", "310101002"), None)
        .await
        .expect("other");
    let m = s
        .add_alliance_member(&huangpu, c.id, &outside("某银行上海分行", "国企", "2014-06-30"))
        .await
        .expect("m");
    // A liaison account scoped to a street of another district.
    s.create_account(
        &sys,
        "liaison-bank",
        "a long enough password",
        Role::UnitLiaison,
        Some(&DivisionCode::parse("310104003").expect("code")),
        None,
    )
    .await
    .expect("account");
    // The district may only name liaisons of its own territory.
    let e = s
        .add_alliance_liaison(&huangpu, c.id, m.id, "liaison-bank")
        .await
        .expect_err("another district's account");
    assert_eq!(e.code(), ErrorCode::ReferenceInvalid);
    s.add_alliance_liaison(&sys, c.id, m.id, "liaison-bank")
        .await
        .expect("named");
    let liaison = s
        .verify_login("liaison-bank", "a long enough password")
        .await
        .expect("login")
        .expect("actor");
    assert_eq!(
        s.conference_right(&liaison, c.id).await.expect("right"),
        ConferenceRight::Liaison
    );
    assert_eq!(
        s.conference_right(&liaison, other.id)
            .await
            .expect_err("not its")
            .code(),
        ErrorCode::NotFound
    );
    let names: Vec<String> = s
        .list_conferences(&liaison, false)
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["黄浦区区域化党建联席会议"]);
    assert_eq!(s.my_alliance_members(&liaison).await.expect("mine").len(), 1);
    assert_eq!(
        s.alliance_liaisons(&huangpu, c.id, m.id).await.expect("liaisons").len(),
        1
    );
    let e = s
        .add_visit(
            &liaison,
            c.id,
            m.id,
            &VisitFields::parse(Some(day("2025-03-01")), "x", "").expect("v"),
        )
        .await
        .expect_err("a liaison does not keep the conference");
    assert_eq!(e.code(), ErrorCode::Forbidden);
}

#[tokio::test]
async fn plenaries_recorded_at_once_get_distinct_numbers() {
    let (s, _d) = store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let mut tasks = vec![];
    for _ in 0..8 {
        let (s, a) = (s.clone(), huangpu.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                match s.create_plenary(&a, c.id, &plenary("2025-01-01")).await {
                    Err(StoreError::Busy) => tokio::task::yield_now().await,
                    other => return other,
                }
            }
        }));
    }
    let mut numbers = vec![];
    for t in tasks {
        numbers.push(t.await.expect("task").expect("created").number);
    }
    numbers.sort();
    assert_eq!(numbers, (1..=8).collect::<Vec<_>>());
}

fn post_fields(
    kind: &str,
    title: &str,
    category: &str,
    division: &str,
    description: &str,
) -> tongxin_domain::alliance::PostFields {
    tongxin_domain::alliance::PostFields::parse(&tongxin_domain::alliance::PostInput {
        kind,
        title,
        category,
        description,
        division,
        contact_name: "张老师",
        contact_phone: "13800138000",
        ..Default::default()
    })
    .expect("post")
}

#[tokio::test]
async fn liaisons_post_for_their_unit_and_needs_find_resources_by_meaning() {
    let (s, _d) = store().await;
    let sys = Actor::system("t");
    let jingan = office(Role::DistrictOffice, "310106");
    let c = s
        .create_conference(&jingan, &conference("静安区区域化党建联席会议", "310106"), None)
        .await
        .expect("conference");
    let bank = s
        .add_alliance_member(&jingan, c.id, &outside("申城银行静安支行", "国企", "2014-06-30"))
        .await
        .expect("m");
    let hospital = s
        .add_alliance_member(&jingan, c.id, &outside("静安区中心医院", "医院", "2014-06-30"))
        .await
        .expect("m");
    let community = s
        .add_alliance_member(&jingan, c.id, &outside("南京西路街道某居民区", "居村", "2014-06-30"))
        .await
        .expect("m");
    let liaison = common::account(&s, "liaison-community", Role::UnitLiaison, "310106012").await;
    s.add_alliance_liaison(&jingan, c.id, community.id, "liaison-community")
        .await
        .expect("liaison");

    // Offices post for any member unit; resources in the offices' words.
    let checkup = s
        .create_post(
            &jingan,
            c.id,
            hospital.id,
            &post_fields(
                "资源",
                "三甲医院专家义诊进社区",
                "医疗卫生",
                "310106012",
                "内科、眼科专家现场问诊，测血压血糖",
            ),
        )
        .await
        .expect("resource");
    assert_eq!(checkup.contact_phone.as_deref(), Some("138****8000"), "masked");
    let loans = s
        .create_post(
            &jingan,
            c.id,
            bank.id,
            &post_fields(
                "资源",
                "小微企业普惠贷款",
                "金融",
                "310106013",
                "无抵押信用贷款，最快三天放款",
            ),
        )
        .await
        .expect("resource");
    s.create_post(
        &jingan,
        c.id,
        hospital.id,
        &post_fields("资源", "中医养生讲座", "健康", "310106019", "讲解四季养生"),
    )
    .await
    .expect("resource");
    // A liaison posts for its own unit, not another's.
    let need = s
        .create_post(
            &liaison,
            c.id,
            community.id,
            &post_fields(
                "需求",
                "独居老人健康筛查",
                "卫生健康",
                "310106012",
                "小区长者多，需要医生上门体检",
            ),
        )
        .await
        .expect("the liaison's own unit");
    let e = s
        .create_post(&liaison, c.id, bank.id, &post_fields("需求", "x", "", "310106012", ""))
        .await
        .expect_err("another unit's");
    assert_eq!(e.code(), ErrorCode::Forbidden);
    // A place outside the conference's territory is refused.
    let e = s
        .create_post(&jingan, c.id, bank.id, &post_fields("资源", "x", "", "310101002", ""))
        .await
        .expect_err("outside");
    assert_eq!(e.code(), ErrorCode::OutsideTerritory);

    // The need finds the health check first (体检 / 健康筛查 / 义诊 are one meaning), in
    // its own street, and never the loans.
    let found = s.match_post(&liaison, need.id, 10).await.expect("matches");
    assert_eq!(found[0].post.id, checkup.id, "{found:?}");
    assert!(found.iter().all(|m| m.post.id != loans.id), "{found:?}");
    let kinds: Vec<&str> = found[0].reasons.iter().map(|r| r.kind).collect();
    assert!(
        kinds.contains(&"meaning") && kinds.contains(&"category") && kinds.contains(&"place"),
        "{kinds:?}"
    );
    // And the resource finds the need back.
    let back = s.match_post(&jingan, checkup.id, 10).await.expect("matches");
    assert_eq!(back.first().map(|m| m.post.id), Some(need.id));

    // An edit changes only what it names; its words follow: the need now asks for loans.
    let edited = s
        .update_post(
            &liaison,
            need.id,
            need.version,
            &tongxin_store::alliance::PostPatch {
                title: Some("社区商户资金周转困难".into()),
                description: Some("沿街小店需要融资支持".into()),
                category: Some("金融".into()),
                ..Default::default()
            },
        )
        .await
        .expect("edited");
    assert_eq!(
        edited.contact_name.as_deref(),
        Some("张老师"),
        "what was not sent stays"
    );
    let found = s.match_post(&liaison, need.id, 10).await.expect("matches");
    assert_eq!(found[0].post.id, loans.id, "{found:?}");
    let e = s
        .update_post(&liaison, need.id, need.version, &Default::default())
        .await
        .expect_err("stale");
    assert_eq!(e.code(), ErrorCode::StaleEdit);
    // A closed resource is no longer suggested.
    s.update_post(
        &jingan,
        loans.id,
        loans.version,
        &tongxin_store::alliance::PostPatch {
            status: Some("closed".into()),
            ..Default::default()
        },
    )
    .await
    .expect("closed");
    let found = s.match_post(&liaison, need.id, 10).await.expect("matches");
    assert!(found.iter().all(|m| m.post.id != loans.id));

    // Another district's office sees none of it.
    let xuhui = office(Role::DistrictOffice, "310104");
    assert_eq!(
        s.get_post(&xuhui, need.id).await.expect_err("x").code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        s.match_post(&xuhui, need.id, 10).await.expect_err("x").code(),
        ErrorCode::NotFound
    );
    assert_eq!(
        s.list_posts(&xuhui, c.id, None, None, None)
            .await
            .expect_err("x")
            .code(),
        ErrorCode::NotFound
    );
    // The audit log holds no full phone.
    let log = serde_json::to_string(&s.audit_recent(&sys, 100).await.expect("log")).expect("json");
    assert!(!log.contains("13800138000"), "{log}");
}

#[tokio::test]
async fn an_office_s_vocabulary_makes_its_words_meet_in_its_conference_only() {
    let (s, _d) = store().await;
    let jingan = office(Role::DistrictOffice, "310106");
    let huangpu = office(Role::DistrictOffice, "310101");
    // The same two posts in two districts' conferences.
    let mut pairs = vec![];
    for (o, name, division) in [
        (&jingan, "静安区区域化党建联席会议", "310106"),
        (&huangpu, "黄浦区区域化党建联席会议", "310101"),
    ] {
        let c = s
            .create_conference(o, &conference(name, division), None)
            .await
            .expect("conference");
        let m = s
            .add_alliance_member(o, c.id, &outside("某居民区", "居村", "2014-06-30"))
            .await
            .expect("m");
        let need = s
            .create_post(o, c.id, m.id, &post_fields("需求", "楼门组长", "", division, ""))
            .await
            .expect("need");
        let offer = s
            .create_post(o, c.id, m.id, &post_fields("资源", "居民骨干", "", division, ""))
            .await
            .expect("resource");
        pairs.push((c.id, need.id, offer.id));
    }
    async fn meets(s: &Store, who: &Actor, need: i64, offer: i64) -> bool {
        s.match_post(who, need, 10)
            .await
            .expect("matches")
            .iter()
            .any(|m| m.post.id == offer)
    }
    let (jc, jneed, joffer) = pairs[0];
    let (_, hneed, hoffer) = pairs[1];
    assert!(!meets(&s, &jingan, jneed, joffer).await, "no shared word yet");

    // A line that is not two words of one meaning is refused, nothing kept.
    let e = s
        .add_vocabulary(&jingan, jc, "楼门组长 居民骨干\n孤单")
        .await
        .expect_err("one word");
    assert_eq!(code_of(&e), ErrorCode::NotAMeaning);
    assert!(s.list_vocabulary(&jingan, jc).await.expect("list").is_empty());
    // Another district may not write it.
    assert_eq!(
        s.add_vocabulary(&huangpu, jc, "楼门组长 居民骨干")
            .await
            .expect_err("foreign")
            .code(),
        ErrorCode::NotFound
    );
    let lines = s
        .add_vocabulary(&jingan, jc, "# 我们的说法\n楼门组长、居民骨干，楼组长\n老人 乐龄族")
        .await
        .expect("added");
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].words, ["楼门组长", "居民骨干", "楼组长"]);
    assert!(meets(&s, &jingan, jneed, joffer).await, "the office's words meet");
    assert!(!meets(&s, &huangpu, hneed, hoffer).await, "not in another conference");
    // A post written after in the new word finds it too, with the meaning in its reasons.
    let late = s
        .create_post(
            &jingan,
            jc,
            s.list_posts(&jingan, jc, None, None, None).await.expect("posts")[0].member_id,
            &post_fields("需求", "楼组长培训", "", "310106", ""),
        )
        .await
        .expect("need");
    let found = s.match_post(&jingan, late.id, 10).await.expect("matches");
    let hit = found.iter().find(|m| m.post.id == joffer).expect("found by meaning");
    assert!(
        hit.reasons
            .iter()
            .any(|r| r.kind == "meaning" && r.detail.contains("楼门组长")),
        "{:?}",
        hit.reasons
    );
    // Removed, the words part again.
    s.remove_vocabulary(&jingan, jc, lines[0].id).await.expect("removed");
    assert!(!meets(&s, &jingan, jneed, joffer).await);
    assert_eq!(s.list_vocabulary(&jingan, jc).await.expect("list").len(), 1);
}

/// Each server keeps a copy of a conference's postings; a post written, rewritten or
/// imported through another server on the same database is matched by the words it
/// holds now, on the first match after, never by the words it held when the copy was
/// taken.
#[tokio::test]
async fn a_server_s_copy_of_the_postings_follows_another_server_s_writes() {
    let (a, url, _d) = common::store_at().await;
    let b = Store::open(&url).await.expect("second server");
    let jingan = office(Role::DistrictOffice, "310106");
    let c = a
        .create_conference(&jingan, &conference("静安区区域化党建联席会议", "310106"), None)
        .await
        .expect("conference");
    let m = a
        .add_alliance_member(&jingan, c.id, &outside("静安区中心医院", "医院", "2014-06-30"))
        .await
        .expect("m");
    let need = a
        .create_post(&jingan, c.id, m.id, &post_fields("需求", "老人体检", "", "310106", ""))
        .await
        .expect("need");
    let clinic = a
        .create_post(&jingan, c.id, m.id, &post_fields("资源", "免费义诊", "", "310106", ""))
        .await
        .expect("resource");
    let found = |v: Vec<tongxin_store::alliance::MatchView>| v.into_iter().map(|m| m.post.id).collect::<Vec<_>>();
    assert_eq!(found(a.match_post(&jingan, need.id, 10).await.expect("m")), [clinic.id]);

    // Through the other server: the clinic becomes a loan, a new offer of health checks.
    b.update_post(
        &jingan,
        clinic.id,
        clinic.version,
        &PostPatch {
            title: Some("小微企业贷款".into()),
            ..Default::default()
        },
    )
    .await
    .expect("rewritten");
    let screening = b
        .create_post(
            &jingan,
            c.id,
            m.id,
            &post_fields("资源", "健康筛查进社区", "", "310106", ""),
        )
        .await
        .expect("resource");
    assert_eq!(
        found(a.match_post(&jingan, need.id, 10).await.expect("m")),
        [screening.id],
        "the first server reads the other's writes"
    );
    // Its own copy of the resources' words does not answer for the needs: a resource
    // asks for the needs' postings, which the second server has never kept.
    assert_eq!(
        found(b.match_post(&jingan, screening.id, 10).await.expect("m")),
        [need.id]
    );
    let loan_need = a
        .create_post(&jingan, c.id, m.id, &post_fields("需求", "融资难", "", "310106", ""))
        .await
        .expect("need");
    assert_eq!(
        found(b.match_post(&jingan, loan_need.id, 10).await.expect("m")),
        [clinic.id]
    );
    b.close().await.expect("closed");
}
