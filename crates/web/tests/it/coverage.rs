//! Coverage through the API and the console pages, with the scope rules.

use crate::*;

/// Adds an uncovered unit to a street.
async fn bare_unit(app: &App, code: &str, name: &str) -> tongxin_domain::registry::UnitId {
    app.store
        .create_unit(
            &Actor::system("fixture"),
            UnitInput {
                fields: UnitFields::parse(name, "企业", "", "", code, "").expect("unit"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("unit")
        .id
}

#[tokio::test]
async fn a_street_sees_its_coverage_gaps_and_exports_them() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    let bare = bare_unit(&app, STREET_A, "甲未覆盖商贸有限公司").await;
    bare_unit(&app, STREET_B, "乙未覆盖商贸有限公司").await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;

    // Its own street by default: 2 units, 1 covered by its branch, 1 uncovered.
    let (status, f) = c.get("/api/v1/coverage/summary").await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["division"], STREET_A);
    assert_eq!(
        (f["units_total"].as_i64(), f["units_uncovered"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(f["org_coverage_rate"], 0.5);
    assert_eq!(f["carriers_by_type"]["building"]["fully_covered"], 1);
    let (_, again) = c.get(&format!("/api/v1/coverage/summary?division={STREET_A}")).await;
    assert_eq!(f, again);
    // A district's figures are above the street's territory: not found.
    let (status, _) = c.get("/api/v1/coverage/summary?division=310106").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = c.get("/api/v1/coverage/summary?division=31a").await;
    assert_eq!(status.as_u16() / 100, 4);

    // The gap list names the uncovered unit of this street only, with a link to fix it.
    let (status, g) = c.get("/api/v1/coverage/gaps/uncovered_units").await;
    assert_eq!(status, StatusCode::OK, "{g}");
    assert_eq!(g["total"], 1);
    assert_eq!(g["items"][0]["id"], bare.0);
    let (status, _) = c.get("/api/v1/coverage/gaps/no_such_list").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The export is a workbook.
    let r = c
        .http
        .get(app.url("/api/v1/coverage/gaps/uncovered_units?format=xlsx"))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"PK"), "not an xlsx file");

    // The district sees both streets in its drill-down.
    let d = Client::new_account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    let (_, kids) = d.get("/api/v1/coverage/children").await;
    let rows = kids.as_array().expect("rows");
    let units = |code: &str| {
        rows.iter()
            .find(|r| r["code"] == code)
            .and_then(|r| r["figures"]["units_total"].as_i64())
    };
    assert_eq!((units(STREET_A), units(STREET_B)), (Some(2), Some(2)));

    // The console pages: the dashboard, a gap list with a link to the record, the big
    // screen refreshing itself.
    for (path, needle) in [
        ("/coverage", "stat-org-rate"),
        ("/coverage/gaps/uncovered_units", &format!("/units/{bare}")),
        ("/coverage/screen", "http-equiv=\"refresh\""),
        ("/coverage/gaps/carriers_not_covered?format=xlsx", "PK"),
    ] {
        let r = c.http.get(app.url(path)).send().await.expect("page");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let body = r.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(needle), "{path} lacks {needle}");
        assert!(!text.contains("乙未覆盖"), "{path} shows the other street");
    }
    let r = c
        .http
        .get(app.url(&format!("/coverage?division={STREET_B}")))
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_district_takes_a_snapshot_and_reads_the_trend() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let d = Client::login(&app, "district", PASSWORD).await;
    let s = Client::login(&app, "street_a", PASSWORD).await;

    let (status, _) = s.call("post", "/api/v1/coverage/snapshots", None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a street may not take the district's snapshot"
    );
    let (status, snap) = d.call("post", "/api/v1/coverage/snapshots", None).await;
    assert_eq!(status, StatusCode::CREATED, "{snap}");
    // The street reads its own trend: one month, its figures as now.
    let (status, trend) = s.get("/api/v1/coverage/trend").await;
    assert_eq!(status, StatusCode::OK, "{trend}");
    let (_, now) = s.get("/api/v1/coverage/summary").await;
    assert_eq!(trend[0]["figures"], now);
    assert_eq!(trend[0]["period"], snap["period"]);
    // The dashboard draws it.
    let r = s.http.get(app.url("/coverage")).send().await.expect("page");
    let html = r.text().await.expect("html");
    assert!(html.contains("<polyline class=\"line-org\""), "no trend line");
    assert!(!html.contains("take-snapshot"), "a street is offered a snapshot button");
}

#[tokio::test]
async fn a_lead_firms_network_page() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let sys = Actor::system("fixture");
    app.store
        .link_units(
            &sys,
            b.unit,
            tongxin_domain::registry::UnitLinkKind::FranchiseeOf,
            a.unit,
        )
        .await
        .expect("link");
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let (status, chain) = c.get(&format!("/api/v1/coverage/chain/{}", a.unit)).await;
    assert_eq!(status, StatusCode::OK, "{chain}");
    assert_eq!(chain["network"]["total"], 1);
    assert_eq!(chain["units_outside_territory"], 1);
    assert!(
        !chain.to_string().contains("乙科技"),
        "the other street's unit is named: {chain}"
    );
    let html = c.page(&format!("/coverage/chain/{}", a.unit)).await;
    assert!(html.contains("id=\"chain-total\">1<"), "{html}");
    let detail = c.page(&format!("/units/{}", a.unit)).await;
    assert!(detail.contains(&format!("/coverage/chain/{}", a.unit)));
}

/// A unit's page says where it stands: covered by what, or why not and what would close
/// the gap (with a way to the gap lists).
#[tokio::test]
async fn a_unit_page_says_where_it_stands() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (status, bare) = c
        .call(
            "post",
            "/api/v1/units",
            Some(json!({"name": "无人覆盖的公司", "kind": "企业", "division": STREET_A})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{bare}");
    let covered = c.page(&format!("/units/{}", a.unit)).await;
    assert!(covered.contains("组织覆盖："), "{covered}");
    let uncovered = c.page(&format!("/units/{}", bare["id"])).await;
    assert!(uncovered.contains("未覆盖：可加入联合党支部"), "{uncovered}");
    assert!(
        uncovered.contains("href=\"/coverage\""),
        "no way to the gaps: {uncovered}"
    );
    // An organisation's page counts its members against the branch rule (50).
    let org = c.page(&format!("/orgs/{}", a.org)).await;
    let (_, members) = c.get(&format!("/api/v1/orgs/{}/members", a.org)).await;
    let n = members["total"].as_u64().expect("total");
    assert!(org.contains("党员人数") && org.contains(&format!("{n} / 50")), "{org}");
}
