//! Many rows in few statements, for the bulk paths (import, the city generator): on
//! SQLite one JSON array per statement, unpacked by `json_each` (binding hundreds of
//! thousands of values one by one costs more than writing the rows); on PostgreSQL
//! one JSON array too, typed by
//! `json_populate_recordset` with the table's own row type.

use crate::Result;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

/// Rows per PostgreSQL statement.
const POSTGRES_ROWS: usize = 20_000;
/// Rows per SQLite statement.
const SQLITE_ROWS: usize = 20_000;

/// The columns every new registry record ends with (see [`insert_records`]).
const NEW_RECORD: [&str; 4] = ["archived", "version", "created_at", "updated_at"];

/// Inserts new registry records: `rows` in `columns` order, each then ending as every new
/// record does (not archived, version 1, created and updated `now`).
pub(crate) async fn insert_records<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    now: chrono::DateTime<chrono::Utc>,
    returning: &str,
) -> Result<Vec<QueryResult>> {
    let columns: Vec<&str> = columns.iter().copied().chain(NEW_RECORD).collect();
    let tail = [false.into(), 1i64.into(), now.into(), now.into()];
    insert(db, table, &columns, rows, &tail, returning).await
}

/// Inserts `rows` (each in `columns` order) into `table`; answers the `returning`
/// columns of the rows written (none when `returning` is empty).
pub(crate) async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    returning: &str,
) -> Result<Vec<QueryResult>> {
    insert(db, table, columns, rows, &[], returning).await
}

/// `rows`, each followed by the values of `tail` (the last columns), into `table`.
async fn insert<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    tail_values: &[Value],
    returning: &str,
) -> Result<Vec<QueryResult>> {
    let mut out = Vec::new();
    if rows.is_empty() {
        return Ok(out);
    }
    let b = db.get_database_backend();
    let tail = if returning.is_empty() {
        String::new()
    } else {
        format!(" RETURNING {returning}")
    };
    let list = columns.join(", ");
    let (sql, per_statement) = if b == DbBackend::Sqlite {
        let picks: Vec<String> = (0..columns.len()).map(|i| format!("value->>{i}")).collect();
        (
            format!(
                "INSERT INTO {table} ({list}) SELECT {} FROM jsonb_each(jsonb(?)){tail}",
                picks.join(", ")
            ),
            SQLITE_ROWS,
        )
    } else {
        // The table's own row type gives each JSON field its column's type, so one
        // parameter carries a chunk whatever its columns.
        (
            format!(
                "INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json){tail}"
            ),
            POSTGRES_ROWS,
        )
    };
    for chunk in rows.chunks(per_statement) {
        let json = serde_json::to_string(&Rows {
            columns,
            rows: chunk,
            tail: tail_values,
            postgres: b != DbBackend::Sqlite,
        })
        .map_err(|e| sea_orm::DbErr::Custom(format!("rows as JSON: {e}")))?;
        let st = Statement::from_sql_and_values(b, sql.clone(), [json.into()]);
        if returning.is_empty() {
            db.execute_raw(st).await?;
        } else {
            out.extend(db.query_all_raw(st).await?);
        }
    }
    Ok(out)
}

/// Rows written straight out as JSON (no tree of JSON values in between): for SQLite an
/// array per row, for PostgreSQL an object per row keyed by column.
struct Rows<'a> {
    columns: &'a [&'a str],
    rows: &'a [Vec<Value>],
    /// Values that end every row.
    tail: &'a [Value],
    postgres: bool,
}

/// One value as its backend reads it from JSON.
struct Cell<'a> {
    value: &'a Value,
    postgres: bool,
}

impl serde::Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&Row { rows: self, row })?;
        }
        seq.end()
    }
}

/// One row with the tail values, written as its cells go (no list of cells built first).
struct Row<'a> {
    rows: &'a Rows<'a>,
    row: &'a [Value],
}

impl serde::Serialize for Row<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        let Rows {
            columns,
            tail,
            postgres,
            ..
        } = *self.rows;
        let cells = self.row.iter().chain(tail).map(|value| Cell { value, postgres });
        let len = self.row.len() + tail.len();
        if postgres {
            let mut map = s.serialize_map(Some(len))?;
            for (k, v) in columns.iter().zip(cells) {
                map.serialize_entry(k, &v)?;
            }
            map.end()
        } else {
            let mut seq = s.serialize_seq(Some(len))?;
            for v in cells {
                seq.serialize_element(&v)?;
            }
            seq.end()
        }
    }
}

impl serde::Serialize for Cell<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self.value {
            // SQLite keeps booleans as 0/1; PostgreSQL reads a JSON boolean.
            Value::Bool(Some(b)) if self.postgres => s.serialize_bool(*b),
            Value::Bool(Some(b)) => s.serialize_i64(i64::from(*b)),
            Value::BigInt(Some(i)) => s.serialize_i64(*i),
            Value::Int(Some(i)) => s.serialize_i32(*i),
            Value::Double(Some(f)) => s.serialize_f64(*f),
            Value::String(Some(v)) => s.serialize_str(v),
            Value::ChronoDate(Some(d)) => s.collect_str(&d.format("%F")),
            Value::ChronoDateTimeUtc(Some(t)) => {
                s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false))
            }
            // A JSON column: nested JSON for PostgreSQL, its text for SQLite.
            Value::Json(Some(j)) if self.postgres => j.serialize(s),
            Value::Json(Some(j)) => s.collect_str(j),
            _ => s.serialize_none(),
        }
    }
}
