//! Activities (活动) at service centres in the store, and registering for them.
//!
//! Who reads: an activity is posted publicly (its centre's door, the members' phones),
//! so any caller reads it, a resident without an account too. Who writes: the centre's
//! staff and the offices whose territory holds the centre ([`CentreRight::Staff`]).
//!
//! Registration never gives more places than the capacity, nor two registrations to one
//! person, on SQLite and PostgreSQL alike, however many servers share the database:
//! registrations are written together (group commit, batch.rs) in a transaction that
//! first locks the activity's row, then asks its terms (audience, window, limit per
//! person) and counts its places on the row as committed, and the unique key
//! `(activity_id, person_key)` refuses a second. On PostgreSQL the lock is the row's; on
//! SQLite there is one writer. "Registered" is answered only after the commit. Before
//! that, a server refuses early from its own few seconds' copy of the terms, and answers
//! "sold out" from memory for half a second after it last found the activity full.
//!
//! The waitlist (候补) is counted the same way (`waiting + 1 <= waitlist`). A place given
//! back goes, in the same transaction, to the first on the waitlist it fits: a member's
//! account is offered it for the activity's hours to confirm (the place is held), a
//! resident without an account is registered at once (there is no one to confirm). An
//! offer not confirmed in time expires when the activity is next touched (a
//! registration finding it full, a cancelling, a confirmation, its list), and the place
//! goes on to the next.

pub(crate) mod batch;
mod calendar;
mod checkin;
mod registrations;
mod statistics;
mod viewers;

pub use checkin::{AttendanceView, OrgAttendance, ScanView};
pub(crate) use registrations::Terms;
pub use registrations::{REGISTRATIONS_MAX, Registrant, RegistrationView, SOLD_OUT_FOR, TERMS_FOR};
pub use statistics::CentreMonth;
pub use viewers::ViewerLogReport;

use crate::centres::CentreRight;
use crate::entity::{activity, centre};
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tongxin_domain::activities::{ActivityFields, ActivityKind, Allocation, Audience, Window, china_time, window_at};
use tongxin_domain::registry::{CentreId, Labelled};

/// Most activities one list shows.
pub const LIST_MAX: u64 = 500;

/// An activity as the API and the pages show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ActivityView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub centre_id: CentreId,
    pub centre_name: String,
    pub division_code: String,
    pub title: String,
    /// `lecture`, `party_lesson`, `visit`, `volunteer`, `fair`, `themed_party_day`.
    pub kind: String,
    pub kind_label: String,
    /// `first_come` or `ballot`.
    pub allocation: String,
    /// `members` or `public`.
    pub audience: String,
    pub place: Option<String>,
    pub description: Option<String>,
    pub online: bool,
    /// China Standard Time.
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: i32,
    /// Places given (first come) or drawn (ballot).
    pub taken: i32,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub per_person: i32,
    pub cancel_until: Option<NaiveDateTime>,
    /// Places on the waitlist (0: none), and how many wait now.
    pub waitlist: i32,
    pub waiting: i32,
    /// Hours a member has to confirm a place offered from the waitlist.
    pub confirm_hours: i32,
    /// The ballot's seed, published from the start: anyone draws the result again
    /// with it (`tongxin_domain::activities::ballot_order`).
    pub seed: String,
    /// `not_yet_open`, `open` or `closed` now.
    pub window: String,
    pub version: i64,
}

fn window_code(w: Window) -> &'static str {
    match w {
        Window::NotYetOpen => "not_yet_open",
        Window::Open => "open",
        Window::Closed => "closed",
    }
}

/// Now, in China Standard Time (activities' times are written in it).
pub fn now() -> NaiveDateTime {
    china_time(Utc::now())
}

impl Store {
    async fn activity_views(&self, rows: Vec<activity::Model>) -> Result<Vec<ActivityView>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.centre_id).collect();
        let names: std::collections::HashMap<i64, String> = centre::Entity::find()
            .select_only()
            .column(centre::Column::Id)
            .column(centre::Column::Name)
            .filter(centre::Column::Id.is_in(ids))
            .into_tuple()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        let at = now();
        Ok(rows
            .into_iter()
            .map(|r| ActivityView {
                id: r.id,
                centre_id: CentreId(r.centre_id),
                centre_name: names.get(&r.centre_id).cloned().unwrap_or_default(),
                division_code: r.division_code,
                kind_label: ActivityKind::parse_any(&r.kind)
                    .map(|k| k.label_zh().to_string())
                    .unwrap_or_default(),
                title: r.title,
                kind: r.kind,
                allocation: r.allocation,
                audience: r.audience,
                place: r.place,
                description: r.description,
                online: r.online,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                capacity: r.capacity,
                taken: r.taken,
                opens_at: r.opens_at,
                closes_at: r.closes_at,
                per_person: r.per_person,
                cancel_until: r.cancel_until,
                waitlist: r.waitlist,
                waiting: r.waiting,
                confirm_hours: r.confirm_hours,
                seed: r.seed,
                window: window_code(window_at(r.opens_at, r.closes_at, at)).into(),
                version: r.version,
            })
            .collect())
    }

    /// Publishes an activity at centre `c`: its staff, or an office whose territory holds
    /// it. The ballot's seed is drawn now and shown from the start. Audited.
    pub async fn create_activity(&self, actor: &Actor, c: CentreId, f: &ActivityFields) -> Result<ActivityView> {
        let txn = self.begin().await?;
        let centre = self.kept_centre(&txn, actor, c, CentreRight::Staff).await?;
        if centre.archived {
            return Err(StoreError::NotFound);
        }
        let now = Utc::now();
        let a = activity::Entity::insert(activity::ActiveModel {
            centre_id: Set(centre.id),
            division_code: Set(centre.division_code.clone()),
            title: Set(f.title.clone()),
            kind: Set(f.kind.code().into()),
            allocation: Set(f.allocation.code().into()),
            audience: Set(f.audience.code().into()),
            place: Set(f.place.clone()),
            description: Set(f.description.clone()),
            online: Set(f.online),
            starts_at: Set(f.starts_at),
            ends_at: Set(f.ends_at),
            capacity: Set(i32::try_from(f.capacity).unwrap_or(i32::MAX)),
            taken: Set(0),
            opens_at: Set(f.opens_at),
            closes_at: Set(f.closes_at),
            per_person: Set(i32::try_from(f.per_person).unwrap_or(1)),
            cancel_until: Set(f.cancel_until),
            waitlist: Set(i32::try_from(f.waitlist).unwrap_or(0)),
            waiting: Set(0),
            confirm_hours: Set(i32::try_from(f.confirm_hours).unwrap_or(24)),
            seed: Set(crate::accounts::new_token()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "create",
            "activity",
            Some(a.id),
            None,
            Some(serde_json::json!({
                "activity": a.title, "centre_id": a.centre_id, "capacity": a.capacity,
                "allocation": a.allocation, "starts_at": a.starts_at, "seed": a.seed,
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(self.activity_views(vec![a]).await?.remove(0))
    }

    /// An activity, for anyone (posted publicly).
    pub async fn get_activity(&self, id: i64) -> Result<ActivityView> {
        let a = activity::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .filter(|a| !a.archived)
            .ok_or(StoreError::NotFound)?;
        Ok(self.activity_views(vec![a]).await?.remove(0))
    }

    /// The activities `ids` that are not archived, read together (a member's page lists
    /// those it registered for).
    pub async fn get_activities(&self, ids: &[i64]) -> Result<Vec<ActivityView>> {
        let mut rows = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            rows.extend(
                activity::Entity::find()
                    .filter(activity::Column::Id.is_in(chunk.to_vec()))
                    .filter(activity::Column::Archived.eq(false))
                    .all(&self.read)
                    .await?,
            );
        }
        self.activity_views(rows).await
    }

    /// A centre's activities, soonest first, from `from` on (all when `None`).
    pub async fn list_activities(&self, c: CentreId, from: Option<NaiveDateTime>) -> Result<Vec<ActivityView>> {
        let mut q = activity::Entity::find()
            .filter(activity::Column::CentreId.eq(c.0))
            .filter(activity::Column::Archived.eq(false));
        if let Some(f) = from {
            q = q.filter(activity::Column::EndsAt.gte(f));
        }
        let rows = q
            .order_by_asc(activity::Column::StartsAt)
            .order_by_asc(activity::Column::Id)
            .limit(LIST_MAX)
            .all(&self.read)
            .await?;
        self.activity_views(rows).await
    }

    /// Activities not over yet at any of centres `cs`, soonest first, at most `limit`
    /// (a member's phone: what is on near me).
    pub async fn upcoming_at(&self, cs: &[CentreId], limit: u64) -> Result<Vec<ActivityView>> {
        if cs.is_empty() {
            return Ok(vec![]);
        }
        let rows = activity::Entity::find()
            .filter(activity::Column::CentreId.is_in(cs.iter().map(|c| c.0)))
            .filter(activity::Column::Archived.eq(false))
            .filter(activity::Column::EndsAt.gte(now()))
            .order_by_asc(activity::Column::StartsAt)
            .order_by_asc(activity::Column::Id)
            .limit(limit.min(LIST_MAX))
            .all(&self.read)
            .await?;
        self.activity_views(rows).await
    }

    /// Whether the caller works at activity `id`'s centre (staff or office); `NotFound`
    /// when not, as for an activity that does not exist. Asked before an upload is read.
    pub async fn check_activity_right(&self, actor: &Actor, id: i64) -> Result<()> {
        self.kept_activity(actor, id).await.map(|_| ())
    }

    /// The activity `id` when the caller works at its centre (staff or office).
    pub(crate) async fn kept_activity(&self, actor: &Actor, id: i64) -> Result<activity::Model> {
        let a = activity::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .filter(|a| !a.archived)
            .ok_or(StoreError::NotFound)?;
        self.kept_centre(&self.read, actor, CentreId(a.centre_id), CentreRight::Staff)
            .await
            .map_err(|_| StoreError::NotFound)?;
        Ok(a)
    }
}

/// The allocation and audience stored for an activity.
pub(crate) fn allocation_of(a: &activity::Model) -> Allocation {
    Allocation::parse_any(&a.allocation).unwrap_or(Allocation::FirstCome)
}

pub(crate) fn audience_of(a: &activity::Model) -> Audience {
    Audience::parse_any(&a.audience).unwrap_or(Audience::Members)
}
