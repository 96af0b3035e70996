//! Which writes of a conference's postings a server's copy of them has seen. Each
//! transaction that writes a post's words first takes the conference's next generation
//! (`alliance_conferences.words_generation`, under the row's lock, so generations are
//! taken in commit order) and marks the post with it (`alliance_posts.words_generation`).
//! A server that kept the postings at generation G reads back only the posts marked
//! after G.

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0019PostingsGeneration;

impl MigrationName for M0019PostingsGeneration {
    fn name(&self) -> &str {
        "m0019_postings_generation"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0019PostingsGeneration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for table in ["alliance_conferences", "alliance_posts"] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(big_integer("words_generation").default(0))
                    .to_owned(),
            )
            .await?;
        }
        m.create_index(index(
            "ix_alliance_posts_words_generation",
            "alliance_posts",
            &["conference_id", "kind", "words_generation"],
            false,
        ))
        .await
    }
}
