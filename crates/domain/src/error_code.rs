//! Every stable error code the platform answers with, as one enum (after lemmy's
//! `LemmyErrorType`). A code is what the UI translates (`error.<code>` in the web
//! layer's locale files) and what API clients match on; its HTTP status is given once,
//! in the web layer. Tests there fail on a variant that nothing uses or that lacks a
//! translation in either language.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! error_codes {
    ($( $(#[$meta:meta])* $variant:ident = $code:literal, )*) => {
        /// A stable, machine-readable error code such as `registry.unit.credit_code_invalid`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$meta])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order declared.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as API clients and translation files spell it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The variant's name in Rust, for the test that finds unused variants.
            pub fn variant_name(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => stringify!($variant),)*
                }
            }
        }
    };
}

error_codes! {
    /// Not there, or not in the caller's scope: the two look the same.
    NotFound = "not_found",
    /// Something failed inside; the details are logged, never shown.
    Internal = "internal",
    ValidationFailed = "validation.failed",
    Required = "validation.required",
    TooLong = "validation.too_long",
    OutOfRange = "validation.out_of_range",
    UnknownValue = "validation.unknown_value",
    NotANumber = "validation.not_a_number",
    OutOfOrder = "validation.out_of_order",
    Inconsistent = "validation.inconsistent",
    /// Optimistic lock: someone saved the record since the caller read it.
    StaleEdit = "registry.stale_edit",
    Duplicate = "registry.duplicate",
    ReferenceInvalid = "registry.reference_invalid",
    ReferenceAmbiguous = "registry.reference_ambiguous",
    /// A picker's text matched nothing in the caller's territory.
    PickNone = "registry.pick_none",
    OutsideTerritory = "registry.outside_territory",
    InUse = "registry.in_use",
    PhoneInvalid = "registry.phone_invalid",
    CreditCodeInvalid = "registry.unit.credit_code_invalid",
    ResidentIdInvalid = "registry.member.resident_id_invalid",
    /// Party Constitution Art. 1: a member is at least eighteen when joining.
    JoinedUnderAge = "registry.member.joined_under_age",
    RegisteredElsewhere = "registry.member.registered_elsewhere",
    ChecksLimited = "registry.member.checks_limited",
    DivisionCodeInvalid = "registry.division.code_invalid",
    DivisionUnknown = "registry.division.unknown",
    DivisionAmbiguous = "registry.division.ambiguous",
    /// Branch Work Regulations Art. 4: a joint branch covers generally five units.
    JointBranchFull = "coverage.joint_branch_full",
    /// One convener, one rotating convener, one secretary-general at a time.
    TermsOverlap = "alliance.terms_overlap",
    /// A role, an attendance or a visit names a unit that was not a member then.
    NotAMember = "alliance.not_a_member",
    /// One lead unit (牵头单位) per project.
    LeadTaken = "alliance.lead_taken",
    /// A project asked to do what its stage does not allow (a claim once signed, a
    /// report before signing, an evaluation twice).
    ProjectStage = "alliance.project_stage",
    /// A project is signed by the units that claimed it: none has.
    Unclaimed = "alliance.unclaimed",
    /// A call's results are out: no more recommendations, scores or moves.
    CallPublished = "alliance.call_published",
    /// Awards follow published results.
    CallNotPublished = "alliance.call_not_published",
    /// A line of an office's vocabulary must name two words or more of one meaning.
    NotAMeaning = "alliance.not_a_meaning",
    /// Every place of the activity is given.
    SoldOut = "activity.sold_out",
    AlreadyRegistered = "activity.already_registered",
    RegistrationNotOpen = "activity.not_open",
    RegistrationClosed = "activity.closed",
    MembersOnly = "activity.members_only",
    TooLateToCancel = "activity.too_late_to_cancel",
    BallotStage = "activity.ballot_stage",
    OfferExpired = "activity.offer_expired",
    NotATicket = "activity.not_a_ticket",
    TicketElsewhere = "activity.ticket_elsewhere",
    NoPlace = "activity.no_place",
    CheckedInAlready = "activity.checked_in_already",
    /// Too many registrations by residents without an account from one address.
    RegistrationsLimited = "activity.registrations_limited",
    /// Another booking of the room overlaps.
    RoomTaken = "booking.room_taken",
    OutsideHours = "booking.outside_hours",
    BlackoutDay = "booking.blackout_day",
    AttachmentTooLarge = "attachment.too_large",
    AttachmentTypeRefused = "attachment.type_refused",
    AuthRequired = "auth.required",
    AuthInvalid = "auth.invalid",
    Forbidden = "auth.forbidden",
    RateLimited = "auth.rate_limited",
    Csrf = "auth.csrf",
    ConfirmPassword = "auth.confirm_password",
    NotAWorkbook = "import.not_a_workbook",
    NoHeader = "import.no_header",
    MissingColumn = "import.missing_column",
    FileTooLarge = "import.too_large",
    TooManyFiles = "import.too_many_files",
    DuplicateColumn = "import.duplicate_column",
    CellTooLong = "import.cell_too_long",
    DuplicateRow = "import.duplicate_row",
    ParentCycle = "import.parent_cycle",
    DependsOnFailedRow = "import.depends_on_failed_row",
    BadFile = "import.bad_file",
    Interrupted = "import.interrupted",
    BadDate = "import.bad_date",
    BadBool = "import.bad_bool",
    RequestTooLarge = "request.too_large",
    BadRequest = "request.bad",
    PersonalDataInUrl = "request.personal_data_in_url",
    RevealNeedsPost = "request.reveal_needs_post",
    /// The writer stayed taken longer than a request may wait: try again shortly.
    Busy = "store.busy",
    CannotWrite = "store.cannot_write",
}

impl ErrorCode {
    /// The code spelt `s`, if there is one.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<str>::deserialize(d)?;
        ErrorCode::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s}")))
    }
}

/// Something that carries one of the stable codes.
pub trait Coded {
    fn code(&self) -> ErrorCode;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in ErrorCode::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(ErrorCode::parse(c.as_str()), Some(*c));
            let json = serde_json::to_string(c).expect("serialises");
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).expect("parses"), *c);
        }
        assert_eq!(ErrorCode::parse("no.such"), None);
    }
}
