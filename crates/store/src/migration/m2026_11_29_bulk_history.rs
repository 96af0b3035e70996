//! History of records created in bulk as runs of ids.

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// History of records created in bulk: one entry per run of consecutive ids an import
/// created (`entity_id` to `entity_id_last`) instead of one row per record; and the
/// units' division index dropped, which `ux_units_name` (division, name) already serves.
pub(super) struct M0003BulkHistory;

impl MigrationName for M0003BulkHistory {
    fn name(&self) -> &str {
        "m0003_bulk_history"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0003BulkHistory {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("audit_log")
                .add_column(big_integer_null("entity_id_last"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_audit_entity_range",
            "audit_log",
            &["entity", "entity_id_last"],
            false,
        ))
        .await?;
        m.drop_index(Index::drop().name("ix_units_division").table("units").to_owned())
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0003_bulk_history cannot be reverted: restore a backup instead".into(),
        ))
    }
}
