//! Activities through the real router: an office publishes one at its centre (every
//! fault said at once), residents register without an account while places last and
//! hear "sold out" in both languages after, no one registers twice, phones stay masked,
//! another street sees nothing of the registrations, a members-only activity takes a
//! member's account, and its own cancelling gives the place back.

use crate::*;
use chrono::Duration;
use reqwest::StatusCode;
use tongxin_domain::access::Role;

/// A time `hours` from now, China Standard Time, as a form writes it.
fn at(hours: i64) -> String {
    (tongxin_domain::activities::china_time(chrono::Utc::now()) + Duration::hours(hours))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn anonymous(app: &App) -> Client {
    Client {
        http: reqwest::Client::new(),
        base: app.url(""),
        csrf: String::new(),
    }
}

fn activity(audience: &str, capacity: u32) -> Value {
    json!({
        "title": "“四史”学习教育专题讲座", "kind": "讲座", "audience": audience,
        "capacity": capacity, "place": "三楼报告厅",
        "starts_at": at(48), "ends_at": at(50), "opens_at": at(-1), "closes_at": at(24),
    })
}

#[tokio::test]
async fn residents_register_while_places_last_and_hear_sold_out_after() {
    let app = spawn().await;
    let office = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let (status, centre) = office
        .call(
            "post",
            "/api/v1/centres",
            Some(json!({"name": "南京西路街道党群服务中心", "level": "street", "division": STREET_A})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{centre}");
    let c = centre["id"].as_i64().expect("id");

    // Every fault at once: an unreadable time, an end before the start, no capacity.
    let (status, e) = office
        .call(
            "post",
            &format!("/api/v1/centres/{c}/activities"),
            Some(json!({"title": "讲座", "kind": "讲座", "audience": "公众",
                "starts_at": "明天下午", "ends_at": at(1), "opens_at": at(-1), "closes_at": at(0)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["field"].as_str())
        .collect();
    assert_eq!(
        fields.iter().filter(|f| **f == "starts_at").count(),
        1,
        "said once: {e}"
    );
    assert!(fields.contains(&"capacity"), "{e}");
    // Another street may not publish at this centre.
    let (status, _) = other
        .call(
            "post",
            &format!("/api/v1/centres/{c}/activities"),
            Some(activity("公众", 3)),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, a) = office
        .call(
            "post",
            &format!("/api/v1/centres/{c}/activities"),
            Some(activity("公众", 3)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().expect("id");
    assert_eq!(a["window"], "open");
    assert_eq!(
        a["seed"].as_str().map(str::len),
        Some(64),
        "the ballot's seed is published"
    );

    // Anyone reads it.
    let web = anonymous(&app);
    let (status, read) = web.get(&format!("/api/v1/activities/{id}")).await;
    assert_eq!((status, read["capacity"].as_i64()), (StatusCode::OK, Some(3)));
    let (status, listed) = web.get(&format!("/api/v1/centres/{c}/activities?upcoming=true")).await;
    assert_eq!((status, listed.as_array().map(Vec::len)), (StatusCode::OK, Some(1)));

    // Six residents at once for three places.
    let mut tasks = vec![];
    for i in 0..6 {
        let web = anonymous(&app);
        tasks.push(tokio::spawn(async move {
            web.call(
                "post",
                &format!("/api/v1/activities/{id}/registrations"),
                Some(json!({"name": format!("居民{i}"), "phone": format!("1390000000{i}")})),
            )
            .await
        }));
    }
    let (mut created, mut sold_out) = (0, 0);
    for t in tasks {
        let (status, body) = t.await.expect("task");
        match status {
            StatusCode::CREATED => {
                created += 1;
                assert!(body["phone"].as_str().is_some_and(|p| p.contains("****")), "{body}");
            }
            StatusCode::CONFLICT => {
                sold_out += 1;
                assert_eq!(body["code"], "activity.sold_out");
                assert_eq!(body["message_zh"], "名额已满");
                assert!(body["message_en"].as_str().is_some_and(|m| m.starts_with("Sold out")));
            }
            s => panic!("{s} {body}"),
        }
    }
    assert_eq!((created, sold_out), (3, 3));

    // The office recounts: three, phones masked, no full phone anywhere in the answer.
    let (status, regs) = office.get(&format!("/api/v1/activities/{id}/registrations")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(regs.as_array().map(Vec::len), Some(3));
    assert!(!regs.to_string().contains("13900000000"), "{regs}");
    let (status, _) = other.get(&format!("/api/v1/activities/{id}/registrations")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = web.get(&format!("/api/v1/activities/{id}/registrations")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The office cancels one; the same phone twice is refused as already registered.
    let first = regs[0]["id"].as_i64().expect("id");
    let (status, _) = office
        .call("post", &format!("/api/v1/registrations/{first}/cancel"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let kept = regs[1]["name"]
        .as_str()
        .expect("name")
        .trim_start_matches("居民")
        .to_string();
    let (status, e) = web
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({"name": "重复", "phone": format!("1390000000{kept}")})),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity.already_registered"))
    );
    let (status, _) = web
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({"name": "新来的", "phone": "13912345678"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "the place given back is taken");
}

#[tokio::test]
async fn a_members_only_activity_takes_a_member_s_account() {
    let app = spawn().await;
    let office = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let (_, centre) = office
        .call(
            "post",
            "/api/v1/centres",
            Some(json!({"name": "南京西路街道党群服务中心", "level": "street", "division": STREET_A})),
        )
        .await;
    let c = centre["id"].as_i64().expect("id");
    let (status, a) = office
        .call(
            "post",
            &format!("/api/v1/centres/{c}/activities"),
            Some(activity("党员", 10)),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().expect("id");
    let (status, e) = anonymous(&app)
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({"name": "居民", "phone": "13900000001"})),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("activity.members_only"))
    );

    let member = Client::new_account(&app, "member_zhang", Role::Member, Some(STREET_A), None).await;
    // A signed-in session changes nothing without its CSRF header.
    let forged = Client {
        http: member.http.clone(),
        base: member.base.clone(),
        csrf: "forged".into(),
    };
    let (status, _) = forged
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, r) = member
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (status, r["status"].as_str()),
        (StatusCode::CREATED, Some("registered")),
        "{r}"
    );
    let (_, mine) = member.get("/api/v1/me/registrations").await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1));
    let (status, r) = member
        .call("post", &format!("/api/v1/registrations/{}/cancel", r["id"]), None)
        .await;
    assert_eq!((status, r["status"].as_str()), (StatusCode::OK, Some("cancelled")));
    let (_, a) = member.get(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(a["taken"], 0);
}
