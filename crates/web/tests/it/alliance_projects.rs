//! Needs, resources and projects in the console, as their users do it: a liaison posts
//! a need from its page and sees suggestions with reasons; the office turns a match into
//! a project; two units claim it; the office signs it at the 10th plenary with the
//! agreement attached; the months missed are flagged until a report is filed with a
//! photo; a renamed executable is refused; the office closes it with its evaluation.
//! Another district finds none of it.

use crate::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use tongxin_domain::access::Role;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
];

/// Posts a console form; the status and where it went (a redirect) or the page.
async fn form(c: &Client, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
    let r = c.form(path, fields).await;
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == StatusCode::SEE_OTHER { to } else { body })
}

/// Posts a console form with a file, as a browser sends it (multipart, its CSRF token
/// inside).
async fn upload(c: &Client, path: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (StatusCode, String) {
    let mut f = Form::new().text("csrf", c.csrf.clone());
    for (k, v) in fields {
        f = f.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = file {
        f = f.part("file", Part::bytes(bytes.to_vec()).file_name(name.to_string()));
    }
    let r = c
        .http
        .post(format!("{}{path}", c.base))
        .multipart(f)
        .send()
        .await
        .expect("upload");
    let status = r.status();
    let to = location(&r);
    let body = r.text().await.unwrap_or_default();
    (status, if status == StatusCode::SEE_OTHER { to } else { body })
}

fn last_id(to: &str) -> i64 {
    to.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn a_need_becomes_a_signed_reported_and_evaluated_project_in_the_console() {
    use tongxin_domain::alliance::*;
    let app = spawn().await;
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let c = store
        .create_conference(
            &sys,
            &ConferenceFields::parse("静安区区域化党建联席会议", "310106", day("2014-06-30"), "").expect("c"),
            None,
        )
        .await
        .expect("conference");
    let member = async |name: &str, kind: &str| {
        store
            .add_alliance_member(
                &sys,
                c.id,
                &tongxin_store::alliance::AllianceMemberInput {
                    unit: None,
                    name: Some(name.into()),
                    fields: MemberFields::parse(kind, day("2014-06-30"), None, None).expect("m"),
                },
            )
            .await
            .expect("member")
            .id
    };
    let (hospital, bank, community) = (
        member("静安区中心医院", "医院").await,
        member("申城银行静安支行", "国企").await,
        member("某居民区", "居村").await,
    );
    for (name, m) in [("liaison-community", community), ("liaison-hospital", hospital)] {
        account(&app, name, Role::UnitLiaison, Some(STREET_A), None).await;
        store.add_alliance_liaison(&sys, c.id, m, name).await.expect("liaison");
    }
    let mut tenth = None;
    for n in 0..10 {
        let p = store
            .create_plenary(
                &sys,
                c.id,
                &tongxin_store::alliance::PlenaryInput {
                    number: None,
                    fields: PlenaryFields::parse(day(&format!("{}-03-20", 2017 + n)), "", "").expect("p"),
                    chair: None,
                },
            )
            .await
            .expect("plenary");
        tenth = Some(p);
    }
    let tenth = tenth.expect("10th");
    assert_eq!(tenth.number, 10);
    let offer = store
        .create_post(
            &sys,
            c.id,
            hospital,
            &PostFields::parse(&PostInput {
                kind: "资源",
                title: "三甲医院专家义诊进社区",
                category: "医疗卫生",
                description: "内科专家测血压血糖",
                division: STREET_A,
                ..Default::default()
            })
            .expect("post"),
        )
        .await
        .expect("resource");

    // The liaison lands on its unit's page and posts a need from it.
    let liaison = Client::login(&app, "liaison-community", PASSWORD).await;
    let r = liaison
        .http
        .get(format!("{}/", liaison.base))
        .send()
        .await
        .expect("home");
    assert_eq!(location(&r), "/alliance/mine");
    let mine = liaison.page("/alliance/mine").await;
    assert!(mine.contains("某居民区") && mine.contains("post-need-"), "{mine}");
    assert!(!mine.contains("nav-units"), "no registry menus for a liaison");
    let new_form = liaison
        .page(&format!(
            "/alliance/{}/posts/new?kind=need&member={}",
            c.id.0, community.0
        ))
        .await;
    assert!(new_form.contains("f-title"), "{new_form}");
    // Every fault at once, beside its field.
    let (status, page) = form(
        &liaison,
        &format!("/alliance/{}/posts/new?kind=need", c.id.0),
        &[
            ("member_id", &community.0.to_string()),
            ("title", ""),
            ("people", "很多"),
            ("contact_phone", "12"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for f in ["error-title", "error-people", "error-contact_phone"] {
        assert!(page.contains(f), "{f} in {page}");
    }
    let (status, to) = form(
        &liaison,
        &format!("/alliance/{}/posts/new?kind=need", c.id.0),
        &[
            ("member_id", &community.0.to_string()),
            ("title", "独居老人健康筛查"),
            ("category", "health"),
            ("description", "长者多，需要医生上门体检"),
            ("division", "南京西路街道"),
            ("division__id", STREET_A),
            ("people", "120人"),
            ("contact_phone", "13800138000"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let need = last_id(&to);
    let page = liaison.page(&to).await;
    assert!(page.contains("三甲医院专家义诊进社区"), "the suggestion: {page}");
    assert!(
        page.contains("含义相同") && page.contains("同一街道"),
        "its reasons: {page}"
    );
    assert!(page.contains("138****8000") && !page.contains("13800138000"), "masked");
    assert!(!page.contains("id=\"to-project\""), "a liaison does not write projects");

    // The office turns the match into a project, prefilled from both.
    let draft = office
        .page(&format!(
            "/alliance/{}/projects/new?need={need}&resource={}",
            c.id.0, offer.id
        ))
        .await;
    assert!(draft.contains("value=\"独居老人健康筛查\""), "{draft}");
    let (status, to) = form(
        &office,
        &format!("/alliance/{}/projects/new", c.id.0),
        &[
            ("need_post_id", &need.to_string()),
            ("resource_post_id", &offer.id.to_string()),
            ("title", "银发健康守护"),
            ("category", "health"),
            ("division", "南京西路街道"),
            ("division__id", STREET_A),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let project = last_id(&to);
    let base = format!("/alliance/projects/{project}");
    assert!(
        liaison
            .page(&format!("/alliance/{}/posts/{need}", c.id.0))
            .await
            .contains("id=\"project-link\"")
    );

    // Two units claim: the hospital by its liaison (it leads), the bank by the office.
    let hospital_liaison = Client::login(&app, "liaison-hospital", PASSWORD).await;
    let page = hospital_liaison.page(&base).await;
    assert!(page.contains("id=\"claim-form\""), "{page}");
    let (status, to) = form(
        &hospital_liaison,
        &format!("{base}/claim"),
        &[("member_id", &hospital.0.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, page) = form(
        &office,
        &format!("{base}/claim"),
        &[("member_id", &bank.0.to_string()), ("role", "lead")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "one lead");
    assert!(page.contains("error-claim_role"), "{page}");
    let (status, _) = form(
        &office,
        &format!("{base}/claim"),
        &[("member_id", &bank.0.to_string()), ("role", "partner")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);

    // Signed at the 10th plenary with the agreement.
    let v = app.store.get_project(&sys, ProjectId(project)).await.expect("project");
    let (status, to) = upload(
        &office,
        &format!("{base}/sign"),
        &[
            ("version", &v.summary.version.to_string()),
            ("plenary_id", &tenth.id.0.to_string()),
        ],
        Some(("合作协议.pdf", PDF)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let page = office.page(&base).await;
    assert!(
        page.contains("第10次全体会议") || page.contains("plenary meeting no. 10"),
        "{page}"
    );
    assert!(page.contains("合作协议.pdf"), "{page}");
    let record = office
        .page(&format!("/alliance/{}/plenaries/{}", c.id.0, tenth.id.0))
        .await;
    assert!(
        record.contains("银发健康守护"),
        "the signing is in the meeting's record"
    );

    // Signed on 20 March 2026: every month from March on is owed by the 10th of the next.
    let owed = tongxin_domain::alliance::months_due(
        chrono::NaiveDate::from_ymd_opt(2026, 3, 20).expect("d"),
        None,
        chrono::Utc::now().date_naive(),
    );
    assert!(!owed.is_empty());
    let list = office.page(&format!("/alliance/{}/projects", c.id.0)).await;
    assert!(
        list.contains("id=\"overdue\"") && list.contains("2026-03"),
        "flagged: {list}"
    );
    let hospital_page = hospital_liaison.page(&base).await;
    assert!(hospital_page.contains("id=\"missed\""), "{hospital_page}");
    // A renamed executable is refused, in words, beside the field.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(256, 0);
    let (status, page) = upload(
        &hospital_liaison,
        &format!("{base}/files"),
        &[],
        Some(("照片.pdf", &exe)),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains("error-files_file") && page.contains("不接受此类文件"),
        "{page}"
    );
    // March is filed, late, with a photo: its flag goes.
    let (status, to) = upload(
        &hospital_liaison,
        &format!("{base}/report"),
        &[
            ("month", "2026-03"),
            ("progress", "on_track"),
            ("percent", "15"),
            ("text", "首场义诊服务80人"),
        ],
        Some(("现场.png", PNG)),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let page = office.page(&base).await;
    assert!(page.contains("逾期报送"), "filed late: {page}");
    let v = app.store.get_project(&sys, ProjectId(project)).await.expect("project");
    assert!(!v.summary.missed.contains(&"2026-03".to_string()));
    assert_eq!(v.summary.missed.len(), owed.len() - 1);
    let photo = v.reports[0].photos[0];
    let r = office
        .http
        .get(format!("{}/alliance/files/{}", office.base, photo.0))
        .send()
        .await
        .expect("photo");
    assert_eq!(r.headers()["content-type"], "image/png");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .is_ok_and(|d| d.starts_with("inline"))
    );

    // Another district sees none of it.
    let xuhui = Client::new_account(&app, "xuhui", Role::DistrictOffice, Some("310104"), None).await;
    for path in [
        base.clone(),
        format!("/alliance/files/{}", photo.0),
        format!("{base}/edit"),
    ] {
        let r = xuhui
            .http
            .get(format!("{}{path}", xuhui.base))
            .send()
            .await
            .expect("get");
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _) = form(&xuhui, &format!("{base}/claim"), &[("member_id", &bank.0.to_string())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The office closes it with its evaluation.
    let (status, to) = form(
        &office,
        &format!("{base}/evaluate"),
        &[
            ("version", &v.summary.version.to_string()),
            ("grade", "excellent"),
            ("closed_on", "2026-11-30"),
            ("text", "服务老人1200人次"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let page = office.page(&base).await;
    assert!(page.contains("已结项") && page.contains("服务老人1200人次"), "{page}");
}

#[tokio::test]
async fn a_call_is_recommended_scored_moved_published_and_awarded_in_the_console() {
    use tongxin_domain::alliance::*;
    let app = spawn().await;
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok();
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let judge = Client::new_account(&app, "judge", Role::StreetOffice, Some(STREET_A), None).await;
    let c = store
        .create_conference(
            &sys,
            &ConferenceFields::parse("静安区区域化党建联席会议", "310106", day("2014-06-30"), "").expect("c"),
            None,
        )
        .await
        .expect("conference");
    let hospital = store
        .add_alliance_member(
            &sys,
            c.id,
            &tongxin_store::alliance::AllianceMemberInput {
                unit: None,
                name: Some("静安区中心医院".into()),
                fields: MemberFields::parse("医院", day("2014-06-30"), None, None).expect("m"),
            },
        )
        .await
        .expect("member")
        .id;
    account(&app, "liaison-hospital", Role::UnitLiaison, Some(STREET_A), None).await;
    store
        .add_alliance_liaison(&sys, c.id, hospital, "liaison-hospital")
        .await
        .expect("liaison");
    let tenth = store
        .create_plenary(
            &sys,
            c.id,
            &tongxin_store::alliance::PlenaryInput {
                number: Some(10),
                fields: PlenaryFields::parse(day("2026-03-20"), "", "").expect("p"),
                chair: None,
            },
        )
        .await
        .expect("plenary");
    let mut projects = vec![];
    for t in ["银发健康守护", "楼宇金融课堂"] {
        let p = store
            .create_project(
                &sys,
                c.id,
                &tongxin_store::alliance::ProjectInput {
                    fields: ProjectFields::parse(t, "", "", STREET_A, None, None).expect("f"),
                    need: None,
                    resource: None,
                },
            )
            .await
            .expect("project");
        let p = store
            .claim_project(&sys, p.summary.id, hospital, None, None)
            .await
            .expect("claim");
        store
            .sign_project(
                &sys,
                p.summary.id,
                p.summary.version,
                &tongxin_store::alliance::Signing {
                    plenary: Some(tenth.id),
                    ..Default::default()
                },
            )
            .await
            .expect("sign");
        projects.push(p.summary.id.0);
    }

    // The office opens the call; criteria that do not add up are refused beside them.
    let calls = format!("/alliance/{}/calls", c.id.0);
    let (status, page) = form(
        &office,
        &calls,
        &[
            ("kind", "brand_project"),
            ("title", "2026年度十大品牌项目"),
            ("year", "2026"),
            ("quota", "1"),
            ("scale", "100"),
            ("criteria", "成效:60\n创新:30"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("error-criteria"), "{page}");
    let (status, to) = form(
        &office,
        &calls,
        &[
            ("kind", "brand_project"),
            ("title", "2026年度十大品牌项目"),
            ("year", "2026"),
            ("quota", "1"),
            ("scale", "100"),
            ("criteria", "成效:60\n创新:40"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let call = last_id(&to);
    let base = format!("/alliance/calls/{call}");
    // The hospital's liaison recommends one; the office the other; a judge is named.
    let liaison = Client::login(&app, "liaison-hospital", PASSWORD).await;
    let page = liaison.page(&base).await;
    assert!(
        page.contains("id=\"nominate-form\"") && !page.contains("id=\"publish-form\""),
        "{page}"
    );
    let (status, to) = form(
        &liaison,
        &format!("{base}/candidates"),
        &[
            ("subject_id", &projects[0].to_string()),
            ("recommended_by", &hospital.0.to_string()),
            ("reason", "服务老人上千人次"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{to}");
    let (status, _) = form(
        &office,
        &format!("{base}/candidates"),
        &[("subject_id", &projects[1].to_string()), ("recommended_by", "")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = form(&office, &format!("{base}/judges"), &[("username", "judge")]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let v = store.get_call(&sys, call).await.expect("call");
    let (crit, cands) = (
        v.criteria.iter().map(|c| c.id).collect::<Vec<_>>(),
        v.candidates.iter().map(|c| (c.project_id, c.id)).collect::<Vec<_>>(),
    );
    let cand = |p: i64| {
        cands
            .iter()
            .find(|(x, _)| *x == Some(p))
            .map(|(_, id)| *id)
            .expect("candidate")
    };
    // The judge scores both; a score past the scale is refused beside the form.
    let page = judge.page(&base).await;
    assert!(page.contains(&format!("score-form-{}", cand(projects[0]))), "{page}");
    let (status, page) = form(
        &judge,
        &format!("{base}/candidates/{}/scores", cand(projects[0])),
        &[(&format!("c{}", crit[0]), "120")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("error-score{}_score", cand(projects[0]))),
        "{page}"
    );
    for (p, scores) in [(projects[0], ["90", "80"]), (projects[1], ["70", "60"])] {
        let (status, _) = form(
            &judge,
            &format!("{base}/candidates/{}/scores", cand(p)),
            &[
                (&format!("c{}", crit[0]), scores[0]),
                (&format!("c{}", crit[1]), scores[1]),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
    }
    let v = store.get_call(&sys, call).await.expect("call");
    assert_eq!(v.candidates[0].project_id, Some(projects[0]));
    // 90·0.6 + 80·0.4 = 86.
    assert_eq!(v.candidates[0].total, 86.0);
    // The office moves the second to the top: a reason is required, then kept.
    let mover = format!("{base}/candidates/{}/move", cand(projects[1]));
    let (status, page) = form(&office, &mover, &[("moved_to", "1"), ("reason", "")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.contains(&format!("error-move{}_reason", cand(projects[1]))),
        "{page}"
    );
    let (status, _) = form(
        &office,
        &mover,
        &[
            ("moved_to", "1"),
            ("reason", "金融助企覆盖楼宇三百家，联席会议讨论决定"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Published: the moved one is selected (quota 1); awarded at the 10th plenary.
    let (status, _) = form(
        &office,
        &format!("{base}/publish"),
        &[("version", &v.summary.version.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = form(
        &office,
        &format!("{base}/award"),
        &[("plenary_id", &tenth.id.0.to_string())],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = office.page(&base).await;
    assert!(page.contains("金融助企覆盖楼宇三百家"), "the reason is shown: {page}");
    let v = store.get_call(&sys, call).await.expect("call");
    assert_eq!(
        v.candidates
            .iter()
            .map(|c| (c.project_id, c.selected))
            .collect::<Vec<_>>(),
        [(Some(projects[1]), true), (Some(projects[0]), false)]
    );
    assert_eq!(v.awarded_at_number, Some(10));
    let record = office
        .page(&format!("/alliance/{}/plenaries/{}", c.id.0, tenth.id.0))
        .await;
    assert!(record.contains("2026年度十大品牌项目：楼宇金融课堂"), "{record}");
    // No more scores once published; another district sees none of it.
    let (status, page) = form(
        &judge,
        &format!("{base}/candidates/{}/scores", cand(projects[0])),
        &[(&format!("c{}", crit[0]), "10")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("评选结果已公布"), "{page}");
    let xuhui = Client::new_account(&app, "xuhui", Role::DistrictOffice, Some("310104"), None).await;
    let r = xuhui
        .http
        .get(format!("{}{base}", xuhui.base))
        .send()
        .await
        .expect("get");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_office_imports_and_exports_its_lists_in_the_console() {
    let app = spawn().await;
    let a = street(&app, STREET_A, "甲").await;
    let (id, _, _) = crate::alliance::conference_fixture(&app, &a).await;
    let office = Client::new_account(&app, "jingan", Role::DistrictOffice, Some("310106"), None).await;
    let sheet = "静安区需求清单（2026年）,,,\n需求名稱,需求單位,所屬街道,聯繫人\n独居老人健康体检,第一人民医院,南京西路街道,张老师\n楼宇白领午间课堂,某某新公司,,\n合计,2项,,\n";
    let path = format!("/alliance/{id}/posts/import");
    // An unknown unit: nothing comes in; the unit, the reasons and the marked file shown.
    let (status, page) = upload(&office, &path, &[], Some(("需求清单.csv", sheet.as_bytes()))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("id=\"import-refused\""), "{page}");
    assert!(page.contains("<li>某某新公司</li>"), "{page}");
    let token = page
        .split("/import/errors/")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("an error workbook link");
    let wb = office
        .http
        .get(format!("{}/import/errors/{token}", office.base))
        .send()
        .await
        .expect("get");
    assert_eq!(wb.status(), StatusCode::OK);
    assert!(
        office
            .page(&format!("/alliance/{id}/posts"))
            .await
            .contains("id=\"none\"")
    );
    // Confirmed: both rows in, the new unit a member unit.
    let (status, page) = upload(
        &office,
        &path,
        &[("add_unknown_units", "true")],
        Some(("需求清单.csv", sheet.as_bytes())),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("id=\"import-done\""), "{page}");
    assert!(page.contains("某某新公司"), "{page}");
    let list = office.page(&format!("/alliance/{id}/posts")).await;
    for t in ["独居老人健康体检", "楼宇白领午间课堂", "上海市第一人民医院"] {
        assert!(list.contains(t), "{t}: {list}");
    }
    // The export is a workbook.
    let r = office
        .http
        .get(format!("{}/alliance/{id}/posts/export", office.base))
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.expect("bytes").starts_with(b"PK"));
    // A street's account may not import into the district's conference.
    let street_office = Client::new_account(&app, "jingan-street", Role::StreetOffice, Some(STREET_A), None).await;
    let (status, _) = upload(&street_office, &path, &[], Some(("需求清单.csv", sheet.as_bytes()))).await;
    assert!(
        status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
        "{status}"
    );
}
