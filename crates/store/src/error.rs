use tongxin_domain::{Coded, DomainError, ErrorCode};

/// What a store call can refuse, each with a stable code.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Not there, or not in the caller's scope: the two look the same.
    #[error("record not found")]
    NotFound,
    /// Optimistic lock: someone saved the record since the caller read it.
    #[error("the record was changed by someone else (now at version {current})")]
    Stale { current: i64 },
    #[error("a record with this {field} already exists")]
    Duplicate { field: &'static str },
    #[error("invalid input")]
    Invalid(Vec<DomainError>),
    /// A referenced record (carrier, organisation, unit) is unknown or out of scope.
    #[error("{field} refers to an unknown record")]
    Reference { field: &'static str },
    #[error("division {0} is not in the division table")]
    UnknownDivision(String),
    /// The caller's scope does not include the target division.
    #[error("the division is outside your territory")]
    OutsideTerritory { field: &'static str },
    #[error("the record still has dependants and cannot be archived")]
    InUse,
    /// The caller's role may not do this.
    #[error("your role may not do this")]
    Forbidden,
    #[error("database error: {0}")]
    Db(sea_orm::DbErr),
    /// The store's writer stayed taken for longer than a request may wait (a long
    /// import): try again in a few seconds.
    #[error("the store is busy with other writes")]
    Busy,
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("bad input file: {0}")]
    BadFile(String),
    /// The resident ID is registered as a member outside the caller's territory. Where is
    /// not said; the answer is audited; the way forward is a transfer (组织关系转接).
    #[error("this resident ID is registered as a member elsewhere; transfer the membership instead")]
    RegisteredElsewhere,
    /// An import being written was undone by an operator (`tongxin imports --undo`)
    /// before it finished: nothing of it remains.
    #[error("the import was stopped and undone before it finished; nothing of it was kept")]
    Interrupted,
    /// A joint branch already covers as many units as the rule allows (Branch Work
    /// Regulations Art. 4: generally five).
    #[error("the joint branch already covers {max} units")]
    JointBranchFull { max: u32 },
    /// A role, an attendance, an item or a visit names a member unit that was not a
    /// member of the conference on that day.
    #[error("{field}: not a member unit on that day")]
    NotAMember { field: &'static str },
    /// A project asked to do what its stage does not allow (a claim once signed, a report
    /// before signing, an evaluation twice).
    #[error("the project is {stage}: not possible at this stage")]
    ProjectStage { stage: &'static str },
    /// A call's results are published (no more recommendations, scores or moves), or
    /// not yet (no award).
    #[error("the call is published: {published}")]
    CallStage { published: bool },
    /// A project is signed by the units that claimed it, and none has.
    #[error("no unit has claimed the project")]
    Unclaimed,
    /// A registration, a cancellation or a ballot's draw refused (activities).
    #[error("registration refused: {0:?}")]
    Registration(tongxin_domain::activities::Refusal),
    /// A room booking refused (centres).
    #[error("booking refused: {0:?}")]
    Booking(tongxin_domain::centres::BookingRefusal),
    /// Too many such answers for one account in an hour.
    #[error("too many registration checks of resident IDs; try again later")]
    TooManyChecks,
}

impl Coded for StoreError {
    fn code(&self) -> ErrorCode {
        match self {
            StoreError::NotFound => ErrorCode::NotFound,
            StoreError::Stale { .. } => ErrorCode::StaleEdit,
            StoreError::Duplicate { .. } => ErrorCode::Duplicate,
            StoreError::Invalid(_) => ErrorCode::ValidationFailed,
            StoreError::Reference { .. } => ErrorCode::ReferenceInvalid,
            StoreError::UnknownDivision(_) => ErrorCode::DivisionUnknown,
            StoreError::OutsideTerritory { .. } => ErrorCode::OutsideTerritory,
            StoreError::InUse => ErrorCode::InUse,
            StoreError::Forbidden => ErrorCode::Forbidden,
            StoreError::Db(_) | StoreError::Io(_) => ErrorCode::Internal,
            StoreError::Busy => ErrorCode::Busy,
            StoreError::BadFile(_) => ErrorCode::BadFile,
            StoreError::RegisteredElsewhere => ErrorCode::RegisteredElsewhere,
            StoreError::TooManyChecks => ErrorCode::ChecksLimited,
            StoreError::Interrupted => ErrorCode::Interrupted,
            StoreError::JointBranchFull { .. } => ErrorCode::JointBranchFull,
            StoreError::NotAMember { .. } => ErrorCode::NotAMember,
            StoreError::ProjectStage { .. } => ErrorCode::ProjectStage,
            StoreError::Unclaimed => ErrorCode::Unclaimed,
            StoreError::CallStage { published: true } => ErrorCode::CallPublished,
            StoreError::CallStage { published: false } => ErrorCode::CallNotPublished,
            StoreError::Booking(r) => {
                use tongxin_domain::centres::BookingRefusal;
                match r {
                    BookingRefusal::RoomTaken => ErrorCode::RoomTaken,
                    BookingRefusal::OutsideHours => ErrorCode::OutsideHours,
                    BookingRefusal::BlackoutDay => ErrorCode::BlackoutDay,
                }
            }
            StoreError::Registration(r) => {
                use tongxin_domain::activities::Refusal;
                match r {
                    Refusal::SoldOut => ErrorCode::SoldOut,
                    Refusal::AlreadyRegistered => ErrorCode::AlreadyRegistered,
                    Refusal::NotYetOpen => ErrorCode::RegistrationNotOpen,
                    Refusal::Closed => ErrorCode::RegistrationClosed,
                    Refusal::MembersOnly => ErrorCode::MembersOnly,
                    Refusal::TooLateToCancel => ErrorCode::TooLateToCancel,
                    Refusal::BallotStage => ErrorCode::BallotStage,
                    Refusal::OfferExpired => ErrorCode::OfferExpired,
                    Refusal::NotATicket => ErrorCode::NotATicket,
                    Refusal::TicketElsewhere => ErrorCode::TicketElsewhere,
                    Refusal::NoPlace => ErrorCode::NoPlace,
                    Refusal::CheckedInAlready => ErrorCode::CheckedInAlready,
                }
            }
        }
    }
}

impl From<Vec<DomainError>> for StoreError {
    fn from(v: Vec<DomainError>) -> Self {
        StoreError::Invalid(v)
    }
}

/// Maps a unique-constraint violation to a duplicate on the column the database names
/// (`fallback` when it names none we know); passes other errors on.
pub(crate) fn unique_as(fallback: &'static str) -> impl Fn(sea_orm::DbErr) -> StoreError {
    move |e| match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => {
            let field = ["credit_code", "resident_id", "username", "token_hash", "link"]
                .into_iter()
                .find(|f| msg.contains(f))
                .unwrap_or(fallback);
            StoreError::Duplicate { field }
        }
        _ => e.into(),
    }
}

/// A database error; waiting too long for the writer (a pool time-out, or SQLite's busy
/// time-out) is [`StoreError::Busy`], which callers answer with "try again".
impl From<sea_orm::DbErr> for StoreError {
    fn from(e: sea_orm::DbErr) -> Self {
        let busy = matches!(e, sea_orm::DbErr::ConnectionAcquire(_)) || {
            let text = e.to_string();
            text.contains("database is locked")
                || text.contains("database is busy")
                // PostgreSQL's lock_timeout (SQLSTATE 55P03), set on every write.
                || text.contains("lock timeout")
        };
        if busy { StoreError::Busy } else { StoreError::Db(e) }
    }
}
