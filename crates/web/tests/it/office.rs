//! A street's year-end workbook made the way offices make theirs — sheets in any order,
//! rows sorted by 序号 so that a unit comes before its headquarters and a branch before
//! its committee, members before their organisations, both 所在单位 and 覆盖单位 filled,
//! title rows, merged headers, a Traditional header, subtotal and footer rows — imports
//! whole, and its coverage figures equal a recount the test makes from its own rows.

use crate::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

/// A unit row: name, credit code, carrier, instructor, headquarters.
type UnitRow = (
    String,
    String,
    Option<&'static str>,
    Option<&'static str>,
    Option<String>,
);
/// An organisation row: name, kind, parent, carrier, own units (所在单位), covered units
/// (覆盖单位).
type OrgRow = (
    String,
    &'static str,
    Option<String>,
    Option<&'static str>,
    Vec<String>,
    Vec<String>,
);

/// The street's records as the test knows them (the recount works from these).
struct Office {
    carriers: Vec<(&'static str, &'static str)>,
    units: Vec<UnitRow>,
    orgs: Vec<OrgRow>,
    /// name, status, resident id, organisation
    members: Vec<(String, &'static str, String, String)>,
}

fn office() -> Office {
    let carriers = vec![("甲一号楼", "楼宇"), ("甲二号楼", "楼宇"), ("甲科创园", "园区")];
    let mut units = Vec::new();
    for i in 0..30u32 {
        let carrier = match i % 4 {
            0 => None,
            k => Some(carriers[(k as usize - 1) % 3].0),
        };
        let instructor = (i % 5 == 0).then_some("王指导");
        // Units 1..5 belong to headquarters 21..25, which come later in the sheet.
        let hq = (1..5).contains(&i).then(|| format!("办公单位{}", i + 20));
        units.push((format!("办公单位{i}"), credit_code(5_000 + i), carrier, instructor, hq));
    }
    let mut orgs = Vec::new();
    // Branches of units 0..8, listed before the committee above them.
    for i in 0..8 {
        orgs.push((
            format!("办公单位{i}党支部"),
            "党支部",
            Some("甲科创园综合党委".to_string()),
            None,
            vec![format!("办公单位{i}")],
            vec![],
        ));
    }
    // A joint branch whose units are split across the two unit columns.
    orgs.push((
        "甲联合党支部".into(),
        "联合支部",
        Some("甲科创园综合党委".to_string()),
        None,
        vec!["办公单位11".into()],
        vec!["办公单位12".into(), "办公单位13".into()],
    ));
    // The park's committee, set up at carrier level, last.
    orgs.push((
        "甲科创园综合党委".into(),
        "党委",
        None,
        Some("甲科创园"),
        vec![],
        vec![],
    ));
    let mut members = Vec::new();
    for i in 0..40u32 {
        let org = if i % 5 == 4 {
            "甲联合党支部".to_string()
        } else {
            format!("办公单位{}党支部", i % 8)
        };
        let status = if i % 7 == 0 { "预备党员" } else { "正式党员" };
        members.push((format!("党员{i:02}"), status, resident_id(600 + i), org));
    }
    Office {
        carriers,
        units,
        orgs,
        members,
    }
}

/// Coverage as the field counts it, from the test's own rows: organisationally covered
/// (attached to an organisation), work covered (an instructor, or an organisation set up
/// in its carrier), uncovered.
fn recount(o: &Office) -> (i64, i64, i64, i64) {
    let attached: BTreeSet<&str> = o
        .orgs
        .iter()
        .flat_map(|(_, _, _, _, own, covered)| own.iter().chain(covered))
        .map(String::as_str)
        .collect();
    let carrier_orgs: BTreeSet<&str> = o.orgs.iter().filter_map(|org| org.3).collect();
    let (mut org, mut work, mut none) = (0, 0, 0);
    for (name, _, carrier, instructor, _) in &o.units {
        if attached.contains(name.as_str()) {
            org += 1;
        } else if instructor.is_some() || carrier.is_some_and(|c| carrier_orgs.contains(c)) {
            work += 1;
        } else {
            none += 1;
        }
    }
    (o.units.len() as i64, org, work, none)
}

/// The workbook: members first, then organisations, units, carriers; each with the
/// noise of a real one.
fn workbook(o: &Office) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let merged = Format::new().set_bold();

    let ws = wb.add_worksheet();
    ws.set_name("党员名册").expect("name");
    ws.write_string(0, 0, "南京西路街道党员名册（2024年12月）").expect("w");
    ws.write_row(1, 0, ["序号", "姓名", "人員類別", "公民身份号码", "所在党支部"])
        .expect("w");
    // Sorted by name, backwards: nothing to do with the organisations' order.
    let mut ms: Vec<_> = o.members.iter().collect();
    ms.sort_by(|a, b| b.0.cmp(&a.0));
    for (i, (name, status, id, org)) in ms.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_number(r, 0, (i + 1) as f64).expect("w");
        ws.write_row(r, 1, [name.as_str(), *status, id.as_str(), org.as_str()])
            .expect("w");
    }
    ws.write_string(ms.len() as u32 + 3, 0, "填表人：李四").expect("w");

    let ws = wb.add_worksheet();
    ws.set_name("党组织").expect("name");
    ws.write_string(0, 0, "党组织设置情况").expect("w");
    ws.merge_range(1, 0, 2, 0, "序号", &merged).expect("m");
    ws.merge_range(1, 1, 2, 1, "党组织名称", &merged).expect("m");
    ws.merge_range(1, 2, 2, 2, "组织类别", &merged).expect("m");
    ws.merge_range(1, 3, 2, 3, "上级党组织", &merged).expect("m");
    ws.merge_range(1, 4, 1, 5, "覆盖情况", &merged).expect("m");
    ws.write_string(2, 4, "所在单位").expect("w");
    ws.write_string(2, 5, "覆盖单位").expect("w");
    ws.merge_range(1, 6, 2, 6, "所在楼宇", &merged).expect("m");
    ws.merge_range(1, 7, 2, 7, "所属街道", &merged).expect("m");
    for (i, (name, kind, parent, carrier, own, covered)) in o.orgs.iter().enumerate() {
        let r = i as u32 + 3;
        ws.write_number(r, 0, (i + 1) as f64).expect("w");
        ws.write_row(
            r,
            1,
            [
                name.as_str(),
                *kind,
                parent.as_deref().unwrap_or(""),
                own.join("、").as_str(),
                covered.join("，").as_str(),
                carrier.unwrap_or(""),
                "南京西路街道",
            ],
        )
        .expect("w");
    }

    let ws = wb.add_worksheet();
    ws.set_name("两新组织").expect("name");
    ws.write_string(0, 0, "两新组织名录").expect("w");
    ws.write_row(
        1,
        0,
        [
            "序号",
            "单位名称",
            "统一社会信用代码",
            "所屬樓宇",
            "党建指导员",
            "所属总部",
            "所属街道",
        ],
    )
    .expect("w");
    for (i, (name, code, carrier, instructor, hq)) in o.units.iter().enumerate() {
        let r = i as u32 + 2;
        ws.write_number(r, 0, (i + 1) as f64).expect("w");
        ws.write_row(
            r,
            1,
            [
                name.as_str(),
                code.as_str(),
                carrier.unwrap_or(""),
                instructor.unwrap_or(""),
                hq.as_deref().unwrap_or(""),
                "静安区南京西路街道",
            ],
        )
        .expect("w");
    }
    ws.write_row(o.units.len() as u32 + 2, 0, ["合计", "30家"]).expect("w");

    let ws = wb.add_worksheet();
    ws.set_name("楼宇园区").expect("name");
    ws.write_row(0, 0, ["载体名称", "载体类型", "所属街道", "是否重点"])
        .expect("w");
    for (i, (name, kind)) in o.carriers.iter().enumerate() {
        ws.write_row(i as u32 + 1, 0, [*name, *kind, "南京西路", "是"])
            .expect("w");
    }
    ws.write_string(o.carriers.len() as u32 + 2, 0, "注：重点楼宇按年度认定")
        .expect("w");
    wb.save_to_buffer().expect("xlsx")
}

/// The same records as four GB18030 CSV files, as Excel on a Chinese Windows saves them.
fn csvs(o: &Office) -> Vec<(String, Vec<u8>)> {
    let gb = |s: String| encoding_rs::GB18030.encode(&s).0.into_owned();
    let mut members = String::from("姓名,党员类别,身份证号,所在党组织\n");
    for (name, status, id, org) in &o.members {
        members.push_str(&format!("{name},{status},{id},{org}\n"));
    }
    let mut orgs = String::from("党组织名称,组织类别,上级党组织,所在单位,覆盖单位,所在楼宇,所属街道\n");
    for (name, kind, parent, carrier, own, covered) in &o.orgs {
        orgs.push_str(&format!(
            "{name},{kind},{},\"{}\",\"{}\",{},南京西路街道\n",
            parent.as_deref().unwrap_or(""),
            own.join("、"),
            covered.join("、"),
            carrier.unwrap_or("")
        ));
    }
    let mut units = String::from("单位名称,统一社会信用代码,所在楼宇,党建指导员,所属总部,所属街道\n");
    for (name, code, carrier, instructor, hq) in &o.units {
        units.push_str(&format!(
            "{name},{code},{},{},{},南京西路街道\n",
            carrier.unwrap_or(""),
            instructor.unwrap_or(""),
            hq.as_deref().unwrap_or("")
        ));
    }
    let mut carriers = String::from("载体名称,载体类型,所属街道\n");
    for (name, kind) in &o.carriers {
        carriers.push_str(&format!("{name},{kind},南京西路街道\n"));
    }
    // Dependants first: the files of one import may come in any order.
    vec![
        ("党员.csv".into(), gb(members)),
        ("党组织.csv".into(), gb(orgs)),
        ("单位.csv".into(), gb(units)),
        ("载体.csv".into(), gb(carriers)),
    ]
}

async fn check_figures(c: &Client, o: &Office) {
    let (total, org, work, none) = recount(o);
    let (status, f) = c.get(&format!("/api/v1/coverage/summary?division={STREET_A}")).await;
    assert_eq!(status, StatusCode::OK, "{f}");
    assert_eq!(f["units_total"], total, "{f}");
    assert_eq!(f["units_org_covered"], org, "{f}");
    assert_eq!(f["units_work_covered"], work, "{f}");
    assert_eq!(f["units_uncovered"], none, "{f}");
    assert_eq!(f["party_orgs"], o.orgs.len() as i64, "{f}");
    let full = o.members.iter().filter(|m| m.1 == "正式党员").count() as i64;
    assert_eq!(f["members_full"], full, "{f}");
    assert_eq!(f["members_probationary"], o.members.len() as i64 - full, "{f}");
}

#[tokio::test]
async fn a_real_office_workbook_imports_whole_and_its_figures_match_a_recount() {
    let app = spawn().await;
    let c = Client::new_account(
        &app,
        "street_a",
        tongxin_domain::access::Role::StreetOffice,
        Some(STREET_A),
        None,
    )
    .await;
    let o = office();
    if let Ok(dir) = std::env::var("TONGXIN_WRITE_FIXTURES") {
        // The source of tests/fixtures/office.* (saved again by LibreOffice: see there).
        std::fs::write(std::path::Path::new(&dir).join("office.xlsx"), workbook(&o)).expect("fixture");
    }
    let (status, r) = c.import("", vec![("年终名册.xlsx".into(), workbook(&o))]).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["committed"], true, "{r}");
    let created: HashMap<String, i64> = r["sheets"]
        .as_array()
        .expect("sheets")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or("").to_string(),
                s["created"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(created["carriers"], 3, "{r}");
    assert_eq!(created["units"], 30, "{r}");
    assert_eq!(created["orgs"], 10, "{r}");
    assert_eq!(created["members"], 40, "{r}");
    check_figures(&c, &o).await;

    // The joint branch covers the units of both columns; the branch hangs under the
    // committee listed after it; a unit listed before its headquarters is linked.
    let (_, orgs) = c.get("/api/v1/orgs?q=甲联合党支部").await;
    assert_eq!(
        orgs["items"][0]["unit_names"].as_array().map(Vec::len),
        Some(3),
        "{orgs}"
    );
    let (_, branch) = c.get("/api/v1/orgs?q=办公单位3党支部").await;
    assert_eq!(branch["items"][0]["parent_name"], "甲科创园综合党委", "{branch}");
    let (_, u) = c.get("/api/v1/units?q=办公单位2").await;
    let id = u["items"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["name"] == "办公单位2"))
        .map(|x| x["id"].clone())
        .expect("unit");
    let (_, links) = c.get(&format!("/api/v1/units/{id}/links")).await;
    assert_eq!(links[0]["other_unit_name"], "办公单位22", "{links}");

    // The same workbook again changes nothing.
    let (status, r) = c.import("", vec![("年终名册.xlsx".into(), workbook(&o))]).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    for s in r["sheets"].as_array().expect("sheets") {
        assert_eq!(
            s["created"].as_i64().unwrap_or(0) + s["updated"].as_i64().unwrap_or(0),
            0,
            "{r}"
        );
    }
    check_figures(&c, &o).await;
}

#[tokio::test]
async fn four_gb18030_csv_files_are_one_import_in_any_order() {
    let app = spawn().await;
    let c = Client::new_account(
        &app,
        "street_a",
        tongxin_domain::access::Role::StreetOffice,
        Some(STREET_A),
        None,
    )
    .await;
    let o = office();
    let (status, r) = c.import("", csvs(&o)).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["committed"], true, "{r}");
    check_figures(&c, &o).await;
}

#[tokio::test]
async fn every_error_of_a_row_is_reported_and_cycles_are_named() {
    let app = spawn().await;
    let c = Client::new_account(
        &app,
        "street_a",
        tongxin_domain::access::Role::StreetOffice,
        Some(STREET_A),
        None,
    )
    .await;
    let before = snapshot(&app).await;
    // One unit row with three faults at once.
    let units = "单位名称,统一社会信用代码,从业人数,所在楼宇,所属街道\n甲公司,91310106MA1FL2AB3X,约50人,不存在的楼,南京西路街道\n";
    let (status, r) = c.import("", vec![("u.csv".into(), units.as_bytes().to_vec())]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let codes: BTreeSet<&str> = r["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["code"].as_str())
        .collect();
    assert_eq!(
        codes,
        BTreeSet::from([
            "registry.unit.credit_code_invalid",
            "validation.not_a_number",
            "registry.reference_invalid"
        ]),
        "{r}"
    );
    assert!(
        r["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .all(|e| e["record"] == "甲公司"),
        "{r}"
    );

    // Two organisations each the other's parent, and a member of one of them.
    let orgs =
        "党组织名称,组织类别,上级党组织,所属街道\n甲党委,党委,乙党委,南京西路街道\n乙党委,党委,甲党委,南京西路街道\n";
    let members = format!(
        "姓名,党员类别,身份证号,所在党组织\n张三,正式党员,{},甲党委\n",
        resident_id(901)
    );
    let (status, r) = c
        .import(
            "",
            vec![
                ("o.csv".into(), orgs.as_bytes().to_vec()),
                ("m.csv".into(), members.into_bytes()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{r}");
    let errors = r["errors"].as_array().expect("errors");
    let cycle: Vec<&Value> = errors.iter().filter(|e| e["code"] == "import.parent_cycle").collect();
    assert_eq!(cycle.len(), 2, "{r}");
    assert!(
        cycle[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains('2') && d.contains('3')),
        "{r}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e["code"] == "import.depends_on_failed_row" && e["record"] == "张三"),
        "{r}"
    );
    assert_eq!(snapshot(&app).await, before, "a refused import wrote something");
}

/// The same workbook as Excel 97 (.xls) and as an .xlsx saved by LibreOffice (see
/// tests/fixtures/README.md): each imports whole with the same figures.
#[tokio::test]
async fn the_workbook_saved_as_xls_and_by_libreoffice_imports_the_same() {
    let o = office();
    for (name, bytes) in [
        ("office.xls", include_bytes!("../fixtures/office.xls").to_vec()),
        (
            "office-libreoffice.xlsx",
            include_bytes!("../fixtures/office-libreoffice.xlsx").to_vec(),
        ),
    ] {
        let app = spawn().await;
        let c = Client::new_account(
            &app,
            "street_a",
            tongxin_domain::access::Role::StreetOffice,
            Some(STREET_A),
            None,
        )
        .await;
        let (status, r) = c.import("", vec![(name.to_string(), bytes)]).await;
        assert_eq!(status, StatusCode::OK, "{name}: {r}");
        assert_eq!(r["committed"], true, "{name}: {r}");
        check_figures(&c, &o).await;
    }
}
