use super::common::{
    ListQuery, Page, Scoped, Sorting, check_version, division_filter, filter_opt, not_archived, page_of,
    scope_condition,
};
use super::name_index::{Indexed, narrow};
use crate::audit::{self, AuditEntry};
use crate::entity::{carrier, party_org};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::registry::{CarrierFields, CarrierId, CarrierKind, Labelled, OrgPath};

/// The row of a new carrier (one created in the console or the API, or many by an import).
pub(crate) fn new_carrier(f: &CarrierFields, now: DateTime<Utc>) -> carrier::ActiveModel {
    carrier::ActiveModel {
        name_key: Set(tongxin_domain::text::sort_key(&f.name)),
        name: Set(f.name.clone()),
        kind: Set(f.kind.code().into()),
        is_key: Set(f.is_key),
        division_code: Set(f.division.to_string()),
        address: Set(f.address.clone()),
        lng: Set(f.location.map(|l| l.0)),
        lat: Set(f.location.map(|l| l.1)),
        archived: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Input for creating or editing a carrier.
pub type CarrierInput = CarrierFields;

/// A carrier as the API and console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CarrierView {
    pub id: CarrierId,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub is_key: bool,
    pub division_code: String,
    pub division_name: String,
    pub address: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn carriers_under(p: &OrgPath) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(party_org::Column::CarrierId)
        .from(party_org::Entity)
        .and_where(Expr::col(party_org::Column::Id).in_subquery(super::common::orgs_under(p)))
        .to_owned()
}

pub(crate) fn scope(actor: &Actor) -> sea_orm::Condition {
    scope_condition(
        actor,
        Scoped::Located {
            division: carrier::Column::DivisionCode,
            id: carrier::Column::Id,
            via_org: carriers_under,
        },
    )
}

impl Store {
    pub(crate) async fn carrier_views(&self, rows: Vec<carrier::Model>) -> Result<Vec<CarrierView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| CarrierView {
                kind_label: CarrierKind::parse_any(&m.kind)
                    .map(|k| k.label_zh())
                    .unwrap_or_default()
                    .to_string(),
                division_name: names.get(&m.division_code).cloned().unwrap_or_default(),
                id: CarrierId(m.id),
                name: m.name,
                kind: m.kind,
                is_key: m.is_key,
                division_code: m.division_code,
                address: m.address,
                lng: m.lng,
                lat: m.lat,
                archived: m.archived,
                version: m.version,
                created_at: m.created_at,
                updated_at: m.updated_at,
            })
            .collect())
    }

    /// Names of the given division codes.
    /// The names of divisions by code, from this server's copy where it has them (see
    /// `Store::division_names`), else read and kept.
    pub(crate) async fn division_names(&self, codes: impl Iterator<Item = String>) -> Result<HashMap<String, String>> {
        let mut codes: Vec<String> = codes.collect();
        codes.sort();
        codes.dedup();
        let mut out = HashMap::new();
        // Every list page comes here: the write lock is taken only when the copy is old.
        let stale = self
            .division_names
            .read()
            .is_ok_and(|kept| kept.0.elapsed() > crate::db::DIVISION_NAMES_FOR);
        if stale && let Ok(mut kept) = self.division_names.write() {
            *kept = (std::time::Instant::now(), HashMap::new());
        }
        if let Ok(kept) = self.division_names.read() {
            codes.retain(|c| match kept.1.get(c) {
                Some(name) => {
                    out.insert(c.clone(), name.clone());
                    false
                }
                None => true,
            });
        }
        for chunk in codes.chunks(500) {
            let rows: Vec<(String, String)> = crate::entity::division::Entity::find()
                .select_only()
                .columns([
                    crate::entity::division::Column::Code,
                    crate::entity::division::Column::Name,
                ])
                .filter(crate::entity::division::Column::Code.is_in(chunk.to_vec()))
                .into_tuple()
                .all(&self.read)
                .await?;
            if let Ok(mut kept) = self.division_names.write() {
                kept.1.extend(rows.iter().cloned());
            }
            out.extend(rows);
        }
        Ok(out)
    }

    pub async fn list_carriers(&self, actor: &Actor, q: &ListQuery) -> Result<Page<CarrierView>> {
        actor.require(Action::ReadRegistry)?;
        let mut sel = carrier::Entity::find().filter(scope(actor));
        sel = filter_opt(sel, division_filter(q, carrier::Column::DivisionCode)?);
        if !q.archived {
            sel = sel.filter(not_archived(
                self.read.get_database_backend(),
                carrier::Column::Archived,
            ));
        }
        if let Some(k) = q.kind.as_deref().and_then(CarrierKind::parse_any) {
            sel = sel.filter(carrier::Column::Kind.eq(k.code()));
        }
        let mut by_index = false;
        if let Some(s) = q.search() {
            (sel, by_index) = narrow(
                &self.read,
                Indexed::Carriers,
                sel,
                &s,
                carrier::Column::Id,
                carrier::Column::Name,
            )
            .await?;
        }
        let (col, desc) = q.sort_by(&["name", "created_at", "updated_at", "division_code"]);
        let by_name = col == "name";
        let col = match col {
            "created_at" => carrier::Column::CreatedAt,
            "updated_at" => carrier::Column::UpdatedAt,
            "division_code" => carrier::Column::DivisionCode,
            _ => carrier::Column::NameKey,
        };
        let known = self.counted_total(actor, q, super::totals::Listed::Carriers).await?;
        let (rows, page) = page_of(
            &self.read,
            sel,
            q,
            Sorting {
                col,
                desc,
                by_name,
                name_col: carrier::Column::NameKey,
                id_col: carrier::Column::Id,
                by_index,
            },
            &super::common::Beside::nothing(),
            |m| m.id,
            known,
        )
        .await?
        .take();
        Ok(page.with(self.carrier_views(rows.into_iter().map(|r| r.row).collect()).await?))
    }

    pub(crate) async fn carrier_model(&self, actor: &Actor, id: i64) -> Result<carrier::Model> {
        carrier::Entity::find_by_id(id)
            .filter(scope(actor))
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn get_carrier(&self, actor: &Actor, id: CarrierId) -> Result<CarrierView> {
        actor.require(Action::ReadRegistry)?;
        let m = self.carrier_model(actor, id.0).await?;
        Ok(self.carrier_views(vec![m]).await?.remove(0))
    }

    pub async fn carrier_history(&self, actor: &Actor, id: CarrierId) -> Result<Vec<AuditEntry>> {
        self.get_carrier(actor, id).await?;
        self.history_of("carrier", id.0).await
    }

    pub async fn create_carrier(&self, actor: &Actor, f: CarrierInput) -> Result<CarrierView> {
        actor.require(Action::WriteRegistry)?;
        self.check_placement(actor, &f.division).await?;
        let txn = self.begin().await?;
        let m = self.insert_carrier_in(&txn, actor, f).await?;
        txn.commit().await?;
        Ok(self.carrier_views(vec![m]).await?.remove(0))
    }

    /// Edits a carrier: the fields of the patch, laid over the stored row.
    pub async fn update_carrier(
        &self,
        actor: &Actor,
        id: CarrierId,
        version: i64,
        patch: &super::CarrierPatch,
    ) -> Result<CarrierView> {
        actor.require(Action::WriteRegistry)?;
        let txn = self.begin().await?;
        let before = carrier::Entity::find_by_id(id.0)
            .filter(scope(actor))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let f = patch.over(&before)?;
        self.check_placement(actor, &f.division).await?;
        let after = self.update_carrier_in(&txn, actor, before, f).await?;
        txn.commit().await?;
        Ok(self.carrier_views(vec![after]).await?.remove(0))
    }

    /// Applies an edit to a row read in the same transaction (version-checked, audited).
    pub(crate) async fn update_carrier_in<C: sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        before: carrier::Model,
        f: CarrierInput,
    ) -> Result<carrier::Model> {
        let id = before.id;
        let find = carrier::Entity::find_by_id(id);
        let res = carrier::Entity::update_many()
            .col_expr(
                carrier::Column::NameKey,
                Expr::value(tongxin_domain::text::sort_key(&f.name)),
            )
            .col_expr(carrier::Column::Name, Expr::value(f.name))
            .col_expr(carrier::Column::Kind, Expr::value(f.kind.code()))
            .col_expr(carrier::Column::IsKey, Expr::value(f.is_key))
            .col_expr(carrier::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(carrier::Column::Address, Expr::value(f.address))
            .col_expr(carrier::Column::Lng, Expr::value(f.location.map(|l| l.0)))
            .col_expr(carrier::Column::Lat, Expr::value(f.location.map(|l| l.1)))
            .col_expr(carrier::Column::Version, Expr::col(carrier::Column::Version).add(1))
            .col_expr(carrier::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(carrier::Column::Id.eq(id))
            .filter(carrier::Column::Version.eq(before.version))
            .exec(txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(txn).await?.ok_or(StoreError::NotFound)?;
        if after.name != before.name {
            super::name_index::rename(
                txn,
                super::name_index::Indexed::Carriers,
                id,
                &after.name,
                &after.name_key,
            )
            .await?;
        }
        crate::coverage::follow(txn, crate::coverage::Touched::Carrier(id)).await?;
        audit::record(
            txn,
            actor,
            "update",
            "carrier",
            Some(id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        Ok(after)
    }

    pub(crate) async fn insert_carrier_in<C: sea_orm::ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        f: CarrierInput,
    ) -> Result<carrier::Model> {
        let m = carrier::Entity::insert(new_carrier(&f, Utc::now()))
            .exec_with_returning(txn)
            .await
            .map_err(unique_as("name"))?;
        super::name_index::put(
            txn,
            super::name_index::Indexed::Carriers,
            &[(m.id, &m.name, &m.name_key)],
        )
        .await?;
        crate::coverage::follow(txn, crate::coverage::Touched::Carrier(m.id)).await?;
        audit::record(
            txn,
            actor,
            "create",
            "carrier",
            Some(m.id),
            None,
            serde_json::to_value(&m).ok(),
        )
        .await?;
        Ok(m)
    }

    /// Archives (or restores) a carrier. Records are never deleted: history refers to them.
    pub async fn archive_carrier(
        &self,
        actor: &Actor,
        id: CarrierId,
        version: i64,
        archived: bool,
    ) -> Result<CarrierView> {
        actor.require(Action::WriteRegistry)?;
        let id = id.0;
        let txn = self.begin().await?;
        let find = carrier::Entity::find_by_id(id).filter(scope(actor));
        let before = find.clone().one(&txn).await?.ok_or(StoreError::NotFound)?;
        let res = carrier::Entity::update_many()
            .col_expr(carrier::Column::Archived, Expr::value(archived))
            .col_expr(carrier::Column::Version, Expr::col(carrier::Column::Version).add(1))
            .col_expr(carrier::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(carrier::Column::Id.eq(id))
            .filter(carrier::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        let action = if archived { "archive" } else { "restore" };
        crate::coverage::follow(&txn, crate::coverage::Touched::Carrier(id)).await?;
        audit::record(
            &txn,
            actor,
            action,
            "carrier",
            Some(id),
            serde_json::to_value(&before).ok(),
            serde_json::to_value(&after).ok(),
        )
        .await?;
        txn.commit().await?;
        Ok(self.carrier_views(vec![after]).await?.remove(0))
    }

    /// A new or moved record must be placed in a known division inside the actor's scope.
    pub(crate) async fn check_placement(&self, actor: &Actor, d: &tongxin_domain::codes::DivisionCode) -> Result<()> {
        self.known_division(d).await?;
        if !actor.scope.may_place_in(d) {
            return Err(StoreError::OutsideTerritory { field: "division" });
        }
        Ok(())
    }
}
