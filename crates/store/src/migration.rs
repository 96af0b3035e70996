//! One portable migration set for SQLite and PostgreSQL (sea-orm-migration's schema
//! builder emits each backend's dialect). Migrations are history: never edit one that
//! has shipped; add the next.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Registry),
            Box::new(M0002Coverage),
            Box::new(M0003BulkHistory),
        ]
    }
}

struct M0001Registry;

impl MigrationName for M0001Registry {
    fn name(&self) -> &str {
        "m0001_registry"
    }
}

fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    to_col: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

fn index(name: &'static str, table: &'static str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// Columns every registry record carries: archive flag, optimistic-lock version, times.
fn record_columns(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(boolean("archived").default(false))
        .col(big_integer("version").default(1))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
}

#[async_trait::async_trait]
impl MigrationTrait for M0001Registry {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("divisions")
                .col(string("code").primary_key())
                .col(string("name"))
                .col(string("level"))
                .col(string_null("parent_code"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_divisions_parent", "divisions", &["parent_code"], false))
            .await?;
        m.create_index(index("ix_divisions_name", "divisions", &["name"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("instructors")
                .col(big_pk_auto("id"))
                .col(string("name"))
                .col(string_null("phone"))
                .col(string("division_code"))
                .col(timestamp_with_time_zone("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_instructors_name",
            "instructors",
            &["division_code", "name"],
            true,
        ))
        .await?;

        let mut t = Table::create();
        t.table("carriers")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("kind"))
            .col(boolean("is_key").default(false))
            .col(string("division_code"))
            .col(string_null("address"))
            .col(double_null("lng"))
            .col(double_null("lat"));
        m.create_table(record_columns(&mut t).to_owned()).await?;
        m.create_index(index("ux_carriers_name", "carriers", &["division_code", "name"], true))
            .await?;

        let mut t = Table::create();
        t.table("units")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("kind"))
            .col(string_null("credit_code"))
            .col(big_integer_null("employees"))
            .col(big_integer_null("carrier_id"))
            .col(string("division_code"))
            .col(string_null("address"))
            .col(big_integer_null("instructor_id"))
            .foreign_key(&mut fk("units", "carrier_id", "carriers", "id"))
            .foreign_key(&mut fk("units", "instructor_id", "instructors", "id"));
        m.create_table(record_columns(&mut t).to_owned()).await?;
        m.create_index(index("ux_units_credit_code", "units", &["credit_code"], true))
            .await?;
        m.create_index(index("ux_units_name", "units", &["division_code", "name"], true))
            .await?;
        m.create_index(index("ix_units_carrier", "units", &["carrier_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("unit_links")
                .col(big_pk_auto("id"))
                .col(big_integer("unit_id"))
                .col(string("kind"))
                .col(big_integer("other_unit_id"))
                .foreign_key(&mut fk("unit_links", "unit_id", "units", "id"))
                .foreign_key(&mut fk("unit_links", "other_unit_id", "units", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_unit_links",
            "unit_links",
            &["unit_id", "kind", "other_unit_id"],
            true,
        ))
        .await?;
        m.create_index(index("ix_unit_links_other", "unit_links", &["other_unit_id"], false))
            .await?;

        let mut t = Table::create();
        t.table("party_orgs")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("kind"))
            .col(big_integer_null("parent_id"))
            .col(string("path"))
            .col(string("division_code"))
            .col(big_integer_null("carrier_id"))
            .col(string_null("secretary"))
            .col(date_null("founded_on"))
            .col(date_null("term_ends_on"))
            .foreign_key(&mut fk("party_orgs", "parent_id", "party_orgs", "id"))
            .foreign_key(&mut fk("party_orgs", "carrier_id", "carriers", "id"));
        m.create_table(record_columns(&mut t).to_owned()).await?;
        m.create_index(index(
            "ux_party_orgs_name",
            "party_orgs",
            &["division_code", "name"],
            true,
        ))
        .await?;
        m.create_index(index("ix_party_orgs_path", "party_orgs", &["path"], false))
            .await?;
        m.create_index(index("ix_party_orgs_parent", "party_orgs", &["parent_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("org_units")
                .col(big_integer("org_id"))
                .col(big_integer("unit_id"))
                .primary_key(Index::create().col("org_id").col("unit_id"))
                .foreign_key(&mut fk("org_units", "org_id", "party_orgs", "id"))
                .foreign_key(&mut fk("org_units", "unit_id", "units", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_org_units_unit", "org_units", &["unit_id"], false))
            .await?;

        let mut t = Table::create();
        t.table("members")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("status"))
            .col(big_integer("org_id"))
            .col(big_integer_null("work_unit_id"))
            .col(string("resident_id"))
            .col(string_null("phone"))
            .col(date_null("joined_on"))
            .foreign_key(&mut fk("members", "org_id", "party_orgs", "id"))
            .foreign_key(&mut fk("members", "work_unit_id", "units", "id"));
        m.create_table(record_columns(&mut t).to_owned()).await?;
        m.create_index(index("ux_members_resident_id", "members", &["resident_id"], true))
            .await?;
        m.create_index(index("ix_members_org", "members", &["org_id"], false))
            .await?;
        m.create_index(index("ix_members_work_unit", "members", &["work_unit_id"], false))
            .await?;
        m.create_index(index("ix_members_name", "members", &["name"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("accounts")
                .col(big_pk_auto("id"))
                .col(string("username"))
                .col(string("password_hash"))
                .col(string("role"))
                .col(string_null("scope_division"))
                .col(big_integer_null("scope_org_id"))
                .col(boolean("disabled").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("accounts", "scope_org_id", "party_orgs", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_accounts_username", "accounts", &["username"], true))
            .await?;

        m.create_table(
            Table::create()
                .table("sessions")
                .col(string("token_hash").primary_key())
                .col(big_integer("account_id"))
                .col(string("csrf_token"))
                .col(timestamp_with_time_zone("expires_at"))
                .foreign_key(&mut fk("sessions", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("api_tokens")
                .col(big_pk_auto("id"))
                .col(big_integer("account_id"))
                .col(string("name"))
                .col(string("token_hash"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("api_tokens", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_api_tokens_hash", "api_tokens", &["token_hash"], true))
            .await?;

        m.create_table(
            Table::create()
                .table("audit_log")
                .col(big_pk_auto("id"))
                .col(timestamp_with_time_zone("at"))
                .col(big_integer_null("account_id"))
                .col(string("actor"))
                .col(string("action"))
                .col(string("entity"))
                .col(big_integer_null("entity_id"))
                .col(json_null("before"))
                .col(json_null("after"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_entity", "audit_log", &["entity", "entity_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0001_registry cannot be reverted: restore a backup instead".into(),
        ))
    }
}

/// Coverage (全覆盖): derived facts per unit, carrier and organisation, counters per
/// division kept in step with every edit, monthly snapshots, and settings.
struct M0002Coverage;

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

/// History of records created in bulk: one entry per run of consecutive ids an import
/// created (`entity_id` to `entity_id_last`) instead of one row per record; and the
/// units' division index dropped, which `ux_units_name` (division, name) already serves.
struct M0003BulkHistory;

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
