//! Reading .xlsx, .xls and .csv into tables of clean text keyed by field.
//!
//! Every reader streams what it can and checks [`Limits`] before it allocates: sheets
//! are kept sparse (only rows and cells that hold something), so a cell claimed at
//! `XFD1048576` costs one cell, not a rectangle.

use crate::limits::{Bound, Limits};
use crate::normalise::header_key;
use crate::{Field, ImportError, Kind};
use calamine::{DataRef, Reader};
use chrono::NaiveDate;
use std::borrow::Cow;
use std::io::{Cursor, Read};

/// One cell as read, with its type (the error workbook writes numbers and dates back as
/// numbers and dates).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Cell {
    #[default]
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Bool(bool),
}

impl Cell {
    /// The text the importer reads: integers without a decimal point, dates as
    /// `YYYY-MM-DD`, booleans as 是/否.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(s) => Cow::Borrowed(s),
            Cell::Number(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cow::Owned(format!("{}", *f as i64)),
            Cell::Number(f) => Cow::Owned(f.to_string()),
            Cell::Date(d) => Cow::Owned(d.format("%Y-%m-%d").to_string()),
            Cell::Bool(b) => Cow::Borrowed(if *b { "是" } else { "否" }),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A row of a sheet that holds something: its line number as Excel shows it and its
/// cells from column A.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridRow {
    pub line: usize,
    pub cells: Vec<Cell>,
}

impl GridRow {
    pub fn text(&self, col: usize) -> Cow<'_, str> {
        self.cells.get(col).map(Cell::text).unwrap_or(Cow::Borrowed(""))
    }
}

/// A column of a table: the field it feeds, where it stands and its header as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub field: Field,
    pub index: usize,
    pub header: String,
}

/// One recognised table of a workbook.
#[derive(Debug, Clone)]
pub struct Table {
    pub kind: Kind,
    pub sheet: String,
    /// The rows of the sheet that hold something, in order (the error workbook writes
    /// them back at their lines).
    pub grid: Vec<GridRow>,
    /// Index into `grid` of the header row.
    pub header_index: usize,
    /// The recognised columns. A field may have several (所在单位 and 覆盖单位 both
    /// name an organisation's units); their values are merged, never dropped.
    pub columns: Vec<Column>,
    pub rows: Vec<TableRow>,
}

impl Table {
    /// The columns (sheet indexes) that feed a field.
    pub fn columns_of(&self, f: Field) -> impl Iterator<Item = usize> + '_ {
        self.columns.iter().filter(move |c| c.field == f).map(|c| c.index)
    }
}

/// A data row: its index in the grid, its sheet line number (1-based) and its values.
///
/// The values are kept one after another in one text, with where each field's ends: a
/// city's workbook holds millions of rows, and a map of strings per row cost three times
/// the row's own text.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub index: usize,
    pub line: usize,
    text: Box<str>,
    /// Each field present and the end of its value in `text` (values follow each other
    /// in this order).
    ends: Box<[(Field, u32)]>,
}

impl TableRow {
    /// A row of `values` (later values of a field already merged into one).
    pub fn new<'a>(index: usize, line: usize, values: impl IntoIterator<Item = (Field, &'a str)>) -> Self {
        let mut text = String::new();
        let mut ends = Vec::new();
        for (f, v) in values {
            text.push_str(v);
            ends.push((f, u32::try_from(text.len()).unwrap_or(u32::MAX)));
        }
        TableRow {
            index,
            line,
            text: text.into_boxed_str(),
            ends: ends.into_boxed_slice(),
        }
    }

    /// Every field present and its value as read.
    pub fn values(&self) -> impl Iterator<Item = (Field, &str)> + '_ {
        let mut start = 0usize;
        self.ends.iter().map(move |(f, end)| {
            let end = *end as usize;
            let v = self.text.get(start..end).unwrap_or("");
            start = end;
            (*f, v)
        })
    }

    /// The cell of a field, trimmed; empty when the column is absent.
    pub fn get(&self, f: Field) -> &str {
        self.values()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.trim())
            .unwrap_or("")
    }

    /// The first field whose value is longer than Excel can hold in one cell.
    pub fn over_long(&self) -> Option<Field> {
        self.values()
            .find(|(_, v)| v.len() > crate::EXCEL_MAX_CELL_CHARS && v.chars().count() > crate::EXCEL_MAX_CELL_CHARS)
            .map(|(f, _)| f)
    }
}

/// A sheet as read, before its table is found.
struct Grid {
    name: String,
    rows: Vec<GridRow>,
}

/// Counts what a read has taken so far against its limits.
struct Budget {
    limits: Limits,
    rows: usize,
    cells: usize,
}

impl Budget {
    fn new(limits: Limits) -> Self {
        Budget {
            limits,
            rows: 0,
            cells: 0,
        }
    }

    fn over(bound: Bound, max: usize) -> ImportError {
        ImportError::TooLarge { bound, max: max as u64 }
    }
}

/// Builds one sparse sheet cell by cell.
struct SheetBuilder<'b> {
    budget: &'b mut Budget,
    rows: Vec<GridRow>,
    sorted: bool,
}

impl<'b> SheetBuilder<'b> {
    fn new(budget: &'b mut Budget) -> Self {
        SheetBuilder {
            budget,
            rows: Vec::new(),
            sorted: true,
        }
    }

    /// Places a cell at a 0-based position; empty cells cost nothing.
    fn put(&mut self, row: u32, col: u32, cell: Cell) -> Result<(), ImportError> {
        if cell.is_empty() {
            return Ok(());
        }
        let l = self.budget.limits;
        let col = col as usize;
        if col >= l.max_columns {
            return Err(Budget::over(Bound::Columns, l.max_columns));
        }
        if let Cell::Text(s) = &cell
            && s.len() > l.max_cell_bytes
        {
            return Err(Budget::over(Bound::CellBytes, l.max_cell_bytes));
        }
        self.budget.cells += 1;
        if self.budget.cells > l.max_cells {
            return Err(Budget::over(Bound::Cells, l.max_cells));
        }
        let line = row as usize + 1;
        let same_row = self.rows.last().is_some_and(|r| r.line == line);
        if !same_row {
            if self.rows.last().is_some_and(|r| r.line > line) {
                self.sorted = false;
            }
            self.budget.rows += 1;
            if self.budget.rows > l.max_rows {
                return Err(Budget::over(Bound::Rows, l.max_rows));
            }
            self.rows.push(GridRow {
                line,
                cells: Vec::new(),
            });
        }
        let Some(r) = self.rows.last_mut() else {
            return Ok(());
        };
        if r.cells.len() <= col {
            r.cells.resize(col + 1, Cell::Empty);
        }
        r.cells[col] = cell;
        Ok(())
    }

    /// The rows in line order, cells of a row given twice merged.
    fn finish(mut self) -> Vec<GridRow> {
        if !self.sorted {
            self.rows.sort_by_key(|r| r.line);
            let mut merged: Vec<GridRow> = Vec::with_capacity(self.rows.len());
            for r in self.rows {
                match merged.last_mut() {
                    Some(m) if m.line == r.line => {
                        for (c, cell) in r.cells.into_iter().enumerate() {
                            if !cell.is_empty() {
                                if m.cells.len() <= c {
                                    m.cells.resize(c + 1, Cell::Empty);
                                }
                                m.cells[c] = cell;
                            }
                        }
                    }
                    _ => merged.push(r),
                }
            }
            return merged;
        }
        self.rows
    }
}

/// Reads a file under the upload limits. `kind` forces the kind of a single-sheet file.
pub fn read_tables(bytes: &[u8], filename: &str, kind: Option<Kind>) -> Result<Vec<Table>, ImportError> {
    read_tables_within(bytes, filename, kind, Limits::UPLOAD)
}

/// Reads a file under the given limits, each table with its sheet as read (`grid`, for
/// the error workbook).
pub fn read_tables_within(
    bytes: &[u8],
    filename: &str,
    kind: Option<Kind>,
    limits: Limits,
) -> Result<Vec<Table>, ImportError> {
    read(bytes, filename, kind, &Kind::ALL, limits, true)
}

/// [`read_tables_within`] without the sheets as read: each table's `grid` holds only the
/// rows up to its header, and a row's cells are let go as soon as its values are taken,
/// so an import holds its rows once. Reading the file again with
/// [`read_tables_within`] gives the same tables with their sheets (an error workbook).
pub fn read_rows_within(
    bytes: &[u8],
    filename: &str,
    kind: Option<Kind>,
    limits: Limits,
) -> Result<Vec<Table>, ImportError> {
    read(bytes, filename, kind, &Kind::ALL, limits, false)
}

/// A streaming platform's viewer log (who watched an online lecture, when they joined
/// and left), with the sheets as read.
pub fn read_viewer_log_within(bytes: &[u8], filename: &str, limits: Limits) -> Result<Vec<Table>, ImportError> {
    read(bytes, filename, Some(Kind::ViewerLog), &[Kind::ViewerLog], limits, true)
}

/// An alliance's lists (needs and resources) in a file, with the sheets as read (for an
/// error workbook): sheets named for another kind are left to their own import.
pub fn read_lists_within(bytes: &[u8], filename: &str, limits: Limits) -> Result<Vec<Table>, ImportError> {
    read(bytes, filename, None, &Kind::LISTS, limits, true)
}

/// Reads the tables of `family` (the registry's kinds, or an alliance's lists): a sheet
/// named for a kind of another family is not this import's.
fn read(
    bytes: &[u8],
    filename: &str,
    kind: Option<Kind>,
    family: &[Kind],
    limits: Limits,
    keep_grid: bool,
) -> Result<Vec<Table>, ImportError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ImportError::TooLarge {
            bound: Bound::FileBytes,
            max: limits.max_file_bytes,
        });
    }
    let mut budget = Budget::new(limits);
    let grids = if bytes.starts_with(b"PK\x03\x04") {
        guarded(|| read_xlsx(bytes, &mut budget))?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        guarded(|| read_xls(bytes, &mut budget))?
    } else {
        let lower = filename.to_lowercase();
        if lower.ends_with(".xlsx") || lower.ends_with(".xls") || lower.ends_with(".xlsm") {
            return Err(ImportError::NotAWorkbook(
                "the file's content is not an Excel workbook".into(),
            ));
        }
        vec![read_csv(bytes, filename, &mut budget)?]
    };
    let single = grids.len() == 1;
    let mut tables = Vec::new();
    for g in grids {
        let sheet_kind = Kind::parse(&g.name);
        let candidates: Vec<Kind> = match (kind, sheet_kind) {
            (Some(k), _) if single => vec![k],
            (Some(k), Some(s)) if k == s => vec![k],
            (Some(_), _) => continue,
            (None, Some(s)) if family.contains(&s) => vec![s],
            (None, Some(_)) => continue,
            (None, None) => family.to_vec(),
        };
        if let Some(t) = best_table(g, &candidates, keep_grid)? {
            tables.push(t);
        }
    }
    if tables.is_empty() {
        return Err(ImportError::NoHeader);
    }
    tables.sort_by_key(|t| t.kind);
    Ok(tables)
}

/// Runs a workbook reader, turning a panic inside it (calamine indexes past the end of
/// some damaged .xls files: found by fuzzing) into "not a readable workbook".
fn guarded<T>(f: impl FnOnce() -> Result<T, ImportError>) -> Result<T, ImportError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|_| Err(ImportError::NotAWorkbook("the workbook is damaged".into())))
}

fn bad(e: impl std::fmt::Display) -> ImportError {
    ImportError::NotAWorkbook(e.to_string())
}

/// Counts the bytes written to it, and the shared strings (`<si>` elements) seen.
struct Meter {
    bytes: u64,
    strings: u64,
    /// The last bytes of the previous chunk, so a tag split across chunks is counted.
    tail: [u8; 4],
}

impl Meter {
    fn count_strings(&mut self, buf: &[u8]) {
        // `<si>`, `<si/>`, `<si …>` and namespaced `<x:si>`: a `si` after `<` or `:`.
        fn is_tag(w: &[u8], i: usize) -> bool {
            w[i] == b's'
                && w[i + 1] == b'i'
                && matches!(w[i - 1], b'<' | b':')
                && matches!(w[i + 2], b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
        }
        // Tags that straddle the previous chunk and this one.
        let mut joined = self.tail.to_vec();
        joined.extend_from_slice(&buf[..buf.len().min(3)]);
        for i in 2..joined.len().saturating_sub(2).min(5) {
            if is_tag(&joined, i) {
                self.strings += 1;
            }
        }
        for i in 1..buf.len().saturating_sub(2) {
            if is_tag(buf, i) {
                self.strings += 1;
            }
        }
        let n = buf.len().min(4);
        let mut tail = [0u8; 4];
        tail[4 - n..].copy_from_slice(&buf[buf.len() - n..]);
        self.tail = tail;
    }
}

/// Checks what an .xlsx unpacks to before a reader sees it: the zip's own sizes can lie,
/// so each part is decompressed into a counter that stops at the bound.
fn check_xlsx_parts(bytes: &[u8], budget: &Budget) -> Result<(), ImportError> {
    let l = budget.limits;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(bad)?;
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).map_err(bad)?;
        let shared = part
            .name()
            .is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        let mut meter = Meter {
            bytes: 0,
            strings: 0,
            tail: [0; 4],
        };
        loop {
            let n = part.read(&mut buf).map_err(bad)?;
            if n == 0 {
                break;
            }
            meter.bytes += n as u64;
            if total + meter.bytes > l.max_unpacked_bytes {
                return Err(ImportError::TooLarge {
                    bound: Bound::UnpackedBytes,
                    max: l.max_unpacked_bytes,
                });
            }
            if shared {
                meter.count_strings(&buf[..n]);
                if meter.strings > l.max_cells as u64 {
                    return Err(Budget::over(Bound::Cells, l.max_cells));
                }
            }
        }
        total += meter.bytes;
    }
    Ok(())
}

fn read_xlsx(bytes: &[u8], budget: &mut Budget) -> Result<Vec<Grid>, ImportError> {
    check_xlsx_parts(bytes, budget)?;
    let mut wb: calamine::Xlsx<_> = calamine::Xlsx::new(Cursor::new(bytes)).map_err(bad)?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let mut reader = wb.worksheet_cells_reader(&name).map_err(bad)?;
        let mut sheet = SheetBuilder::new(budget);
        while let Some(c) = reader.next_cell().map_err(bad)? {
            let (row, col) = c.get_position();
            sheet.put(row, col, cell_of(c.get_value()))?;
        }
        out.push(Grid {
            name,
            rows: sheet.finish(),
        });
    }
    Ok(out)
}

/// An Excel serial date with its time of day, to the second.
fn excel_time(serial: f64) -> Option<chrono::NaiveDateTime> {
    let day = excel_date(serial)?;
    let seconds = ((serial.max(0.0).fract()) * 86_400.0).round() as u32;
    day.and_hms_opt(0, 0, 0)?
        .checked_add_signed(chrono::Duration::seconds(i64::from(seconds)))
}

fn excel_date(serial: f64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(serial.max(0.0).trunc() as u64))
}

/// A streamed xlsx cell: shared strings (most text) are copied once; the rest go through
/// [`cell_of_data`] as calamine's own conversion makes them.
fn cell_of(d: &DataRef<'_>) -> Cell {
    match d {
        DataRef::SharedString(s) => Cell::Text((*s).to_string()),
        other => cell_of_data(&calamine::Data::from(other.clone())),
    }
}

fn cell_of_data(d: &calamine::Data) -> Cell {
    use calamine::Data;
    match d {
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) if dt.is_duration() => Cell::Number(dt.as_f64()),
        // A date with a time of day (a viewer log's joins and leaves): the time is kept,
        // as text the way offices write it; a date alone stays a date.
        Data::DateTime(dt) if dt.as_f64().fract().abs() > 1e-9 => excel_time(dt.as_f64())
            .map(|t| Cell::Text(t.format("%Y-%m-%d %H:%M:%S").to_string()))
            .unwrap_or_default(),
        Data::DateTime(dt) => excel_date(dt.as_f64()).map(Cell::Date).unwrap_or_default(),
        Data::DateTimeIso(s) => s
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .map(Cell::Date)
            .unwrap_or_else(|| Cell::Text(s.clone())),
        Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(_) | Data::Empty => Cell::Empty,
    }
}

/// BIFF record types that place a cell (row and column are their first four bytes).
const XLS_CELL_RECORDS: [u16; 11] = [
    0x0006, // FORMULA
    0x0406, // FORMULA (BIFF4)
    0x0201, // BLANK
    0x0203, // NUMBER
    0x0204, // LABEL
    0x0205, // BOOLERR
    0x027E, // RK
    0x00FD, // LABELSST
    0x00D6, // RSTRING
    0x00BD, // MULRK (columns first..last; last is in the record's final two bytes)
    0x00BE, // MULBLANK
];
const XLS_MULBLANK: u16 = 0x00BE;
const XLS_MULRK: u16 = 0x00BD;
const XLS_BOF: u16 = 0x0809;
const XLS_EOF: u16 = 0x000A;
const XLS_BOUNDSHEET: u16 = 0x0085;
const XLS_DIMENSIONS: u16 = 0x0200;

/// The records of a BIFF stream from its start: (type, data), stopping at a truncated one.
fn biff_records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let head = stream.get(at..at + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = u16::from_le_bytes([head[2], head[3]]) as usize;
        let data = stream.get(at + 4..at + 4 + len)?;
        at += 4 + len;
        Some((typ, data))
    })
}

/// The .xls reader lays out each sheet as a full rectangle when the workbook opens (and
/// reserves what a sheet's DIMENSIONS record claims), so the rectangles are measured
/// first, walking the stream as the reader does: the sheets at the offsets the workbook
/// globals give (BOUNDSHEET), nested substreams skipped. Found by fuzzing: a linear
/// walk misses sheets placed inside other records.
fn check_xls_extent(bytes: &[u8], budget: &Budget) -> Result<(), ImportError> {
    let l = budget.limits;
    let mut cfb = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(bad)?;
    let name = if cfb.is_stream("/Workbook") {
        "/Workbook"
    } else {
        "/Book"
    };
    let mut stream = Vec::new();
    cfb.open_stream(name)
        .map_err(bad)?
        .take(l.max_file_bytes)
        .read_to_end(&mut stream)
        .map_err(bad)?;
    let mut sheets = Vec::new();
    for (typ, data) in biff_records(&stream) {
        match typ {
            XLS_BOUNDSHEET if data.len() >= 4 => {
                sheets.push(u32::from_le_bytes([data[0], data[1], data[2], data[3]]) as usize)
            }
            XLS_EOF => break,
            _ => {}
        }
    }
    let u16_at = |d: &[u8], i: usize| u16::from_le_bytes([d[i], d[i + 1]]) as u64;
    let u32_at = |d: &[u8], i: usize| u32::from_le_bytes([d[i], d[i + 1], d[i + 2], d[i + 3]]) as u64;
    let over_area = || Budget::over(Bound::SheetArea, l.max_sheet_area);
    for pos in sheets {
        let Some(sheet) = stream.get(pos..) else { continue };
        // (min row, max row, min col, max col) of the cells the reader will place.
        let mut ext: Option<(u64, u64, u64, u64)> = None;
        let (mut seen_bof, mut depth) = (false, 0usize);
        for (typ, data) in biff_records(sheet) {
            if depth > 0 {
                match typ {
                    XLS_BOF => depth += 1,
                    XLS_EOF => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                XLS_BOF if seen_bof => depth += 1,
                XLS_BOF => seen_bof = true,
                XLS_EOF => break,
                XLS_DIMENSIONS => {
                    let (rf, rl, cf, cl) = match data.len() {
                        10 => (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4), u16_at(data, 6)),
                        14 | 16 => (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8), u16_at(data, 10)),
                        _ => continue,
                    };
                    let cf = if cf > 0xFF || cl < cf { 0 } else { cf };
                    let (er, ec) = if rl >= 1 && cl >= 1 { (rl - 1, cl - 1) } else { (rf, cf) };
                    if er < rf || ec < cf || (er - rf + 1).saturating_mul(ec - cf + 1) > l.max_sheet_area as u64 {
                        return Err(over_area());
                    }
                }
                t if XLS_CELL_RECORDS.contains(&t) && data.len() >= 4 => {
                    let row = u16_at(data, 0);
                    let first = u16_at(data, 2);
                    let last = if t == XLS_MULRK || t == XLS_MULBLANK {
                        // Entries run from the first column on, whatever the last says.
                        let entries = (data.len().saturating_sub(6) / if t == XLS_MULRK { 6 } else { 2 }) as u64;
                        let field = if data.len() >= 6 {
                            u16_at(data, data.len() - 2)
                        } else {
                            first
                        };
                        field.max(first + entries.saturating_sub(1))
                    } else {
                        first
                    };
                    let (lo, hi) = (first.min(last), first.max(last));
                    ext = Some(match ext {
                        None => (row, row, lo, hi),
                        Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(lo), c1.max(hi)),
                    });
                }
                _ => {}
            }
        }
        if let Some((r0, r1, c0, c1)) = ext {
            if c1 as usize >= l.max_columns {
                return Err(Budget::over(Bound::Columns, l.max_columns));
            }
            if (r1 - r0 + 1).saturating_mul(c1 - c0 + 1) > l.max_sheet_area as u64 {
                return Err(over_area());
            }
        }
    }
    Ok(())
}

fn read_xls(bytes: &[u8], budget: &mut Budget) -> Result<Vec<Grid>, ImportError> {
    check_xls_extent(bytes, budget)?;
    let mut wb: calamine::Xls<_> = calamine::Xls::new(Cursor::new(bytes)).map_err(bad)?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).map_err(bad)?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        let mut sheet = SheetBuilder::new(budget);
        for (r, c, d) in range.cells() {
            sheet.put(r0 + r as u32, c0 + c as u32, cell_of_data(d))?;
        }
        out.push(Grid {
            name,
            rows: sheet.finish(),
        });
    }
    Ok(out)
}

/// Decodes CSV text: UTF-8 with or without BOM, else GB18030 (which covers GBK), as
/// Excel on a Chinese Windows saves "CSV". Fields are read one at a time, so a line of
/// a million commas is refused at the first cell past the last column.
fn read_csv(bytes: &[u8], filename: &str, budget: &mut Budget) -> Result<Grid, ImportError> {
    if bytes.contains(&0) {
        return Err(ImportError::NotAWorkbook("binary content in a CSV file".into()));
    }
    let text: Cow<'_, str> = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8_lossy(rest)
    } else if let Ok(s) = std::str::from_utf8(bytes) {
        Cow::Borrowed(s)
    } else {
        let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
        if bad {
            return Err(ImportError::NotAWorkbook("text is neither UTF-8 nor GB18030".into()));
        }
        s
    };
    let max_cell = budget.limits.max_cell_bytes;
    let mut sheet = SheetBuilder::new(budget);
    let mut rdr = csv_core::Reader::new();
    let mut input = text.as_bytes();
    let mut field: Vec<u8> = vec![0; 4096];
    let mut used = 0usize;
    let (mut row, mut col) = (0u32, 0u32);
    loop {
        let (res, nin, nout) = rdr.read_field(input, &mut field[used..]);
        input = &input[nin..];
        used += nout;
        match res {
            csv_core::ReadFieldResult::InputEmpty => {
                if input.is_empty() {
                    // Tell the reader the input has ended.
                    let (res, _, nout) = rdr.read_field(&[], &mut field[used..]);
                    used += nout;
                    if let csv_core::ReadFieldResult::Field { .. } = res {
                        let s = String::from_utf8_lossy(&field[..used]).into_owned();
                        sheet.put(row, col, Cell::Text(s))?;
                    }
                    break;
                }
            }
            csv_core::ReadFieldResult::OutputFull => {
                if field.len() >= max_cell {
                    return Err(Budget::over(Bound::CellBytes, max_cell));
                }
                let grown = (field.len() * 2).min(max_cell + 1);
                field.resize(grown, 0);
            }
            csv_core::ReadFieldResult::Field { record_end } => {
                if used > 0 {
                    let s = String::from_utf8_lossy(&field[..used]).into_owned();
                    sheet.put(row, col, Cell::Text(s))?;
                }
                used = 0;
                if record_end {
                    row = row.saturating_add(1);
                    col = 0;
                } else {
                    col = col.saturating_add(1);
                }
            }
            csv_core::ReadFieldResult::End => break,
        }
    }
    let name = std::path::Path::new(filename)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(Grid {
        name,
        rows: sheet.finish(),
    })
}

/// How many rows with content from the top may hold titles before the header.
const HEADER_SEARCH_ROWS: usize = 20;
/// A header cell longer than this is a title or a note, not a header.
const HEADER_MAX_CHARS: usize = 48;

/// The header keys of the first rows, each computed once.
fn header_keys(g: &Grid) -> Vec<Vec<Option<String>>> {
    g.rows
        .iter()
        .take(HEADER_SEARCH_ROWS)
        .map(|r| {
            r.cells
                .iter()
                .map(|c| match c {
                    Cell::Text(s) if !s.trim().is_empty() && s.chars().count() <= HEADER_MAX_CHARS => {
                        Some(header_key(s))
                    }
                    _ => None,
                })
                .collect()
        })
        .collect()
}

/// The columns a row would give as the header of `kind`.
fn header_columns(g: &Grid, keys: &[Vec<Option<String>>], kind: Kind, idx: usize) -> Vec<Column> {
    let mut cols: Vec<Column> = Vec::new();
    let width = keys[idx.saturating_sub(2)..=idx]
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0);
    for c in 0..width {
        // A header merged down from the row above shows only there (merged cells keep
        // their value in the top-left cell).
        let mut at = idx;
        let mut key = keys[idx].get(c).and_then(|k| k.as_ref());
        while key.is_none()
            && g.rows[at].cells.get(c).is_none_or(Cell::is_empty)
            && at > 0
            && g.rows[idx].line - g.rows[at - 1].line <= 2
        {
            at -= 1;
            key = keys[at].get(c).and_then(|k| k.as_ref());
        }
        if let Some(f) = key.and_then(|k| Field::match_header(kind, k)) {
            cols.push(Column {
                field: f,
                index: c,
                header: g.rows[at].text(c).trim().to_string(),
            });
        }
    }
    cols
}

fn best_table(g: Grid, kinds: &[Kind], keep_grid: bool) -> Result<Option<Table>, ImportError> {
    let keys = header_keys(&g);
    // (score, kind, header row, columns)
    type Candidate = (usize, Kind, usize, Vec<Column>);
    let mut best: Option<Candidate> = None;
    for &kind in kinds {
        for idx in 0..keys.len() {
            let cols = header_columns(&g, &keys, kind, idx);
            let mut fields: Vec<Field> = cols.iter().map(|c| c.field).collect();
            fields.dedup();
            let required_hits = fields.iter().filter(|f| f.required_in(kind)).count();
            let score = fields.len() * 10 + required_hits;
            if fields.len() >= 2 && required_hits >= 1 && best.as_ref().is_none_or(|b| score > b.0) {
                best = Some((score, kind, idx, cols));
            }
        }
    }
    let Some((_, kind, header_index, columns)) = best else {
        return Ok(None);
    };
    for f in kind.fields() {
        if f.required_in(kind) && !columns.iter().any(|c| c.field == *f) {
            return Err(ImportError::MissingColumn {
                sheet: g.name.clone(),
                column: f.header(),
            });
        }
    }
    // Two columns that feed one field: merged where the field holds several values or a
    // path (街道 + 社区), otherwise the file is refused naming both — never one dropped.
    for (i, a) in columns.iter().enumerate() {
        if let Some(b) = columns[i + 1..].iter().find(|b| b.field == a.field)
            && a.field.merge_separator().is_none()
        {
            return Err(ImportError::DuplicateColumn {
                sheet: g.name.clone(),
                first: a.header.clone(),
                second: b.header.clone(),
            });
        }
    }
    let mut rows = Vec::new();
    let mut grid = Vec::new();
    for (index, row) in g.rows.into_iter().enumerate() {
        if index > header_index && !skip_row(&row) {
            rows.push(table_row(index, &row, &columns));
        }
        // Without the grid, each row's cells go as soon as its values are taken: a sheet
        // is never held twice.
        if keep_grid || index <= header_index {
            grid.push(row);
        }
    }
    Ok(Some(Table {
        kind,
        sheet: g.name,
        grid,
        header_index,
        columns,
        rows,
    }))
}

/// The values of a data row by field; two columns of one field merged.
fn table_row(index: usize, row: &GridRow, columns: &[Column]) -> TableRow {
    let mut values: Vec<(Field, String)> = Vec::with_capacity(columns.len());
    for c in columns {
        let v = row.text(c.index);
        let v = v.trim();
        match values.iter_mut().find(|(f, _)| *f == c.field) {
            Some((_, have)) if !v.is_empty() => {
                if !have.is_empty() {
                    have.push_str(c.field.merge_separator().unwrap_or(""));
                }
                have.push_str(v);
            }
            Some(_) => {}
            None => values.push((c.field, v.to_string())),
        }
    }
    TableRow::new(index, row.line, values.iter().map(|(f, v)| (*f, v.as_str())))
}

/// Blank rows, subtotal rows (合计/小计/总计) and note rows (注：…, 说明, 填表人) carry no record.
fn skip_row(row: &GridRow) -> bool {
    let cells: Vec<String> = row
        .cells
        .iter()
        .take(8)
        .map(|c| tongxin_domain::text::clean(&c.text()))
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
    fn rows_without_the_sheet_are_the_same_rows() {
        let csv = "静安区组织名录,,,,,\n序号,组织名称,组织类别,所属区划,所在单位,覆盖单位\n1,甲联合支部,联合党支部,南京西路街道, 甲公司 ,乙公司、丙公司\n合计,1个,,,,\n2,乙支部,党支部,南京西路街道,,丁公司\n";
        let with = read_tables(csv.as_bytes(), "o.csv", Some(Kind::Orgs)).expect("read");
        let without = read_rows_within(csv.as_bytes(), "o.csv", Some(Kind::Orgs), Limits::UPLOAD).expect("read");
        let rows = |t: &[Table]| -> Vec<String> {
            t[0].rows
                .iter()
                .map(|r| format!("{} {} {:?}", r.index, r.line, r.values().collect::<Vec<_>>()))
                .collect()
        };
        assert_eq!(rows(&with), rows(&without));
        assert_eq!(with[0].rows[0].get(Field::OrgUnits), "甲公司、乙公司、丙公司");
        assert_eq!(with[0].rows[1].get(Field::OrgUnits), "丁公司");
        assert_eq!(with[0].rows[1].get(Field::ParentOrg), "");
        // The sheet as read is kept up to the header only.
        assert_eq!(with[0].grid.len(), 5);
        assert_eq!(without[0].grid.len(), 2);
        assert_eq!(without[0].header_index, 1);
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

    #[test]
    fn two_unit_columns_of_an_organisation_are_merged() {
        let csv =
            "党组织名称,组织类别,所在单位,覆盖单位,所属街道\n联合支部,联合党支部,甲公司,乙公司、丙公司,南京西路街道\n";
        let t = read_tables(csv.as_bytes(), "orgs.csv", Some(Kind::Orgs)).expect("read");
        assert_eq!(t[0].rows[0].get(Field::OrgUnits), "甲公司、乙公司、丙公司");
    }

    #[test]
    fn street_and_community_columns_make_one_path() {
        let csv = "单位名称,所属街道,所属社区\n甲公司,南京西路街道,某某居委会\n";
        let t = read_tables(csv.as_bytes(), "u.csv", Some(Kind::Units)).expect("read");
        assert_eq!(t[0].rows[0].get(Field::Division), "南京西路街道/某某居委会");
    }

    #[test]
    fn two_columns_for_one_value_are_refused_by_name() {
        let csv = "姓名,党员类别,身份证号,联系电话,手机,所在党组织\n张三,正式党员,1,2,3,支部\n";
        match read_tables(csv.as_bytes(), "m.csv", Some(Kind::Members)) {
            Err(ImportError::DuplicateColumn { first, second, .. }) => {
                assert_eq!((first.as_str(), second.as_str()), ("联系电话", "手机"));
            }
            other => panic!("expected a duplicate column, got {other:?}"),
        }
    }

    #[test]
    fn rows_out_of_order_are_sorted_and_sparse() {
        let mut budget = Budget::new(Limits::UPLOAD);
        let mut s = SheetBuilder::new(&mut budget);
        s.put(5, 1, Cell::Text("b".into())).expect("put");
        s.put(1_048_575, 0, Cell::Number(1.0)).expect("put");
        s.put(0, 0, Cell::Text("a".into())).expect("put");
        let rows = s.finish();
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 6, 1_048_576]);
        assert_eq!(rows[1].cells.len(), 2);
    }

    #[test]
    fn csv_bombs_are_refused_quickly() {
        // One row of 50,000 columns.
        let wide = "a,".repeat(50_000);
        assert!(matches!(
            read_tables(wide.as_bytes(), "w.csv", Some(Kind::Units)),
            Err(ImportError::TooLarge {
                bound: Bound::Columns,
                ..
            })
        ));
        // Bare commas hold nothing: no cell, no memory; the file has no header.
        let commas = ",".repeat(5_000_000);
        assert!(matches!(
            read_tables(commas.as_bytes(), "c.csv", Some(Kind::Units)),
            Err(ImportError::NoHeader)
        ));
    }
}

/// Files made to exhaust a reader: each is refused by a bound, fast, without the memory
/// the naive reader would have taken.
#[cfg(test)]
mod bombs {
    use super::*;
    use std::io::Write;

    fn xlsx(cells: &[(u32, u16, &str)]) -> Vec<u8> {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        for (r, c, v) in cells {
            ws.write_string(*r, *c, *v).expect("write");
        }
        wb.save_to_buffer().expect("save")
    }

    fn bound_of(r: Result<Vec<Table>, ImportError>) -> Bound {
        match r {
            Err(ImportError::TooLarge { bound, .. }) => bound,
            other => panic!("expected a bound, got {other:?}"),
        }
    }

    #[test]
    fn a_cell_at_the_last_row_and_column_is_refused() {
        // Was 512 GiB in `Range::from_sparse`.
        let f = xlsx(&[(0, 0, "单位名称"), (1_048_575, 16_383, "x")]);
        assert!(f.len() < 10_000);
        assert_eq!(bound_of(read_tables(&f, "a.xlsx", None)), Bound::Columns);
        // Was 1.5 GB (rows padded to the first column).
        let f = xlsx(&[(0, 16_383, "x"), (1_048_575, 16_383, "x")]);
        assert_eq!(bound_of(read_tables(&f, "b.xlsx", None)), Bound::Columns);
    }

    #[test]
    fn a_cell_at_the_last_row_costs_one_row() {
        let f = xlsx(&[
            (0, 0, "单位名称"),
            (0, 1, "所属街道"),
            (1, 0, "甲公司"),
            (1, 1, "南京西路街道"),
            (1_048_575, 0, "注：末行"),
        ]);
        let t = read_tables(&f, "c.xlsx", Some(Kind::Units)).expect("read");
        assert_eq!(t[0].grid.len(), 3);
        assert_eq!(t[0].grid[2].line, 1_048_576);
        assert_eq!(t[0].rows.len(), 1);
    }

    /// An xlsx whose sheet holds `n` empty `<row>` elements (a deflate bomb when `n` is
    /// large: they compress a thousandfold).
    fn row_bomb(n: usize) -> Vec<u8> {
        let base = xlsx(&[(0, 0, "单位名称"), (0, 1, "所属街道")]);
        let mut src = zip::ZipArchive::new(Cursor::new(base)).expect("zip");
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for i in 0..src.len() {
            let mut part = src.by_index(i).expect("part");
            let name = part.name().expect("name").to_string();
            let mut body = Vec::new();
            part.read_to_end(&mut body).expect("read");
            out.start_file(name.as_str(), opts).expect("start");
            if name.ends_with("sheet1.xml") {
                let text = String::from_utf8(body).expect("utf8");
                let (head, tail) = text.split_at(text.find("</sheetData>").expect("sheetData"));
                out.write_all(head.as_bytes()).expect("write");
                for _ in 0..n {
                    out.write_all(b"<row/>").expect("write");
                }
                out.write_all(tail.as_bytes()).expect("write");
            } else {
                out.write_all(&body).expect("write");
            }
        }
        out.finish().expect("finish").into_inner()
    }

    #[test]
    fn a_deflate_bomb_stops_at_the_unpacked_bound() {
        let f = row_bomb(2_000_000);
        let small = Limits {
            max_unpacked_bytes: 4 * 1024 * 1024,
            ..Limits::UPLOAD
        };
        assert!(f.len() < small.max_unpacked_bytes as usize / 10, "{} bytes", f.len());
        assert_eq!(
            bound_of(read_tables_within(&f, "bomb.xlsx", None, small)),
            Bound::UnpackedBytes
        );
        // Within the bound, empty rows cost nothing: only the header row is kept.
        let t = read_tables(&f, "bomb.xlsx", None).expect("read");
        assert_eq!((t[0].grid.len(), t[0].rows.len()), (1, 0));
    }

    #[test]
    fn too_many_rows_and_cells_are_refused() {
        let mut csv = String::from("单位名称,所属街道\n");
        for i in 0..2_000 {
            csv.push_str(&format!("单位{i},南京西路街道\n"));
        }
        let rows = Limits {
            max_rows: 1_000,
            ..Limits::UPLOAD
        };
        assert_eq!(
            bound_of(read_tables_within(csv.as_bytes(), "u.csv", None, rows)),
            Bound::Rows
        );
        let cells = Limits {
            max_cells: 1_000,
            ..Limits::UPLOAD
        };
        assert_eq!(
            bound_of(read_tables_within(csv.as_bytes(), "u.csv", None, cells)),
            Bound::Cells
        );
        let file = Limits {
            max_file_bytes: 1_000,
            ..Limits::UPLOAD
        };
        assert_eq!(
            bound_of(read_tables_within(csv.as_bytes(), "u.csv", None, file)),
            Bound::FileBytes
        );
    }

    #[test]
    fn an_over_long_cell_is_read_and_flagged() {
        let long = "长".repeat(40_000);
        let csv = format!("单位名称,所属街道,地址\n甲公司,南京西路街道,{long}\n");
        let t = read_tables(csv.as_bytes(), "u.csv", Some(Kind::Units)).expect("read");
        assert_eq!(t[0].rows[0].over_long(), Some(Field::Address));
        // The error workbook holds what Excel can, cut with a note.
        let wb = crate::write_error_workbook(&[crate::ErrorSheet {
            table: &t[0],
            errors: std::collections::HashMap::from([(1usize, "过长".to_string())]),
            marks: std::collections::HashMap::from([((1usize, 2usize), "过长".to_string())]),
        }])
        .expect("an over-long cell does not break the error workbook");
        let back = read_tables(&wb, "e.xlsx", Some(Kind::Units)).expect("read back");
        let cut = back[0].grid[1].text(2);
        assert_eq!(cut.chars().count(), crate::EXCEL_MAX_CELL_CHARS);
        assert!(cut.ends_with("cut】"));
    }

    /// A BIFF8 workbook stream: globals with one BOUNDSHEET, then the sheet with cells.
    fn xls_with_cells(cells: &[(u16, u16)]) -> Vec<u8> {
        let record = |out: &mut Vec<u8>, typ: u16, data: &[u8]| {
            out.extend_from_slice(&typ.to_le_bytes());
            out.extend_from_slice(&(data.len() as u16).to_le_bytes());
            out.extend_from_slice(data);
        };
        let bof = [0u8, 6, 0x10, 0, 0, 0, 0, 0];
        // Globals: BOF (12) + BOUNDSHEET (4 + 10) + EOF (4) = 30 bytes.
        let mut stream = Vec::new();
        record(&mut stream, 0x0809, &bof);
        let mut sheet = 30u32.to_le_bytes().to_vec();
        sheet.extend_from_slice(&[0, 0, 1, 0, b'S', 0]);
        record(&mut stream, 0x0085, &sheet[..10]);
        record(&mut stream, 0x000A, &[]);
        assert_eq!(stream.len(), 30);
        record(&mut stream, 0x0809, &bof);
        for (r, c) in cells {
            let mut d = Vec::new();
            d.extend_from_slice(&r.to_le_bytes());
            d.extend_from_slice(&c.to_le_bytes());
            d.extend_from_slice(&[0, 0]);
            d.extend_from_slice(&1.0f64.to_le_bytes());
            record(&mut stream, 0x0203, &d);
        }
        record(&mut stream, 0x000A, &[]);
        let mut cfb = cfb::CompoundFile::create(Cursor::new(Vec::new())).expect("cfb");
        cfb.create_stream("/Workbook")
            .expect("stream")
            .write_all(&stream)
            .expect("write");
        cfb.flush().expect("flush");
        cfb.into_inner().into_inner()
    }

    /// Damaged .xls files found by the `xls` fuzz target: one made calamine index past
    /// the end of a record; one claimed a vast rectangle in its DIMENSIONS record (850 GB
    /// reserved); one placed a sheet inside another record, where a linear walk of the
    /// records did not look (66 GB laid out). Each is refused, and allocates nothing.
    #[test]
    fn damaged_xls_files_are_refused_not_a_crash() {
        let f = include_bytes!("../../../fuzz/regressions/xls-index-past-end.xls");
        assert!(matches!(
            read_tables(f, "damaged.xls", None),
            Err(ImportError::NotAWorkbook(_))
        ));
        for f in [
            &include_bytes!("../../../fuzz/regressions/xls-dimensions-reserve.xls")[..],
            &include_bytes!("../../../fuzz/regressions/xls-sheet-inside-a-record.xls")[..],
        ] {
            assert!(matches!(
                read_tables(f, "damaged.xls", None),
                Err(ImportError::TooLarge { .. } | ImportError::NotAWorkbook(_))
            ));
        }
    }

    #[test]
    fn an_xls_spanning_a_huge_rectangle_is_refused_before_it_is_laid_out() {
        let f = xls_with_cells(&[(0, 0), (65_535, 200)]);
        assert_eq!(bound_of(read_tables(&f, "big.xls", None)), Bound::SheetArea);
        let f = xls_with_cells(&[(0, 0), (3, 255)]);
        let narrow = Limits {
            max_columns: 100,
            ..Limits::UPLOAD
        };
        assert_eq!(
            bound_of(read_tables_within(&f, "wide.xls", None, narrow)),
            Bound::Columns
        );
    }
}
