//! An office's vocabulary (词表): lines of words that mean one thing in its
//! conference's lists, beside the built-in ones.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0017AllianceVocabulary;

impl MigrationName for M0017AllianceVocabulary {
    fn name(&self) -> &str {
        "m0017_alliance_vocabulary"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0017AllianceVocabulary {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("alliance_vocabulary")
                .col(big_pk_auto("id"))
                .col(big_integer("conference_id"))
                // The words, separated by single spaces, as the matcher reads a line.
                .col(text("words"))
                .col(big_integer_null("added_by"))
                .col(timestamp_with_time_zone("added_at"))
                .foreign_key(&mut fk(
                    "alliance_vocabulary",
                    "conference_id",
                    "alliance_conferences",
                    "id",
                ))
                .foreign_key(&mut fk("alliance_vocabulary", "added_by", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_vocabulary_conf",
            "alliance_vocabulary",
            &["conference_id"],
            false,
        ))
        .await
    }
}
