//! Bulk import of spreadsheet tables into the registry.
//!
//! Three steps: [`lookups`] reads what the file may refer to (the read pool, in the
//! importer's scope); [`plan`] checks and resolves every row in memory, whatever the
//! order of rows and sheets, collecting every error of each row; [`write`] carries the
//! plan out with multi-row inserts, in [`steps`] of half a second each so that other
//! writes go between them, and undoes the committed steps when a later one fails. A dry
//! run, or a refused import, stops after the plan and never waits for or holds the
//! store's writer.
//!
//! By default the import is all or nothing: any row error writes nothing. With
//! `skip_invalid` the valid rows are written (and rows that depend on a refused row are
//! refused with it). Natural keys (credit code, resident ID, division + name) make a
//! second import of the same file change nothing. One history entry per record written;
//! one audit entry for the import with its file name and counts.

mod lookups;
mod plan;
mod steps;
mod write;

pub(crate) use steps::STEP;
pub use steps::{ImportRun, ORPHANED_AFTER};

use crate::{Actor, Result, Store, StoreError};
use plan::{Change, RowId};
use serde::Serialize;
use tongxin_domain::access::Action;
use tongxin_domain::codes::ResidentId;
use tongxin_domain::{Coded, ErrorCode};
use tongxin_import::{Field, Kind, Table, TableRow};

/// How far an import has come, for a progress bar (the command line's): stages one
/// after another, each counted in rows.
pub trait Progress: Sync {
    /// A stage begins, with `total` rows to go.
    fn stage(&self, name: &'static str, total: u64);
    /// `n` more rows of the stage are done.
    fn advance(&self, n: u64);
}

/// No progress shown (the web console: the request waits for the report).
pub struct Silent;

impl Progress for Silent {
    fn stage(&self, _: &'static str, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// How to run an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportMode {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Write the valid rows and report the others (instead of all or nothing).
    pub skip_invalid: bool,
}

/// One error of a row: which sheet and line, which record, which column, and why (a
/// stable code the caller translates, and the value at fault). A row with several
/// errors has several entries.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowError {
    pub sheet: String,
    pub kind: &'static str,
    /// Index of the row in the sheet grid (for the error workbook).
    pub index: usize,
    /// Line number as Excel shows it.
    pub line: usize,
    /// The record the row is about, by its name as written.
    pub record: String,
    pub column: Option<&'static str>,
    #[schema(value_type = String)]
    pub code: ErrorCode,
    /// The value at fault (data, not a message: the message is the code's).
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SheetCounts {
    pub sheet: String,
    pub kind: &'static str,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

/// What an import did (or, for a dry run or a refused import, would have done).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub sheets: Vec<SheetCounts>,
    pub errors: Vec<RowError>,
    /// True when the changes were committed.
    pub committed: bool,
}

/// The name a row gives its record.
fn record_name(kind: Kind, row: &TableRow) -> String {
    let f = match kind {
        Kind::Carriers => Field::CarrierName,
        Kind::Units => Field::UnitName,
        Kind::Orgs => Field::OrgName,
        Kind::Members => Field::MemberName,
        Kind::Needs | Kind::Resources => Field::PostTitle,
        Kind::ViewerLog => Field::Viewer,
    };
    row.get(f).chars().take(100).collect()
}

/// Rows of an import past which PostgreSQL's statistics are renewed at its end.
const ANALYZE_AFTER_ROWS: u64 = 500;

impl Store {
    /// Imports tables read by `tongxin_import::read_tables`.
    pub async fn import_tables(&self, actor: &Actor, tables: &[Table], mode: ImportMode) -> Result<ImportReport> {
        self.import_file_with(actor, tables, mode, "", &Silent).await
    }

    /// [`Store::import_tables`], naming the file in the import's audit entry (`source`)
    /// and telling `progress` how far it has come.
    /// PostgreSQL's statistics of the registry tables and the name index, renewed after
    /// a large import: until autovacuum's analyze comes round (a minute or more),
    /// PostgreSQL plans with the sizes it knew before — a name search as a sort of every
    /// holder of its pair instead of an index walk. A failure is logged: the import is
    /// committed. SQLite keeps no statistics here (its plans do not depend on them).
    async fn analyze_registry(&self) {
        use sea_orm::ConnectionTrait;
        if self.backend() != crate::Backend::Postgres {
            return;
        }
        if let Err(e) = self
            .write
            .execute_unprepared("ANALYZE carriers, units, party_orgs, org_units, members, name_grams")
            .await
        {
            tracing::warn!(error = %e, "statistics after an import could not be renewed");
        }
    }

    pub async fn import_file_with(
        &self,
        actor: &Actor,
        tables: &[Table],
        mode: ImportMode,
        source: &str,
        progress: &dyn Progress,
    ) -> Result<ImportReport> {
        actor.require(Action::ImportExport)?;
        let rows: u64 = tables.iter().map(|t| t.rows.len() as u64).sum();
        let t = std::time::Instant::now();
        progress.stage("looking up", rows);
        let lk = self.import_lookups(actor, tables).await?;
        progress.advance(rows);
        let looked = t.elapsed();
        progress.stage("checking", rows);
        let mut plan = crate::cpu(|| plan::plan(actor, &lk, tables));
        progress.advance(rows);
        tracing::debug!(lookups = ?looked, plan = ?(t.elapsed() - looked), "import planned");
        // "Registered elsewhere" is answered within the account's hourly allowance.
        let used = if plan.elsewhere.is_empty() {
            0
        } else {
            self.elsewhere_answers(actor).await?
        };
        for (i, (row, _)) in plan.elsewhere.iter().enumerate() {
            if used + i as u64 >= crate::registry::ELSEWHERE_CHECKS_PER_HOUR
                && let Some(Err(fails)) = plan.outcomes.get_mut(row)
            {
                for f in fails.iter_mut().filter(|f| f.code == ErrorCode::RegisteredElsewhere) {
                    f.code = StoreError::TooManyChecks.code();
                }
            }
        }
        // From the first row past the allowance on, new members are refused alike, held
        // elsewhere or free: a refusal of the held ones alone would itself answer.
        let allowance = crate::registry::ELSEWHERE_CHECKS_PER_HOUR.saturating_sub(used) as usize;
        let cut = if used >= crate::registry::ELSEWHERE_CHECKS_PER_HOUR {
            Some(RowId { table: 0, row: 0 })
        } else {
            plan.elsewhere.get(allowance).map(|(row, _)| *row)
        };
        if let Some(cut) = cut {
            plan.refuse_new_members_from(cut, StoreError::TooManyChecks.code());
        }
        let mut report = report_of(tables, &plan);
        let write = !mode.dry_run && (!plan.has_errors() || mode.skip_invalid);
        if write {
            // Imports whose process died are undone before this one writes (a failure
            // there is logged: it does not stop this import).
            if let Err(e) = self.recover_imports(ORPHANED_AFTER).await {
                tracing::error!(error = %e, "an unfinished import could not be undone");
            }
            let summary = serde_json::json!({
                "file": source,
                "sheets": report.sheets,
                "errors": report.errors.len(),
            });
            let mut steps = steps::Steps::start(self, actor, source, progress).await?;
            // Each step refreshes what its writes touched (collected while deferred).
            let (written, _) = crate::coverage::deferring(async {
                self.write_plan(&mut steps, actor, tables, &plan, source, progress)
                    .await?;
                steps.finish(summary).await.map_err(write::WriteFail::from)
            })
            .await;
            match written {
                Ok(()) => {
                    tracing::debug!(committed = ?t.elapsed(), "import committed");
                    report.committed = true;
                    if rows >= ANALYZE_AFTER_ROWS {
                        self.analyze_registry().await;
                    }
                }
                Err(w) => {
                    tracing::warn!(
                        row = ?w.row,
                        code = %w.fail.code,
                        cause = ?w.cause,
                        "the import could not be written: undoing it"
                    );
                    // Nothing of the import stays: the open step is rolled back and the
                    // committed ones undone.
                    steps.abandon().await?;
                    let Some(r) = w.row else {
                        return Err(match w.cause {
                            Some(StoreError::Db(_)) | None => {
                                StoreError::BadFile("the import could not be written".into())
                            }
                            Some(e) => e,
                        });
                    };
                    // A row that could not be written (someone edited it meanwhile): the
                    // row says why.
                    let t = &tables[r.table];
                    let row = &t.rows[r.row];
                    report.errors.push(RowError {
                        sheet: t.sheet.clone(),
                        kind: t.kind.code(),
                        index: row.index,
                        line: row.line,
                        record: record_name(t.kind, row),
                        column: w.fail.column,
                        code: w.fail.code,
                        detail: w.fail.detail,
                    });
                }
            }
        }
        if !plan.elsewhere.is_empty() {
            let ids: Vec<&ResidentId> = plan.elsewhere.iter().map(|(_, id)| id).collect();
            self.note_elsewhere_answers(actor, &ids, used).await?;
        }
        Ok(report)
    }
}

/// Counts and errors per sheet, in the order of the rows.
fn report_of(tables: &[Table], plan: &plan::Plan) -> ImportReport {
    let mut report = ImportReport::default();
    for (ti, t) in tables.iter().enumerate() {
        let mut counts = SheetCounts {
            sheet: t.sheet.clone(),
            kind: t.kind.code(),
            rows: t.rows.len(),
            ..Default::default()
        };
        for (ri, row) in t.rows.iter().enumerate() {
            match plan.outcomes.get(&RowId { table: ti, row: ri }) {
                Some(Ok(Change::Created)) => counts.created += 1,
                Some(Ok(Change::Updated)) => counts.updated += 1,
                Some(Ok(Change::Unchanged)) => counts.unchanged += 1,
                Some(Err(fails)) => {
                    counts.failed += 1;
                    for f in fails {
                        report.errors.push(RowError {
                            sheet: t.sheet.clone(),
                            kind: t.kind.code(),
                            index: row.index,
                            line: row.line,
                            record: record_name(t.kind, row),
                            column: f.column,
                            code: f.code,
                            detail: f.detail.clone(),
                        });
                    }
                }
                None => counts.unchanged += 1,
            }
        }
        report.sheets.push(counts);
    }
    report
}
