//! Errors with stable codes. The web layer turns a code into an HTTP status and a
//! message in Chinese and English looked up by that code (see `web/locales`).

use crate::codes::CodeError;

/// Something that has a stable, machine-readable error code such as
/// `registry.unit.credit_code_invalid`.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

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

impl ErrorCode for DomainError {
    fn code(&self) -> &'static str {
        match self {
            DomainError::InvalidCode { source, .. } => source.code(),
            DomainError::Required { .. } => "validation.required",
            DomainError::TooLong { .. } => "validation.too_long",
            DomainError::OutOfRange { .. } => "validation.out_of_range",
            DomainError::UnknownValue { .. } => "validation.unknown_value",
            DomainError::NotANumber { .. } => "validation.not_a_number",
            DomainError::JoinedUnderAge { .. } => "registry.member.joined_under_age",
        }
    }
}
