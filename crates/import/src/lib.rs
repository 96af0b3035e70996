//! Spreadsheet reading and writing for the registry.
//!
//! Real office sheets are messy: title and note rows around the table, merged header
//! cells, headers in full width or Traditional characters, dates in six spellings,
//! several values in one cell, subtotal rows. This crate turns such a file into
//! [`Table`]s of clean cell text keyed by [`Field`], and writes the error workbook and
//! the export layout. Resolving names against the registry is the store's job.

mod fields;
mod limits;
mod normalise;
mod read;
mod write;

pub use fields::{Field, Kind};
pub use limits::{Bound, EXCEL_MAX_CELL_CHARS, Limits};
pub use normalise::{Unrecognised, header_key, parse_bool, parse_date, split_multi};
pub use read::{Cell, Column, GridRow, Table, TableRow, read_rows_within, read_tables, read_tables_within};
pub use write::{ErrorSheet, write_error_workbook, write_table, write_template, write_workbook};

/// Largest upload accepted (bytes).
pub const MAX_FILE_BYTES: usize = Limits::UPLOAD.max_file_bytes as usize;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not a readable .xlsx, .xls or .csv workbook: {0}")]
    NotAWorkbook(String),
    #[error("no sheet with a recognisable header row was found")]
    NoHeader,
    #[error("sheet {sheet}: required column {column} is missing")]
    MissingColumn { sheet: String, column: &'static str },
    #[error("the file is over a limit ({}): {}", bound.code(), bound.describe(*max).1)]
    TooLarge { bound: Bound, max: u64 },
    #[error("sheet {sheet}: columns {first} and {second} both give one value; keep one of them")]
    DuplicateColumn {
        sheet: String,
        first: String,
        second: String,
    },
    #[error("could not write the workbook: {0}")]
    Write(String),
}

impl ImportError {
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::NotAWorkbook(_) => "import.not_a_workbook",
            ImportError::NoHeader => "import.no_header",
            ImportError::MissingColumn { .. } => "import.missing_column",
            ImportError::TooLarge { .. } => "import.too_large",
            ImportError::DuplicateColumn { .. } => "import.duplicate_column",
            ImportError::Write(_) => "internal",
        }
    }
}
