//! Closing gaps where they are shown: from a gap-list row or a unit's page, a street
//! office joins a unit to a joint branch with room, assigns an instructor, founds the
//! unit's own organisation from a prefilled form, and records a committee's new term;
//! each goes back to the list, and the figures move by exactly what was closed.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{CarrierFields, OrgFields, UnitFields};
use tongxin_store::Actor;
use tongxin_store::registry::{OrgInput, UnitInput};

fn sys() -> Actor {
    Actor::system("t")
}

async fn unit(
    app: &App,
    name: &str,
    division: &str,
    carrier: Option<tongxin_domain::registry::CarrierId>,
    n: u32,
) -> i64 {
    app.store
        .create_unit(
            &sys(),
            UnitInput {
                fields: UnitFields::parse(name, "企业", &credit_code(n), "8", division, "").expect("unit"),
                carrier_id: carrier,
                instructor_id: None,
            },
        )
        .await
        .expect("unit")
        .id
        .0
}

/// A joint branch over `units`.
async fn joint(app: &App, name: &str, division: &str, units: &[i64]) -> i64 {
    app.store
        .create_org(
            &sys(),
            OrgInput {
                fields: OrgFields::parse(name, "联合党支部", division, "王五", None, None).expect("org"),
                parent_id: None,
                carrier_id: None,
                unit_ids: units.iter().map(|u| tongxin_domain::registry::UnitId(*u)).collect(),
            },
        )
        .await
        .expect("joint branch")
        .id
        .0
}

/// The street's figures, checked against a recount from the registry.
async fn figures(app: &App) -> serde_json::Value {
    let t = app
        .store
        .coverage_territory(
            &sys(),
            Some(tongxin_store::coverage::Territory::Division(
                DivisionCode::parse(STREET_A).expect("code"),
            )),
        )
        .await
        .expect("territory");
    let kept = app.store.coverage_summary(&t).await.expect("summary");
    let recount = app.store.coverage_recount(&t).await.expect("recount");
    assert_eq!(
        serde_json::to_value(&kept).expect("json"),
        serde_json::to_value(&recount).expect("json"),
        "the counters disagree with a recount"
    );
    serde_json::to_value(kept).expect("json")
}

/// Posts a page's form; answers the status, the `Location` and the page.
async fn submit(c: &Client, action: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
    let r = c.form(action, fields).await;
    let (status, to) = (r.status(), location(&r));
    (status, to, r.text().await.unwrap_or_default())
}

/// The `href` of the element with `id` in `html` (entities unescaped).
fn href_of(html: &str, class_or_id: &str) -> Option<String> {
    let at = html
        .find(&format!("id=\"{class_or_id}\""))
        .or_else(|| html.find(&format!("small {class_or_id}\"")))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..tag_start + html[tag_start..].find('>')?];
    let h = tag.find("href=\"")? + 6;
    Some(
        tag[h..h + tag[h..].find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn a_street_office_closes_every_kind_of_gap_where_it_is_shown() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    // A building with a joint branch already in it, a joint branch in the street with
    // room, a full one, and one in the next street.
    let tower = app
        .store
        .create_carrier(
            &sys(),
            CarrierFields::parse("甲金融大厦", "楼宇", true, STREET_A, "某路9号", None).expect("carrier"),
        )
        .await
        .expect("carrier")
        .id;
    let in_tower = unit(&app, "甲大厦一号公司", STREET_A, Some(tower), 100).await;
    let tower_branch = joint(&app, "甲金融大厦联合党支部", STREET_A, &[in_tower]).await;
    let mut five = Vec::new();
    for i in 0..5 {
        five.push(unit(&app, &format!("甲满员{i}号公司"), STREET_A, None, 110 + i).await);
    }
    let full = joint(&app, "甲满员联合党支部", STREET_A, &five).await;
    let loose = unit(&app, "甲散户公司", STREET_A, None, 120).await;
    let roomy = joint(&app, "甲街道第2联合党支部", STREET_A, &[loose]).await;
    let b_unit = unit(&app, "乙散户公司", STREET_B, None, 121).await;
    joint(&app, "乙联合党支部", STREET_B, &[b_unit]).await;
    // Four uncovered units: one in the tower.
    let joiner = unit(&app, "甲大厦二号公司", STREET_A, Some(tower), 130).await;
    let guided = unit(&app, "甲小微公司", STREET_A, None, 131).await;
    let founder = unit(&app, "甲新办公司", STREET_A, None, 132).await;
    let before = figures(&app).await;
    let uncovered = before["units_uncovered"].as_i64().expect("count");
    assert_eq!(uncovered, 3, "{before}");

    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let list = "/coverage/gaps/uncovered_units";
    let page = c.page(list).await;
    for unit in [joiner, guided, founder] {
        assert!(page.contains(&format!("/units/{unit}/join?next=")), "{page}");
        assert!(page.contains(&format!("/units/{unit}/instructor?next=")), "{page}");
        assert!(page.contains(&format!("/orgs/new?unit={unit}&#38;next=")), "{page}");
    }

    // 1. Join: the tower's branch first, then the street's; never the full one or the
    // next street's.
    let join = href_of(&c.page(&format!("/units/{joiner}")).await, "join").expect("a join action");
    assert!(join.starts_with(&format!("/units/{joiner}/join?next=")), "{join}");
    let offers = c.page(&join).await;
    let tower_at = offers.find("甲金融大厦联合党支部").expect("the tower's branch offered");
    let street_at = offers.find("甲街道第2联合党支部").expect("the street's branch offered");
    assert!(tower_at < street_at, "nearest first: {offers}");
    assert!(offers.contains("同一楼宇或园区"), "{offers}");
    assert!(!offers.contains("甲满员联合党支部"), "a full branch offered: {offers}");
    assert!(
        !offers.contains("乙联合党支部"),
        "another street's branch offered: {offers}"
    );
    let next = format!("/units/{joiner}");
    let (status, to, body) = submit(
        &c,
        &format!("/units/{joiner}/join"),
        &[("org_id", &tower_branch.to_string()), ("next", &next)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to, next);
    let (_, org) = c.get(&format!("/api/v1/orgs/{tower_branch}")).await;
    assert_eq!(org["unit_ids"].as_array().map(Vec::len), Some(2), "{org}");
    let after = figures(&app).await;
    assert_eq!(after["units_uncovered"], uncovered - 1);
    assert_eq!(
        after["units_org_covered"],
        before["units_org_covered"].as_i64().expect("n") + 1
    );

    // A full branch is refused beside the offers, and nothing is written.
    let (status, _, body) = submit(&c, &format!("/units/{guided}/join"), &[("org_id", &full.to_string())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("已达规定上限"), "{body}");
    let (_, org) = c.get(&format!("/api/v1/orgs/{full}")).await;
    assert_eq!(org["unit_ids"].as_array().map(Vec::len), Some(5));
    // Another street's branch does not exist for this office.
    let (status, _, _) = submit(&c, &format!("/units/{b_unit}/join"), &[("org_id", &roomy.to_string())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 2. An instructor, recorded and assigned from the gap list; back to the list.
    let back = format!("{list}?page=1");
    let (status, to, body) = submit(
        &c,
        &format!("/units/{guided}/instructor"),
        &[("new_name", "赵指导员"), ("new_phone", "13912345678"), ("next", &back)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to, back);
    let (_, u) = c.get(&format!("/api/v1/units/{guided}")).await;
    assert_eq!(u["instructor_name"], "赵指导员", "{u}");
    let after = figures(&app).await;
    assert_eq!(after["units_uncovered"], uncovered - 2);
    // The same instructor, named in the picker, for another unit (a bad name is refused).
    let (status, _, body) = submit(
        &c,
        &format!("/units/{founder}/instructor"),
        &[("instructor", "钱指导员")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("找不到"), "{body}");

    // 3. Its own organisation, from the prefilled founding form.
    let found = href_of(&c.page(&format!("/units/{founder}")).await, "found").expect("a found action");
    let form = c.page(&found).await;
    let fields = form_fields(&form);
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert_eq!(get("name"), "甲新办公司党支部", "{form}");
    assert_eq!(get("kind"), "branch");
    assert_eq!(get("unit_ids__keep"), founder.to_string());
    assert_eq!(get("division"), "南京西路街道 · 静安区");
    assert_eq!(get("next"), format!("/units/{founder}"));
    let r = c
        .http
        .post(format!("{}/orgs/new", c.base))
        .form(&fields)
        .send()
        .await
        .expect("found");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let after = figures(&app).await;
    assert_eq!(after["units_uncovered"], 0, "{after}");
    let page = c.page(list).await;
    assert!(page.contains("id=\"total\"") && !page.contains("/join?next="), "{page}");

    // 4. A term that has run out, renewed from the renewals list: the rule's three years.
    let (_, o) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/orgs/{}", a.org),
            Some(serde_json::json!({"version": o["version"], "term_ends_on": "2025-06-30"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let renewals = c.page("/coverage/gaps/renewals").await;
    let renew = href_of(&renewals, "renew").expect("a renew action");
    assert!(renew.starts_with(&format!("/orgs/{}/renew?next=", a.org)), "{renew}");
    let form = c.page(&renew).await;
    assert!(form.contains("id=\"term-rule\""), "{form}");
    let (_, o) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    let (status, to, body) = submit(
        &c,
        &format!("/orgs/{}/renew", a.org),
        &[
            ("version", &o["version"].to_string()),
            ("elected_on", "2026-07-01"),
            ("term_ends_on", ""),
            ("next", "/coverage/gaps/renewals"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert_eq!(to, "/coverage/gaps/renewals");
    let (_, o) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    assert_eq!(o["term_ends_on"], "2029-07-01", "{o}");
    let renewals = c.page("/coverage/gaps/renewals").await;
    assert!(!renewals.contains(&format!("/orgs/{}/renew", a.org)), "{renewals}");
    figures(&app).await;
}

/// A role that only reads sees the gaps but no way to close them, and the pages that
/// close them refuse it.
#[tokio::test]
async fn closing_a_gap_needs_the_right_to_write() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    let u = unit(&app, "甲小微公司", STREET_A, None, 140).await;
    let c = Client::new_account(&app, "viewer", Role::ServiceCentreStaff, Some(STREET_A), None).await;
    let page = c.page(&format!("/units/{u}")).await;
    assert!(!page.contains("id=\"closing\""), "{page}");
    for path in [format!("/units/{u}/join"), format!("/units/{u}/instructor")] {
        let r = c.http.get(format!("{}{path}", c.base)).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
}
