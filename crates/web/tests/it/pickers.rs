//! Pickers: reference fields take names (with their street), suggested as they are
//! typed and read on save within the caller's territory; a name that matches nothing, or
//! several records, or a record elsewhere is an error beside its field, never dropped.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;
use tongxin_domain::registry::UnitFields;
use tongxin_store::registry::UnitInput;

async fn unit(app: &App, name: &str, division: &str, n: u32) -> i64 {
    app.store
        .create_unit(
            &tongxin_store::Actor::system("t"),
            UnitInput {
                fields: UnitFields::parse(name, "企业", &credit_code(n), "10", division, "").expect("unit"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("unit")
        .id
        .0
}

/// Posts a record form; answers the status and the page.
async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form(path, fields).await;
    (r.status(), r.text().await.unwrap_or_default())
}

#[tokio::test]
async fn a_picker_suggests_records_of_the_territory_with_their_street() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    // htmx asks with the field's own name; the answer is the list alone.
    let r = c
        .http
        .get(format!(
            "{}/pick/units?field=unit_ids&unit_ids={}",
            c.base,
            urlencode("科技")
        ))
        .header("hx-request", "true")
        .send()
        .await
        .expect("pick");
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.expect("text");
    assert!(!html.contains("<html"), "a partial: {html}");
    assert!(html.contains("甲科技有限公司"), "{html}");
    assert!(html.contains("南京西路街道"), "the street is shown: {html}");
    assert!(html.contains("data-label=\"甲科技有限公司 · 南京西路街道\""), "{html}");
    assert!(!html.contains("乙科技"), "another street's unit offered: {html}");
    // Without JavaScript the same address is a search page.
    let page = c.page(&format!("/pick/units?q={}", urlencode("科技"))).await;
    assert!(
        page.contains("<html") && page.contains("甲科技有限公司 · 南京西路街道"),
        "{page}"
    );
    assert!(!page.contains("乙科技"), "{page}");
    // Each kind of reference has its picker; an unknown one is not found.
    for target in ["divisions", "carriers", "orgs", "instructors"] {
        let r = c
            .http
            .get(format!("{}/pick/{target}?q=", c.base))
            .send()
            .await
            .expect("pick");
        assert_eq!(r.status(), StatusCode::OK, "{target}");
    }
    let r = c
        .http
        .get(format!("{}/pick/accounts", c.base))
        .send()
        .await
        .expect("pick");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A list's division filter takes the name; an unknown name is a translated error.
    let admin = Client::login(&app, "admin", PASSWORD).await;
    let list = admin
        .page(&format!("/units?division={}", urlencode("南京西路街道")))
        .await;
    assert!(
        list.contains("甲科技有限公司") && !list.contains("乙科技有限公司"),
        "{list}"
    );
    assert!(list.contains("value=\"南京西路街道 · 静安区\""), "{list}");
    let r = admin
        .http
        .get(format!("{}/units?division={}", admin.base, urlencode("火星街道")))
        .send()
        .await
        .expect("list");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.expect("text").contains("找不到"));
    // A division is found by name or code within the territory only.
    let page = c.page(&format!("/pick/divisions?q={}", urlencode("街道"))).await;
    assert!(page.contains("南京西路街道"), "{page}");
    assert!(!page.contains("静安寺街道"), "{page}");
}

/// The review's case: a joint branch is made of units named as the office knows them,
/// and a name from another street, a typo or a name two units share is refused beside
/// the field with what would match; nothing is written.
#[tokio::test]
async fn a_joint_branch_takes_units_by_name_and_refuses_what_it_cannot_name() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let second = unit(&app, "甲贸易有限公司", STREET_A, 900).await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let count = || async { app.store.audit_count("create").await.expect("count") };
    let before = count().await;
    let branch = [
        ("name", "甲联合党支部"),
        ("kind", "joint_branch"),
        ("division", "南京西路街道"),
        ("secretary", "李四"),
    ];
    for (units, expect, shown) in [
        // Another street's unit: as if it did not exist.
        (
            "甲贸易有限公司、乙科技有限公司",
            "您的辖区内找不到这个名称",
            "乙科技有限公司",
        ),
        // A typo: what is close is offered.
        ("甲贸易有限公", "相近的记录", "甲贸易有限公司 · 南京西路街道"),
    ] {
        let mut f = branch.to_vec();
        f.push(("unit_ids", units));
        let (status, page) = post(&c, "/orgs/new", &f).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{units}: {page}");
        assert!(page.contains("id=\"error-unit_ids\""), "{units}: {page}");
        assert!(page.contains(expect) && page.contains(shown), "{units}: {page}");
        assert_eq!(count().await, before, "{units}: something was written");
    }
    // The office's own id-typing habit no longer slips through: an id is not a name.
    let mut f = branch.to_vec();
    let id = a.unit.to_string();
    f.push(("unit_ids", &id));
    let (status, page) = post(&c, "/orgs/new", &f).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    // A kept checkbox of a foreign unit (a forged form) is refused too.
    let mut f = branch.to_vec();
    let foreign = b.unit.to_string();
    f.push(("unit_ids__keep", &foreign));
    f.push(("unit_ids", "甲贸易有限公司"));
    let (status, page) = post(&c, "/orgs/new", &f).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"error-unit_ids\""), "{page}");
    assert_eq!(count().await, before);

    // Names as the office writes them, one kept by the picker: saved with both units.
    let mut f = branch.to_vec();
    f.push(("unit_ids__keep", &id));
    f.push(("unit_ids", "甲贸易有限公司"));
    let (status, page) = post(&c, "/orgs/new", &f).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{page}");
    let (_, orgs) = c.get(&format!("/api/v1/orgs?q={}", urlencode("甲联合党支部"))).await;
    let org = &orgs["items"][0];
    let mut units: Vec<i64> = org["unit_ids"]
        .as_array()
        .expect("units")
        .iter()
        .filter_map(|v| v.as_i64())
        .collect();
    units.sort();
    assert_eq!(units, vec![a.unit.0, second], "{org}");
    assert_eq!(org["division_code"], STREET_A);

    // Its edit form shows the units by name with their street, never an id to type.
    let edit = c.page(&format!("/orgs/{}/edit", org["id"])).await;
    assert!(edit.contains("甲贸易有限公司 · 南京西路街道"), "{edit}");
    assert!(edit.contains("name=\"unit_ids__keep\""), "{edit}");
    assert!(edit.contains("value=\"南京西路街道 · 静安区\""), "{edit}");
    // Unticking one unit and saving the rest as shown leaves one unit.
    let fields: Vec<(String, String)> = form_fields(&edit)
        .into_iter()
        .filter(|(k, v)| !(k == "unit_ids__keep" && *v == second.to_string()))
        .collect();
    let r = c
        .http
        .post(format!("{}/orgs/{}/edit", c.base, org["id"]))
        .form(&fields)
        .send()
        .await
        .expect("save");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (_, after) = c.get(&format!("/api/v1/orgs/{}", org["id"])).await;
    assert_eq!(after["unit_ids"], serde_json::json!([a.unit.0]), "{after}");
}

/// Two records of one name: the picker's label (name · street) tells them apart, and a
/// bare name is refused with both offered.
#[tokio::test]
async fn a_name_two_records_share_needs_its_street() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    unit(&app, "同名便利店", STREET_A, 901).await;
    let other = unit(&app, "同名便利店", STREET_B, 902).await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (_, m) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let fields = |work: &'static str| {
        vec![
            ("version".to_string(), m["version"].to_string()),
            ("work_unit_id".to_string(), work.to_string()),
        ]
    };
    let send = |f: Vec<(String, String)>| {
        let mut all = vec![("csrf".to_string(), c.csrf.clone())];
        all.extend(f);
        c.http
            .post(format!("{}/members/{}/edit", c.base, a.member))
            .form(&all)
            .send()
    };
    let r = send(fields("同名便利店")).await.expect("save");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("text");
    assert!(page.contains("有多条同名记录"), "{page}");
    assert!(
        page.contains("同名便利店 · 南京西路街道") && page.contains("同名便利店 · 静安寺街道"),
        "{page}"
    );
    let r = send(fields("同名便利店 · 静安寺街道")).await.expect("save");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (_, after) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    assert_eq!(after["work_unit_id"], other, "{after}");
    // The fields the form did not carry are as they were.
    assert_eq!(after["org_id"], m["org_id"]);
    assert_eq!(after["name"], m["name"]);
    assert_eq!(after["phone_masked"], m["phone_masked"]);
}
