//! A member's calendar feed (日历订阅): one secret address per account, kept as its
//! digest only (as API tokens are); a new one replaces the old.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0024CalendarFeeds;

impl MigrationName for M0024CalendarFeeds {
    fn name(&self) -> &str {
        "m0024_calendar_feeds"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0024CalendarFeeds {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("calendar_feeds")
                .col(big_integer("account_id").primary_key())
                .col(string("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("calendar_feeds", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_calendar_feeds_token",
            "calendar_feeds",
            &["token_hash"],
            true,
        ))
        .await
    }
}
