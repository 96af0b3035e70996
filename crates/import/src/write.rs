//! Writing workbooks: the export layout (one sheet per kind, canonical headers) and the
//! error workbook (the sheet as read, with 错误原因 beside each bad row).

use crate::{Cell, EXCEL_MAX_CELL_CHARS, Field, ImportError, Kind, Table};
use rust_xlsxwriter::{Format, Workbook};
use std::collections::HashMap;

fn werr(e: rust_xlsxwriter::XlsxError) -> ImportError {
    ImportError::Write(e.to_string())
}

/// The errors of one table: grid index → the row's reasons; (grid index, column) → the
/// reason a cell is marked with (a fill and a note).
pub struct ErrorSheet<'a> {
    pub table: &'a Table,
    pub errors: HashMap<usize, String>,
    pub marks: HashMap<(usize, usize), String>,
}

/// Header of the error column.
pub const ERROR_COLUMN: &str = "错误原因";

/// Note appended to a value cut to fit one Excel cell.
const CUT_NOTE: &str = "…【已截断 / cut】";

/// Writes one cell as it was read: numbers as numbers, dates as dates, and text cut to
/// what Excel can hold.
fn write_cell(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    plain: &Format,
    date: &Format,
) -> Result<(), ImportError> {
    match cell {
        Cell::Empty => {
            ws.write_blank(row, col, plain).map_err(werr)?;
        }
        Cell::Text(s) => {
            ws.write_string_with_format(row, col, fit(s), plain).map_err(werr)?;
        }
        Cell::Number(n) => {
            ws.write_number_with_format(row, col, *n, plain).map_err(werr)?;
        }
        Cell::Date(d) => {
            // Excel's serial day (days since 1899-12-30) in a date format.
            let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            let serial = (*d - base).num_days() as f64;
            ws.write_number_with_format(row, col, serial, date).map_err(werr)?;
        }
        Cell::Bool(b) => {
            ws.write_boolean_with_format(row, col, *b, plain).map_err(werr)?;
        }
    }
    Ok(())
}

/// Text as Excel can hold it in one cell: cut with a note when longer.
pub fn fit(s: &str) -> std::borrow::Cow<'_, str> {
    if s.len() <= EXCEL_MAX_CELL_CHARS || s.chars().count() <= EXCEL_MAX_CELL_CHARS {
        return std::borrow::Cow::Borrowed(s);
    }
    let keep = EXCEL_MAX_CELL_CHARS - CUT_NOTE.chars().count();
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(CUT_NOTE);
    std::borrow::Cow::Owned(out)
}

/// Writes the error workbook: every sheet as it was read, rows at their own lines, plus
/// a 错误原因 column.
pub fn write_error_workbook(sheets: &[ErrorSheet<'_>]) -> Result<Vec<u8>, ImportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let red = Format::new().set_font_color(rust_xlsxwriter::Color::Red);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let plain = Format::new();
    let fill = rust_xlsxwriter::Color::RGB(0xFFC7CE);
    let bad = Format::new().set_background_color(fill);
    let bad_date = Format::new().set_num_format("yyyy-mm-dd").set_background_color(fill);
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.table.sheet).map_err(werr)?;
        let width = s.table.grid.iter().map(|r| r.cells.len()).max().unwrap_or(0) as u16;
        // Each row's columns reach at least one past its last marked cell (a mark may sit
        // on an empty cell): found once, not by scanning every mark for every row.
        let mut marked_to: HashMap<usize, usize> = HashMap::new();
        for (gi, c) in s.marks.keys() {
            let to = marked_to.entry(*gi).or_default();
            *to = (*to).max(c + 1);
        }
        for (i, row) in s.table.grid.iter().enumerate() {
            let r = (row.line - 1) as u32;
            let cols = row.cells.len().max(marked_to.get(&i).copied().unwrap_or(0));
            for c in 0..cols {
                let v = row.cells.get(c).unwrap_or(&Cell::Empty);
                match s.marks.get(&(i, c)) {
                    Some(why) => {
                        write_cell(ws, r, c as u16, v, &bad, &bad_date)?;
                        let note = rust_xlsxwriter::Note::new(fit(why)).set_author("同心");
                        ws.insert_note(r, c as u16, &note).map_err(werr)?;
                    }
                    None if !matches!(v, Cell::Empty) => write_cell(ws, r, c as u16, v, &plain, &date)?,
                    None => {}
                }
            }
            if i == s.table.header_index {
                ws.write_string_with_format(r, width, ERROR_COLUMN, &bold)
                    .map_err(werr)?;
            } else if let Some(e) = s.errors.get(&i) {
                ws.write_string_with_format(r, width, fit(e), &red).map_err(werr)?;
            }
        }
        ws.set_column_width(width, 50).map_err(werr)?;
    }
    wb.save_to_buffer().map_err(werr)
}

/// Writes records in the import layout: one sheet per kind, canonical headers, so an
/// export can be edited in Excel or WPS and imported again.
pub fn write_workbook(sheets: &[(Kind, Vec<HashMap<Field, String>>)]) -> Result<Vec<u8>, ImportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (kind, rows) in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(kind.sheet_name()).map_err(werr)?;
        for (c, f) in kind.fields().iter().enumerate() {
            ws.write_string_with_format(0, c as u16, f.header(), &bold)
                .map_err(werr)?;
            ws.set_column_width(c as u16, 18).map_err(werr)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, f) in kind.fields().iter().enumerate() {
                if let Some(v) = row.get(f).filter(|v| !v.is_empty()) {
                    ws.write_string((r + 1) as u32, c as u16, v).map_err(werr)?;
                }
            }
        }
    }
    wb.save_to_buffer().map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_tables;

    #[test]
    fn export_reads_back() {
        let mut row = HashMap::new();
        row.insert(Field::UnitName, "甲公司".to_string());
        row.insert(Field::UnitKind, "企业".to_string());
        row.insert(Field::Division, "310106012".to_string());
        let bytes = write_workbook(&[(Kind::Units, vec![row])]).expect("write");
        let t = read_tables(&bytes, "x.xlsx", None).expect("read back");
        assert_eq!(t[0].kind, Kind::Units);
        assert_eq!(t[0].rows[0].get(Field::UnitName), "甲公司");
        assert_eq!(t[0].rows[0].get(Field::Division), "310106012");
    }

    #[test]
    fn error_workbook_keeps_layout() {
        let csv = "标题\n单位名称,单位类型,所属街道\n甲,企业,南京西路街道\n";
        let t = read_tables(csv.as_bytes(), "u.csv", Some(Kind::Units)).expect("read");
        let errors = HashMap::from([(2usize, "信用代码校验位错误".to_string())]);
        let marks = HashMap::from([((2usize, 1usize), "信用代码校验位错误".to_string())]);
        let bytes = write_error_workbook(&[ErrorSheet {
            table: &t[0],
            errors,
            marks,
        }])
        .expect("write");
        let back = read_tables(&bytes, "e.xlsx", Some(Kind::Units)).expect("read");
        assert_eq!(back[0].grid[1].text(3), ERROR_COLUMN);
        assert_eq!(back[0].grid[2].text(3), "信用代码校验位错误");
    }

    /// The text of one part of an .xlsx.
    fn part(xlsx: &[u8], prefix: &str) -> String {
        use std::io::Read;
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("zip");
        let name = (0..zip.len())
            .filter_map(|i| zip.name_for_index(i).and_then(|n| n.ok()).map(|n| n.to_string()))
            .find(|n| n.starts_with(prefix))
            .unwrap_or_else(|| panic!("no part {prefix}"));
        let mut text = String::new();
        zip.by_name(&name)
            .expect("part")
            .read_to_string(&mut text)
            .expect("text");
        text
    }

    /// Numbers and dates go back as numbers and dates; a bad cell is filled and carries
    /// its reason as a note.
    #[test]
    fn error_workbook_keeps_types_and_marks_bad_cells() {
        let table = crate::Table {
            kind: Kind::Members,
            sheet: "党员".into(),
            grid: vec![
                crate::GridRow {
                    line: 1,
                    cells: vec![
                        Cell::Text("姓名".into()),
                        Cell::Text("入党日期".into()),
                        Cell::Text("从业人数".into()),
                    ],
                },
                crate::GridRow {
                    line: 2,
                    cells: vec![
                        Cell::Text("张三".into()),
                        Cell::Date(chrono::NaiveDate::from_ymd_opt(2001, 7, 1).expect("date")),
                        Cell::Number(53.0),
                    ],
                },
            ],
            header_index: 0,
            columns: vec![],
            rows: vec![],
        };
        let bytes = write_error_workbook(&[ErrorSheet {
            table: &table,
            errors: HashMap::from([(1usize, "入党时未满十八周岁".to_string())]),
            marks: HashMap::from([((1usize, 1usize), "入党时未满十八周岁".to_string())]),
        }])
        .expect("write");
        let sheet = part(&bytes, "xl/worksheets/sheet1");
        // The date is a number in a date format, the count a number: not text cells.
        assert!(sheet.contains("<v>37073</v>"), "{sheet}");
        assert!(sheet.contains("<v>53</v>"), "{sheet}");
        assert!(
            !sheet.contains("t=\"s\"><v>53") && !sheet.contains("2001-07-01"),
            "{sheet}"
        );
        let styles = part(&bytes, "xl/styles.xml");
        assert!(styles.contains("FFC7CE"), "no fill for bad cells: {styles}");
        assert!(styles.contains("yyyy-mm-dd"), "no date format: {styles}");
        let notes = part(&bytes, "xl/comments");
        assert!(notes.contains("入党时未满十八周岁") && notes.contains("B2"), "{notes}");
    }
}

/// Writes one sheet: a bold header row, then the rows as text (report exports such as
/// coverage gap lists).
pub fn write_table(sheet: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, ImportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(sheet).map_err(werr)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, &bold).map_err(werr)?;
        ws.set_column_width(c as u16, 16).map_err(werr)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r as u32 + 1, c as u16, v).map_err(werr)?;
            }
        }
    }
    wb.save_to_buffer().map_err(werr)
}

#[cfg(test)]
mod table_tests {
    #[test]
    fn a_table_reads_back() {
        let bytes = super::write_table(
            "未覆盖单位",
            &["名称".into(), "类型".into()],
            &[vec!["甲公司".into(), "企业".into()]],
        )
        .expect("write");
        use calamine::Reader;
        let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("workbook");
        let range = wb.worksheet_range("未覆盖单位").expect("sheet");
        let cells: Vec<String> = range.rows().flatten().map(|c| c.to_string()).collect();
        assert_eq!(cells, ["名称", "类型", "甲公司", "企业"]);
    }
}

/// What a column accepts, in words an office reads (for templates).
fn accepted(f: Field) -> String {
    use tongxin_domain::registry::{CarrierKind, Labelled, MemberStatus, OrgKind, UnitKind};
    fn labels<T: Labelled>() -> String {
        T::ALL.iter().map(|v| v.label_zh()).collect::<Vec<_>>().join("、")
    }
    match f {
        Field::CarrierKind => labels::<CarrierKind>(),
        Field::UnitKind => format!("{}（空白为企业）", labels::<UnitKind>()),
        Field::OrgKind => labels::<OrgKind>(),
        Field::MemberStatus => labels::<MemberStatus>(),
        Field::IsKey => "是、否".into(),
        Field::Division => "区划代码，或街道/镇、居委会名称（可带区名）".into(),
        Field::CreditCode => "18位统一社会信用代码（GB 32100-2015，含校验位）".into(),
        Field::ResidentId => "18位公民身份号码（GB 11643，含校验位）；入党时须年满18周岁".into(),
        Field::Phone | Field::InstructorPhone => "11位手机号或带区号的固定电话".into(),
        Field::Employees => "整数，如 50（可写“50人”）".into(),
        Field::FoundedOn | Field::TermEndsOn | Field::JoinedOn => {
            "日期：2019-03-12、2019/3/12、2019.03.12、2019年3月12日、20190312 或 Excel 日期".into()
        }
        Field::Longitude | Field::Latitude => "小数（WGS-84）".into(),
        Field::OrgUnits => "单位名称，多个用“、”分隔；也可分成“所在单位”“覆盖单位”两列".into(),
        Field::CarrierRef => "本表或已登记的载体名称".into(),
        Field::ParentOrg | Field::OrgRef => "本表或已登记的党组织名称（顺序不限）".into(),
        Field::WorkUnit | Field::Headquarters => "本表或已登记的单位名称（顺序不限）".into(),
        Field::Version => "导出时的版本号，用于防止覆盖他人更新；新记录留空".into(),
        _ => "文字".into(),
    }
}

/// An example row of a kind, valid as it stands.
fn example(kind: Kind) -> Vec<(Field, String)> {
    use Field::*;
    let code = tongxin_domain::codes::CreditCode::with_check("91310106MA1FL2AB3")
        .map(|c| c.to_string())
        .unwrap_or_default();
    let rows: Vec<(Field, &str)> = match kind {
        Kind::Carriers => vec![
            (CarrierName, "某某大厦"),
            (CarrierKind, "楼宇"),
            (IsKey, "是"),
            (Division, "南京西路街道"),
            (Address, "南京西路1号"),
        ],
        Kind::Units => vec![
            (UnitName, "上海某某科技有限公司"),
            (UnitKind, "企业"),
            (CreditCode, ""),
            (Employees, "50"),
            (CarrierRef, "某某大厦"),
            (Division, "南京西路街道"),
            (Instructor, "王某"),
        ],
        Kind::Orgs => vec![
            (OrgName, "上海某某科技有限公司党支部"),
            (OrgKind, "党支部"),
            (OrgUnits, "上海某某科技有限公司"),
            (Division, "南京西路街道"),
            (Secretary, "张某"),
            (FoundedOn, "2019-03-12"),
            (TermEndsOn, "2027-03-11"),
        ],
        Kind::Members => vec![
            (MemberName, "李某"),
            (MemberStatus, "正式党员"),
            (ResidentId, "11010519491231002X"),
            (Phone, "13800138000"),
            (OrgRef, "上海某某科技有限公司党支部"),
            (WorkUnit, "上海某某科技有限公司"),
            (JoinedOn, "2010-07-01"),
        ],
        Kind::Needs => vec![
            (PostKind, "需求"),
            (PostTitle, "独居老人健康体检"),
            (PostCategory, "医疗健康"),
            (PostUnit, "某某居民区"),
            (Division, "南京西路街道"),
            (Audience, "辖区独居老人"),
            (People, "60"),
            (ContactName, "张某"),
        ],
        Kind::Resources => vec![
            (PostKind, "资源"),
            (PostTitle, "专家义诊进社区"),
            (PostCategory, "医疗健康"),
            (PostUnit, "某某医院"),
            (Division, "南京西路街道"),
            (People, "100"),
            (ContactName, "李某"),
        ],
        Kind::ViewerLog => vec![
            (Viewer, "张某"),
            (Phone, "13800138000"),
            (JoinedAt, "2026-12-10 14:02:10"),
            (LeftAt, "2026-12-10 15:30:45"),
        ],
    };
    rows.into_iter()
        .map(|(f, v)| (f, if f == CreditCode { code.clone() } else { v.to_string() }))
        .collect()
}

/// The import template of a kind: the header row (required columns marked *), an
/// example row, drop-down lists for the columns with fixed values, and a sheet that says
/// what each column accepts.
pub fn write_template(kind: Kind) -> Result<Vec<u8>, ImportError> {
    use tongxin_domain::registry::{CarrierKind, Labelled, MemberStatus, OrgKind, UnitKind};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let example_format = Format::new().set_font_color(rust_xlsxwriter::Color::Gray);
    let ws = wb.add_worksheet();
    ws.set_name(kind.sheet_name()).map_err(werr)?;
    let sample = example(kind);
    for (c, f) in kind.fields().iter().enumerate() {
        let c = c as u16;
        let head = if f.required_in(kind) {
            format!("{}*", f.header())
        } else {
            f.header().to_string()
        };
        ws.write_string_with_format(0, c, head, &bold).map_err(werr)?;
        ws.set_column_width(c, 20).map_err(werr)?;
        if let Some((_, v)) = sample.iter().find(|(sf, _)| sf == f) {
            ws.write_string_with_format(1, c, v, &example_format).map_err(werr)?;
        }
        let list: Option<Vec<&str>> = match f {
            Field::CarrierKind => Some(CarrierKind::ALL.iter().map(|v| v.label_zh()).collect()),
            Field::UnitKind => Some(UnitKind::ALL.iter().map(|v| v.label_zh()).collect()),
            Field::OrgKind => Some(OrgKind::ALL.iter().map(|v| v.label_zh()).collect()),
            Field::MemberStatus => Some(MemberStatus::ALL.iter().map(|v| v.label_zh()).collect()),
            Field::IsKey => Some(vec!["是", "否"]),
            _ => None,
        };
        if let Some(list) = list {
            let dv = rust_xlsxwriter::DataValidation::new()
                .allow_list_strings(&list)
                .map_err(werr)?
                .ignore_blank(true);
            ws.add_data_validation(1, c, 10_000, c, &dv).map_err(werr)?;
        }
    }
    let notes = wb.add_worksheet();
    notes.set_name("填写说明").map_err(werr)?;
    for (c, h) in ["列名", "是否必填", "可填写的内容", "也认作此列的表头"]
        .iter()
        .enumerate()
    {
        notes.write_string_with_format(0, c as u16, *h, &bold).map_err(werr)?;
    }
    notes.set_column_width(0, 16).map_err(werr)?;
    notes.set_column_width(1, 10).map_err(werr)?;
    notes.set_column_width(2, 60).map_err(werr)?;
    notes.set_column_width(3, 50).map_err(werr)?;
    for (r, f) in kind.fields().iter().enumerate() {
        let r = r as u32 + 1;
        notes.write_string(r, 0, f.header()).map_err(werr)?;
        notes
            .write_string(r, 1, if f.required_in(kind) { "必填" } else { "选填" })
            .map_err(werr)?;
        notes.write_string(r, 2, accepted(*f)).map_err(werr)?;
        notes.write_string(r, 3, f.names()[1..].join("、")).map_err(werr)?;
    }
    let r = kind.fields().len() as u32 + 2;
    notes
        .write_string(
            r,
            0,
            "说明：第2行为示例，导入前请删除或改写；标题行、序号列、合计行和备注行可以保留。",
        )
        .map_err(werr)?;
    wb.save_to_buffer().map_err(werr)
}

#[cfg(test)]
mod template_tests {
    use super::*;
    use crate::read_tables;

    /// Each template reads back as its kind, its example row a valid row of it.
    #[test]
    fn every_template_reads_back_with_its_example() {
        for kind in Kind::ALL {
            let bytes = write_template(kind).expect("template");
            let t = read_tables(&bytes, "template.xlsx", None).expect("reads");
            let table = t.iter().find(|t| t.kind == kind).expect("its kind");
            assert_eq!(table.rows.len(), 1, "{kind:?}");
            for f in kind.fields().iter().filter(|f| f.required_in(kind)) {
                assert!(table.columns.iter().any(|c| c.field == *f), "{kind:?} {f:?}");
            }
        }
        let m = write_template(Kind::Members).expect("template");
        let t = read_tables(&m, "m.xlsx", Some(Kind::Members)).expect("reads");
        assert!(tongxin_domain::codes::ResidentId::parse(t[0].rows[0].get(Field::ResidentId)).is_ok());
    }
}
