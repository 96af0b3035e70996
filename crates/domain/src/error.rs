//! Errors with stable codes. The web layer turns a code into an HTTP status and a
//! message in Chinese and English looked up by that code (see `i18n/locales`).

use crate::codes::CodeError;
use crate::error_code::{Coded, ErrorCode};

/// A rule of the domain was broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("{field}: {source}")]
    InvalidCode {
        field: &'static str,
        #[source]
        source: CodeError,
    },
    #[error("{field} is required")]
    Required { field: &'static str },
    #[error("{field} is too long (at most {max} characters)")]
    TooLong { field: &'static str, max: usize },
    #[error("{field} is out of range")]
    OutOfRange { field: &'static str },
    #[error("{field} has an unknown value")]
    UnknownValue { field: &'static str },
    #[error("{field} is not a number")]
    NotANumber { field: &'static str },
    /// Party Constitution Art. 1: a member is at least eighteen when joining.
    #[error("{field}: the member was under eighteen on the joining date")]
    JoinedUnderAge { field: &'static str },
}

impl DomainError {
    /// The form field the error belongs to, so a console can show it beside that field.
    pub fn field(&self) -> &'static str {
        match self {
            DomainError::InvalidCode { field, .. }
            | DomainError::Required { field }
            | DomainError::TooLong { field, .. }
            | DomainError::OutOfRange { field }
            | DomainError::UnknownValue { field }
            | DomainError::NotANumber { field }
            | DomainError::JoinedUnderAge { field } => field,
        }
    }
}

impl Coded for DomainError {
    fn code(&self) -> ErrorCode {
        match self {
            DomainError::InvalidCode { source, .. } => source.code(),
            DomainError::Required { .. } => ErrorCode::Required,
            DomainError::TooLong { .. } => ErrorCode::TooLong,
            DomainError::OutOfRange { .. } => ErrorCode::OutOfRange,
            DomainError::UnknownValue { .. } => ErrorCode::UnknownValue,
            DomainError::NotANumber { .. } => ErrorCode::NotANumber,
            DomainError::JoinedUnderAge { .. } => ErrorCode::JoinedUnderAge,
        }
    }
}
