//! Minutes a registrant watched an online lecture, from the streaming platform's viewer
//! log (activities/viewers.rs); null when no log has been read for them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0023WatchedMinutes;

impl MigrationName for M0023WatchedMinutes {
    fn name(&self) -> &str {
        "m0023_watched_minutes"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0023WatchedMinutes {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("activity_registrations")
                .add_column(integer_null("watched_minutes"))
                .to_owned(),
        )
        .await
    }
}
