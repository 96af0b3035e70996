//! Lists in name order from an index: each registry table gets `(name, id)`, so the
//! first page of a whole territory, and every page after a keyset cursor, reads an index
//! range instead of sorting the table.

use super::index;
use sea_orm_migration::prelude::*;

/// `(name, id)` indexes on carriers, units, party organisations and members.
pub(super) struct M0007ListOrder;

impl MigrationName for M0007ListOrder {
    fn name(&self) -> &str {
        "m0007_list_order"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0007ListOrder {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("ix_carriers_name_id", "carriers"),
            ("ix_units_name_id", "units"),
            ("ix_party_orgs_name_id", "party_orgs"),
            ("ix_members_name_id", "members"),
        ] {
            m.create_index(index(name, table, &["name", "id"], false)).await?;
        }
        // The members' name index is now a prefix of the new one.
        m.drop_index(Index::drop().name("ix_members_name").table("members").to_owned())
            .await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0007_list_order cannot be reverted: restore a backup instead".into(),
        ))
    }
}
