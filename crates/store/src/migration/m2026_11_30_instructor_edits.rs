//! Instructors edited in the console: an optimistic-lock version and the time of the
//! last edit; units found by their instructor through an index.

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `instructors.version` and `instructors.updated_at`, and `ix_units_instructor`.
pub(super) struct M0005InstructorEdits;

impl MigrationName for M0005InstructorEdits {
    fn name(&self) -> &str {
        "m0005_instructor_edits"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0005InstructorEdits {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One change per statement: SQLite alters a table one column at a time.
        m.alter_table(
            Table::alter()
                .table("instructors")
                .add_column(big_integer("version").default(1))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("instructors")
                .add_column(timestamp_with_time_zone_null("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_units_instructor", "units", &["instructor_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0005_instructor_edits cannot be reverted: restore a backup instead".into(),
        ))
    }
}
