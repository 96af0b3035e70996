//! Many rows in few statements, for the bulk paths (import, the city generator): on
//! SQLite one JSON array per statement, unpacked by `json_each` (binding hundreds of
//! thousands of values one by one costs more than writing the rows); on PostgreSQL
//! multi-row `VALUES` within its bind limit.

use crate::Result;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};

/// Values bound per PostgreSQL statement (its limit is 65,535).
const MAX_VALUES: usize = 30_000;
/// Rows per SQLite statement.
const SQLITE_ROWS: usize = 20_000;

/// Inserts `rows` (each in `columns` order) into `table`; answers the `returning`
/// columns of the rows written (none when `returning` is empty).
pub(crate) async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
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
    if b == DbBackend::Sqlite {
        let picks: Vec<String> = (0..columns.len()).map(|i| format!("value->>{i}")).collect();
        let sql = format!(
            "INSERT INTO {table} ({}) SELECT {} FROM json_each(?){tail}",
            columns.join(", "),
            picks.join(", ")
        );
        for chunk in rows.chunks(SQLITE_ROWS) {
            let json = serde_json::Value::Array(
                chunk
                    .iter()
                    .map(|r| serde_json::Value::Array(r.iter().map(json_of).collect()))
                    .collect(),
            );
            let st = Statement::from_sql_and_values(b, sql.clone(), [json.to_string().into()]);
            if returning.is_empty() {
                db.execute_raw(st).await?;
            } else {
                out.extend(db.query_all_raw(st).await?);
            }
        }
    } else {
        let per_statement = (MAX_VALUES / columns.len()).max(1);
        for chunk in rows.chunks(per_statement) {
            let mut sql = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
            let mut values = Vec::with_capacity(chunk.len() * columns.len());
            for (i, row) in chunk.iter().enumerate() {
                let marks: Vec<String> = (0..row.len())
                    .map(|j| format!("${}", i * columns.len() + j + 1))
                    .collect();
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("({})", marks.join(", ")));
                values.extend(row.iter().cloned());
            }
            sql.push_str(&tail);
            let st = Statement::from_sql_and_values(b, sql, values);
            if returning.is_empty() {
                db.execute_raw(st).await?;
            } else {
                out.extend(db.query_all_raw(st).await?);
            }
        }
    }
    Ok(out)
}

/// A value as SQLite's driver would have stored it (booleans as 0/1, dates as text,
/// JSON as its text).
pub(crate) fn json_of(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Bool(Some(b)) => J::from(i64::from(*b)),
        Value::BigInt(Some(i)) => J::from(*i),
        Value::Int(Some(i)) => J::from(*i),
        Value::Double(Some(f)) => J::from(*f),
        Value::String(Some(s)) => J::from(s.as_str()),
        Value::ChronoDate(Some(d)) => J::from(d.format("%F").to_string()),
        Value::ChronoDateTimeUtc(Some(t)) => J::from(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)),
        Value::Json(Some(j)) => J::from(j.to_string()),
        _ => J::Null,
    }
}
