//! The regional alliance (区域化党建): joint conferences and their sub-conferences, member
//! units (registry units or outside organisations), the offices they hold in turn, the
//! plenary meetings with their attendance and items, visits, and the liaison accounts of
//! member units.

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0013Alliance;

impl MigrationName for M0013Alliance {
    fn name(&self) -> &str {
        "m0013_alliance"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0013Alliance {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("alliance_conferences")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("division_code"))
            // A sub-conference (an area's or an industry cluster's) names the one it sits under.
            .col(big_integer_null("parent_id"))
            .col(date_null("founded_on"))
            .col(text_null("mechanisms"))
            .foreign_key(&mut fk("alliance_conferences", "division_code", "divisions", "code"))
            .foreign_key(&mut fk(
                "alliance_conferences",
                "parent_id",
                "alliance_conferences",
                "id",
            ));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ux_alliance_conferences_name",
            "alliance_conferences",
            &["division_code", "name"],
            true,
        ))
        .await?;

        let mut t = Table::create();
        t.table("alliance_members")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            // A unit of the registry, or none for an outside organisation (a municipal
            // body, a central firm, a university outside the district's registry).
            .col(big_integer_null("unit_id"))
            // The name the conference knows it by (for a registry unit, its name when it
            // joined; pages show the registry's current name).
            .col(string("name"))
            .col(string("kind"))
            .col(date("joined_on"))
            .col(big_integer_null("admitted_at"))
            .col(date_null("plaque_on"))
            .col(date_null("left_on"))
            .foreign_key(&mut fk(
                "alliance_members",
                "conference_id",
                "alliance_conferences",
                "id",
            ))
            .foreign_key(&mut fk("alliance_members", "unit_id", "units", "id"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ux_alliance_members_name",
            "alliance_members",
            &["conference_id", "name"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ux_alliance_members_unit",
            "alliance_members",
            &["conference_id", "unit_id"],
            true,
        ))
        .await?;

        let mut t = Table::create();
        t.table("alliance_plenaries")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            .col(integer("number"))
            .col(date("held_on"))
            .col(string_null("place"))
            .col(text_null("agenda"))
            .col(big_integer_null("chair_id"))
            .foreign_key(&mut fk(
                "alliance_plenaries",
                "conference_id",
                "alliance_conferences",
                "id",
            ))
            .foreign_key(&mut fk("alliance_plenaries", "chair_id", "alliance_members", "id"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ux_alliance_plenaries_number",
            "alliance_plenaries",
            &["conference_id", "number"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_offices")
                .col(big_pk_auto("id"))
                .col(big_integer("conference_id"))
                .col(big_integer("member_id"))
                .col(string("office"))
                .col(date("starts_on"))
                .col(date_null("ends_on"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "alliance_offices",
                    "conference_id",
                    "alliance_conferences",
                    "id",
                ))
                .foreign_key(&mut fk("alliance_offices", "member_id", "alliance_members", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_offices_conference",
            "alliance_offices",
            &["conference_id", "office", "starts_on"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_attendance")
                .col(big_pk_auto("id"))
                .col(big_integer("plenary_id"))
                .col(big_integer("member_id"))
                .foreign_key(&mut fk("alliance_attendance", "plenary_id", "alliance_plenaries", "id"))
                .foreign_key(&mut fk("alliance_attendance", "member_id", "alliance_members", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_attendance",
            "alliance_attendance",
            &["plenary_id", "member_id"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_plenary_items")
                .col(big_pk_auto("id"))
                .col(big_integer("plenary_id"))
                .col(string("kind"))
                .col(text("text"))
                // The member unit it is about (the one that spoke, was awarded, signed).
                .col(big_integer_null("member_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk(
                    "alliance_plenary_items",
                    "plenary_id",
                    "alliance_plenaries",
                    "id",
                ))
                .foreign_key(&mut fk("alliance_plenary_items", "member_id", "alliance_members", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_plenary_items",
            "alliance_plenary_items",
            &["plenary_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_visits")
                .col(big_pk_auto("id"))
                .col(big_integer("member_id"))
                .col(date("visited_on"))
                .col(string("visitors"))
                .col(text_null("notes"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("alliance_visits", "member_id", "alliance_members", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_visits_member",
            "alliance_visits",
            &["member_id", "visited_on"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_liaisons")
                .col(big_pk_auto("id"))
                .col(big_integer("member_id"))
                .col(big_integer("account_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("alliance_liaisons", "member_id", "alliance_members", "id"))
                .foreign_key(&mut fk("alliance_liaisons", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_alliance_liaisons",
            "alliance_liaisons",
            &["member_id", "account_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ix_alliance_liaisons_account",
            "alliance_liaisons",
            &["account_id"],
            false,
        ))
        .await?;
        Ok(())
    }
}
