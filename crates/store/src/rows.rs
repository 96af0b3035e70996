//! Many rows in few statements, for the bulk paths (import, the city generator): on
//! SQLite one JSON array per statement, unpacked by `json_each` (binding hundreds of
//! thousands of values one by one costs more than writing the rows). On PostgreSQL one
//! text per column, split by `string_to_array` and zipped back into rows by `unnest`
//! (half the server's time of the JSON it replaced); a chunk whose values cannot go that
//! way (a JSON column, or text holding the separators) goes as one JSON array typed by
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
    let tail = [false.into(), 1i64.into(), now.into(), now.into()];
    // A record's name is written with the key it sorts by.
    if let Some(at) = columns.iter().position(|c| *c == "name") {
        let columns: Vec<&str> = columns.iter().copied().chain(["name_key"]).chain(NEW_RECORD).collect();
        let keyed: Vec<Vec<Value>> = rows
            .iter()
            .map(|r| {
                let key = match r.get(at) {
                    Some(Value::String(Some(name))) => tongxin_domain::text::sort_key(name),
                    _ => String::new(),
                };
                r.iter().cloned().chain([key.into()]).collect()
            })
            .collect();
        let Some(indexed) = crate::registry::name_index::Indexed::of_table(table) else {
            return insert(db, table, &columns, &keyed, &tail, returning).await;
        };
        // And with the pairs of its name (the name index): the rows come back with their
        // ids, names and keys after the columns the caller asked for.
        let asked = returning.split(',').filter(|c| !c.trim().is_empty()).count();
        let with_names = if asked == 0 {
            "id, name, name_key".to_string()
        } else {
            format!("{returning}, id, name, name_key")
        };
        let back = insert(db, table, &columns, &keyed, &tail, &with_names).await?;
        let mut names: Vec<(i64, String, String)> = Vec::with_capacity(back.len());
        for r in &back {
            names.push((
                r.try_get_by_index(asked)?,
                r.try_get_by_index(asked + 1)?,
                r.try_get_by_index(asked + 2)?,
            ));
        }
        let names: Vec<(i64, &str, &str)> = names.iter().map(|(id, n, k)| (*id, n.as_str(), k.as_str())).collect();
        crate::registry::name_index::put(db, indexed, &names).await?;
        return Ok(if asked == 0 { Vec::new() } else { back });
    }
    let columns: Vec<&str> = columns.iter().copied().chain(NEW_RECORD).collect();
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
        if b == DbBackend::Postgres
            && let Some((sql, values)) = columns_as_text(table, columns, chunk, tail_values, &tail)
        {
            let st = Statement::from_sql_and_values(b, sql, values);
            if returning.is_empty() {
                db.execute_raw(st).await?;
            } else {
                out.extend(db.query_all_raw(st).await?);
            }
            continue;
        }
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

/// The runs of consecutive ids in `ids` (sorted here), as (first, last). On PostgreSQL
/// another session's inserts can take ids between an import's: those split its runs.
pub(crate) fn runs(mut ids: Vec<i64>) -> Vec<(i64, i64)> {
    ids.sort_unstable();
    ids.dedup();
    let mut out: Vec<(i64, i64)> = Vec::new();
    for id in ids {
        match out.last_mut() {
            Some((_, last)) if *last + 1 == id => *last = id,
            _ => out.push((id, id)),
        }
    }
    out
}

/// `column` within one of `runs` (each first..=last), as SQL. SQLite nests a chain of
/// ORs one level per run and refuses more than 1,000 levels: callers keep runs few.
pub(crate) fn within(column: &str, runs: &[(i64, i64)]) -> String {
    if runs.is_empty() {
        return "1 = 0".into();
    }
    runs.iter()
        .map(|(a, b)| format!("{column} BETWEEN {a} AND {b}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// `column IN (…)` the texts of `values`, sent as one JSON array: thousands of keys in one
/// statement and one bound value (bound lists cost a statement per few hundred keys,
/// literal lists PostgreSQL's planning time).
pub(crate) fn in_texts(b: DbBackend, column: &str, values: &[String]) -> sea_orm::sea_query::SimpleExpr {
    let json = serde_json::Value::from(values.to_vec()).to_string();
    let sql = if b == DbBackend::Sqlite {
        format!("{column} IN (SELECT value FROM json_each(?))")
    } else {
        format!("{column} IN (SELECT json_array_elements_text(CAST($1 AS json)))")
    };
    sea_orm::sea_query::Expr::cust_with_values(sql, [json])
}

/// Separates the values of one column in [`columns_as_text`].
const SEPARATOR: char = '\u{1f}';
/// Stands for NULL in [`columns_as_text`].
const NULL: char = '\u{1e}';

/// The PostgreSQL array type a column of `value`'s kind is sent as, if it can go as text.
fn array_type(value: &Value) -> Option<&'static str> {
    Some(match value {
        Value::Bool(_) => "boolean[]",
        Value::Int(_) => "integer[]",
        Value::BigInt(_) => "bigint[]",
        Value::Double(_) => "double precision[]",
        Value::String(_) => "text[]",
        Value::ChronoDate(_) => "date[]",
        Value::ChronoDateTimeUtc(_) => "timestamptz[]",
        _ => return None,
    })
}

/// Appends `value` as PostgreSQL reads it from text; false if it cannot be sent so (it
/// holds a separator, or its kind has no text form here).
fn push_text(out: &mut String, value: &Value) -> bool {
    use std::fmt::Write as _;
    match value {
        Value::Bool(Some(b)) => out.push_str(if *b { "t" } else { "f" }),
        Value::Int(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::BigInt(Some(i)) => {
            let _ = write!(out, "{i}");
        }
        Value::Double(Some(f)) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        Value::String(Some(v)) => {
            if v.contains([SEPARATOR, NULL]) {
                return false;
            }
            out.push_str(v);
        }
        Value::ChronoDate(Some(d)) => {
            let _ = write!(out, "{}", d.format("%F"));
        }
        Value::ChronoDateTimeUtc(Some(t)) => {
            out.push_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false));
        }
        Value::Bool(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::Double(None)
        | Value::String(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None) => out.push(NULL),
        _ => return false,
    }
    true
}

/// The statement and its values that insert `rows` on PostgreSQL as one text per column,
/// each split into a typed array and the arrays zipped into rows by `unnest`; the `tail`
/// values follow as parameters of their own. None when a value cannot go as text.
fn columns_as_text(
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    tail: &[Value],
    returning: &str,
) -> Option<(String, Vec<Value>)> {
    // One row goes as JSON: `string_to_array('')` is an empty array, not one empty text.
    if rows.len() < 2 {
        return None;
    }
    let width = columns.len().checked_sub(tail.len())?;
    let types: Vec<&str> = rows[0].iter().map(array_type).collect::<Option<_>>()?;
    if types.len() != width {
        return None;
    }
    let mut texts = vec![String::new(); width];
    for (r, row) in rows.iter().enumerate() {
        if row.len() != width {
            return None;
        }
        for ((text, value), ty) in texts.iter_mut().zip(row).zip(&types) {
            if array_type(value) != Some(*ty) {
                return None;
            }
            if r > 0 {
                text.push(SEPARATOR);
            }
            if !push_text(text, value) {
                return None;
            }
        }
    }
    let arrays: Vec<String> = types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("CAST(string_to_array(${}, E'\\x1f', E'\\x1e') AS {ty})", i + 1))
        .collect();
    let names: Vec<String> = (0..width).map(|i| format!("c{i}")).collect();
    let picks: Vec<String> = names
        .iter()
        .cloned()
        .chain((0..tail.len()).map(|i| format!("${}", width + i + 1)))
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM unnest({}) AS t({}){returning}",
        columns.join(", "),
        picks.join(", "),
        arrays.join(", "),
        names.join(", "),
    );
    let values = texts.into_iter().map(Value::from).chain(tail.iter().cloned()).collect();
    Some((sql, values))
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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_split_into_runs_where_another_session_took_one() {
        use super::runs;
        assert_eq!(runs(vec![]), vec![]);
        assert_eq!(runs(vec![7]), vec![(7, 7)]);
        assert_eq!(runs(vec![3, 1, 2, 2, 5, 6, 9]), vec![(1, 3), (5, 6), (9, 9)]);
    }

    use super::*;
    use chrono::{NaiveDate, TimeZone, Utc};

    /// A store of its own: SQLite in `dir`, or a fresh PostgreSQL database when
    /// TONGXIN_TEST_POSTGRES holds an administrator's URL (CI's PostgreSQL step).
    async fn store(dir: &tempfile::TempDir) -> crate::Store {
        let url = match std::env::var("TONGXIN_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) {
            Some(admin) => {
                let name = format!("tx_store_{}", &crate::accounts::new_token()[..16]);
                crate::create_postgres_database(&admin, &name).await.expect("database")
            }
            None => format!("sqlite://{}?mode=rwc", dir.path().join("r.db").display()),
        };
        crate::Store::open(&url).await.expect("open")
    }

    fn row(id: i64, text: Option<&str>, flag: Option<bool>, day: Option<NaiveDate>, n: Option<f64>) -> Vec<Value> {
        vec![
            id.into(),
            text.map(str::to_owned).into(),
            flag.into(),
            day.into(),
            n.into(),
        ]
    }

    /// What a table holds, as text, in id order.
    async fn read_back(db: &sea_orm::DatabaseConnection) -> Vec<String> {
        let b = db.get_database_backend();
        let flag = if b == DbBackend::Sqlite {
            "CASE WHEN flag IS NULL THEN 'null' WHEN flag <> 0 THEN 'true' ELSE 'false' END"
        } else {
            "COALESCE(CAST(flag AS TEXT), 'null')"
        };
        db.query_all_raw(Statement::from_string(
            b,
            format!(
                "SELECT id, COALESCE(text, '<null>'), {flag}, COALESCE(CAST(day AS TEXT), 'null'), \
                 COALESCE(CAST(n AS TEXT), 'null'), CAST(version AS TEXT), CAST(at AS TEXT) FROM rows_test ORDER BY id"
            ),
        ))
        .await
        .expect("read")
        .iter()
        .map(|r| {
            let at: String = r.try_get_by_index(6).expect("at");
            format!(
                "{}|{}|{}|{}|{}|{}|{}",
                r.try_get_by_index::<i64>(0).expect("id"),
                r.try_get_by_index::<String>(1).expect("text"),
                r.try_get_by_index::<String>(2).expect("flag"),
                r.try_get_by_index::<String>(3).expect("day"),
                r.try_get_by_index::<String>(4).expect("n"),
                r.try_get_by_index::<String>(5).expect("version"),
                at.starts_with("2026-11-30"),
            )
        })
        .collect()
    }

    /// Every kind of value comes back as written, whichever way the chunk went: text per
    /// column, or JSON when a value holds a separator or the chunk is one row.
    #[tokio::test]
    async fn rows_come_back_as_written() {
        let dir = tempfile::tempdir().expect("dir");
        let s = store(&dir).await;
        let db = &s.write;
        let ts = if db.get_database_backend() == DbBackend::Sqlite {
            "TEXT"
        } else {
            "TIMESTAMPTZ"
        };
        db.execute_unprepared(&format!(
            "CREATE TABLE rows_test (id BIGINT PRIMARY KEY, text TEXT, flag BOOLEAN, day DATE, \
             n DOUBLE PRECISION, version BIGINT NOT NULL, at {ts} NOT NULL)"
        ))
        .await
        .expect("table");
        let day = NaiveDate::from_ymd_opt(2024, 2, 29);
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 2, 3).single().expect("time");
        let columns = ["id", "text", "flag", "day", "n", "version", "at"];
        let tail = [Value::from(7i64), at.into()];
        let chunks: Vec<Vec<Vec<Value>>> = vec![
            // Text per column: NULLs, an empty text, quotes, commas, braces, Chinese.
            vec![
                row(1, Some("基准测试企业"), Some(true), day, Some(1.5)),
                row(2, None, None, None, None),
                row(3, Some(""), Some(false), day, Some(-0.0001)),
                row(4, Some(r#"a,"b"{c}\d NULL"#), Some(true), None, Some(1e20)),
            ],
            // A separator in a value: the chunk goes as JSON.
            vec![
                row(5, Some("x\u{1f}y"), None, None, None),
                row(6, Some("\u{1e}"), None, None, None),
            ],
            // One row with an empty text.
            vec![row(7, Some(""), None, None, None)],
        ];
        for rows in &chunks {
            insert(db, "rows_test", &columns, rows, &tail, "")
                .await
                .expect("insert");
        }
        let n = |v: f64| {
            if db.get_database_backend() == DbBackend::Sqlite {
                format!("{v:?}").replace("1e20", "1.0e+20")
            } else {
                v.to_string()
            }
        };
        let got = read_back(db).await;
        assert_eq!(got.len(), 7, "{got:?}");
        assert_eq!(got[0], format!("1|基准测试企业|true|2024-02-29|{}|7|true", n(1.5)));
        assert_eq!(got[1], "2|<null>|null|null|null|7|true");
        assert_eq!(got[2], format!("3||false|2024-02-29|{}|7|true", n(-0.0001)));
        assert!(got[3].starts_with(r#"4|a,"b"{c}\d NULL|true|null|"#), "{}", got[3]);
        assert_eq!(got[4], "5|x\u{1f}y|null|null|null|7|true");
        assert_eq!(got[5], "6|\u{1e}|null|null|null|7|true");
        assert_eq!(got[6], "7||null|null|null|7|true");
    }

    #[test]
    fn text_per_column_only_where_every_value_can_go_so() {
        let columns = ["a", "b"];
        let ok = [
            vec![Value::from(1i64), Value::from("x")],
            vec![Value::from(2i64), Value::from("y")],
        ];
        let (sql, values) = columns_as_text("t", &columns, &ok, &[], "").expect("text");
        assert!(sql.contains("unnest("), "{sql}");
        assert_eq!(values, vec![Value::from("1\u{1f}2"), Value::from("x\u{1f}y")]);
        let json = [
            vec![Value::from(1i64), Value::Json(None)],
            vec![Value::from(2i64), Value::Json(None)],
        ];
        assert!(columns_as_text("t", &columns, &json, &[], "").is_none());
        let mixed = [
            vec![Value::from(1i64), Value::from("x")],
            vec![Value::from("2"), Value::from("y")],
        ];
        assert!(columns_as_text("t", &columns, &mixed, &[], "").is_none());
    }
}
