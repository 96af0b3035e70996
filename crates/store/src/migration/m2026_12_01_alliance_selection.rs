//! Selection (评选): calls for brand projects, key projects or excellent branches, their
//! criteria and judges, the candidates recommended, the judges' scores.

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0016AllianceSelection;

impl MigrationName for M0016AllianceSelection {
    fn name(&self) -> &str {
        "m0016_alliance_selection"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0016AllianceSelection {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("alliance_calls")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            // `brand_project`, `key_project`, `excellent_branch`.
            .col(string("kind"))
            .col(string("title"))
            .col(integer("year"))
            .col(integer("quota"))
            .col(integer("scale"))
            .col(text_null("notes"))
            // `open`, `published`.
            .col(string("stage"))
            .col(date_null("published_on"))
            // The plenary where the awards were handed out.
            .col(big_integer_null("awarded_plenary_id"))
            .foreign_key(&mut fk("alliance_calls", "conference_id", "alliance_conferences", "id"))
            .foreign_key(&mut fk(
                "alliance_calls",
                "awarded_plenary_id",
                "alliance_plenaries",
                "id",
            ));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ix_alliance_calls_conf",
            "alliance_calls",
            &["conference_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_call_criteria")
                .col(big_pk_auto("id"))
                .col(big_integer("call_id"))
                .col(integer("position"))
                .col(string("name"))
                .col(integer("weight"))
                .foreign_key(&mut fk("alliance_call_criteria", "call_id", "alliance_calls", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_call_criteria",
            "alliance_call_criteria",
            &["call_id", "position"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_call_judges")
                .col(big_pk_auto("id"))
                .col(big_integer("call_id"))
                .col(big_integer("account_id"))
                .foreign_key(&mut fk("alliance_call_judges", "call_id", "alliance_calls", "id"))
                .foreign_key(&mut fk("alliance_call_judges", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_call_judges",
            "alliance_call_judges",
            &["call_id", "account_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_nominations")
                .col(big_pk_auto("id"))
                .col(big_integer("call_id"))
                // A project (project calls) or a party organisation (branch calls).
                .col(big_integer_null("project_id"))
                .col(big_integer_null("org_id"))
                // The member unit that recommended it (推荐单位); none for an office.
                .col(big_integer_null("recommended_by"))
                .col(text_null("reason"))
                // The place an office moved it to, and why.
                .col(integer_null("moved_to"))
                .col(text_null("move_reason"))
                // Its place and total when the results were published.
                .col(integer_null("final_rank"))
                .col(double_null("final_total"))
                .col(boolean("selected").default(false))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("alliance_nominations", "call_id", "alliance_calls", "id"))
                .foreign_key(&mut fk("alliance_nominations", "project_id", "alliance_projects", "id"))
                .foreign_key(&mut fk("alliance_nominations", "org_id", "party_orgs", "id"))
                .foreign_key(&mut fk(
                    "alliance_nominations",
                    "recommended_by",
                    "alliance_members",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        // Not unique: one of the two is always NULL, and NULLs never clash in a unique
        // index. A candidate is recommended once: the store checks it under the
        // conference's lock.
        m.create_index(index(
            "ix_alliance_nominations_call",
            "alliance_nominations",
            &["call_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_scores")
                .col(big_pk_auto("id"))
                .col(big_integer("nomination_id"))
                .col(big_integer("judge_id"))
                .col(big_integer("criterion_id"))
                .col(integer("score"))
                .col(timestamp_with_time_zone("scored_at"))
                .foreign_key(&mut fk(
                    "alliance_scores",
                    "nomination_id",
                    "alliance_nominations",
                    "id",
                ))
                .foreign_key(&mut fk("alliance_scores", "judge_id", "accounts", "id"))
                .foreign_key(&mut fk(
                    "alliance_scores",
                    "criterion_id",
                    "alliance_call_criteria",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_scores",
            "alliance_scores",
            &["nomination_id", "judge_id", "criterion_id"],
            true,
        ))
        .await?;
        Ok(())
    }
}
