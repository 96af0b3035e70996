//! Activities (活动) at service centres and their registrations. Times of an activity are
//! China Standard Time as offices write them (UTC+8 all year), kept without a zone.
//! `taken` counts the places given: a first-come registration takes its places by one
//! conditional update of it (`taken + n <= capacity`) in the transaction that writes the
//! registration, so no two registrations can take the last place; the unique key
//! `(activity_id, person_key)` lets no one register twice. `waiting` counts the waitlist
//! the same way against `waitlist`.

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0020Activities;

impl MigrationName for M0020Activities {
    fn name(&self) -> &str {
        "m0020_activities"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0020Activities {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("activities")
            .col(big_pk_auto("id"))
            .col(big_integer("centre_id"))
            // The centre's division, for the territory's lists.
            .col(string("division_code"))
            .col(string("title"))
            .col(string("kind"))
            .col(string("allocation"))
            .col(string("audience"))
            .col(text_null("place"))
            .col(text_null("description"))
            .col(boolean("online").default(false))
            .col(date_time("starts_at"))
            .col(date_time("ends_at"))
            .col(integer("capacity"))
            .col(integer("taken").default(0))
            .col(date_time("opens_at"))
            .col(date_time("closes_at"))
            .col(integer("per_person").default(1))
            .col(date_time_null("cancel_until"))
            // Places on the waitlist, and how many wait now (kept like `taken`).
            .col(integer("waitlist").default(0))
            .col(integer("waiting").default(0))
            .col(integer("confirm_hours").default(24))
            // The ballot's seed, published when the activity is created.
            .col(string("seed"))
            .foreign_key(&mut fk("activities", "centre_id", "centres", "id"))
            .foreign_key(&mut fk("activities", "division_code", "divisions", "code"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ix_activities_centre_start",
            "activities",
            &["centre_id", "starts_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_activities_division_start",
            "activities",
            &["division_code", "starts_at"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("activity_registrations")
                .col(big_pk_auto("id"))
                .col(big_integer("activity_id"))
                // `account:<id>` for an account, `phone:<digits>` for a resident: one
                // registration per person and activity (the unique key below).
                .col(string("person_key"))
                .col(big_integer_null("account_id"))
                .col(string("name"))
                // A resident's phone (personal data: shown masked).
                .col(string_null("phone"))
                .col(integer("places"))
                // `registered`, `entered` (ballot), `lost`, `waitlisted`, `offered`
                // (a place from the waitlist, to confirm by `offer_expires_at`),
                // `expired`, `cancelled`.
                .col(string("status"))
                .col(timestamp_with_time_zone_null("offer_expires_at"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone_null("cancelled_at"))
                .foreign_key(&mut fk("activity_registrations", "activity_id", "activities", "id"))
                .foreign_key(&mut fk("activity_registrations", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_activity_registrations_person",
            "activity_registrations",
            &["activity_id", "person_key"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_activity_registrations_account",
            "activity_registrations",
            &["account_id"],
            false,
        ))
        .await
    }
}
