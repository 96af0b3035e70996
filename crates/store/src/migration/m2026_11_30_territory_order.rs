//! A territory's list in name order from an index: a street office's units, or a
//! district's organisations, used to be sorted on every page (2,000–12,000 rows of a
//! street). Indexes on `(substr(division_code, 1, n), name_key, id)` for a street
//! (n = 9) and a district (n = 6) answer `substr(division_code, 1, n) = ?` in name
//! order, which is how lists select a street or a district (`in_division_listed`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

/// Street and district name-order indexes on carriers, units and party organisations.
pub(super) struct M0009TerritoryOrder;

impl MigrationName for M0009TerritoryOrder {
    fn name(&self) -> &str {
        "m0009_territory_order"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0009TerritoryOrder {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in ["carriers", "units", "party_orgs"] {
            for (level, n) in [("street", 9), ("district", 6)] {
                // An expression index: the schema builder has no words for one, and the
                // statement is the same in SQLite and PostgreSQL.
                db.execute_unprepared(&format!(
                    "CREATE INDEX ix_{table}_{level}_order ON {table} (substr(division_code, 1, {n}), name_key, id)"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0009_territory_order cannot be reverted: restore a backup instead".into(),
        ))
    }
}
