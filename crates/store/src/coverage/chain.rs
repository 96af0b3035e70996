//! Chain coverage ("HQ drives the network", 总部带网点 / 龙头带链条): a platform or lead
//! firm's network of franchisees and suppliers, across districts, and its coverage.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;
use tongxin_domain::coverage::{CoverageStatus, UnitCounts};
use tongxin_domain::registry::{Labelled, UnitId, UnitLinkKind};

use crate::{Actor, Result, Store};

/// Units a network holds at most (a larger one is cut, and says so).
const NETWORK_MAX: usize = 20_000;

/// One unit of a network.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ChainUnit {
    pub id: UnitId,
    pub name: String,
    pub division_code: String,
    /// How it joins the network: `franchisee_of`, `supplier_of`, `headquarters_of`
    /// (a branch of the lead's headquarters), at `depth` links from the lead.
    pub relation: String,
    pub relation_label: String,
    pub depth: u32,
    pub status: Option<CoverageStatus>,
}

/// A district's share of a network.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ChainDistrict {
    pub code: String,
    pub name: String,
    pub units: UnitCounts,
}

/// The coverage of a lead firm's network.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct ChainCoverage {
    pub lead_id: UnitId,
    pub lead_name: String,
    pub lead_status: Option<CoverageStatus>,
    /// The network without the lead: counts over every unit, wherever it is.
    pub network: UnitCounts,
    pub org_coverage_rate: Option<f64>,
    pub work_coverage_rate: Option<f64>,
    pub by_district: Vec<ChainDistrict>,
    /// The network's units in the caller's territory (others are counted, not named).
    pub units: Vec<ChainUnit>,
    pub units_outside_territory: u64,
    /// The network was larger than can be shown and was cut.
    pub truncated: bool,
}

fn add(c: &mut UnitCounts, s: Option<CoverageStatus>) {
    c.total += 1;
    match s {
        Some(CoverageStatus::Organisational) => c.org_covered += 1,
        Some(CoverageStatus::Work) => c.work_covered += 1,
        _ => c.uncovered += 1,
    }
}

impl Store {
    /// The network of the lead unit `id` (which must be in the caller's territory):
    /// units it is headquarters of, and units that are its franchisees or suppliers,
    /// followed link by link.
    pub async fn chain_coverage(&self, actor: &Actor, lead_id: UnitId) -> Result<ChainCoverage> {
        let lead = self.get_unit(actor, lead_id).await?;
        let id = lead_id.0;
        let b = self.read.get_database_backend();
        let mut seen: HashMap<i64, (String, u32)> = HashMap::new();
        let mut queue = VecDeque::from([(id, 0u32)]);
        let mut visited = HashSet::from([id]);
        let mut truncated = false;
        while let Some((u, depth)) = queue.pop_front() {
            // Downstream of `u`: what it heads, and who franchises from or supplies it.
            let rows = self
                .read
                .query_all_raw(Statement::from_string(
                    b,
                    format!(
                        "SELECT other_unit_id, kind FROM unit_links WHERE unit_id = {u} AND kind = 'headquarters_of' \
                         UNION SELECT unit_id, kind FROM unit_links WHERE other_unit_id = {u} \
                         AND kind IN ('franchisee_of', 'supplier_of')"
                    ),
                ))
                .await?;
            for r in rows {
                let (other, kind): (i64, String) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
                if visited.insert(other) {
                    if seen.len() >= NETWORK_MAX {
                        truncated = true;
                        continue;
                    }
                    seen.insert(other, (kind, depth + 1));
                    queue.push_back((other, depth + 1));
                }
            }
        }
        // Names, places and coverage of the network (archived units drop out).
        let ids: Vec<i64> = seen.keys().copied().chain([id]).collect();
        let mut facts: HashMap<i64, (String, String, Option<CoverageStatus>)> = HashMap::new();
        for chunk in ids.chunks(1000) {
            let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            for r in self
                .read
                .query_all_raw(Statement::from_string(
                    b,
                    format!(
                        "SELECT u.id, u.name, u.division_code, f.status FROM units u \
                         LEFT JOIN unit_facts f ON f.unit_id = u.id WHERE u.id IN ({list}) AND u.archived = FALSE"
                    ),
                ))
                .await?
            {
                let status: Option<String> = r.try_get_by_index(3)?;
                facts.insert(
                    r.try_get_by_index(0)?,
                    (
                        r.try_get_by_index(1)?,
                        r.try_get_by_index(2)?,
                        status.as_deref().and_then(CoverageStatus::parse),
                    ),
                );
            }
        }
        let mut network = UnitCounts::default();
        let mut districts: BTreeMap<String, UnitCounts> = BTreeMap::new();
        let mut units = vec![];
        let mut outside = 0;
        let mut members: Vec<(&i64, &(String, u32))> = seen.iter().collect();
        members.sort_by_key(|(id, (_, depth))| (*depth, **id));
        for (uid, (relation, depth)) in members {
            let Some((name, division, status)) = facts.get(uid) else {
                continue;
            };
            add(&mut network, *status);
            add(
                districts.entry(division.chars().take(6).collect()).or_default(),
                *status,
            );
            let visible = match &actor.scope {
                tongxin_domain::scope::Scope::All => true,
                s => tongxin_domain::codes::DivisionCode::parse(division).is_ok_and(|d| s.covers(&d, None)),
            };
            if visible {
                units.push(ChainUnit {
                    id: UnitId(*uid),
                    name: name.clone(),
                    division_code: division.clone(),
                    relation_label: UnitLinkKind::parse_any(relation)
                        .map(|k| k.label_zh())
                        .unwrap_or_default()
                        .to_string(),
                    relation: relation.clone(),
                    depth: *depth,
                    status: *status,
                });
            } else {
                outside += 1;
            }
        }
        let names = self.division_names(districts.keys().cloned()).await?;
        let rate = |part: i64| (network.total > 0).then(|| part as f64 / network.total as f64);
        Ok(ChainCoverage {
            lead_id,
            lead_name: lead.name,
            lead_status: facts.get(&id).and_then(|f| f.2),
            org_coverage_rate: rate(network.org_covered),
            work_coverage_rate: rate(network.org_covered + network.work_covered),
            network,
            by_district: districts
                .into_iter()
                .map(|(code, units)| ChainDistrict {
                    name: names.get(&code).cloned().unwrap_or_default(),
                    code,
                    units,
                })
                .collect(),
            units,
            units_outside_territory: outside,
            truncated,
        })
    }
}

/// Where one unit stands (its fact, as the counters count it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnitStanding {
    pub status: CoverageStatus,
    /// It has enough full members to set up its own organisation (Party Constitution
    /// Art. 30: three or more).
    pub qualifying: bool,
    /// It has an organisation of its own.
    pub own_org: bool,
}

impl Store {
    /// Where a unit in the caller's territory stands: covered by what, or not.
    pub async fn unit_standing(&self, actor: &Actor, id: UnitId) -> Result<Option<UnitStanding>> {
        self.get_unit(actor, id).await?;
        let b = self.read.get_database_backend();
        let sql = format!(
            "SELECT status, CAST(CASE WHEN qualifying THEN 1 ELSE 0 END AS BIGINT), \
             CAST(CASE WHEN own_org THEN 1 ELSE 0 END AS BIGINT) FROM unit_facts WHERE unit_id = {}",
            id.0
        );
        let Some(r) = self.read.query_one_raw(Statement::from_string(b, sql)).await? else {
            return Ok(None);
        };
        let status: String = r.try_get_by_index(0)?;
        Ok(CoverageStatus::parse(&status).map(|status| -> UnitStanding {
            UnitStanding {
                status,
                qualifying: r.try_get_by_index::<i64>(1).unwrap_or(0) != 0,
                own_org: r.try_get_by_index::<i64>(2).unwrap_or(0) != 0,
            }
        }))
    }
}
