//! An alliance's lists from an office's spreadsheet, on the store the environment names
//! (SQLite, or PostgreSQL with TONGXIN_TEST_POSTGRES): title and footer rows,
//! Traditional headers, a unit column per kind in one sheet, units named as offices write
//! them; nothing written while a row is refused; unknown units listed, then confirmed;
//! a second import changes nothing; the export reads back. Figures are recounted from the
//! file by the test itself.

use tongxin_domain::access::Role;
use tongxin_domain::alliance::{ConferenceFields, ConferenceId, MemberFields};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::scope::Scope;
use tongxin_i18n::Lang;
use tongxin_import::Limits;
use tongxin_store::alliance::AllianceMemberInput;
use tongxin_store::{Actor, Store};
use tongxin_transfer::alliance::{export_lists, import_lists};

async fn store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let url = match std::env::var("TONGXIN_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) {
        Some(admin) => {
            let name = format!("tx_transfer_{}", &tongxin_store::accounts::new_token()[..16]);
            tongxin_store::create_postgres_database(&admin, &name)
                .await
                .expect("create database")
        }
        None => format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()),
    };
    let s = Store::open(&url).await.expect("open");
    s.migrate().await.expect("migrate");
    s.ensure_builtin_divisions().await.expect("divisions");
    (s, dir)
}

fn office() -> Actor {
    Actor {
        account_id: None,
        username: "office-310101".into(),
        role: Role::DistrictOffice,
        scope: Scope::division(DivisionCode::parse("310101").expect("code")),
    }
}

/// A sheet as offices send them: a title, a date line, Traditional headers, both kinds in
/// one sheet with a unit column each, a blank row, a footer and a note.
const SHEET: &str = "黄浦区区域化党建“三张清单”汇总表,,,,,,,,,,,,
填报日期：2026年11月,,,,,,,,,,,,
序號,類型,名稱,類別,具體內容,需求單位,提供單位,所屬街道,服務對象,人數,截止日期,聯繫人,聯繫電話
1,需求,独居老人健康体检,医疗健康,每年一次上门体检,外滩街道某居民区,,外滩,独居老人,60,2026/12/31,张老师,13800138000
2,資源,专家义诊进社区,医疗卫生,三甲医院专家每月义诊,,瑞金医院,,社区居民,200,,李医生,
,,,,,,,,,,,,
3,资源,小微企业融资辅导,金融,,,申城银行黄浦支行,南京东路,小微企业,,2027-06-30,,
4,需求,楼宇白领午间课堂,,,某某科技有限公司,,南京东路街道,楼宇白领,30,,,
合计,4项,,,,,,,,,,,
注：类型填写需求或资源
";

#[tokio::test]
async fn an_office_s_lists_come_in_whole_or_not_at_all() {
    let (s, _d) = store().await;
    let o = office();
    let c = s
        .create_conference(
            &o,
            &ConferenceFields::parse("黄浦区区域化党建联席会议", "310101", None, "").expect("conference"),
            None,
        )
        .await
        .expect("conference")
        .id;
    for n in [
        "上海交通大学医学院附属瑞金医院",
        "申城银行上海黄浦支行",
        "外滩街道某居民区",
    ] {
        s.add_alliance_member(
            &o,
            c,
            &AllianceMemberInput {
                unit: None,
                name: Some(n.into()),
                fields: MemberFields::parse(
                    "其他",
                    Some(chrono::NaiveDate::from_ymd_opt(2014, 6, 30).expect("d")),
                    None,
                    None,
                )
                .expect("m"),
            },
        )
        .await
        .expect("member");
    }
    // The test's own recount of the file: data rows, and the units they name.
    let rows: Vec<Vec<&str>> = SHEET
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|r| r.len() > 5 && r[0].parse::<u32>().is_ok())
        .collect();
    assert_eq!(rows.len(), 4);
    let needs_in_file = rows.iter().filter(|r| r[1] == "需求").count();

    let file = || ("三张清单.csv".to_string(), SHEET.as_bytes().to_vec());
    let limits = Limits::UPLOAD;
    // An unknown unit: nothing is written, the unit is listed, the row is in the workbook.
    let out = import_lists(&s, &o, c, file(), false, limits, Lang::ZhCn)
        .await
        .expect("runs");
    assert!(!out.report.committed);
    assert_eq!(out.report.unknown_units, ["某某科技有限公司"]);
    assert_eq!(out.report.errors.len(), 1, "{:?}", out.report.errors);
    let line = SHEET
        .lines()
        .position(|l| l.contains("某某科技有限公司"))
        .expect("in the file")
        + 1;
    assert_eq!(out.report.errors[0].line, line, "the line Excel shows");
    assert!(s.list_posts(&o, c, None, None, None).await.expect("posts").is_empty());
    let wb = out.error_workbook.expect("an error workbook");
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(wb)).expect("a workbook");
    use calamine::Reader;
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("reads");
    let text: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("某某科技有限公司") && t.contains("楼宇白领午间课堂")),
        "{text:?}"
    );

    // Confirmed as a new outside organisation: every row in, each unit where it belongs.
    let out = import_lists(&s, &o, c, file(), true, limits, Lang::ZhCn)
        .await
        .expect("runs");
    assert!(out.report.committed, "{:?}", out.report.errors);
    assert_eq!(out.report.created, rows.len());
    assert_eq!(out.report.added_units, ["某某科技有限公司"]);
    let posts = s.list_posts(&o, c, None, None, None).await.expect("posts");
    assert_eq!(posts.len(), rows.len());
    assert_eq!(posts.iter().filter(|p| p.kind == "need").count(), needs_in_file);
    let by_title = |t: &str| posts.iter().find(|p| p.title == t).expect(t);
    assert_eq!(by_title("专家义诊进社区").member_name, "上海交通大学医学院附属瑞金医院");
    assert_eq!(by_title("小微企业融资辅导").member_name, "申城银行上海黄浦支行");
    assert_eq!(by_title("独居老人健康体检").division_code, "310101013", "外滩街道");
    assert_eq!(
        by_title("独居老人健康体检").contact_phone.as_deref(),
        Some("138****8000")
    );
    assert_eq!(
        by_title("小微企业融资辅导").ends_on.map(|d| d.to_string()).as_deref(),
        Some("2027-06-30")
    );
    let members = s.list_alliance_members(&o, c, false).await.expect("members");
    assert_eq!(members.len(), 4);
    // Imported needs find the imported resources.
    let found = s
        .match_post(&o, by_title("独居老人健康体检").id, 5)
        .await
        .expect("matches");
    assert_eq!(found.first().map(|m| m.post.title.as_str()), Some("专家义诊进社区"));

    // The same file again changes nothing.
    let out = import_lists(&s, &o, c, file(), false, limits, Lang::ZhCn)
        .await
        .expect("runs");
    assert!(out.report.committed);
    assert_eq!(
        (out.report.created, out.report.updated, out.report.unchanged),
        (0, 0, rows.len())
    );

    // The export reads back as it was (its masked phones keep the phones on record).
    let xlsx = export_lists(&s, &o, c).await.expect("export");
    let out = import_lists(&s, &o, c, ("导出.xlsx".into(), xlsx), false, limits, Lang::ZhCn)
        .await
        .expect("runs");
    assert!(out.report.committed, "{:?}", out.report.errors);
    assert_eq!(out.report.unchanged, rows.len(), "{:?}", out.report);
    let again = s.list_posts(&o, c, None, None, None).await.expect("posts");
    assert_eq!(
        again
            .iter()
            .find(|p| p.title == "独居老人健康体检")
            .and_then(|p| p.contact_phone.clone())
            .as_deref(),
        Some("138****8000")
    );

    // Another district's office reads nothing of it and writes nothing into it.
    let xuhui = Actor {
        scope: Scope::division(DivisionCode::parse("310104").expect("code")),
        ..office()
    };
    assert!(
        import_lists(&s, &xuhui, c, file(), true, limits, Lang::ZhCn)
            .await
            .is_err()
    );
    assert!(export_lists(&s, &xuhui, c).await.is_err());
    assert_eq!(
        s.list_posts(&o, c, None, None, None).await.expect("posts").len(),
        rows.len()
    );
    let _ = ConferenceId(0);
}
