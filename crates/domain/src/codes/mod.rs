//! Codes with check characters and personal identifiers. Each type can only be made by
//! `parse`, so a value of the type is valid wherever it travels.

mod credit_code;
mod division_code;
mod phone;
mod resident_id;

use crate::error_code::ErrorCode;
pub use credit_code::CreditCode;
pub use division_code::{DivisionCode, DivisionLevel};
pub use phone::Phone;
pub use resident_id::{ResidentId, is_partial_resident_id, masked_resident_id_parts};

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("unified social credit code must have 18 characters")]
    CreditCodeLength,
    #[error("unified social credit code contains a character that is not allowed")]
    CreditCodeCharacter,
    #[error("unified social credit code check character does not match")]
    CreditCodeCheck,
    #[error("resident ID must have 18 characters")]
    ResidentIdLength,
    #[error("resident ID contains a character that is not allowed")]
    ResidentIdCharacter,
    #[error("resident ID birth date is not a real date")]
    ResidentIdBirthDate,
    #[error("resident ID check digit does not match")]
    ResidentIdCheck,
    #[error("division code must have 2, 4, 6, 9 or 12 digits")]
    DivisionCodeFormat,
    #[error("phone number is not a mainland mobile or landline number")]
    PhoneFormat,
}

impl CodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            CodeError::CreditCodeLength | CodeError::CreditCodeCharacter | CodeError::CreditCodeCheck => {
                ErrorCode::CreditCodeInvalid
            }
            CodeError::ResidentIdLength
            | CodeError::ResidentIdCharacter
            | CodeError::ResidentIdBirthDate
            | CodeError::ResidentIdCheck => ErrorCode::ResidentIdInvalid,
            CodeError::DivisionCodeFormat => ErrorCode::DivisionCodeInvalid,
            CodeError::PhoneFormat => ErrorCode::PhoneInvalid,
        }
    }
}
