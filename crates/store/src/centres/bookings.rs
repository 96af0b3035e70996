//! Room bookings (场地预约) and blackout days (闭馆日) in the store.
//!
//! Who books: units and organisations, through the accounts that act for them (a branch
//! secretary, a member unit's liaison, an office, the centre's staff); a member's own
//! account does not (a person registers for activities instead). Anyone signed in sees
//! when a room is taken; who booked it, only the centre's staff, offices over it and
//! the booker.
//!
//! No double booking (see migration m0022): the booking's transaction locks the room's
//! row, then looks for an overlap, then writes.

use super::CentreRight;
use crate::entity::{centre_blackout_day as blackout, centre_room, room_booking as booking};
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tongxin_domain::DomainError;
use tongxin_domain::access::Role;
use tongxin_domain::centres::{BookingFields, BookingRefusal, OpeningHours};
use tongxin_domain::registry::{CentreId, RoomId};

/// Most bookings one list returns.
pub const BOOKINGS_MAX: u64 = 500;

/// A booking as typed, before it is checked against the room.
#[derive(Debug, Clone, Default)]
pub struct BookingInput {
    pub booked_for: String,
    pub purpose: String,
    pub people: String,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
}

/// A booking as shown. `booked_for` and `purpose` are empty to those who may only see
/// that the room is taken.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    pub id: i64,
    pub room_id: i64,
    pub centre_id: i64,
    pub booked_for: String,
    pub purpose: Option<String>,
    pub people: i32,
    /// China Standard Time.
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    /// `booked` or `cancelled`.
    pub status: String,
    /// The caller booked it.
    pub mine: bool,
}

fn view(m: booking::Model, full: bool, mine: bool) -> BookingView {
    BookingView {
        id: m.id,
        room_id: m.room_id,
        centre_id: m.centre_id,
        booked_for: if full { m.booked_for } else { String::new() },
        purpose: if full { m.purpose } else { None },
        people: m.people,
        starts_at: m.starts_at,
        ends_at: m.ends_at,
        status: m.status,
        mine,
    }
}

impl Store {
    /// Books room `room` of centre `centre`: inside the centre's opening hours, off its
    /// blackout days, for no more people than the room holds, overlapping no other
    /// booking. Audited on the centre.
    pub async fn book_room(
        &self,
        actor: &Actor,
        centre: CentreId,
        room: RoomId,
        i: &BookingInput,
    ) -> Result<BookingView> {
        if actor.role == Role::Member {
            return Err(StoreError::Forbidden);
        }
        let txn = self.begin().await?;
        let c = self.kept_centre(&txn, actor, centre, CentreRight::Read).await?;
        let r = centre_room::Entity::find_by_id(room.0)
            .one(&txn)
            .await?
            .filter(|r| r.centre_id == c.id && !r.archived && !c.archived)
            .ok_or(StoreError::NotFound)?;
        let f = BookingFields::parse(
            &i.booked_for,
            &i.purpose,
            &i.people,
            i.starts_at,
            i.ends_at,
            u32::try_from(r.capacity).unwrap_or(0),
            crate::activities::now(),
        )?;
        let hours = c.hours.as_deref().and_then(|h| OpeningHours::parse(h).ok().flatten());
        let day = f.starts_at.date();
        let closed: Vec<NaiveDate> = blackout::Entity::find()
            .filter(blackout::Column::CentreId.eq(c.id))
            .filter(blackout::Column::Day.eq(day))
            .all(&txn)
            .await?
            .into_iter()
            .map(|b| b.day)
            .collect();
        f.allowed(hours.as_ref(), &closed).map_err(StoreError::Booking)?;
        // The room's lock: bookings of one room are written one after the other.
        centre_room::Entity::update_many()
            .col_expr(centre_room::Column::Version, Expr::col(centre_room::Column::Version))
            .filter(centre_room::Column::Id.eq(r.id))
            .exec(&txn)
            .await?;
        let taken = booking::Entity::find()
            .filter(booking::Column::RoomId.eq(r.id))
            .filter(booking::Column::Status.eq("booked"))
            .filter(booking::Column::StartsAt.lt(f.ends_at))
            .filter(booking::Column::EndsAt.gt(f.starts_at))
            .select_only()
            .column(booking::Column::Id)
            .into_tuple::<i64>()
            .one(&txn)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Booking(BookingRefusal::RoomTaken));
        }
        let m = booking::Entity::insert(booking::ActiveModel {
            room_id: Set(r.id),
            centre_id: Set(c.id),
            account_id: Set(actor.account_id.map(|a| a.0)),
            booked_for: Set(f.booked_for.clone()),
            purpose: Set(f.purpose.clone()),
            people: Set(i32::try_from(f.people).unwrap_or(i32::MAX)),
            starts_at: Set(f.starts_at),
            ends_at: Set(f.ends_at),
            status: Set("booked".into()),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "book_room",
            "centre",
            Some(c.id),
            None,
            Some(serde_json::json!({
                "room": r.name, "booked_for": m.booked_for, "starts_at": m.starts_at, "ends_at": m.ends_at,
                "people": m.people,
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(view(m, true, true))
    }

    /// A room's bookings from `from` on, soonest first.
    pub async fn room_bookings(
        &self,
        actor: &Actor,
        centre: CentreId,
        room: RoomId,
        from: NaiveDate,
    ) -> Result<Vec<BookingView>> {
        self.bookings_of(actor, centre, Some(room), from).await
    }

    /// All rooms' bookings of a centre from `from` on, soonest first (at most
    /// [`BOOKINGS_MAX`] per room, as [`Store::room_bookings`]): one scope check and one
    /// query for a page that shows every room.
    pub async fn centre_bookings(&self, actor: &Actor, centre: CentreId, from: NaiveDate) -> Result<Vec<BookingView>> {
        self.bookings_of(actor, centre, None, from).await
    }

    async fn bookings_of(
        &self,
        actor: &Actor,
        centre: CentreId,
        room: Option<RoomId>,
        from: NaiveDate,
    ) -> Result<Vec<BookingView>> {
        let c = self.kept_centre(&self.read, actor, centre, CentreRight::Read).await?;
        let staff = self.right_on(&self.read, actor, &c).await? >= CentreRight::Staff;
        let mut q = booking::Entity::find()
            .filter(booking::Column::CentreId.eq(c.id))
            .filter(booking::Column::Status.eq("booked"))
            .filter(booking::Column::EndsAt.gte(from.and_hms_opt(0, 0, 0).unwrap_or_default()));
        let limit = match room {
            Some(room) => {
                q = q.filter(booking::Column::RoomId.eq(room.0));
                BOOKINGS_MAX
            }
            None => {
                let rooms = centre_room::Entity::find()
                    .filter(centre_room::Column::CentreId.eq(c.id))
                    .count(&self.read)
                    .await?;
                BOOKINGS_MAX.saturating_mul(rooms.max(1))
            }
        };
        let rows = q
            .order_by_asc(booking::Column::StartsAt)
            .limit(limit)
            .all(&self.read)
            .await?;
        let me = actor.account_id.map(|a| a.0);
        Ok(rows
            .into_iter()
            .map(|m| {
                let mine = me.is_some() && m.account_id == me;
                view(m, staff || mine, mine)
            })
            .collect())
    }

    /// Cancels a booking: its booker, or the centre's staff and offices over it.
    pub async fn cancel_booking(&self, actor: &Actor, id: i64) -> Result<BookingView> {
        let txn = self.begin().await?;
        let m = booking::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mine = actor.account_id.is_some_and(|a| m.account_id == Some(a.0));
        if !mine {
            self.kept_centre(&txn, actor, CentreId(m.centre_id), CentreRight::Staff)
                .await
                .map_err(|_| StoreError::NotFound)?;
        }
        booking::Entity::update_many()
            .col_expr(booking::Column::Status, Expr::value("cancelled"))
            .filter(booking::Column::Id.eq(id))
            .exec(&txn)
            .await?;
        crate::audit::record(
            &txn,
            actor,
            "cancel_booking",
            "centre",
            Some(m.centre_id),
            None,
            Some(serde_json::json!({"booking": id, "booked_for": m.booked_for, "starts_at": m.starts_at})),
        )
        .await?;
        txn.commit().await?;
        Ok(view(
            booking::Model {
                status: "cancelled".into(),
                ..m
            },
            true,
            mine,
        ))
    }

    /// Closes a centre on `day` whatever its hours say (its staff or an office over it).
    /// Bookings made before stand; the centre tells their bookers. Audited.
    pub async fn add_blackout_day(&self, actor: &Actor, centre: CentreId, day: NaiveDate, reason: &str) -> Result<()> {
        let txn = self.begin().await?;
        let c = self.kept_centre(&txn, actor, centre, CentreRight::Staff).await?;
        let reason = tongxin_domain::registry::optional_text("reason", reason, tongxin_domain::centres::PURPOSE_MAX)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        if day < crate::activities::now().date() {
            return Err(StoreError::Invalid(vec![DomainError::OutOfRange { field: "day" }]));
        }
        blackout::Entity::insert(blackout::ActiveModel {
            centre_id: Set(c.id),
            day: Set(day),
            reason: Set(reason.clone()),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([blackout::Column::CentreId, blackout::Column::Day])
                .update_column(blackout::Column::Reason)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "blackout_day",
            "centre",
            Some(c.id),
            None,
            Some(serde_json::json!({"day": day, "reason": reason})),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Opens a centre again on `day` (its staff or an office over it). Audited; a day
    /// that was not closed changes nothing.
    pub async fn remove_blackout_day(&self, actor: &Actor, centre: CentreId, day: NaiveDate) -> Result<()> {
        let txn = self.begin().await?;
        let c = self.kept_centre(&txn, actor, centre, CentreRight::Staff).await?;
        let gone = blackout::Entity::delete_many()
            .filter(blackout::Column::CentreId.eq(c.id))
            .filter(blackout::Column::Day.eq(day))
            .exec(&txn)
            .await?;
        if gone.rows_affected > 0 {
            crate::audit::record(
                &txn,
                actor,
                "blackout_day_removed",
                "centre",
                Some(c.id),
                Some(serde_json::json!({"day": day})),
                None,
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// A centre's blackout days from `from` on (anyone signed in).
    pub async fn blackout_days(
        &self,
        actor: &Actor,
        centre: CentreId,
        from: NaiveDate,
    ) -> Result<Vec<(NaiveDate, Option<String>)>> {
        let c = self.kept_centre(&self.read, actor, centre, CentreRight::Read).await?;
        Ok(blackout::Entity::find()
            .filter(blackout::Column::CentreId.eq(c.id))
            .filter(blackout::Column::Day.gte(from))
            .order_by_asc(blackout::Column::Day)
            .limit(BOOKINGS_MAX)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|b| (b.day, b.reason))
            .collect())
    }
}
