//! Coverage (全覆盖) facts, counters, snapshots and settings.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Coverage (全覆盖): derived facts per unit, carrier and organisation, counters per
/// division kept in step with every edit, monthly snapshots, and settings.
pub(super) struct M0002Coverage;

impl MigrationName for M0002Coverage {
    fn name(&self) -> &str {
        "m0002_coverage"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0002Coverage {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index("ix_party_orgs_carrier", "party_orgs", &["carrier_id"], false))
            .await?;
        m.create_index(index("ix_party_orgs_term", "party_orgs", &["term_ends_on"], false))
            .await?;
        m.create_index(index("ix_units_division", "units", &["division_code"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("settings")
                .col(string("key").primary_key())
                .col(text("value"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("unit_facts")
                .col(big_integer("unit_id").primary_key())
                .col(string("division_code"))
                .col(string("kind"))
                .col(big_integer_null("carrier_id"))
                .col(string_null("carrier_kind"))
                .col(string("status"))
                .col(big_integer("full_members"))
                .col(boolean("own_org"))
                .col(boolean("qualifying"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_unit_facts_division",
            "unit_facts",
            &["division_code", "status"],
            false,
        ))
        .await?;
        m.create_index(index("ix_unit_facts_carrier", "unit_facts", &["carrier_id"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("carrier_facts")
                .col(big_integer("carrier_id").primary_key())
                .col(string("division_code"))
                .col(string("kind"))
                .col(big_integer("units_total"))
                .col(big_integer("units_covered"))
                .col(boolean("fully_covered"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_carrier_facts_division",
            "carrier_facts",
            &["division_code"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("org_facts")
                .col(big_integer("org_id").primary_key())
                .col(string("division_code"))
                .col(string("kind"))
                .col(big_integer("units"))
                .col(big_integer("members_full"))
                .col(big_integer("members_probationary"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_org_facts_division", "org_facts", &["division_code"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("coverage_tally")
                .col(string("division_code"))
                .col(string("metric"))
                .col(big_integer("value"))
                .primary_key(Index::create().col("division_code").col("metric"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("coverage_snapshots")
                .col(big_pk_auto("id"))
                .col(string("period"))
                .col(string_null("closing_period"))
                .col(timestamp_with_time_zone("taken_at"))
                .col(string("taken_by"))
                .to_owned(),
        )
        .await?;
        // One month-end snapshot per month, however many servers race to take it.
        m.create_index(index(
            "ux_coverage_snapshots_closing",
            "coverage_snapshots",
            &["closing_period"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_coverage_snapshots_period",
            "coverage_snapshots",
            &["period"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("coverage_snapshot_values")
                .col(big_integer("snapshot_id"))
                .col(string("division_code"))
                .col(string("metric"))
                .col(big_integer("value"))
                .primary_key(Index::create().col("division_code").col("snapshot_id").col("metric"))
                .foreign_key(&mut fk(
                    "coverage_snapshot_values",
                    "snapshot_id",
                    "coverage_snapshots",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        // Existing registries get their facts on the first start (`Store::open`).
        m.get_connection()
            .execute_unprepared("INSERT INTO settings (key, value) VALUES ('coverage.rebuild', 'pending')")
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0002_coverage cannot be reverted: restore a backup instead".into(),
        ))
    }
}
