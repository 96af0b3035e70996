//! The registry: divisions, carriers, instructors, units and their links, party
//! organisations and the units they cover, members, accounts, sessions, API tokens and
//! the audit log.

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0001Registry;

impl MigrationName for M0001Registry {
    fn name(&self) -> &str {
        "m0001_registry"
    }
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
