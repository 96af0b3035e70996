use super::common::{
    Beside, ListQuery, NameJoin, Named, Page, Scoped, Sorting, check_version, division_filter, filter_opt, named_one,
    not_archived, orgs_under, page_of, scope_condition,
};
use super::name_index::{Indexed, narrow};
use crate::audit::{self, AuditEntry};
use crate::entity::{carrier, org_unit, party_org};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter};
use serde::Serialize;
use tongxin_domain::access::Action;
use tongxin_domain::registry::{CarrierId, Labelled, OrgFields, OrgId, OrgKind, OrgPath, UnitId};

/// Input for creating or editing a party organisation.
#[derive(Debug, Clone)]
pub struct OrgInput {
    pub fields: OrgFields,
    pub parent_id: Option<OrgId>,
    /// Carrier the organisation is set up in (a building or park committee or branch).
    pub carrier_id: Option<CarrierId>,
    /// Units the organisation belongs to: one for its own branch, several for a joint branch.
    pub unit_ids: Vec<UnitId>,
}

/// A party organisation as the API and console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrgView {
    pub id: OrgId,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub parent_id: Option<OrgId>,
    pub parent_name: Option<String>,
    pub path: String,
    pub division_code: String,
    pub division_name: String,
    pub carrier_id: Option<CarrierId>,
    pub carrier_name: Option<String>,
    pub secretary: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub term_ends_on: Option<NaiveDate>,
    pub unit_ids: Vec<UnitId>,
    pub unit_names: Vec<String>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn scope(actor: &Actor) -> sea_orm::Condition {
    scope_condition(
        actor,
        Scoped::Located {
            division: party_org::Column::DivisionCode,
            id: party_org::Column::Id,
            via_org: orgs_under,
        },
    )
}

/// What an organisation's row reads beside its fields: its parent's and its carrier's
/// names, and its units with their names (as JSON `[[id, name], …]`), in the page's own
/// query.
pub(crate) fn beside(b: DbBackend) -> Beside<party_org::Column> {
    let units = match b {
        DbBackend::Postgres => "json_agg(json_build_array(ou.unit_id, u.name) ORDER BY ou.unit_id)::text",
        _ => "json_group_array(json_array(ou.unit_id, u.name))",
    };
    Beside {
        names: vec![
            NameJoin::new(party_org::Entity, party_org::Column::ParentId),
            NameJoin::new(carrier::Entity, party_org::Column::CarrierId),
        ],
        extra: Some(Expr::cust(format!(
            "(SELECT {units} FROM org_units ou JOIN units u ON u.id = ou.unit_id \
             WHERE ou.org_id = \"party_orgs\".\"id\")"
        ))),
    }
}

impl Store {
    /// One organisation's view, read by `find` with its names (one query).
    pub(crate) async fn org_view(&self, find: sea_orm::Select<party_org::Entity>) -> Result<OrgView> {
        let row = named_one(&self.read, find, &beside(self.read.get_database_backend())).await?;
        Ok(self.org_views(vec![row]).await?.remove(0))
    }

    /// Views of rows read with [`names`], with their units.
    pub(crate) async fn org_views(&self, rows: Vec<Named<party_org::Model>>) -> Result<Vec<OrgView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.row.division_code.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |Named {
                     row: m,
                     names: [parent_name, carrier_name],
                     extra,
                 }| {
                    // Its units, by id.
                    let mut mine: Vec<(i64, String)> =
                        extra.and_then(|j| serde_json::from_str(&j).ok()).unwrap_or_default();
                    mine.sort_by_key(|u| u.0);
                    OrgView {
                        kind_label: OrgKind::parse_any(&m.kind)
                            .map(|k| k.label_zh())
                            .unwrap_or_default()
                            .to_string(),
                        division_name: names.get(&m.division_code).cloned().unwrap_or_default(),
                        parent_name,
                        carrier_name,
                        unit_ids: mine.iter().map(|u| UnitId(u.0)).collect(),
                        unit_names: mine.into_iter().map(|u| u.1).collect(),
                        id: OrgId(m.id),
                        name: m.name,
                        kind: m.kind,
                        parent_id: m.parent_id.map(OrgId),
                        path: m.path,
                        division_code: m.division_code,
                        carrier_id: m.carrier_id.map(CarrierId),
                        secretary: m.secretary,
                        founded_on: m.founded_on,
                        term_ends_on: m.term_ends_on,
                        archived: m.archived,
                        version: m.version,
                        created_at: m.created_at,
                        updated_at: m.updated_at,
                    }
                },
            )
            .collect())
    }

    pub async fn list_orgs(&self, actor: &Actor, q: &ListQuery) -> Result<Page<OrgView>> {
        actor.require(Action::ReadRegistry)?;
        let mut sel = party_org::Entity::find().filter(scope(actor));
        sel = filter_opt(sel, division_filter(q, party_org::Column::DivisionCode)?);
        if !q.archived {
            sel = sel.filter(not_archived(
                self.read.get_database_backend(),
                party_org::Column::Archived,
            ));
        }
        if let Some(k) = q.kind.as_deref().and_then(OrgKind::parse_any) {
            sel = sel.filter(party_org::Column::Kind.eq(k.code()));
        }
        let mut by_index = false;
        if let Some(s) = q.search() {
            (sel, by_index) = narrow(
                &self.read,
                Indexed::Orgs,
                sel,
                &s,
                party_org::Column::Id,
                party_org::Column::Name,
            )
            .await?;
        }
        let (col, desc) = q.sort_by(&["name", "created_at", "updated_at", "term_ends_on", "division_code"]);
        let by_name = col == "name";
        let col = match col {
            "created_at" => party_org::Column::CreatedAt,
            "updated_at" => party_org::Column::UpdatedAt,
            "term_ends_on" => party_org::Column::TermEndsOn,
            "division_code" => party_org::Column::DivisionCode,
            _ => party_org::Column::NameKey,
        };
        let known = self.counted_total(actor, q, super::totals::Listed::Orgs).await?;
        let (rows, page) = page_of(
            &self.read,
            sel,
            q,
            Sorting {
                col,
                desc,
                by_name,
                name_col: party_org::Column::NameKey,
                id_col: party_org::Column::Id,
                by_index,
            },
            &beside(self.read.get_database_backend()),
            |m| m.id,
            known,
        )
        .await?
        .take();
        Ok(page.with(self.org_views(rows).await?))
    }

    pub async fn get_org(&self, actor: &Actor, id: OrgId) -> Result<OrgView> {
        actor.require(Action::ReadRegistry)?;
        self.org_view(party_org::Entity::find_by_id(id.0).filter(scope(actor)))
            .await
    }

    pub async fn org_history(&self, actor: &Actor, id: OrgId) -> Result<Vec<AuditEntry>> {
        self.get_org(actor, id).await?;
        self.history_of("party_org", id.0).await
    }

    /// The stored path of an organisation, to build a scope or a territory from; no scope
    /// check, so only the store's own code may call it (account administration, which
    /// checks its caller's right, and coverage territories, which check the actor first).
    pub(crate) async fn org_path(&self, id: OrgId) -> Result<OrgPath> {
        let m = party_org::Entity::find_by_id(id.0)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        OrgPath::from_stored(&m.path).ok_or(StoreError::NotFound)
    }

    async fn check_org_refs<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        i: &OrgInput,
        before: Option<(&party_org::Model, &[UnitId])>,
    ) -> Result<Option<party_org::Model>> {
        // On an edit only what changes is checked: a reference set by a higher office
        // (a district committee as parent) stays as it is.
        let self_id = before.map(|(b, _)| b.id);
        if let Some(c) = i.carrier_id
            && before.is_none_or(|(b, _)| b.carrier_id != Some(c.0))
        {
            super::refs::carrier(db, actor, c, "carrier_id").await?;
        }
        for u in &i.unit_ids {
            if before.is_none_or(|(_, have)| !have.contains(u)) {
                super::refs::unit(db, actor, *u, "unit_ids").await?;
            }
        }
        let parent = match i.parent_id {
            None => None,
            Some(p) if before.is_some_and(|(b, _)| b.parent_id == Some(p.0)) => None,
            Some(p) => {
                let parent = super::refs::org(db, actor, p, "parent_id").await?;
                // A parent may not lie in the organisation's own subtree (no cycles).
                if let Some(me) = self_id
                    && parent.path.contains(&format!("/{me}/"))
                {
                    return Err(StoreError::Reference { field: "parent_id" });
                }
                Some(parent)
            }
        };
        Ok(parent)
    }

    pub async fn create_org(&self, actor: &Actor, i: OrgInput) -> Result<OrgView> {
        actor.require(Action::WriteRegistry)?;
        self.check_placement(actor, &i.fields.division).await?;
        let txn = self.begin().await?;
        let parent = self.check_org_refs(&txn, actor, &i, None).await?;
        let m = insert_org(&txn, &i, parent.as_ref()).await?;
        crate::coverage::follow(
            &txn,
            crate::coverage::Touched::Org {
                id: m.id,
                units_before: vec![],
                carrier_before: None,
            },
        )
        .await?;
        audit::record(
            &txn,
            actor,
            "create",
            "party_org",
            Some(m.id),
            None,
            serde_json::to_value(&m).ok(),
        )
        .await?;
        txn.commit().await?;
        self.org_view(party_org::Entity::find_by_id(m.id)).await
    }

    /// Edits an organisation: the fields of the patch, laid over the stored row.
    pub async fn update_org(&self, actor: &Actor, id: OrgId, version: i64, patch: &super::OrgPatch) -> Result<OrgView> {
        actor.require(Action::WriteRegistry)?;
        let txn = self.begin().await?;
        let id = id.0;
        let before = party_org::Entity::find_by_id(id)
            .filter(scope(actor))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let have = org_unit_ids(&txn, id).await?;
        let i = patch.over(&before, have.clone())?;
        self.check_placement(actor, &i.fields.division).await?;
        self.check_org_refs(&txn, actor, &i, Some((&before, &have))).await?;
        let after = self.update_org_in(&txn, actor, before, &have, i).await?;
        txn.commit().await?;
        self.org_view(party_org::Entity::find_by_id(after.id)).await
    }

    /// Applies an edit to a row read in the same transaction, with the units it was
    /// attached to (`units_before`, read by the caller in that transaction too):
    /// version-checked, moves the subtree when the parent changes, audited.
    pub(crate) async fn update_org_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        before: party_org::Model,
        units_before: &[UnitId],
        i: OrgInput,
    ) -> Result<party_org::Model> {
        let id = before.id;
        let before_json = org_json_with(&before, units_before);
        let find = party_org::Entity::find_by_id(id);
        let parent = match i.parent_id {
            // The parent it already has, wherever it lies (read for its path).
            Some(p) if before.parent_id == Some(p.0) => Some(
                party_org::Entity::find_by_id(p.0)
                    .one(txn)
                    .await?
                    .ok_or(StoreError::Reference { field: "parent_id" })?,
            ),
            Some(p) => {
                let parent = super::refs::org(txn, actor, p, "parent_id").await?;
                if parent.path.contains(&format!("/{id}/")) {
                    return Err(StoreError::Reference { field: "parent_id" });
                }
                Some(parent)
            }
            None => None,
        };
        let new_path = match &parent {
            Some(p) => OrgPath::from_stored(&p.path).map(|p| p.child(OrgId(id))),
            None => Some(OrgPath::root(OrgId(id))),
        }
        .ok_or(StoreError::NotFound)?;
        let f = &i.fields;
        let res = party_org::Entity::update_many()
            .col_expr(
                party_org::Column::NameKey,
                Expr::value(tongxin_domain::text::sort_key(&f.name)),
            )
            .col_expr(party_org::Column::Name, Expr::value(f.name.clone()))
            .col_expr(party_org::Column::Kind, Expr::value(f.kind.code()))
            .col_expr(party_org::Column::ParentId, Expr::value(i.parent_id.map(i64::from)))
            .col_expr(party_org::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(party_org::Column::CarrierId, Expr::value(i.carrier_id.map(i64::from)))
            .col_expr(party_org::Column::Secretary, Expr::value(f.secretary.clone()))
            .col_expr(party_org::Column::FoundedOn, Expr::value(f.founded_on))
            .col_expr(party_org::Column::TermEndsOn, Expr::value(f.term_ends_on))
            .col_expr(party_org::Column::Version, Expr::col(party_org::Column::Version).add(1))
            .col_expr(party_org::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(party_org::Column::Id.eq(id))
            .filter(party_org::Column::Version.eq(before.version))
            .exec(txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(txn, res.rows_affected, find.clone(), |m| m.version).await?;
        if new_path.as_str() != before.path {
            // Move the whole subtree: replace the old path prefix with the new one.
            let old = OrgPath::from_stored(&before.path).ok_or(StoreError::NotFound)?;
            let (lo, hi) = old.subtree_range();
            let keep_from = (before.path.len() + 1) as i64;
            party_org::Entity::update_many()
                .col_expr(
                    party_org::Column::Path,
                    // An OrgPath holds only digits and slashes, so it is safe inline.
                    Expr::cust(format!("'{}' || substr(path, {keep_from})", new_path.as_str())),
                )
                .filter(party_org::Column::Path.gte(lo))
                .filter(party_org::Column::Path.lt(hi))
                .exec(txn)
                .await?;
        }
        set_org_units(txn, id, &i.unit_ids).await?;
        let after = find.one(txn).await?.ok_or(StoreError::NotFound)?;
        if after.name != before.name {
            super::name_index::rename(txn, Indexed::Orgs, id, &after.name, &after.name_key).await?;
        }
        crate::coverage::follow(
            txn,
            crate::coverage::Touched::Org {
                id,
                units_before: units_before.iter().map(|u| u.0).collect(),
                carrier_before: before.carrier_id,
            },
        )
        .await?;
        audit::record(
            txn,
            actor,
            "update",
            "party_org",
            Some(id),
            before_json,
            org_json(txn, &after).await?,
        )
        .await?;
        Ok(after)
    }

    pub async fn archive_org(&self, actor: &Actor, id: OrgId, version: i64, archived: bool) -> Result<OrgView> {
        actor.require(Action::WriteRegistry)?;
        let id = id.0;
        let txn = self.begin().await?;
        let find = party_org::Entity::find_by_id(id).filter(scope(actor));
        let before = find.clone().one(&txn).await?.ok_or(StoreError::NotFound)?;
        if archived {
            // An organisation with live members or live child organisations stays: its
            // members would belong nowhere (brief §4a.6).
            let members = crate::entity::member::Entity::find()
                .filter(crate::entity::member::Column::OrgId.eq(id))
                .filter(crate::entity::member::Column::Archived.eq(false))
                .count(&txn)
                .await?;
            let children = party_org::Entity::find()
                .filter(party_org::Column::ParentId.eq(id))
                .filter(party_org::Column::Archived.eq(false))
                .count(&txn)
                .await?;
            if members + children > 0 {
                return Err(StoreError::InUse);
            }
        }
        let res = party_org::Entity::update_many()
            .col_expr(party_org::Column::Archived, Expr::value(archived))
            .col_expr(party_org::Column::Version, Expr::col(party_org::Column::Version).add(1))
            .col_expr(party_org::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(party_org::Column::Id.eq(id))
            .filter(party_org::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        let action = if archived { "archive" } else { "restore" };
        crate::coverage::follow(
            &txn,
            crate::coverage::Touched::Org {
                id,
                units_before: vec![],
                carrier_before: before.carrier_id,
            },
        )
        .await?;
        audit::record(
            &txn,
            actor,
            action,
            "party_org",
            Some(id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        txn.commit().await?;
        self.org_view(party_org::Entity::find_by_id(after.id)).await
    }
}

async fn org_json<C: ConnectionTrait>(db: &C, m: &party_org::Model) -> Result<Option<serde_json::Value>> {
    Ok(org_json_with(m, &org_unit_ids(db, m.id).await?))
}

/// An organisation as its history keeps it: its row and the units it is attached to.
fn org_json_with(m: &party_org::Model, units: &[UnitId]) -> Option<serde_json::Value> {
    let mut v = serde_json::to_value(m).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("unit_ids".into(), serde_json::json!(units));
    }
    Some(v)
}

pub(crate) async fn set_org_units<C: ConnectionTrait>(db: &C, org_id: i64, unit_ids: &[UnitId]) -> Result<()> {
    org_unit::Entity::delete_many()
        .filter(org_unit::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    let mut ids: Vec<i64> = unit_ids.iter().map(|u| u.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        org_unit::Entity::insert_many(ids.into_iter().map(|u| org_unit::ActiveModel {
            org_id: Set(org_id),
            unit_id: Set(u),
        }))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

/// The row of a new organisation, its path still empty (it needs the id: see
/// [`insert_org`]; an import sets the paths of a chunk in one statement).
pub(crate) fn new_org(
    f: &OrgFields,
    parent_id: Option<i64>,
    carrier_id: Option<i64>,
    now: DateTime<Utc>,
) -> party_org::ActiveModel {
    party_org::ActiveModel {
        name_key: Set(tongxin_domain::text::sort_key(&f.name)),
        name: Set(f.name.clone()),
        kind: Set(f.kind.code().into()),
        parent_id: Set(parent_id),
        path: Set(String::new()),
        division_code: Set(f.division.to_string()),
        carrier_id: Set(carrier_id),
        secretary: Set(f.secretary.clone()),
        founded_on: Set(f.founded_on),
        term_ends_on: Set(f.term_ends_on),
        archived: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Inserts an organisation and sets its path from its id (a second statement: the id is
/// known only after the insert).
pub(crate) async fn insert_org<C: ConnectionTrait>(
    db: &C,
    i: &OrgInput,
    parent: Option<&party_org::Model>,
) -> Result<party_org::Model> {
    let m = party_org::Entity::insert(new_org(
        &i.fields,
        parent.map(|p| p.id),
        i.carrier_id.map(i64::from),
        Utc::now(),
    ))
    .exec_with_returning(db)
    .await
    .map_err(unique_as("name"))?;
    super::name_index::put(db, Indexed::Orgs, &[(m.id, &m.name, &m.name_key)]).await?;
    let path = match parent.and_then(|p| OrgPath::from_stored(&p.path)) {
        Some(p) => p.child(OrgId(m.id)),
        None => OrgPath::root(OrgId(m.id)),
    };
    party_org::Entity::update_many()
        .col_expr(party_org::Column::Path, Expr::value(path.as_str()))
        .filter(party_org::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    set_org_units(db, m.id, &i.unit_ids).await?;
    Ok(party_org::Model {
        path: path.as_str().to_string(),
        ..m
    })
}

pub(crate) async fn org_unit_ids<C: ConnectionTrait>(db: &C, org_id: i64) -> Result<Vec<UnitId>> {
    Ok(org_unit::Entity::find()
        .filter(org_unit::Column::OrgId.eq(org_id))
        .all(db)
        .await?
        .into_iter()
        .map(|l| UnitId(l.unit_id))
        .collect())
}
