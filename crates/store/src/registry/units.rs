use super::common::{
    Beside, ListQuery, NameJoin, Named, Page, Scoped, Sorting, check_version, division_filter, filter_opt, named_one,
    not_archived, page_of, scope_condition, units_under,
};
use super::name_index::{Indexed, narrow};
use crate::audit::{self, AuditEntry};
use crate::entity::{carrier, instructor, org_unit, party_org, unit, unit_link};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::registry::{CarrierId, InstructorId, Labelled, OrgId, UnitFields, UnitId, UnitKind, UnitLinkKind};

/// Input for creating or editing a unit: its fields and where it sits.
#[derive(Debug, Clone)]
pub struct UnitInput {
    pub fields: UnitFields,
    pub carrier_id: Option<CarrierId>,
    /// Party-building instructor (党建指导员) assigned to the unit.
    pub instructor_id: Option<InstructorId>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitLinkView {
    pub kind: String,
    pub kind_label: String,
    /// The other unit; `None` when it lies outside the caller's territory (the link is
    /// counted, the unit not named: chain coverage does the same).
    pub other_unit_id: Option<UnitId>,
    pub other_unit_name: Option<String>,
    /// True when this unit is the other's headquarters/franchisee/supplier; false when
    /// the other unit holds that relation to this one.
    pub outgoing: bool,
}

/// A unit as the API and console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitView {
    pub id: UnitId,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub credit_code: Option<String>,
    pub employees: Option<i64>,
    pub carrier_id: Option<CarrierId>,
    pub carrier_name: Option<String>,
    pub division_code: String,
    pub division_name: String,
    pub address: Option<String>,
    pub instructor_id: Option<InstructorId>,
    pub instructor_name: Option<String>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub(crate) fn scope(actor: &Actor) -> sea_orm::Condition {
    scope_condition(
        actor,
        Scoped::Located {
            division: unit::Column::DivisionCode,
            id: unit::Column::Id,
            via_org: units_under,
        },
    )
}

/// The names a unit shows beside its fields: its carrier's and its instructor's.
pub(crate) fn names() -> Beside<unit::Column> {
    Beside {
        names: vec![
            NameJoin::new(carrier::Entity, unit::Column::CarrierId),
            NameJoin::new(instructor::Entity, unit::Column::InstructorId),
        ],
        extra: None,
    }
}

impl Store {
    /// One unit's view, read by `find` with its names (one query).
    pub(crate) async fn unit_view(&self, find: sea_orm::Select<unit::Entity>) -> Result<UnitView> {
        let row = named_one(&self.read, find, &names()).await?;
        Ok(self.unit_views(vec![row]).await?.remove(0))
    }

    /// Views of rows read with [`names`].
    pub(crate) async fn unit_views(&self, rows: Vec<Named<unit::Model>>) -> Result<Vec<UnitView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.row.division_code.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |Named {
                     row: m,
                     names: [carrier_name, instructor_name],
                     ..
                 }| UnitView {
                    kind_label: UnitKind::parse_any(&m.kind)
                        .map(|k| k.label_zh())
                        .unwrap_or_default()
                        .to_string(),
                    division_name: names.get(&m.division_code).cloned().unwrap_or_default(),
                    carrier_name,
                    instructor_name,
                    id: UnitId(m.id),
                    name: m.name,
                    kind: m.kind,
                    credit_code: m.credit_code,
                    employees: m.employees,
                    carrier_id: m.carrier_id.map(CarrierId),
                    division_code: m.division_code,
                    address: m.address,
                    instructor_id: m.instructor_id.map(InstructorId),
                    archived: m.archived,
                    version: m.version,
                    created_at: m.created_at,
                    updated_at: m.updated_at,
                },
            )
            .collect())
    }

    pub async fn list_units(&self, actor: &Actor, q: &ListQuery) -> Result<Page<UnitView>> {
        self.list_units_where(actor, q, None).await
    }

    /// Units of one carrier (the carrier must be in scope).
    pub async fn units_of_carrier(
        &self,
        actor: &Actor,
        carrier_id: CarrierId,
        q: &ListQuery,
    ) -> Result<Page<UnitView>> {
        self.carrier_model(actor, carrier_id.0).await?;
        self.list_units_where(actor, q, Some(unit::Column::CarrierId.eq(carrier_id.0).into()))
            .await
    }

    async fn list_units_where(
        &self,
        actor: &Actor,
        q: &ListQuery,
        extra: Option<sea_orm::Condition>,
    ) -> Result<Page<UnitView>> {
        actor.require(Action::ReadRegistry)?;
        let mut sel = unit::Entity::find().filter(scope(actor));
        sel = filter_opt(sel, extra);
        sel = filter_opt(sel, division_filter(q, unit::Column::DivisionCode)?);
        if !q.archived {
            sel = sel.filter(not_archived(self.read.get_database_backend(), unit::Column::Archived));
        }
        if let Some(k) = q.kind.as_deref().and_then(UnitKind::parse_any) {
            sel = sel.filter(unit::Column::Kind.eq(k.code()));
        }
        // A whole credit code finds its unit; other text, the names holding it.
        let mut by_index = false;
        if let Some(s) = q.search() {
            let code = tongxin_domain::text::code_form(&s);
            if tongxin_domain::codes::CreditCode::parse(&code).is_ok() {
                sel = sel.filter(unit::Column::CreditCode.eq(code));
            } else {
                (sel, by_index) = narrow(
                    &self.read,
                    Indexed::Units,
                    sel,
                    &s,
                    unit::Column::Id,
                    unit::Column::Name,
                )
                .await?;
            }
        }
        let (col, desc) = q.sort_by(&["name", "created_at", "updated_at", "employees", "division_code"]);
        let by_name = col == "name";
        let col = match col {
            "created_at" => unit::Column::CreatedAt,
            "updated_at" => unit::Column::UpdatedAt,
            "employees" => unit::Column::Employees,
            "division_code" => unit::Column::DivisionCode,
            _ => unit::Column::NameKey,
        };
        let known = self.counted_total(actor, q, super::totals::Listed::Units).await?;
        let (rows, page) = page_of(
            &self.read,
            sel,
            q,
            Sorting {
                col,
                desc,
                by_name,
                name_col: unit::Column::NameKey,
                id_col: unit::Column::Id,
                by_index,
            },
            &names(),
            |m| m.id,
            known,
        )
        .await?
        .take();
        Ok(page.with(self.unit_views(rows).await?))
    }

    pub(crate) async fn unit_model<C: ConnectionTrait>(&self, db: &C, actor: &Actor, id: i64) -> Result<unit::Model> {
        unit::Entity::find_by_id(id)
            .filter(scope(actor))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn get_unit(&self, actor: &Actor, id: UnitId) -> Result<UnitView> {
        actor.require(Action::ReadRegistry)?;
        self.unit_view(unit::Entity::find_by_id(id.0).filter(scope(actor)))
            .await
    }

    pub async fn unit_history(&self, actor: &Actor, id: UnitId) -> Result<Vec<AuditEntry>> {
        self.get_unit(actor, id).await?;
        self.history_of("unit", id.0).await
    }

    /// The network links of a unit, both directions, to units in scope.
    pub async fn unit_links(&self, actor: &Actor, id: UnitId) -> Result<Vec<UnitLinkView>> {
        self.get_unit(actor, id).await?;
        let id = id.0;
        let links = unit_link::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(unit_link::Column::UnitId.eq(id))
                    .add(unit_link::Column::OtherUnitId.eq(id)),
            )
            .all(&self.read)
            .await?;
        let others: Vec<i64> = links
            .iter()
            .map(|l| if l.unit_id == id { l.other_unit_id } else { l.unit_id })
            .collect();
        let names: HashMap<i64, String> = unit::Entity::find()
            .filter(unit::Column::Id.is_in(others))
            .filter(scope(actor))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        Ok(links
            .into_iter()
            .map(|l| {
                let outgoing = l.unit_id == id;
                let other = if outgoing { l.other_unit_id } else { l.unit_id };
                UnitLinkView {
                    kind_label: UnitLinkKind::parse_any(&l.kind)
                        .map(|k| k.label_zh())
                        .unwrap_or_default()
                        .into(),
                    kind: l.kind,
                    other_unit_id: names.contains_key(&other).then_some(UnitId(other)),
                    other_unit_name: names.get(&other).cloned(),
                    outgoing,
                }
            })
            .collect())
    }

    /// Adds a network link "unit is KIND other" (e.g. headquarters of). Both units must be
    /// in scope; the other may be anywhere for a system actor (networks cross districts).
    pub async fn link_units(&self, actor: &Actor, unit_id: UnitId, kind: UnitLinkKind, other_id: UnitId) -> Result<()> {
        actor.require(Action::WriteRegistry)?;
        if unit_id == other_id {
            return Err(StoreError::Reference { field: "other_unit_id" });
        }
        let txn = self.begin().await?;
        self.unit_model(&txn, actor, unit_id.0).await?;
        super::refs::unit(&txn, actor, other_id, "other_unit_id").await?;
        let (unit_id, other_id) = (unit_id.0, other_id.0);
        unit_link::Entity::insert(unit_link::ActiveModel {
            unit_id: Set(unit_id),
            kind: Set(kind.code().into()),
            other_unit_id: Set(other_id),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await
        .map_err(unique_as("link"))?;
        let after = serde_json::json!({"kind": kind.code(), "other_unit_id": other_id});
        crate::coverage::follow(&txn, crate::coverage::Touched::Unit(unit_id)).await?;
        audit::record(&txn, actor, "link", "unit", Some(unit_id), None, Some(after)).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Checks the carrier and instructor of a unit input are in scope (on an edit, those
    /// that change: a reference set by a higher office stays as it is).
    async fn check_unit_refs<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        i: &UnitInput,
        before: Option<&unit::Model>,
    ) -> Result<()> {
        if let Some(c) = i.carrier_id
            && before.is_none_or(|b| b.carrier_id != Some(c.0))
        {
            super::refs::carrier(db, actor, c, "carrier_id").await?;
        }
        if let Some(ins) = i.instructor_id
            && before.is_none_or(|b| b.instructor_id != Some(ins.0))
        {
            super::refs::instructor(db, actor, ins, "instructor_id").await?;
        }
        Ok(())
    }

    pub async fn create_unit(&self, actor: &Actor, i: UnitInput) -> Result<UnitView> {
        actor.require(Action::WriteRegistry)?;
        self.check_placement(actor, &i.fields.division).await?;
        let txn = self.begin().await?;
        self.check_unit_refs(&txn, actor, &i, None).await?;
        let m = insert_unit_audited(&txn, actor, i).await?;
        txn.commit().await?;
        self.unit_view(unit::Entity::find_by_id(m.id)).await
    }

    /// Edits a unit: the fields of the patch, laid over the stored row.
    pub async fn update_unit(
        &self,
        actor: &Actor,
        id: UnitId,
        version: i64,
        patch: &super::UnitPatch,
    ) -> Result<UnitView> {
        actor.require(Action::WriteRegistry)?;
        let txn = self.begin().await?;
        let before = unit::Entity::find_by_id(id.0)
            .filter(scope(actor))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let i = patch.over(&before)?;
        self.check_placement(actor, &i.fields.division).await?;
        self.check_unit_refs(&txn, actor, &i, Some(&before)).await?;
        let after = self.update_unit_in(&txn, actor, before, i).await?;
        txn.commit().await?;
        self.unit_view(unit::Entity::find_by_id(after.id)).await
    }

    /// Applies an edit to a row read in the same transaction (version-checked, audited).
    pub(crate) async fn update_unit_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        before: unit::Model,
        i: UnitInput,
    ) -> Result<unit::Model> {
        let id = before.id;
        let find = unit::Entity::find_by_id(id);
        let f = i.fields;
        let res = unit::Entity::update_many()
            .col_expr(
                unit::Column::NameKey,
                Expr::value(tongxin_domain::text::sort_key(&f.name)),
            )
            .col_expr(unit::Column::Name, Expr::value(f.name))
            .col_expr(unit::Column::Kind, Expr::value(f.kind.code()))
            .col_expr(
                unit::Column::CreditCode,
                Expr::value(f.credit_code.map(|c| c.to_string())),
            )
            .col_expr(unit::Column::Employees, Expr::value(f.employees.map(i64::from)))
            .col_expr(unit::Column::CarrierId, Expr::value(i.carrier_id.map(i64::from)))
            .col_expr(unit::Column::InstructorId, Expr::value(i.instructor_id.map(i64::from)))
            .col_expr(unit::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(unit::Column::Address, Expr::value(f.address))
            .col_expr(unit::Column::Version, Expr::col(unit::Column::Version).add(1))
            .col_expr(unit::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(unit::Column::Id.eq(id))
            .filter(unit::Column::Version.eq(before.version))
            .exec(txn)
            .await
            .map_err(unique_as("credit_code"))?;
        check_version(txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(txn).await?.ok_or(StoreError::NotFound)?;
        if after.name != before.name {
            super::name_index::rename(txn, Indexed::Units, id, &after.name, &after.name_key).await?;
        }
        crate::coverage::follow(txn, crate::coverage::Touched::Unit(id)).await?;
        audit::record(
            txn,
            actor,
            "update",
            "unit",
            Some(id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        Ok(after)
    }

    pub async fn archive_unit(&self, actor: &Actor, id: UnitId, version: i64, archived: bool) -> Result<UnitView> {
        actor.require(Action::WriteRegistry)?;
        let id = id.0;
        let txn = self.begin().await?;
        let find = unit::Entity::find_by_id(id).filter(scope(actor));
        let before = find.clone().one(&txn).await?.ok_or(StoreError::NotFound)?;
        let res = unit::Entity::update_many()
            .col_expr(unit::Column::Archived, Expr::value(archived))
            .col_expr(unit::Column::Version, Expr::col(unit::Column::Version).add(1))
            .col_expr(unit::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(unit::Column::Id.eq(id))
            .filter(unit::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        let action = if archived { "archive" } else { "restore" };
        crate::coverage::follow(&txn, crate::coverage::Touched::Unit(id)).await?;
        audit::record(
            &txn,
            actor,
            action,
            "unit",
            Some(id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        txn.commit().await?;
        self.unit_view(unit::Entity::find_by_id(after.id)).await
    }

    /// Organisations that cover a unit (its own, or joint branches it belongs to), each
    /// with its kind; those outside the caller's territory without id or name (a joint
    /// branch of another street may cover a unit here: it counts, it is not named).
    pub async fn orgs_of_unit(
        &self,
        actor: &Actor,
        id: UnitId,
    ) -> Result<Vec<(Option<OrgId>, Option<String>, String)>> {
        self.get_unit(actor, id).await?;
        let ids: Vec<i64> = org_unit::Entity::find()
            .filter(org_unit::Column::UnitId.eq(id.0))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|o| o.org_id)
            .collect();
        let visible: std::collections::HashSet<i64> = party_org::Entity::find()
            .select_only()
            .column(party_org::Column::Id)
            .filter(party_org::Column::Id.is_in(ids.clone()))
            .filter(super::orgs_scope(actor))
            .into_tuple::<i64>()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        Ok(party_org::Entity::find()
            .filter(party_org::Column::Id.is_in(ids))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|o| match visible.contains(&o.id) {
                true => (Some(OrgId(o.id)), Some(o.name), o.kind),
                false => (None, None, o.kind),
            })
            .collect())
    }
}

pub(crate) async fn insert_unit<C: ConnectionTrait>(db: &C, i: UnitInput) -> Result<unit::Model> {
    let now = Utc::now();
    let f = i.fields;
    let has_code = f.credit_code.is_some();
    let m = unit::Entity::insert(unit::ActiveModel {
        name_key: Set(tongxin_domain::text::sort_key(&f.name)),
        name: Set(f.name),
        kind: Set(f.kind.code().into()),
        credit_code: Set(f.credit_code.map(|c| c.to_string())),
        employees: Set(f.employees.map(i64::from)),
        carrier_id: Set(i.carrier_id.map(i64::from)),
        division_code: Set(f.division.to_string()),
        address: Set(f.address),
        instructor_id: Set(i.instructor_id.map(i64::from)),
        archived: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .map_err(unique_as(if has_code { "credit_code" } else { "name" }))?;
    super::name_index::put(db, Indexed::Units, &[(m.id, &m.name, &m.name_key)]).await?;
    Ok(m)
}

pub(crate) async fn insert_unit_audited<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    i: UnitInput,
) -> Result<unit::Model> {
    let m = insert_unit(db, i).await?;
    crate::coverage::follow(db, crate::coverage::Touched::Unit(m.id)).await?;
    audit::record(
        db,
        actor,
        "create",
        "unit",
        Some(m.id),
        None,
        serde_json::to_value(&m).ok(),
    )
    .await?;
    Ok(m)
}
