//! Pairing (结对共建): branch with branch, firm with residential community or village,
//! and what each pair does together.

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0018AlliancePairing;

impl MigrationName for M0018AlliancePairing {
    fn name(&self) -> &str {
        "m0018_alliance_pairing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0018AlliancePairing {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("alliance_pairs")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            // `branches`, `firm_community`.
            .col(string("kind"))
            // Two branches; or a firm (a registry unit) and a community's or village's
            // division code.
            .col(big_integer_null("org_a_id"))
            .col(big_integer_null("org_b_id"))
            .col(big_integer_null("unit_id"))
            .col(string_null("community_code"))
            .col(date("started_on"))
            .col(date_null("ended_on"))
            .col(text_null("note"))
            .foreign_key(&mut fk("alliance_pairs", "conference_id", "alliance_conferences", "id"))
            .foreign_key(&mut fk("alliance_pairs", "org_a_id", "party_orgs", "id"))
            .foreign_key(&mut fk("alliance_pairs", "org_b_id", "party_orgs", "id"))
            .foreign_key(&mut fk("alliance_pairs", "unit_id", "units", "id"))
            .foreign_key(&mut fk("alliance_pairs", "community_code", "divisions", "code"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ix_alliance_pairs_conf",
            "alliance_pairs",
            &["conference_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table("alliance_pair_activities")
                .col(big_pk_auto("id"))
                .col(big_integer("pair_id"))
                .col(date("held_on"))
                .col(string("title"))
                .col(text_null("notes"))
                .col(integer_null("people"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("alliance_pair_activities", "pair_id", "alliance_pairs", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_pair_activities",
            "alliance_pair_activities",
            &["pair_id", "held_on"],
            false,
        ))
        .await
    }
}
