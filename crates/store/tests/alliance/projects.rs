//! Projects from claim to award, on both stores: from a match, claimed by two units
//! (one lead), signed at the 10th plenary, reported monthly with the missed months
//! flagged to the secretariat, closed with an evaluation; files checked by what they
//! are; every refusal with its code.

use super::{code_of, conference, day, office, outside, plenary, post_fields};
use chrono::Utc;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{AttachmentPurpose, ClaimRole, Grade, Month, Office, ProjectFields, ReportFields, Term};
use tongxin_store::alliance::{ProjectInput, ProjectPatch, Signing, Upload};

fn project(title: &str) -> ProjectFields {
    ProjectFields::parse(title, "医疗健康", "每月一次进社区", "310101002", None, None).expect("project")
}

fn report(month: &str, progress: &str, percent: &str) -> ReportFields {
    ReportFields::parse(month, progress, percent, "按计划开展").expect("report")
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R',
];

#[tokio::test]
async fn a_project_goes_from_a_match_to_its_evaluation() {
    let (s, _d) = crate::common::store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let hospital = s
        .add_alliance_member(&huangpu, c.id, &outside("瑞金医院", "医院", "2014-06-30"))
        .await
        .expect("m");
    let community = s
        .add_alliance_member(&huangpu, c.id, &outside("外滩街道某居民区", "居村", "2014-06-30"))
        .await
        .expect("m");
    let bank = s
        .add_alliance_member(&huangpu, c.id, &outside("申城银行黄浦支行", "国企", "2014-06-30"))
        .await
        .expect("m");
    let secretariat = s
        .add_alliance_member(&huangpu, c.id, &outside("区委组织部", "机关", "2014-06-30"))
        .await
        .expect("m");
    s.add_alliance_office(
        &huangpu,
        c.id,
        secretariat.id,
        Office::Secretariat,
        Term::parse(Some(day("2014-06-30")), None).expect("term"),
    )
    .await
    .expect("secretariat");
    let hospital_liaison = crate::common::account(&s, "liaison-hospital", Role::UnitLiaison, "310101002").await;
    s.add_alliance_liaison(&huangpu, c.id, hospital.id, "liaison-hospital")
        .await
        .expect("liaison");
    let bank_liaison = crate::common::account(&s, "liaison-bank", Role::UnitLiaison, "310101002").await;
    s.add_alliance_liaison(&huangpu, c.id, bank.id, "liaison-bank")
        .await
        .expect("liaison");
    let secretariat_liaison = crate::common::account(&s, "liaison-secretariat", Role::UnitLiaison, "310101002").await;
    s.add_alliance_liaison(&huangpu, c.id, secretariat.id, "liaison-secretariat")
        .await
        .expect("liaison");
    for n in 1..=9 {
        s.create_plenary(&huangpu, c.id, &plenary(&format!("{}-03-01", 2015 + n)))
            .await
            .expect("plenary");
    }
    let tenth = s
        .create_plenary(&huangpu, c.id, &plenary("2026-03-20"))
        .await
        .expect("10th");
    assert_eq!(tenth.number, 10);

    // A need and a resource, matched into a project.
    let need = s
        .create_post(
            &huangpu,
            c.id,
            community.id,
            &post_fields("需求", "老人体检", "健康", "310101002", "独居老人每年体检"),
        )
        .await
        .expect("need");
    let offer = s
        .create_post(
            &huangpu,
            c.id,
            hospital.id,
            &post_fields("资源", "专家义诊进社区", "医疗卫生", "310101002", "测血压血糖"),
        )
        .await
        .expect("resource");
    // Kinds are checked: a resource named as the need is no reference.
    let e = s
        .create_project(
            &huangpu,
            c.id,
            &ProjectInput {
                fields: project("x"),
                need: Some(offer.id),
                resource: None,
            },
        )
        .await
        .expect_err("a resource is not a need");
    assert_eq!(code_of(&e), ErrorCode::ReferenceInvalid);
    // A liaison does not write projects.
    let e = s
        .create_project(
            &hospital_liaison,
            c.id,
            &ProjectInput {
                fields: project("x"),
                need: None,
                resource: None,
            },
        )
        .await
        .expect_err("offices write projects");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    let p = s
        .create_project(
            &huangpu,
            c.id,
            &ProjectInput {
                fields: project("银发健康守护行动"),
                need: Some(need.id),
                resource: Some(offer.id),
            },
        )
        .await
        .expect("project");
    assert_eq!(p.summary.source, "from_match");
    assert_eq!(p.summary.stage, "open");
    for id in [need.id, offer.id] {
        assert_eq!(s.get_post(&huangpu, id).await.expect("post").status, "matched");
    }
    // An edit writes only what it names.
    let p = s
        .update_project(
            &huangpu,
            p.summary.id,
            p.summary.version,
            &ProjectPatch {
                ends_on: Some(Some(day("2026-12-31"))),
                ..Default::default()
            },
        )
        .await
        .expect("edit");
    assert_eq!(p.summary.title, "银发健康守护行动");
    assert_eq!(p.description.as_deref(), Some("每月一次进社区"));
    assert_eq!(p.ends_on, Some(day("2026-12-31")));

    // Signing needs a claim.
    let e = s
        .sign_project(
            &huangpu,
            p.summary.id,
            p.summary.version,
            &Signing {
                plenary: Some(tenth.id),
                ..Default::default()
            },
        )
        .await
        .expect_err("unclaimed");
    assert_eq!(code_of(&e), ErrorCode::Unclaimed);

    // Two units claim: the hospital by its liaison (it leads), the bank by the office.
    let id = p.summary.id;
    let p = s
        .claim_project(&hospital_liaison, id, hospital.id, None, Some("派出专家团队".into()))
        .await
        .expect("claim");
    assert_eq!(p.claims[0].role, "lead");
    let e = s
        .claim_project(&hospital_liaison, id, bank.id, None, None)
        .await
        .expect_err("a liaison claims for its own unit only");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    let e = s
        .claim_project(&huangpu, id, bank.id, Some(ClaimRole::Lead), None)
        .await
        .expect_err("one lead");
    assert_eq!(code_of(&e), ErrorCode::LeadTaken);
    let p = s.claim_project(&huangpu, id, bank.id, None, None).await.expect("claim");
    assert_eq!(
        p.claims.iter().map(|c| c.role.as_str()).collect::<Vec<_>>(),
        ["lead", "partner"]
    );
    let e = s
        .claim_project(&bank_liaison, id, bank.id, None, None)
        .await
        .expect_err("once");
    assert_eq!(code_of(&e), ErrorCode::Duplicate);
    assert_eq!(p.summary.lead.as_deref(), Some("瑞金医院"));

    // A report before signing is refused.
    let e = s
        .file_report(&hospital_liaison, id, &report("2026-03", "正常", "10"))
        .await
        .expect_err("not signed yet");
    assert_eq!(code_of(&e), ErrorCode::ProjectStage);

    // Signed at the 10th plenary: its date, and its record gains the signing.
    let e = s
        .sign_project(
            &huangpu,
            id,
            p.summary.version,
            &Signing {
                plenary: Some(tenth.id),
                signed_on: Some(day("2026-03-21")),
                occasion: None,
            },
        )
        .await
        .expect_err("another day than the plenary's");
    assert_eq!(code_of(&e), ErrorCode::Inconsistent);
    let e = s
        .sign_project(
            &hospital_liaison,
            id,
            p.summary.version,
            &Signing {
                plenary: Some(tenth.id),
                ..Default::default()
            },
        )
        .await
        .expect_err("offices sign");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    let p = s
        .sign_project(
            &huangpu,
            id,
            p.summary.version,
            &Signing {
                plenary: Some(tenth.id),
                ..Default::default()
            },
        )
        .await
        .expect("signed");
    assert_eq!(p.summary.stage, "signed");
    assert_eq!(p.summary.signed_on, Some(day("2026-03-20")));
    assert_eq!(p.signed_plenary_number, Some(10));
    let record = s.get_plenary(&huangpu, c.id, tenth.id).await.expect("record");
    assert!(
        record
            .items
            .iter()
            .any(|i| i.kind == "signing" && i.text.contains("银发健康守护行动") && i.text.contains("申城银行黄浦支行")),
        "{:?}",
        record.items
    );
    let e = s
        .claim_project(&huangpu, id, community.id, None, None)
        .await
        .expect_err("claims close at signing");
    assert_eq!(code_of(&e), ErrorCode::ProjectStage);

    // Monthly reports: from the signing month on, once a month, by a claiming unit.
    let e = s
        .file_report(&hospital_liaison, id, &report("2026-02", "正常", "10"))
        .await
        .expect_err("before the signing");
    assert_eq!(code_of(&e), ErrorCode::OutOfRange);
    let next_month = Month::of(Utc::now().date_naive()).next().to_string();
    let e = s
        .file_report(&hospital_liaison, id, &report(&next_month, "正常", "10"))
        .await
        .expect_err("a month to come");
    assert_eq!(code_of(&e), ErrorCode::OutOfRange);
    let march = s
        .file_report(&hospital_liaison, id, &report("2026-03", "正常推进", "10"))
        .await
        .expect("filed");
    assert!(march.filed_late, "March's report was due on 10 April");
    let e = s
        .file_report(&bank_liaison, id, &report("2026-03", "正常推进", "15"))
        .await
        .expect_err("one a month");
    assert_eq!(code_of(&e), ErrorCode::Duplicate);
    s.file_report(&bank_liaison, id, &report("2026-04", "存在风险", "20"))
        .await
        .expect("a partner files too");
    let community_liaison = crate::common::account(&s, "liaison-community", Role::UnitLiaison, "310101002").await;
    s.add_alliance_liaison(&huangpu, c.id, community.id, "liaison-community")
        .await
        .expect("liaison");
    let e = s
        .file_report(&community_liaison, id, &report("2026-05", "正常推进", "30"))
        .await
        .expect_err("not a claiming unit");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);

    // The months missed are flagged to the secretariat: May's from 10 June.
    let flags = |today: &str| {
        let (s, a) = (&s, &secretariat_liaison);
        let today = day(today);
        async move { s.overdue_reports(a, c.id, today).await.expect("flags") }
    };
    assert!(flags("2026-06-09").await.is_empty(), "May's is not due yet");
    let june = flags("2026-06-10").await;
    assert_eq!(june.iter().map(|f| f.month.as_str()).collect::<Vec<_>>(), ["2026-05"]);
    assert_eq!(june[0].lead.as_deref(), Some("瑞金医院"));
    assert_eq!(june[0].due_on, day("2026-06-10"));
    let e = s
        .overdue_reports(&bank_liaison, c.id, day("2026-06-10"))
        .await
        .expect_err("the secretariat's and the offices' list");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    assert_eq!(
        s.overdue_reports(&huangpu, c.id, day("2026-06-10"))
            .await
            .expect("office")
            .len(),
        1
    );
    // Filed late, the flag goes.
    s.file_report(&hospital_liaison, id, &report("2026-05", "进度滞后", "25"))
        .await
        .expect("filed");
    assert!(flags("2026-06-10").await.is_empty());
    assert_eq!(
        flags("2026-08-10").await.len(),
        2,
        "June and July are owed by 10 August"
    );

    // Files: the agreement as a PDF; an executable named .pdf is refused; a photo must
    // be an image and belong to a report.
    let doc = s
        .add_attachment(
            &huangpu,
            id,
            Upload {
                purpose: AttachmentPurpose::Signing,
                report: None,
                name: "C:\\签约\\协议书.pdf".into(),
                bytes: PDF.to_vec(),
            },
        )
        .await
        .expect("agreement");
    assert_eq!(doc.file_name, "协议书.pdf");
    assert_eq!(doc.content_type, "application/pdf");
    let (_, bytes) = s.read_attachment(&bank_liaison, doc.id).await.expect("read back");
    assert_eq!(bytes, PDF);
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(512, 0);
    let e = s
        .add_attachment(
            &huangpu,
            id,
            Upload {
                purpose: AttachmentPurpose::Other,
                report: None,
                name: "协议.pdf".into(),
                bytes: exe,
            },
        )
        .await
        .expect_err("not a PDF whatever its name");
    assert_eq!(code_of(&e), ErrorCode::AttachmentTypeRefused);
    let e = s
        .add_attachment(
            &huangpu,
            id,
            Upload {
                purpose: AttachmentPurpose::Photo,
                report: Some(march.id),
                name: "现场.pdf".into(),
                bytes: PDF.to_vec(),
            },
        )
        .await
        .expect_err("a photo is an image");
    assert_eq!(code_of(&e), ErrorCode::AttachmentTypeRefused);
    let mut big = PNG.to_vec();
    big.resize(tongxin_domain::alliance::ATTACHMENT_MAX_BYTES + 1, 0);
    let e = s
        .add_attachment(
            &huangpu,
            id,
            Upload {
                purpose: AttachmentPurpose::Photo,
                report: Some(march.id),
                name: "big.png".into(),
                bytes: big,
            },
        )
        .await
        .expect_err("too large");
    assert_eq!(code_of(&e), ErrorCode::AttachmentTooLarge);
    let e = s
        .add_attachment(
            &community_liaison,
            id,
            Upload {
                purpose: AttachmentPurpose::Other,
                report: None,
                name: "x.pdf".into(),
                bytes: PDF.to_vec(),
            },
        )
        .await
        .expect_err("not a claiming unit");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    s.add_attachment(
        &hospital_liaison,
        id,
        Upload {
            purpose: AttachmentPurpose::Photo,
            report: Some(march.id),
            name: "现场.png".into(),
            bytes: PNG.to_vec(),
        },
    )
    .await
    .expect("photo");
    let p = s.get_project(&huangpu, id).await.expect("project");
    let m = p.reports.iter().find(|r| r.month == "2026-03").expect("march");
    assert_eq!(m.photos.len(), 1);
    assert_eq!(p.files.len(), 2);
    // Another district sees nothing of it.
    let xuhui = office(Role::DistrictOffice, "310104");
    assert_eq!(
        code_of(&s.get_project(&xuhui, id).await.expect_err("foreign")),
        ErrorCode::NotFound
    );
    assert_eq!(
        code_of(&s.read_attachment(&xuhui, doc.id).await.expect_err("foreign")),
        ErrorCode::NotFound
    );

    // Closed with its evaluation, once, not before its signing.
    let e = s
        .evaluate_project(
            &huangpu,
            id,
            p.summary.version,
            Grade::Excellent,
            day("2026-03-01"),
            None,
        )
        .await
        .expect_err("before signing");
    assert_eq!(code_of(&e), ErrorCode::OutOfOrder);
    let p = s
        .evaluate_project(
            &huangpu,
            id,
            p.summary.version,
            Grade::Excellent,
            day("2026-11-30"),
            Some("服务老人1200人次".into()),
        )
        .await
        .expect("closed");
    assert_eq!(p.summary.stage, "closed");
    assert_eq!(p.summary.grade.as_deref(), Some("excellent"));
    let e = s
        .evaluate_project(&huangpu, id, p.summary.version, Grade::Good, day("2026-11-30"), None)
        .await
        .expect_err("once");
    assert_eq!(code_of(&e), ErrorCode::ProjectStage);
    // Closed in November: no month from November on is owed.
    assert!(flags("2027-03-10").await.iter().all(|f| f.month.as_str() < "2026-11"),);
    let listed = s.list_projects(&bank_liaison, c.id, None).await.expect("list");
    assert_eq!(listed.len(), 1);
}

#[tokio::test]
async fn parties_to_a_signing_are_members_on_its_day() {
    let (s, _d) = crate::common::store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    // Joined in 2026, so a member today, not on a signing day of 2020.
    let late = s
        .add_alliance_member(&huangpu, c.id, &outside("新加入单位", "企业", "2026-01-05"))
        .await
        .expect("m");
    let p = s
        .create_project(
            &huangpu,
            c.id,
            &ProjectInput {
                fields: project("楼宇党建共建"),
                need: None,
                resource: None,
            },
        )
        .await
        .expect("project");
    assert_eq!(p.summary.source, "direct");
    let p = s
        .claim_project(&huangpu, p.summary.id, late.id, None, None)
        .await
        .expect("claim");
    let e = s
        .sign_project(
            &huangpu,
            p.summary.id,
            p.summary.version,
            &Signing {
                plenary: None,
                signed_on: Some(day("2020-05-01")),
                occasion: Some("年度峰会".into()),
            },
        )
        .await
        .expect_err("not a member then");
    assert_eq!(code_of(&e), ErrorCode::NotAMember);
    let e = s
        .sign_project(&huangpu, p.summary.id, p.summary.version, &Signing::default())
        .await
        .expect_err("a day or a plenary");
    assert_eq!(code_of(&e), ErrorCode::Required);
    let p = s
        .sign_project(
            &huangpu,
            p.summary.id,
            p.summary.version,
            &Signing {
                plenary: None,
                signed_on: Some(day("2026-02-01")),
                occasion: Some("年度峰会".into()),
            },
        )
        .await
        .expect("signed at a summit");
    assert_eq!(p.signed_occasion.as_deref(), Some("年度峰会"));
    let e = s
        .sign_project(&huangpu, p.summary.id, p.summary.version - 1, &Signing::default())
        .await
        .expect_err("stale");
    assert_eq!(code_of(&e), ErrorCode::StaleEdit);
}

#[tokio::test]
async fn a_signing_or_report_and_its_file_are_kept_together_or_not_at_all() {
    let (s, _d) = crate::common::store().await;
    let huangpu = office(Role::DistrictOffice, "310101");
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let late = s
        .add_alliance_member(&huangpu, c.id, &outside("新加入单位", "企业", "2026-01-05"))
        .await
        .expect("m");
    let p = s
        .create_project(
            &huangpu,
            c.id,
            &ProjectInput {
                fields: project("楼宇党建共建"),
                need: None,
                resource: None,
            },
        )
        .await
        .expect("project");
    let id = p.summary.id;
    let p = s.claim_project(&huangpu, id, late.id, None, None).await.expect("claim");
    let summit = |on: &str| Signing {
        plenary: None,
        signed_on: Some(day(on)),
        occasion: Some("年度峰会".into()),
    };
    let upload = |name: &str, bytes: &[u8]| Upload {
        purpose: AttachmentPurpose::Other,
        report: None,
        name: name.into(),
        bytes: bytes.to_vec(),
    };
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.resize(512, 0);
    // A refused agreement leaves the project unsigned.
    let e = s
        .sign_project_with(
            &huangpu,
            id,
            p.summary.version,
            &summit("2026-02-01"),
            Some(upload("协议.pdf", &exe)),
        )
        .await
        .expect_err("not a PDF");
    assert_eq!(code_of(&e), ErrorCode::AttachmentTypeRefused);
    // A refused signing leaves no file behind.
    let e = s
        .sign_project_with(
            &huangpu,
            id,
            p.summary.version,
            &summit("2020-05-01"),
            Some(upload("协议.pdf", PDF)),
        )
        .await
        .expect_err("not a member then");
    assert_eq!(code_of(&e), ErrorCode::NotAMember);
    let now = s.get_project(&huangpu, id).await.expect("project");
    assert_eq!(now.summary.stage, "open");
    assert!(now.files.is_empty(), "{:?}", now.files);
    // Together, both are kept; the agreement is filed as one whatever the upload said.
    let p = s
        .sign_project_with(
            &huangpu,
            id,
            p.summary.version,
            &summit("2026-02-01"),
            Some(upload("协议.pdf", PDF)),
        )
        .await
        .expect("signed with its agreement");
    assert_eq!(p.summary.stage, "signed");
    assert_eq!(p.files.len(), 1);
    assert_eq!(p.files[0].purpose, "signing");
    // The same for a report and its photo.
    let month = Month::parse("2026-02").expect("month");
    let e = s
        .file_report_with(
            &huangpu,
            id,
            &report("2026-02", "正常推进", "20"),
            Some(upload("现场.pdf", PDF)),
        )
        .await
        .expect_err("a photo is an image");
    assert_eq!(code_of(&e), ErrorCode::AttachmentTypeRefused);
    assert!(s.get_project(&huangpu, id).await.expect("p").reports.is_empty());
    let r = s
        .file_report_with(
            &huangpu,
            id,
            &report("2026-02", "正常推进", "20"),
            Some(upload("现场.png", PNG)),
        )
        .await
        .expect("report with its photo");
    assert_eq!(r.month, month.to_string());
    assert_eq!(r.photos.len(), 1);
    let p = s.get_project(&huangpu, id).await.expect("p");
    assert_eq!(p.files.iter().filter(|f| f.purpose == "photo").count(), 1);
}

#[tokio::test]
async fn brand_projects_are_recommended_scored_moved_published_and_awarded() {
    use tongxin_domain::alliance::CallFields;
    let (s, _d) = crate::common::store().await;
    let huangpu = crate::common::account(&s, "huangpu", Role::DistrictOffice, "310101").await;
    let c = s
        .create_conference(&huangpu, &conference("黄浦区区域化党建联席会议", "310101"), None)
        .await
        .expect("conference");
    let bank = s
        .add_alliance_member(&huangpu, c.id, &outside("申城银行黄浦支行", "国企", "2014-06-30"))
        .await
        .expect("m");
    let hospital = s
        .add_alliance_member(&huangpu, c.id, &outside("瑞金医院", "医院", "2014-06-30"))
        .await
        .expect("m");
    let tenth = s
        .create_plenary(&huangpu, c.id, &plenary("2026-03-20"))
        .await
        .expect("plenary");
    // Three signed projects and one still open.
    let mut projects = vec![];
    for title in ["银发健康守护", "楼宇金融课堂", "骑手暖心驿站", "未签约项目"] {
        let p = s
            .create_project(
                &huangpu,
                c.id,
                &ProjectInput {
                    fields: project(title),
                    need: None,
                    resource: None,
                },
            )
            .await
            .expect("project");
        let p = s
            .claim_project(&huangpu, p.summary.id, hospital.id, None, None)
            .await
            .expect("claim");
        let p = if title == "未签约项目" {
            p
        } else {
            s.sign_project(
                &huangpu,
                p.summary.id,
                p.summary.version,
                &Signing {
                    plenary: Some(tenth.id),
                    ..Default::default()
                },
            )
            .await
            .expect("sign")
        };
        projects.push(p.summary.id);
    }
    let call = s
        .create_call(
            &huangpu,
            c.id,
            &CallFields::parse(
                "品牌项目",
                "2026年度十大品牌项目",
                "2026",
                "2",
                "100",
                "工作成效:50\n创新性:30\n群众满意度:20",
                "",
            )
            .expect("call"),
        )
        .await
        .expect("call");
    let id = call.summary.id;
    // Recommendations: by a liaison in its unit's name, by the office; an open project
    // is not yet a candidate; a candidate once.
    let bank_liaison = crate::common::account(&s, "liaison-bank-2", Role::UnitLiaison, "310101002").await;
    s.add_alliance_liaison(&huangpu, c.id, bank.id, "liaison-bank-2")
        .await
        .expect("liaison");
    s.nominate(
        &bank_liaison,
        id,
        projects[0].0,
        Some(bank.id),
        Some("服务老人上千人次".into()),
    )
    .await
    .expect("recommended");
    let e = s
        .nominate(&bank_liaison, id, projects[1].0, Some(hospital.id), None)
        .await
        .expect_err("in another unit's name");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    s.nominate(&huangpu, id, projects[1].0, None, None)
        .await
        .expect("office");
    s.nominate(&huangpu, id, projects[2].0, None, None)
        .await
        .expect("office");
    let e = s
        .nominate(&huangpu, id, projects[3].0, None, None)
        .await
        .expect_err("not signed");
    assert_eq!(code_of(&e), ErrorCode::ProjectStage);
    let e = s
        .nominate(&huangpu, id, projects[0].0, None, None)
        .await
        .expect_err("once");
    assert_eq!(code_of(&e), ErrorCode::Duplicate);

    // Two judges; only judges score, on the call's criteria, within its scale.
    let judge_a = crate::common::account(&s, "judge-a", Role::DistrictOffice, "310101").await;
    let judge_b = crate::common::account(&s, "judge-b", Role::DistrictOffice, "310101002").await;
    for j in ["judge-a", "judge-b"] {
        s.add_judge(&huangpu, id, j).await.expect("judge");
    }
    let e = s
        .add_judge(&huangpu, id, "liaison-bank-2")
        .await
        .expect_err("offices judge");
    assert_eq!(code_of(&e), ErrorCode::ReferenceInvalid);
    let v = s.get_call(&huangpu, id).await.expect("call");
    let crit: Vec<i64> = v.criteria.iter().map(|c| c.id).collect();
    let cand = |v: &tongxin_store::alliance::CallView, p: tongxin_domain::alliance::ProjectId| {
        v.candidates
            .iter()
            .find(|c| c.project_id == Some(p.0))
            .expect("candidate")
            .id
    };
    let (c0, c1, c2) = (cand(&v, projects[0]), cand(&v, projects[1]), cand(&v, projects[2]));
    let e = s
        .score(&huangpu, id, c0, &[(crit[0], 90)])
        .await
        .expect_err("not a judge");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    let e = s
        .score(&judge_a, id, c0, &[(crit[0], 101)])
        .await
        .expect_err("past the scale");
    assert_eq!(code_of(&e), ErrorCode::OutOfRange);
    // Judge A: c1 best; judge B agrees; c0 second, c2 last.
    for (j, rows) in [
        (&judge_a, [(c0, [80, 70, 90]), (c1, [95, 90, 90]), (c2, [60, 50, 70])]),
        (&judge_b, [(c0, [70, 80, 80]), (c1, [90, 85, 95]), (c2, [65, 55, 60])]),
    ] {
        for (cand, scores) in rows {
            let pairs: Vec<(i64, i64)> = crit.iter().copied().zip(scores.iter().map(|x| i64::from(*x))).collect();
            s.score(j, id, cand, &pairs).await.expect("scored");
        }
    }
    // A second scoring replaces the first.
    s.score(&judge_a, id, c0, &[(crit[0], 80)]).await.expect("again");
    let v = s.get_call(&huangpu, id).await.expect("call");
    assert_eq!(
        v.candidates.iter().map(|c| c.id).collect::<Vec<_>>(),
        [c1, c0, c2],
        "{:?}",
        v.candidates
    );
    // c0 recounted here: (80+70)/2·0.5 + (70+80)/2·0.3 + (90+80)/2·0.2 = 37.5 + 22.5 + 17 = 77.
    assert_eq!(v.candidates[1].total, 77.0);
    assert_eq!(v.candidates[1].judges, 2);

    // The office moves c2 to second place, with its reason; without one it is refused.
    let e = s
        .move_candidate(&huangpu, id, c2, Some(2), " ")
        .await
        .expect_err("a reason");
    assert_eq!(code_of(&e), ErrorCode::Required);
    let e = s
        .move_candidate(&bank_liaison, id, c2, Some(2), "x")
        .await
        .expect_err("offices of the conference's territory only");
    assert_eq!(code_of(&e), ErrorCode::Forbidden);
    let v = s
        .move_candidate(&huangpu, id, c2, Some(2), "新就业群体服务填补空白，经联席会议讨论调整")
        .await
        .expect("moved");
    assert_eq!(v.candidates.iter().map(|c| c.id).collect::<Vec<_>>(), [c1, c2, c0]);
    assert!(v.candidates[1].move_reason.is_some());

    // Published: the first two selected, the places frozen; no more scores.
    let e = s
        .award_call(&huangpu, id, tenth.id)
        .await
        .expect_err("awards follow publication");
    assert_eq!(code_of(&e), ErrorCode::CallNotPublished);
    let v = s
        .publish_call(&huangpu, id, v.summary.version, day("2026-12-01"))
        .await
        .expect("published");
    assert_eq!(
        v.candidates
            .iter()
            .map(|c| (c.id, c.rank, c.selected))
            .collect::<Vec<_>>(),
        [(c1, 1, true), (c2, 2, true), (c0, 3, false)]
    );
    let e = s
        .score(&judge_b, id, c0, &[(crit[0], 100)])
        .await
        .expect_err("published");
    assert_eq!(code_of(&e), ErrorCode::CallPublished);
    let v = s.award_call(&huangpu, id, tenth.id).await.expect("awarded");
    assert_eq!(v.awarded_at_number, Some(tenth.number));
    let record = s.get_plenary(&huangpu, c.id, tenth.id).await.expect("record");
    assert!(
        record
            .items
            .iter()
            .any(|i| i.kind == "award" && i.text.contains("楼宇金融课堂") && i.text.contains("骑手暖心驿站")),
        "{:?}",
        record.items
    );
    // Another district sees none of it.
    let xuhui = office(Role::DistrictOffice, "310104");
    assert_eq!(
        code_of(&s.get_call(&xuhui, id).await.expect_err("foreign")),
        ErrorCode::NotFound
    );
    assert_eq!(s.list_calls(&bank_liaison, c.id).await.expect("calls").len(), 1);
}
