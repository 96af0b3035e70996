//! The alliance through the real router: a district keeps its joint conference (member
//! units from the registry and by name, the rotation, plenaries with attendance,
//! admissions and items, visits, liaisons) through the API and the console; another
//! district's account finds none of its ids; a role that may not write is refused before
//! its body is read.

use crate::*;
use reqwest::StatusCode;
use tongxin_domain::access::Role;

async fn post(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form(path, fields).await;
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == StatusCode::SEE_OTHER { to } else { body })
}

/// The id at the end of a console address (`/alliance/3` → 3).
fn last_id(to: &str) -> i64 {
    to.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_district_keeps_its_conference_through_the_api_and_no_one_else_sees_it() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let jingan = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let huangpu = Client::new_account(&app, "huangpu", Role::DistrictOffice, Some("310101"), None).await;
    let street_a = Client::new_account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;

    let (status, c) = jingan
        .call(
            "post",
            "/api/v1/alliance/conferences",
            Some(
                json!({ "name": "静安区区域化党建联席会议", "division": "310106", "founded_on": "2014-06-30",
                         "mechanisms": "常任轮值、常态走访" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().expect("id");
    let base = format!("/api/v1/alliance/conferences/{id}");

    // Member units: a registry unit of the district, an outside organisation by name.
    let (status, firm) = jingan
        .call(
            "post",
            &format!("{base}/members"),
            Some(json!({ "unit_id": a.unit.0, "kind": "非公企业", "joined_on": "2015-01-01" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{firm}");
    assert_eq!(firm["name"], "甲科技有限公司");
    let (status, hospital) = jingan
        .call(
            "post",
            &format!("{base}/members"),
            Some(json!({ "name": "上海市第一人民医院", "kind": "医院", "joined_on": "2014-06-30" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{hospital}");
    let (fid, hid) = (firm["id"].as_i64().expect("id"), hospital["id"].as_i64().expect("id"));

    // The rotation, a plenary chaired by it, attendance, an admission with its plaque.
    let (status, o) = jingan
        .call(
            "post",
            &format!("{base}/offices"),
            Some(
                json!({ "member_id": hid, "office": "轮值召集人", "starts_on": "2024-01-01", "ends_on": "2024-12-31" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{o}");
    let (status, clash) = jingan
        .call(
            "post",
            &format!("{base}/offices"),
            Some(json!({ "member_id": fid, "office": "rotating_convener", "starts_on": "2024-06-01" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{clash}");
    assert_eq!(clash["fields"][0]["code"], "alliance.terms_overlap", "{clash}");
    let (status, pl) = jingan
        .call(
            "post",
            &format!("{base}/plenaries"),
            Some(json!({ "held_on": "2024-12-20", "place": "静安区党群服务中心" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{pl}");
    assert_eq!(pl["number"], 1);
    assert_eq!(pl["chair_name"], "上海市第一人民医院");
    let pid = pl["id"].as_i64().expect("id");
    let (status, _) = jingan
        .call(
            "put",
            &format!("{base}/plenaries/{pid}/attendance"),
            Some(json!({ "member_ids": [fid, hid] })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, admitted) = jingan
        .call(
            "post",
            &format!("{base}/plenaries/{pid}/admissions"),
            Some(json!({ "name": "某大学", "kind": "高校", "plaque": true })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{admitted}");
    assert_eq!(admitted["joined_on"], "2024-12-20");
    let (status, item) = jingan
        .call(
            "post",
            &format!("{base}/plenaries/{pid}/items"),
            Some(json!({ "kind": "签约", "text": "健康服务进楼宇项目签约", "member_id": hid })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{item}");
    let (status, v) = jingan
        .call(
            "post",
            &format!("{base}/visits"),
            Some(json!({ "member_id": fid, "visited_on": "2025-03-01", "visitors": "秘书处" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let (_, record) = jingan.get(&format!("{base}/plenaries/{pid}")).await;
    assert_eq!(record["attendance"].as_array().map(Vec::len), Some(2));
    assert_eq!(record["admitted"][0]["plaque_on"], "2024-12-20");
    assert_eq!(record["items"][0]["kind"], "signing");

    // A street of the district reads it, but may not keep it: refused before its body
    // is read (a malformed body still answers 403).
    let (status, _) = street_a.get(&base).await;
    assert_eq!(status, StatusCode::OK);
    let r = street_a.raw("post", &format!("{base}/visits"), "{not json").await;
    assert_eq!(r, StatusCode::FORBIDDEN);
    // The one that may gets a translated refusal of a malformed body.
    let r = jingan.raw("post", &format!("{base}/visits"), "{not json").await;
    assert_eq!(r, StatusCode::BAD_REQUEST);

    // Another district: every route with these ids is not found, never forbidden.
    let item_id = item["id"].as_i64().expect("id");
    let office_id = o["id"].as_i64().expect("id");
    let routes: Vec<(&str, String, Option<Value>)> = vec![
        ("get", base.clone(), None),
        ("put", base.clone(), Some(json!({ "version": 1, "name": "x" }))),
        ("get", format!("{base}/members"), None),
        (
            "post",
            format!("{base}/members"),
            Some(json!({ "name": "x", "kind": "其他", "joined_on": "2020-01-01" })),
        ),
        ("get", format!("{base}/members/{fid}"), None),
        (
            "put",
            format!("{base}/members/{fid}"),
            Some(json!({ "version": 1, "kind": "其他" })),
        ),
        ("get", format!("{base}/members/{fid}/liaisons"), None),
        (
            "post",
            format!("{base}/members/{fid}/liaisons"),
            Some(json!({ "username": "x" })),
        ),
        ("post", format!("{base}/members/{fid}/liaisons/1/remove"), None),
        ("get", format!("{base}/offices"), None),
        (
            "post",
            format!("{base}/offices"),
            Some(json!({ "member_id": fid, "office": "召集人", "starts_on": "2020-01-01" })),
        ),
        (
            "post",
            format!("{base}/offices/{office_id}/end"),
            Some(json!({ "ends_on": "2024-06-30" })),
        ),
        ("get", format!("{base}/plenaries"), None),
        (
            "post",
            format!("{base}/plenaries"),
            Some(json!({ "held_on": "2025-01-01" })),
        ),
        ("get", format!("{base}/plenaries/{pid}"), None),
        (
            "put",
            format!("{base}/plenaries/{pid}"),
            Some(json!({ "version": 1, "place": "x" })),
        ),
        (
            "put",
            format!("{base}/plenaries/{pid}/attendance"),
            Some(json!({ "member_ids": [] })),
        ),
        (
            "post",
            format!("{base}/plenaries/{pid}/admissions"),
            Some(json!({ "name": "x", "kind": "其他" })),
        ),
        (
            "post",
            format!("{base}/plenaries/{pid}/items"),
            Some(json!({ "kind": "决议", "text": "x" })),
        ),
        ("post", format!("{base}/plenaries/{pid}/items/{item_id}/remove"), None),
        ("get", format!("{base}/visits"), None),
        (
            "post",
            format!("{base}/visits"),
            Some(json!({ "member_id": fid, "visited_on": "2025-01-01", "visitors": "x" })),
        ),
    ];
    for (method, path, body) in &routes {
        let (status, e) = huangpu.call(method, path, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {e}");
        assert_eq!(e["code"], "not_found");
    }
    let (_, list) = huangpu.get("/api/v1/alliance/conferences").await;
    assert_eq!(list.as_array().map(Vec::len), Some(0));
    // Nothing of it changed.
    let (_, after) = jingan.get(&format!("{base}/plenaries/{pid}")).await;
    assert_eq!(after["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(after["summary"]["version"], record["summary"]["version"]);
}

#[tokio::test]
async fn an_office_keeps_a_conference_in_the_console() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;

    // Every fault of the form marked at once.
    let (status, page) = post(
        &office,
        "/alliance/new",
        &[
            ("name", ""),
            ("division", "火星区"),
            ("founded_on", "2014-13-40"),
            ("mechanisms", ""),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["name", "division", "founded_on"] {
        assert!(page.contains(&format!("id=\"error-{f}\"")), "{f}: {page}");
    }
    let (status, to) = post(
        &office,
        "/alliance/new",
        &[
            ("name", "静安区区域化党建联席会议"),
            ("division", "静安区"),
            ("founded_on", "2014-06-30"),
            ("mechanisms", "常任轮值、常态走访、常抓项目、长效认领"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let id = last_id(&to);

    // A registry unit by its picker (no id typed), an outside one by name.
    let (status, to) = post(
        &office,
        &format!("/alliance/{id}/members"),
        &[
            ("member_unit", "甲科技有限公司"),
            ("kind", "private_firm"),
            ("joined_on", "2015-01-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, to) = post(
        &office,
        &format!("/alliance/{id}/members"),
        &[
            ("name", "上海市第一人民医院"),
            ("kind", "hospital"),
            ("joined_on", "2014-06-30"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    // Neither a unit nor a name: refused beside the name, what was typed kept.
    let (status, page) = post(
        &office,
        &format!("/alliance/{id}/members"),
        &[
            ("kind", "hospital"),
            ("joined_on", "2016-06-30"),
            ("plaque_on", "2016-01-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-member_plaque_on\""), "{page}");
    let members = app
        .store
        .list_alliance_members(
            &tongxin_store::Actor::system("t"),
            tongxin_domain::alliance::ConferenceId(id),
            false,
        )
        .await
        .expect("members");
    assert_eq!(members.len(), 2);
    assert_eq!(members[1].unit_id, Some(a.unit));
    let hospital = members.iter().find(|m| m.unit_id.is_none()).expect("hospital").id.0;

    // The rotation, then a plenary: the page of the record opens on it.
    let (status, _) = post(
        &office,
        &format!("/alliance/{id}/offices"),
        &[
            ("office", "rotating_convener"),
            ("member_id", &hospital.to_string()),
            ("starts_on", "2024-01-01"),
            ("ends_on", "2024-12-31"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, to) = post(
        &office,
        &format!("/alliance/{id}/plenaries"),
        &[
            ("held_on", "2024-12-20"),
            ("place", "静安区党群服务中心"),
            ("agenda", "年度工作"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    assert!(to.contains("/plenaries/"), "{to}");
    let pid = last_id(&to);
    let page = office.page(&to).await;
    assert!(page.contains("上海市第一人民医院"), "the rotation's chair");
    // Changed meanwhile: said at the top of the page, not beside a field it is not about.
    let (status, page) = post(
        &office,
        &format!("/alliance/{id}/plenaries/{pid}"),
        &[("version", "0"), ("held_on", "2024-12-21"), ("place", "别处")],
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    assert!(page.contains("id=\"flash-error\""), "{page}");
    assert!(!page.contains("id=\"error-edit_held_on\""), "{page}");
    // Attendance by ticking, an admission with a plaque, an item.
    let (status, _) = post(
        &office,
        &format!("/alliance/{id}/plenaries/{pid}/attendance"),
        &[(&format!("present_{hospital}"), "1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = post(
        &office,
        &format!("/alliance/{id}/plenaries/{pid}/admit"),
        &[("name", "某大学"), ("kind", "university"), ("plaque", "1")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, page) = post(
        &office,
        &format!("/alliance/{id}/plenaries/{pid}/items"),
        &[("kind", "award"), ("text", "")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-item_text\""), "{page}");
    let (status, _) = post(
        &office,
        &format!("/alliance/{id}/plenaries/{pid}/items"),
        &[
            ("kind", "award"),
            ("text", "优秀成员单位"),
            ("member_id", &hospital.to_string()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // The printable record carries it all, and no form.
    let record = office.page(&format!("/alliance/{id}/plenaries/{pid}/record")).await;
    for text in [
        "第1次全体会议",
        "某大学",
        "优秀成员单位",
        "上海市第一人民医院",
        "已授牌",
    ] {
        assert!(record.contains(text), "{text}: {record}");
    }
    assert!(!record.contains("id=\"attendance-form\""));
    // The conference's page: members with their kind in words, the history in words.
    let page = office.page(&format!("/alliance/{id}")).await;
    for text in [
        "医院",
        "非公企业",
        "高校",
        "第1次全体会议",
        "添加成员单位",
        "轮值召集人",
    ] {
        assert!(page.contains(text), "{text}");
    }
    // In English, categories and actions are English.
    office.page("/lang?to=en").await;
    let en = office.page(&format!("/alliance/{id}")).await;
    for text in [
        "Hospital",
        "Private firm",
        "Rotating convener",
        "member unit added",
        "Plenary meeting no. 1",
    ] {
        assert!(en.contains(text), "{text}: {en}");
    }
}

#[tokio::test]
async fn a_liaison_finds_its_unit_and_its_conference() {
    let app = spawn().await;
    let _ = street(&app, STREET_A, "甲").await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    account(&app, "liaison", Role::UnitLiaison, Some(STREET_A), None).await;
    let (_, c) = office
        .call(
            "post",
            "/api/v1/alliance/conferences",
            Some(json!({ "name": "静安区区域化党建联席会议", "division": "310106" })),
        )
        .await;
    let base = format!("/api/v1/alliance/conferences/{}", c["id"]);
    let (_, m) = office
        .call(
            "post",
            &format!("{base}/members"),
            Some(json!({ "name": "某银行上海分行", "kind": "国企", "joined_on": "2015-01-01" })),
        )
        .await;
    let (status, _) = office
        .call(
            "post",
            &format!("{base}/members/{}/liaisons", m["id"]),
            Some(json!({ "username": "liaison" })),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let liaison = Client::login(&app, "liaison", PASSWORD).await;
    let (_, mine) = liaison.get("/api/v1/alliance/mine").await;
    assert_eq!(mine[0]["name"], "某银行上海分行");
    let page = liaison.page("/alliance").await;
    assert!(
        page.contains("某银行上海分行") && page.contains("静安区区域化党建联席会议"),
        "{page}"
    );
    // It reads the conference but keeps none of it.
    let (status, _) = liaison.get(&base).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = liaison
        .call(
            "post",
            &format!("{base}/plenaries"),
            Some(json!({ "held_on": "2025-01-01" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// A conference of the district of `STREET_A` (静安区) with three member units (one a
/// registry unit of `s`), the rotation, a plenary with its attendance and items and a
/// visit: (conference, member, plenary) ids.
pub async fn conference_fixture(app: &App, s: &Street) -> (i64, i64, i64) {
    use tongxin_domain::alliance::*;
    use tongxin_store::alliance::{AllianceMemberInput, PlenaryInput};
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let c = store
        .create_conference(
            &sys,
            &ConferenceFields::parse(
                "静安区区域化党建联席会议（楼宇、园区、商圈与驻区单位共建共治共享）",
                "310106",
                day("2014-06-30"),
                "常任轮值、常态走访、常抓项目、长效认领",
            )
            .expect("c"),
            None,
        )
        .await
        .expect("conference");
    let mut ids = vec![];
    for (unit, name, kind) in [
        (Some(s.unit), None, "非公企业"),
        (None, Some("上海市第一人民医院（国家区域医疗中心建设单位）"), "医院"),
        (None, Some("申城银行静安支行"), "国企"),
    ] {
        let m = store
            .add_alliance_member(
                &sys,
                c.id,
                &AllianceMemberInput {
                    unit,
                    name: name.map(Into::into),
                    fields: MemberFields::parse(kind, day("2014-06-30"), day("2014-06-30"), None).expect("m"),
                },
            )
            .await
            .expect("member");
        ids.push(m.id);
    }
    store
        .add_alliance_office(
            &sys,
            c.id,
            ids[2],
            Office::Convener,
            Term::parse(day("2014-06-30"), None).expect("t"),
        )
        .await
        .expect("convener");
    store
        .add_alliance_office(
            &sys,
            c.id,
            ids[1],
            Office::RotatingConvener,
            Term::parse(day("2024-01-01"), day("2024-12-31")).expect("t"),
        )
        .await
        .expect("rotation");
    let p = store
        .create_plenary(
            &sys,
            c.id,
            &PlenaryInput {
                number: None,
                fields: PlenaryFields::parse(
                    day("2024-12-20"),
                    "静安区党群服务中心报告厅",
                    "一、通报年度工作；二、审议重点项目",
                )
                .expect("p"),
                chair: None,
            },
        )
        .await
        .expect("plenary");
    store
        .set_attendance(&sys, c.id, p.id, &ids[..2])
        .await
        .expect("attendance");
    store
        .add_plenary_item(&sys, c.id, p.id, "签约", "“健康楼宇”医企共建项目签约", Some(ids[1]))
        .await
        .expect("item");
    store
        .add_visit(
            &sys,
            c.id,
            ids[0],
            &VisitFields::parse(day("2025-03-01"), "秘书处", "走访座谈").expect("v"),
        )
        .await
        .expect("visit");
    (c.id.0, ids[0].0, p.id.0)
}

/// A need, a resource and the project made of them, claimed by two units, signed at
/// the fixture's plenary with its agreement, with one monthly report (the rest owed);
/// and `liaison` made the hospital's liaison. Answers (the need, the project).
pub async fn project_fixture(app: &App, conference: i64, plenary: i64, liaison: &str) -> (i64, i64) {
    use tongxin_domain::alliance::*;
    use tongxin_store::alliance::{Signing, Upload};
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let c = ConferenceId(conference);
    let members = store.list_alliance_members(&sys, c, false).await.expect("members");
    let named = |n: &str| {
        members
            .iter()
            .find(|m| m.name.starts_with(n))
            .map(|m| m.id)
            .expect("member")
    };
    let (unit, hospital, bank) = (named("甲"), named("上海市第一人民医院"), named("申城银行"));
    let post =
        async |m: AllianceMemberId, kind: &str, title: &str, category: &str, audience: &str, description: &str| {
            let f = PostFields::parse(&PostInput {
                kind,
                title,
                category,
                description,
                division: STREET_A,
                audience,
                contact_name: "张老师",
                contact_phone: "13800138000",
                ..Default::default()
            })
            .expect("post");
            store.create_post(&sys, c, m, &f).await.expect("post").id
        };
    let need = post(
        unit,
        "need",
        "楼宇白领与社区长者健康筛查（每季度一次，含血压血糖眼科检查）",
        "健康",
        "楼宇白领、独居老人",
        "园区员工多、周边长者多",
    )
    .await;
    post(
        hospital,
        "resource",
        "三甲医院专家义诊进社区",
        "医疗卫生",
        "社区居民",
        "内科、眼科专家现场问诊",
    )
    .await;
    let family_doctors = post(
        hospital,
        "resource",
        "家庭医生签约服务",
        "卫生健康",
        "社区居民",
        "上门随访",
    )
    .await;
    post(
        bank,
        "resource",
        "小微企业普惠贷款",
        "金融",
        "小微企业",
        "无抵押信用贷款",
    )
    .await;
    let other_need = post(
        unit,
        "need",
        "为新就业群体提供暖心驿站",
        "新就业群体",
        "外卖骑手",
        "歇脚、饮水、充电",
    )
    .await;
    let draft = store
        .project_draft(&sys, c, Some(other_need), None)
        .await
        .expect("draft");
    store
        .create_project(&sys, c, &draft.fill(None, None, None, None, None, None).expect("f"))
        .await
        .expect("open project");
    let draft = store
        .project_draft(&sys, c, None, Some(family_doctors))
        .await
        .expect("draft");
    let p = store
        .create_project(
            &sys,
            c,
            &draft
                .fill(Some("银发与白领健康守护行动".into()), None, None, None, None, None)
                .expect("f"),
        )
        .await
        .expect("project");
    let id = p.summary.id;
    store
        .claim_project(&sys, id, hospital, None, Some("派出专家团队".into()))
        .await
        .expect("claim");
    let p = store.claim_project(&sys, id, bank, None, None).await.expect("claim");
    store
        .sign_project(
            &sys,
            id,
            p.summary.version,
            &Signing {
                plenary: Some(PlenaryId(plenary)),
                ..Default::default()
            },
        )
        .await
        .expect("sign");
    store
        .file_report(
            &sys,
            id,
            &ReportFields::parse("2024-12", "正常推进", "10", "首场义诊服务80人").expect("r"),
        )
        .await
        .expect("report");
    store
        .add_attachment(
            &sys,
            id,
            Upload {
                purpose: AttachmentPurpose::Signing,
                report: None,
                name: "健康守护行动合作协议（签约文本）.pdf".into(),
                bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
            },
        )
        .await
        .expect("file");
    account(app, liaison, Role::UnitLiaison, Some(STREET_A), None).await;
    store
        .add_alliance_liaison(&sys, c, hospital, liaison)
        .await
        .expect("liaison");
    (need, id.0)
}

/// A brand-project call of the conference with the fixture's signed project as its
/// candidate, `judge` (an office account) its judge. Answers the call's id.
pub async fn call_fixture(app: &App, conference: i64, project: i64, judge: &str) -> i64 {
    use tongxin_domain::alliance::*;
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let call = store
        .create_call(
            &sys,
            ConferenceId(conference),
            &CallFields::parse(
                "品牌项目",
                "2026年度区域化党建十大品牌项目（含楼宇、园区、商圈共建项目）",
                "2026",
                "10",
                "100",
                "工作成效:40\n创新性:30\n群众满意度:30",
                "",
            )
            .expect("call"),
        )
        .await
        .expect("call");
    let id = call.summary.id;
    store
        .nominate(
            &sys,
            id,
            project,
            None,
            Some("服务老人上千人次，形成可复制的医企共建机制".into()),
        )
        .await
        .expect("candidate");
    store.add_judge(&sys, id, judge).await.expect("judge");
    id
}

#[tokio::test]
async fn a_liaison_posts_a_need_and_gets_suggestions_with_reasons() {
    let app = spawn().await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    account(&app, "liaison", Role::UnitLiaison, Some(STREET_A), None).await;
    let (_, c) = office
        .call(
            "post",
            "/api/v1/alliance/conferences",
            Some(json!({ "name": "静安区区域化党建联席会议", "division": "310106" })),
        )
        .await;
    let cid = c["id"].as_i64().expect("id");
    let base = format!("/api/v1/alliance/conferences/{cid}");
    let member = async |name: &str, kind: &str| {
        let (_, m) = office
            .call(
                "post",
                &format!("{base}/members"),
                Some(json!({ "name": name, "kind": kind, "joined_on": "2015-01-01" })),
            )
            .await;
        m["id"].as_i64().expect("member")
    };
    let (hospital, bank, community) = (
        member("静安区中心医院", "医院").await,
        member("申城银行静安支行", "国企").await,
        member("某居民区", "居村").await,
    );
    office
        .call(
            "post",
            &format!("{base}/members/{community}/liaisons"),
            Some(json!({ "username": "liaison" })),
        )
        .await;
    for (m, title, category, division) in [
        (hospital, "三甲医院专家义诊进社区", "医疗卫生", STREET_A),
        (hospital, "家庭医生巡诊", "卫生健康", STREET_B),
        (bank, "小微企业普惠贷款", "金融", STREET_A),
    ] {
        let (status, v) = office
            .call(
                "post",
                &format!("{base}/posts"),
                Some(json!({ "member_id": m, "kind": "resource", "title": title, "category": category, "division": division })),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
    }
    let liaison = Client::login(&app, "liaison", PASSWORD).await;
    // Every fault of a post at once.
    let (status, e) = liaison
        .call(
            "post",
            &format!("{base}/posts"),
            Some(
                json!({ "member_id": community, "kind": "need", "title": "", "category": "天文", "division": "火星",
                         "contact_phone": "12" }),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["fields"].as_array().map(Vec::len), Some(4), "{e}");
    let (status, need) = liaison
        .call(
            "post",
            &format!("{base}/posts"),
            Some(json!({ "member_id": community, "kind": "需求", "title": "独居老人健康筛查", "category": "健康",
                         "division": STREET_A, "description": "长者多，需要医生上门体检", "contact_phone": "13800138000" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{need}");
    assert_eq!(need["contact_phone"], "138****8000");
    let nid = need["id"].as_i64().expect("id");
    let (status, found) = liaison
        .get(&format!("/api/v1/alliance/needs/{nid}/matches?limit=2"))
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let titles: Vec<&str> = found
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|m| m["post"]["title"].as_str())
        .collect();
    assert_eq!(titles, ["三甲医院专家义诊进社区", "家庭医生巡诊"], "{found}");
    assert!(
        found[0]["reasons"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["kind"] == "place"))
    );
    // The same list as the command line's (which prints the store's answer).
    let direct = app
        .store
        .match_post(&tongxin_store::Actor::system("cli"), nid, 2)
        .await
        .expect("match");
    assert_eq!(serde_json::to_value(&direct).expect("json"), found);
    // A need is not a resource: its id under /resources/ is not found.
    let (status, _) = liaison.get(&format!("/api/v1/alliance/resources/{nid}/matches")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The liaison may not edit the bank's post; the office may.
    let (_, posts) = liaison.get(&format!("{base}/posts?kind=resource")).await;
    let loan = posts
        .as_array()
        .and_then(|v| v.iter().find(|p| p["title"] == "小微企业普惠贷款"))
        .expect("loan")
        .clone();
    let (status, _) = liaison
        .call(
            "put",
            &format!("/api/v1/alliance/posts/{}", loan["id"]),
            Some(json!({ "version": loan["version"], "status": "closed" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, v) = office
        .call(
            "put",
            &format!("/api/v1/alliance/posts/{}", loan["id"]),
            Some(json!({ "version": loan["version"], "status": "closed" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["title"], "小微企业普惠贷款");
}

#[tokio::test]
async fn an_office_extends_its_conference_s_vocabulary_in_the_console() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let (id, _, _) = conference_fixture(&app, &a).await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let path = format!("/alliance/{id}/vocabulary");
    // A line of one word is refused beside the field, what was typed kept.
    let (status, page) = post(&office, &path, &[("lines", "楼门组长 居民骨干\n孤单")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-vocabulary_lines\""), "{page}");
    assert!(page.contains("楼门组长 居民骨干"), "typed text kept");
    let (status, _) = post(&office, &path, &[("lines", "楼门组长、居民骨干，楼组长")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = office.page(&format!("/alliance/{id}")).await;
    assert!(page.contains("楼门组长、居民骨干、楼组长"), "{page}");
    let line = page
        .split("/vocabulary/")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|n| n.parse::<i64>().ok())
        .expect("a remove button");
    // A street's account sees the words and may not change them.
    let street_office = Client::new_account(&app, "jingan-street", Role::StreetOffice, Some(STREET_A), None).await;
    let (status, _) = post(&street_office, &format!("{path}/{line}/remove"), &[]).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
    let (status, _) = post(&office, &format!("{path}/{line}/remove"), &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !office
            .page(&format!("/alliance/{id}"))
            .await
            .contains("楼门组长、居民骨干")
    );
}

#[tokio::test]
async fn an_office_pairs_branches_and_a_firm_with_a_community_by_picker() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let b = street(&app, STREET_B, "乙").await;
    let (id, _, _) = conference_fixture(&app, &a).await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let path = format!("/alliance/{id}/pairs");
    let before = office.page(&path).await;
    let count = |page: &str, id: &str| -> usize {
        page.split(&format!("id=\"{id}\">"))
            .nth(1)
            .and_then(|r| r.split('<').next())
            .and_then(|n| n.parse().ok())
            .expect("a figure")
    };
    let (branches0, communities0) = (count(&before, "gap-branches"), count(&before, "gap-communities"));
    assert!(branches0 >= 2 && communities0 > 10, "{branches0} {communities0}");
    // A typo in a picker is said beside it, nothing written.
    let (status, page) = post(
        &office,
        &path,
        &[
            ("kind", "branches"),
            ("org_a", "甲科技有限公司党支部"),
            ("org_b", "不存在的支部"),
            ("started_on", "2025-03-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-org_b\""), "{page}");
    assert!(
        !page.contains("id=\"flash-error\""),
        "said beside the picker only: {page}"
    );
    let (status, to) = post(
        &office,
        &path,
        &[
            ("kind", "branches"),
            ("org_a", "甲科技有限公司党支部"),
            ("org_b", "乙科技有限公司党支部"),
            ("started_on", "2025-03-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, to) = post(
        &office,
        &path,
        &[
            ("kind", "firm_community"),
            ("firm", "甲科技有限公司"),
            ("community", "310106012002"),
            ("started_on", "2025-05-01"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let page = office.page(&path).await;
    assert_eq!(count(&page, "gap-branches"), branches0 - 2);
    assert_eq!(count(&page, "gap-communities"), communities0 - 1);
    assert_eq!(count(&page, "gap-idle"), 2, "nothing done this year yet");
    assert!(page.contains("延中居委会"), "{page}");
    let pair = page
        .split("/alliance/pairs/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse::<i64>().ok())
        .expect("a pair's link");
    let today = chrono::Utc::now().date_naive().to_string();
    let (status, _) = post(
        &office,
        &format!("/alliance/pairs/{pair}/activities"),
        &[("held_on", &today), ("title", "共建主题党日"), ("people", "30")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(count(&office.page(&path).await, "gap-idle"), 1);
    // Before the pair began: refused beside the day.
    let (status, page) = post(
        &office,
        &format!("/alliance/pairs/{pair}/activities"),
        &[("held_on", "2020-01-01"), ("title", "早于结对")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"error-activity_held_on\""), "{page}");
    // Another district sees none of it.
    let xuhui = Client::new_account(&app, "xuhui", Role::DistrictOffice, Some("310104"), None).await;
    let r = xuhui
        .http
        .get(format!("{}/alliance/pairs/{pair}", xuhui.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let _ = b;
}

#[tokio::test]
async fn a_conference_s_year_is_summed_up_on_a_page_a_workbook_and_the_big_screen() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let (id, _, _) = conference_fixture(&app, &a).await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let members = app
        .store
        .list_alliance_members(
            &tongxin_store::Actor::system("t"),
            tongxin_domain::alliance::ConferenceId(id),
            false,
        )
        .await
        .expect("members")
        .len();
    let api: serde_json::Value = office
        .http
        .get(format!("{}/api/v1/alliance/conferences/{id}/summary", office.base))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(api["members"], members, "{api}");
    let page = office.page(&format!("/alliance/{id}/summary")).await;
    assert!(page.contains("id=\"summary\"") && page.contains("成员单位"), "{page}");
    let r = office
        .http
        .get(format!("{}/alliance/{id}/summary.xlsx", office.base))
        .send()
        .await
        .expect("xlsx");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.expect("bytes").starts_with(b"PK"));
    let screen = office.page("/coverage/screen?division=310106").await;
    assert!(screen.contains("id=\"alliance-panel\""), "{screen}");
    // A year to come is refused in words, not a blank table.
    let r = office
        .http
        .get(format!("{}/alliance/{id}/summary?year=2999", office.base))
        .send()
        .await
        .expect("get");
    assert!(r.status().is_client_error());
}

#[tokio::test]
async fn a_party_member_reads_the_signed_projects_and_none_of_the_workings() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let (conf, _, plenary) = conference_fixture(&app, &a).await;
    let (need, project) = project_fixture(&app, conf, plenary, "liaison_a").await;
    let sys = tongxin_store::Actor::system("t");
    let title = app
        .store
        .get_project(&sys, tongxin_domain::alliance::ProjectId(project))
        .await
        .expect("project")
        .summary
        .title;
    let member = Client::new_account(&app, "member_a", Role::Member, Some(STREET_A), None).await;
    let home = member.page("/me").await;
    assert!(home.contains("/alliance/published"), "the member's menu");
    let page = member.page("/alliance/published").await;
    assert!(page.contains(&title), "{page}");
    for path in [
        format!("/alliance/{conf}/posts"),
        format!("/alliance/{conf}/posts/{need}"),
        format!("/alliance/projects/{project}"),
        format!("/alliance/{conf}"),
        format!("/api/v1/alliance/posts/{need}"),
        format!("/api/v1/alliance/projects/{project}"),
    ] {
        let r = member
            .http
            .get(format!("{}{path}", member.base))
            .send()
            .await
            .expect("get");
        assert!(
            r.status() == StatusCode::NOT_FOUND || r.status() == StatusCode::FORBIDDEN,
            "{path}: {}",
            r.status()
        );
    }
}
