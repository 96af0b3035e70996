//! Writing workbooks: the export layout (one sheet per kind, canonical headers) and the
//! error workbook (the sheet as read, with 错误原因 beside each bad row).

use crate::{Field, ImportError, Kind, Table};
use rust_xlsxwriter::{Format, Workbook};
use std::collections::HashMap;

fn werr(e: rust_xlsxwriter::XlsxError) -> ImportError {
    ImportError::Write(e.to_string())
}

/// The errors of one table: sheet line index in the grid → reason.
pub struct ErrorSheet<'a> {
    pub table: &'a Table,
    pub errors: HashMap<usize, String>,
}

/// Header of the error column.
pub const ERROR_COLUMN: &str = "错误原因";

/// Writes the error workbook: every sheet as it was read, plus a 错误原因 column.
pub fn write_error_workbook(sheets: &[ErrorSheet<'_>]) -> Result<Vec<u8>, ImportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let red = Format::new().set_font_color(rust_xlsxwriter::Color::Red);
    for s in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&s.table.sheet).map_err(werr)?;
        let width = s.table.grid.iter().map(Vec::len).max().unwrap_or(0) as u16;
        for (r, row) in s.table.grid.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, v).map_err(werr)?;
                }
            }
            if r == s.table.header_index {
                ws.write_string_with_format(r as u32, width, ERROR_COLUMN, &bold)
                    .map_err(werr)?;
            } else if let Some(e) = s.errors.get(&r) {
                ws.write_string_with_format(r as u32, width, e, &red).map_err(werr)?;
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
        let bytes = write_error_workbook(&[ErrorSheet { table: &t[0], errors }]).expect("write");
        let back = read_tables(&bytes, "e.xlsx", Some(Kind::Units)).expect("read");
        assert_eq!(back[0].grid[1][3], ERROR_COLUMN);
        assert_eq!(back[0].grid[2][3], "信用代码校验位错误");
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
