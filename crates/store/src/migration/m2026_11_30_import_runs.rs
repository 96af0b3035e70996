//! Imports written in steps, and what undoes them.

use super::{fk, index};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// An import too long for one transaction is written in steps, each committed so that
/// other writes wait for the writer a second at most. `import_runs` says which imports
/// are being written (and, by `beat_at`, whether their writer still lives);
/// `import_undo` holds what undoes the steps already committed: the records created (as
/// runs of ids), the links added, the records updated (their full row before the
/// update). A run that fails, or whose process died, is undone from it; a run that
/// finishes deletes its undo rows in its last step.
pub(super) struct M0004ImportRuns;

impl MigrationName for M0004ImportRuns {
    fn name(&self) -> &str {
        "m0004_import_runs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0004ImportRuns {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("import_runs")
                .col(big_pk_auto("id"))
                .col(big_integer_null("account_id"))
                .col(string("actor"))
                .col(text("file"))
                .col(string("state"))
                .col(timestamp_with_time_zone("started_at"))
                .col(timestamp_with_time_zone("beat_at"))
                .col(timestamp_with_time_zone_null("finished_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_import_runs_state", "import_runs", &["state"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("import_undo")
                .col(big_pk_auto("id"))
                .col(big_integer("run_id"))
                .col(string("action"))
                .col(string("entity"))
                .col(big_integer("first_id"))
                .col(big_integer_null("last_id"))
                .col(json_binary_null("before"))
                .foreign_key(&mut fk("import_undo", "run_id", "import_runs", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_import_undo_run", "import_undo", &["run_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("import_undo").to_owned()).await?;
        m.drop_table(Table::drop().table("import_runs").to_owned()).await?;
        Ok(())
    }
}
