//! Check-in (签到) at an activity's door. A registration is checked in once:
//! `activity_registrations.checked_in_at` is set by one conditional update (`… where
//! checked_in_at is null`), so two scans at once count once. Every scan is kept in
//! `checkin_scans` under the nonce its device gave it (unique): a scan sent again (a
//! phone that was offline, a form sent twice) gets the first answer back instead of
//! counting, or being refused, a second time.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0021Checkin;

impl MigrationName for M0021Checkin {
    fn name(&self) -> &str {
        "m0021_checkin"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0021Checkin {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("activity_registrations")
                .add_column(timestamp_with_time_zone_null("checked_in_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("checkin_scans")
                .col(big_pk_auto("id"))
                .col(string("nonce"))
                .col(big_integer("activity_id"))
                .col(big_integer_null("registration_id"))
                // `checked_in`, or the refusal's code (`activity.checked_in_already`…).
                .col(string("result"))
                .col(big_integer_null("scanned_by"))
                .col(timestamp_with_time_zone("scanned_at"))
                .foreign_key(&mut fk("checkin_scans", "activity_id", "activities", "id"))
                .foreign_key(&mut fk("checkin_scans", "scanned_by", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_checkin_scans_nonce", "checkin_scans", &["nonce"], true))
            .await?;
        m.create_index(index(
            "ix_activity_registrations_checked_in",
            "activity_registrations",
            &["activity_id", "checked_in_at"],
            false,
        ))
        .await
    }
}
