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
    /// A date that comes before one it must follow (a term ending before it starts, a
    /// plenary numbered after one held later).
    #[error("{field} is out of order")]
    OutOfOrder { field: &'static str },
    /// Two terms of an office that one holder fills at a time overlap.
    #[error("{field}: the term overlaps another holder's")]
    TermsOverlap { field: &'static str },
    /// Two values that contradict each other (a report "done" at 40%).
    #[error("{field} contradicts another value")]
    Inconsistent { field: &'static str },
    /// A project has its lead unit already (牵头单位): one answers for it.
    #[error("{field}: the project has a lead unit already")]
    LeadTaken { field: &'static str },
    /// A file larger than its limit.
    #[error("{field} is too large")]
    TooLarge { field: &'static str },
    /// A file whose bytes are not of a type accepted there.
    #[error("{field} is not of an accepted type")]
    TypeRefused { field: &'static str },
    /// A vocabulary line that does not give two words of one meaning.
    #[error("{field}: a line must give two words or more of one meaning")]
    NotAMeaning { field: &'static str },
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
            | DomainError::JoinedUnderAge { field }
            | DomainError::OutOfOrder { field }
            | DomainError::TermsOverlap { field }
            | DomainError::Inconsistent { field }
            | DomainError::LeadTaken { field }
            | DomainError::TooLarge { field }
            | DomainError::TypeRefused { field }
            | DomainError::NotAMeaning { field } => field,
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
            DomainError::OutOfOrder { .. } => ErrorCode::OutOfOrder,
            DomainError::TermsOverlap { .. } => ErrorCode::TermsOverlap,
            DomainError::Inconsistent { .. } => ErrorCode::Inconsistent,
            DomainError::LeadTaken { .. } => ErrorCode::LeadTaken,
            DomainError::TooLarge { .. } => ErrorCode::AttachmentTooLarge,
            DomainError::TypeRefused { .. } => ErrorCode::AttachmentTypeRefused,
            DomainError::NotAMeaning { .. } => ErrorCode::NotAMeaning,
        }
    }
}
