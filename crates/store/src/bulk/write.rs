//! Carrying out a plan: new records in multi-row inserts (carriers, then units, then
//! organisations a generation at a time so each has its parent's path, then members),
//! updates one by one through the registry's own edit functions, one history entry per
//! run of records created in bulk. Written in [`Steps`]: between chunks the step
//! commits (with its coverage refreshed) when it has held the writer long enough.

use super::Progress;
use super::plan::{Plan, Ref, RowFail, RowId};
use super::steps::Steps;
use crate::coverage::Dirty;
use crate::entity::{carrier, org_unit, party_org, unit_link};
use crate::registry::{MemberPatch, OrgPatch, UnitPatch};
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::ActiveValue::Set;
use sea_orm::{ConnectionTrait, EntityTrait, Value};
use std::collections::HashMap;
use tongxin_domain::registry::{CarrierId, InstructorId, Labelled, OrgId, UnitId, UnitLinkKind};
use tongxin_domain::{Coded, ErrorCode};

/// Rows per multi-row statement (well under SQLite's and PostgreSQL's bind limits).
const BATCH: usize = 500;
/// Units or members written (and their history) at a time: an import of millions of rows
/// never holds all its statement values at once.
const CHUNK: usize = 10_000;

/// A write that failed: on a row (the import is undone and the row reported), or on no
/// row in particular (`cause`: the store was busy, the import was interrupted…).
pub(crate) struct WriteFail {
    pub row: Option<RowId>,
    pub fail: RowFail,
    pub cause: Option<StoreError>,
}

impl From<StoreError> for WriteFail {
    fn from(e: StoreError) -> Self {
        WriteFail {
            row: None,
            fail: RowFail {
                column: None,
                code: e.code(),
                detail: String::new(),
            },
            cause: Some(e),
        }
    }
}

impl From<sea_orm::DbErr> for WriteFail {
    fn from(e: sea_orm::DbErr) -> Self {
        StoreError::from(e).into()
    }
}

fn at(row: RowId) -> impl Fn(StoreError) -> WriteFail {
    move |e| WriteFail {
        row: Some(row),
        cause: None,
        fail: RowFail {
            column: None,
            code: e.code(),
            detail: match e {
                StoreError::Stale { current } => current.to_string(),
                _ => String::new(),
            },
        },
    }
}

/// History entries of new records, written in bulk (the coverage they touch is marked
/// by the caller, not by each entry). Units and members, the many, get one entry per run
/// of consecutive ids (`entity_id` to `entity_id_last`) naming the file: each record's
/// history still begins with its creation, without a row per record.
struct History {
    at: chrono::DateTime<Utc>,
    account: Option<i64>,
    actor: String,
    source: serde_json::Value,
    rows: Vec<Vec<Value>>,
}

impl History {
    fn new(actor: &Actor, source: &str) -> Self {
        History {
            at: Utc::now(),
            account: actor.account_id.map(|a| a.0),
            actor: actor.username.clone(),
            source: serde_json::json!({ "import": source }),
            rows: Vec::new(),
        }
    }

    fn entry(&mut self, action: &str, entity: &str, id: i64, after: Option<serde_json::Value>) {
        self.push(action, entity, id, None, after);
    }

    fn push(&mut self, action: &str, entity: &str, id: i64, last: Option<i64>, after: Option<serde_json::Value>) {
        self.rows.push(vec![
            self.at.into(),
            self.account.into(),
            self.actor.clone().into(),
            action.into(),
            entity.into(),
            Some(id).into(),
            last.into(),
            Value::Json(None),
            Value::Json(after.map(Box::new)),
        ]);
    }

    /// The creation of many records of one kind by this import: one entry per run.
    fn created_runs(&mut self, entity: &str, runs: &[(i64, i64)]) {
        for &(first, last) in runs {
            self.push("create", entity, first, Some(last), Some(self.source.clone()));
        }
    }

    fn created(&mut self, entity: &str, id: i64, after: Option<serde_json::Value>) {
        self.entry("create", entity, id, after);
    }

    /// Writes the entries collected so far (an import of millions of rows writes them as it
    /// goes, so they are not all held at once).
    async fn flush<C: ConnectionTrait>(&mut self, db: &C) -> Result<()> {
        let columns = [
            "at",
            "account_id",
            "actor",
            "action",
            "entity",
            "entity_id",
            "entity_id_last",
            "before",
            "after",
        ];
        crate::rows::insert_rows(db, "audit_log", &columns, &self.rows, "").await?;
        self.rows.clear();
        Ok(())
    }
}

/// Ids of the records the plan creates, by their index in the plan.
#[derive(Default)]
struct Made {
    carriers: Vec<Option<i64>>,
    units: Vec<Option<i64>>,
    orgs: Vec<Option<i64>>,
}

/// The ids of rows just inserted (`RETURNING id, …`, the id first) by the key the caller
/// reads from the rest: RETURNING promises no order, so rows are matched by key.
fn ids_by_key<K: Eq + std::hash::Hash>(
    back: Vec<sea_orm::QueryResult>,
    key: impl Fn(&sea_orm::QueryResult) -> std::result::Result<K, sea_orm::DbErr>,
) -> std::result::Result<HashMap<K, i64>, sea_orm::DbErr> {
    back.iter().map(|r| Ok((key(r)?, r.try_get_by_index(0)?))).collect()
}

fn id_of(r: Ref, made: &[Option<i64>]) -> Option<i64> {
    match r {
        Ref::Old(id) => Some(id),
        Ref::New(i) => made.get(i).copied().flatten(),
    }
}

impl Store {
    /// Writes the rows of the plan that have no error, in steps (see [`Steps`]): each
    /// step's records, history, undo journal and coverage commit together.
    pub(crate) async fn write_plan(
        &self,
        steps: &mut Steps<'_>,
        actor: &Actor,
        tables: &[tongxin_import::Table],
        plan: &Plan,
        source: &str,
        progress: &dyn Progress,
    ) -> std::result::Result<(), WriteFail> {
        let ok = |r: RowId| plan.is_ok(r);
        let mut made = Made {
            carriers: vec![None; plan.carriers.len()],
            units: vec![None; plan.units.len()],
            orgs: vec![None; plan.orgs.len()],
        };
        let mut history = History::new(actor, source);
        let now = Utc::now();

        // Carriers.
        let todo: Vec<usize> = (0..plan.carriers.len()).filter(|i| ok(plan.carriers[*i].row)).collect();
        progress.stage("carriers", todo.len() as u64);
        for chunk in todo.chunks(BATCH) {
            let rows = chunk
                .iter()
                .map(|i| crate::registry::new_carrier(&plan.carriers[*i].fields, now));
            let models = carrier::Entity::insert_many(rows)
                .exec_with_returning(steps.txn())
                .await?;
            let names: Vec<(i64, &str, &str)> = models
                .iter()
                .map(|m| (m.id, m.name.as_str(), m.name_key.as_str()))
                .collect();
            crate::registry::name_index::put(steps.txn(), crate::registry::name_index::Indexed::Carriers, &names)
                .await?;
            let by_key: HashMap<(String, String), carrier::Model> = models
                .into_iter()
                .map(|m| ((m.division_code.clone(), m.name.clone()), m))
                .collect();
            let mut created = Vec::with_capacity(chunk.len());
            for i in chunk {
                let f = &plan.carriers[*i].fields;
                if let Some(m) = by_key.get(&(f.division.to_string(), f.name.clone())) {
                    made.carriers[*i] = Some(m.id);
                    steps.dirty.carrier(Some(m.id));
                    created.push(m.id);
                    history.created("carrier", m.id, serde_json::to_value(m).ok());
                }
            }
            steps.created("carrier", created);
            progress.advance(chunk.len() as u64);
            step(steps, &mut history).await?;
        }
        for u in plan.carrier_updates.iter().filter(|u| ok(u.row)) {
            let f = u.patch.over(&u.before).map_err(at(u.row))?;
            steps.updating("carrier", u.before.id, &u.before);
            self.update_carrier_in(steps.txn(), actor, u.before.clone(), f)
                .await
                .map_err(at(u.row))?;
            step(steps, &mut history).await?;
        }

        // Instructors named in the units sheet (found or recorded per street).
        let mut instructors = HashMap::new();
        let keys = plan
            .units
            .iter()
            .filter(|u| ok(u.row))
            .filter_map(|u| u.instructor.clone())
            .chain(
                plan.unit_updates
                    .iter()
                    .filter(|u| ok(u.update.row))
                    .filter_map(|u| u.instructor.clone()),
            );
        for k in keys {
            if let std::collections::hash_map::Entry::Vacant(e) = instructors.entry(k.clone()) {
                let phone = plan.instructor_phones.get(&k).cloned();
                let (m, new) =
                    crate::registry::ensure_instructor_in(steps.txn(), actor, &k.name, phone, &k.street).await?;
                if new {
                    steps.created("instructor", vec![m.id]);
                }
                e.insert(m.id);
            }
        }

        // Units: many, so written as rows (not models), their ids read back by key.
        let todo: Vec<usize> = (0..plan.units.len()).filter(|i| ok(plan.units[*i].row)).collect();
        let columns = [
            "name",
            "kind",
            "credit_code",
            "employees",
            "carrier_id",
            "division_code",
            "address",
            "instructor_id",
        ];
        progress.stage("units", todo.len() as u64);
        for todo in todo.chunks(CHUNK) {
            let rows: Vec<Vec<Value>> = todo
                .iter()
                .map(|i| {
                    let u = &plan.units[*i];
                    let f = &u.fields;
                    vec![
                        f.name.clone().into(),
                        f.kind.code().into(),
                        f.credit_code.as_ref().map(|c| c.to_string()).into(),
                        f.employees.map(i64::from).into(),
                        u.carrier.and_then(|c| id_of(c, &made.carriers)).into(),
                        f.division.to_string().into(),
                        f.address.clone().into(),
                        u.instructor.as_ref().and_then(|k| instructors.get(k).copied()).into(),
                    ]
                })
                .collect();
            let back =
                crate::rows::insert_records(steps.txn(), "units", &columns, &rows, now, "id, division_code, name")
                    .await?;
            let ids = ids_by_key(back, |r| {
                Ok((r.try_get_by_index::<String>(1)?, r.try_get_by_index::<String>(2)?))
            })?;
            let mut created = Vec::with_capacity(todo.len());
            for i in todo {
                let f = &plan.units[*i].fields;
                if let Some(id) = ids.get(&(f.division.to_string(), f.name.clone())) {
                    made.units[*i] = Some(*id);
                    steps.dirty.fresh_unit(*id);
                    created.push(*id);
                }
            }
            // The record holds its values; its history says who created it, when, from
            // which file. A row per record (with its fields) cost a fifth of the import.
            let runs = crate::rows::runs(created);
            history.created_runs("unit", &runs);
            steps.created_runs("unit", &runs);
            progress.advance(todo.len() as u64);
            step(steps, &mut history).await?;
        }
        for u in plan.unit_updates.iter().filter(|u| ok(u.update.row)) {
            let patch = UnitPatch {
                carrier_id: u.carrier.map(|c| id_of(c, &made.carriers).map(CarrierId)),
                instructor_id: u
                    .instructor
                    .as_ref()
                    .map(|k| instructors.get(k).copied().map(InstructorId)),
                ..u.update.patch.clone()
            };
            let input = patch.over(&u.update.before).map_err(at(u.update.row))?;
            steps.updating("unit", u.update.before.id, &u.update.before);
            self.update_unit_in(steps.txn(), actor, u.update.before.clone(), input)
                .await
                .map_err(at(u.update.row))?;
            step(steps, &mut history).await?;
        }
        // Headquarters links (a unit before its headquarters in the sheet is fine: both
        // exist by now).
        let links: Vec<(i64, i64)> = plan
            .links
            .iter()
            .filter(|(row, ..)| ok(*row))
            .filter_map(|(_, hq, me)| Some((id_of(*hq, &made.units)?, id_of(*me, &made.units)?)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in links.chunks(BATCH) {
            let rows: Vec<unit_link::ActiveModel> = chunk
                .iter()
                .map(|(hq, me)| {
                    steps.dirty.unit(Some(*me));
                    steps.linked(*hq, *me);
                    history.entry(
                        "link",
                        "unit",
                        *hq,
                        Some(serde_json::json!({"kind": UnitLinkKind::HeadquartersOf.code(), "other_unit_id": me})),
                    );
                    unit_link::ActiveModel {
                        unit_id: Set(*hq),
                        kind: Set(UnitLinkKind::HeadquartersOf.code().into()),
                        other_unit_id: Set(*me),
                        ..Default::default()
                    }
                })
                .collect();
            unit_link::Entity::insert_many(rows)
                .exec_without_returning(steps.txn())
                .await?;
            step(steps, &mut history).await?;
        }

        // Organisations, a generation at a time: each needs its parent's path.
        let depth = generations(plan);
        let max = depth.iter().flatten().copied().max().unwrap_or(0);
        progress.stage(
            "organisations",
            (0..plan.orgs.len()).filter(|i| ok(plan.orgs[*i].row)).count() as u64,
        );
        for level in 0..=max {
            let todo: Vec<usize> = (0..plan.orgs.len())
                .filter(|i| ok(plan.orgs[*i].row) && depth[*i] == Some(level))
                .collect();
            for chunk in todo.chunks(BATCH) {
                let txn = steps.txn();
                let rows = chunk.iter().map(|i| {
                    let o = &plan.orgs[*i];
                    crate::registry::new_org(
                        &o.fields,
                        o.parent.and_then(|p| id_of(p, &made.orgs)),
                        o.carrier.and_then(|c| id_of(c, &made.carriers)),
                        now,
                    )
                });
                let models = party_org::Entity::insert_many(rows).exec_with_returning(txn).await?;
                let names: Vec<(i64, &str, &str)> = models
                    .iter()
                    .map(|m| (m.id, m.name.as_str(), m.name_key.as_str()))
                    .collect();
                crate::registry::name_index::put(txn, crate::registry::name_index::Indexed::Orgs, &names).await?;
                let ids: Vec<i64> = models.iter().map(|m| m.id).collect();
                // The path from the parent's, in one statement for the chunk, which answers
                // the paths it wrote.
                let paths: HashMap<i64, String> = txn
                    .query_all_raw(sea_orm::Statement::from_string(
                        txn.get_database_backend(),
                        format!(
                            "UPDATE party_orgs SET path = COALESCE((SELECT p.path FROM party_orgs p \
                             WHERE p.id = party_orgs.parent_id), '/') || CAST(id AS TEXT) || '/' WHERE id IN ({}) \
                             RETURNING id, path",
                            ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
                        ),
                    ))
                    .await?
                    .iter()
                    .map(|r| Ok((r.try_get_by_index::<i64>(0)?, r.try_get_by_index::<String>(1)?)))
                    .collect::<std::result::Result<_, sea_orm::DbErr>>()?;
                let by_key: HashMap<(String, String), party_org::Model> = models
                    .into_iter()
                    .map(|m| ((m.division_code.clone(), m.name.clone()), m))
                    .collect();
                let mut attach = Vec::new();
                // Carriers that gain an organisation: their units' coverage changes.
                let mut carriers_with_org = Vec::new();
                for i in chunk {
                    let o = &plan.orgs[*i];
                    let Some(m) = by_key.get(&(o.fields.division.to_string(), o.fields.name.clone())) else {
                        continue;
                    };
                    made.orgs[*i] = Some(m.id);
                    let mut units: Vec<i64> = o.units.iter().filter_map(|u| id_of(*u, &made.units)).collect();
                    units.sort_unstable();
                    units.dedup();
                    steps.dirty.org(Some(m.id));
                    for u in &units {
                        steps.dirty.unit(Some(*u));
                        attach.push(org_unit::ActiveModel {
                            org_id: Set(m.id),
                            unit_id: Set(*u),
                        });
                    }
                    carriers_with_org.extend(m.carrier_id);
                    let mut after = serde_json::to_value(m).unwrap_or_default();
                    if let Some(obj) = after.as_object_mut() {
                        obj.insert("path".into(), paths.get(&m.id).cloned().unwrap_or_default().into());
                        obj.insert("unit_ids".into(), serde_json::json!(units));
                    }
                    history.created("party_org", m.id, Some(after));
                }
                let txn = steps.txn();
                for part in attach.chunks(BATCH) {
                    org_unit::Entity::insert_many(part.to_vec())
                        .exec_without_returning(txn)
                        .await?;
                }
                let mut dirty = Dirty::default();
                dirty.carriers_with_units(txn, &carriers_with_org).await?;
                steps.dirty.merge(dirty);
                steps.created("party_org", ids);
                progress.advance(chunk.len() as u64);
                step(steps, &mut history).await?;
            }
        }
        for o in plan.org_updates.iter().filter(|o| ok(o.update.row)) {
            let have = crate::registry::org_unit_ids(steps.txn(), o.update.before.id).await?;
            let patch = OrgPatch {
                parent_id: o.parent.map(|p| id_of(p, &made.orgs).map(OrgId)),
                carrier_id: o.carrier.map(|c| id_of(c, &made.carriers).map(CarrierId)),
                unit_ids: o
                    .units
                    .as_ref()
                    .map(|us| us.iter().filter_map(|u| id_of(*u, &made.units).map(UnitId)).collect()),
                ..o.update.patch.clone()
            };
            let input = patch.over(&o.update.before, have.clone()).map_err(at(o.update.row))?;
            let mut before = serde_json::to_value(&o.update.before).unwrap_or_default();
            if let Some(obj) = before.as_object_mut() {
                obj.insert("unit_ids".into(), serde_json::json!(have));
            }
            steps.updating_json("party_org", o.update.before.id, before);
            self.update_org_in(steps.txn(), actor, o.update.before.clone(), &have, input)
                .await
                .map_err(at(o.update.row))?;
            step(steps, &mut history).await?;
        }

        // Members: written as rows, their ids read back by resident ID.
        let todo: Vec<usize> = (0..plan.members.len())
            .filter(|i| ok(plan.members[*i].row) && id_of(plan.members[*i].org, &made.orgs).is_some())
            .collect();
        let columns = [
            "name",
            "status",
            "org_id",
            "work_unit_id",
            "resident_id",
            "phone",
            "joined_on",
        ];
        progress.stage("members", todo.len() as u64);
        for todo in todo.chunks(CHUNK) {
            // The fields of each row, read again (the plan keeps only what they refer to).
            let mut fields = Vec::with_capacity(todo.len());
            for i in todo {
                let row = plan.members[*i].row;
                match super::plan::member_fields(&tables[row.table].rows[row.row]) {
                    Ok(f) => fields.push(f),
                    // Checked when planned: only a changed rule could refuse it now.
                    Err(mut fails) => {
                        return Err(WriteFail {
                            row: Some(row),
                            fail: fails
                                .pop()
                                .unwrap_or_else(|| super::plan::fail(None, ErrorCode::Internal, "")),
                            cause: None,
                        });
                    }
                }
            }
            let rows: Vec<Vec<Value>> = todo
                .iter()
                .zip(&fields)
                .map(|(i, f)| {
                    let m = &plan.members[*i];
                    vec![
                        f.name.clone().into(),
                        f.status.code().into(),
                        id_of(m.org, &made.orgs).into(),
                        m.work_unit.and_then(|u| id_of(u, &made.units)).into(),
                        f.resident_id.reveal().to_string().into(),
                        f.phone.as_ref().map(|p| p.reveal().to_string()).into(),
                        f.joined_on.into(),
                    ]
                })
                .collect();
            let back =
                crate::rows::insert_records(steps.txn(), "members", &columns, &rows, now, "id, resident_id").await?;
            let ids = ids_by_key(back, |r| r.try_get_by_index::<String>(1))?;
            let mut created = Vec::with_capacity(todo.len());
            for (i, f) in todo.iter().zip(&fields) {
                let m = &plan.members[*i];
                if let Some(id) = ids.get(f.resident_id.reveal()) {
                    let org = id_of(m.org, &made.orgs);
                    let work = m.work_unit.and_then(|u| id_of(u, &made.units));
                    steps.dirty.org(org).unit(work);
                    created.push(*id);
                }
            }
            let runs = crate::rows::runs(created);
            history.created_runs("member", &runs);
            steps.created_runs("member", &runs);
            progress.advance(todo.len() as u64);
            step(steps, &mut history).await?;
        }
        for m in plan.member_updates.iter().filter(|m| ok(m.update.row)) {
            let patch = MemberPatch {
                org_id: id_of(m.org, &made.orgs).map(OrgId),
                work_unit_id: m.work_unit.map(|u| id_of(u, &made.units).map(UnitId)),
                ..m.update.patch.clone()
            };
            let input = patch.over(&m.update.before).map_err(at(m.update.row))?;
            steps.updating("member", m.update.before.id, &m.update.before);
            self.update_member_in(steps.txn(), actor, m.update.before.clone(), input)
                .await
                .map_err(at(m.update.row))?;
            step(steps, &mut history).await?;
        }
        history.flush(steps.txn()).await?;
        Ok(())
    }
}

/// The history written so far goes with the step's records; then the step commits if it
/// has held the writer long enough.
async fn step(steps: &mut Steps<'_>, history: &mut History) -> Result<()> {
    history.flush(steps.txn()).await?;
    steps.checkpoint().await
}

/// The generation of each new organisation: 0 when its parent is stored (or none), one
/// more than its parent's when the parent is new. `None` for rows in a cycle.
fn generations(plan: &Plan) -> Vec<Option<usize>> {
    let n = plan.orgs.len();
    let mut depth: Vec<Option<usize>> = vec![None; n];
    for start in 0..n {
        let mut chain = Vec::new();
        let mut at = start;
        let base = loop {
            if let Some(d) = depth[at] {
                break Some(d);
            }
            if chain.contains(&at) || chain.len() > n {
                break None;
            }
            chain.push(at);
            match plan.orgs[at].parent {
                Some(Ref::New(p)) => at = p,
                _ => break Some(usize::MAX),
            }
        };
        let Some(base) = base else { continue };
        // Walk back down the chain assigning depths.
        let mut d = if base == usize::MAX { None } else { Some(base) };
        for i in chain.into_iter().rev() {
            let here = d.map_or(0, |x| x + 1);
            depth[i] = Some(here);
            d = Some(here);
        }
    }
    depth
}
