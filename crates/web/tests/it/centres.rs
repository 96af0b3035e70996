//! Service centres through the real router: a street office records its centre in the
//! console (every fault marked at once), edits change only what differs, rooms and
//! whom the centre serves are named by picker, a staff account keeps the hours; a
//! member finds the centres serving their organisation on their own page.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;

/// Posts a form; answers the status and where it redirects to, or the page.
async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form(path, fields).await;
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == StatusCode::SEE_OTHER { to } else { body })
}

/// The record form of a page, its fields as they stand, with `changes` made.
fn filled(page: &str, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields = form_fields(page);
    for (k, v) in changes {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(f) => f.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    fields
}

#[tokio::test]
async fn a_street_keeps_its_centre_and_a_member_finds_it() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let district = Client::new_account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    let office = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;

    // The district's centre, through the API.
    let (status, d) = district
        .call(
            "post",
            "/api/v1/centres",
            Some(json!({
                "name": "静安区党群服务中心", "level": "district", "division": "310106",
                "address": "某路100号", "lng": 121.45, "lat": 31.23,
                "hours": "每天 9:00-21:00", "phone": "021-62170001"
            })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");

    // A street's, in the console: every fault at once, then as it should be.
    let (status, page) = post(
        &office,
        "/centres/new",
        &[
            ("name", ""),
            ("level", "street"),
            ("division", "火星街道"),
            ("lng", "121.4"),
            ("lat", ""),
            ("hours", "周八 9:00-17:00"),
            ("phone", "12"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "division", "location", "hours", "phone"] {
        assert!(page.contains(&format!("id=\"error-{f}\"")), "{f}: {page}");
    }
    let (status, to) = post(
        &office,
        "/centres/new",
        &[
            ("name", "南京西路街道党群服务中心"),
            ("level", "street"),
            ("division", "南京西路街道"),
            ("address", "某路1号"),
            ("lng", "121.46"),
            ("lat", "31.22"),
            ("hours", "周一至周五 9:00-17:00；周六 9:00-12:00"),
            ("phone", "021-62171234"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id: i64 = to.trim_start_matches("/centres/").parse().expect("a centre's page");
    // Its history says what it was recorded with, its level in words.
    let page = office.page(&format!("/centres/{id}")).await;
    let history = &page[page.find("id=\"history\"").expect("history")..];
    assert!(history.contains("层级: 街道中心"), "{history}");
    // Not in the next street, by the API either.
    let (status, v) = office
        .call(
            "post",
            "/api/v1/centres",
            Some(json!({"name": "越界中心", "level": "street", "division": STREET_B})),
        )
        .await;
    assert_eq!(v["code"], "registry.outside_territory", "{status} {v}");

    // The edit form changes only what differs; the API only what is sent.
    let form = office.page(&format!("/centres/{id}/edit")).await;
    let fields = filled(&form, &[("hours", "每天 9:00-21:00；周一闭馆")]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, to) = post(&office, &format!("/centres/{id}/edit"), &fields).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, format!("/centres/{id}").as_str())
    );
    let (_, c) = office.get(&format!("/api/v1/centres/{id}")).await;
    assert_eq!(c["hours"], "周二至周日 09:00-21:00");
    assert_eq!(c["hours_en"], "Tue-Sun 09:00-21:00");
    assert_eq!(
        (c["address"].clone(), c["lng"].clone()),
        (json!("某路1号"), json!(121.46))
    );
    let (status, c2) = office
        .call(
            "put",
            &format!("/api/v1/centres/{id}"),
            Some(json!({"version": c["version"], "phone": "021-62179999"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{c2}");
    assert_eq!(
        (c2["phone"].clone(), c2["hours"].clone(), c2["name"].clone()),
        (json!("021-62179999"), c["hours"].clone(), c["name"].clone())
    );

    // Rooms: a bad capacity is marked beside its field; then the room is there.
    let (status, page) = post(
        &office,
        &format!("/centres/{id}/rooms"),
        &[("room_name", "红色会客厅"), ("room_capacity", "0")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-room_capacity\""), "{page}");
    assert!(page.contains("value=\"红色会客厅\""), "what was typed is kept");
    let (status, _) = post(
        &office,
        &format!("/centres/{id}/rooms"),
        &[("room_name", "红色会客厅"), ("room_capacity", "30人")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Whom it serves, by picker: the next street's branch is no choice; its own unit is.
    let (status, page) = post(
        &office,
        &format!("/centres/{id}/serve"),
        &[("org", "乙科技有限公司党支部")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-org\""), "{page}");
    let (status, _) = post(&office, &format!("/centres/{id}/serve"), &[("unit", "甲科技有限公司")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, serves) = office.get(&format!("/api/v1/centres/{id}/serves")).await;
    assert_eq!(serves["units"][0]["unit_id"], json!(a.unit.0), "{serves}");

    // The next street reads the centre (a public place) but keeps none of it.
    let page = other.page(&format!("/centres/{id}")).await;
    assert!(page.contains("红色会客厅") && !page.contains("id=\"edit\""), "{page}");
    let r = other
        .http
        .get(format!("{}/centres/{id}/edit", other.base))
        .send()
        .await
        .expect("edit");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = post(
        &other,
        &format!("/centres/{id}/rooms"),
        &[("room_name", "x"), ("room_capacity", "5")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let _ = b;

    // Staff: an account of the street made the centre's staff keeps its hours, in the
    // same form, but not its name.
    account(&app, "centre_a", Role::ServiceCentreStaff, Some(STREET_A), None).await;
    let (status, _) = post(&office, &format!("/centres/{id}/staff"), &[("username", "centre_a")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = post(&office, &format!("/centres/{id}/staff"), &[("username", "street_b")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-username\""), "{page}");
    let staff = Client::login(&app, "centre_a", PASSWORD).await;
    // Their home leads to the centre they work at.
    let home = staff.page("/").await;
    assert!(
        home.contains(&format!("href=\"/centres/{id}\" id=\"my-centre-{id}\"")),
        "{home}"
    );
    let form = staff.page(&format!("/centres/{id}/edit")).await;
    let fields = filled(&form, &[("hours", "周一至周五 8:30-17:30")]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _) = post(&staff, &format!("/centres/{id}/edit"), &fields).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let fields = filled(&form, &[("name", "改名中心")]);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _) = post(&staff, &format!("/centres/{id}/edit"), &fields).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A member's own page: the street's centre, then the district's, with hours.
    account(&app, "mem", Role::Member, None, Some(a.org.0)).await;
    let sys = tongxin_store::Actor::system("t");
    let acc = app
        .store
        .list_accounts(&sys)
        .await
        .expect("accounts")
        .into_iter()
        .find(|v| v.username == "mem")
        .expect("mem")
        .id;
    app.store.link_member(&sys, acc, a.member).await.expect("link");
    let member = Client::login(&app, "mem", PASSWORD).await;
    let me = member.page("/me").await;
    let street_at = me.find("南京西路街道党群服务中心").expect("the street's centre");
    let district_at = me.find("静安区党群服务中心").expect("the district's centre");
    assert!(street_at < district_at, "nearest first: {me}");
    assert!(
        me.contains("周一至周五 08:30-17:30") && me.contains("021-62179999"),
        "{me}"
    );
    let (_, serving) = member.get(&format!("/api/v1/orgs/{}/centres", a.org)).await;
    let names: Vec<&str> = serving
        .as_array()
        .expect("list")
        .iter()
        .map(|s| s["centre"]["name"].as_str().unwrap_or(""))
        .collect();
    // The station names the branch's unit: it serves the branch by name, first.
    assert_eq!(names, ["南京西路街道党群服务中心", "静安区党群服务中心"]);
    assert_eq!(serving[0]["by"], "named");
    let _ = d;
}

/// Rooms through the API: a branch's secretary books the red reception room, the same
/// span again is refused in both languages, a blackout day closes the centre, and who
/// booked shows to the centre's office and the booker only.
#[tokio::test]
async fn a_room_is_booked_once_for_a_span() {
    let app = spawn().await;
    let office = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    let other = Client::new_account(&app, "street_b", Role::StreetOffice, Some(STREET_B), None).await;
    let (_, c) = office
        .call(
            "post",
            "/api/v1/centres",
            Some(
                json!({"name": "南京西路街道党群服务中心", "level": "street", "division": STREET_A,
                        "hours": "每天 9:00-21:00"}),
            ),
        )
        .await;
    let id = c["id"].as_i64().expect("centre");
    let (_, room) = office
        .call(
            "post",
            &format!("/api/v1/centres/{id}/rooms"),
            Some(json!({"name": "红色会客厅", "capacity": 30})),
        )
        .await;
    let room = room["id"].as_i64().expect("room");
    let day = (tongxin_domain::activities::china_time(chrono::Utc::now()) + chrono::Duration::days(2)).date();
    let span = |from: &str, to: &str| {
        json!({"booked_for": "某公司党支部", "purpose": "主题党日", "people": "20人",
               "starts_at": format!("{day} {from}"), "ends_at": format!("{day}T{to}")})
    };
    let path = format!("/api/v1/centres/{id}/rooms/{room}/bookings");
    let (status, b) = office.call("post", &path, Some(span("14:00", "16:00"))).await;
    assert_eq!(status, StatusCode::CREATED, "{b}");
    let (status, e) = other.call("post", &path, Some(span("15:00", "17:00"))).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("booking.room_taken")),
        "{e}"
    );
    assert!(e["message_zh"].as_str().is_some_and(|m| m.contains("已被预约")));
    assert!(e["message_en"].as_str().is_some_and(|m| m.contains("booked")));
    // Touching the first: stands, for the other street's account.
    let (status, _) = other.call("post", &path, Some(span("16:00", "17:00"))).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, seen) = office.get(&path).await;
    assert_eq!(seen.as_array().map(Vec::len), Some(2));
    let (_, theirs) = other.get(&path).await;
    let names: Vec<&str> = theirs
        .as_array()
        .expect("list")
        .iter()
        .map(|b| b["booked_for"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        vec!["", "某公司党支部"],
        "only their own booking names its booker"
    );
    // A blackout day on the day after: closed.
    let next = day + chrono::Duration::days(1);
    let (status, _) = office
        .call(
            "post",
            &format!("/api/v1/centres/{id}/blackout_days"),
            Some(json!({"day": next.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let closed = json!({"booked_for": "某支部", "people": 5, "starts_at": format!("{next} 10:00"), "ends_at": format!("{next} 11:00")});
    let (status, e) = office.call("post", &path, Some(closed)).await;
    assert_eq!(
        (status, e["code"].as_str()),
        (StatusCode::CONFLICT, Some("booking.blackout_day"))
    );
    let (status, _) = other
        .call(
            "post",
            &format!("/api/v1/centres/{id}/blackout_days"),
            Some(json!({"day": next.to_string()})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The console's page: the same rules, each refusal beside its field with what was
    // typed kept.
    let page_path = format!("/centres/{id}/bookings");
    let page = office.page(&page_path).await;
    assert!(
        page.contains(&format!("{day} 14:00–16:00")) && page.contains("某公司党支部"),
        "{page}"
    );
    assert!(page.contains(&next.to_string()), "the closed day is listed");
    let room_s = room.to_string();
    let at = |t: &str| format!("{day}T{t}");
    let (status, body) = post(
        &office,
        &page_path,
        &[
            ("room", &room_s),
            ("booked_for", "某居民区党总支"),
            ("people", "10"),
            ("starts_at", &at("15:00")),
            ("ends_at", &at("15:30")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"error-starts_at\"") && body.contains("已被预约"),
        "{body}"
    );
    assert!(body.contains("value=\"某居民区党总支\""), "what was typed is kept");
    // Every fault at once: no name, more people than the room holds, no end.
    let (status, body) = post(
        &office,
        &page_path,
        &[
            ("room", &room_s),
            ("booked_for", " "),
            ("people", "300"),
            ("starts_at", &at("18:00")),
            ("ends_at", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["booked_for", "people", "ends_at"] {
        assert!(body.contains(&format!("id=\"error-{f}\"")), "{f} not marked: {body}");
    }
    // A room of no centre: beside the room's choice.
    let (status, body) = post(
        &office,
        &page_path,
        &[
            ("room", "999999"),
            ("booked_for", "某支部"),
            ("people", "5"),
            ("starts_at", &at("18:00")),
            ("ends_at", &at("19:00")),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"error-room\""), "{body}");
    let (status, to) = post(
        &office,
        &page_path,
        &[
            ("room", &room_s),
            ("booked_for", "某居民区党总支"),
            ("people", "10"),
            ("starts_at", &at("18:00")),
            ("ends_at", &at("19:00")),
        ],
    )
    .await;
    assert_eq!((status, to.as_str()), (StatusCode::SEE_OTHER, page_path.as_str()));
    let (_, all) = office.get(&path).await;
    let evening = all
        .as_array()
        .expect("list")
        .iter()
        .find(|b| b["booked_for"] == "某居民区党总支")
        .and_then(|b| b["id"].as_i64())
        .expect("booked from the console");
    // The other street sees that the room is taken, not by whom, and cannot cancel it.
    let theirs = other.page(&page_path).await;
    assert!(theirs.contains("已被预约") && !theirs.contains("某居民区党总支"));
    assert!(!theirs.contains(&format!("cancel-booking-{evening}")));
    let cancel = format!("/centres/{id}/bookings/{evening}/cancel");
    let (status, _) = post(&other, &cancel, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&office, &cancel, &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!office.page(&page_path).await.contains("某居民区党总支"), "cancelled");
    // Closed days from the console: added, refused blank or to another street, removed.
    let later = (day + chrono::Duration::days(3)).to_string();
    let closing = format!("/centres/{id}/blackout_days");
    let (status, body) = post(&office, &closing, &[("day", ""), ("reason", "设备检修")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"error-day\"") && body.contains("value=\"设备检修\""));
    let (status, _) = post(&office, &closing, &[("day", &later), ("reason", "设备检修")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(office.page(&page_path).await.contains("设备检修"));
    let (status, _) = post(&other, &closing, &[("day", &later), ("reason", "x")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(&office, &format!("{closing}/remove"), &[("day", &later)]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(!office.page(&page_path).await.contains("设备检修"), "open again");
    let (status, left) = office
        .call(
            "post",
            &format!("/api/v1/centres/{id}/blackout_days/remove"),
            Some(json!({"day": next.to_string()})),
        )
        .await;
    assert_eq!((status, left), (StatusCode::OK, json!([])), "no closed day left");
}
