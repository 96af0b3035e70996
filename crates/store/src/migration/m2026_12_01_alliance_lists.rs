//! The three lists of the alliance: needs and resources posted by member units, and the
//! words each is matched by (its postings, kept by the store at every write).

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0014AllianceLists;

impl MigrationName for M0014AllianceLists {
    fn name(&self) -> &str {
        "m0014_alliance_lists"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0014AllianceLists {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("alliance_posts")
            .col(big_pk_auto("id"))
            .col(big_integer("conference_id"))
            // The member unit that posted it.
            .col(big_integer("member_id"))
            // `need` or `resource`.
            .col(string("kind"))
            .col(string("title"))
            .col(string_null("category"))
            .col(text_null("description"))
            .col(string("division_code"))
            .col(string_null("place"))
            .col(string_null("audience"))
            .col(date_null("starts_on"))
            .col(date_null("ends_on"))
            .col(integer_null("people"))
            .col(string_null("contact_name"))
            .col(string_null("contact_phone"))
            // `open`, `matched` (turned into a project), `closed`.
            .col(string("status"))
            // Its length in words, for ranking.
            .col(integer("words"))
            .foreign_key(&mut fk("alliance_posts", "conference_id", "alliance_conferences", "id"))
            .foreign_key(&mut fk("alliance_posts", "member_id", "alliance_members", "id"))
            .foreign_key(&mut fk("alliance_posts", "division_code", "divisions", "code"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ix_alliance_posts_list",
            "alliance_posts",
            &["conference_id", "kind", "status"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_alliance_posts_member",
            "alliance_posts",
            &["member_id"],
            false,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("alliance_post_words")
                .col(big_pk_auto("id"))
                .col(big_integer("post_id"))
                // The post's conference and kind, so a match reads one index range.
                .col(big_integer("conference_id"))
                .col(string("kind"))
                .col(string("word"))
                .col(integer("tf"))
                .foreign_key(&mut fk("alliance_post_words", "post_id", "alliance_posts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_alliance_post_words_word",
            "alliance_post_words",
            &["conference_id", "kind", "word", "post_id"],
            false,
        ))
        .await?;
        m.create_index(index(
            "ix_alliance_post_words_post",
            "alliance_post_words",
            &["post_id"],
            false,
        ))
        .await?;
        Ok(())
    }
}
