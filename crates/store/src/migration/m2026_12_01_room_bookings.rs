//! Room bookings (场地预约) and a centre's blackout days (闭馆日). No two bookings of one
//! room overlap: a booking's transaction first locks the room's row (an update of it:
//! a row lock on PostgreSQL, the one writer on SQLite), then looks for an overlap, then
//! writes; two bookings of one room are so written one after the other.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0022RoomBookings;

impl MigrationName for M0022RoomBookings {
    fn name(&self) -> &str {
        "m0022_room_bookings"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0022RoomBookings {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("room_bookings")
                .col(big_pk_auto("id"))
                .col(big_integer("room_id"))
                .col(big_integer("centre_id"))
                .col(big_integer_null("account_id"))
                // The unit's or organisation's name the room is for.
                .col(string("booked_for"))
                .col(text_null("purpose"))
                .col(integer("people"))
                // China Standard Time, as the centre's hours are.
                .col(date_time("starts_at"))
                .col(date_time("ends_at"))
                // `booked` or `cancelled`.
                .col(string("status"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("room_bookings", "room_id", "centre_rooms", "id"))
                .foreign_key(&mut fk("room_bookings", "centre_id", "centres", "id"))
                .foreign_key(&mut fk("room_bookings", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_room_bookings_room_start",
            "room_bookings",
            &["room_id", "starts_at"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("centre_blackout_days")
                .col(big_pk_auto("id"))
                .col(big_integer("centre_id"))
                .col(date("day"))
                .col(string_null("reason"))
                .foreign_key(&mut fk("centre_blackout_days", "centre_id", "centres", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_centre_blackout_days",
            "centre_blackout_days",
            &["centre_id", "day"],
            true,
        ))
        .await
    }
}
