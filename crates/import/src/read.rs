//! Reading .xlsx, .xls and .csv into tables of clean text keyed by field.

use crate::normalise::header_key;
use crate::{Field, ImportError, Kind, MAX_FILE_BYTES};
use calamine::{Data, Reader};
use std::collections::HashMap;
use std::io::Cursor;

/// One recognised table of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    pub kind: Kind,
    pub sheet: String,
    /// Every row of the sheet as read (for the error workbook, which keeps the layout).
    pub grid: Vec<Vec<String>>,
    /// Index into `grid` of the header row.
    pub header_index: usize,
    pub columns: Vec<(Field, usize)>,
    pub rows: Vec<TableRow>,
}

/// A data row: its index in the grid, its sheet line number (1-based) and its values.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub index: usize,
    pub line: usize,
    pub values: HashMap<Field, String>,
}

impl TableRow {
    /// The cell of a field, trimmed; empty when the column is absent.
    pub fn get(&self, f: Field) -> &str {
        self.values.get(&f).map(|s| s.trim()).unwrap_or("")
    }
}

struct Grid {
    name: String,
    first_line: usize,
    rows: Vec<Vec<String>>,
}

/// Reads a file. `kind` forces the kind of a single-sheet file (`--kind`).
pub fn read_tables(bytes: &[u8], filename: &str, kind: Option<Kind>) -> Result<Vec<Table>, ImportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { max: MAX_FILE_BYTES });
    }
    let grids = if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_excel(bytes)?
    } else {
        let lower = filename.to_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".xlsm") {
            return Err(ImportError::NotAWorkbook(
                "the file's content is not an Excel workbook".into(),
            ));
        }
        vec![read_csv(bytes, filename)?]
    };
    let single = grids.len() == 1;
    let mut tables = Vec::new();
    for g in grids {
        let sheet_kind = Kind::parse(&g.name);
        let candidates: Vec<Kind> = match (kind, sheet_kind) {
            (Some(k), _) if single => vec![k],
            (Some(k), Some(s)) if k == s => vec![k],
            (Some(_), _) => continue,
            (None, Some(s)) => vec![s],
            (None, None) => Kind::ALL.to_vec(),
        };
        if let Some(t) = best_table(&g, &candidates)? {
            tables.push(t);
        }
    }
    if tables.is_empty() {
        return Err(ImportError::NoHeader);
    }
    tables.sort_by_key(|t| t.kind);
    Ok(tables)
}

fn read_excel(bytes: &[u8]) -> Result<Vec<Grid>, ImportError> {
    let mut wb = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| ImportError::NotAWorkbook(e.to_string()))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| ImportError::NotAWorkbook(e.to_string()))?;
        let (first_row, first_col) = range.start().unwrap_or((0, 0));
        let rows = range
            .rows()
            .map(|r| {
                let mut row: Vec<String> = vec![String::new(); first_col as usize];
                row.extend(r.iter().map(cell_text));
                row
            })
            .collect();
        out.push(Grid {
            name,
            first_line: first_row as usize + 1,
            rows,
        });
    }
    Ok(out)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => {
            let serial = dt.as_f64();
            chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                .and_then(|b| b.checked_add_days(chrono::Days::new(serial.max(0.0).trunc() as u64)))
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        }
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) | Data::Empty => String::new(),
    }
}

/// Decodes CSV text: UTF-8 with or without BOM, else GB18030 (which covers GBK), as
/// Excel on a Chinese Windows saves "CSV".
fn read_csv(bytes: &[u8], filename: &str) -> Result<Grid, ImportError> {
    if bytes.contains(&0) {
        return Err(ImportError::NotAWorkbook("binary content in a CSV file".into()));
    }
    let text = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest).into_owned()
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        s.to_string()
    } else {
        let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
        if bad {
            return Err(ImportError::NotAWorkbook("text is neither UTF-8 nor GB18030".into()));
        }
        s.into_owned()
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ImportError::NotAWorkbook(e.to_string()))?;
        rows.push(rec.iter().map(str::to_string).collect());
    }
    let name = std::path::Path::new(filename)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Grid {
        name,
        first_line: 1,
        rows,
    })
}

/// How many rows from the top may hold titles before the header.
const HEADER_SEARCH_ROWS: usize = 20;

fn header_columns(g: &Grid, kind: Kind, idx: usize) -> Vec<(Field, usize)> {
    let row = &g.rows[idx];
    let mut cols: Vec<(Field, usize)> = Vec::new();
    for (c, cell) in row.iter().enumerate() {
        // A header merged down from the row above shows only there (merged cells keep
        // their value in the top-left cell).
        let mut text = cell.clone();
        let mut up = idx;
        while text.trim().is_empty() && up > 0 && idx - up < 2 {
            up -= 1;
            text = g.rows[up].get(c).cloned().unwrap_or_default();
        }
        if let Some(f) = Field::match_header(kind, &header_key(&text))
            && !cols.iter().any(|(have, _)| *have == f)
        {
            cols.push((f, c));
        }
    }
    cols
}

fn best_table(g: &Grid, kinds: &[Kind]) -> Result<Option<Table>, ImportError> {
    // (score, kind, header row, columns)
    type Candidate = (usize, Kind, usize, Vec<(Field, usize)>);
    let mut best: Option<Candidate> = None;
    for &kind in kinds {
        for idx in 0..g.rows.len().min(HEADER_SEARCH_ROWS) {
            let cols = header_columns(g, kind, idx);
            let required_hits = cols.iter().filter(|(f, _)| f.required()).count();
            let score = cols.len() * 10 + required_hits;
            if cols.len() >= 2 && required_hits >= 1 && best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, kind, idx, cols));
            }
        }
    }
    let Some((_, kind, header_index, columns)) = best else {
        return Ok(None);
    };
    for f in kind.fields() {
        if f.required() && !columns.iter().any(|(c, _)| c == f) {
            return Err(ImportError::MissingColumn {
                sheet: g.name.clone(),
                column: f.header(),
            });
        }
    }
    let mut rows = Vec::new();
    for (index, row) in g.rows.iter().enumerate().skip(header_index + 1) {
        if skip_row(row) {
            continue;
        }
        let values = columns
            .iter()
            .map(|(f, c)| (*f, row.get(*c).cloned().unwrap_or_default()))
            .collect();
        rows.push(TableRow {
            index,
            line: g.first_line + index,
            values,
        });
    }
    Ok(Some(Table {
        kind,
        sheet: g.name.clone(),
        grid: g.rows.clone(),
        header_index,
        columns,
        rows,
    }))
}

/// Blank rows, subtotal rows (合计/小计/总计) and note rows (注：…, 说明, 填表人) carry no record.
fn skip_row(row: &[String]) -> bool {
    let cells: Vec<String> = row
        .iter()
        .map(|c| tongxin_domain::text::clean(c))
        .filter(|c| !c.is_empty())
        .collect();
    let Some(first) = cells.first() else {
        return true;
    };
    let folded: String = first.chars().filter(|c| !c.is_whitespace()).collect();
    if cells.iter().take(3).any(|c| {
        let c: String = c.chars().filter(|c| !c.is_whitespace()).collect();
        ["合计", "小计", "总计", "合 计"].iter().any(|w| c.starts_with(w))
    }) {
        return true;
    }
    [
        "注:",
        "注：",
        "注 ",
        "备注:",
        "备注：",
        "说明",
        "填表说明",
        "填表人",
        "制表",
        "审核人",
    ]
    .iter()
    .any(|w| folded.starts_with(w.trim()))
        || (folded.starts_with('注') && cells.len() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messy_csv_finds_header_and_skips_noise() {
        let csv = "静安区南京西路街道两新组织名录,,,\n填报日期：2024年6月,,,\n序号,企业名称,统一社会信用代码,所属街道\n1,甲公司,91310106MA1FL2AB3X,南京西路街道\n,,,\n合计,1家,,\n注：信用代码请填写18位\n";
        let t = read_tables(csv.as_bytes(), "名录.csv", Some(Kind::Units)).expect("read");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].header_index, 2);
        assert_eq!(t[0].rows.len(), 1);
        assert_eq!(t[0].rows[0].line, 4);
        assert_eq!(t[0].rows[0].get(Field::UnitName), "甲公司");
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let text = "单位名称,单位类型,所属街道\n乙公司,企业,南京西路街道\n";
        let (bytes, _, _) = encoding_rs::GBK.encode(text);
        let t = read_tables(&bytes, "units.csv", Some(Kind::Units)).expect("read");
        assert_eq!(t[0].rows[0].get(Field::UnitName), "乙公司");
    }

    #[test]
    fn not_a_workbook() {
        assert!(matches!(
            read_tables(b"PK\x03\x04garbage", "a.xlsx", None),
            Err(ImportError::NotAWorkbook(_))
        ));
        assert!(matches!(
            read_tables(b"\x00\x01\x02", "a.xlsx", None),
            Err(ImportError::NotAWorkbook(_))
        ));
        assert!(matches!(
            read_tables(b"hello,world\n1,2\n", "a.csv", None),
            Err(ImportError::NoHeader)
        ));
    }

    #[test]
    fn missing_required_column() {
        let csv = "单位名称,单位类型\n甲,企业\n";
        assert!(matches!(
            read_tables(csv.as_bytes(), "u.csv", Some(Kind::Units)),
            Err(ImportError::MissingColumn { .. })
        ));
    }
}
