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

fn id_of(v: Option<&serde_json::Value>, field: &str) -> Option<i64> {
    v.and_then(|v| v.get(field)).and_then(serde_json::Value::as_i64)
}

/// Brings coverage up to date after a registry write, from what the audit entry says
/// changed: the record itself and, from its state before, what it used to reach.
pub(crate) async fn follow<C: ConnectionTrait>(
    db: &C,
    entity: &str,
    id: Option<i64>,
    before: Option<&serde_json::Value>,
    after: Option<&serde_json::Value>,
) -> Result<()> {
    let mut d = Dirty::default();
    match (entity, id) {
        // A unit's old carrier is in its stored fact; its organisations follow from it.
        ("unit", Some(_)) => {
            d.unit(id);
        }
        ("carrier", Some(_)) => d.carrier_with_units(db, id).await?,
        ("party_org", Some(org)) => {
            d.org_with_reach(db, org).await?;
            // What it reached before the edit: its old units and its old carrier's.
            if let Some(units) = before.and_then(|b| b.get("unit_ids")).and_then(|u| u.as_array()) {
                for u in units {
                    d.unit(u.as_i64());
                }
            }
            d.carrier_with_units(db, id_of(before, "carrier_id")).await?;
        }
        ("member", Some(_)) => {
            for v in [before, after] {
                d.org(id_of(v, "org_id")).unit(id_of(v, "work_unit_id"));
            }
        }
        _ => {}
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
