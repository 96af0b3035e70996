//! The alliance's projects (项目清单): claims by member units, signing, monthly progress
//! reports, evaluation, and the files kept for them (on disk beside the store; the rows
//! say what each file is).

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0015AllianceProjects;

impl MigrationName for M0015AllianceProjects {
    fn name(&self) -> &str {
        "m0015_alliance_projects"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0015AllianceProjects {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("alliance_projects")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            .col(string("title"))
            .col(string_null("category"))
            .col(text_null("description"))
            .col(string("division_code"))
            .col(date_null("starts_on"))
            .col(date_null("ends_on"))
            // `direct`, `from_need`, `from_resource`, `from_match`.
            .col(string("source"))
            .col(big_integer_null("need_post_id"))
            .col(big_integer_null("resource_post_id"))
            // `open`, `signed`, `closed`.
            .col(string("stage"))
            .col(date_null("signed_on"))
            // The plenary it was signed at, if at one; else where (a summit…).
            .col(big_integer_null("signed_plenary_id"))
            .col(string_null("signed_occasion"))
            .col(date_null("closed_on"))
            .col(string_null("grade"))
            .col(text_null("evaluation"))
            .foreign_key(&mut fk(
                "alliance_projects",
                "conference_id",
                "alliance_conferences",
                "id",
            ))
            .foreign_key(&mut fk("alliance_projects", "division_code", "divisions", "code"))
            .foreign_key(&mut fk("alliance_projects", "need_post_id", "alliance_posts", "id"))
            .foreign_key(&mut fk("alliance_projects", "resource_post_id", "alliance_posts", "id"))
            .foreign_key(&mut fk(
                "alliance_projects",
                "signed_plenary_id",
                "alliance_plenaries",
                "id",
            ));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ix_alliance_projects_list",
            "alliance_projects",
            &["conference_id", "stage"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_project_claims")
                .col(big_pk_auto("id"))
                .col(big_integer("project_id"))
                .col(big_integer("member_id"))
                // `lead` or `partner`.
                .col(string("role"))
                .col(date("claimed_on"))
                .col(string_null("note"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "alliance_project_claims",
                    "project_id",
                    "alliance_projects",
                    "id",
                ))
                .foreign_key(&mut fk(
                    "alliance_project_claims",
                    "member_id",
                    "alliance_members",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_project_claims",
            "alliance_project_claims",
            &["project_id", "member_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_project_reports")
                .col(big_pk_auto("id"))
                .col(big_integer("project_id"))
                // The month reported, as its first day.
                .col(date("month"))
                // `on_track`, `at_risk`, `late`, `done`.
                .col(string("progress"))
                .col(integer("percent"))
                .col(text_null("text"))
                .col(big_integer_null("filed_by"))
                .col(timestamp_with_time_zone("filed_at"))
                .foreign_key(&mut fk(
                    "alliance_project_reports",
                    "project_id",
                    "alliance_projects",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_project_reports",
            "alliance_project_reports",
            &["project_id", "month"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_attachments")
                .col(big_pk_auto("id"))
                .col(big_integer("conference_id"))
                .col(big_integer("project_id"))
                // The report it belongs to (a photo), if any.
                .col(big_integer_null("report_id"))
                // `signing`, `photo`, `other_file`.
                .col(string("purpose"))
                .col(string("file_name"))
                .col(string("content_type"))
                .col(big_integer("bytes"))
                // The file's name on disk: its SHA-256 in hex.
                .col(string("sha256"))
                .col(big_integer_null("uploaded_by"))
                .col(timestamp_with_time_zone("uploaded_at"))
                .foreign_key(&mut fk(
                    "alliance_attachments",
                    "conference_id",
                    "alliance_conferences",
                    "id",
                ))
                .foreign_key(&mut fk("alliance_attachments", "project_id", "alliance_projects", "id"))
                .foreign_key(&mut fk(
                    "alliance_attachments",
                    "report_id",
                    "alliance_project_reports",
                    "id",
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_attachments_project",
            "alliance_attachments",
            &["project_id"],
            false,
        ))
        .await?;
        Ok(())
    }
}
