//! Coverage (全覆盖) in the store: derived facts and per-division counters kept exact in
//! the same transaction as every registry edit, summaries read from the counters,
//! a plain recount to check them, gap lists and snapshots.
//!
//! Every write path collects what it touched in a [`Dirty`] set and calls
//! [`refresh`] before it commits. `refresh` recomputes the facts of what is dirty from
//! the registry, compares them with the stored facts and adds the difference to the
//! counters. On PostgreSQL it first takes a transaction-scoped advisory lock, so that
//! two servers on one database apply their differences one after the other and each
//! recomputes from what the other committed.

mod chain;
mod closing;
mod gaps;
mod maintain;
mod snapshots;
mod summary;

pub use chain::{ChainCoverage, ChainDistrict, ChainUnit, UnitStanding};
pub use closing::{JointBranchOffer, Nearness};
pub use gaps::{GapKind, GapRow, UnitRef};
pub use snapshots::{Snapshot, TrendPoint, period_of};
pub use summary::{Territory, Viewable};

pub(crate) use maintain::{Dirty, refresh_with};

tokio::task_local! {
    /// Set while a bulk import runs: writes collect what they touched here, and the
    /// import refreshes it all at once before it commits.
    static DEFERRED: std::cell::RefCell<Dirty>;
}

/// Runs `f` with coverage refreshes deferred, and returns what its writes touched (for
/// one [`refresh`] before the caller commits). Rows that were rolled back leave ids
/// behind that recompute to what they were: harmless.
pub(crate) async fn deferring<F: std::future::Future>(f: F) -> (F::Output, Dirty) {
    DEFERRED
        .scope(std::cell::RefCell::new(Dirty::default()), async move {
            let out = f.await;
            (out, DEFERRED.with(|d| d.take()))
        })
        .await
}

/// What the writes of a [`deferring`] future touched so far (taken: an import refreshes
/// it before it commits a step).
pub(crate) fn take_deferred() -> Dirty {
    DEFERRED.try_with(|d| d.take()).unwrap_or_default()
}

use crate::{Result, Store};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tongxin_domain::coverage::CoverageRules;

const RULES_KEY: &str = "coverage.rules";
const REBUILD_KEY: &str = "coverage.rebuild";

pub(crate) async fn setting<C: ConnectionTrait>(db: &C, key: &str) -> Result<Option<String>> {
    let b = db.get_database_backend();
    let sql = match b {
        DbBackend::Postgres => "SELECT value FROM settings WHERE key = $1",
        _ => "SELECT value FROM settings WHERE key = ?",
    };
    let row = db
        .query_one_raw(Statement::from_sql_and_values(b, sql, [key.into()]))
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get_by_index::<String>(0)?),
        None => None,
    })
}

pub(crate) async fn set_setting<C: ConnectionTrait>(db: &C, key: &str, value: Option<&str>) -> Result<()> {
    let b = db.get_database_backend();
    let (del, ins) = match b {
        DbBackend::Postgres => (
            "DELETE FROM settings WHERE key = $1",
            "INSERT INTO settings (key, value) VALUES ($1, $2)",
        ),
        _ => (
            "DELETE FROM settings WHERE key = ?",
            "INSERT INTO settings (key, value) VALUES (?, ?)",
        ),
    };
    db.execute_raw(Statement::from_sql_and_values(b, del, [key.into()]))
        .await?;
    if let Some(v) = value {
        db.execute_raw(Statement::from_sql_and_values(b, ins, [key.into(), v.into()]))
            .await?;
    }
    Ok(())
}

/// The rules in force: the stored settings, defaults for what is not set.
pub(crate) async fn rules<C: ConnectionTrait>(db: &C) -> Result<CoverageRules> {
    Ok(setting(db, RULES_KEY)
        .await?
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default())
}

impl Store {
    /// The coverage rules in force.
    pub async fn coverage_rules(&self) -> Result<CoverageRules> {
        rules(&self.read).await
    }

    /// Changes the coverage rules and recomputes every fact and counter under them, in
    /// one transaction.
    pub async fn set_coverage_rules(&self, actor: &crate::Actor, r: CoverageRules) -> Result<()> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let txn = self.begin().await?;
        let before = rules(&txn).await?;
        let json = serde_json::to_string(&r).unwrap_or_default();
        set_setting(&txn, RULES_KEY, Some(&json)).await?;
        maintain::rebuild(&txn).await?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "coverage_rules",
            None,
            serde_json::to_value(before).ok(),
            serde_json::to_value(r).ok(),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Recomputes every coverage fact and counter from the registry (after a migration
    /// or a restore; edits keep them exact on their own).
    pub async fn rebuild_coverage(&self) -> Result<()> {
        let txn = self.begin().await?;
        maintain::rebuild(&txn).await?;
        set_setting(&txn, REBUILD_KEY, None).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Builds the facts once when a migration asked for it (a registry that existed
    /// before coverage was added).
    pub(crate) async fn rebuild_coverage_if_pending(&self) -> Result<()> {
        if setting(&self.write, REBUILD_KEY).await?.is_some() {
            self.rebuild_coverage().await?;
        }
        Ok(())
    }
}

/// What a registry write touched, as the write itself says it: each write builds one
/// from the rows it read and wrote, and hands it to [`follow`] in its own transaction.
/// The audit log only records; nothing here is read back from it.
#[derive(Debug, Clone)]
pub(crate) enum Touched {
    /// A unit. Its organisations and old carrier follow from its stored fact.
    Unit(i64),
    /// A carrier and every unit in it.
    Carrier(i64),
    /// An organisation with what it reaches now, and what it reached before the edit
    /// (its old units and its old carrier's units).
    Org {
        id: i64,
        units_before: Vec<i64>,
        carrier_before: Option<i64>,
    },
    /// A member: its organisations and work units before and after the write.
    Member {
        orgs: [Option<i64>; 2],
        work_units: [Option<i64>; 2],
    },
}

impl Touched {
    /// A member write, from the rows before and after it.
    pub(crate) fn member(
        before: Option<&crate::entity::member::Model>,
        after: Option<&crate::entity::member::Model>,
    ) -> Self {
        Touched::Member {
            orgs: [before.map(|m| m.org_id), after.map(|m| m.org_id)],
            work_units: [before.and_then(|m| m.work_unit_id), after.and_then(|m| m.work_unit_id)],
        }
    }
}

/// Brings coverage up to date after a registry write, in the write's transaction: the
/// facts of what it touched are recomputed and the counters take the difference. While
/// an import runs (see [`deferring`]) what was touched is collected for one refresh
/// before the import commits instead.
pub(crate) async fn follow<C: ConnectionTrait>(db: &C, touched: Touched) -> Result<()> {
    let mut d = Dirty::default();
    match touched {
        Touched::Unit(id) => {
            d.unit(Some(id));
        }
        Touched::Carrier(id) => d.carrier_with_units(db, Some(id)).await?,
        Touched::Org {
            id,
            units_before,
            carrier_before,
        } => {
            d.org_with_reach(db, id).await?;
            for u in units_before {
                d.unit(Some(u));
            }
            d.carrier_with_units(db, carrier_before).await?;
        }
        Touched::Member { orgs, work_units } => {
            for (org, unit) in orgs.into_iter().zip(work_units) {
                d.org(org).unit(unit);
            }
        }
    }
    let mut pending = Some(d);
    let deferred = DEFERRED.try_with(|acc| {
        if let Some(d) = pending.take() {
            acc.borrow_mut().merge(d);
        }
    });
    match (deferred, pending) {
        (Ok(()), _) | (Err(_), None) => Ok(()),
        (Err(_), Some(d)) => maintain::refresh(db, d).await,
    }
}
