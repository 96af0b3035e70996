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
pub use normalise::{Unrecognised, header_key, parse_bool, parse_date, split_multi, to_simplified};
pub use read::{
    Cell, Column, GridRow, Table, TableRow, read_lists_within, read_rows_within, read_tables, read_tables_within,
    read_viewer_log_within,
};
pub use write::{ErrorSheet, write_error_workbook, write_table, write_template, write_workbook};

use tongxin_domain::ErrorCode;

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
    /// What a person can act on, in both languages (`中文 / English`): the bound and its
    /// figure, the sheet and its columns. None where the reader's own words would be
    /// for developers only.
    pub fn detail(&self) -> Option<String> {
        match self {
            ImportError::TooLarge { bound, max } => {
                let (zh, en) = bound.describe(*max);
                Some(format!("{zh} / {en}"))
            }
            ImportError::DuplicateColumn { sheet, first, second } => {
                Some(format!("{sheet}：【{first}】【{second}】 / {sheet}: {first}, {second}"))
            }
            ImportError::MissingColumn { sheet, column } => Some(format!("{sheet}：【{column}】 / {sheet}: {column}")),
            _ => None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            ImportError::NotAWorkbook(_) => ErrorCode::NotAWorkbook,
            ImportError::NoHeader => ErrorCode::NoHeader,
            ImportError::MissingColumn { .. } => ErrorCode::MissingColumn,
            ImportError::TooLarge { .. } => ErrorCode::FileTooLarge,
            ImportError::DuplicateColumn { .. } => ErrorCode::DuplicateColumn,
            ImportError::Write(_) => ErrorCode::Internal,
        }
    }
}
