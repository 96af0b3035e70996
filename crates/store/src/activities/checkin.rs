//! Check-in (签到) at an activity's door, and attendance.
//!
//! A registration that holds a place carries a ticket signed with this store's Ed25519
//! key ([`Ticket`]); the key's secret is drawn once and kept in the settings table, so
//! every server on one database signs and checks with the same key, and a phone at the
//! door checks tickets offline with the public key alone
//! (`GET /api/v1/checkin/key`). Signing and checking take tens of microseconds: done in
//! place, cheaper than a hand-off to the blocking pool.
//!
//! A scan is counted by one conditional update (`checked_in_at is null`): two scans of
//! one ticket at once, at two doors, count once. Each scan carries its device's nonce,
//! kept under a unique key with the scan's answer: a scan sent again (a phone that was
//! offline, a form sent twice) hears the first answer again and counts nothing.

use crate::entity::{account, activity_registration as reg, checkin_scan, member, party_org};
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::activities::{Refusal, Ticket, TicketKey, public_key_text, signing_key};
use tongxin_domain::error_code::Coded as _;

/// The settings key of the ticket key's secret (hex).
const SECRET_KEY: &str = "checkin.signing_key";
/// Shortest and longest nonce a scanning device may send (a UUID is 36).
const NONCE_MIN: usize = 8;
const NONCE_MAX: usize = 64;

/// The answer to a scan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ScanView {
    pub registration_id: i64,
    pub activity_id: i64,
    /// The registrant's name, to greet them at the door (no phone).
    pub name: String,
    pub places: i32,
    /// When the ticket was first scanned: now, for the scan that counted.
    pub checked_in_at: DateTime<Utc>,
}

/// Attendance of one organisation's members at an activity.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgAttendance {
    pub org_id: i64,
    pub org_name: String,
    pub registered: i64,
    pub attended: i64,
}

/// An activity's attendance (出席): registrations holding a place, how many came, and
/// the no-show rate once it has started (before, nobody can have failed to come).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendanceView {
    pub activity_id: i64,
    pub registered: i64,
    pub registered_places: i64,
    pub attended: i64,
    pub attended_places: i64,
    /// Share of registrations not checked in, once the activity has started; else none.
    pub no_show_rate: Option<f64>,
    /// By the organisation of each member who registered with an account linked to a
    /// member record; residents and unlinked accounts are counted above only.
    pub by_organisation: Vec<OrgAttendance>,
}

/// A registration holding a place, for the count: id, places, checked in, account.
type HeldPlace = (i64, i32, Option<DateTime<Utc>>, Option<i64>);

/// Most registrations the desk's search shows.
pub const DESK_MATCHES: u64 = 20;

/// A scanning device's nonce, trimmed, if it is one.
fn scan_nonce(nonce: &str) -> Result<&str> {
    let nonce = nonce.trim();
    if !(NONCE_MIN..=NONCE_MAX).contains(&nonce.len())
        || !nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(StoreError::Invalid(vec![DomainError::OutOfRange { field: "nonce" }]));
    }
    Ok(nonce)
}

/// The registration's statuses that hold a place.
const HOLDS_PLACE: &str = "registered";

fn refused(r: Refusal) -> StoreError {
    StoreError::Registration(r)
}

impl Store {
    /// The ticket key: its secret read once (drawn and kept on first use; two servers
    /// drawing at once both keep the one stored first), the key derived once.
    async fn checkin_key(&self) -> Result<TicketKey> {
        if let Some(k) = self.checkin_key.get() {
            return Ok(k.clone());
        }
        let read = |v: Option<String>| -> Option<[u8; 32]> { hex::decode(v?.trim()).ok()?.try_into().ok() };
        let secret = match read(crate::coverage::setting(&self.write, SECRET_KEY).await?) {
            Some(s) => s,
            None => {
                let fresh = hex::encode(rand::random::<[u8; 32]>());
                let b = self.write.get_database_backend();
                let sql = match b {
                    sea_orm::DbBackend::Postgres => {
                        "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
                    }
                    _ => "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                };
                self.write
                    .execute_raw(Statement::from_sql_and_values(
                        b,
                        sql,
                        [SECRET_KEY.into(), fresh.into()],
                    ))
                    .await?;
                read(crate::coverage::setting(&self.write, SECRET_KEY).await?)
                    .ok_or_else(|| StoreError::BadFile("the check-in key could not be kept".into()))?
            }
        };
        Ok(self.checkin_key.get_or_init(|| signing_key(&secret)).clone())
    }

    /// The public key that checks tickets (base64url of its 32 bytes), for door phones.
    pub async fn checkin_public_key(&self) -> Result<String> {
        Ok(public_key_text(&self.checkin_key().await?))
    }

    /// The registration as its registrant sees it: with its ticket while it holds a
    /// place.
    pub(crate) async fn with_ticket(&self, mut v: super::RegistrationView) -> Result<super::RegistrationView> {
        if v.status == HOLDS_PLACE {
            let key = self.checkin_key().await?;
            let t = Ticket {
                registration: v.id,
                activity: v.activity_id,
                places: u8::try_from(v.places).unwrap_or(u8::MAX),
            };
            v.ticket = Some(t.sign(&key));
        }
        Ok(v)
    }

    /// Checks a ticket in at activity `activity`'s door: its centre's staff or an office
    /// over it (asked before the code is read). `nonce` is the scanning device's, one
    /// per scan. The first scan of a ticket counts; a second is refused with
    /// `checked_in_already` and the time of the first; a scan sent again under the same
    /// nonce hears its first answer again.
    pub async fn check_in(&self, actor: &Actor, activity: i64, code: &str, nonce: &str) -> Result<ScanView> {
        let a = self.kept_activity(actor, activity).await?;
        let nonce = scan_nonce(nonce)?;
        if let Some(first) = self.scanned_before(a.id, nonce).await? {
            return first;
        }
        let key = self.checkin_key().await?.verifying_key();
        let outcome = match Ticket::verify(code, &key) {
            Err(_) => Err(Refusal::NotATicket),
            Ok(t) if t.activity != a.id => Err(Refusal::TicketElsewhere),
            Ok(t) => Ok(t.registration),
        };
        self.count_scan(actor, a.id, outcome, nonce, false).await
    }

    /// Checks registration `registration` in at activity `activity`'s desk without its
    /// ticket (a resident who lost the screenshot, a member without a phone), found by
    /// [`Store::find_at_desk`]: the same right, the same count as a scan — once; a second
    /// time, by hand or by ticket, is refused with `checked_in_already` — kept under the
    /// desk's nonce, and audited with who did it, as a scan is not: nothing signed
    /// vouches for it.
    pub async fn check_in_at_desk(
        &self,
        actor: &Actor,
        activity: i64,
        registration: i64,
        nonce: &str,
    ) -> Result<ScanView> {
        let a = self.kept_activity(actor, activity).await?;
        let nonce = scan_nonce(nonce)?;
        if let Some(first) = self.scanned_before(a.id, nonce).await? {
            return first;
        }
        self.count_scan(actor, a.id, Ok(registration), nonce, true).await
    }

    /// Registrations holding a place at activity `activity` whose name holds `text`, or
    /// whose phone ends with it (four digits or more), for the desk to find someone
    /// without their ticket: at most [`DESK_MATCHES`], in order of registering, phones
    /// masked. The centre's staff and offices over it.
    pub async fn find_at_desk(&self, actor: &Actor, activity: i64, text: &str) -> Result<Vec<super::RegistrationView>> {
        let a = self.kept_activity(actor, activity).await?;
        let text = text.trim();
        if text.is_empty() {
            return Ok(vec![]);
        }
        let digits = text.chars().all(|c| c.is_ascii_digit()) && text.len() >= 4;
        use sea_orm::sea_query::ExprTrait as _;
        // LIKE's own characters are matched as themselves.
        let like = |s: &str| s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let mut found = sea_orm::Condition::any().add(
            Expr::col(reg::Column::Name)
                .like(sea_orm::sea_query::LikeExpr::new(format!("%{}%", like(text))).escape('\\')),
        );
        if digits {
            found = found.add(
                Expr::col(reg::Column::Phone)
                    .like(sea_orm::sea_query::LikeExpr::new(format!("%{}", like(text))).escape('\\')),
            );
        }
        let rows = reg::Entity::find()
            .filter(reg::Column::ActivityId.eq(a.id))
            .filter(reg::Column::Status.eq(HOLDS_PLACE))
            .filter(found)
            .order_by_asc(reg::Column::Id)
            .limit(DESK_MATCHES)
            .all(&self.read)
            .await?;
        Ok(rows.into_iter().map(super::registrations::view).collect())
    }

    /// The first answer to a scan sent again under the same nonce, if it was.
    async fn scanned_before(&self, activity: i64, nonce: &str) -> Result<Option<Result<ScanView>>> {
        let Some(s) = checkin_scan::Entity::find()
            .filter(checkin_scan::Column::Nonce.eq(nonce))
            .one(&self.write)
            .await?
        else {
            return Ok(None);
        };
        if s.activity_id != activity {
            return Err(StoreError::Invalid(vec![DomainError::OutOfRange { field: "nonce" }]));
        }
        Ok(Some(self.scan_answer(&s).await))
    }

    /// Counts a scan of `outcome`'s registration at activity `activity` (once: one
    /// conditional update), keeps it under `nonce` with its answer, and audits a
    /// check-in made `by_hand`; all in one transaction.
    async fn count_scan(
        &self,
        actor: &Actor,
        activity: i64,
        outcome: std::result::Result<i64, Refusal>,
        nonce: &str,
        by_hand: bool,
    ) -> Result<ScanView> {
        let now = Utc::now();
        let txn = self.begin().await?;
        let (registration, result) = match outcome {
            Err(r) => (None, Err(r)),
            Ok(id) => {
                let counted = reg::Entity::update_many()
                    .col_expr(reg::Column::CheckedInAt, Expr::value(now))
                    .filter(reg::Column::Id.eq(id))
                    .filter(reg::Column::ActivityId.eq(activity))
                    .filter(reg::Column::Status.eq(HOLDS_PLACE))
                    .filter(reg::Column::CheckedInAt.is_null())
                    .exec(&txn)
                    .await?;
                // Another activity's registration is no place here.
                let r = reg::Entity::find_by_id(id)
                    .filter(reg::Column::ActivityId.eq(activity))
                    .one(&txn)
                    .await?;
                let result = match r {
                    _ if counted.rows_affected == 1 => Ok(()),
                    Some(r) if r.status == HOLDS_PLACE && r.checked_in_at.is_some() => Err(Refusal::CheckedInAlready),
                    _ => Err(Refusal::NoPlace),
                };
                (Some(id), result)
            }
        };
        let code_of = |r: &Result<(), Refusal>| match r {
            Ok(()) => "checked_in".to_string(),
            Err(e) => StoreError::Registration(*e).code().as_str().to_string(),
        };
        let kept = checkin_scan::Entity::insert(checkin_scan::ActiveModel {
            nonce: Set(nonce.to_string()),
            activity_id: Set(activity),
            registration_id: Set(registration),
            result: Set(code_of(&result)),
            scanned_by: Set(actor.account_id.map(|a| a.0)),
            scanned_at: Set(now),
            ..Default::default()
        })
        .on_conflict(OnConflict::column(checkin_scan::Column::Nonce).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
        if kept == 0 {
            // The same nonce, sent twice at once: the other was kept; its answer stands.
            drop(txn);
            let s = checkin_scan::Entity::find()
                .filter(checkin_scan::Column::Nonce.eq(nonce))
                .one(&self.write)
                .await?
                .ok_or(StoreError::NotFound)?;
            return self.scan_answer(&s).await;
        }
        if by_hand && result.is_ok() {
            crate::audit::record(&txn, actor, "checkin_at_desk", "registration", registration, None, None).await?;
        }
        txn.commit().await?;
        result.map_err(refused)?;
        let r = reg::Entity::find_by_id(registration.unwrap_or_default())
            .one(&self.write)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(scan_view(&r, now))
    }

    /// The answer a kept scan gave.
    async fn scan_answer(&self, s: &checkin_scan::Model) -> Result<ScanView> {
        let r = match s.registration_id {
            Some(id) => reg::Entity::find_by_id(id).one(&self.write).await?,
            None => None,
        };
        match (s.result.as_str(), r) {
            ("checked_in", Some(r)) => Ok(scan_view(&r, r.checked_in_at.unwrap_or(s.scanned_at))),
            (code, _) => Err(refused(refusal_of(code))),
        }
    }

    /// An activity's attendance: its centre's staff and offices over it.
    pub async fn attendance(&self, actor: &Actor, activity: i64) -> Result<AttendanceView> {
        let a = self.kept_activity(actor, activity).await?;
        let rows: Vec<HeldPlace> = reg::Entity::find()
            .select_only()
            .column(reg::Column::Id)
            .column(reg::Column::Places)
            .column(reg::Column::CheckedInAt)
            .column(reg::Column::AccountId)
            .filter(reg::Column::ActivityId.eq(a.id))
            .filter(reg::Column::Status.eq(HOLDS_PLACE))
            .into_tuple()
            .all(&self.read)
            .await?;
        let registered = rows.len() as i64;
        let attended = rows.iter().filter(|r| r.2.is_some()).count() as i64;
        let registered_places = rows.iter().map(|r| i64::from(r.1)).sum();
        let attended_places = rows.iter().filter(|r| r.2.is_some()).map(|r| i64::from(r.1)).sum();
        // Members' organisations: account → member record → organisation.
        let accounts: Vec<i64> = rows.iter().filter_map(|r| r.3).collect();
        let mut org_of_account: HashMap<i64, i64> = HashMap::new();
        for chunk in accounts.chunks(500) {
            let linked: Vec<(i64, Option<i64>)> = account::Entity::find()
                .select_only()
                .column(account::Column::Id)
                .column(account::Column::MemberId)
                .filter(account::Column::Id.is_in(chunk.to_vec()))
                .filter(account::Column::MemberId.is_not_null())
                .into_tuple()
                .all(&self.read)
                .await?;
            let members: Vec<i64> = linked.iter().filter_map(|l| l.1).collect();
            let orgs: HashMap<i64, i64> = member::Entity::find()
                .select_only()
                .column(member::Column::Id)
                .column(member::Column::OrgId)
                .filter(member::Column::Id.is_in(members))
                .into_tuple::<(i64, i64)>()
                .all(&self.read)
                .await?
                .into_iter()
                .collect();
            for (acc, m) in linked {
                if let Some(o) = m.and_then(|m| orgs.get(&m)) {
                    org_of_account.insert(acc, *o);
                }
            }
        }
        let mut by_org: HashMap<i64, (i64, i64)> = HashMap::new();
        for r in &rows {
            if let Some(o) = r.3.and_then(|acc| org_of_account.get(&acc)) {
                let e = by_org.entry(*o).or_default();
                e.0 += 1;
                e.1 += i64::from(r.2.is_some());
            }
        }
        let names: HashMap<i64, String> = party_org::Entity::find()
            .select_only()
            .column(party_org::Column::Id)
            .column(party_org::Column::Name)
            .filter(party_org::Column::Id.is_in(by_org.keys().copied().collect::<Vec<_>>()))
            .into_tuple::<(i64, String)>()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        let mut by_organisation: Vec<OrgAttendance> = by_org
            .into_iter()
            .map(|(org_id, (registered, attended))| OrgAttendance {
                org_id,
                org_name: names.get(&org_id).cloned().unwrap_or_default(),
                registered,
                attended,
            })
            .collect();
        by_organisation.sort_by(|x, y| y.registered.cmp(&x.registered).then(x.org_name.cmp(&y.org_name)));
        let started = super::now() >= a.starts_at;
        Ok(AttendanceView {
            activity_id: a.id,
            registered,
            registered_places,
            attended,
            attended_places,
            no_show_rate: (started && registered > 0).then(|| (registered - attended) as f64 / registered as f64),
            by_organisation,
        })
    }
}

fn scan_view(r: &reg::Model, at: DateTime<Utc>) -> ScanView {
    ScanView {
        registration_id: r.id,
        activity_id: r.activity_id,
        name: r.name.clone(),
        places: r.places,
        checked_in_at: r.checked_in_at.unwrap_or(at),
    }
}

/// The refusal a kept scan's result names.
fn refusal_of(code: &str) -> Refusal {
    [Refusal::TicketElsewhere, Refusal::NoPlace, Refusal::CheckedInAlready]
        .into_iter()
        .find(|r| StoreError::Registration(*r).code().as_str() == code)
        .unwrap_or(Refusal::NotATicket)
}
