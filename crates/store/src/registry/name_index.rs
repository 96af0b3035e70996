//! The name index (名称索引): the pairs of neighbouring characters of every record's name
//! (`tongxin_domain::text::bigrams`) with the record's sort key, in table `name_grams`
//! (migration m0011), keyed `(kind, gram, name_key, record_id)`. A name search walks
//! the records holding the rarest pair of its text in name order — an index range —
//! and keeps those whose name holds the whole text (the LIKE the search always was), so
//! a search costs what its answer does, not what the city's names do (a search for 科技
//! over 500,000 units used to read every one of them).
//!
//! Every writer of a name writes its pairs: the four inserts, the four edits, the bulk
//! rows (`rows::insert_records`), and an undone import's deletions forget them.

use super::common::contains;
use crate::Result;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement, Value};

/// The table.
pub(crate) const TABLE: &str = "name_grams";

/// Whose names a row of the index holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indexed {
    Carriers = 1,
    Units = 2,
    Orgs = 3,
    Members = 4,
}

impl Indexed {
    /// The index of a registry table's names, if it has one.
    pub(crate) fn of_table(table: &str) -> Option<Indexed> {
        match table {
            "carriers" => Some(Indexed::Carriers),
            "units" => Some(Indexed::Units),
            "party_orgs" => Some(Indexed::Orgs),
            "members" => Some(Indexed::Members),
            _ => None,
        }
    }

    fn code(self) -> i64 {
        self as i64
    }
}

/// Writes the pairs of new records' names, `(id, name, name_key)` as the records hold them.
pub(crate) async fn put<C: ConnectionTrait>(db: &C, kind: Indexed, names: &[(i64, &str, &str)]) -> Result<()> {
    let mut rows: Vec<Vec<Value>> = Vec::new();
    for (id, name, key) in names {
        for g in tongxin_domain::text::bigrams(name) {
            rows.push(vec![kind.code().into(), g.into(), (*key).into(), (*id).into()]);
        }
    }
    crate::rows::insert_rows(db, TABLE, &["kind", "gram", "name_key", "record_id"], &rows, "").await?;
    Ok(())
}

/// Forgets the pairs of the records `record_id` matches (`sql`: a condition on
/// `record_id` built by the store, never from input).
pub(crate) async fn forget_where<C: ConnectionTrait>(db: &C, kind: Indexed, sql: &str) -> Result<()> {
    db.execute_unprepared(&format!("DELETE FROM {TABLE} WHERE kind = {} AND ({sql})", kind.code()))
        .await?;
    Ok(())
}

/// A record's name changed (or may have): its pairs are those of `name` from now on.
pub(crate) async fn rename<C: ConnectionTrait>(db: &C, kind: Indexed, id: i64, name: &str, key: &str) -> Result<()> {
    forget_where(db, kind, &format!("record_id = {id}")).await?;
    put(db, kind, &[(id, name, key)]).await
}

/// How a list finds the names a search text is part of.
pub(crate) enum NameSearch {
    /// Through the index: the rows holding `gram` (the rarest pair of the text), whose
    /// names then hold the whole `text`.
    Indexed { kind: Indexed, gram: String, text: String },
    /// A text of one character has no pair: the names are read (in name order, so a
    /// page stops at its last row; the count stops at its limit).
    Scan { text: String },
}

impl NameSearch {
    /// The search for `text` (already cleaned) among `kind`'s names: the pair of the
    /// text that the fewest records hold drives it (each pair's holders counted up to a
    /// bound, in one query).
    pub(crate) async fn new<C: ConnectionTrait>(db: &C, kind: Indexed, text: &str) -> Result<NameSearch> {
        let grams = tongxin_domain::text::bigrams(text);
        let gram = match grams.len() {
            0 => return Ok(NameSearch::Scan { text: text.to_owned() }),
            1 => grams.into_iter().next().unwrap_or_default(),
            _ => rarest(db, kind, grams).await?,
        };
        Ok(NameSearch::Indexed {
            kind,
            gram,
            text: text.to_owned(),
        })
    }

    /// `sel` narrowed to the names holding the text; `id` and `name` are its table's
    /// columns. Through the index, the index rows join as `g` (`g.name_key`,
    /// `g.record_id` then order the list).
    pub(crate) fn apply<E: EntityTrait>(
        &self,
        mut sel: sea_orm::Select<E>,
        id: E::Column,
        name: E::Column,
    ) -> sea_orm::Select<E> {
        match self {
            NameSearch::Scan { text } => sel.filter(contains(name, text)),
            NameSearch::Indexed { kind, gram, text } => {
                QueryTrait::query(&mut sel).join_as(
                    JoinType::InnerJoin,
                    Alias::new(TABLE),
                    Alias::new("g"),
                    Expr::col((Alias::new("g"), Alias::new("record_id")))
                        .equals((id.entity_name(), id))
                        .and(Expr::col((Alias::new("g"), Alias::new("kind"))).eq(kind.code()))
                        .and(Expr::col((Alias::new("g"), Alias::new("gram"))).eq(gram.as_str())),
                );
                sel.filter(contains(name, text))
            }
        }
    }

    /// Whether the list's name order comes from the index rows (`g`).
    pub(crate) fn ordered_by_index(&self) -> bool {
        matches!(self, NameSearch::Indexed { .. })
    }
}

/// `sel` narrowed to the records of `kind` whose names hold `text`, and whether name
/// order then comes from the index rows (see [`super::common::Sorting::by_index`]).
pub(crate) async fn narrow<E: EntityTrait, C: ConnectionTrait>(
    db: &C,
    kind: Indexed,
    sel: sea_orm::Select<E>,
    text: &str,
    id: E::Column,
    name: E::Column,
) -> Result<(sea_orm::Select<E>, bool)> {
    let search = NameSearch::new(db, kind, text).await?;
    Ok((search.apply(sel, id, name), search.ordered_by_index()))
}

/// How many holders of a pair are counted to compare pairs: past it, a pair is "common".
const RARITY_BOUND: usize = 2_000;

/// The pair of `grams` that the fewest records of `kind` hold.
async fn rarest<C: ConnectionTrait>(db: &C, kind: Indexed, grams: Vec<String>) -> Result<String> {
    let b = db.get_database_backend();
    let mut parts = Vec::new();
    let mut values: Vec<Value> = Vec::new();
    for (i, g) in grams.iter().enumerate() {
        let p = match b {
            DbBackend::Postgres => format!("${}", i + 1),
            _ => "?".into(),
        };
        parts.push(format!(
            "SELECT CAST({i} AS BIGINT) AS n, (SELECT COUNT(*) FROM (SELECT 1 FROM {TABLE} WHERE kind = {} AND gram = {p} LIMIT {RARITY_BOUND}) AS h) AS holders",
            kind.code()
        ));
        values.push(g.clone().into());
    }
    let sql = parts.join(" UNION ALL ");
    let rows = db.query_all_raw(Statement::from_sql_and_values(b, sql, values)).await?;
    let mut best: Option<(i64, usize)> = None;
    for r in rows {
        let (n, holders): (i64, i64) = (r.try_get_by_index(0)?, r.try_get_by_index(1)?);
        if best.is_none_or(|(h, _)| holders < h) {
            best = Some((holders, usize::try_from(n).unwrap_or(0)));
        }
    }
    let at = best.map_or(0, |(_, n)| n);
    Ok(grams.into_iter().nth(at).unwrap_or_default())
}
