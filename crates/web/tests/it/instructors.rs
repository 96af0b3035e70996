//! Party-building instructors in the console: recorded, edited, assigned to units by
//! name and taken off them, each unit's coverage following; another street's
//! instructors do not exist for an office; a phone never shows in full.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;
use tongxin_domain::codes::DivisionCode;

/// Posts a form; answers the status and where it redirects to, or the page.
async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form(path, fields).await;
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == StatusCode::SEE_OTHER { to } else { body })
}

#[tokio::test]
async fn a_street_office_records_assigns_and_edits_its_instructors() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let sys = tongxin_store::Actor::system("t");
    let other = app
        .store
        .ensure_instructor(&sys, "乙指导员", None, &DivisionCode::parse(STREET_B).expect("code"))
        .await
        .expect("instructor");
    // A unit of the street without an organisation: uncovered until an instructor comes.
    let bare = app
        .store
        .create_unit(
            &sys,
            tongxin_store::registry::UnitInput {
                fields: tongxin_domain::registry::UnitFields::parse(
                    "甲小店",
                    "企业",
                    &credit_code(700),
                    "3",
                    STREET_A,
                    "",
                )
                .expect("unit"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("unit")
        .id;
    let c = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;

    // Recorded with every fault marked at once; then as it should be.
    let (status, page) = post(
        &c,
        "/instructors/new",
        &[("name", ""), ("phone", "123"), ("division", "火星街道")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "phone", "division"] {
        assert!(page.contains(&format!("id=\"error-{f}\"")), "{f}: {page}");
    }
    let (status, to) = post(
        &c,
        "/instructors/new",
        &[
            ("name", "周指导员"),
            ("phone", "13912345678"),
            ("division", "南京西路街道"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id: i64 = to
        .trim_start_matches("/instructors/")
        .parse()
        .expect("an instructor's page");
    let (status, page) = post(
        &c,
        "/instructors/new",
        &[("name", "周指导员"), ("phone", ""), ("division", "南京西路街道")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a duplicate: {page}");
    // Another street is not this office's to place in.
    let (status, _) = post(
        &c,
        "/instructors/new",
        &[("name", "吴指导员"), ("division", "静安寺街道")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The list: name, street, masked phone, units; not the other street's.
    let list = c.page("/instructors").await;
    assert!(list.contains("周指导员") && list.contains("南京西路街道"), "{list}");
    assert!(list.contains("139****5678") && !list.contains("13912345678"), "{list}");
    assert!(!list.contains("乙指导员"), "{list}");
    let r = c
        .http
        .get(format!("{}/instructors/{}", c.base, other.id))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Assigned by name: the unit is work covered.
    let (status, _) = post(&c, &format!("/instructors/{id}/assign"), &[("unit", "甲小店")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, u) = c.get(&format!("/api/v1/units/{bare}")).await;
    assert_eq!(u["instructor_id"], id, "{u}");
    let page = c.page(&format!("/units/{bare}")).await;
    assert!(page.contains("工作覆盖"), "{page}");
    let detail = c.page(&format!("/instructors/{id}")).await;
    assert!(
        detail.contains(&format!("/units/{bare}")) && detail.contains("id=\"unit-count\">1<"),
        "{detail}"
    );
    // Another street's unit is no name this office can give.
    let (status, page) = post(&c, &format!("/instructors/{id}/assign"), &[("unit", "乙科技有限公司")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-unit\""), "{page}");
    let u = app.store.get_unit(&sys, b.unit).await.expect("unit");
    assert_eq!(u.instructor_id, None);
    // Taking it off a unit it does not cover is refused; off its own unit, done.
    let (status, _) = post(
        &c,
        &format!("/instructors/{id}/unassign"),
        &[("unit_id", &a.unit.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &c,
        &format!("/instructors/{id}/unassign"),
        &[("unit_id", &bare.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, u) = c.get(&format!("/api/v1/units/{bare}")).await;
    assert!(u["instructor_id"].is_null(), "{u}");

    // Edited as shown with a new name: the phone (shown masked) stays; history keeps
    // no full phone.
    let edit = c.page(&format!("/instructors/{id}/edit")).await;
    assert!(!edit.contains("13912345678"), "{edit}");
    let mut fields = form_fields(&edit);
    for (k, v) in fields.iter_mut() {
        if k == "name" {
            *v = "周指导员（改）".into();
        }
    }
    let r = c
        .http
        .post(format!("{}/instructors/{id}/edit", c.base))
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
    let i = app
        .store
        .get_instructor(&sys, tongxin_domain::registry::InstructorId(id))
        .await
        .expect("instructor");
    // Names are kept in their clean form (full-width brackets become half-width).
    assert_eq!(i.name, "周指导员(改)");
    assert_eq!(i.phone_masked.as_deref(), Some("139****5678"));
    // The same form again is stale: refused, nothing overwritten.
    let r = c
        .http
        .post(format!("{}/instructors/{id}/edit", c.base))
        .form(&fields)
        .send()
        .await
        .expect("save");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let detail = c.page(&format!("/instructors/{id}")).await;
    let history = &detail[detail.find("id=\"history\"").expect("history")..];
    assert!(
        history.contains("周指导员(改)") && !history.contains("13912345678"),
        "{history}"
    );
}
