//! Bounds on what a file may make the reader do. Every reader checks them before it
//! allocates: a 1.6 KB workbook that claims a cell at `XFD1048576`, a deflate bomb, a
//! CSV of bare commas or of 100,000 columns is refused with `import.too_large` and the
//! bound it crossed, instead of taking the server's memory or minutes of its CPU.

/// What was over its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The file itself (bytes).
    FileBytes,
    /// The parts of an .xlsx once decompressed (bytes).
    UnpackedBytes,
    /// Rows holding something, over all sheets.
    Rows,
    /// A cell to the right of the last column read.
    Columns,
    /// Cells holding something (and shared strings), over all sheets.
    Cells,
    /// The rectangle an .xls sheet spans (its reader allocates all of it).
    SheetArea,
    /// One cell's text (bytes).
    CellBytes,
}

impl Bound {
    /// A stable name, used in error details and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Bound::FileBytes => "file_bytes",
            Bound::UnpackedBytes => "unpacked_bytes",
            Bound::Rows => "rows",
            Bound::Columns => "columns",
            Bound::Cells => "cells",
            Bound::SheetArea => "sheet_area",
            Bound::CellBytes => "cell_bytes",
        }
    }

    /// The bound in words, Chinese then English, with its figure.
    pub fn describe(&self, max: u64) -> (String, String) {
        let mib = max / (1024 * 1024);
        match self {
            Bound::FileBytes => (
                format!("文件不能超过 {mib} MB"),
                format!("a file may be at most {mib} MB"),
            ),
            Bound::UnpackedBytes => (
                format!("工作簿解压后不能超过 {mib} MB"),
                format!("a workbook may unpack to at most {mib} MB"),
            ),
            Bound::Rows => (
                format!("最多 {max} 行有内容的行"),
                format!("at most {max} rows with content"),
            ),
            Bound::Columns => (
                format!("每张表最多 {max} 列"),
                format!("at most {max} columns per sheet"),
            ),
            Bound::Cells => (
                format!("最多 {max} 个有内容的单元格"),
                format!("at most {max} cells with content"),
            ),
            Bound::SheetArea => (
                format!(".xls 工作表的范围最多 {max} 个单元格，请另存为 .xlsx"),
                format!("an .xls sheet may span at most {max} cells; save it as .xlsx"),
            ),
            Bound::CellBytes => (
                format!("单个单元格不能超过 {max} 字节"),
                format!("one cell may hold at most {max} bytes"),
            ),
        }
    }
}

/// The bounds one read runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub max_unpacked_bytes: u64,
    pub max_rows: usize,
    pub max_columns: usize,
    pub max_cells: usize,
    pub max_sheet_area: usize,
    pub max_cell_bytes: usize,
}

/// Excel's own limit on the characters of one cell: a longer value is a row error, and
/// the error workbook writes it cut to this length.
pub const EXCEL_MAX_CELL_CHARS: usize = 32_767;

impl Limits {
    /// An upload through the console or the API, from any account that may import.
    pub const UPLOAD: Limits = Limits {
        max_file_bytes: 50 * 1024 * 1024,
        max_unpacked_bytes: 512 * 1024 * 1024,
        max_rows: 500_000,
        max_columns: 256,
        max_cells: 5_000_000,
        max_sheet_area: 2_000_000,
        max_cell_bytes: 1024 * 1024,
    };

    /// A file given to `tongxin import` by someone at the server: a city's workbook
    /// (500,000 units and 2,500,000 members) fits.
    pub const COMMAND_LINE: Limits = Limits {
        max_file_bytes: 4 * 1024 * 1024 * 1024,
        max_unpacked_bytes: 32 * 1024 * 1024 * 1024,
        max_rows: 10_000_000,
        max_columns: 256,
        max_cells: 100_000_000,
        max_sheet_area: 2_000_000,
        max_cell_bytes: 1024 * 1024,
    };
}
