//! Tongxin domain: the words of regional party building (区域化党建) as types and rules.
//!
//! No I/O and no async: everything here can be tested on its own. Codes are parsed
//! newtypes (a [`codes::CreditCode`] can only hold a valid code), personal data is
//! masked in `Display` and `Debug`, and the caller's territory is a [`scope::Scope`].

pub mod access;
pub mod activities;
pub mod alliance;
pub mod centres;
pub mod codes;
pub mod coverage;
pub mod error;
pub mod error_code;
pub mod registry;
pub mod scope;
pub mod text;

pub use error::DomainError;
pub use error_code::{Coded, ErrorCode};
