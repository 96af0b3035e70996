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
        for (i, row) in s.table.grid.iter().enumerate() {
            let r = (row.line - 1) as u32;
            let marked: Vec<usize> = s.marks.keys().filter(|(gi, _)| *gi == i).map(|(_, c)| *c).collect();
            let cols = row.cells.len().max(marked.iter().map(|c| c + 1).max().unwrap_or(0));
            for c in 0..cols {
                let v = row.cells.get(c).cloned().unwrap_or_default();
                match s.marks.get(&(i, c)) {
                    Some(why) => {
                        write_cell(ws, r, c as u16, &v, &bad, &bad_date)?;
                        let note = rust_xlsxwriter::Note::new(fit(why)).set_author("同心");
                        ws.insert_note(r, c as u16, &note).map_err(werr)?;
                    }
                    None if !matches!(v, Cell::Empty) => write_cell(ws, r, c as u16, &v, &plain, &date)?,
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
