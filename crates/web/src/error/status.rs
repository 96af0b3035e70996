//! The HTTP status of every error code, given once. The match is exhaustive, so a new
//! code does not compile until it has a status; the tests beside it fail until it has
//! both translations and something answers with it.

use axum::http::StatusCode;
use tongxin_domain::ErrorCode;

/// The HTTP status a response with `code` carries.
pub fn status_of(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        NotFound | PickNone => StatusCode::NOT_FOUND,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ValidationFailed
        | Required
        | TooLong
        | OutOfRange
        | UnknownValue
        | NotANumber
        | ReferenceInvalid
        | ReferenceAmbiguous
        | PhoneInvalid
        | CreditCodeInvalid
        | ResidentIdInvalid
        | JoinedUnderAge
        | DivisionCodeInvalid
        | DivisionUnknown
        | DivisionAmbiguous
        | NotAWorkbook
        | NoHeader
        | MissingColumn
        | DuplicateColumn
        | CellTooLong
        | DuplicateRow
        | ParentCycle
        | DependsOnFailedRow
        | BadFile
        | BadDate
        | BadBool
        | PersonalDataInUrl
        | OutOfOrder
        | NotAMember
        | TermsOverlap
        | Inconsistent
        | LeadTaken
        | Unclaimed
        | AttachmentTypeRefused
        | NotAMeaning
        | NotATicket => StatusCode::UNPROCESSABLE_ENTITY,
        StaleEdit | Duplicate | InUse | RegisteredElsewhere | Interrupted | JointBranchFull | ProjectStage
        | CallPublished | CallNotPublished | SoldOut | AlreadyRegistered | RegistrationNotOpen | RegistrationClosed
        | TooLateToCancel | BallotStage | OfferExpired | TicketElsewhere | NoPlace | CheckedInAlready | RoomTaken
        | OutsideHours | BlackoutDay => StatusCode::CONFLICT,
        OutsideTerritory | Forbidden | Csrf | ConfirmPassword | MembersOnly => StatusCode::FORBIDDEN,
        AuthRequired | AuthInvalid => StatusCode::UNAUTHORIZED,
        RateLimited | ChecksLimited | RegistrationsLimited => StatusCode::TOO_MANY_REQUESTS,
        FileTooLarge | TooManyFiles | RequestTooLarge | AttachmentTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        BadRequest => StatusCode::BAD_REQUEST,
        RevealNeedsPost => StatusCode::METHOD_NOT_ALLOWED,
        Busy | CannotWrite => StatusCode::SERVICE_UNAVAILABLE,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, error_message};

    /// Every code has both translations, and they differ.
    #[test]
    fn every_error_code_is_translated() {
        for code in ErrorCode::ALL.iter().copied() {
            for lang in [Lang::ZhCn, Lang::En] {
                let m = error_message(code, lang);
                assert!(
                    !m.starts_with("error.") && !m.contains(&format!("{}.", lang.code())),
                    "{code} missing in {}",
                    lang.code()
                );
            }
            assert_ne!(error_message(code, Lang::ZhCn), error_message(code, Lang::En), "{code}");
        }
    }

    /// Every variant is used somewhere outside its declaration and this table (lemmy
    /// keeps the same test): a code nothing answers with is a translation to keep for
    /// nothing, or a refusal someone forgot to write.
    #[test]
    fn every_error_code_is_used() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut text = String::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("crates readable").flatten() {
                let p = entry.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|e| e == "rs")
                    && p.components().any(|c| c.as_os_str() == "src")
                    && !p.ends_with("domain/src/error_code.rs")
                    && !p.ends_with("web/src/error/status.rs")
                {
                    text.push_str(&std::fs::read_to_string(&p).expect("source readable"));
                }
            }
        }
        let unused: Vec<_> = ErrorCode::ALL
            .iter()
            .filter(|c| !text.contains(&format!("ErrorCode::{}", c.variant_name())))
            .collect();
        assert!(unused.is_empty(), "error codes nothing answers with: {unused:?}");
    }
}
