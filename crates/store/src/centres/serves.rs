//! Whom a centre serves. A street's centre serves every organisation in its street and
//! the district's centre its district, without being told; a station (楼宇/园区站点)
//! serves the organisations and units an office names, and any centre may be named
//! for more (an organisation whose members work elsewhere). A member's own page shows
//! the centres serving the member's organisation, nearest first.

use super::CentreView;
use crate::entity::{centre, centre_serve, org_unit, party_org, unit};
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use tongxin_domain::access::Action;
use tongxin_domain::centres::CentreLevel;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{CentreId, Labelled, OrgId, OrgPath, UnitId};

/// An organisation a centre serves by name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServedOrg {
    /// Id of the naming (to take it off).
    pub serve_id: i64,
    #[schema(value_type = i64)]
    pub org_id: OrgId,
    pub name: String,
}

/// A unit a centre serves by name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ServedUnit {
    pub serve_id: i64,
    #[schema(value_type = i64)]
    pub unit_id: UnitId,
    pub name: String,
}

/// A centre serving an organisation, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Serving {
    pub centre: CentreView,
    /// `named` (the centre names the organisation, one above it, or a unit it covers)
    /// or `division` (the centre of its street or district).
    pub by: String,
}

impl Store {
    /// The organisations and units a centre names, those in the caller's territory
    /// by name; how many more it names outside it.
    pub async fn centre_serves(&self, actor: &Actor, id: CentreId) -> Result<(Vec<ServedOrg>, Vec<ServedUnit>, usize)> {
        self.get_centre(actor, id).await?;
        let rows = centre_serve::Entity::find()
            .filter(centre_serve::Column::CentreId.eq(id.0))
            .all(&self.read)
            .await?;
        let org_ids: Vec<i64> = rows.iter().filter_map(|r| r.org_id).collect();
        let unit_ids: Vec<i64> = rows.iter().filter_map(|r| r.unit_id).collect();
        let orgs: Vec<(i64, String)> = party_org::Entity::find()
            .filter(party_org::Column::Id.is_in(org_ids))
            .filter(crate::registry::orgs_scope(actor))
            .order_by_asc(party_org::Column::NameKey)
            .select_only()
            .columns([party_org::Column::Id, party_org::Column::Name])
            .into_tuple()
            .all(&self.read)
            .await?;
        let units: Vec<(i64, String)> = unit::Entity::find()
            .filter(unit::Column::Id.is_in(unit_ids))
            .filter(crate::registry::units_scope(actor))
            .order_by_asc(unit::Column::NameKey)
            .select_only()
            .columns([unit::Column::Id, unit::Column::Name])
            .into_tuple()
            .all(&self.read)
            .await?;
        let serve_of = |org: Option<i64>, unit: Option<i64>| {
            rows.iter()
                .find(|r| (org.is_some() && r.org_id == org) || (unit.is_some() && r.unit_id == unit))
                .map_or(0, |r| r.id)
        };
        let hidden = rows.len().saturating_sub(orgs.len() + units.len());
        Ok((
            orgs.into_iter()
                .map(|(o, name)| ServedOrg {
                    serve_id: serve_of(Some(o), None),
                    org_id: OrgId(o),
                    name,
                })
                .collect(),
            units
                .into_iter()
                .map(|(u, name)| ServedUnit {
                    serve_id: serve_of(None, Some(u)),
                    unit_id: UnitId(u),
                    name,
                })
                .collect(),
            hidden,
        ))
    }

    /// Names an organisation (in the caller's territory) as served by a centre the
    /// caller keeps. Naming it twice is no change.
    pub async fn serve_org(&self, actor: &Actor, id: CentreId, org: OrgId) -> Result<()> {
        self.name_served(actor, id, Some(org), None).await
    }

    /// Names a unit (in the caller's territory) as served by a centre the caller keeps.
    pub async fn serve_unit(&self, actor: &Actor, id: CentreId, unit: UnitId) -> Result<()> {
        self.name_served(actor, id, None, Some(unit)).await
    }

    async fn name_served(&self, actor: &Actor, id: CentreId, org: Option<OrgId>, unit: Option<UnitId>) -> Result<()> {
        actor.require(Action::WriteCentres)?;
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, super::CentreRight::Office).await?;
        let mut q = centre_serve::Entity::find().filter(centre_serve::Column::CentreId.eq(id.0));
        let name = match (org, unit) {
            (Some(o), _) => {
                let m = crate::registry::refs::org(&txn, actor, o, "org").await?;
                q = q.filter(centre_serve::Column::OrgId.eq(o.0));
                serde_json::json!({ "org": m.name })
            }
            (None, Some(u)) => {
                let m = crate::registry::refs::unit(&txn, actor, u, "unit").await?;
                q = q.filter(centre_serve::Column::UnitId.eq(u.0));
                serde_json::json!({ "unit": m.name })
            }
            (None, None) => return Err(StoreError::Reference { field: "org" }),
        };
        if q.one(&txn).await?.is_none() {
            centre_serve::Entity::insert(centre_serve::ActiveModel {
                centre_id: Set(id.0),
                org_id: Set(org.map(|o| o.0)),
                unit_id: Set(unit.map(|u| u.0)),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            crate::audit::record(&txn, actor, "serve", "centre", Some(id.0), None, Some(name)).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Takes a naming off a centre (audited).
    pub async fn unserve(&self, actor: &Actor, id: CentreId, serve_id: i64) -> Result<()> {
        actor.require(Action::WriteCentres)?;
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, super::CentreRight::Office).await?;
        let Some(row) = centre_serve::Entity::find_by_id(serve_id)
            .filter(centre_serve::Column::CentreId.eq(id.0))
            .one(&txn)
            .await?
        else {
            return Err(StoreError::NotFound);
        };
        // Only what the caller could name may it take off.
        if let Some(o) = row.org_id {
            crate::registry::refs::org(&txn, actor, OrgId(o), "org")
                .await
                .map_err(|_| StoreError::NotFound)?;
        }
        if let Some(u) = row.unit_id {
            crate::registry::refs::unit(&txn, actor, UnitId(u), "unit")
                .await
                .map_err(|_| StoreError::NotFound)?;
        }
        centre_serve::Entity::delete_by_id(serve_id).exec(&txn).await?;
        crate::audit::record(
            &txn,
            actor,
            "unserve",
            "centre",
            Some(id.0),
            Some(serde_json::json!({ "org_id": row.org_id, "unit_id": row.unit_id })),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The centres that serve an organisation the caller sees, nearest first: those that
    /// name it (or an organisation above it, or a unit it covers), then its street's
    /// centre, then its district's. Archived centres are left out.
    pub async fn centres_serving_org(&self, actor: &Actor, org: OrgId) -> Result<Vec<Serving>> {
        actor.require(Action::ReadRegistry)?;
        let o = crate::registry::refs::org(&self.read, actor, org, "org")
            .await
            .map_err(|_| StoreError::NotFound)?;
        let above: Vec<i64> = OrgPath::from_stored(&o.path)
            .map(|p| {
                p.as_str()
                    .trim_matches('/')
                    .split('/')
                    .filter_map(|s| s.parse().ok())
                    .collect()
            })
            .unwrap_or_else(|| vec![o.id]);
        let units: Vec<i64> = org_unit::Entity::find()
            .filter(org_unit::Column::OrgId.eq(o.id))
            .select_only()
            .column(org_unit::Column::UnitId)
            .into_tuple()
            .all(&self.read)
            .await?;
        let named: Vec<i64> = centre_serve::Entity::find()
            .filter(
                Condition::any()
                    .add(centre_serve::Column::OrgId.is_in(above))
                    .add(centre_serve::Column::UnitId.is_in(units)),
            )
            .select_only()
            .column(centre_serve::Column::CentreId)
            .distinct()
            .into_tuple()
            .all(&self.read)
            .await?;
        let mut divisions = Vec::new();
        let mut d = DivisionCode::parse(&o.division_code).ok();
        while let Some(code) = d {
            d = code.parent();
            divisions.push(code.to_string());
        }
        let rows = centre::Entity::find()
            .filter(centre::Column::Archived.eq(false))
            .filter(
                Condition::any().add(centre::Column::Id.is_in(named.clone())).add(
                    Condition::all()
                        .add(centre::Column::DivisionCode.is_in(divisions))
                        .add(centre::Column::Level.is_in([CentreLevel::Street.code(), CentreLevel::District.code()])),
                ),
            )
            .all(&self.read)
            .await?;
        let mut views: Vec<(bool, u8, CentreView)> = self
            .centre_views(rows)
            .await?
            .into_iter()
            .map(|c| {
                let by_name = named.contains(&c.id.0);
                let near = CentreLevel::parse_any(&c.level).map_or(9, |l| l.nearness());
                (!by_name, near, c)
            })
            .collect();
        views.sort_by(|a, b| (a.0, a.1, &a.2.name).cmp(&(b.0, b.1, &b.2.name)));
        Ok(views
            .into_iter()
            .map(|(by_division, _, centre)| Serving {
                by: if by_division { "division" } else { "named" }.into(),
                centre,
            })
            .collect())
    }
}
