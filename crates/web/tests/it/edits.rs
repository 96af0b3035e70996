//! An edit writes only what the user changed: through the API, the console and import,
//! a field not sent is never written. Each field of each record kind is edited in turn
//! and every other field is checked to have survived.

use crate::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tongxin_domain::codes::DivisionCode;

/// Keys of a record view that may change with an edit of `field` (its own key, its labels
/// and the bookkeeping).
fn follows(field: &str) -> Vec<&'static str> {
    let mut keys = vec!["version", "updated_at"];
    keys.extend(match field {
        "kind" => vec!["kind", "kind_label"],
        "status" => vec!["status", "status_label"],
        "division" => vec!["division_code", "division_name"],
        "carrier_id" => vec!["carrier_id", "carrier_name"],
        "instructor_id" => vec!["instructor_id", "instructor_name"],
        "parent_id" => vec!["parent_id", "parent_name", "path"],
        "unit_ids" => vec!["unit_ids", "unit_names"],
        "org_id" => vec!["org_id", "org_name"],
        "work_unit_id" => vec!["work_unit_id", "work_unit_name"],
        "resident_id" => vec!["resident_id_masked"],
        "phone" => vec!["phone_masked"],
        "lng" | "lat" => vec!["lng", "lat"],
        "name" => vec!["name"],
        "credit_code" => vec!["credit_code"],
        "employees" => vec!["employees"],
        "address" => vec!["address"],
        "is_key" => vec!["is_key"],
        "secretary" => vec!["secretary"],
        "founded_on" => vec!["founded_on"],
        "term_ends_on" => vec!["term_ends_on"],
        "joined_on" => vec!["joined_on"],
        // Nothing but the bookkeeping.
        "version" => vec![],
        other => panic!("no rule for {other}"),
    });
    keys
}

fn without(v: &Value, keys: &[&str]) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        for k in keys {
            o.remove(*k);
        }
    }
    v
}

#[tokio::test]
async fn every_field_edited_alone_leaves_every_other_field_as_it_was() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let sys = tongxin_store::Actor::system("t");
    let street_a = DivisionCode::parse(STREET_A).expect("code");
    let ins = app
        .store
        .ensure_instructor(&sys, "甲指导员", None, &street_a)
        .await
        .expect("instructor");
    let c = Client::login(&app, "admin", PASSWORD).await;
    // A second carrier, unit and organisation to point at.
    let (_, c2) = c
        .call(
            "post",
            "/api/v1/carriers",
            Some(json!({"name": "甲二号楼", "kind": "楼宇", "division": STREET_A})),
        )
        .await;
    let (_, u2) = c
        .call(
            "post",
            "/api/v1/units",
            Some(json!({"name": "甲二公司", "kind": "企业", "division": STREET_A})),
        )
        .await;
    let (_, o2) = c
        .call(
            "post",
            "/api/v1/orgs",
            Some(json!({"name": "甲二党委", "kind": "党委", "division": STREET_A})),
        )
        .await;
    // Every optional field of the unit filled, the instructor among them.
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/units/{}", a.unit),
            Some(json!({"version": u["version"], "instructor_id": ins.id, "address": "某路2号"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, o) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/orgs/{}", a.org),
            Some(json!({"version": o["version"], "founded_on": "2019-03-12", "term_ends_on": "2027-03-11", "carrier_id": a.carrier})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (_, m) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/members/{}", a.member),
            Some(json!({"version": m["version"], "joined_on": "2010-07-01"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");

    let edits: Vec<(&str, i64, &str, Value)> = vec![
        ("carriers", a.carrier.0, "name", json!("甲大厦（新）")),
        ("carriers", a.carrier.0, "kind", json!("园区")),
        ("carriers", a.carrier.0, "is_key", json!(false)),
        ("carriers", a.carrier.0, "address", json!("某路9号")),
        ("carriers", a.carrier.0, "lng", json!(121.45)),
        ("carriers", a.carrier.0, "lat", json!(31.23)),
        ("carriers", a.carrier.0, "division", json!(STREET_B)),
        ("units", a.unit.0, "name", json!("甲科技有限公司（新）")),
        ("units", a.unit.0, "kind", json!("社会组织")),
        ("units", a.unit.0, "credit_code", json!(credit_code(9_001))),
        ("units", a.unit.0, "employees", json!(54)),
        ("units", a.unit.0, "address", json!("某路3号")),
        ("units", a.unit.0, "carrier_id", c2["id"].clone()),
        ("units", a.unit.0, "instructor_id", Value::Null),
        ("units", a.unit.0, "division", json!(STREET_B)),
        ("orgs", a.org.0, "name", json!("甲科技有限公司党支部（新）")),
        ("orgs", a.org.0, "secretary", json!("李四")),
        ("orgs", a.org.0, "founded_on", json!("2020-01-01")),
        ("orgs", a.org.0, "term_ends_on", json!("2028-01-01")),
        ("orgs", a.org.0, "parent_id", o2["id"].clone()),
        ("orgs", a.org.0, "unit_ids", json!([a.unit, u2["id"]])),
        ("orgs", a.org.0, "carrier_id", Value::Null),
        ("orgs", a.org.0, "kind", json!("党总支")),
        ("orgs", a.org.0, "division", json!(STREET_B)),
        ("members", a.member.0, "name", json!("甲党员（新）")),
        ("members", a.member.0, "status", json!("预备党员")),
        ("members", a.member.0, "phone", json!("13900139000")),
        ("members", a.member.0, "resident_id", json!(resident_id(777))),
        ("members", a.member.0, "joined_on", json!("2012-07-01")),
        ("members", a.member.0, "work_unit_id", u2["id"].clone()),
        ("members", a.member.0, "org_id", o2["id"].clone()),
    ];
    for (kind, id, field, value) in edits {
        let path = format!("/api/v1/{kind}/{id}");
        let (_, before) = c.get(&path).await;
        let (status, v) = c
            .call("put", &path, Some(json!({"version": before["version"], field: value})))
            .await;
        assert_eq!(status, StatusCode::OK, "{kind} {field}: {v}");
        let (_, after) = c.get(&path).await;
        let keep = follows(field);
        assert_eq!(
            without(&after, &keep),
            without(&before, &keep),
            "editing {kind}.{field} changed another field"
        );
        assert_ne!(after, before, "editing {kind}.{field} changed nothing");
    }
}

/// The review's case: a street office changes 从业人数 in the console; the instructor,
/// which the form does not carry, stays.
#[tokio::test]
async fn a_console_edit_keeps_the_fields_its_form_does_not_carry() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let sys = tongxin_store::Actor::system("t");
    let ins = app
        .store
        .ensure_instructor(&sys, "甲指导员", None, &DivisionCode::parse(STREET_A).expect("code"))
        .await
        .expect("instructor");
    let c = Client::new_account(
        &app,
        "street_a",
        tongxin_domain::access::Role::StreetOffice,
        Some(STREET_A),
        None,
    )
    .await;
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let (status, _) = c
        .call(
            "put",
            &format!("/api/v1/units/{}", a.unit),
            Some(json!({"version": u["version"], "instructor_id": ins.id})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let r = c
        .http
        .post(format!("{}/units/{}/edit", c.base, a.unit))
        .form(&[
            ("csrf", c.csrf.as_str()),
            ("version", &u["version"].to_string()),
            ("name", u["name"].as_str().unwrap_or("")),
            ("kind", u["kind"].as_str().unwrap_or("")),
            ("credit_code", u["credit_code"].as_str().unwrap_or("")),
            ("employees", "54"),
            ("division", STREET_A),
            ("carrier_id", "甲大厦"),
            ("address", ""),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (_, after) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    assert_eq!(after["employees"], 54);
    assert_eq!(after["instructor_id"], ins.id.0, "{after}");
}

/// A sheet that carries only some columns changes only those: the carrier and the
/// instructor of a unit survive a sheet of names and head counts.
#[tokio::test]
async fn an_import_writes_only_the_columns_it_carries() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let sys = tongxin_store::Actor::system("t");
    let ins = app
        .store
        .ensure_instructor(&sys, "甲指导员", None, &DivisionCode::parse(STREET_A).expect("code"))
        .await
        .expect("instructor");
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    c.call(
        "put",
        &format!("/api/v1/units/{}", a.unit),
        Some(json!({"version": u["version"], "instructor_id": ins.id, "address": "某路2号"})),
    )
    .await;
    let (_, before) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let csv = format!(
        "单位名称,统一社会信用代码,所属街道,从业人数\n{},{},南京西路街道,99\n",
        before["name"].as_str().unwrap_or(""),
        before["credit_code"].as_str().unwrap_or("")
    );
    let (status, r) = c
        .import("?kind=units", vec![("units.csv".into(), csv.into_bytes())])
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let (_, after) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    assert_eq!(after["employees"], 99);
    let keep = follows("employees");
    assert_eq!(without(&after, &keep), without(&before, &keep));
}

/// Every kind's console form, sent back as shown, changes nothing; one field changed in
/// it changes that field alone (the form carries fewer fields than the record has: the
/// rest must survive).
#[tokio::test]
async fn every_console_form_saved_as_shown_changes_nothing_else() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let sys = tongxin_store::Actor::system("t");
    let ins = app
        .store
        .ensure_instructor(&sys, "甲指导员", None, &DivisionCode::parse(STREET_A).expect("code"))
        .await
        .expect("instructor");
    let c = Client::login(&app, "admin", PASSWORD).await;
    // Fields a form may not carry, filled.
    for (path, body) in [
        (
            format!("/api/v1/units/{}", a.unit),
            json!({"instructor_id": ins.id, "address": "某路2号"}),
        ),
        (
            format!("/api/v1/orgs/{}", a.org),
            json!({"founded_on": "2019-03-12", "term_ends_on": "2027-03-11", "carrier_id": a.carrier}),
        ),
        (
            format!("/api/v1/members/{}", a.member),
            json!({"joined_on": "2010-07-01"}),
        ),
        (
            format!("/api/v1/carriers/{}", a.carrier),
            json!({"lng": 121.45, "lat": 31.23}),
        ),
    ] {
        let (_, before) = c.get(&path).await;
        let mut body = body;
        body["version"] = before["version"].clone();
        let (status, v) = c.call("put", &path, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    }
    for (kind, id, name) in [
        ("carriers", a.carrier.0, "甲大厦（改）"),
        ("units", a.unit.0, "甲科技有限公司（改）"),
        ("orgs", a.org.0, "甲科技有限公司党支部（改）"),
        ("members", a.member.0, "甲党员（改）"),
    ] {
        let api = format!("/api/v1/{kind}/{id}");
        for change in [false, true] {
            let (_, before) = c.get(&api).await;
            let html = c.page(&format!("/{kind}/{id}/edit")).await;
            let mut fields = form_fields(&html);
            assert!(fields.iter().any(|(k, _)| k == "name"), "{kind}: {fields:?}");
            if change {
                for (k, v) in fields.iter_mut() {
                    if k == "name" {
                        *v = name.to_string();
                    }
                }
            }
            let r = c
                .http
                .post(format!("{}/{kind}/{id}/edit", c.base))
                .form(&fields)
                .send()
                .await
                .expect("save");
            assert_eq!(
                r.status(),
                StatusCode::SEE_OTHER,
                "{kind}: {}",
                r.text().await.unwrap_or_default()
            );
            let (_, after) = c.get(&api).await;
            let keep = if change { follows("name") } else { follows("version") };
            assert_eq!(
                without(&after, &keep),
                without(&before, &keep),
                "{kind}: the console form {} changed another field",
                if change { "with a new name" } else { "saved as shown" }
            );
            if change {
                assert_eq!(after["name"], name);
            }
        }
    }
}

/// Carriers, organisations and members too: a sheet of some columns leaves the rest of
/// each record (coordinates, dates, carrier, work unit) as it was.
#[tokio::test]
async fn an_import_of_each_kind_writes_only_the_columns_it_carries() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    for (path, body) in [
        (
            format!("/api/v1/carriers/{}", a.carrier),
            json!({"lng": 121.45, "lat": 31.23, "address": "某路1号"}),
        ),
        (
            format!("/api/v1/orgs/{}", a.org),
            json!({"founded_on": "2019-03-12", "term_ends_on": "2027-03-11", "carrier_id": a.carrier, "secretary": "张三"}),
        ),
        (
            format!("/api/v1/members/{}", a.member),
            json!({"joined_on": "2010-07-01", "work_unit_id": a.unit}),
        ),
    ] {
        let (_, before) = c.get(&path).await;
        let mut body = body;
        body["version"] = before["version"].clone();
        let (status, v) = c.call("put", &path, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    }
    let (_, carrier) = c.get(&format!("/api/v1/carriers/{}", a.carrier)).await;
    let (_, org) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    let member_id = app
        .store
        .reveal_member(&tongxin_store::Actor::system("t"), a.member)
        .await
        .expect("reveal")
        .resident_id;
    let (_, member) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let cases = [
        (
            "carriers",
            format!("/api/v1/carriers/{}", a.carrier),
            format!(
                "载体名称,载体类型,所属街道,地址\n{},{},南京西路街道,某路9号\n",
                carrier["name"].as_str().unwrap_or(""),
                carrier["kind_label"].as_str().unwrap_or("")
            ),
            "address",
        ),
        (
            "orgs",
            format!("/api/v1/orgs/{}", a.org),
            format!(
                "党组织名称,组织类别,所属街道,书记\n{},{},南京西路街道,李四\n",
                org["name"].as_str().unwrap_or(""),
                org["kind_label"].as_str().unwrap_or("")
            ),
            "secretary",
        ),
        (
            "members",
            format!("/api/v1/members/{}", a.member),
            format!(
                "姓名,党员类别,身份证号,所在党组织,手机\n{},{},{member_id},{},13900139000\n",
                member["name"].as_str().unwrap_or(""),
                member["status_label"].as_str().unwrap_or(""),
                org["name"].as_str().unwrap_or("")
            ),
            "phone",
        ),
    ];
    for (kind, path, csv, changed) in cases {
        let (_, before) = c.get(&path).await;
        let (status, r) = c
            .import(
                &format!("?kind={kind}"),
                vec![(format!("{kind}.csv"), csv.into_bytes())],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{kind}: {r}");
        assert_eq!(r["sheets"][0]["updated"], 1, "{kind}: {r}");
        let (_, after) = c.get(&path).await;
        let keep = follows(changed);
        assert_eq!(
            without(&after, &keep),
            without(&before, &keep),
            "an import of {kind} changed a column it does not carry"
        );
        assert_ne!(after, before, "{kind}: the import changed nothing");
    }
}

/// A console form marks every field at fault at once (not only the first), offers a date
/// picker for dates and a phone pad for phones, and a way back without saving.
#[tokio::test]
async fn a_form_marks_every_bad_field_at_once() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let r = c
        .http
        .post(format!("{}/members/new", c.base))
        .form(&[
            ("csrf", c.csrf.as_str()),
            ("name", ""),
            ("status", "full"),
            ("resident_id", "310106199001011234"),
            ("phone", "123"),
            ("org_id", "甲科技有限公司党支部"),
            ("joined_on", "2010-13-45"),
        ])
        .send()
        .await
        .expect("save");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("text");
    for field in ["name", "resident_id", "phone", "joined_on"] {
        assert!(
            page.contains(&format!("id=\"error-{field}\"")),
            "{field} not marked: {page}"
        );
    }
    assert!(
        page.contains("name=\"joined_on\"") && page.contains("type=\"date\""),
        "{page}"
    );
    assert!(page.contains("type=\"tel\" inputmode=\"tel\""), "{page}");
    assert!(page.contains("id=\"cancel\" href=\"/members\""), "{page}");
    let edit = c.page(&format!("/members/{}/edit", a.member)).await;
    assert!(
        edit.contains(&format!("id=\"cancel\" href=\"/members/{}\"", a.member)),
        "{edit}"
    );
}

/// A record's history reads as people write it: actions in words, fields by their
/// labels, values without JSON quotes, the operator named; no internal keys.
#[tokio::test]
async fn history_is_a_labelled_diff_in_words() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/units/{}", a.unit),
            Some(json!({"version": u["version"], "employees": 54})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let page = c.page(&format!("/units/{}", a.unit)).await;
    let history = &page[page.find("id=\"history\"").expect("a history table")..];
    assert!(history.contains("从业人数: 30 → 54"), "{history}");
    assert!(history.contains("修改") && history.contains("admin"), "{history}");
    for internal in ["updated_at", "\"version\"", "&quot;", "employees:"] {
        assert!(!history.contains(internal), "{internal} in {history}");
    }
}

/// A record page shows what people need, not bookkeeping: no 版本 (version) row.
#[tokio::test]
async fn record_pages_show_no_internal_fields() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    for path in [
        format!("/carriers/{}", a.carrier),
        format!("/units/{}", a.unit),
        format!("/orgs/{}", a.org),
        format!("/members/{}", a.member),
    ] {
        let page = c.page(&path).await;
        assert!(page.contains("<h1"), "{path}: {page}");
        assert!(!page.contains("版本"), "{path} shows its version");
    }
}

/// Category values read as words in the page's language, in a record's properties and
/// its history, never as stored codes (`branch`).
#[tokio::test]
async fn category_values_read_as_words_in_history_and_properties() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let (_, o) = c.get(&format!("/api/v1/orgs/{}", a.org)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/orgs/{}", a.org),
            Some(json!({"version": o["version"], "kind": "党总支"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let page = |lang: &'static str| {
        let c = &c;
        let org = a.org;
        async move {
            c.page(&format!("/lang?to={lang}")).await;
            c.page(&format!("/orgs/{org}")).await
        }
    };
    let zh = page("zh-CN").await;
    assert!(zh.contains("党支部 → 党总支"), "{zh}");
    assert!(!zh.contains("branch"), "a stored code on the page: {zh}");
    let en = page("en").await;
    assert!(en.contains("Branch → General branch"), "{en}");
    assert!(
        en.contains("<td>General branch</td>") || en.contains(">General branch<"),
        "{en}"
    );
}

/// On an English page every category value is a word of English: list cells, filter and
/// form options, a unit's organisations and links, a member's status, chain coverage and
/// gap lists — never the stored Chinese label.
#[tokio::test]
async fn every_category_value_reads_in_english_on_an_english_page() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_A, "乙").await;
    let sys = tongxin_store::Actor::system("t");
    app.store
        .link_units(
            &sys,
            a.unit,
            tongxin_domain::registry::UnitLinkKind::HeadquartersOf,
            b.unit,
        )
        .await
        .expect("link");
    // A unit no organisation covers, for the gap list.
    app.store
        .create_unit(
            &sys,
            tongxin_store::registry::UnitInput {
                fields: tongxin_domain::registry::UnitFields::parse(
                    "丙科技有限公司",
                    "企业",
                    &credit_code(9_999),
                    "5",
                    STREET_A,
                    "",
                )
                .expect("fields"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("unit");
    let c = Client::login(&app, "admin", PASSWORD).await;
    c.page("/lang?to=en").await;
    // Category words of the fixtures and of every option; none is part of a name here.
    let chinese = [
        "楼宇",
        "园区",
        "商圈",
        "企业",
        "事业单位",
        "社会组织",
        "机关",
        "党委",
        "党总支",
        "联合党支部",
        "正式党员",
        "预备党员",
        "总部",
        "加盟商",
        "供应商",
        "不在载体内",
    ];
    let pages = [
        ("/carriers".to_string(), "Building"),
        ("/units".into(), "Enterprise"),
        ("/orgs".into(), "Branch"),
        ("/members".into(), "Full member"),
        ("/carriers/new".into(), "Business district"),
        ("/units/new".into(), "Public institution"),
        ("/orgs/new".into(), "Joint branch"),
        ("/members/new".into(), "Probationary member"),
        (format!("/units/{}", a.unit), "→ Headquarters"),
        (format!("/units/{}", b.unit), "← Headquarters"),
        (format!("/orgs/{}", a.org), "Branch"),
        (format!("/members/{}", a.member), "Full member"),
        (format!("/coverage/chain/{}", a.unit), "Headquarters"),
        ("/coverage/gaps/uncovered_units".into(), "Enterprise"),
    ];
    for (path, english) in pages {
        let page = c.page(&path).await;
        assert!(page.contains(english), "{path}: no {english}: {page}");
        for word in chinese {
            let at = page.find(word).map(|i| {
                let from = page.floor_char_boundary(i.saturating_sub(120));
                &page[from..page.ceil_char_boundary(i + 60)]
            });
            assert!(at.is_none(), "{path}: {word} on an English page: {at:?}");
        }
    }
}
