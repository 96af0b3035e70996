//! Pairing on both stores: two branches of the territory, a firm with a community; the
//! same pair twice refused, parties of another territory refused; activities only while
//! a pair is active; the gap list recounted by the test from the territory's divisions
//! and branches.

use super::{code_of, conference, day, office};
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{PairActivityFields, PairFields};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{OrgFields, UnitFields};
use tongxin_store::Actor;
use tongxin_store::alliance::PairInput;
use tongxin_store::registry::{OrgInput, UnitInput};

#[tokio::test]
async fn branches_and_firms_pair_and_the_gaps_are_counted() {
    let (s, _d) = crate::common::store().await;
    let sys = Actor::system("t");
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let org = |name: &str, division: &str| OrgInput {
        fields: OrgFields::parse(name, "党支部", division, "", None, None).expect("org"),
        parent_id: None,
        carrier_id: None,
        unit_ids: vec![],
    };
    let mut branches = vec![];
    for (n, d) in [
        ("外滩街道机关党支部", "310101013"),
        ("某银行黄浦支行党支部", "310101013"),
        ("南京东路某企业党支部", "310101002"),
    ] {
        branches.push(s.create_org(&sys, org(n, d)).await.expect("branch").id);
    }
    let foreign = s
        .create_org(&sys, org("徐汇某支部", "310104003"))
        .await
        .expect("foreign")
        .id;
    let firm = s
        .create_unit(
            &sys,
            UnitInput {
                fields: UnitFields::parse("上海某科技有限公司", "企业", "", "80", "310101013", "").expect("unit"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("firm")
        .id;
    let branches_pair = |a, b, on: &str| PairInput {
        fields: PairFields::parse("支部结对", Some(day(on)), None, "").expect("fields"),
        org_a: Some(a),
        org_b: Some(b),
        firm: None,
        community: None,
    };
    let p = s
        .create_pair(&huangpu, c.id, &branches_pair(branches[0], branches[1], "2024-03-01"))
        .await
        .expect("pair");
    assert_eq!(p.first, "外滩街道机关党支部");
    assert!(p.active);
    // The same two, either way round, while the first is active: refused.
    let e = s
        .create_pair(&huangpu, c.id, &branches_pair(branches[1], branches[0], "2025-01-01"))
        .await
        .expect_err("twice");
    assert_eq!(code_of(&e), ErrorCode::Duplicate);
    let e = s
        .create_pair(&huangpu, c.id, &branches_pair(branches[0], branches[0], "2025-01-01"))
        .await
        .expect_err("with itself");
    assert_eq!(code_of(&e), ErrorCode::Inconsistent);
    let e = s
        .create_pair(&huangpu, c.id, &branches_pair(branches[0], foreign, "2025-01-01"))
        .await
        .expect_err("another district's branch");
    assert_eq!(code_of(&e), ErrorCode::ReferenceInvalid);
    // A firm with a community of the territory; a street is no community.
    let firm_pair = |community: &str| PairInput {
        fields: PairFields::parse("百企连百居百村", Some(day("2025-05-01")), None, "").expect("fields"),
        org_a: None,
        org_b: None,
        firm: Some(firm),
        community: Some(DivisionCode::parse(community).expect("code")),
    };
    let e = s
        .create_pair(&huangpu, c.id, &firm_pair("310101013"))
        .await
        .expect_err("a street");
    assert_eq!(code_of(&e), ErrorCode::ReferenceInvalid);
    let e = s
        .create_pair(&huangpu, c.id, &firm_pair("310104003001"))
        .await
        .expect_err("another district's community");
    assert_eq!(code_of(&e), ErrorCode::OutsideTerritory);
    let fp = s
        .create_pair(&huangpu, c.id, &firm_pair("310101013001"))
        .await
        .expect("firm with community");
    assert_eq!(
        (fp.first.as_str(), fp.second.as_str()),
        ("上海某科技有限公司", "汉口路居委会")
    );

    // Activities: only while the pair is active.
    let act = |on: &str| PairActivityFields::parse(Some(day(on)), "共建主题党日", "", "20").expect("activity");
    let e = s
        .log_pair_activity(&huangpu, p.id, &act("2023-12-31"))
        .await
        .expect_err("before the pair");
    assert_eq!(code_of(&e), ErrorCode::OutOfRange);
    s.log_pair_activity(&huangpu, p.id, &act("2025-06-01"))
        .await
        .expect("logged");

    // The gap list on a day of 2026, recounted from the territory itself.
    let today = day("2026-11-29");
    let gaps = s.pairing_gaps(&huangpu, c.id, today).await.expect("gaps");
    let communities = s
        .division_names_within(Some(&DivisionCode::parse("310101").expect("code")))
        .await
        .expect("divisions")
        .into_iter()
        .filter(|(code, _)| code.len() == 12)
        .count();
    assert!(communities > 50);
    assert_eq!(gaps.communities_without_firm, communities - 1);
    assert!(!gaps.communities.iter().any(|r| r.id == "310101013001"));
    assert_eq!(gaps.branches_without_pair, 1, "{:?}", gaps.branches);
    assert_eq!(gaps.branches[0].name, "南京东路某企业党支部");
    assert_eq!(gaps.branches[0].division_name, "南京东路街道");
    let idle: Vec<i64> = gaps.idle_pairs.iter().map(|p| p.id).collect();
    assert_eq!(idle.len(), 2, "nothing logged in 2026 by either pair");
    s.log_pair_activity(&huangpu, fp.id, &act("2026-03-05"))
        .await
        .expect("logged");
    let gaps = s.pairing_gaps(&huangpu, c.id, today).await.expect("gaps");
    assert_eq!(gaps.idle_pairs.iter().map(|p| p.id).collect::<Vec<_>>(), [p.id]);

    // Ended, the pair leaves the branches unpaired and no activity is taken after.
    let ended = s
        .end_pair(&huangpu, p.id, p.version, day("2026-06-30"))
        .await
        .expect("ended");
    assert!(!ended.active);
    let e = s
        .log_pair_activity(&huangpu, p.id, &act("2026-07-01"))
        .await
        .expect_err("after its end");
    assert_eq!(code_of(&e), ErrorCode::OutOfRange);
    assert_eq!(
        s.pairing_gaps(&huangpu, c.id, today)
            .await
            .expect("gaps")
            .branches_without_pair,
        3
    );
    let e = s
        .end_pair(&huangpu, p.id, p.version, day("2026-06-30"))
        .await
        .expect_err("stale");
    assert_eq!(code_of(&e), ErrorCode::StaleEdit);

    // The year's summary counts the pairs active in it and what they did.
    let y2025 = s.annual_summary(&huangpu, c.id, 2025).await.expect("2025");
    let active = |x: &tongxin_store::alliance::AnnualSummary, k: &str| {
        x.pairs_active.iter().find(|c| c.code == k).map_or(0, |c| c.count)
    };
    assert_eq!((active(&y2025, "branches"), active(&y2025, "firm_community")), (1, 1));
    assert_eq!(y2025.pair_activities, 1);
    let y2026 = s.annual_summary(&huangpu, c.id, 2026).await.expect("2026");
    assert_eq!(active(&y2026, "branches"), 1, "ended in 2026, active in it");
    assert_eq!(y2026.pair_activities, 1);
    let next = chrono::Datelike::year(&chrono::Utc::now().date_naive()) + 1;
    assert_eq!(
        code_of(
            &s.annual_summary(&huangpu, c.id, next)
                .await
                .expect_err("a year to come")
        ),
        ErrorCode::OutOfRange
    );

    // Another district sees none of it.
    let xuhui = office(Role::DistrictOffice, "310104");
    assert_eq!(
        code_of(&s.get_pair(&xuhui, p.id).await.expect_err("x")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code_of(&s.list_pairs(&xuhui, c.id, None).await.expect_err("x")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code_of(
            &s.log_pair_activity(&xuhui, fp.id, &act("2026-04-01"))
                .await
                .expect_err("x")
        ),
        ErrorCode::NotFound
    );
    assert_eq!(s.get_pair(&huangpu, fp.id).await.expect("pair").1.len(), 1);
    assert_eq!(
        code_of(&s.annual_summary(&xuhui, c.id, 2025).await.expect_err("x")),
        ErrorCode::NotFound
    );
}
