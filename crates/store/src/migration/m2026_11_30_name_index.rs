//! The name index (`registry::name_index`): the pairs of neighbouring characters of
//! every carrier's, unit's, organisation's and member's name with its sort key, so that
//! a name search walks the records holding one pair in name order instead of reading
//! every name (a search for 科技 read all 500,000 units of a city: 50 ms a page).

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// Table `name_grams`, filled from the names already stored.
pub(super) struct M0011NameIndex;

impl MigrationName for M0011NameIndex {
    fn name(&self) -> &str {
        "m0011_name_index"
    }
}

/// Records whose pairs are written by one statement.
const CHUNK: i64 = 5_000;

#[async_trait::async_trait]
impl MigrationTrait for M0011NameIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("name_grams")
                .col(small_integer("kind"))
                .col(string("gram"))
                .col(string("name_key"))
                .col(big_integer("record_id"))
                .primary_key(Index::create().col("kind").col("gram").col("name_key").col("record_id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ix_name_grams_record",
            "name_grams",
            &["kind", "record_id"],
            false,
        ))
        .await?;
        let db = m.get_connection();
        let b = db.get_database_backend();
        // Kinds as `registry::name_index::Indexed` numbers them.
        for (kind, table) in [(1i64, "carriers"), (2, "units"), (3, "party_orgs"), (4, "members")] {
            let mut after = 0i64;
            loop {
                let sql =
                    format!("SELECT id, name, name_key FROM {table} WHERE id > {after} ORDER BY id LIMIT {CHUNK}");
                let rows = db.query_all_raw(Statement::from_string(b, sql)).await?;
                let Some(last) = rows.last() else {
                    break;
                };
                after = last.try_get_by_index::<i64>(0)?;
                let mut grams: Vec<serde_json::Value> = Vec::new();
                for r in &rows {
                    let id: i64 = r.try_get_by_index(0)?;
                    let name: String = r.try_get_by_index(1)?;
                    let key: String = r.try_get_by_index(2)?;
                    for g in tongxin_domain::text::bigrams(&name) {
                        grams.push(serde_json::json!([kind, g, key, id]));
                    }
                }
                if grams.is_empty() {
                    continue;
                }
                // One JSON array per chunk, unpacked by the store itself.
                let json = serde_json::Value::Array(grams).to_string();
                let sql = match b {
                    DbBackend::Postgres => "INSERT INTO name_grams (kind, gram, name_key, record_id) \
                         SELECT (v->>0)::smallint, v->>1, v->>2, (v->>3)::bigint FROM json_array_elements($1::json) AS v"
                        .to_string(),
                    _ => "INSERT INTO name_grams (kind, gram, name_key, record_id) \
                         SELECT value->>0, value->>1, value->>2, value->>3 FROM json_each(?)"
                        .to_string(),
                };
                db.execute_raw(Statement::from_sql_and_values(b, sql, [Value::from(json)]))
                    .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0011_name_index cannot be reverted: restore a backup instead".into(),
        ))
    }
}
