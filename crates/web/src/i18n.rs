//! The console's languages: the texts live in the `tongxin-i18n` crate, shared with the
//! import's error workbook and the command line.

pub use tongxin_i18n::{Lang, error_message};
