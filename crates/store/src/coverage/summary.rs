//! Figures of a territory: read from the counters (division subtrees), summed from
//! facts (organisation subtrees), or recounted plainly from the registry (checks).

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::coverage::{
    ALL_DIVISIONS, CarrierFact, CoverageStatus, Figures, OrgFact, Tally, UnitFact, UnitInputs, add_counts, metric,
};
use tongxin_domain::registry::{CarrierKind, Labelled, MemberStatus, OrgId, OrgKind, UnitKind};
use tongxin_domain::scope::Scope;

use crate::{Actor, Result, Store, StoreError};

/// The territory a summary is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Territory {
    /// The whole store (system administrators).
    All,
    /// A division and everything below it.
    Division(DivisionCode),
    /// An organisation and its subtree: the units attached to its organisations and the
    /// units in their carriers.
    Org(OrgId),
}

/// A territory its actor may see. Only [`Store::coverage_territory`] makes one, and the
/// coverage reads take nothing else: a read of a territory nobody checked does not
/// compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewable(Territory);

impl Viewable {
    pub fn territory(&self) -> &Territory {
        &self.0
    }
}

impl std::ops::Deref for Viewable {
    type Target = Territory;
    fn deref(&self) -> &Territory {
        &self.0
    }
}

impl Store {
    /// The territory a caller asked for, checked against their scope; with no request,
    /// the caller's own territory. Another territory answers `NotFound`.
    pub async fn coverage_territory(&self, actor: &Actor, asked: Option<Territory>) -> Result<Viewable> {
        actor.require(tongxin_domain::access::Action::ReadRegistry)?;
        let t = match (asked, &actor.scope) {
            (Some(t), _) => t,
            (None, Scope::All) => Territory::All,
            (None, Scope::Within { division: Some(d), .. }) => Territory::Division(d.clone()),
            (None, Scope::Within { org: Some(p), .. }) => Territory::Org(p.org()),
            (None, Scope::Within { .. }) => return Err(StoreError::NotFound),
        };
        match &t {
            Territory::All if actor.scope != Scope::All => return Err(StoreError::NotFound),
            Territory::Division(d) => {
                if !actor.scope.may_view_division(d) {
                    return Err(StoreError::NotFound);
                }
                if !self.division_exists(d).await? {
                    return Err(StoreError::UnknownDivision(d.to_string()));
                }
            }
            Territory::Org(id) => {
                self.get_org(actor, *id).await?;
            }
            Territory::All => {}
        }
        Ok(Viewable(t))
    }

    /// The coverage figures of a territory (already checked by
    /// [`Store::coverage_territory`]). A division's figures are a read of its counters.
    pub async fn coverage_summary(&self, t: &Viewable) -> Result<Figures> {
        match t.territory() {
            Territory::All => Ok(Figures::from_tally(None, None, &self.tally(ALL_DIVISIONS).await?)),
            Territory::Division(d) => Ok(Figures::from_tally(
                Some(d.to_string()),
                None,
                &self.tally(d.as_str()).await?,
            )),
            Territory::Org(id) => self.org_summary(*id).await,
        }
    }

    /// The counters of several divisions at once (a drill-down table), of those inside
    /// the checked territory `within` (others are left out).
    pub async fn coverage_summaries(&self, within: &Viewable, codes: &[String]) -> Result<HashMap<String, Figures>> {
        let codes: Vec<String> = codes
            .iter()
            .filter(|c| match within.territory() {
                Territory::All => true,
                Territory::Division(d) => c.starts_with(d.as_str()),
                Territory::Org(_) => false,
            })
            .cloned()
            .collect();
        let codes = codes.as_slice();
        let mut tallies: HashMap<String, Tally> = codes.iter().map(|c| (c.clone(), Tally::new())).collect();
        for chunk in codes.chunks(500) {
            let b = self.read.get_database_backend();
            let marks = placeholders(b, chunk.len());
            let sql =
                format!("SELECT division_code, metric, value FROM coverage_tally WHERE division_code IN ({marks})");
            let rows = self
                .read
                .query_all_raw(Statement::from_sql_and_values(
                    b,
                    sql,
                    chunk.iter().map(|c| c.clone().into()),
                ))
                .await?;
            for r in rows {
                let d: String = r.try_get_by_index(0)?;
                if let Some(t) = tallies.get_mut(&d) {
                    t.insert(r.try_get_by_index(1)?, r.try_get_by_index(2)?);
                }
            }
        }
        Ok(tallies
            .into_iter()
            .map(|(d, t)| (d.clone(), Figures::from_tally(Some(d), None, &t)))
            .collect())
    }

    pub(crate) async fn tally(&self, key: &str) -> Result<Tally> {
        let b = self.read.get_database_backend();
        let sql = format!(
            "SELECT metric, value FROM coverage_tally WHERE division_code = {}",
            placeholders(b, 1)
        );
        let rows = self
            .read
            .query_all_raw(Statement::from_sql_and_values(b, sql, [key.into()]))
            .await?;
        rows.into_iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect()
    }

    /// The sum of the counters `names` of the territory `key` (one row read).
    pub(crate) async fn tally_sum(&self, key: &str, names: &[String]) -> Result<i64> {
        let b = self.read.get_database_backend();
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(value), 0) AS BIGINT) FROM coverage_tally WHERE division_code = {} AND metric IN ({})",
            placeholders(b, 1),
            placeholders_from(b, 2, names.len())
        );
        let values = std::iter::once(key.into()).chain(names.iter().map(|n| n.as_str().into()));
        let row = self
            .read
            .query_one_raw(Statement::from_sql_and_values(b, sql, values))
            .await?;
        Ok(match row {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        })
    }

    async fn org_summary(&self, id: OrgId) -> Result<Figures> {
        let path = self.org_path(id).await?;
        let (lo, hi) = path.subtree_range();
        // OrgPath holds only digits and slashes: safe inline.
        let orgs = format!("SELECT id FROM party_orgs WHERE path >= '{lo}' AND path < '{hi}' AND archived = FALSE");
        let carriers = format!("SELECT carrier_id FROM party_orgs WHERE id IN ({orgs}) AND carrier_id IS NOT NULL");
        let mut t = Tally::new();
        let q = |sql: String| {
            let b = self.read.get_database_backend();
            self.read.query_all_raw(Statement::from_string(b, sql))
        };
        for r in q(format!(
            "SELECT division_code, kind, carrier_kind, status, \
             CAST(CASE WHEN qualifying THEN 1 ELSE 0 END AS BIGINT), CAST(CASE WHEN own_org THEN 1 ELSE 0 END AS BIGINT) \
             FROM unit_facts WHERE unit_id IN (SELECT unit_id FROM org_units WHERE org_id IN ({orgs})) \
             OR carrier_id IN ({carriers})"
        ))
        .await?
        {
            let ck: Option<String> = r.try_get_by_index(2)?;
            let status: String = r.try_get_by_index(3)?;
            let fact = UnitFact {
                division: r.try_get_by_index(0)?,
                kind: label::<UnitKind>(&r.try_get_by_index::<String>(1)?)?,
                carrier_kind: ck.as_deref().map(label::<CarrierKind>).transpose()?,
                status: CoverageStatus::parse(&status).ok_or(StoreError::NotFound)?,
                qualifying: r.try_get_by_index::<i64>(4)? != 0,
                own_org: r.try_get_by_index::<i64>(5)? != 0,
            };
            add_counts(&mut t, &fact, 1);
        }
        for r in q(format!(
            "SELECT division_code, kind, CAST(CASE WHEN fully_covered THEN 1 ELSE 0 END AS BIGINT) \
             FROM carrier_facts WHERE carrier_id IN ({carriers})"
        ))
        .await?
        {
            let fact = CarrierFact {
                division: r.try_get_by_index(0)?,
                kind: label::<CarrierKind>(&r.try_get_by_index::<String>(1)?)?,
                fully_covered: r.try_get_by_index::<i64>(2)? != 0,
            };
            add_counts(&mut t, &fact, 1);
        }
        for r in q(format!(
            "SELECT division_code, kind, members_full, members_probationary FROM org_facts WHERE org_id IN ({orgs})"
        ))
        .await?
        {
            let fact = OrgFact {
                division: r.try_get_by_index(0)?,
                kind: label::<OrgKind>(&r.try_get_by_index::<String>(1)?)?,
                members_full: r.try_get_by_index(2)?,
                members_probationary: r.try_get_by_index(3)?,
            };
            add_counts(&mut t, &fact, 1);
        }
        Ok(Figures::from_tally(None, Some(id.0), &t))
    }

    /// The figures of a division subtree (or the whole store) recounted plainly from the
    /// registry with the rules, bypassing facts and counters. Slow; for checks and tests
    /// (`tongxin coverage check`).
    /// Only for a division or the whole store (`NotFound` for an organisation's subtree).
    pub async fn coverage_recount(&self, t: &Viewable) -> Result<Figures> {
        let division = match t.territory() {
            Territory::All => None,
            Territory::Division(d) => Some(d),
            Territory::Org(_) => return Err(StoreError::NotFound),
        };
        let rules = super::rules(&self.read).await?;
        let inside = |d: &str| division.is_none_or(|c| d.starts_with(c.as_str()));
        let b = self.read.get_database_backend();
        let all = |sql: &str| self.read.query_all_raw(Statement::from_string(b, sql.to_string()));

        struct Org {
            kind: OrgKind,
            carrier: Option<i64>,
            division: String,
        }
        let mut orgs: HashMap<i64, Org> = HashMap::new();
        for r in all("SELECT id, kind, carrier_id, division_code FROM party_orgs WHERE archived = FALSE").await? {
            orgs.insert(
                r.try_get_by_index(0)?,
                Org {
                    kind: label(&r.try_get_by_index::<String>(1)?)?,
                    carrier: r.try_get_by_index(2)?,
                    division: r.try_get_by_index(3)?,
                },
            );
        }
        let carrier_orgs: HashSet<i64> = orgs.values().filter_map(|o| o.carrier).collect();
        let mut own: HashSet<i64> = HashSet::new();
        let mut joint: HashSet<i64> = HashSet::new();
        for r in all("SELECT org_id, unit_id FROM org_units").await? {
            let (o, u): (i64, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
            match orgs.get(&o).map(|o| o.kind) {
                Some(OrgKind::JointBranch) => joint.insert(u),
                Some(_) => own.insert(u),
                None => false,
            };
        }
        let mut full_by_unit: HashMap<i64, u32> = HashMap::new();
        let mut t = Tally::new();
        for r in all("SELECT org_id, work_unit_id, status FROM members WHERE archived = FALSE").await? {
            let (org, unit, status): (i64, Option<i64>, String) =
                (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
            let Some(status) = MemberStatus::parse_any(&status) else {
                continue;
            };
            if status == MemberStatus::Full
                && let Some(u) = unit
            {
                *full_by_unit.entry(u).or_default() += 1;
            }
            if orgs.get(&org).is_some_and(|o| inside(&o.division)) {
                *t.entry(metric::members(status)).or_default() += 1;
            }
        }
        for o in orgs.values().filter(|o| inside(&o.division)) {
            *t.entry(metric::org(o.kind)).or_default() += 1;
        }
        let mut carrier_kinds: HashMap<i64, (CarrierKind, bool, String)> = HashMap::new();
        for r in all("SELECT id, kind, archived, division_code FROM carriers").await? {
            carrier_kinds.insert(
                r.try_get_by_index(0)?,
                (
                    label(&r.try_get_by_index::<String>(1)?)?,
                    r.try_get::<bool>("", "archived")?,
                    r.try_get_by_index(3)?,
                ),
            );
        }
        let mut per_carrier: HashMap<i64, (u64, u64)> = HashMap::new();
        for r in
            all("SELECT id, division_code, kind, carrier_id, instructor_id FROM units WHERE archived = FALSE").await?
        {
            let id: i64 = r.try_get_by_index(0)?;
            let division: String = r.try_get_by_index(1)?;
            let carrier: Option<i64> = r.try_get_by_index(3)?;
            let instructor: Option<i64> = r.try_get_by_index(4)?;
            let inputs = UnitInputs {
                has_own_org: own.contains(&id),
                in_joint_branch: joint.contains(&id),
                has_instructor: instructor.is_some(),
                carrier_has_org: carrier.is_some_and(|c| carrier_orgs.contains(&c)),
                full_members: full_by_unit.get(&id).copied().unwrap_or(0),
            };
            let status = rules.status(&inputs);
            if let Some(c) = carrier {
                let e = per_carrier.entry(c).or_default();
                e.0 += 1;
                e.1 += u64::from(status.is_covered());
            }
            if !inside(&division) {
                continue;
            }
            let fact = UnitFact {
                division,
                kind: label(&r.try_get_by_index::<String>(2)?)?,
                carrier_kind: carrier.and_then(|c| carrier_kinds.get(&c)).map(|c| c.0),
                status,
                qualifying: rules.qualifies(inputs.full_members),
                own_org: inputs.has_own_org,
            };
            add_counts(&mut t, &fact, 1);
        }
        for (id, (kind, archived, d)) in &carrier_kinds {
            if *archived || !inside(d) {
                continue;
            }
            let (n, covered) = per_carrier.get(id).copied().unwrap_or((0, 0));
            let fact = CarrierFact {
                division: d.clone(),
                kind: *kind,
                fully_covered: rules.carrier_fully_covered(n, covered),
            };
            add_counts(&mut t, &fact, 1);
        }
        Ok(Figures::from_tally(division.map(|d| d.to_string()), None, &t))
    }
}

fn label<T: Labelled>(v: &str) -> Result<T> {
    T::parse_any(v).ok_or_else(|| StoreError::Db(sea_orm::DbErr::Custom(format!("unknown value {v:?} in the store"))))
}

/// `?, ?, …` or `$1, $2, …` for `n` bound values.
pub(crate) fn placeholders(b: DbBackend, n: usize) -> String {
    placeholders_from(b, 1, n)
}

/// `n` placeholders numbered from `first`.
fn placeholders_from(b: DbBackend, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| match b {
            DbBackend::Postgres => format!("${i}"),
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}
