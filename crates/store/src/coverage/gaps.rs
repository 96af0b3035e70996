//! Gap lists: what to fix next in a territory. Uncovered units, units that should set up
//! their own organisation, carriers not fully covered (with their uncovered units),
//! branches over their limits, and committee terms to renew (换届).

use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use serde::Serialize;
use tongxin_domain::coverage::{CoverageRules, CoverageStatus, Renewal};
use tongxin_domain::registry::{CarrierId, CarrierKind, Labelled, OrgKind, UnitId, UnitKind};

use super::{Territory, Viewable};
use crate::registry::{ListQuery, Page};
use crate::{Result, Store, StoreError};

/// Which gap list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Units neither organisationally nor work covered.
    UncoveredUnits,
    /// Units with enough full members and no organisation of their own.
    ShouldSetUp,
    /// Carriers with no unit, or with an uncovered unit.
    CarriersNotCovered,
    /// Joint branches over their unit limit, branches over their member limit.
    OverLimit,
    /// Committees whose term has ended or ends within the notice window.
    Renewals,
}

impl GapKind {
    pub const ALL: [GapKind; 5] = [
        Self::UncoveredUnits,
        Self::ShouldSetUp,
        Self::CarriersNotCovered,
        Self::OverLimit,
        Self::Renewals,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Self::UncoveredUnits => "uncovered_units",
            Self::ShouldSetUp => "should_set_up",
            Self::CarriersNotCovered => "carriers_not_covered",
            Self::OverLimit => "over_limit",
            Self::Renewals => "renewals",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// The kind filter's values (unit, carrier or organisation kinds).
    pub fn kind_codes(&self) -> Vec<(&'static str, &'static str)> {
        fn all<T: Labelled>() -> Vec<(&'static str, &'static str)> {
            T::ALL.iter().map(|k| (k.code(), k.label_zh())).collect()
        }
        match self {
            Self::UncoveredUnits | Self::ShouldSetUp => all::<UnitKind>(),
            Self::CarriersNotCovered => all::<CarrierKind>(),
            Self::OverLimit | Self::Renewals => all::<OrgKind>(),
        }
    }

    /// The columns a list may be sorted by (the first is the default).
    pub fn sort_columns(&self) -> &'static [&'static str] {
        match self {
            Self::UncoveredUnits => &["name", "division", "full_members"],
            Self::ShouldSetUp => &["full_members", "name", "division"],
            Self::CarriersNotCovered => &["name", "division", "units_total", "units_uncovered"],
            Self::OverLimit => &["members", "name", "division", "units"],
            Self::Renewals => &["term_ends_on", "name", "division"],
        }
    }
}

/// A unit that is uncovered or should set up its own organisation, for the carrier list.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct UnitRef {
    pub id: UnitId,
    pub name: String,
}

/// One row of a gap list; which fields are filled depends on the list.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct GapRow {
    /// `unit`, `carrier` or `party_org`: with `id`, the record to fix (the id is of
    /// that kind, so it stays a plain number here).
    pub entity: &'static str,
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub division_code: String,
    pub division_name: String,
    /// Units: the carrier they sit in.
    pub carrier_id: Option<CarrierId>,
    pub carrier_name: Option<String>,
    /// Units: full members working there; organisations: members.
    pub full_members: Option<i64>,
    /// Units: organisational, work or uncovered.
    pub status: Option<CoverageStatus>,
    /// Carriers and organisations: units counted.
    pub units: Option<i64>,
    /// Carriers: uncovered units (the first 20).
    pub units_uncovered: Option<i64>,
    pub uncovered: Vec<UnitRef>,
    /// Organisations: all members.
    pub members: Option<i64>,
    /// Over-limit organisations: `joint_branch_units`, `branch_members` (or both).
    pub reasons: Vec<&'static str>,
    pub secretary: Option<String>,
    pub term_ends_on: Option<NaiveDate>,
    pub renewal: Option<Renewal>,
}

impl GapRow {
    fn new(entity: &'static str, id: i64, name: String, kind: String, kind_label: &str, division: String) -> GapRow {
        GapRow {
            entity,
            id,
            name,
            kind,
            kind_label: kind_label.to_string(),
            division_code: division,
            division_name: String::new(),
            carrier_id: None,
            carrier_name: None,
            full_members: None,
            status: None,
            units: None,
            units_uncovered: None,
            uncovered: vec![],
            members: None,
            reasons: vec![],
            secretary: None,
            term_ends_on: None,
            renewal: None,
        }
    }

    /// The console page of the record to fix.
    pub fn link(&self) -> String {
        let base = match self.entity {
            "unit" => "units",
            "carrier" => "carriers",
            _ => "orgs",
        };
        format!("/{base}/{}", self.id)
    }
}

/// SQL with bound values in the backend's placeholder style.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Sql {
        Sql {
            backend,
            text: String::new(),
            values: vec![],
        }
    }
    fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }
    fn bind(&mut self, v: impl Into<Value>) -> &mut Self {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => {
                let n = self.values.len();
                self.text.push_str(&format!("${n}"));
            }
            _ => self.text.push('?'),
        }
        self
    }
    fn statement(&self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text.clone(), self.values.clone())
    }
}

/// Keeps rows whose division column lies in the territory; for an organisation subtree,
/// rows that `subtree` (a condition) says belong to it.
fn territory_filter(sql: &mut Sql, t: &Territory, division_col: &str, subtree: impl Fn() -> String) {
    match t {
        Territory::All => {}
        Territory::Division(d) => {
            let (lo, hi) = d.subtree_range();
            sql.push(&format!(" AND {division_col} >= ")).bind(lo);
            sql.push(&format!(" AND {division_col} < ")).bind(hi);
        }
        Territory::Org(_) => {
            sql.push(" AND ").push(&subtree());
        }
    }
}

impl Store {
    /// One page of a gap list for a territory already checked by
    /// [`Store::coverage_territory`]. `q.q` searches names, `q.kind` filters by kind.
    pub async fn coverage_gaps(&self, t: &Viewable, kind: GapKind, q: &ListQuery) -> Result<Page<GapRow>> {
        let rules = super::rules(&self.read).await?;
        let today = chrono::Local::now().date_naive();
        let orgs_sql = match t.territory() {
            Territory::Org(id) => {
                let path = self.org_path(*id).await?;
                let (lo, hi) = path.subtree_range();
                // An OrgPath holds only digits and slashes: safe inline.
                format!("SELECT id FROM party_orgs WHERE path >= '{lo}' AND path < '{hi}' AND archived = FALSE")
            }
            _ => String::new(),
        };
        let subtree_units = format!(
            "(u.id IN (SELECT unit_id FROM org_units WHERE org_id IN ({orgs_sql})) \
             OR u.carrier_id IN (SELECT carrier_id FROM party_orgs WHERE id IN ({orgs_sql})))"
        );
        let b = self.read.get_database_backend();
        let mut sql = Sql::new(b);
        let cols = kind.sort_columns();
        // Each list has its own default order (the most pressing first).
        let (sort, desc) = match q.sort {
            Some(_) => q.sort_by(cols),
            None => (cols[0], matches!(kind, GapKind::ShouldSetUp | GapKind::OverLimit)),
        };
        let order = |col: &str| format!(" ORDER BY {col} {}, id", if desc { "DESC" } else { "ASC" });
        let (select, order_by) = match kind {
            GapKind::UncoveredUnits | GapKind::ShouldSetUp => {
                sql.push(
                    "SELECT u.id AS id, u.name AS name, u.kind AS kind, f.division_code AS division, \
                     u.carrier_id AS carrier_id, c.name AS carrier_name, f.full_members AS full_members, f.status AS status \
                     FROM unit_facts f JOIN units u ON u.id = f.unit_id LEFT JOIN carriers c ON c.id = f.carrier_id WHERE ",
                );
                sql.push(if kind == GapKind::UncoveredUnits {
                    "f.status = 'uncovered'"
                } else {
                    "f.qualifying = TRUE AND f.own_org = FALSE"
                });
                territory_filter(&mut sql, t, "f.division_code", || subtree_units.clone());
                if let Some(k) = q.kind.as_deref().and_then(UnitKind::parse_any) {
                    sql.push(" AND u.kind = ").bind(k.code());
                }
                ("unit", order(sort))
            }
            GapKind::CarriersNotCovered => {
                sql.push(
                    "SELECT c.id AS id, c.name AS name, c.kind AS kind, f.division_code AS division, \
                     f.units_total AS units_total, f.units_total - f.units_covered AS units_uncovered \
                     FROM carrier_facts f JOIN carriers c ON c.id = f.carrier_id WHERE f.fully_covered = FALSE",
                );
                territory_filter(&mut sql, t, "f.division_code", || {
                    format!("c.id IN (SELECT carrier_id FROM party_orgs WHERE id IN ({orgs_sql}))")
                });
                if let Some(k) = q.kind.as_deref().and_then(CarrierKind::parse_any) {
                    sql.push(" AND c.kind = ").bind(k.code());
                }
                ("carrier", order(sort))
            }
            GapKind::OverLimit => {
                sql.push(&format!(
                    "SELECT o.id AS id, o.name AS name, o.kind AS kind, f.division_code AS division, \
                     f.units AS units, f.members_full + f.members_probationary AS members, o.secretary AS secretary \
                     FROM org_facts f JOIN party_orgs o ON o.id = f.org_id \
                     WHERE ((f.kind = 'joint_branch' AND f.units > {j}) \
                     OR (f.kind IN ('branch', 'joint_branch') AND f.members_full + f.members_probationary > {m}))",
                    j = rules.joint_branch_max_units,
                    m = rules.branch_max_members
                ));
                territory_filter(&mut sql, t, "f.division_code", || format!("o.id IN ({orgs_sql})"));
                if let Some(k) = q.kind.as_deref().and_then(OrgKind::parse_any) {
                    sql.push(" AND o.kind = ").bind(k.code());
                }
                ("party_org", order(sort))
            }
            GapKind::Renewals => {
                sql.push(
                    "SELECT o.id AS id, o.name AS name, o.kind AS kind, o.division_code AS division, \
                     o.secretary AS secretary, o.term_ends_on AS term_ends_on FROM party_orgs o \
                     WHERE o.archived = FALSE AND o.term_ends_on IS NOT NULL AND o.term_ends_on <= ",
                )
                .bind(rules.renewal_horizon(today));
                territory_filter(&mut sql, t, "o.division_code", || format!("o.id IN ({orgs_sql})"));
                if let Some(k) = q.kind.as_deref().and_then(OrgKind::parse_any) {
                    sql.push(" AND o.kind = ").bind(k.code());
                }
                ("party_org", order(sort))
            }
        };
        let entity = select;
        if let Some(s) = q.search() {
            let col = match entity {
                "unit" => "u.name",
                "carrier" => "c.name",
                _ => "o.name",
            };
            sql.push(&format!(" AND {col} LIKE "))
                .bind(format!("%{}%", crate::registry::like_escape(&s)))
                .push(" ESCAPE '\\'");
        }
        let count_sql = Sql {
            backend: b,
            text: format!("SELECT COUNT(*) FROM ({}) AS gap", sql.text),
            values: sql.values.clone(),
        };
        let total: i64 = match self.read.query_one_raw(count_sql.statement()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        let (page, per_page) = (q.page(), q.per_page());
        let paged = Sql {
            backend: b,
            text: format!(
                "SELECT * FROM ({}) AS gap{} LIMIT {per_page} OFFSET {}",
                sql.text,
                order_by,
                (page - 1) * per_page
            ),
            values: sql.values.clone(),
        };
        let rows = self.read.query_all_raw(paged.statement()).await?;
        let mut items = rows
            .iter()
            .map(|r| gap_row(kind, r, &rules, today))
            .collect::<Result<Vec<_>>>()?;
        let names = self
            .division_names(items.iter().map(|i| i.division_code.clone()))
            .await?;
        for i in &mut items {
            i.division_name = names.get(&i.division_code).cloned().unwrap_or_default();
        }
        if kind == GapKind::CarriersNotCovered && !items.is_empty() {
            self.attach_uncovered_units(&mut items).await?;
        }
        Ok(Page {
            items,
            total: u64::try_from(total).unwrap_or(0),
            total_exact: true,
            page,
            per_page,
            next_after: None,
        })
    }

    /// Fills in each carrier's uncovered units (the first 20, by name).
    async fn attach_uncovered_units(&self, items: &mut [GapRow]) -> Result<()> {
        let ids: Vec<String> = items.iter().map(|i| i.id.to_string()).collect();
        let b = self.read.get_database_backend();
        let rows = self
            .read
            .query_all_raw(Statement::from_string(
                b,
                format!(
                    "SELECT f.carrier_id, u.id, u.name FROM unit_facts f JOIN units u ON u.id = f.unit_id \
                     WHERE f.carrier_id IN ({}) AND f.status = 'uncovered' ORDER BY u.name, u.id",
                    ids.join(",")
                ),
            ))
            .await?;
        let mut by_carrier: HashMap<i64, Vec<UnitRef>> = HashMap::new();
        for r in rows {
            let list = by_carrier.entry(r.try_get_by_index(0)?).or_default();
            if list.len() < 20 {
                list.push(UnitRef {
                    id: UnitId(r.try_get_by_index(1)?),
                    name: r.try_get_by_index(2)?,
                });
            }
        }
        for i in items {
            i.uncovered = by_carrier.remove(&i.id).unwrap_or_default();
        }
        Ok(())
    }

    /// How many rows each gap list has in a territory (the dashboard's gap counts).
    pub async fn coverage_gap_counts(&self, t: &Viewable) -> Result<Vec<(GapKind, u64)>> {
        let q = ListQuery {
            per_page: Some(1),
            ..Default::default()
        };
        let mut out = vec![];
        for k in GapKind::ALL {
            out.push((k, self.coverage_gaps(t, k, &q).await?.total));
        }
        Ok(out)
    }
}

fn label<T: Labelled>(v: &str) -> Result<T> {
    T::parse_any(v).ok_or_else(|| StoreError::Db(sea_orm::DbErr::Custom(format!("unknown value {v:?} in the store"))))
}

fn gap_row(kind: GapKind, r: &QueryResult, rules: &CoverageRules, today: NaiveDate) -> Result<GapRow> {
    let id: i64 = r.try_get("", "id")?;
    let name: String = r.try_get("", "name")?;
    let k: String = r.try_get("", "kind")?;
    let division: String = r.try_get("", "division")?;
    Ok(match kind {
        GapKind::UncoveredUnits | GapKind::ShouldSetUp => {
            let mut row = GapRow::new("unit", id, name, k.clone(), label::<UnitKind>(&k)?.label_zh(), division);
            row.carrier_id = r.try_get::<Option<i64>>("", "carrier_id")?.map(CarrierId);
            row.carrier_name = r.try_get("", "carrier_name")?;
            row.full_members = Some(r.try_get("", "full_members")?);
            row.status = CoverageStatus::parse(&r.try_get::<String>("", "status")?);
            row
        }
        GapKind::CarriersNotCovered => {
            let mut row = GapRow::new(
                "carrier",
                id,
                name,
                k.clone(),
                label::<CarrierKind>(&k)?.label_zh(),
                division,
            );
            row.units = Some(r.try_get("", "units_total")?);
            row.units_uncovered = Some(r.try_get("", "units_uncovered")?);
            row
        }
        GapKind::OverLimit => {
            let ok = label::<OrgKind>(&k)?;
            let mut row = GapRow::new("party_org", id, name, k.clone(), ok.label_zh(), division);
            let (units, members): (i64, i64) = (r.try_get("", "units")?, r.try_get("", "members")?);
            if rules.joint_branch_over_limit(ok, u64::try_from(units).unwrap_or(0)) {
                row.reasons.push("joint_branch_units");
            }
            if rules.branch_over_limit(ok, u64::try_from(members).unwrap_or(0)) {
                row.reasons.push("branch_members");
            }
            row.units = Some(units);
            row.members = Some(members);
            row.secretary = r.try_get("", "secretary")?;
            row
        }
        GapKind::Renewals => {
            let mut row = GapRow::new(
                "party_org",
                id,
                name,
                k.clone(),
                label::<OrgKind>(&k)?.label_zh(),
                division,
            );
            row.secretary = r.try_get("", "secretary")?;
            row.term_ends_on = r.try_get("", "term_ends_on")?;
            row.renewal = rules.renewal(row.term_ends_on, today);
            row
        }
    })
}
