//! Findings of the security review, each with the call that exploited it: they must stay
//! refused.

use crate::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tongxin_domain::access::Role;
use tongxin_domain::codes::{DivisionCode, ResidentId};

/// A browser-like client (cookies, no redirects followed) that is not logged in.
fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn a_masked_id_is_matched_exactly_and_never_guessed_digit_by_digit() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let (_, m) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let masked = m["resident_id_masked"].as_str().expect("masked").to_string();
    let full = app
        .store
        .reveal_member(&tongxin_store::Actor::system("t"), a.member)
        .await
        .expect("reveal")
        .resident_id;

    // The masked form as shown finds the member.
    let (status, v) = c.get(&format!("/api/v1/members?q={masked}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["total"], 1, "{v}");

    // One more digit shown than the mask: refused in a URL, and matches nothing in a body.
    let guess = format!("{}{}", &full[..5], &masked[5..]);
    let (status, v) = c.get(&format!("/api/v1/members?q={guess}")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "request.personal_data_in_url");
    let (status, v) = c
        .call("post", "/api/v1/members/search", Some(json!({"q": guess})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["total"], 0, "a partly unmasked pattern matched: {v}");
    // Seventeen of eighteen shown: the same.
    let (_, v) = c
        .call(
            "post",
            "/api/v1/members/search",
            Some(json!({"q": format!("{}*", &full[..17])})),
        )
        .await;
    assert_eq!(v["total"], 0, "{v}");
}

#[tokio::test]
async fn references_to_another_territory_are_refused_and_not_named() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let sys = tongxin_store::Actor::system("t");
    let theirs = app
        .store
        .ensure_instructor(&sys, "乙指导员", None, &DivisionCode::parse(STREET_B).expect("code"))
        .await
        .expect("instructor");
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let before = snapshot(&app).await;

    let (_, m) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/members/{}", a.member),
            Some(json!({"version": m["version"], "work_unit_id": b.unit})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "registry.reference_invalid");

    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let (status, v) = c
        .call(
            "put",
            &format!("/api/v1/units/{}", a.unit),
            Some(json!({"version": u["version"], "instructor_id": theirs.id})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["code"], "registry.reference_invalid");
    assert_eq!(snapshot(&app).await, before);

    // A network link to a unit of another street is shown, its unit not named.
    app.store
        .link_units(
            &sys,
            a.unit,
            tongxin_domain::registry::UnitLinkKind::HeadquartersOf,
            b.unit,
        )
        .await
        .expect("link");
    let (status, v) = c.get(&format!("/api/v1/units/{}/links", a.unit)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v[0]["other_unit_id"], serde_json::Value::Null, "{v}");
    assert!(!v.to_string().contains("乙"), "{v}");
    // So is an organisation of another street that covers a unit here.
    let theirs_org = app.store.get_org(&sys, b.org).await.expect("org");
    app.store
        .update_org(
            &sys,
            b.org,
            theirs_org.version,
            &tongxin_store::registry::OrgPatch {
                unit_ids: Some(vec![b.unit, a.unit]),
                ..Default::default()
            },
        )
        .await
        .expect("attach");
    assert!(theirs_org.name.contains("乙科技"), "{}", theirs_org.name);
    let page = c.page(&format!("/units/{}", a.unit)).await;
    assert!(
        !page.contains("乙科技"),
        "the unit page names a unit or organisation outside the territory"
    );
    assert!(
        page.contains("辖区外的党组织"),
        "the covering organisation is not counted"
    );
}

#[tokio::test]
async fn login_goes_back_only_to_this_site_and_needs_its_own_form() {
    let app = spawn().await;
    let http = browser_client();
    for next in [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
    ] {
        let page = page_at(&http, app.url(&format!("/login?next={next}"))).await;
        assert!(page.contains(r#"name="next" value="/""#), "{next} kept in the form");
    }
    // The login form's token and cookie (double submit).
    let page = page_at(&http, app.url("/login")).await;
    let token = page
        .split(r#"name="csrf" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("token")
        .to_string();
    let r = http
        .post(app.url("/login"))
        .form(&[
            ("username", "admin"),
            ("password", PASSWORD),
            ("csrf", token.as_str()),
            ("next", "/\t/evil.example"),
        ])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/");

    // A form posted from another site has no cookie of ours: refused (login CSRF).
    let r = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", PASSWORD), ("csrf", token.as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.headers()
            .get("set-cookie")
            .is_none_or(|c| !c.to_str().unwrap_or("").contains("tx_session="))
    );

    // A login body is small.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(format!(r#"{{"username":"{}","password":"x"}}"#, "a".repeat(100_000)))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn opening_a_member_form_reveals_nothing() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let full = app
        .store
        .reveal_member(&tongxin_store::Actor::system("t"), a.member)
        .await
        .expect("reveal")
        .resident_id;
    let reveals = app.store.audit_count("reveal").await.expect("count");
    let page = c.page(&format!("/members/{}/edit", a.member)).await;
    assert!(!page.contains(&full), "the edit form shows the full ID");
    assert_eq!(app.store.audit_count("reveal").await.expect("count"), reveals);

    // Saving the form as shown (masked values) changes neither the ID nor the phone.
    let (_, before) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    let r = c
        .http
        .post(format!("{}/members/{}/edit", c.base, a.member))
        .form(&[
            ("csrf", c.csrf.as_str()),
            ("version", &before["version"].to_string()),
            ("name", "甲党员（改）"),
            ("status", "full"),
            ("resident_id", before["resident_id_masked"].as_str().unwrap_or("")),
            ("phone", before["phone_masked"].as_str().unwrap_or("")),
            ("org_id", "甲科技有限公司党支部"),
            ("work_unit_id", "甲科技有限公司"),
            ("joined_on", ""),
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
    let after = app
        .store
        .reveal_member(&tongxin_store::Actor::system("t"), a.member)
        .await
        .expect("reveal");
    assert_eq!(after.resident_id, full);
    assert_eq!(after.phone.as_deref(), Some("13800138000"));
    let (_, v) = c.get(&format!("/api/v1/members/{}", a.member)).await;
    assert_eq!(v["name"], "甲党员（改）");

    // The reveal answer is not to be cached.
    let r = c
        .http
        .post(format!("{}/api/v1/members/{}/reveal", c.base, a.member))
        .header("x-csrf-token", &c.csrf)
        .send()
        .await
        .expect("reveal");
    assert_eq!(r.headers()["cache-control"], "no-store");
    // Nor the console's page that shows them.
    let r = c
        .http
        .post(format!("{}/members/{}/reveal", c.base, a.member))
        .form(&[("csrf", c.csrf.as_str())])
        .send()
        .await
        .expect("reveal page");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(r.text().await.unwrap_or_default().contains(&full));
    let _ = ResidentId::parse(&full).expect("a real ID");
}

#[tokio::test]
async fn exports_need_the_export_right() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    let c = Client::new_account(&app, "member_a", Role::Member, Some(STREET_A), None).await;
    for path in [
        "/api/v1/export/members".to_string(),
        format!("/api/v1/coverage/gaps/uncovered_units?division={STREET_A}&format=xlsx"),
        format!("/coverage/gaps/uncovered_units?division={STREET_A}&format=xlsx"),
    ] {
        let r = c.http.get(format!("{}{path}", c.base)).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            !r.headers()["content-type"]
                .to_str()
                .unwrap_or("")
                .contains("spreadsheetml"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_old_export_cannot_revert_a_newer_edit() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let old = c
        .http
        .get(format!("{}/api/v1/export/units?division={STREET_A}", c.base))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("bytes")
        .to_vec();
    // Someone edits the unit after the export.
    let (_, u) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    let (status, _) = c
        .call(
            "put",
            &format!("/api/v1/units/{}", a.unit),
            Some(json!({"version": u["version"], "employees": 31})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // The old file, imported, would put 30 back: refused, naming the record's versions.
    let (status, v) = c.import("", vec![("units.xlsx".into(), old)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(v["errors"][0]["code"], "registry.stale_edit", "{v}");
    let (_, now) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    assert_eq!(now["employees"], 31);
}

/// Console rights are the API's rights: for every role, every console page answers
/// exactly when its API route does.
/// A console action (its page and form fields) and the API route that does the same
/// (method, path, body).
type Action<'a> = (String, Vec<(&'a str, String)>, &'a str, String, Option<Value>);

#[tokio::test]
async fn every_console_page_checks_the_right_of_its_api_route_for_every_role() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let roles: Vec<(&str, Role, Option<&str>, Option<i64>)> = vec![
        ("district", Role::DistrictOffice, Some("310106"), None),
        ("street", Role::StreetOffice, Some(STREET_A), None),
        ("centre", Role::ServiceCentreStaff, Some(STREET_A), None),
        ("secretary", Role::BranchSecretary, None, Some(a.org.0)),
        ("liaison", Role::UnitLiaison, Some(STREET_A), None),
        ("member", Role::Member, None, Some(a.org.0)),
        ("sysadmin", Role::SystemAdmin, None, None),
    ];
    for (name, role, division, org) in &roles {
        account(&app, name, *role, *division, *org).await;
    }
    let centre = app
        .store
        .create_centre(
            &tongxin_store::Actor::system("fixture"),
            &tongxin_domain::centres::CentreFields::parse("甲街道党群服务中心", "街道", STREET_A, "", None, "", "")
                .expect("centre"),
        )
        .await
        .expect("centre")
        .id
        .0;
    for (name, role, ..) in roles {
        let c = Client::login(&app, name, PASSWORD).await;
        // (console page, API method, API path, API body)
        let pairs: Vec<(String, &str, String, Option<Value>)> = vec![
            ("/import".into(), "post", "/api/v1/import".into(), None),
            ("/units/new".into(), "post", "/api/v1/units".into(), Some(json!({}))),
            ("/orgs/new".into(), "post", "/api/v1/orgs".into(), Some(json!({}))),
            ("/members/new".into(), "post", "/api/v1/members".into(), Some(json!({}))),
            (
                format!("/units/{}/edit", a.unit),
                "put",
                format!("/api/v1/units/{}", a.unit),
                Some(json!({"version": 0})),
            ),
            (
                format!("/orgs/{}/edit", a.org),
                "put",
                format!("/api/v1/orgs/{}", a.org),
                Some(json!({"version": 0})),
            ),
            (
                format!("/members/{}/edit", a.member),
                "put",
                format!("/api/v1/members/{}", a.member),
                Some(json!({"version": 0})),
            ),
            (
                format!("/units/{}", a.unit),
                "get",
                format!("/api/v1/units/{}", a.unit),
                None,
            ),
            (
                format!("/orgs/{}", a.org),
                "get",
                format!("/api/v1/orgs/{}", a.org),
                None,
            ),
            (
                format!("/units/{}", b.unit),
                "get",
                format!("/api/v1/units/{}", b.unit),
                None,
            ),
            (
                format!("/divisions/{STREET_A}"),
                "get",
                format!("/api/v1/divisions/{STREET_A}/children"),
                None,
            ),
            (
                "/divisions/310106".into(),
                "get",
                "/api/v1/divisions/310106/children".into(),
                None,
            ),
            (
                format!("/divisions/{STREET_B}"),
                "get",
                format!("/api/v1/divisions/{STREET_B}/children"),
                None,
            ),
            ("/carriers".into(), "get", "/api/v1/carriers".into(), None),
            ("/centres".into(), "get", "/api/v1/centres".into(), None),
            ("/centres/new".into(), "post", "/api/v1/centres".into(), Some(json!({}))),
            (
                format!("/centres/{centre}"),
                "get",
                format!("/api/v1/centres/{centre}"),
                None,
            ),
            (
                format!("/centres/{centre}/edit"),
                "put",
                format!("/api/v1/centres/{centre}"),
                Some(json!({"version": 0})),
            ),
            (
                "/carriers/new".into(),
                "post",
                "/api/v1/carriers".into(),
                Some(json!({})),
            ),
            (
                format!("/carriers/{}", a.carrier),
                "get",
                format!("/api/v1/carriers/{}", a.carrier),
                None,
            ),
            (
                format!("/carriers/{}/edit", a.carrier),
                "put",
                format!("/api/v1/carriers/{}", a.carrier),
                Some(json!({"version": 0})),
            ),
            ("/units".into(), "get", "/api/v1/units".into(), None),
            ("/orgs".into(), "get", "/api/v1/orgs".into(), None),
            ("/members".into(), "get", "/api/v1/members".into(), None),
            (
                format!("/members/{}", a.member),
                "get",
                format!("/api/v1/members/{}", a.member),
                None,
            ),
            (
                "/import/template/units".into(),
                "get",
                "/api/v1/import/template/units".into(),
                None,
            ),
            ("/coverage".into(), "get", "/api/v1/coverage/summary".into(), None),
            (
                "/coverage/screen".into(),
                "get",
                "/api/v1/coverage/summary".into(),
                None,
            ),
            (
                "/coverage/gaps/uncovered_units".into(),
                "get",
                "/api/v1/coverage/gaps/uncovered_units".into(),
                None,
            ),
            (
                "/coverage/gaps/uncovered_units?format=xlsx".into(),
                "get",
                "/api/v1/coverage/gaps/uncovered_units?format=xlsx".into(),
                None,
            ),
            (
                format!("/coverage/chain/{}", a.unit),
                "get",
                format!("/api/v1/coverage/chain/{}", a.unit),
                None,
            ),
        ];
        // Console actions (a form's POST) and the API route that does the same.
        let actions: Vec<Action> = vec![
            (
                format!("/members/{}/reveal", a.member),
                vec![],
                "post",
                format!("/api/v1/members/{}/reveal", a.member),
                None,
            ),
            (
                format!("/units/{}/archive", a.unit),
                vec![("version", "0".into()), ("archived", "true".into())],
                "post",
                format!("/api/v1/units/{}/archive", a.unit),
                Some(json!({"version": 0, "archived": true})),
            ),
            (
                format!("/orgs/{}/archive", a.org),
                vec![("version", "0".into()), ("archived", "true".into())],
                "post",
                format!("/api/v1/orgs/{}/archive", a.org),
                Some(json!({"version": 0, "archived": true})),
            ),
            (
                format!("/centres/{centre}/rooms"),
                vec![("room_name", "会议室".into()), ("room_capacity", "0".into())],
                "post",
                format!("/api/v1/centres/{centre}/rooms"),
                Some(json!({"name": "会议室", "capacity": 0})),
            ),
            (
                format!("/centres/{centre}/serve"),
                vec![("org", "不存在的党组织".into())],
                "post",
                format!("/api/v1/centres/{centre}/serves"),
                Some(json!({"org_id": 0})),
            ),
            (
                "/coverage/snapshot".into(),
                vec![],
                "post",
                "/api/v1/coverage/snapshots".into(),
                Some(json!({})),
            ),
        ];
        for (page, form, method, api, body) in actions {
            let mut fields = vec![("csrf", c.csrf.clone())];
            fields.extend(form);
            let console = c
                .http
                .post(format!("{}{page}", c.base))
                .form(&fields)
                .send()
                .await
                .expect("action")
                .status();
            let (status, v) = c.call(method, &api, body).await;
            let refused = |s: u16| matches!(s, 401 | 403 | 404);
            assert_eq!(
                refused(console.as_u16()),
                refused(status.as_u16()),
                "{name} ({role:?}): POST {page} answered {console}, {method} {api} answered {status}: {v}"
            );
        }
        for (page, method, api, body) in pairs {
            let console = c
                .http
                .get(format!("{}{page}", c.base))
                .send()
                .await
                .expect("page")
                .status();
            let (status, v) = c.call(method, &api, body).await;
            let api_allows = !matches!(status.as_u16(), 401 | 403 | 404);
            assert_eq!(
                console == StatusCode::OK,
                api_allows,
                "{name} ({role:?}): {page} answered {console}, {method} {api} answered {status}: {v}"
            );
        }
    }
}

/// Adding a member whose ID another territory holds says only "registered elsewhere"
/// (not where), is audited, and stops answering past an hourly allowance.
#[tokio::test]
async fn a_resident_id_held_elsewhere_is_no_oracle() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let theirs = app
        .store
        .reveal_member(&tongxin_store::Actor::system("t"), b.member)
        .await
        .expect("reveal")
        .resident_id;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let body = json!({"name": "某人", "status": "正式党员", "resident_id": theirs, "org_id": a.org});
    let audits = app.store.audit_count("member_elsewhere").await.expect("count");
    let (status, v) = c.call("post", "/api/v1/members", Some(body.clone())).await;
    assert_eq!(status, StatusCode::CONFLICT, "{v}");
    assert_eq!(v["code"], "registry.member.registered_elsewhere");
    assert!(
        v["message_zh"].as_str().is_some_and(|m| m.contains("组织关系转接")),
        "{v}"
    );
    assert!(
        !v.to_string().contains("乙") && !v.to_string().contains(STREET_B),
        "{v}"
    );
    assert_eq!(
        app.store.audit_count("member_elsewhere").await.expect("count"),
        audits + 1
    );

    // The same by import: a row error, audited.
    let csv = format!("姓名,党员类别,身份证号,所在党组织\n某人,正式党员,{theirs},甲科技有限公司党支部\n");
    let (_, v) = c
        .import("?kind=members", vec![("members.csv".into(), csv.into_bytes())])
        .await;
    assert_eq!(v["errors"][0]["code"], "registry.member.registered_elsewhere", "{v}");
    assert_eq!(
        app.store.audit_count("member_elsewhere").await.expect("count"),
        audits + 2
    );

    // Past the allowance, no answer at all.
    let mut last = StatusCode::OK;
    for _ in 0..tongxin_store::registry::ELSEWHERE_CHECKS_PER_HOUR {
        last = c.call("post", "/api/v1/members", Some(body.clone())).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let (_, v) = c.call("post", "/api/v1/members", Some(body)).await;
    assert_eq!(v["code"], "registry.member.checks_limited");
    // Past it, an ID nobody holds is refused alike: a refusal for held IDs alone would
    // itself be the answer.
    let free = json!({"name": "另一人", "status": "正式党员", "resident_id": resident_id(4242), "org_id": a.org});
    let (status, v) = c.call("post", "/api/v1/members", Some(free)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{v}");
    assert_eq!(v["code"], "registry.member.checks_limited");
    // And by import: every new member is refused alike, held or free.
    let csv = format!(
        "姓名,党员类别,身份证号,所在党组织\n另一人,正式党员,{},甲科技有限公司党支部\n某人,正式党员,{theirs},甲科技有限公司党支部\n",
        resident_id(4243)
    );
    let (_, v) = c
        .import(
            "?kind=members&dry_run=true",
            vec![("members.csv".into(), csv.into_bytes())],
        )
        .await;
    let codes: Vec<&str> = v["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(codes, ["registry.member.checks_limited"; 2], "{v}");
}

#[tokio::test]
async fn a_street_cannot_list_its_sibling_streets() {
    let app = spawn().await;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let (status, _) = c.get("/api/v1/divisions/310106/children").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Its district's name, for breadcrumbs, it may read; the sibling's, not.
    assert_eq!(c.get("/api/v1/divisions/310106").await.0, StatusCode::OK);
    assert_eq!(
        c.get(&format!("/api/v1/divisions/{STREET_B}")).await.0,
        StatusCode::NOT_FOUND
    );
    let page = c
        .http
        .get(format!("{}/divisions/310106", c.base))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
}

/// A newcomer on a demo store's login page learns which accounts exist and where their
/// passwords are (never the passwords); a store without demo data says nothing of it.
#[tokio::test]
async fn a_demo_stores_login_page_says_where_its_accounts_are() {
    let app = spawn().await;
    let plain = page_at(&browser_client(), app.url("/login")).await;
    assert!(!plain.contains("demo-note"), "a store without demo data shows the note");
    app.store
        .note_demo_accounts(
            &tongxin_store::Actor::system("demo"),
            &[("street".into(), Role::StreetOffice), ("member".into(), Role::Member)],
        )
        .await
        .expect("note");
    let page = page_at(&browser_client(), app.url("/login")).await;
    assert!(page.contains("id=\"demo-note\""), "{page}");
    assert!(page.contains("<code>street</code> 街道党工委"), "{page}");
    assert!(page.contains("tongxin serve --demo"), "{page}");
    assert!(!page.contains(PASSWORD));
}

/// Every console form is read by one extractor that checks its CSRF token: a form
/// without the token, with another session's, or that cannot be read at all is refused
/// with the translated error page, and changes nothing.
#[tokio::test]
async fn console_forms_need_their_token_and_are_refused_in_words() {
    use tongxin_domain::ErrorCode;
    use tongxin_i18n::{Lang, error_message};
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let c = Client::login(&app, "admin", PASSWORD).await;
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let c = &c;
        async move {
            let r = c
                .http
                .post(format!("{}{path}", c.base))
                .form(&fields)
                .send()
                .await
                .expect("post");
            (r.status(), r.text().await.unwrap_or_default())
        }
    };
    let unit = format!("/units/{}/archive", a.unit);
    let version = ("version", "1".to_string());
    for fields in [
        vec![version.clone()],
        vec![version.clone(), ("csrf", "someone-else".to_string())],
    ] {
        let (status, page) = post(unit.clone(), fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(page.contains(&error_message(ErrorCode::Csrf, Lang::ZhCn)), "{page}");
    }
    // A body that is no form at all: the translated page, not the framework's English.
    let r = c
        .http
        .post(format!("{}{unit}", c.base))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap_or_default();
    assert!(
        page.contains(&error_message(ErrorCode::BadRequest, Lang::ZhCn)),
        "{page}"
    );
    assert!(!page.contains("Content-Type"), "{page}");
    // Nothing was archived.
    let (_, v) = c.get(&format!("/api/v1/units/{}", a.unit)).await;
    assert_eq!(v["archived"], false, "{v}");
}

/// Behind a reverse proxy, failed logins are counted per client as the proxy saw it
/// (`X-Forwarded-For` from a trusted proxy, read from the right), so one guesser does
/// not lock out everyone behind the same proxy; without the setting the header is not
/// believed, so a guesser cannot shed the limit by sending it.
#[tokio::test]
async fn logins_behind_a_trusted_proxy_are_counted_per_client() {
    let login = |app: &App, from: &'static str, password: &'static str| {
        let (http, url) = (reqwest::Client::new(), app.url("/api/v1/auth/login"));
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .json(&json!({"username": "admin", "password": password}))
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    let proxied = spawn_with(tongxin_web::Options {
        trusted_proxies: tongxin_web::client_addr::TrustedProxies::parse("127.0.0.1/32, ::1").expect("proxies"),
        ..Default::default()
    })
    .await;
    let mut last = StatusCode::OK;
    for _ in 0..11 {
        // The guesser forges a first hop; the proxy appends what it saw.
        last = login(&proxied, "198.51.100.1, 203.0.113.66", "wrong-password").await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Forging another first hop changes nothing: the proxy's hop is the one counted.
    assert_eq!(
        login(&proxied, "192.0.2.1, 203.0.113.66", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The administrator behind the same proxy, at their own address, logs in.
    assert_eq!(login(&proxied, "203.0.113.7", PASSWORD).await, StatusCode::OK);

    // No trusted proxy: the header names nobody, the connection's address is counted.
    let direct = spawn().await;
    for _ in 0..11 {
        last = login(&direct, "203.0.113.66", "wrong-password").await;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        login(&direct, "203.0.113.7", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
}
