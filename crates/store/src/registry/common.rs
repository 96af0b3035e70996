//! Scope conditions, pagination and optimistic locking shared by the record modules.

use crate::entity::{org_unit, party_org};
use crate::{Actor, Result, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::OrgPath;
use tongxin_domain::scope::Scope;

/// A list request: search text, division filter, kind filter, sorting, page.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ListQuery {
    /// Name, code or masked ID to search for.
    pub q: Option<String>,
    /// Only records in this division subtree (intersected with the caller's scope).
    pub division: Option<String>,
    /// Only records of this kind (or status, for members).
    pub kind: Option<String>,
    /// Include archived records.
    #[serde(default)]
    pub archived: bool,
    /// Sort column (`name`, `created_at`, `updated_at`; prefix `-` for descending).
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

impl ListQuery {
    pub fn page(&self) -> u64 {
        Ord::max(self.page.unwrap_or(1), 1)
    }
    pub fn per_page(&self) -> u64 {
        self.per_page.unwrap_or(50).clamp(1, 500)
    }
    pub fn search(&self) -> Option<String> {
        self.q
            .as_deref()
            .map(tongxin_domain::text::clean)
            .filter(|s| !s.is_empty())
    }
    /// The sort column if it is one of `allowed`, and whether it is descending.
    pub fn sort_by<'a>(&self, allowed: &[&'a str]) -> (&'a str, bool) {
        let raw = self.sort.as_deref().unwrap_or("name");
        let (desc, col) = raw.strip_prefix('-').map_or((false, raw), |c| (true, c));
        (allowed.iter().copied().find(|a| *a == col).unwrap_or(allowed[0]), desc)
    }
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        Ord::max(self.total.div_ceil(self.per_page), 1)
    }
}

/// `col` lies in the division subtree of `code` (an index range, not LIKE).
pub(crate) fn in_division<C: ColumnTrait>(col: C, code: &DivisionCode) -> Condition {
    let (lo, hi) = code.subtree_range();
    Condition::all().add(col.gte(lo)).add(col.lt(hi))
}

/// Ids of the organisations in an organisation subtree.
pub(crate) fn orgs_under(path: &OrgPath) -> SelectStatement {
    let (lo, hi) = path.subtree_range();
    Query::select()
        .column(party_org::Column::Id)
        .from(party_org::Entity)
        .and_where(Expr::col(party_org::Column::Path).gte(lo))
        .and_where(Expr::col(party_org::Column::Path).lt(hi))
        .to_owned()
}

/// Ids of the organisations located in a division subtree.
pub(crate) fn orgs_in_division(code: &DivisionCode) -> SelectStatement {
    let (lo, hi) = code.subtree_range();
    Query::select()
        .column(party_org::Column::Id)
        .from(party_org::Entity)
        .and_where(Expr::col(party_org::Column::DivisionCode).gte(lo))
        .and_where(Expr::col(party_org::Column::DivisionCode).lt(hi))
        .to_owned()
}

/// Ids of the units attached to organisations in an organisation subtree.
pub(crate) fn units_under(path: &OrgPath) -> SelectStatement {
    Query::select()
        .column(org_unit::Column::UnitId)
        .from(org_unit::Entity)
        .and_where(Expr::col(org_unit::Column::OrgId).in_subquery(orgs_under(path)))
        .to_owned()
}

/// What kind of table a scope condition is for.
pub(crate) enum Scoped<C> {
    /// A table with its own division column; organisation scopes reach it through
    /// `via_org` (a subquery of the record ids under the organisation subtree).
    Located {
        division: C,
        id: C,
        via_org: fn(&OrgPath) -> SelectStatement,
    },
    /// Members: in scope through their organisation.
    ThroughOrg { org_id: C },
}

/// The SQL condition that keeps only records in the actor's scope.
pub(crate) fn scope_condition<C: ColumnTrait>(actor: &Actor, target: Scoped<C>) -> Condition {
    let Scope::Within { division, org } = &actor.scope else {
        return Condition::all();
    };
    let mut any = Condition::any();
    match target {
        Scoped::Located {
            division: dcol,
            id,
            via_org,
        } => {
            if let Some(d) = division {
                any = any.add(in_division(dcol, d));
            }
            if let Some(p) = org {
                any = any.add(id.in_subquery(via_org(p)));
            }
        }
        Scoped::ThroughOrg { org_id } => {
            if let Some(d) = division {
                any = any.add(org_id.in_subquery(orgs_in_division(d)));
            }
            if let Some(p) = org {
                any = any.add(org_id.in_subquery(orgs_under(p)));
            }
        }
    }
    if division.is_none() && org.is_none() {
        // An empty territory sees nothing.
        any = any.add(Expr::val(1).eq(0));
    }
    any
}

/// The division filter of a list request, which must itself lie in a valid code.
pub(crate) fn division_filter<C: ColumnTrait>(q: &ListQuery, col: C) -> Result<Option<Condition>> {
    match q.division.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(code) => {
            let code = DivisionCode::parse(code).map_err(|_| StoreError::UnknownDivision(code.into()))?;
            Ok(Some(in_division(col, &code)))
        }
    }
}

/// Checks the result of `UPDATE … WHERE id = ? AND version = ?`: no row means either
/// the record is gone (or out of scope) or someone saved it first.
pub(crate) async fn check_version<E, C>(
    db: &C,
    rows: u64,
    find: sea_orm::Select<E>,
    version_of: fn(&E::Model) -> i64,
) -> Result<()>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    if rows == 1 {
        return Ok(());
    }
    match find.one(db).await? {
        None => Err(StoreError::NotFound),
        Some(m) => Err(StoreError::Stale {
            current: version_of(&m),
        }),
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (used with `ESCAPE '\'`).
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A contains-search over `col`, portable across SQLite and PostgreSQL.
pub(crate) fn contains<C: ColumnTrait>(col: C, s: &str) -> Condition {
    Condition::all()
        .add(Expr::col(col).like(sea_orm::sea_query::LikeExpr::new(format!("%{}%", like_escape(s))).escape('\\')))
}

/// Applies an optional condition.
pub(crate) fn filter_opt<Q: QueryFilter>(q: Q, c: Option<Condition>) -> Q {
    match c {
        Some(c) => q.filter(c),
        None => q,
    }
}
