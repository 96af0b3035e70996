//! Registering for an activity (报名), cancelling, and the ballot's draw.

use super::{allocation_of, audience_of, now};
use crate::entity::{activity, activity_registration as reg};
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use tongxin_domain::DomainError;
use tongxin_domain::access::Role;
use tongxin_domain::activities::{
    Allocation, Audience, Refusal, Window, ballot_order, may_cancel, offer_expires, window_at,
};
use tongxin_domain::codes::Phone;

/// Most registrations one list returns (an online lecture series had 8,000).
pub const REGISTRATIONS_MAX: u64 = 20_000;
/// Most activities one sweep of expired offers settles ([`Store::settle_expired_offers`]);
/// the rest wait for the next sweep.
pub const SETTLE_AT_ONCE: u64 = 100;

/// Who registers: the caller's own account, or a resident without one (public
/// activities only) by name and phone.
#[derive(Debug, Clone)]
pub enum Registrant {
    Account,
    Resident { name: String, phone: Phone },
}

/// A registration as shown: the phone masked (personal data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationView {
    pub id: i64,
    pub activity_id: i64,
    pub name: String,
    /// Masked (`138****8000`); none for an account.
    pub phone: Option<String>,
    pub places: i32,
    /// `registered` (a place is given), `waitlisted`, `offered` (a place from the
    /// waitlist, to confirm before `offer_expires_at`), `expired` (not confirmed in
    /// time), `entered` (in the ballot, not drawn yet), `lost` (not drawn),
    /// `cancelled`.
    pub status: String,
    /// Place in the waitlist (1 is next), while waitlisted.
    pub position: Option<i64>,
    pub offer_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// When its ticket was first scanned at the door.
    pub checked_in_at: Option<DateTime<Utc>>,
    /// The check-in ticket (shown as a QR code), only to the registrant and only while
    /// the registration holds a place: in the answer to registering or confirming, and
    /// in one's own registrations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
}

pub(super) fn view(r: reg::Model) -> RegistrationView {
    RegistrationView {
        id: r.id,
        activity_id: r.activity_id,
        name: r.name,
        phone: r
            .phone
            .as_deref()
            .map(|p| Phone::parse(p).map_or_else(|_| "***".into(), |p| p.masked())),
        places: r.places,
        status: r.status,
        position: None,
        offer_expires_at: r.offer_expires_at,
        created_at: r.created_at,
        checked_in_at: r.checked_in_at,
        ticket: None,
    }
}

/// Gives waitlisted registrations their places in the line (by when they joined it,
/// then by number), keeping the rows' order.
fn with_positions(rows: Vec<reg::Model>) -> Vec<RegistrationView> {
    let mut line: Vec<&reg::Model> = rows.iter().filter(|r| r.status == "waitlisted").collect();
    line.sort_by_key(|r| (r.activity_id, r.created_at, r.id));
    let mut position: std::collections::HashMap<i64, i64> = std::collections::HashMap::new();
    let mut last: Option<(i64, i64)> = None;
    for r in line {
        let n = match last {
            Some((a, n)) if a == r.activity_id => n + 1,
            _ => 1,
        };
        last = Some((r.activity_id, n));
        position.insert(r.id, n);
    }
    rows.into_iter()
        .map(|r| {
            let p = position.get(&r.id).copied();
            RegistrationView { position: p, ..view(r) }
        })
        .collect()
}

/// How long a server answers "sold out" from memory after it last saw an activity full
/// with no waitlist, without reading the store: the flash sale's crowd after the last
/// place hears it at the speed of a health check. A place given back on this server
/// clears it at once; one given back on another server sharing the database is offered
/// here at most this long after.
pub const SOLD_OUT_FOR: std::time::Duration = std::time::Duration::from_millis(500);

/// Registrations that hold nothing any more: the person may register again.
pub(super) const ENDED: [&str; 2] = ["cancelled", "expired"];

pub(super) fn refused(r: Refusal) -> StoreError {
    StoreError::Registration(r)
}

/// How long a server keeps an activity's terms ([`Terms`]) once read.
pub const TERMS_FOR: std::time::Duration = std::time::Duration::from_secs(5);

/// An activity's terms of registration (报名规则): who may register, when, how many
/// places each. A server keeps them a few seconds ([`TERMS_FOR`]) to refuse early
/// without a read; the group commit asks them again, under the activity's lock, of the
/// row as committed (batch.rs), so a kept copy never admits what the row does not.
#[derive(Debug, Clone)]
pub(crate) struct Terms {
    pub id: i64,
    pub audience: Audience,
    pub allocation: Allocation,
    pub opens_at: chrono::NaiveDateTime,
    pub closes_at: chrono::NaiveDateTime,
    pub per_person: i32,
    /// Places on the waitlist (0: none).
    pub waitlist: i32,
}

impl Terms {
    pub(crate) fn of(a: &activity::Model) -> Self {
        Terms {
            id: a.id,
            audience: audience_of(a),
            allocation: allocation_of(a),
            opens_at: a.opens_at,
            closes_at: a.closes_at,
            per_person: a.per_person,
            waitlist: a.waitlist,
        }
    }

    /// Whether a registration of `places` places, by a member's account or not, is
    /// admitted at `at` (China time): the audience, the window, the limit per person.
    pub(crate) fn admit(&self, by_account: bool, places: i32, at: chrono::NaiveDateTime) -> Result<()> {
        // Members only: an account of a party member (Party Constitution Art. 8: the
        // branch's life is the members'); the public: anyone, by phone when no account.
        if self.audience == Audience::Members && !by_account {
            return Err(refused(Refusal::MembersOnly));
        }
        match window_at(self.opens_at, self.closes_at, at) {
            Window::NotYetOpen => return Err(refused(Refusal::NotYetOpen)),
            Window::Closed => return Err(refused(Refusal::Closed)),
            Window::Open => {}
        }
        if places < 1 || places > self.per_person {
            return Err(StoreError::Invalid(vec![DomainError::OutOfRange { field: "places" }]));
        }
        Ok(())
    }
}

impl Store {
    /// Activity `id`'s terms: this server's copy while fresh, else read (and kept).
    /// `NotFound` for an activity that does not exist or is archived.
    pub(crate) async fn activity_terms(&self, id: i64) -> Result<std::sync::Arc<Terms>> {
        if let Some(t) = self.terms.get(id) {
            return Ok(t);
        }
        let a = activity::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .filter(|a| !a.archived)
            .ok_or(StoreError::NotFound)?;
        let t = std::sync::Arc::new(Terms::of(&a));
        self.terms.put(id, t.clone());
        Ok(t)
    }
}

impl Store {
    /// Whether activity `id` was seen sold out (every place taken, no waitlist) in the
    /// last [`SOLD_OUT_FOR`]: the answer needs no read, no account, no body.
    pub fn known_sold_out(&self, id: i64) -> bool {
        self.sold_out.get(id).is_some()
    }

    pub(super) fn sold_out_now(&self, id: i64) {
        self.sold_out.put(id, ());
    }

    fn forget_sold_out(&self, id: i64) {
        self.sold_out.forget(id);
    }

    /// Registers `who` for activity `id` with `places` places (1 up to the activity's
    /// limit per person). First come: a place is given at once or the answer is "sold
    /// out"; ballot: the entry waits for the draw. Answered only once committed.
    pub async fn register(
        &self,
        actor: Option<&Actor>,
        id: i64,
        who: &Registrant,
        places: u32,
    ) -> Result<RegistrationView> {
        let t = self.activity_terms(id).await?;
        let (person_key, account, name, phone) = match (who, actor) {
            // A person takes a place: a member's account, not an office's or a centre's.
            (Registrant::Account, Some(actor)) if actor.role == Role::Member => {
                let acc = actor.account_id.ok_or(StoreError::Forbidden)?;
                (format!("account:{}", acc.0), Some(acc.0), actor.username.clone(), None)
            }
            (Registrant::Account, _) => return Err(StoreError::Forbidden),
            (Registrant::Resident { name, phone }, _) => {
                let name = tongxin_domain::registry::required_name("name", name).map_err(|e| vec![e])?;
                (
                    format!("phone:{}", phone.reveal()),
                    None,
                    name,
                    Some(phone.reveal().to_string()),
                )
            }
        };
        let places = i32::try_from(places).unwrap_or(i32::MAX);
        // Asked here from the terms this server keeps, to refuse early; asked again
        // under the activity's lock, on its row as committed (batch.rs).
        t.admit(account.is_some(), places, now())?;
        let pending = || super::batch::Pending {
            activity: t.id,
            person_key: person_key.clone(),
            account,
            name: name.clone(),
            phone: phone.clone(),
            places,
            reply: None,
        };
        // Written with the registrations that arrive with it (group commit, batch.rs);
        // answered once committed.
        let r = match self.register_batched(pending()).await {
            // Offers not confirmed in time hold places: give them on, then try again.
            // (Only a waitlist makes offers: without one, no read more.)
            Err(StoreError::Registration(Refusal::SoldOut)) if t.waitlist > 0 && self.expired_offers(t.id).await? => {
                let txn = self.begin().await?;
                settle(&txn, t.id).await?;
                txn.commit().await?;
                self.register_batched(pending()).await?
            }
            r => r?,
        };
        let v = self.positioned(r).await?;
        self.with_ticket(v).await
    }

    /// A registration as shown, with its place in the waitlist while it waits.
    async fn positioned(&self, r: reg::Model) -> Result<RegistrationView> {
        let position = if r.status == "waitlisted" {
            Some(
                reg::Entity::find()
                    .filter(reg::Column::ActivityId.eq(r.activity_id))
                    .filter(reg::Column::Status.eq("waitlisted"))
                    .filter(
                        Condition::any().add(reg::Column::CreatedAt.lt(r.created_at)).add(
                            Condition::all()
                                .add(reg::Column::CreatedAt.eq(r.created_at))
                                .add(reg::Column::Id.lte(r.id)),
                        ),
                    )
                    .count(&self.read)
                    .await? as i64,
            )
        } else {
            None
        };
        Ok(RegistrationView { position, ..view(r) })
    }

    /// Registers many residents at once, one place each, while places last (a lecture
    /// series' list of 8,000 brought from another system; the demo): an administrator's
    /// work. A phone registered already is skipped. The activity's row is locked first,
    /// so the count kept with it stays exact. Returns how many were registered. Audited.
    pub async fn bulk_register_residents(&self, actor: &Actor, id: i64, people: &[(String, Phone)]) -> Result<usize> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let txn = self.begin().await?;
        // The lock: an update of the row (a row lock on PostgreSQL, the writer on SQLite).
        activity::Entity::update_many()
            .col_expr(activity::Column::Taken, Expr::col(activity::Column::Taken))
            .filter(activity::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        let a = activity::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .filter(|a| !a.archived)
            .ok_or(StoreError::NotFound)?;
        let mut left = usize::try_from(a.capacity - a.taken).unwrap_or(0);
        let now = Utc::now();
        let mut registered = 0usize;
        // Batches of at most the places left: a phone already registered (or twice in
        // the list) takes none, and the next batch goes on from where this one ended.
        let mut next = 0;
        while left > 0 && next < people.len() {
            let batch = &people[next..(next + left.min(500)).min(people.len())];
            next += batch.len();
            let rows: Vec<reg::ActiveModel> = batch
                .iter()
                .map(|(name, phone)| reg::ActiveModel {
                    activity_id: Set(a.id),
                    person_key: Set(format!("phone:{}", phone.reveal())),
                    account_id: Set(None),
                    name: Set(name.clone()),
                    phone: Set(Some(phone.reveal().to_string())),
                    places: Set(1),
                    status: Set("registered".into()),
                    created_at: Set(now),
                    ..Default::default()
                })
                .collect();
            let n = reg::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::columns([reg::Column::ActivityId, reg::Column::PersonKey])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
            let n = usize::try_from(n).unwrap_or(0);
            registered += n;
            left = left.saturating_sub(n);
        }
        activity::Entity::update_many()
            .col_expr(
                activity::Column::Taken,
                Expr::col(activity::Column::Taken).add(i32::try_from(registered).unwrap_or(i32::MAX)),
            )
            .filter(activity::Column::Id.eq(a.id))
            .exec(&txn)
            .await?;
        crate::audit::record(
            &txn,
            actor,
            "bulk_register",
            "activity",
            Some(a.id),
            None,
            Some(serde_json::json!({"registered": registered, "offered": people.len()})),
        )
        .await?;
        txn.commit().await?;
        Ok(registered)
    }

    /// Settles the waitlists of activities holding offers not confirmed in time (at most
    /// [`SETTLE_AT_ONCE`] activities a call), so each offer expires when it is due and
    /// its place goes on to the next in line, not when someone next looks at the
    /// activity. The server calls it every half minute; every server may (settling
    /// takes the activity's row first, so two take turns and the second finds nothing).
    /// Answers how many activities were settled.
    pub async fn settle_expired_offers(&self) -> Result<usize> {
        let due: Vec<i64> = reg::Entity::find()
            .select_only()
            .column(reg::Column::ActivityId)
            .distinct()
            .filter(reg::Column::Status.eq("offered"))
            .filter(reg::Column::OfferExpiresAt.lt(Utc::now()))
            .limit(SETTLE_AT_ONCE)
            .into_tuple()
            .all(&self.read)
            .await?;
        for id in &due {
            let txn = self.begin().await?;
            settle(&txn, *id).await?;
            txn.commit().await?;
        }
        Ok(due.len())
    }

    /// Whether activity `id` holds offers from the waitlist not confirmed in time.
    async fn expired_offers(&self, id: i64) -> Result<bool> {
        Ok(reg::Entity::find()
            .filter(reg::Column::ActivityId.eq(id))
            .filter(reg::Column::Status.eq("offered"))
            .filter(reg::Column::OfferExpiresAt.lt(Utc::now()))
            .count(&self.read)
            .await?
            > 0)
    }

    /// Confirms a place offered from the waitlist (the member's own, in time).
    pub async fn confirm_offer(&self, actor: &Actor, id: i64) -> Result<RegistrationView> {
        let r = reg::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .filter(|r| actor.account_id.is_some_and(|a| r.account_id == Some(a.0)))
            .ok_or(StoreError::NotFound)?;
        let txn = self.begin().await?;
        let done = reg::Entity::update_many()
            .col_expr(reg::Column::Status, Expr::value("registered"))
            .col_expr(reg::Column::OfferExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(reg::Column::Id.eq(r.id))
            .filter(reg::Column::Status.eq("offered"))
            .filter(reg::Column::OfferExpiresAt.gte(Utc::now()))
            .exec(&txn)
            .await?;
        if done.rows_affected == 0 {
            // Too late (or nothing offered): its place, if held, goes on to the next.
            settle(&txn, r.activity_id).await?;
            txn.commit().await?;
            return Err(refused(Refusal::OfferExpired));
        }
        txn.commit().await?;
        let r = reg::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.with_ticket(view(r)).await
    }

    /// Cancels registration `id`: its own account, or the activity's centre, until the
    /// cancelling deadline (staff at any time). Its places go back.
    pub async fn cancel_registration(&self, actor: &Actor, id: i64) -> Result<RegistrationView> {
        let r = reg::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let own = actor.account_id.is_some_and(|a| r.account_id == Some(a.0));
        let a = if own {
            activity::Entity::find_by_id(r.activity_id)
                .one(&self.read)
                .await?
                .ok_or(StoreError::NotFound)?
        } else {
            self.kept_activity(actor, r.activity_id).await?
        };
        if own && !may_cancel(a.cancel_until, a.starts_at, now()) {
            return Err(refused(Refusal::TooLateToCancel));
        }
        let txn = self.begin().await?;
        let gone = reg::Entity::update_many()
            .col_expr(reg::Column::Status, Expr::value("cancelled"))
            .col_expr(reg::Column::CancelledAt, Expr::value(Some(Utc::now())))
            .filter(reg::Column::Id.eq(r.id))
            .filter(reg::Column::Status.eq(r.status.clone()))
            .filter(reg::Column::Status.is_in(["registered", "offered", "waitlisted", "entered"]))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        match r.status.as_str() {
            "registered" | "offered" => {
                activity::Entity::update_many()
                    .col_expr(
                        activity::Column::Taken,
                        Expr::col(activity::Column::Taken).sub(r.places),
                    )
                    .filter(activity::Column::Id.eq(a.id))
                    .exec(&txn)
                    .await?;
            }
            "waitlisted" => {
                activity::Entity::update_many()
                    .col_expr(activity::Column::Waiting, Expr::col(activity::Column::Waiting).sub(1))
                    .filter(activity::Column::Id.eq(a.id))
                    .exec(&txn)
                    .await?;
            }
            _ => {}
        }
        // The place given back goes down the waitlist at once.
        settle(&txn, a.id).await?;
        crate::audit::record(
            &txn,
            actor,
            "cancel",
            "registration",
            Some(r.id),
            None,
            Some(serde_json::json!({"activity_id": a.id, "places": r.places})),
        )
        .await?;
        txn.commit().await?;
        // Its places are free again: this server says "sold out" from memory no more.
        self.forget_sold_out(a.id);
        let r = reg::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(view(r))
    }

    /// An activity's registrations, first first: its centre's staff and offices.
    pub async fn list_registrations(&self, actor: &Actor, activity: i64) -> Result<Vec<RegistrationView>> {
        let a = self.kept_activity(actor, activity).await?;
        if self.expired_offers(a.id).await? {
            let txn = self.begin().await?;
            settle(&txn, a.id).await?;
            txn.commit().await?;
        }
        Ok(with_positions(
            reg::Entity::find()
                .filter(reg::Column::ActivityId.eq(a.id))
                .order_by_asc(reg::Column::Id)
                .limit(REGISTRATIONS_MAX)
                .all(&self.read)
                .await?,
        ))
    }

    /// The caller's own registration for activity `id` that still holds or waits for a
    /// place (not cancelled, not expired), with its place in line; no ticket.
    pub async fn my_registration_for(&self, actor: &Actor, id: i64) -> Result<Option<RegistrationView>> {
        let Some(acc) = actor.account_id else {
            return Ok(None);
        };
        let r = reg::Entity::find()
            .filter(reg::Column::ActivityId.eq(id))
            .filter(reg::Column::AccountId.eq(acc.0))
            .filter(reg::Column::Status.is_not_in(ENDED))
            .one(&self.read)
            .await?;
        match r {
            Some(r) => Ok(Some(self.positioned(r).await?)),
            None => Ok(None),
        }
    }

    /// The caller's own registrations, newest first.
    pub async fn my_registrations(&self, actor: &Actor) -> Result<Vec<RegistrationView>> {
        let Some(acc) = actor.account_id else {
            return Ok(vec![]);
        };
        let rows = reg::Entity::find()
            .filter(reg::Column::AccountId.eq(acc.0))
            .order_by_desc(reg::Column::Id)
            .limit(REGISTRATIONS_MAX)
            .all(&self.read)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let v = self.positioned(r).await?;
            out.push(self.with_ticket(v).await?);
        }
        Ok(out)
    }

    /// Draws a ballot once its window has closed (its centre's staff or offices): the
    /// entries in the order [`ballot_order`] gives from the published seed; each is given
    /// its places while they fit the capacity, the others are not drawn. Audited with
    /// the order, so that anyone can check it against the seed.
    pub async fn draw_ballot(&self, actor: &Actor, activity: i64) -> Result<Vec<RegistrationView>> {
        let a = self.kept_activity(actor, activity).await?;
        if allocation_of(&a) != Allocation::Ballot || window_at(a.opens_at, a.closes_at, now()) != Window::Closed {
            return Err(refused(Refusal::BallotStage));
        }
        let txn = self.begin().await?;
        // The activity's row first: two draws at once take turns, the second finds
        // nothing left to draw.
        let locked = activity::Entity::update_many()
            .col_expr(activity::Column::Version, Expr::col(activity::Column::Version).add(1))
            .filter(activity::Column::Id.eq(a.id))
            .exec(&txn)
            .await?;
        if locked.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        let entries = reg::Entity::find()
            .filter(reg::Column::ActivityId.eq(a.id))
            .filter(reg::Column::Status.eq("entered"))
            .all(&txn)
            .await?;
        if entries.is_empty() {
            return Err(refused(Refusal::BallotStage));
        }
        let order = ballot_order(&a.seed, &entries.iter().map(|e| e.id).collect::<Vec<_>>());
        let places: std::collections::HashMap<i64, i32> = entries.iter().map(|e| (e.id, e.places)).collect();
        let (mut taken, mut won, mut lost) = (a.taken, vec![], vec![]);
        for id in &order {
            let n = places.get(id).copied().unwrap_or(1);
            if taken.saturating_add(n) <= a.capacity {
                taken += n;
                won.push(*id);
            } else {
                lost.push(*id);
            }
        }
        for (ids, status) in [(&won, "registered"), (&lost, "lost")] {
            for chunk in ids.chunks(500) {
                reg::Entity::update_many()
                    .col_expr(reg::Column::Status, Expr::value(status))
                    .filter(reg::Column::Id.is_in(chunk.to_vec()))
                    .exec(&txn)
                    .await?;
            }
        }
        activity::Entity::update_many()
            .col_expr(activity::Column::Taken, Expr::value(taken))
            .filter(activity::Column::Id.eq(a.id))
            .exec(&txn)
            .await?;
        crate::audit::record(
            &txn,
            actor,
            "draw",
            "activity",
            Some(a.id),
            None,
            Some(serde_json::json!({"seed": a.seed, "order": order, "won": won.len(), "taken": taken})),
        )
        .await?;
        txn.commit().await?;
        self.list_registrations(actor, a.id).await
    }
}

/// Settles activity `id`'s waitlist in `txn`: offers not confirmed in time expire and
/// give their places back; then each place free goes to the first on the waitlist it
/// fits (a member's account is offered it, a resident registered), in the order they
/// joined. The activity's row is locked first, so two settlements take turns.
async fn settle(txn: &DatabaseTransaction, id: i64) -> Result<()> {
    activity::Entity::update_many()
        .col_expr(activity::Column::Version, Expr::col(activity::Column::Version))
        .filter(activity::Column::Id.eq(id))
        .exec(txn)
        .await?;
    let now = Utc::now();
    let expired = reg::Entity::find()
        .filter(reg::Column::ActivityId.eq(id))
        .filter(reg::Column::Status.eq("offered"))
        .filter(reg::Column::OfferExpiresAt.lt(now))
        .all(txn)
        .await?;
    let given_back: i32 = expired.iter().map(|r| r.places).sum();
    if !expired.is_empty() {
        reg::Entity::update_many()
            .col_expr(reg::Column::Status, Expr::value("expired"))
            .filter(reg::Column::Id.is_in(expired.iter().map(|r| r.id).collect::<Vec<_>>()))
            .exec(txn)
            .await?;
    }
    let a = activity::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut taken = a.taken - given_back;
    let waiting = reg::Entity::find()
        .filter(reg::Column::ActivityId.eq(id))
        .filter(reg::Column::Status.eq("waitlisted"))
        .order_by_asc(reg::Column::CreatedAt)
        .order_by_asc(reg::Column::Id)
        .all(txn)
        .await?;
    let until = offer_expires(super::now(), u32::try_from(a.confirm_hours).unwrap_or(24), a.starts_at);
    // The offer's deadline in UTC (activities' times are China Standard Time).
    let until_utc = DateTime::<Utc>::from_naive_utc_and_offset(until - chrono::Duration::hours(8), Utc);
    let mut promoted = 0;
    for r in &waiting {
        if taken.saturating_add(r.places) > a.capacity {
            continue;
        }
        taken += r.places;
        promoted += 1;
        let (status, expires) = match r.account_id {
            Some(_) => ("offered", Some(until_utc)),
            None => ("registered", None),
        };
        reg::Entity::update_many()
            .col_expr(reg::Column::Status, Expr::value(status))
            .col_expr(reg::Column::OfferExpiresAt, Expr::value(expires))
            .filter(reg::Column::Id.eq(r.id))
            .exec(txn)
            .await?;
    }
    if given_back > 0 || promoted > 0 {
        activity::Entity::update_many()
            .col_expr(activity::Column::Taken, Expr::value(taken))
            .col_expr(
                activity::Column::Waiting,
                Expr::col(activity::Column::Waiting).sub(promoted),
            )
            .filter(activity::Column::Id.eq(id))
            .exec(txn)
            .await?;
    }
    Ok(())
}
