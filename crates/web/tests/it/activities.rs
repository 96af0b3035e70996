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

/// Street A's office, a centre it records (`centre` the body), and the id of the
/// activity (`body`) it publishes there, with the activity as answered.
async fn published(app: &App, centre: Value, body: Value) -> (Client, i64, Value) {
    let office = Client::new_account(app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let (status, c) = office.call("post", "/api/v1/centres", Some(centre)).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let c = c["id"].as_i64().expect("centre");
    let (status, a) = office
        .call("post", &format!("/api/v1/centres/{c}/activities"), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{a}");
    (office, c, a)
}

/// Street A's centre as most tests record it.
fn street_centre() -> Value {
    json!({"name": "南京西路街道党群服务中心", "level": "street", "division": STREET_A})
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

/// A member finds the centre near a point (and by an address as typed), registers,
/// holds a ticket; the centre's staff check it in once and hear the second scan
/// refused in both languages; another street's office cannot scan at its door; the
/// public key checks the ticket offline.
#[tokio::test]
async fn a_member_near_a_centre_registers_and_is_checked_in_once() {
    let app = spawn().await;
    let office = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let (_, centre) = office
        .call(
            "post",
            "/api/v1/centres",
            Some(
                json!({"name": "南京西路街道党群服务中心", "level": "street", "division": STREET_A,
                        "address": "南京西路1号", "lng": 121.4590, "lat": 31.2290}),
            ),
        )
        .await;
    let c = centre["id"].as_i64().expect("id");
    let (_, far) = other
        .call(
            "post",
            "/api/v1/centres",
            Some(
                json!({"name": "远处街道党群服务中心", "level": "street", "division": STREET_B,
                        "lng": 121.5200, "lat": 31.2600}),
            ),
        )
        .await;
    let (_, a) = office
        .call(
            "post",
            &format!("/api/v1/centres/{c}/activities"),
            Some(activity("党员", 10)),
        )
        .await;
    let id = a["id"].as_i64().expect("id");
    let member = Client::new_account(&app, "member_li", Role::Member, Some(STREET_A), None).await;

    // Near a point 300 m away: this centre first, with its distance; the far one after.
    let (status, near) = member.get("/api/v1/near?lng=121.4560&lat=31.2290").await;
    assert_eq!(status, StatusCode::OK, "{near}");
    assert_eq!(near["centres"][0]["centre"]["id"], c, "{near}");
    let d = near["centres"][0]["distance_km"].as_f64().expect("km");
    assert!((0.2..0.4).contains(&d), "{d}");
    assert_eq!(near["centres"][1]["centre"]["id"], far["id"]);
    // By an address as typed, in Traditional characters: placed at the centre.
    let (status, near) = member
        .get(&format!(
            "/api/v1/near?address={}",
            tongxin_web::urlencode("南京西路1號")
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{near}");
    assert_eq!(near["centres"][0]["centre"]["id"], c, "{near}");
    let (status, e) = member.get("/api/v1/near?address=%E7%81%AB%E6%98%9F").await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation.failed"))
    );

    let (_, r) = member
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({})),
        )
        .await;
    let ticket = r["ticket"].as_str().expect("a ticket").to_string();
    let (_, key) = anonymous(&app).get("/api/v1/checkin/key").await;
    let public = tongxin_domain::activities::public_key(key["public_key"].as_str().expect("key")).expect("key");
    let t = tongxin_domain::activities::Ticket::verify(&ticket, &public).expect("checks offline");
    assert_eq!(t.activity, id);

    let scan = |nonce: &str| json!({"code": ticket, "nonce": nonce});
    // Another street's office: as if the activity did not exist.
    let (status, _) = other
        .call(
            "post",
            &format!("/api/v1/activities/{id}/checkin"),
            Some(scan("other-street-1")),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = office
        .call(
            "post",
            &format!("/api/v1/activities/{id}/checkin"),
            Some(scan("door-one-scan-1")),
        )
        .await;
    assert_eq!((status, v["name"].as_str()), (StatusCode::OK, Some("member_li")), "{v}");
    let (status, e) = office
        .call(
            "post",
            &format!("/api/v1/activities/{id}/checkin"),
            Some(scan("door-one-scan-2")),
        )
        .await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity.checked_in_already"))
    );
    assert!(e["message_zh"].as_str().is_some_and(|m| m.contains("已签到")), "{e}");
    assert!(
        e["message_en"]
            .as_str()
            .is_some_and(|m| m.contains("checked in already")),
        "{e}"
    );
    let (_, at) = office.get(&format!("/api/v1/activities/{id}/attendance")).await;
    assert_eq!(
        (at["registered"].as_i64(), at["attended"].as_i64()),
        (Some(1), Some(1)),
        "{at}"
    );
    let (status, _) = other.get(&format!("/api/v1/activities/{id}/attendance")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The month's figures of the street's centres, recounted: one activity, 10 places,
    // one taken, one attended; another street's office sees none of them.
    let month = &a["starts_at"].as_str().expect("start")[..7];
    let (status, stats) = office
        .get(&format!(
            "/api/v1/statistics/activities?division={STREET_A}&month={month}"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    let row = stats
        .as_array()
        .and_then(|r| r.iter().find(|x| x["centre_id"] == c))
        .expect("the centre");
    assert_eq!(
        (
            &row["activities"],
            &row["places_offered"],
            &row["places_taken"],
            &row["places_attended"]
        ),
        (&json!(1), &json!(10), &json!(1), &json!(1)),
        "{stats}"
    );
    let (status, _) = other
        .get(&format!(
            "/api/v1/statistics/activities?division={STREET_A}&month={month}"
        ))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An online lecture's viewer log as a platform exports it — a title row, its own
/// column names in its own order, a row per join in no order, masked phones, strangers,
/// a row whose time cannot be read, a total row — read into attendance that the test
/// recounts itself from the spans it wrote.
#[tokio::test]
async fn a_viewer_log_becomes_the_lecture_s_attendance() {
    let app = spawn().await;
    let mut body = activity("公众", 1000);
    body["online"] = json!(true);
    let (office, _, a) = published(&app, street_centre(), body).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let id = a["id"].as_i64().expect("id");
    let start = chrono::NaiveDateTime::parse_from_str(a["starts_at"].as_str().expect("start"), "%Y-%m-%dT%H:%M:%S")
        .expect("start");
    let n = 120usize;
    for i in 0..n {
        app.store
            .register(
                None,
                id,
                &tongxin_store::activities::Registrant::Resident {
                    name: format!("居民{i}"),
                    phone: tongxin_domain::codes::Phone::parse(&format!("139{i:08}")).expect("phone"),
                },
                1,
            )
            .await
            .expect("registered");
    }
    // Spans relative to the start, in minutes; the lecture lasts 120 (see `activity`).
    let mut rows: Vec<(usize, String, String, i64, i64)> = vec![];
    let mut expected_attended = 0;
    for i in 0..n {
        let joins: Vec<(i64, i64)> = match i % 5 {
            0 => vec![],                            // did not watch
            1 => vec![(-10, 20), (15, 40)],         // overlapping rejoin: 40 minutes
            2 => vec![(0, 10), (100, 115)],         // 25 minutes
            3 => vec![(30, 200)],                   // 90 within the lecture
            _ => vec![(5, 35), (60, 61), (70, 71)], // 32 minutes
        };
        // Union clipped to 0..120, recounted minute by minute.
        let minutes = (0..120).filter(|m| joins.iter().any(|(a, b)| a <= m && m < b)).count();
        if !joins.is_empty() && minutes >= 30 {
            expected_attended += 1;
        }
        for (a, b) in joins {
            // Half are known by a masked phone, half by name alone.
            let phone = if i % 2 == 0 {
                format!("139****{:04}", i % 10_000)
            } else {
                String::new()
            };
            rows.push((i, format!("居民{i}"), phone, a, b));
        }
    }
    rows.reverse();
    let at = |m: i64| (start + Duration::minutes(m)).format("%Y/%m/%d %H:%M:%S").to_string();
    let mut csv = String::from("“四史”学习教育专题讲座 观看明细,,,,\n序号,入会时间,用户昵称,离会时间,手机号\n");
    for (k, (_, who, phone, a, b)) in rows.iter().enumerate() {
        csv.push_str(&format!("{},{},{who},{},{phone}\n", k + 1, at(*a), at(*b)));
    }
    csv.push_str(&format!("999,{},路人甲,{},\n", at(0), at(100)));
    csv.push_str(&format!("1000,下午两点,居民1,{},\n", at(100)));
    csv.push_str(&format!("合计,,,,共{}条\n", rows.len() + 2));

    let upload = |client: &Client, query: &str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("观看明细.csv"),
        );
        client
            .http
            .post(format!("{}/api/v1/activities/{id}/viewer_log{query}", client.base))
            .header("x-csrf-token", &client.csrf)
            .multipart(form)
            .send()
    };
    let r = upload(&other, "").await.expect("send");
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "another street's office");
    let r = upload(&office, "?min_minutes=30").await.expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.expect("json");
    assert_eq!(report["rows"].as_u64(), Some(rows.len() as u64 + 1), "{report}");
    assert_eq!(report["attended"].as_u64(), Some(expected_attended), "{report}");
    assert_eq!(report["matched"].as_u64(), Some((n - n / 5) as u64), "{report}");
    assert_eq!(report["unmatched"][0][1], "路人甲");
    assert_eq!(report["unreadable"].as_array().map(Vec::len), Some(1), "{report}");
    let (_, attendance) = office.get(&format!("/api/v1/activities/{id}/attendance")).await;
    assert_eq!(attendance["attended"].as_u64(), Some(expected_attended));
    // The same log again: the same attendance, nothing counted twice.
    let r = upload(&office, "?min_minutes=30").await.expect("send");
    assert_eq!(r.status(), StatusCode::OK);
    let (_, again) = office.get(&format!("/api/v1/activities/{id}/attendance")).await;
    assert_eq!(again["attended"], attendance["attended"]);
}

/// A member's calendar feed: an iCalendar of their registrations at a secret address,
/// with the activity's time in UTC and no name or phone; a new address stops the old.
#[tokio::test]
async fn a_member_s_registrations_are_a_calendar_feed() {
    let app = spawn().await;
    let (_, _, a) = published(&app, street_centre(), activity("党员", 10)).await;
    let id = a["id"].as_i64().expect("id");
    let member = Client::new_account(&app, "member_zhao", Role::Member, Some(STREET_A), None).await;
    member
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({})),
        )
        .await;
    let (status, feed) = member.call("post", "/api/v1/me/calendar", None).await;
    assert_eq!(status, StatusCode::CREATED, "{feed}");
    let url = feed["url"].as_str().expect("url").to_string();
    let path = url
        .split_once("/calendar/")
        .map(|(_, p)| format!("/calendar/{p}"))
        .expect("path");
    let r = reqwest::get(app.url(&path)).await.expect("feed");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/calendar"))
    );
    let ics = r.text().await.expect("text");
    assert!(ics.contains("BEGIN:VEVENT") && ics.contains("四史"), "{ics}");
    // 14:00 China time is 06:00 UTC.
    let start =
        chrono::NaiveDateTime::parse_from_str(a["starts_at"].as_str().expect("s"), "%Y-%m-%dT%H:%M:%S").expect("s");
    let utc = (start - Duration::hours(8))
        .format("DTSTART:%Y%m%dT%H%M%SZ")
        .to_string();
    assert!(ics.contains(&utc), "{utc} in {ics}");
    assert!(!ics.contains("member_zhao"), "no person in the feed");
    // A new address: the old one stops; a made-up one is not found.
    member.call("post", "/api/v1/me/calendar", None).await;
    assert_eq!(
        reqwest::get(app.url(&path)).await.expect("old").status(),
        StatusCode::NOT_FOUND
    );
    let fake = format!("/calendar/{}.ics", "0".repeat(64));
    assert_eq!(
        reqwest::get(app.url(&fake)).await.expect("fake").status(),
        StatusCode::NOT_FOUND
    );
}

/// The console's publishing form: every fault marked beside its field at once, what was
/// typed kept; a good form publishes and opens the activity; another street's office
/// cannot open the form of this centre.
#[tokio::test]
async fn a_centre_publishes_an_activity_from_the_console() {
    let app = spawn().await;
    let (office, c, _) = published(&app, street_centre(), activity("公众", 5)).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let path = format!("/centres/{c}/activities/new");
    let page = office.page(&path).await;
    assert!(
        page.contains("发布活动") && page.contains("name=\"starts_at\""),
        "{page}"
    );
    let r = office
        .form(
            &path,
            &[
                ("title", ""),
                ("kind", "lecture"),
                ("capacity", "很多"),
                ("starts_at", &at(48)),
                ("ends_at", &at(47)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.expect("page");
    for f in ["title", "capacity", "ends_at", "opens_at"] {
        assert!(page.contains(&format!("id=\"error-{f}\"")), "{f} marked: {page}");
    }
    assert!(page.contains(&at(48)), "what was typed is kept");
    let r = office
        .form(
            &path,
            &[
                ("title", "“四史”学习教育专题讲座（第三讲）"),
                ("kind", "party_lesson"),
                ("allocation", "ballot"),
                ("audience", "members"),
                ("capacity", "80人"),
                ("starts_at", &at(72)),
                ("ends_at", &at(74)),
                ("opens_at", &at(-1)),
                ("closes_at", &at(24)),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    let id = to.trim_start_matches("/activities/");
    let (_, a) = office.get(&format!("/api/v1/activities/{id}")).await;
    assert_eq!(
        (a["kind"].as_str(), a["allocation"].as_str(), a["capacity"].as_i64()),
        (Some("party_lesson"), Some("ballot"), Some(80)),
        "{a}"
    );
    let r = other
        .http
        .get(format!("{}{path}", other.base))
        .send()
        .await
        .expect("get");
    assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
}

/// A resident without an account registers on the activity's own page: every fault
/// beside its field, the ticket shown once (kept by no cache), the phone masked, one
/// registration per number, and a members-only activity sends them to log in.
#[tokio::test]
async fn a_resident_registers_on_the_public_page_and_sees_the_ticket_once() {
    let app = spawn().await;
    let (office, centre, a) = published(&app, street_centre(), activity("公众", 2)).await;
    let id = a["id"].as_i64().expect("activity");
    let path = format!("/public/activities/{id}");
    let anyone = anonymous(&app);
    let page = anyone.page(&path).await;
    assert!(
        page.contains("id=\"public-form\"") && page.contains("“四史”学习教育专题讲座"),
        "{page}"
    );
    // The staff's page of it links here.
    assert!(office.page(&format!("/activities/{id}")).await.contains(&path));
    let send = |fields: Vec<(&'static str, String)>| {
        let (http, url) = (anyone.http.clone(), app.url(&path));
        async move { http.post(url).form(&fields).send().await.expect("post") }
    };
    // A blank name and a wrong number: both marked, what was typed kept.
    let r = send(vec![("name", " ".into()), ("phone", "1380013".into())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("id=\"error-name\"") && body.contains("id=\"error-phone\""),
        "{body}"
    );
    assert!(body.contains("value=\"1380013\""));
    let r = send(vec![("name", "陳阿姨".into()), ("phone", "13800138000".into())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get("cache-control").and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    let body = r.text().await.expect("body");
    assert!(body.contains("id=\"ticket\"") && body.contains("<svg"), "{body}");
    assert!(body.contains("138****8000") && !body.contains("13800138000"), "masked");
    assert!(body.contains("已报名"));
    // The same number again: refused, in both languages through the API's codes.
    let r = send(vec![("name", "陈阿姨".into()), ("phone", "138-0013-8000".into())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.expect("body");
    assert!(
        body.contains("id=\"error-form\"") && body.contains("您已报名该活动"),
        "{body}"
    );
    assert!(!body.contains("id=\"ticket\""), "no one's ticket comes back by number");
    // The registration is the API's: listed for the office, masked.
    let (_, rows) = office.get(&format!("/api/v1/activities/{id}/registrations")).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    assert_eq!(rows[0]["phone"], "138****8000");
    // The last place, then sold out.
    let r = send(vec![("name", "李伯伯".into()), ("phone", "13900139000".into())]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(vec![("name", "王阿姨".into()), ("phone", "13700137000".into())]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("名额已满"));
    // Members only: no form, a way to log in; a post is refused the same.
    let (_, m) = office
        .call(
            "post",
            &format!("/api/v1/centres/{centre}/activities"),
            Some(activity("党员", 10)),
        )
        .await;
    let members = format!("/public/activities/{}", m["id"].as_i64().expect("members"));
    let page = anyone.page(&members).await;
    assert!(page.contains("id=\"members-only\"") && !page.contains("id=\"public-form\""));
    let r = anyone
        .http
        .post(app.url(&members))
        .form(&[("name", "王阿姨"), ("phone", "13700137000")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.expect("body").contains("仅限党员"));
    // No such activity: the translated page that says so.
    let r = anyone
        .http
        .get(app.url("/public/activities/999999"))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// Residents without an account register at most `resident_limit` times in ten minutes
/// from one address, through the API and the public page alike, refused in words with
/// `Retry-After` and nothing written; signed-in callers (a member, staff registering a
/// resident at the desk) are not counted; behind a trusted proxy each client has its own.
#[tokio::test]
async fn a_script_inventing_phones_cannot_take_every_place() {
    let app = spawn_with(tongxin_web::Options {
        resident_limit: 3,
        trusted_proxies: tongxin_web::client_addr::TrustedProxies::parse("127.0.0.1").expect("proxies"),
        ..Default::default()
    })
    .await;
    let (office, _, a) = published(&app, street_centre(), activity("公众", 100)).await;
    let id = a["id"].as_i64().expect("activity");
    let path = format!("/api/v1/activities/{id}/registrations");
    let register = |from: &'static str, phone: String| {
        let (http, url) = (reqwest::Client::new(), app.url(&path));
        async move {
            http.post(url)
                .header("x-forwarded-for", from)
                .json(&json!({"name": "居民", "phone": phone}))
                .send()
                .await
                .expect("register")
        }
    };
    for i in 0..3 {
        let r = register("203.0.113.5", format!("1390000010{i}")).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let r = register("203.0.113.5", "13900000200".into()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("retry-after");
    assert!((1..=600).contains(&wait), "{wait}");
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["code"], "activity.registrations_limited", "{v}");
    // The public page says so in words, and writes nothing either.
    let r = reqwest::Client::new()
        .post(app.url(&format!("/public/activities/{id}")))
        .header("x-forwarded-for", "203.0.113.5")
        .header("accept-language", "zh-CN")
        .form(&[("name", "居民"), ("phone", "13900000300")])
        .send()
        .await
        .expect("page");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"), "the page says how long too");
    assert!(r.text().await.expect("body").contains("同一网络几分钟内的报名过多"));
    // Another resident behind the same proxy registers.
    assert_eq!(
        register("203.0.113.6", "13900000400".into()).await.status(),
        StatusCode::CREATED
    );
    // The desk registers a resident with its account, however many.
    for i in 0..4 {
        let (status, v) = office
            .call(
                "post",
                &path,
                Some(json!({"name": "陈阿姨", "phone": format!("1380000050{i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let (_, rows) = office.get(&path).await;
    assert_eq!(rows.as_array().map(Vec::len), Some(3 + 1 + 4), "{rows}");
}

/// At the door, a resident without the screenshot of their ticket: the staff find them
/// on the scan page by the last four digits of their phone (posted, masked in the
/// answer), check them in by hand once, and a second check-in — by hand or through the
/// API — is refused; another street's office finds nothing.
#[tokio::test]
async fn the_desk_checks_in_a_resident_who_lost_the_ticket() {
    let app = spawn().await;
    let (office, _, a) = published(&app, street_centre(), activity("公众", 5)).await;
    let id = a["id"].as_i64().expect("activity");
    let (status, r) = anonymous(&app)
        .call(
            "post",
            &format!("/api/v1/activities/{id}/registrations"),
            Some(json!({"name": "陳阿姨", "phone": "13812345678"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r}");
    let rid = r["id"].as_i64().expect("registration");

    let page = office.form(&format!("/activities/{id}/desk"), &[("q", "5678")]).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.expect("page");
    let row = &page[page
        .find(&format!("id=\"desk-{rid}\""))
        .expect("found by the phone's last digits")..];
    assert!(row.contains("陳阿姨") && row.contains("138****5678"), "{row}");
    assert!(!page.contains("13812345678"), "masked");
    let nonce = {
        let at = row.find("name=\"nonce\" value=\"").expect("a nonce") + 20;
        row[at..at + row[at..].find('"').expect("end")].to_string()
    };
    let rid_text = rid.to_string();
    let fields = [("registration", rid_text.as_str()), ("nonce", nonce.as_str())];
    let done = office.form(&format!("/activities/{id}/desk/checkin"), &fields).await;
    assert_eq!(done.status(), StatusCode::OK);
    let done = done.text().await.expect("page");
    assert!(done.contains("id=\"scan-ok\"") && done.contains("陳阿姨"), "{done}");
    // The same form again (a reload): its answer again, counted once.
    let again = office.form(&format!("/activities/{id}/desk/checkin"), &fields).await;
    assert_eq!(again.status(), StatusCode::OK);
    let (_, at) = office.get(&format!("/api/v1/activities/{id}/attendance")).await;
    assert_eq!(at["attended"], 1, "{at}");
    // A second check-in with a new nonce: refused, in words.
    let second = office
        .form(
            &format!("/activities/{id}/desk/checkin"),
            &[("registration", rid_text.as_str()), ("nonce", "another-desk-nonce")],
        )
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT);
    assert!(second.text().await.expect("page").contains("该凭证已签到过"));
    let (status, v) = office
        .call(
            "post",
            &format!("/api/v1/activities/{id}/desk/checkin"),
            Some(json!({"registration_id": rid, "nonce": "api-desk-nonce-1"})),
        )
        .await;
    assert_eq!(
        (status, v["code"].as_str()),
        (StatusCode::CONFLICT, Some("activity.checked_in_already"))
    );
    let (status, found) = office
        .call(
            "post",
            &format!("/api/v1/activities/{id}/desk/search"),
            Some(json!({"q": "陳"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{found}");
    assert!(found[0]["checked_in_at"].is_string());

    // Another street's office, a member, and no one at all.
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let (status, _) = other
        .call(
            "post",
            &format!("/api/v1/activities/{id}/desk/search"),
            Some(json!({"q": "5678"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = other
        .call(
            "post",
            &format!("/api/v1/activities/{id}/desk/checkin"),
            Some(json!({"registration_id": rid, "nonce": "foreign-desk-1"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = anonymous(&app)
        .call(
            "post",
            &format!("/api/v1/activities/{id}/desk/search"),
            Some(json!({"q": "5678"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
