//! Writing an import in steps, and undoing it.
//!
//! SQLite has one writer, and on PostgreSQL a write holds its row locks and the coverage
//! refresh's lock until it commits: an import of millions of rows in one transaction
//! would make every other write wait a minute. So an import commits a step whenever it
//! has held the writer for [`Store::import_step`] (half a second by default), and
//! others' writes go between its steps.
//!
//! The import stays all or nothing: from its first intermediate commit on, it is a
//! *run* (`import_runs`) with a journal (`import_undo`) of what undoes its committed
//! steps — the records it created (runs of ids), the links it added, the full row of
//! every record it updated — written in the same transaction as each step. Its last
//! step marks the run done and deletes the journal. A run that fails (a record edited
//! by someone since the check, a database error) or is cut off (its future dropped) is
//! undone at once; a run whose process died (its heartbeat, renewed at every step,
//! stops) is undone a minute later when a store opens, an import starts or the server
//! looks (once a minute), or at once by `tongxin imports --undo`.
//!
//! Between steps, others see the records of the steps committed so far; the coverage of
//! everything the import touched is refreshed in its last steps (a unit is written once
//! and later steps attach organisations and members to it: refreshing it at each would
//! recompute it three times). Until then the coverage figures lag behind the records
//! written; an undo refreshes what it removes.

use super::Progress;
use crate::coverage::Dirty;
use crate::entity::{carrier, member, party_org, unit};
use crate::registry::name_index::{self, Indexed};
use crate::registry::{CarrierPatch, MemberPatch, OrgPatch, UnitPatch};
use crate::rows::within;
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QueryResult, Statement, Value};
use std::time::{Duration, Instant};
use tongxin_domain::registry::UnitId;

/// How long one step of an import holds the writer before it commits.
pub(crate) const STEP: Duration = Duration::from_millis(500);

/// Units (or carriers, or organisations) per coverage refresh at the end of an import
/// written in steps.
const REFRESH_PART: usize = 20_000;

/// How long the next step of an import waits for the writer before it gives up.
const PATIENCE: Duration = Duration::from_secs(30);

/// A run whose heartbeat is older than this lost its process: it is undone.
pub const ORPHANED_AFTER: Duration = Duration::from_secs(60);

/// What undoes part of a committed step.
enum Undo {
    /// Records of `entity` with ids `first..=last`, created by the run.
    Created {
        entity: &'static str,
        first: i64,
        last: i64,
    },
    /// A headquarters link the run added between two units.
    Linked { hq: i64, unit: i64 },
    /// A stored record the run updated, as it was before (its full row).
    Updated {
        entity: &'static str,
        id: i64,
        before: serde_json::Value,
    },
}

/// An import being written: the open step's transaction, and what undoes the steps
/// before it.
pub(crate) struct Steps<'a> {
    store: &'a Store,
    actor: &'a Actor,
    file: &'a str,
    progress: &'a dyn Progress,
    txn: Option<DatabaseTransaction>,
    /// The run, once a step has been committed.
    run: Option<i64>,
    began: Instant,
    journal: Vec<Undo>,
    /// Coverage touched by the open step.
    pub dirty: Dirty,
    /// Coverage touched by the steps committed before it (refreshed at the end: a unit
    /// is written once and later steps attach organisations and members to it).
    touched: Dirty,
}

impl<'a> Steps<'a> {
    pub async fn start(store: &'a Store, actor: &'a Actor, file: &'a str, progress: &'a dyn Progress) -> Result<Self> {
        Ok(Steps {
            store,
            actor,
            file,
            progress,
            txn: Some(store.begin().await?),
            run: None,
            began: Instant::now(),
            journal: Vec::new(),
            dirty: Dirty::default(),
            touched: Dirty::default(),
        })
    }

    /// The open step's transaction.
    pub fn txn(&self) -> &DatabaseTransaction {
        // Empty only once `finish` or `abandon` has ended the import, or a step failed
        // to commit (the import then ends with that error).
        self.txn.as_ref().expect("an open step")
    }

    /// Records of `entity` the open step created.
    pub fn created(&mut self, entity: &'static str, ids: Vec<i64>) {
        self.created_runs(entity, &crate::rows::runs(ids));
    }

    /// Records of `entity` the open step created, as runs of ids (first, last).
    pub fn created_runs(&mut self, entity: &'static str, runs: &[(i64, i64)]) {
        for &(first, last) in runs {
            self.journal.push(Undo::Created { entity, first, last });
        }
    }

    /// A headquarters link the open step added.
    pub fn linked(&mut self, hq: i64, unit: i64) {
        self.journal.push(Undo::Linked { hq, unit });
    }

    /// A stored record the open step is about to update, as it is now.
    pub fn updating<M: serde::Serialize>(&mut self, entity: &'static str, id: i64, before: &M) {
        self.updating_json(entity, id, serde_json::to_value(before).unwrap_or_default());
    }

    pub fn updating_json(&mut self, entity: &'static str, id: i64, before: serde_json::Value) {
        self.journal.push(Undo::Updated { entity, id, before });
    }

    /// Commits the open step and opens the next when it has held the writer long
    /// enough; otherwise goes on in it.
    pub async fn checkpoint(&mut self) -> Result<()> {
        if self.began.elapsed() < self.store.import_step() {
            return Ok(());
        }
        let txn = self.txn.take().expect("an open step");
        let run = match self.run {
            Some(run) => run,
            None => {
                let run = new_run(&txn, self.actor, self.file).await?;
                self.run = Some(run);
                run
            }
        };
        write_journal(&txn, run, std::mem::take(&mut self.journal)).await?;
        self.collect();
        txn.commit().await?;
        tracing::debug!(run, held = ?self.began.elapsed(), "import step committed");
        let next = self.begin_patiently().await?;
        // The run's row stays locked for the step: an undo waits for it to commit,
        // and a run being undone stops here.
        let beat = next
            .execute(
                Query::update()
                    .table("import_runs")
                    .value("beat_at", Utc::now())
                    .and_where(Expr::col("id").eq(run))
                    .and_where(Expr::col("state").eq("writing")),
            )
            .await?;
        if beat.rows_affected() != 1 {
            next.rollback().await?;
            return Err(StoreError::Interrupted);
        }
        self.txn = Some(next);
        self.began = Instant::now();
        Ok(())
    }

    /// The next step's transaction. Another process's write (a server beside a
    /// command-line import on one SQLite file) may hold the writer past the usual wait:
    /// the import waits longer rather than undo a minute of work.
    async fn begin_patiently(&self) -> Result<DatabaseTransaction> {
        let since = Instant::now();
        loop {
            match self.store.begin().await {
                Err(StoreError::Busy) if since.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                other => return other,
            }
        }
    }

    /// Adds the coverage the open step touched (its own and its edits') to what the
    /// import refreshes when its records are all written.
    fn collect(&mut self) {
        let step = std::mem::take(&mut self.dirty);
        self.touched.merge(step);
        self.touched.merge(crate::coverage::take_deferred());
    }

    /// The last steps: the coverage of everything the import touched (in parts, a step
    /// committed whenever one has held the writer long enough), then the import's audit
    /// entry, the run marked done and its journal dropped; committed.
    pub async fn finish(&mut self, summary: serde_json::Value) -> Result<()> {
        self.collect();
        let touched = std::mem::take(&mut self.touched);
        if self.run.is_none() {
            // One step so far: refreshed at once, new units taken as fresh.
            crate::coverage::refresh_with(self.txn(), touched, self.progress).await?;
        } else {
            self.progress.stage("coverage", touched.len() as u64);
            for part in touched.into_parts(REFRESH_PART) {
                let n = part.len() as u64;
                crate::coverage::refresh_with(self.txn(), part, &super::Silent).await?;
                self.progress.advance(n);
                self.checkpoint().await?;
            }
        }
        let txn = self.txn.take().expect("an open step");
        crate::audit::record(&txn, self.actor, "import", "import", None, None, Some(summary)).await?;
        if let Some(run) = self.run {
            end_run(&txn, run, "done").await?;
        }
        self.progress.stage("committing", 1);
        txn.commit().await?;
        self.run = None;
        self.progress.advance(1);
        Ok(())
    }

    /// The import failed: the open step is rolled back and the committed ones undone.
    pub async fn abandon(mut self) -> Result<()> {
        if let Some(txn) = self.txn.take() {
            txn.rollback().await?;
        }
        if let Some(run) = self.run.take() {
            self.store.undo_import_run(run).await?;
        }
        Ok(())
    }
}

/// An import dropped half-way (the request that carried it was cut off: a client that
/// closes its connection makes the server drop its handler) is undone at once, in a task
/// of its own; the open step's transaction rolls back as it is dropped. A process that
/// dies runs no destructor: its run waits for [`ORPHANED_AFTER`].
impl Drop for Steps<'_> {
    fn drop(&mut self) {
        let Some(run) = self.run.take() else { return };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let store = self.store.clone();
        drop(self.txn.take());
        rt.spawn(async move {
            match store.undo_import_run(run).await {
                Ok(_) => {}
                Err(e) => tracing::error!(run, error = %e, "an import cut off could not be undone"),
            }
        });
    }
}

async fn new_run(txn: &DatabaseTransaction, actor: &Actor, file: &str) -> Result<i64> {
    let now = Utc::now();
    let back = crate::rows::insert_rows(
        txn,
        "import_runs",
        &["account_id", "actor", "file", "state", "started_at", "beat_at"],
        &[vec![
            actor.account_id.map(|a| a.0).into(),
            actor.username.clone().into(),
            file.to_string().into(),
            "writing".into(),
            now.into(),
            now.into(),
        ]],
        "id",
    )
    .await?;
    let row = back.first().ok_or(StoreError::NotFound)?;
    Ok(row.try_get_by_index(0)?)
}

async fn end_run<C: ConnectionTrait>(db: &C, run: i64, state: &str) -> Result<()> {
    db.execute(
        Query::delete()
            .from_table("import_undo")
            .and_where(Expr::col("run_id").eq(run)),
    )
    .await?;
    db.execute(
        Query::update()
            .table("import_runs")
            .value("state", state)
            .value("finished_at", Utc::now())
            .and_where(Expr::col("id").eq(run)),
    )
    .await?;
    Ok(())
}

async fn write_journal(txn: &DatabaseTransaction, run: i64, journal: Vec<Undo>) -> Result<()> {
    let rows: Vec<Vec<Value>> = journal
        .into_iter()
        .map(|u| {
            let (action, entity, first, last, before) = match u {
                Undo::Created { entity, first, last } => ("created", entity, first, Some(last), None),
                Undo::Linked { hq, unit } => ("linked", "unit", hq, Some(unit), None),
                Undo::Updated { entity, id, before } => ("updated", entity, id, None, Some(before)),
            };
            vec![
                run.into(),
                action.into(),
                entity.into(),
                first.into(),
                last.into(),
                Value::Json(before.map(Box::new)),
            ]
        })
        .collect();
    for part in rows.chunks(500) {
        crate::rows::insert_rows(
            txn,
            "import_undo",
            &["run_id", "action", "entity", "first_id", "last_id", "before"],
            part,
            "",
        )
        .await?;
    }
    Ok(())
}

/// Runs of ids per statement of an undo (SQLite nests a chain of ORs one level deeper per
/// run, and refuses more than 1,000 levels).
const RUNS_PER_STATEMENT: usize = 50;

async fn ids<C: ConnectionTrait>(db: &C, sql: String) -> Result<Vec<i64>> {
    let rows: Vec<QueryResult> = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    rows.iter()
        .filter_map(|r| r.try_get_by_index::<Option<i64>>(0).transpose())
        .collect::<std::result::Result<_, _>>()
        .map_err(Into::into)
}

/// An import being written (or whose process died while writing it).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportRun {
    pub id: i64,
    pub actor: String,
    pub file: String,
    pub started_at: chrono::DateTime<Utc>,
    /// When its last step was committed.
    pub beat_at: chrono::DateTime<Utc>,
}

/// Marks dirty, as `mark` does (`Dirty::unit`, `Dirty::org`, `Dirty::carrier`), every
/// id the query answers.
async fn dirty_from<C: ConnectionTrait>(
    db: &C,
    sql: &str,
    mark: fn(&mut Dirty, Option<i64>) -> &mut Dirty,
    dirty: &mut Dirty,
) -> Result<()> {
    for id in ids(db, sql.to_string()).await? {
        mark(dirty, Some(id));
    }
    Ok(())
}

/// A run from a row of `id, actor, file, started_at, beat_at`.
fn run_of(r: &sea_orm::QueryResult) -> Result<ImportRun> {
    Ok(ImportRun {
        id: r.try_get_by_index(0)?,
        actor: r.try_get_by_index(1)?,
        file: r.try_get_by_index(2)?,
        started_at: r.try_get_by_index(3)?,
        beat_at: r.try_get_by_index(4)?,
    })
}

impl Store {
    /// The caller's own imports of the last `days` days that were stopped before they
    /// finished and undone (a failed step, a lost connection, an operator's undo):
    /// nothing of them was kept, and the file needs importing again. Newest first.
    pub async fn undone_imports(&self, actor: &crate::Actor, days: i64) -> Result<Vec<ImportRun>> {
        let Some(account) = actor.account_id else {
            return Ok(vec![]);
        };
        let since = Utc::now() - chrono::Duration::days(days);
        let rows = self
            .read
            .query_all(
                Query::select()
                    .columns(["id", "actor", "file", "started_at", "beat_at"])
                    .from("import_runs")
                    .and_where(Expr::col("state").eq("undone"))
                    .and_where(Expr::col("account_id").eq(account.0))
                    .and_where(Expr::col("started_at").gte(since))
                    .order_by("id", Order::Desc)
                    .limit(20),
            )
            .await?;
        rows.iter().map(run_of).collect()
    }

    /// The imports being written now, oldest first (for the operator: `tongxin imports`).
    pub async fn imports_being_written(&self) -> Result<Vec<ImportRun>> {
        let rows = self
            .read
            .query_all(
                Query::select()
                    .columns(["id", "actor", "file", "started_at", "beat_at"])
                    .from("import_runs")
                    .and_where(Expr::col("state").eq("writing"))
                    .order_by("id", Order::Asc),
            )
            .await?;
        rows.iter().map(run_of).collect()
    }

    /// How long a step of an import holds the writer before it commits.
    pub fn import_step(&self) -> Duration {
        self.import_step
    }

    /// Sets how long a step of an import holds the writer (tests and benchmarks: zero
    /// commits at every point an import may).
    pub fn set_import_step(&mut self, step: Duration) {
        std::sync::Arc::make_mut(&mut self.0).import_step = step;
    }

    /// Undoes every import still being written whose heartbeat is older than `after`
    /// (zero: all of them; one still alive then stops at its next step). Answers how many
    /// were undone; one that cannot be undone is named in the error.
    pub async fn recover_imports(&self, after: Duration) -> Result<usize> {
        let cut = Utc::now() - chrono::Duration::from_std(after).unwrap_or_default();
        let mut undone = 0;
        for r in self.imports_being_written().await? {
            if r.beat_at > cut {
                continue;
            }
            let run = r.id;
            if self.undo_import_run(run).await? {
                undone += 1;
            }
        }
        Ok(undone)
    }

    /// Undoes the committed steps of run `run` in one transaction: updated records get
    /// their rows back (unless edited again since, which is logged and left), added links
    /// and created records are deleted, coverage follows. Answers false when the run was
    /// no longer being written.
    pub(crate) async fn undo_import_run(&self, run: i64) -> Result<bool> {
        let txn = self.begin().await?;
        // Taken first: a step of the run still writing finishes before this goes on.
        let taken = txn
            .execute(
                Query::update()
                    .table("import_runs")
                    .value("state", "undoing")
                    .and_where(Expr::col("id").eq(run))
                    .and_where(Expr::col("state").eq("writing")),
            )
            .await?;
        if taken.rows_affected() != 1 {
            txn.rollback().await?;
            return Ok(false);
        }
        let who: Vec<QueryResult> = txn
            .query_all(
                Query::select()
                    .columns(["actor", "file"])
                    .from("import_runs")
                    .and_where(Expr::col("id").eq(run)),
            )
            .await?;
        let (by, file): (String, String) = match who.first() {
            Some(r) => (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
            None => return Err(StoreError::NotFound),
        };
        let actor = Actor::system(&format!("{by} (undo)"));
        let journal = txn
            .query_all(
                Query::select()
                    .columns(["action", "entity", "first_id", "last_id", "before"])
                    .from("import_undo")
                    .and_where(Expr::col("run_id").eq(run))
                    .order_by("id", Order::Desc),
            )
            .await?;
        let (undone, deferred) = crate::coverage::deferring(self.undo_journal(&txn, &actor, journal)).await;
        let mut dirty = undone?;
        dirty.merge(deferred);
        crate::coverage::refresh_with(&txn, dirty, &super::Silent).await?;
        crate::audit::record(
            &txn,
            &actor,
            "import_undone",
            "import",
            Some(run),
            None,
            Some(serde_json::json!({ "file": file })),
        )
        .await?;
        end_run(&txn, run, "undone").await?;
        txn.commit().await?;
        tracing::warn!(run, file = %file, "an unfinished import was undone");
        Ok(true)
    }

    /// Carries out a run's journal (newest first): updates restored, then links and
    /// created records deleted, dependants before what they depend on. Answers the
    /// coverage to refresh.
    async fn undo_journal(&self, txn: &DatabaseTransaction, actor: &Actor, journal: Vec<QueryResult>) -> Result<Dirty> {
        let mut dirty = Dirty::default();
        let mut created: std::collections::HashMap<String, Vec<(i64, i64)>> = Default::default();
        let mut links = Vec::new();
        for r in &journal {
            let action: String = r.try_get_by_index(0)?;
            let entity: String = r.try_get_by_index(1)?;
            let first: i64 = r.try_get_by_index(2)?;
            let last: Option<i64> = r.try_get_by_index(3)?;
            match action.as_str() {
                "created" => created.entry(entity).or_default().push((first, last.unwrap_or(first))),
                "linked" => links.push((first, last.unwrap_or(first))),
                _ => {
                    let before: Option<serde_json::Value> = r.try_get_by_index(4)?;
                    self.restore(txn, actor, &entity, first, before.unwrap_or_default())
                        .await?;
                }
            }
        }
        // Newest first, as the journal was read.
        let runs = |e: &str| created.get(e).cloned().unwrap_or_default();
        for (hq, unit) in links {
            txn.execute_unprepared(&format!(
                "DELETE FROM unit_links WHERE unit_id = {hq} AND other_unit_id = {unit} AND kind = 'headquarters_of'"
            ))
            .await?;
            dirty.unit(Some(unit));
        }
        let (members, orgs, units) = (runs("member"), runs("party_org"), runs("unit"));
        // What the records to delete held up: their organisations' and work units'
        // coverage, the units of joint branches, the carriers that lose an organisation.
        for part in members.chunks(RUNS_PER_STATEMENT) {
            let w = within("id", part);
            dirty_from(
                txn,
                &format!("SELECT DISTINCT org_id FROM members WHERE {w}"),
                Dirty::org,
                &mut dirty,
            )
            .await?;
            dirty_from(
                txn,
                &format!("SELECT DISTINCT work_unit_id FROM members WHERE {w}"),
                Dirty::unit,
                &mut dirty,
            )
            .await?;
            txn.execute_unprepared(&format!("DELETE FROM members WHERE {w}"))
                .await?;
            name_index::forget_where(txn, Indexed::Members, &within("record_id", part)).await?;
        }
        for part in orgs.chunks(RUNS_PER_STATEMENT) {
            let o = within("org_id", part);
            dirty_from(
                txn,
                &format!("SELECT DISTINCT unit_id FROM org_units WHERE {o}"),
                Dirty::unit,
                &mut dirty,
            )
            .await?;
            let carriers = ids(
                txn,
                format!(
                    "SELECT DISTINCT carrier_id FROM party_orgs WHERE {}",
                    within("id", part)
                ),
            )
            .await?;
            dirty.carriers_with_units(txn, &carriers).await?;
            txn.execute_unprepared(&format!("DELETE FROM org_units WHERE {o}"))
                .await?;
        }
        for part in units.chunks(RUNS_PER_STATEMENT) {
            let u = within("unit_id", part);
            dirty_from(
                txn,
                &format!("SELECT DISTINCT org_id FROM org_units WHERE {u}"),
                Dirty::org,
                &mut dirty,
            )
            .await?;
            txn.execute_unprepared(&format!("DELETE FROM org_units WHERE {u}"))
                .await?;
        }
        // Newest run first: an organisation's parent is older than it (written a
        // generation before), and a parent cannot go while a child stays (RESTRICT is
        // checked row by row, not at the end of the statement).
        for run in &orgs {
            txn.execute_unprepared(&format!("DELETE FROM party_orgs WHERE {}", within("id", &[*run])))
                .await?;
            name_index::forget_where(txn, Indexed::Orgs, &within("record_id", &[*run])).await?;
            for id in run.0..=run.1 {
                dirty.org(Some(id));
            }
        }
        for part in units.chunks(RUNS_PER_STATEMENT) {
            let w = within("id", part);
            dirty_from(
                txn,
                &format!("SELECT DISTINCT carrier_id FROM units WHERE {w}"),
                Dirty::carrier,
                &mut dirty,
            )
            .await?;
            txn.execute_unprepared(&format!(
                "DELETE FROM unit_links WHERE {} OR {}",
                within("unit_id", part),
                within("other_unit_id", part)
            ))
            .await?;
            txn.execute_unprepared(&format!("DELETE FROM units WHERE {w}")).await?;
            name_index::forget_where(txn, Indexed::Units, &within("record_id", part)).await?;
            for (a, b) in part {
                for id in *a..=*b {
                    dirty.unit(Some(id));
                }
            }
        }
        for part in runs("instructor").chunks(RUNS_PER_STATEMENT) {
            txn.execute_unprepared(&format!("DELETE FROM instructors WHERE {}", within("id", part)))
                .await?;
        }
        for part in runs("carrier").chunks(RUNS_PER_STATEMENT) {
            txn.execute_unprepared(&format!("DELETE FROM carriers WHERE {}", within("id", part)))
                .await?;
            name_index::forget_where(txn, Indexed::Carriers, &within("record_id", part)).await?;
            for (a, b) in part {
                for id in *a..=*b {
                    dirty.carrier(Some(id));
                }
            }
        }
        Ok(dirty)
    }

    /// Gives an updated record its row from before the run, through the registry's own
    /// edit (history, coverage); left as it is when edited again since the run.
    async fn restore(
        &self,
        txn: &DatabaseTransaction,
        actor: &Actor,
        entity: &str,
        id: i64,
        before: serde_json::Value,
    ) -> Result<()> {
        let corrupt = |e: serde_json::Error| StoreError::BadFile(format!("import journal: {e}"));
        let edited_since = |now: i64, then: i64| {
            let since = now != then + 1;
            if since {
                tracing::warn!(entity, id, "not restored by the undo: edited again since the import");
            }
            since
        };
        match entity {
            "carrier" => {
                let before: carrier::Model = serde_json::from_value(before).map_err(corrupt)?;
                let Some(now) = carrier::Entity::find_by_id(id).one(txn).await? else {
                    return Ok(());
                };
                if edited_since(now.version, before.version) {
                    return Ok(());
                }
                let f = CarrierPatch::default().over(&before)?;
                self.update_carrier_in(txn, actor, now, f).await?;
            }
            "unit" => {
                let before: unit::Model = serde_json::from_value(before).map_err(corrupt)?;
                let Some(now) = unit::Entity::find_by_id(id).one(txn).await? else {
                    return Ok(());
                };
                if edited_since(now.version, before.version) {
                    return Ok(());
                }
                let input = UnitPatch::default().over(&before)?;
                self.update_unit_in(txn, actor, now, input).await?;
            }
            "party_org" => {
                let unit_ids: Vec<UnitId> = before
                    .get("unit_ids")
                    .and_then(|v| serde_json::from_value::<Vec<i64>>(v.clone()).ok())
                    .unwrap_or_default()
                    .into_iter()
                    .map(UnitId)
                    .collect();
                let before: party_org::Model = serde_json::from_value(before).map_err(corrupt)?;
                let Some(now) = party_org::Entity::find_by_id(id).one(txn).await? else {
                    return Ok(());
                };
                if edited_since(now.version, before.version) {
                    return Ok(());
                }
                let have = crate::registry::org_unit_ids(txn, id).await?;
                let input = OrgPatch::default().over(&before, unit_ids)?;
                self.update_org_in(txn, actor, now, &have, input).await?;
            }
            "member" => {
                let before: member::Model = serde_json::from_value(before).map_err(corrupt)?;
                let Some(now) = member::Entity::find_by_id(id).one(txn).await? else {
                    return Ok(());
                };
                if edited_since(now.version, before.version) {
                    return Ok(());
                }
                let input = MemberPatch::default().over(&before)?;
                self.update_member_in(txn, actor, now, input).await?;
            }
            other => {
                return Err(StoreError::BadFile(format!(
                    "import journal: unknown record kind {other}"
                )));
            }
        }
        Ok(())
    }
}
