//! Keeping facts and counters exact: the dirty set, the refresh and the full rebuild.

use std::collections::{BTreeSet, HashMap};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult};
use tongxin_domain::coverage::{
    CarrierFact, CoverageRules, CoverageStatus, Fact, OrgFact, UnitFact, UnitInputs, tally_keys,
};
use tongxin_domain::registry::{CarrierKind, Labelled, OrgKind, UnitKind};

use crate::{Result, StoreError};

/// Ids per statement when facts are read or recomputed.
const CHUNK: usize = 10_000;
/// The advisory lock that orders coverage refreshes on PostgreSQL.
const LOCK_KEY: i64 = 0x7478_636f_7665;

/// What an edit touched: the units, carriers and organisations whose facts may have
/// changed. `refresh` adds what follows from them (a unit's carrier and organisations).
#[derive(Debug, Default)]
pub(crate) struct Dirty {
    units: BTreeSet<i64>,
    /// Units created in this transaction: they have no stored facts to read back.
    fresh_units: BTreeSet<i64>,
    carriers: BTreeSet<i64>,
    orgs: BTreeSet<i64>,
}

impl Dirty {
    pub fn unit(&mut self, id: Option<i64>) -> &mut Self {
        self.units.extend(id);
        self
    }
    /// A unit created in this transaction (an import's): nothing stored to compare with.
    pub fn fresh_unit(&mut self, id: i64) -> &mut Self {
        self.units.insert(id);
        self.fresh_units.insert(id);
        self
    }
    pub fn carrier(&mut self, id: Option<i64>) -> &mut Self {
        self.carriers.extend(id);
        self
    }
    pub fn org(&mut self, id: Option<i64>) -> &mut Self {
        self.orgs.extend(id);
        self
    }
    pub fn merge(&mut self, other: Dirty) {
        self.units.extend(other.units);
        self.fresh_units.extend(other.fresh_units);
        self.carriers.extend(other.carriers);
        self.orgs.extend(other.orgs);
    }
    pub fn is_empty(&self) -> bool {
        self.units.is_empty() && self.carriers.is_empty() && self.orgs.is_empty()
    }

    /// A carrier and the units in it (a change of its kind or division, or of whether
    /// it has an organisation, changes theirs).
    pub async fn carrier_with_units<C: ConnectionTrait>(&mut self, db: &C, carrier_id: Option<i64>) -> Result<()> {
        self.carriers_with_units(db, &Vec::from_iter(carrier_id)).await
    }

    /// [`Dirty::carrier_with_units`] for many carriers, in few statements (an import).
    pub async fn carriers_with_units<C: ConnectionTrait>(&mut self, db: &C, carrier_ids: &[i64]) -> Result<()> {
        self.carriers.extend(carrier_ids);
        for chunk in carrier_ids.chunks(CHUNK) {
            self.units.extend(
                ids(
                    db,
                    &format!("SELECT id FROM units WHERE {}", among("carrier_id", chunk)),
                )
                .await?,
            );
        }
        Ok(())
    }

    /// The same set in parts of at most `size` ids each (units, then carriers, then
    /// organisations), to refresh one part at a time. Refreshing each part equals
    /// refreshing the whole: a refresh recomputes from the registry what follows from
    /// its part. Units are no longer taken as fresh: between parts others' refreshes
    /// may have stored their facts.
    pub fn into_parts(self, size: usize) -> Vec<Dirty> {
        let size = size.max(1);
        let mut parts = Vec::new();
        let sets = [(self.units, 0usize), (self.carriers, 1), (self.orgs, 2)];
        for (set, which) in sets {
            let ids: Vec<i64> = set.into_iter().collect();
            for chunk in ids.chunks(size) {
                let mut d = Dirty::default();
                let part = chunk.iter().copied().collect();
                match which {
                    0 => d.units = part,
                    1 => d.carriers = part,
                    _ => d.orgs = part,
                }
                parts.push(d);
            }
        }
        parts
    }

    /// How many ids the set holds (units, carriers and organisations).
    pub fn len(&self) -> usize {
        self.units.len() + self.carriers.len() + self.orgs.len()
    }

    /// An organisation and every unit its coverage reaches as it stands now: the units
    /// attached to it and the units in its carrier. Call it before an edit and after.
    pub async fn org_with_reach<C: ConnectionTrait>(&mut self, db: &C, org_id: i64) -> Result<()> {
        self.orgs.insert(org_id);
        self.units.extend(
            ids(
                db,
                &format!(
                    "SELECT unit_id FROM org_units WHERE org_id = {org_id} \
                     UNION SELECT u.id FROM units u JOIN party_orgs o ON o.carrier_id = u.carrier_id \
                     WHERE o.id = {org_id}"
                ),
            )
            .await?,
        );
        Ok(())
    }
}

/// The time since the last lap, added to one step's total (for the debug log).
struct Lap(std::time::Instant);

impl Lap {
    fn start() -> Self {
        Lap(std::time::Instant::now())
    }

    fn add_to(&mut self, total: &mut std::time::Duration) {
        let now = std::time::Instant::now();
        *total += now - self.0;
        self.0 = now;
    }
}

async fn ids<C: ConnectionTrait>(db: &C, sql: &str) -> Result<Vec<i64>> {
    let b = db.get_database_backend();
    db.query_all_raw(sea_orm::Statement::from_string(b, sql.to_string()))
        .await?
        .iter()
        .map(|r| Ok(r.try_get_by_index::<i64>(0)?))
        .collect()
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Runs shorter than this stay in the list of [`among`].
const MIN_RANGE: usize = 4;
/// At most this many ranges in one condition of [`among`] (the longest runs; the rest go
/// in the list): SQLite refuses an expression nested deeper than 1,000, and a chain of
/// ORs nests one deeper per range.
const MAX_RANGES: usize = 64;

/// A condition that `column` is one of `ids`: runs of consecutive ids as ranges, the rest
/// as a list. An import's new records are such runs, and PostgreSQL takes about 70 ms to
/// plan a list of 10,000 literals where it plans a range at once.
fn among(column: &str, ids: &[i64]) -> String {
    // The longest runs as ranges, the rest as a list.
    let mut runs = crate::rows::runs(ids.to_vec());
    runs.sort_by_key(|(a, b)| std::cmp::Reverse(b - a));
    let mut ranges = Vec::new();
    let mut single = Vec::new();
    for (i, (a, b)) in runs.into_iter().enumerate() {
        if b - a + 1 >= MIN_RANGE as i64 && i < MAX_RANGES {
            ranges.push((a, b));
        } else {
            single.extend(a..=b);
        }
    }
    let mut parts = Vec::new();
    if !ranges.is_empty() {
        ranges.sort_unstable();
        parts.push(crate::rows::within(column, &ranges));
    }
    if !single.is_empty() {
        single.sort_unstable();
        parts.push(format!("{column} IN ({})", id_list(&single)));
    }
    match parts.len() {
        0 => "1 = 0".into(),
        1 if ranges.len() <= 1 => parts.remove(0),
        _ => format!("({})", parts.join(" OR ")),
    }
}

async fn rows<C: ConnectionTrait>(db: &C, sql: String) -> Result<Vec<QueryResult>> {
    let b = db.get_database_backend();
    Ok(db.query_all_raw(sea_orm::Statement::from_string(b, sql)).await?)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Db(DbErr::Custom(format!("unknown {what} {value:?} in the store")))
}

fn parse<T: Labelled>(what: &str, v: &str) -> Result<T> {
    T::parse_any(v).ok_or_else(|| corrupt(what, v))
}

/// Differences to add to the counters: summed by each fact's own division first, and
/// spread over the division's ancestors (its tally keys) once, when applied.
#[derive(Default)]
struct Delta(HashMap<String, HashMap<String, i64>>);

impl Delta {
    fn add(&mut self, fact: &dyn Fact, sign: i64) {
        let division = match self.0.get_mut(fact.division()) {
            Some(d) => d,
            None => self.0.entry(fact.division().to_owned()).or_default(),
        };
        for (metric, v) in fact.counts() {
            *division.entry(metric).or_default() += sign * v;
        }
    }

    async fn apply<C: ConnectionTrait>(self, db: &C) -> Result<()> {
        let mut spread: HashMap<(String, String), i64> = HashMap::new();
        for (division, metrics) in self.0 {
            let keys = tally_keys(&division);
            for (metric, v) in metrics {
                for k in &keys {
                    *spread.entry((k.clone(), metric.clone())).or_default() += v;
                }
            }
        }
        let mut changes: Vec<((String, String), i64)> = spread.into_iter().filter(|(_, v)| *v != 0).collect();
        // A fixed order, so that two writers on PostgreSQL lock counter rows alike.
        changes.sort();
        for chunk in changes.chunks(CHUNK) {
            let mut q = Query::insert();
            q.into_table("coverage_tally")
                .columns(["division_code", "metric", "value"]);
            for ((d, m), v) in chunk {
                q.values_panic([d.clone().into(), m.clone().into(), (*v).into()]);
            }
            q.on_conflict(
                OnConflict::columns(["division_code", "metric"])
                    .value(
                        "value",
                        Expr::col(("coverage_tally", "value")).add(Expr::col(("excluded", "value"))),
                    )
                    .to_owned(),
            );
            db.execute(&q).await?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
struct StoredUnit {
    fact: UnitFact,
    carrier_id: Option<i64>,
    full_members: i64,
}

#[derive(Debug, Clone, PartialEq)]
struct StoredCarrier {
    fact: CarrierFact,
    units_total: i64,
    units_covered: i64,
}

#[derive(Debug, Clone, PartialEq)]
struct StoredOrg {
    fact: OrgFact,
    units: i64,
}

/// A stored or recomputed fact row, and where it is kept.
trait Stored: PartialEq {
    const TABLE: &'static str;
    const KEY: &'static str;
    /// The columns after the key, in the order of [`Stored::values`].
    const COLUMNS: &'static [&'static str];
    fn values(&self) -> Vec<sea_orm::Value>;
    fn fact(&self) -> &dyn Fact;
    /// The carrier whose counts the row takes part in (units only).
    fn carrier(&self) -> Option<i64> {
        None
    }
}

impl Stored for StoredUnit {
    const TABLE: &'static str = "unit_facts";
    const KEY: &'static str = "unit_id";
    const COLUMNS: &'static [&'static str] = &[
        "division_code",
        "kind",
        "carrier_id",
        "carrier_kind",
        "status",
        "full_members",
        "own_org",
        "qualifying",
    ];
    fn values(&self) -> Vec<sea_orm::Value> {
        vec![
            self.fact.division.clone().into(),
            self.fact.kind.code().into(),
            self.carrier_id.into(),
            self.fact.carrier_kind.map(|k| k.code().to_string()).into(),
            self.fact.status.code().into(),
            self.full_members.into(),
            self.fact.own_org.into(),
            self.fact.qualifying.into(),
        ]
    }
    fn fact(&self) -> &dyn Fact {
        &self.fact
    }
    fn carrier(&self) -> Option<i64> {
        self.carrier_id
    }
}

impl Stored for StoredCarrier {
    const TABLE: &'static str = "carrier_facts";
    const KEY: &'static str = "carrier_id";
    const COLUMNS: &'static [&'static str] =
        &["division_code", "kind", "units_total", "units_covered", "fully_covered"];
    fn values(&self) -> Vec<sea_orm::Value> {
        vec![
            self.fact.division.clone().into(),
            self.fact.kind.code().into(),
            self.units_total.into(),
            self.units_covered.into(),
            self.fact.fully_covered.into(),
        ]
    }
    fn fact(&self) -> &dyn Fact {
        &self.fact
    }
}

impl Stored for StoredOrg {
    const TABLE: &'static str = "org_facts";
    const KEY: &'static str = "org_id";
    const COLUMNS: &'static [&'static str] =
        &["division_code", "kind", "units", "members_full", "members_probationary"];
    fn values(&self) -> Vec<sea_orm::Value> {
        vec![
            self.fact.division.clone().into(),
            self.fact.kind.code().into(),
            self.units.into(),
            self.fact.members_full.into(),
            self.fact.members_probationary.into(),
        ]
    }
    fn fact(&self) -> &dyn Fact {
        &self.fact
    }
}

/// Compares the stored and recomputed rows of `chunk`, adds the difference to `delta`,
/// notes the carriers of changed rows in `carriers`, and replaces the changed rows.
async fn write_changes<C: ConnectionTrait, T: Stored>(
    db: &C,
    chunk: &[i64],
    old: &HashMap<i64, T>,
    new: &HashMap<i64, T>,
    delta: &mut Delta,
    carriers: &mut BTreeSet<i64>,
) -> Result<()> {
    let mut changed = vec![];
    for id in chunk {
        let (o, n) = (old.get(id), new.get(id));
        if o == n {
            continue;
        }
        changed.push(*id);
        for (row, sign) in [(o, -1), (n, 1)] {
            if let Some(row) = row {
                delta.add(row.fact(), sign);
                carriers.extend(row.carrier());
            }
        }
    }
    let stale: Vec<i64> = changed.iter().copied().filter(|id| old.contains_key(id)).collect();
    if !stale.is_empty() {
        db.execute_unprepared(&format!("DELETE FROM {} WHERE {}", T::TABLE, among(T::KEY, &stale)))
            .await?;
    }
    let rows: Vec<Vec<sea_orm::Value>> = changed
        .iter()
        .filter_map(|id| {
            new.get(id)
                .map(|row| std::iter::once(sea_orm::Value::from(*id)).chain(row.values()).collect())
        })
        .collect();
    let columns: Vec<&str> = std::iter::once(T::KEY).chain(T::COLUMNS.iter().copied()).collect();
    crate::rows::insert_rows(db, T::TABLE, &columns, &rows, "").await?;
    Ok(())
}

fn flag(r: &QueryResult, i: usize) -> Result<bool> {
    Ok(r.try_get_by_index::<i64>(i)? != 0)
}

async fn stored_units<C: ConnectionTrait>(db: &C, chunk: &[i64]) -> Result<HashMap<i64, StoredUnit>> {
    let sql = format!(
        "SELECT unit_id, division_code, kind, carrier_id, carrier_kind, status, full_members, \
         CAST(CASE WHEN own_org THEN 1 ELSE 0 END AS BIGINT), CAST(CASE WHEN qualifying THEN 1 ELSE 0 END AS BIGINT) \
         FROM unit_facts WHERE {}",
        among("unit_id", chunk)
    );
    let mut out = HashMap::new();
    for r in rows(db, sql).await? {
        let status: String = r.try_get_by_index(5)?;
        let ck: Option<String> = r.try_get_by_index(4)?;
        out.insert(
            r.try_get_by_index::<i64>(0)?,
            StoredUnit {
                fact: UnitFact {
                    division: r.try_get_by_index(1)?,
                    kind: parse::<UnitKind>("unit kind", &r.try_get_by_index::<String>(2)?)?,
                    carrier_kind: ck.map(|k| parse::<CarrierKind>("carrier kind", &k)).transpose()?,
                    status: CoverageStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
                    own_org: flag(&r, 7)?,
                    qualifying: flag(&r, 8)?,
                },
                carrier_id: r.try_get_by_index(3)?,
                full_members: r.try_get_by_index(6)?,
            },
        );
    }
    Ok(out)
}

fn exists(cond: &str) -> String {
    format!("CAST(CASE WHEN EXISTS ({cond}) THEN 1 ELSE 0 END AS BIGINT)")
}

async fn computed_units<C: ConnectionTrait>(
    db: &C,
    rules: &CoverageRules,
    chunk: &[i64],
) -> Result<HashMap<i64, StoredUnit>> {
    let attached = |kind_cond: &str| {
        exists(&format!(
            "SELECT 1 FROM org_units ou JOIN party_orgs o ON o.id = ou.org_id \
             WHERE ou.unit_id = u.id AND o.archived = FALSE AND o.kind {kind_cond}"
        ))
    };
    let sql = format!(
        "SELECT u.id, u.division_code, u.kind, u.carrier_id, c.kind, \
         CAST(CASE WHEN u.instructor_id IS NULL THEN 0 ELSE 1 END AS BIGINT), {own}, {joint}, \
         CAST(CASE WHEN u.carrier_id IS NOT NULL AND EXISTS (SELECT 1 FROM party_orgs o \
           WHERE o.carrier_id = u.carrier_id AND o.archived = FALSE) THEN 1 ELSE 0 END AS BIGINT), \
         (SELECT COUNT(*) FROM members m WHERE m.work_unit_id = u.id AND m.archived = FALSE AND m.status = 'full') \
         FROM units u LEFT JOIN carriers c ON c.id = u.carrier_id \
         WHERE {ids} AND u.archived = FALSE",
        own = attached("<> 'joint_branch'"),
        joint = attached("= 'joint_branch'"),
        ids = among("u.id", chunk)
    );
    let mut out = HashMap::new();
    for r in rows(db, sql).await? {
        let full: i64 = r.try_get_by_index(9)?;
        let inputs = UnitInputs {
            has_instructor: flag(&r, 5)?,
            has_own_org: flag(&r, 6)?,
            in_joint_branch: flag(&r, 7)?,
            carrier_has_org: flag(&r, 8)?,
            full_members: u32::try_from(full).unwrap_or(u32::MAX),
        };
        let ck: Option<String> = r.try_get_by_index(4)?;
        out.insert(
            r.try_get_by_index::<i64>(0)?,
            StoredUnit {
                fact: UnitFact {
                    division: r.try_get_by_index(1)?,
                    kind: parse::<UnitKind>("unit kind", &r.try_get_by_index::<String>(2)?)?,
                    carrier_kind: ck.map(|k| parse::<CarrierKind>("carrier kind", &k)).transpose()?,
                    status: rules.status(&inputs),
                    qualifying: rules.qualifies(inputs.full_members),
                    own_org: inputs.has_own_org,
                },
                carrier_id: r.try_get_by_index(3)?,
                full_members: full,
            },
        );
    }
    Ok(out)
}

async fn stored_carriers<C: ConnectionTrait>(db: &C, sql: String) -> Result<HashMap<i64, StoredCarrier>> {
    let rules = CoverageRules::default();
    let mut out = HashMap::new();
    for r in rows(db, sql).await? {
        let (units_total, units_covered): (i64, i64) = (r.try_get_by_index(3)?, r.try_get_by_index(4)?);
        out.insert(
            r.try_get_by_index::<i64>(0)?,
            StoredCarrier {
                fact: CarrierFact {
                    division: r.try_get_by_index(1)?,
                    kind: parse::<CarrierKind>("carrier kind", &r.try_get_by_index::<String>(2)?)?,
                    fully_covered: rules.carrier_fully_covered(units_total as u64, units_covered as u64),
                },
                units_total,
                units_covered,
            },
        );
    }
    Ok(out)
}

async fn stored_orgs<C: ConnectionTrait>(db: &C, sql: String) -> Result<HashMap<i64, StoredOrg>> {
    let mut out = HashMap::new();
    for r in rows(db, sql).await? {
        out.insert(
            r.try_get_by_index::<i64>(0)?,
            StoredOrg {
                fact: OrgFact {
                    division: r.try_get_by_index(1)?,
                    kind: parse::<OrgKind>("organisation kind", &r.try_get_by_index::<String>(2)?)?,
                    members_full: r.try_get_by_index(4)?,
                    members_probationary: r.try_get_by_index(5)?,
                },
                units: r.try_get_by_index(3)?,
            },
        );
    }
    Ok(out)
}

/// Recomputes the facts of everything dirty and adds the differences to the counters.
/// Runs inside the caller's write transaction.
pub(crate) async fn refresh<C: ConnectionTrait>(db: &C, dirty: Dirty) -> Result<()> {
    refresh_with(db, dirty, &crate::bulk::Silent).await
}

/// [`refresh`], telling `progress` how many units, carriers and organisations are done.
pub(crate) async fn refresh_with<C: ConnectionTrait>(
    db: &C,
    dirty: Dirty,
    progress: &dyn crate::bulk::Progress,
) -> Result<()> {
    if dirty.is_empty() {
        return Ok(());
    }
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({LOCK_KEY})"))
            .await?;
    }
    let rules = super::rules(db).await?;
    let Dirty {
        units,
        fresh_units,
        mut carriers,
        mut orgs,
    } = dirty;
    let mut delta = Delta::default();
    let clock = std::time::Instant::now();
    progress.stage("coverage", (units.len() + carriers.len() + orgs.len()) as u64);

    let units: Vec<i64> = units.into_iter().collect();
    // Time per step, for the debug log.
    let (mut read, mut computed, mut attached, mut written) = Default::default();
    for chunk in units.chunks(CHUNK) {
        let mut lap = Lap::start();
        let stored: Vec<i64> = chunk.iter().copied().filter(|u| !fresh_units.contains(u)).collect();
        let old = if stored.is_empty() {
            HashMap::new()
        } else {
            stored_units(db, &stored).await?
        };
        lap.add_to(&mut read);
        let new = computed_units(db, &rules, chunk).await?;
        lap.add_to(&mut computed);
        // A unit's organisations count its attachment (over-limit joint branches).
        orgs.extend(
            ids(
                db,
                &format!(
                    "SELECT DISTINCT org_id FROM org_units WHERE {}",
                    among("unit_id", chunk)
                ),
            )
            .await?,
        );
        lap.add_to(&mut attached);
        write_changes(db, chunk, &old, &new, &mut delta, &mut carriers).await?;
        lap.add_to(&mut written);
        progress.advance(chunk.len() as u64);
    }
    tracing::debug!(?read, ?computed, ?attached, ?written, "unit facts refreshed");
    let after_units = clock.elapsed();

    let carriers: Vec<i64> = carriers.into_iter().collect();
    for chunk in carriers.chunks(CHUNK) {
        let old = stored_carriers(
            db,
            format!(
                "SELECT carrier_id, division_code, kind, units_total, units_covered FROM carrier_facts \
                 WHERE {}",
                among("carrier_id", chunk)
            ),
        )
        .await?;
        let new = stored_carriers(
            db,
            format!(
                "SELECT c.id, c.division_code, c.kind, \
                 (SELECT COUNT(*) FROM unit_facts f WHERE f.carrier_id = c.id), \
                 (SELECT COUNT(*) FROM unit_facts f WHERE f.carrier_id = c.id AND f.status <> 'uncovered') \
                 FROM carriers c WHERE {} AND c.archived = FALSE",
                among("c.id", chunk)
            ),
        )
        .await?;
        write_changes(db, chunk, &old, &new, &mut delta, &mut BTreeSet::new()).await?;
        progress.advance(chunk.len() as u64);
    }

    let orgs: Vec<i64> = orgs.into_iter().collect();
    for chunk in orgs.chunks(CHUNK) {
        let old = stored_orgs(
            db,
            format!(
                "SELECT org_id, division_code, kind, units, members_full, members_probationary FROM org_facts \
                 WHERE {}",
                among("org_id", chunk)
            ),
        )
        .await?;
        let new = stored_orgs(
            db,
            format!(
                "SELECT o.id, o.division_code, o.kind, \
                 (SELECT COUNT(*) FROM org_units ou JOIN units u ON u.id = ou.unit_id \
                   WHERE ou.org_id = o.id AND u.archived = FALSE), \
                 (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND m.archived = FALSE AND m.status = 'full'), \
                 (SELECT COUNT(*) FROM members m WHERE m.org_id = o.id AND m.archived = FALSE AND m.status = 'probationary') \
                 FROM party_orgs o WHERE {} AND o.archived = FALSE", among("o.id", chunk)
            ),
        )
        .await?;
        write_changes(db, chunk, &old, &new, &mut delta, &mut BTreeSet::new()).await?;
        progress.advance(chunk.len() as u64);
    }
    delta.apply(db).await?;
    tracing::debug!(units = ?after_units, all = ?clock.elapsed(), "coverage refreshed");
    Ok(())
}

/// Drops every fact and counter and recomputes them from the registry.
pub(crate) async fn rebuild<C: ConnectionTrait>(db: &C) -> Result<()> {
    for t in ["unit_facts", "carrier_facts", "org_facts", "coverage_tally"] {
        db.execute_unprepared(&format!("DELETE FROM {t}")).await?;
    }
    let mut d = Dirty::default();
    d.units
        .extend(ids(db, "SELECT id FROM units WHERE archived = FALSE").await?);
    d.carriers
        .extend(ids(db, "SELECT id FROM carriers WHERE archived = FALSE").await?);
    d.orgs
        .extend(ids(db, "SELECT id FROM party_orgs WHERE archived = FALSE").await?);
    refresh(db, d).await
}

#[cfg(test)]
mod tests {
    use super::among;
    use proptest::prelude::*;

    /// The ids a condition of [`among`] admits, read back from its text.
    fn admitted(sql: &str) -> std::collections::BTreeSet<i64> {
        let mut out = std::collections::BTreeSet::new();
        for part in sql.trim_start_matches('(').trim_end_matches(')').split(" OR ") {
            if let Some((_, r)) = part.split_once(" BETWEEN ") {
                let (a, b) = r.split_once(" AND ").expect("a range");
                out.extend(a.parse::<i64>().expect("from")..=b.parse::<i64>().expect("to"));
            } else if let Some((_, l)) = part.split_once(" IN (") {
                out.extend(
                    l.trim_end_matches(')')
                        .split(',')
                        .map(|v| v.parse::<i64>().expect("an id")),
                );
            }
        }
        out
    }

    #[test]
    fn runs_become_ranges_and_the_rest_a_list() {
        assert_eq!(among("id", &[]), "1 = 0");
        assert_eq!(among("id", &[7, 3]), "id IN (3,7)");
        assert_eq!(among("u.id", &[1, 2, 3, 4, 5]), "u.id BETWEEN 1 AND 5");
        assert_eq!(
            among("id", &[9, 1, 2, 3, 4, 20, 21]),
            "(id BETWEEN 1 AND 4 OR id IN (9,20,21))"
        );
    }

    /// Thousands of short runs (an import's joint branches of five consecutive units)
    /// make a condition SQLite can still parse: no deeper than its 1,000 levels.
    #[test]
    fn many_runs_stay_within_the_expression_depth() {
        let ids: Vec<i64> = (0..3000).flat_map(|r| (0..5).map(move |k| r * 10 + k)).collect();
        let sql = among("id", &ids);
        assert!(
            sql.matches(" OR ").count() <= super::MAX_RANGES,
            "{} ranges",
            sql.matches(" OR ").count()
        );
        assert_eq!(admitted(&sql), ids.iter().copied().collect());
    }

    proptest! {
        #[test]
        fn the_condition_admits_exactly_the_ids(ids in proptest::collection::vec(0i64..400, 0..200)) {
            let want: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
            prop_assert_eq!(admitted(&among("id", &ids)), want);
        }

        #[test]
        fn the_condition_admits_exactly_the_ids_of_many_runs(ids in proptest::collection::vec(0i64..20_000, 0..5_000)) {
            let want: std::collections::BTreeSet<i64> = ids.iter().copied().collect();
            let sql = among("id", &ids);
            prop_assert!(sql.matches(" OR ").count() <= super::MAX_RANGES);
            prop_assert_eq!(admitted(&sql), want);
        }
    }
}
