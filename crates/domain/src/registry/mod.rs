//! The registry of the ground: carriers, units, party organisations, members.
//! Each module holds the record's kinds and the validated shape of a new or edited record.

mod carrier;
mod ids;
mod member;
mod party_org;
mod unit;

pub use carrier::{CarrierFields, CarrierKind};
pub use ids::{
    AccountId, AllianceMemberId, AttachmentId, CarrierId, CentreId, ConferenceId, InstructorId, MemberId, OrgId,
    PlenaryId, ProjectId, RoomId, UnitId,
};
pub use member::{MemberFields, MemberStatus};
pub use party_org::{OrgFields, OrgKind, OrgPath};
pub use unit::{UnitFields, UnitKind, UnitLinkKind, parse_count};

use crate::DomainError;

/// Longest name accepted for any registry record.
pub const NAME_MAX: usize = 100;
/// Longest address accepted.
pub const ADDRESS_MAX: usize = 200;

/// A required, trimmed name of at most [`NAME_MAX`] characters.
pub fn required_name(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let s = crate::text::trim_spaces(raw);
    if s.is_empty() {
        return Err(DomainError::Required { field });
    }
    if s.chars().count() > NAME_MAX {
        return Err(DomainError::TooLong { field, max: NAME_MAX });
    }
    Ok(s)
}

/// An optional trimmed text of at most `max` characters (`None` when blank).
pub fn optional_text(field: &'static str, raw: &str, max: usize) -> Result<Option<String>, DomainError> {
    let s = crate::text::clean(raw);
    if s.is_empty() {
        return Ok(None);
    }
    if s.chars().count() > max {
        return Err(DomainError::TooLong { field, max });
    }
    Ok(Some(s))
}

/// An enumeration with a stable code and a Chinese label that users type and read.
pub trait Labelled: Sized + Copy + 'static {
    const ALL: &'static [Self];
    fn code(&self) -> &'static str;
    fn label_zh(&self) -> &'static str;
    /// Other Chinese words that mean the same value in spreadsheets.
    fn synonyms(&self) -> &'static [&'static str] {
        &[]
    }

    /// Parses a code (`building`), a label (`楼宇`) or a synonym.
    fn parse_any(raw: &str) -> Option<Self> {
        let s = crate::text::clean(raw);
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.code().eq_ignore_ascii_case(&s) || v.label_zh() == s || v.synonyms().contains(&s.as_str()))
    }

    /// A choice as a form or a query string sends it, for `field`: absent or blank is
    /// none; anything else must name a value.
    fn parse_field(raw: Option<&str>, field: &'static str) -> Result<Option<Self>, DomainError> {
        match raw.map(str::trim) {
            None | Some("") => Ok(None),
            Some(v) => Self::parse_any(v).map(Some).ok_or(DomainError::UnknownValue { field }),
        }
    }

    /// A choice that must be made: as [`Labelled::parse_field`], and blank is refused.
    fn parse_required(raw: Option<&str>, field: &'static str) -> Result<Self, DomainError> {
        Self::parse_field(raw, field)?.ok_or(DomainError::Required { field })
    }
}

/// Collects field errors; returns all of them at once so a form can show each beside
/// its field.
#[derive(Default)]
pub(crate) struct Errors(pub Vec<DomainError>);

impl Errors {
    pub fn take<T>(&mut self, r: Result<T, DomainError>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }
}
