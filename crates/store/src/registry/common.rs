//! Scope conditions, pagination and optimistic locking shared by the record modules.

use crate::entity::{org_unit, party_org};
use crate::{Actor, Result, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement, SubQueryStatement};
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
    /// Keyset paging: the rows after this record (the id a page gave as `next_after`),
    /// in name order. Deep pages then cost what the first does; `page` is ignored.
    pub after: Option<i64>,
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
    /// Matching records, counted up to [`COUNT_LIMIT`]; see `total_exact`.
    pub total: u64,
    /// False when more records match than a list counts (`total` is then the limit):
    /// counting a whole city to draw a pager costs more than the page.
    pub total_exact: bool,
    pub page: u64,
    pub per_page: u64,
    /// The `after` of the next page, when the list is in name order and has one.
    pub next_after: Option<i64>,
}

/// Most records a list counts; past it, the total says "more than".
pub const COUNT_LIMIT: u64 = 10_000;

/// Most records a search counts: four pages of fifty. Past it, the total says "more
/// than" (and "next" still leads on, by keyset): a search that finds more is refined, not
/// paged through. Counting costs a look-up per match (a unit's scope and archive flag):
/// at 1,000, a common text (科技: a fifth of a city's units) cost a search 2.5 ms of the
/// store's time, five times its page.
pub const SEARCH_COUNT_LIMIT: u64 = 200;

/// How a list is ordered: by `col` (descending or not), then by id.
pub(crate) struct Sorting<C> {
    pub col: C,
    pub desc: bool,
    /// `col` is the name column: keyset paging (`after`) applies.
    pub by_name: bool,
    /// The table's name-order key and id columns (the keyset).
    pub name_col: C,
    pub id_col: C,
    /// A name search through the name index: name order comes from its rows
    /// (`g.name_key`, `g.record_id`, the same values), which it walks in that order.
    pub by_index: bool,
}

/// How many names a list row reads beside itself ([`Named`]).
pub(crate) const NAMES: usize = 2;

/// A name a list row shows beside its own fields (its carrier's, its organisation's…),
/// read in the page's own query — `LEFT JOIN <table> AS jN ON jN.id = <fk>`, `jN.name AS
/// name_N` — never by a look-up per page.
pub(crate) struct NameJoin<C> {
    /// The table holding the name (it has `id` and `name` columns).
    pub table: sea_orm::sea_query::TableRef,
    /// This table's column that refers to it.
    pub fk: C,
}

impl<C> NameJoin<C> {
    pub fn new(table: impl sea_orm::sea_query::IntoTableRef, fk: C) -> Self {
        NameJoin {
            table: table.into_table_ref(),
            fk,
        }
    }
}

/// What a list row reads beside its own columns, in the same query: names of the
/// records it refers to, and one more value a record kind may ask for (an
/// organisation's units, as JSON).
pub(crate) struct Beside<C> {
    pub names: Vec<NameJoin<C>>,
    /// An expression over the row (e.g. a correlated subquery), read as `extra`.
    pub extra: Option<Expr>,
}

impl<C> Beside<C> {
    /// Nothing beside the row.
    pub fn nothing() -> Self {
        Beside {
            names: Vec::new(),
            extra: None,
        }
    }
}

/// A row with the names its [`NameJoin`]s read, in their order (`None`: no reference, or
/// no join in that place), and the [`Beside::extra`] value.
#[derive(Debug, Clone)]
pub(crate) struct Named<M> {
    pub row: M,
    pub names: [Option<String>; NAMES],
    pub extra: Option<String>,
}

impl<M: sea_orm::FromQueryResult> sea_orm::FromQueryResult for Named<M> {
    fn from_query_result(res: &sea_orm::QueryResult, pre: &str) -> std::result::Result<Self, sea_orm::DbErr> {
        Ok(Named {
            row: M::from_query_result(res, pre)?,
            names: [res.try_get(pre, "name_0")?, res.try_get(pre, "name_1")?],
            extra: res.try_get(pre, "extra")?,
        })
    }
}

/// `sel` with what `beside` reads selected beside its columns (at most [`NAMES`] names).
pub(crate) fn with_names<E: EntityTrait>(
    mut sel: sea_orm::Select<E>,
    beside: &Beside<E::Column>,
) -> sea_orm::Selector<sea_orm::SelectModel<Named<E::Model>>> {
    use sea_orm::QueryTrait;
    use sea_orm::sea_query::{Alias, JoinType};
    let joins = &beside.names;
    let query = QueryTrait::query(&mut sel);
    let extra = beside.extra.clone().unwrap_or_else(|| Expr::cust("CAST(NULL AS TEXT)"));
    query.expr_as(extra, Alias::new("extra"));
    for i in 0..NAMES {
        let name = format!("name_{i}");
        match joins.get(i) {
            Some(j) => {
                let alias = format!("j{i}");
                query
                    .join_as(
                        JoinType::LeftJoin,
                        j.table.clone(),
                        Alias::new(alias.clone()),
                        Expr::col((Alias::new(alias.clone()), Alias::new("id"))).equals((j.fk.entity_name(), j.fk)),
                    )
                    .expr_as(Expr::col((Alias::new(alias), Alias::new("name"))), Alias::new(name));
            }
            // Typed, so that PostgreSQL decodes it as text.
            None => {
                query.expr_as(Expr::cust("CAST(NULL AS TEXT)"), Alias::new(name));
            }
        }
    }
    sel.into_model::<Named<E::Model>>()
}

/// The one row `find` selects (a record by id, with the caller's scope where it is not
/// checked yet), with what `beside` reads: one query.
pub(crate) async fn named_one<E, D>(
    db: &D,
    find: sea_orm::Select<E>,
    beside: &Beside<E::Column>,
) -> Result<Named<E::Model>>
where
    E: EntityTrait,
    D: ConnectionTrait,
{
    with_names(find, beside).one(db).await?.ok_or(StoreError::NotFound)
}

/// One page of `sel` (already filtered by scope and the request), its rows with what
/// `beside` reads, in one query: a bounded count (unless the counters gave `known_total`), and
/// the rows of the page — after the record `q.after` by name (keyset, an index range
/// however deep), else by offset. `id_of` gives a row's id.
pub(crate) async fn page_of<E, D>(
    db: &D,
    sel: sea_orm::Select<E>,
    q: &ListQuery,
    order: Sorting<E::Column>,
    beside: &Beside<E::Column>,
    id_of: fn(&E::Model) -> i64,
    known_total: Option<u64>,
) -> Result<Page<Named<E::Model>>>
where
    E: EntityTrait,
    D: ConnectionTrait,
{
    use sea_orm::sea_query::Alias;
    use sea_orm::{QueryOrder, QuerySelect, QueryTrait};
    let (name_col, id_col) = (order.name_col, order.id_col);
    let (total, exact) = match known_total {
        Some(n) => (n, true),
        None => {
            let limit = if q.search().is_some() {
                SEARCH_COUNT_LIMIT
            } else {
                COUNT_LIMIT
            };
            bounded_count(db, &sel, limit).await?
        }
    };
    let dir = if order.desc {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    // The expressions the list is ordered by, and the keyset compares.
    let (sort, id): (Expr, Expr) = if order.by_name && order.by_index {
        (
            Expr::col((Alias::new("g"), Alias::new("name_key"))),
            Expr::col((Alias::new("g"), Alias::new("record_id"))),
        )
    } else {
        (qualified(order.col), qualified(id_col))
    };
    let per_page = q.per_page();
    let mut rows_sel = sel.clone();
    let keyset = order.by_name && q.after.is_some();
    if let (true, Some(after)) = (keyset, q.after) {
        // The anchor's key, read in the same query; it must itself be in the list (scope
        // and filters), else the key is NULL and no row follows it (a foreign id tells
        // nothing about where its name sorts).
        let anchor = || {
            Expr::from(SubQueryStatement::from(
                sel.clone()
                    .filter(id_col.eq(after))
                    .select_only()
                    .column(name_col)
                    .into_query(),
            ))
        };
        let past = if order.desc {
            Condition::any().add(sort.clone().lt(anchor())).add(
                Condition::all()
                    .add(sort.clone().eq(anchor()))
                    .add(id.clone().gt(after)),
            )
        } else {
            // A row-value comparison: one range of the `(name_key, id)` index.
            Condition::all().add(Expr::tuple([sort.clone(), id.clone()]).gt(Expr::tuple([anchor(), Expr::val(after)])))
        };
        rows_sel = rows_sel.filter(past);
    } else {
        rows_sel = rows_sel.offset((q.page() - 1) * per_page);
    }
    let rows_sel = rows_sel.order_by(sort, dir).order_by_asc(id).limit(per_page + 1);
    let mut rows = with_names(rows_sel, beside).all(db).await?;
    let more = rows.len() as u64 > per_page;
    rows.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
    let next_after = if more && order.by_name {
        rows.last().map(|r| id_of(&r.row))
    } else {
        None
    };
    Ok(Page {
        items: rows,
        total,
        total_exact: exact,
        page: q.page(),
        per_page,
        next_after,
    })
}

impl<T> Page<T> {
    pub fn pages(&self) -> u64 {
        Ord::max(self.total.div_ceil(self.per_page), 1)
    }

    /// Its items, and the page without them, to be given other items (the views of its
    /// rows) by [`Page::with`].
    pub(crate) fn take(self) -> (Vec<T>, Page<()>) {
        let Page {
            items,
            total,
            total_exact,
            page,
            per_page,
            next_after,
        } = self;
        let rest = Page {
            items: Vec::new(),
            total,
            total_exact,
            page,
            per_page,
            next_after,
        };
        (items, rest)
    }
}

impl Page<()> {
    /// This page holding `items`.
    pub(crate) fn with<U>(self, items: Vec<U>) -> Page<U> {
        Page {
            items,
            total: self.total,
            total_exact: self.total_exact,
            page: self.page,
            per_page: self.per_page,
            next_after: self.next_after,
        }
    }
}

/// `col` lies in the division subtree of `code` (an index range, not LIKE).
pub(crate) fn in_division<C: ColumnTrait>(col: C, code: &DivisionCode) -> Condition {
    let (lo, hi) = code.subtree_range();
    Condition::all().add(col.gte(lo)).add(col.lt(hi))
}

/// A division subtree as a list of located records reads it: a street's or a
/// district's records by `substr(division_code, 1, n) = code`, which the indexes
/// `(substr(division_code, 1, n), name_key, id)` (migration m0009) answer in name order
/// without sorting the territory; other levels by range. Same records as
/// [`in_division`] (a code's subtree is the codes it prefixes).
pub(crate) fn in_division_listed<C: ColumnTrait>(col: C, code: &DivisionCode) -> Condition {
    use tongxin_domain::codes::DivisionLevel;
    match code.level() {
        DivisionLevel::Street | DivisionLevel::District => {
            let n = code.as_str().len();
            // Identifiers of our own tables, never input: safe inline (the prefix length
            // must be a literal for the index's expression to match).
            let expr = format!("substr(\"{}\".\"{}\", 1, {n})", col.entity_name(), col.as_str());
            Condition::all().add(Expr::cust(expr).eq(code.as_str()))
        }
        _ => in_division(col, code),
    }
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
    /// Members: in scope through their organisation — by its division (the copy each
    /// member row keeps, migration m0010) or its place in an organisation subtree.
    ThroughOrg { org_id: C, division: C },
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
                any = any.add(in_division_listed(dcol, d));
            }
            if let Some(p) = org {
                any = any.add(id.in_subquery(via_org(p)));
            }
        }
        Scoped::ThroughOrg { org_id, division: dcol } => {
            if let Some(d) = division {
                any = any.add(in_division_listed(dcol, d));
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
            Ok(Some(in_division_listed(col, &code)))
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

/// `table.column`: a list's query joins other tables with columns of the same names.
pub(crate) fn qualified<C: ColumnTrait>(col: C) -> Expr {
    Expr::col((col.entity_name(), col))
}

/// Escapes `%`, `_` and `\` for a LIKE pattern (used with `ESCAPE '\'`).
pub(crate) fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A contains-search over `col`, portable across SQLite and PostgreSQL.
pub(crate) fn contains<C: ColumnTrait>(col: C, s: &str) -> Condition {
    Condition::all()
        .add(qualified(col).like(sea_orm::sea_query::LikeExpr::new(format!("%{}%", like_escape(s))).escape('\\')))
}

/// Records that are not archived. On SQLite said as `likely(…)`: most records are not
/// archived, and without the hint SQLite's planner read a page of one row (`LIMIT 2`) by
/// scanning and sorting the whole table — 0.5 s for units, 2.4 s for members at city
/// scale, a full scan per request anyone signed in could send — instead of walking the
/// name index as it does for three rows or more. PostgreSQL plans from its statistics.
pub(crate) fn not_archived<C: ColumnTrait>(b: sea_orm::DbBackend, col: C) -> Condition {
    let plain = col.eq(false);
    match b {
        sea_orm::DbBackend::Sqlite => {
            Condition::all().add(Expr::expr(sea_orm::sea_query::Func::cust("likely").arg(plain)))
        }
        _ => Condition::all().add(plain),
    }
}

/// Applies an optional condition.
pub(crate) fn filter_opt<Q: QueryFilter>(q: Q, c: Option<Condition>) -> Q {
    match c {
        Some(c) => q.filter(c),
        None => q,
    }
}

/// COUNT(*) over at most `limit` + 1 rows: the total, and whether it is exact.
async fn bounded_count<E: EntityTrait, D: ConnectionTrait>(
    db: &D,
    sel: &sea_orm::Select<E>,
    limit: u64,
) -> Result<(u64, bool)> {
    use sea_orm::{QuerySelect, QueryTrait};
    let inner = sel
        .clone()
        .select_only()
        .column_as(Expr::val(1), "one")
        .limit(limit + 1)
        .into_query();
    let count = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(inner, "bounded")
        .to_owned();
    let counted: i64 = match db.query_one(&count).await? {
        Some(r) => r.try_get_by_index(0)?,
        None => 0,
    };
    let counted = u64::try_from(counted).unwrap_or(0);
    let (total, exact) = if counted > limit {
        (limit, false)
    } else {
        (counted, true)
    };
    Ok((total, exact))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::{member, unit};
    use sea_orm::{QueryOrder, QuerySelect, QueryTrait, Statement};

    /// Asserts that SQLite reads a page of one not-archived record (`LIMIT 2`) in name
    /// order by walking `index`, with no sort of its own.
    async fn walks<E: EntityTrait>(s: &crate::Store, archived: E::Column, key: E::Column, id: E::Column, index: &str) {
        let b = sea_orm::DbBackend::Sqlite;
        let sel = E::find()
            .filter(not_archived(b, archived))
            .order_by_asc(key)
            .order_by_asc(id)
            .limit(2)
            .offset(0);
        let st = b.build(&sel.into_query());
        let explain = Statement::from_sql_and_values(
            b,
            format!("EXPLAIN QUERY PLAN {}", st.sql),
            st.values.map(|v| v.0).unwrap_or_default(),
        );
        let rows = s.read.query_all_raw(explain).await.expect("explain");
        let plan = rows
            .iter()
            .map(|r| r.try_get_by_index::<String>(3).expect("detail"))
            .collect::<Vec<_>>()
            .join("; ");
        assert!(
            plan.contains(&format!("USING INDEX {index}")) && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
    }

    #[tokio::test]
    async fn a_page_of_one_walks_the_name_index() {
        let dir = tempfile::tempdir().expect("dir");
        let s = crate::Store::open(&format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()))
            .await
            .expect("store");
        walks::<unit::Entity>(
            &s,
            unit::Column::Archived,
            unit::Column::NameKey,
            unit::Column::Id,
            "ix_units_name_key_id",
        )
        .await;
        walks::<member::Entity>(
            &s,
            member::Column::Archived,
            member::Column::NameKey,
            member::Column::Id,
            "ix_members_name_key_id",
        )
        .await;
    }
}
