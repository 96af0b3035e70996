//! Roles see their work: menus offer only what a role may do, a territory's home is
//! its to-do, a member has their own page; a district office makes, resets and disables
//! the accounts below it, within its territory, each change audited.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;

/// The ids of the menu's links on a page.
fn menu(html: &str) -> Vec<String> {
    let Some(start) = html.find("<nav id=\"menu\"") else {
        return vec![];
    };
    let nav = &html[start..start + html[start..].find("</nav>").unwrap_or(0)];
    nav.split("id=\"")
        .skip(2)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

fn between<'a>(html: &'a str, open: &str) -> &'a str {
    let at = html.find(open).map(|i| i + open.len()).unwrap_or(0);
    let rest = &html[at..];
    &rest[..rest.find('<').unwrap_or(rest.len())]
}

#[tokio::test]
async fn each_role_has_the_menu_and_home_of_its_work() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    let district = Client::new_account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    let street_c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let secretary = Client::new_account(&app, "sec", Role::BranchSecretary, None, Some(a.org.0)).await;
    let member = Client::new_account(&app, "mem", Role::Member, None, Some(a.org.0)).await;
    let sys = tongxin_store::Actor::system("t");
    let id = app
        .store
        .list_accounts(&sys)
        .await
        .expect("accounts")
        .into_iter()
        .find(|v| v.username == "mem")
        .expect("mem")
        .id;
    app.store.link_member(&sys, id, a.member).await.expect("link");

    let d = district.page("/").await;
    let m = menu(&d);
    assert!(
        m.contains(&"nav-accounts".into()) && m.contains(&"nav-import".into()),
        "{m:?}"
    );
    let s = street_c.page("/").await;
    let m = menu(&s);
    assert!(
        m.contains(&"nav-import".into()) && !m.contains(&"nav-accounts".into()),
        "{m:?}"
    );
    // A secretary works on its branch; a member has its own page, what is near, its
    // registrations and the alliance's signed projects, nothing else.
    let r = secretary
        .http
        .get(format!("{}/", secretary.base))
        .send()
        .await
        .expect("home");
    assert_eq!(r.headers()["location"], format!("/orgs/{}", a.org).as_str());
    let m = menu(&secretary.page(&format!("/orgs/{}", a.org)).await);
    assert!(
        !m.contains(&"nav-units".into()) && !m.contains(&"nav-import".into()),
        "{m:?}"
    );
    let r = member.http.get(format!("{}/", member.base)).send().await.expect("home");
    assert_eq!(r.headers()["location"], "/me");
    let me = member.page("/me").await;
    assert_eq!(
        menu(&me),
        vec![
            "nav-me".to_string(),
            "nav-near".to_string(),
            "nav-my_registrations".to_string(),
            "nav-alliance_published".to_string()
        ],
        "its page, what is near, its registrations, and what the alliance has signed: {me}"
    );
    assert!(me.contains("甲党员") && me.contains("138****8000"), "{me}");
    assert!(!me.contains("13800138000"), "a full phone on the member's page");
    assert!(
        me.contains("甲科技有限公司党支部") && between(&me, "id=\"secretary\">") == "张三",
        "{me}"
    );

    // A street's home is its to-do: the gap lists' own counts, linked.
    let t = app
        .store
        .coverage_territory(
            &sys,
            Some(tongxin_store::coverage::Territory::Division(
                tongxin_domain::codes::DivisionCode::parse(STREET_A).expect("code"),
            )),
        )
        .await
        .expect("territory");
    for (kind, n) in app.store.coverage_gap_counts(&t).await.expect("gaps") {
        let card = format!(
            "id=\"todo-{}\" href=\"/coverage/gaps/{}?division={STREET_A}\"",
            kind.code(),
            kind.code()
        );
        assert!(s.contains(&card), "{card}: {s}");
        let at = s.find(&card).expect("card");
        assert_eq!(
            between(&s[at..], "<div class=\"stat\">"),
            n.to_string(),
            "{}",
            kind.code()
        );
    }
    assert_eq!(
        between(&s, "id=\"count-units\"><a href=\"/units?division=310106012\">"),
        "1"
    );
    // The district's home lists its streets with their figures.
    assert!(d.contains("id=\"children\"") && d.contains("南京西路街道"), "{d}");
}

#[tokio::test]
async fn a_district_office_makes_resets_and_disables_accounts_in_its_territory() {
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    let district = Client::new_account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    Client::new_account(&app, "other_district", Role::DistrictOffice, Some("310101"), None).await;
    let street_c = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;

    // Only offices that make accounts reach the pages.
    let r = street_c
        .http
        .get(format!("{}/accounts", street_c.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let form = district.page("/accounts/new").await;
    assert!(
        form.contains("value=\"street_office\"") && !form.contains("value=\"district_office\""),
        "{form}"
    );

    // Outside its district, or a role above a street: refused, nothing made.
    let r = district
        .form(
            "/accounts/new",
            &[("username", "far"), ("role", "street_office"), ("division", "外滩街道")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = district
        .form(
            "/accounts/new",
            &[
                ("username", "peer"),
                ("role", "district_office"),
                ("division", "南京西路街道"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.store.account_exists("far").await.expect("q") && !app.store.account_exists("peer").await.expect("q"));

    // A street account, its street picked by name: the password shown once, not cached.
    let r = district
        .form(
            "/accounts/new",
            &[
                ("username", "street_a"),
                ("role", "street_office"),
                ("division", "南京西路街道"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.expect("text");
    let password = between(&page, "id=\"password\" class=\"password\">").to_string();
    assert_eq!(password.len(), 16, "{page}");
    let c = Client::login(&app, "street_a", &password).await;
    let (_, me) = c.get("/api/v1/me").await;
    assert_eq!(me["role"], "street_office", "{me}");

    // Listed for its district, not for another.
    let list = district.page("/accounts").await;
    assert!(list.contains("street_a") && list.contains("南京西路街道"), "{list}");
    assert!(
        !list.contains("other_district") && !list.contains(">district</a>"),
        "{list}"
    );
    let id = app
        .store
        .list_accounts(&tongxin_store::Actor::system("t"))
        .await
        .expect("accounts")
        .into_iter()
        .find(|v| v.username == "street_a")
        .expect("made")
        .id;
    let other = Client::login(&app, "other_district", PASSWORD).await;
    let r = other
        .http
        .get(format!("{}/accounts/{id}", other.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Reset: the old password and its sessions end; the new one works.
    let r = district.form(&format!("/accounts/{id}/reset"), &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.expect("text");
    let fresh = between(&page, "id=\"password\" class=\"password\">").to_string();
    assert_ne!(fresh, password);
    let (status, _) = c.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old session lives on");
    let c = Client::login(&app, "street_a", &fresh).await;

    // Disabled: its session ends and it cannot log in; enabled again, it can.
    let r = district
        .form(&format!("/accounts/{id}/disable"), &[("disabled", "true")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, _) = c.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let r = district
        .http
        .post(format!("{}/api/v1/auth/login", district.base))
        .json(&json!({"username": "street_a", "password": fresh}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    district
        .form(&format!("/accounts/{id}/disable"), &[("disabled", "false")])
        .await;
    Client::login(&app, "street_a", &fresh).await;

    // Each change is in the account's history, by whom; no password in it.
    let detail = district.page(&format!("/accounts/{id}")).await;
    let history = &detail[detail.find("id=\"history\"").expect("history")..];
    for action in ["新建", "重置密码", "停用", "重新启用"] {
        assert!(history.contains(action), "{action}: {history}");
    }
    assert!(history.contains("district") && !history.contains(&fresh), "{history}");
}
