//! Names sort naturally: 第2党支部 before 第10党支部. Each registry table gets
//! `name_key` (the domain's `text::sort_key` of the name, written with every name) and
//! an index `(name_key, id)` that lists in name order read, keyset paging included.

use super::index;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

/// `name_key` on carriers, units, party organisations and members, filled from the
/// names already stored.
pub(super) struct M0008NaturalOrder;

impl MigrationName for M0008NaturalOrder {
    fn name(&self) -> &str {
        "m0008_natural_order"
    }
}

/// Rows whose keys are written by one statement.
const CHUNK: usize = 500;

#[async_trait::async_trait]
impl MigrationTrait for M0008NaturalOrder {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        let b = db.get_database_backend();
        for (ix, table) in [
            ("ix_carriers_name_key_id", "carriers"),
            ("ix_units_name_key_id", "units"),
            ("ix_party_orgs_name_key_id", "party_orgs"),
            ("ix_members_name_key_id", "members"),
        ] {
            m.alter_table(
                Table::alter()
                    .table(table)
                    .add_column(string("name_key").default(""))
                    .to_owned(),
            )
            .await?;
            // The keys of the names already there, a chunk of rows per statement (a
            // city's members are millions).
            let mut after = 0i64;
            loop {
                let sql = format!("SELECT id, name FROM {table} WHERE id > {after} ORDER BY id LIMIT {CHUNK}");
                let rows = db.query_all_raw(Statement::from_string(b, sql)).await?;
                let Some(last) = rows.last() else {
                    break;
                };
                after = last.try_get_by_index::<i64>(0)?;
                let mut cases = String::new();
                let mut values: Vec<Value> = Vec::with_capacity(rows.len() * 2);
                let mut ids = Vec::with_capacity(rows.len());
                for r in &rows {
                    let id: i64 = r.try_get_by_index(0)?;
                    let name: String = r.try_get_by_index(1)?;
                    let n = values.len();
                    let (p_id, p_key) = match b {
                        DbBackend::Postgres => (format!("${}", n + 1), format!("${}", n + 2)),
                        _ => ("?".to_string(), "?".to_string()),
                    };
                    cases.push_str(&format!(" WHEN {p_id} THEN {p_key}"));
                    values.push(id.into());
                    values.push(tongxin_domain::text::sort_key(&name).into());
                    ids.push(id.to_string());
                }
                let sql = format!(
                    "UPDATE {table} SET name_key = CASE id{cases} END WHERE id IN ({})",
                    ids.join(",")
                );
                db.execute_raw(Statement::from_sql_and_values(b, sql, values)).await?;
            }
            m.create_index(index(ix, table, &["name_key", "id"], false)).await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0008_natural_order cannot be reverted: restore a backup instead".into(),
        ))
    }
}
