//! Loading generated data (the city-scale demo) straight into the tables, in large
//! batches. It skips the per-record checks and the audit log — the type that does it is
//! called [`UncheckedLoad`] for that reason — so it is only for an empty registry, and
//! the rows must already be valid: codes and paths are the domain's types, so the rows
//! cannot hold a malformed division or a path that disagrees with its parent's shape.
//! Coverage is rebuilt once at the end.

use chrono::{NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{CarrierKind, Labelled, MemberStatus, OrgKind, OrgPath, UnitKind};

use crate::{Actor, Result, Store};

pub struct InstructorRow {
    pub id: i64,
    pub name: String,
    pub division: DivisionCode,
}

pub struct CarrierRow {
    pub id: i64,
    pub name: String,
    pub kind: CarrierKind,
    pub is_key: bool,
    pub division: DivisionCode,
    pub address: String,
}

pub struct UnitRow {
    pub id: i64,
    pub name: String,
    pub kind: UnitKind,
    pub credit_code: Option<String>,
    pub employees: Option<i64>,
    pub carrier_id: Option<i64>,
    pub division: DivisionCode,
    pub instructor_id: Option<i64>,
}

pub struct OrgRow {
    pub id: i64,
    pub name: String,
    pub kind: OrgKind,
    pub parent_id: Option<i64>,
    /// Materialised path (`/1/7/`): its parent's path and its own id.
    pub path: OrgPath,
    pub division: DivisionCode,
    pub carrier_id: Option<i64>,
    pub secretary: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub term_ends_on: Option<NaiveDate>,
    pub unit_ids: Vec<i64>,
}

pub struct MemberRow {
    pub name: String,
    pub status: MemberStatus,
    pub org_id: i64,
    pub work_unit_id: Option<i64>,
    pub resident_id: String,
    pub phone: Option<String>,
    pub joined_on: Option<NaiveDate>,
}

impl Store {
    /// True when there is no carrier, unit, organisation or member yet.
    pub async fn registry_is_empty(&self) -> Result<bool> {
        let b = self.read.get_database_backend();
        for t in ["carriers", "units", "party_orgs", "members"] {
            let r = self
                .read
                .query_one_raw(Statement::from_string(b, format!("SELECT COUNT(*) FROM {t}")))
                .await?;
            let n: i64 = r.map(|r| r.try_get_by_index(0)).transpose()?.unwrap_or(0);
            if n > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    async fn insert_rows(&self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let txn = self.begin().await?;
        crate::rows::insert_rows(&txn, table, columns, &rows, "").await?;
        txn.commit().await?;
        Ok(())
    }

    /// New registry records (see [`crate::rows::insert_records`]).
    async fn insert_records(&self, table: &str, columns: &[&str], rows: Vec<Vec<Value>>) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let txn = self.begin().await?;
        crate::rows::insert_records(&txn, table, columns, &rows, Utc::now(), "").await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The right to load generated rows straight into the tables, skipping the import's
/// checks, scope and per-row history (the city-scale generator): only an administrator
/// obtains it, and only for a store whose registry is empty. Nothing else can reach the
/// bulk loaders.
pub struct UncheckedLoad<'s> {
    store: &'s Store,
}

impl Store {
    /// Opens a generated load: an administrator, an empty registry. On SQLite the writer
    /// gets a large page cache, so index pages stay in memory while millions of rows go
    /// in (reset by [`UncheckedLoad::finish`]).
    pub async fn unchecked_load(&self, actor: &Actor) -> Result<UncheckedLoad<'_>> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        if !self.registry_is_empty().await? {
            return Err(crate::StoreError::BadFile(
                "the store already holds records: generate into an empty store".into(),
            ));
        }
        if self.backend() == crate::Backend::Sqlite {
            self.write.execute_unprepared("PRAGMA cache_size = -1048576").await?;
        }
        Ok(UncheckedLoad { store: self })
    }
}

impl UncheckedLoad<'_> {
    pub async fn load_instructors(&self, rows: &[InstructorRow]) -> Result<()> {
        let now = Utc::now();
        self.store
            .insert_rows(
                "instructors",
                &["id", "name", "division_code", "created_at"],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.id.into(),
                            r.name.clone().into(),
                            r.division.as_str().into(),
                            now.into(),
                        ]
                    })
                    .collect(),
            )
            .await
    }

    pub async fn load_carriers(&self, rows: &[CarrierRow]) -> Result<()> {
        self.store
            .insert_records(
                "carriers",
                &["id", "name", "kind", "is_key", "division_code", "address"],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.id.into(),
                            r.name.clone().into(),
                            r.kind.code().into(),
                            r.is_key.into(),
                            r.division.as_str().into(),
                            r.address.clone().into(),
                        ]
                    })
                    .collect(),
            )
            .await
    }

    pub async fn load_units(&self, rows: &[UnitRow]) -> Result<()> {
        self.store
            .insert_records(
                "units",
                &[
                    "id",
                    "name",
                    "kind",
                    "credit_code",
                    "employees",
                    "carrier_id",
                    "division_code",
                    "instructor_id",
                ],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.id.into(),
                            r.name.clone().into(),
                            r.kind.code().into(),
                            r.credit_code.clone().into(),
                            r.employees.into(),
                            r.carrier_id.into(),
                            r.division.as_str().into(),
                            r.instructor_id.into(),
                        ]
                    })
                    .collect(),
            )
            .await
    }

    pub async fn load_orgs(&self, rows: &[OrgRow]) -> Result<()> {
        self.store
            .insert_records(
                "party_orgs",
                &[
                    "id",
                    "name",
                    "kind",
                    "parent_id",
                    "path",
                    "division_code",
                    "carrier_id",
                    "secretary",
                    "founded_on",
                    "term_ends_on",
                ],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.id.into(),
                            r.name.clone().into(),
                            r.kind.code().into(),
                            r.parent_id.into(),
                            r.path.as_str().into(),
                            r.division.as_str().into(),
                            r.carrier_id.into(),
                            r.secretary.clone().into(),
                            r.founded_on.into(),
                            r.term_ends_on.into(),
                        ]
                    })
                    .collect(),
            )
            .await?;
        self.store
            .insert_rows(
                "org_units",
                &["org_id", "unit_id"],
                rows.iter()
                    .flat_map(|r| r.unit_ids.iter().map(|u| vec![r.id.into(), (*u).into()]))
                    .collect(),
            )
            .await
    }

    pub async fn load_members(&self, rows: &[MemberRow]) -> Result<()> {
        self.store
            .insert_records(
                "members",
                &[
                    "name",
                    "status",
                    "org_id",
                    "work_unit_id",
                    "resident_id",
                    "phone",
                    "joined_on",
                ],
                rows.iter()
                    .map(|r| {
                        vec![
                            r.name.clone().into(),
                            r.status.code().into(),
                            r.org_id.into(),
                            r.work_unit_id.into(),
                            r.resident_id.clone().into(),
                            r.phone.clone().into(),
                            r.joined_on.into(),
                        ]
                    })
                    .collect(),
            )
            .await
    }

    /// Ends a generated load: moves PostgreSQL's id sequences past the ids given,
    /// rebuilds coverage, and records the load in the audit log.
    pub async fn finish(self, actor: &Actor, summary: serde_json::Value) -> Result<()> {
        if self.store.backend() == crate::Backend::Postgres {
            for t in ["instructors", "carriers", "units", "party_orgs", "members"] {
                self.store.write
                    .execute_unprepared(&format!(
                        "SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false)"
                    ))
                    .await?;
            }
        }
        self.store.rebuild_coverage().await?;
        if self.store.backend() == crate::Backend::Postgres {
            // Statistics for the rows just loaded: without them PostgreSQL plans a name
            // search as if the name index held a few dozen rows (a sort of all of a
            // pair's holders, 330 ms, instead of an index walk of 1.5 ms) until
            // autovacuum's analyze comes round.
            self.store.write.execute_unprepared("ANALYZE").await?;
        }
        if self.store.backend() == crate::Backend::Sqlite {
            self.store
                .write
                .execute_unprepared(&format!("PRAGMA cache_size = {}", crate::db::SQLITE_CACHE_SIZE))
                .await?;
        }
        let txn = self.store.begin().await?;
        crate::audit::record(&txn, actor, "generate", "demo", None, None, Some(summary)).await?;
        txn.commit().await?;
        Ok(())
    }
}
