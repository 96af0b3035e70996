//! Party-mass service centres (党群服务中心) in the store: the centres, their rooms, the
//! organisations and units each serves by name, and the staff accounts that work there.
//!
//! Who reads: a centre is a public place (its address, hours and rooms are posted at
//! its door), so any signed-in account may open one; lists show the caller's territory
//! and the centres above it (a street sees its district's centre). Who writes: offices
//! with [`Action::WriteCentres`] for centres in their territory; a centre's own staff
//! its hours, phone and rooms.

mod bookings;
mod near;
mod rooms;
mod serves;

pub use bookings::{BOOKINGS_MAX, BookingInput, BookingView};
pub use near::{Here, NEAR_CENTRES, NEAR_KM, NEAR_ORGS, NearCentre, NearFor, NearOrg, NearView};
pub use rooms::{RoomPatch, RoomView};
pub use serves::{ServedOrg, ServedUnit, Serving};

use crate::entity::{centre, centre_staff};
use crate::error::unique_as;
use crate::registry::{check_version, in_division};
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use tongxin_domain::access::{Action, Role};
use tongxin_domain::centres::{CentreFields, CentreLevel, OpeningHours};
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::{CentreId, Labelled};
use tongxin_domain::scope::Scope;

/// A service centre as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CentreView {
    #[schema(value_type = i64)]
    pub id: CentreId,
    pub name: String,
    /// `district`, `street`, `building_station` or `park_station`.
    pub level: String,
    /// The level in Chinese (区级中心…).
    pub level_label: String,
    pub division_code: String,
    pub division_name: String,
    pub address: Option<String>,
    /// WGS-84 longitude.
    pub lng: Option<f64>,
    /// WGS-84 latitude.
    pub lat: Option<f64>,
    /// Opening hours in Chinese (`周一至周五 09:00-17:00`).
    pub hours: Option<String>,
    /// Opening hours in English (`Mon-Fri 09:00-17:00`).
    pub hours_en: Option<String>,
    /// The centre's own telephone as it is dialled (`021-62171234`): a public number,
    /// not personal data.
    pub phone: Option<String>,
    pub rooms: Vec<RoomView>,
    pub archived: bool,
    pub version: i64,
}

impl CentreView {
    fn of(m: centre::Model, division_name: String, rooms: Vec<RoomView>) -> Self {
        let level = CentreLevel::parse_any(&m.level);
        let hours = m.hours.as_deref().and_then(|h| OpeningHours::parse(h).ok().flatten());
        CentreView {
            id: CentreId(m.id),
            name: m.name,
            level_label: level.map(|l| l.label_zh().to_string()).unwrap_or_default(),
            level: m.level,
            division_code: m.division_code,
            division_name,
            address: m.address,
            lng: m.lng,
            lat: m.lat,
            hours: hours.as_ref().map(OpeningHours::to_zh),
            hours_en: hours.as_ref().map(OpeningHours::to_en),
            phone: m
                .phone
                .as_deref()
                .map(|p| Phone::parse(p).map_or_else(|_| p.to_string(), |p| p.dialled())),
            rooms,
            archived: m.archived,
            version: m.version,
        }
    }
}

/// An edit of a centre: what is `Some` changes (`Some("")` clears an optional field;
/// `location: Some(None)` clears the point). The result is checked whole, as a new
/// centre is.
#[derive(Debug, Clone, Default)]
pub struct CentrePatch {
    pub name: Option<String>,
    pub level: Option<String>,
    pub division: Option<String>,
    pub address: Option<String>,
    pub location: Option<Option<(f64, f64)>>,
    pub hours: Option<String>,
    pub phone: Option<String>,
    pub archived: Option<bool>,
}

/// What an account may do with a centre, each level holding the one before: read it
/// (anyone signed in: a centre is a public place), keep its hours, phone and rooms (its
/// staff), keep all of it and whom it serves and its staff (an office of its territory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CentreRight {
    Read,
    Staff,
    Office,
}

impl CentrePatch {
    /// The right an edit needs: its staff's for hours and phone alone, else an office's.
    fn needs(&self) -> CentreRight {
        if self.staff_may() {
            CentreRight::Staff
        } else {
            CentreRight::Office
        }
    }

    /// Only fields a centre's own staff may change: hours, phone (and rooms, apart).
    fn staff_may(&self) -> bool {
        self.name.is_none()
            && self.level.is_none()
            && self.division.is_none()
            && self.address.is_none()
            && self.location.is_none()
            && self.archived.is_none()
    }
}

/// The centres a list shows: in the caller's division territory or above it (a
/// street sees its district's centre); everything for the city.
fn listed(actor: &Actor) -> Option<Condition> {
    match &actor.scope {
        Scope::All => Some(Condition::all()),
        Scope::Within { division: Some(d), .. } => {
            let mut c = Condition::any().add(in_division(centre::Column::DivisionCode, d));
            let mut above = d.parent();
            while let Some(a) = above {
                c = c.add(centre::Column::DivisionCode.eq(a.as_str()));
                above = a.parent();
            }
            Some(c)
        }
        Scope::Within { division: None, .. } => None,
    }
}

/// What history keeps of a centre.
fn audited(m: &centre::Model) -> serde_json::Value {
    serde_json::json!({
        "name": m.name,
        "level": m.level,
        "division_code": m.division_code,
        "address": m.address,
        "lng": m.lng,
        "lat": m.lat,
        "hours": m.hours,
        "phone": m.phone,
        "archived": m.archived,
    })
}

impl Store {
    /// Centres in (and above) the caller's territory, archived ones left out unless
    /// asked, by division then name. An organisation's account (a secretary's, a
    /// member's) gets the centres that serve its organisation.
    pub async fn list_centres(&self, actor: &Actor, archived: bool) -> Result<Vec<CentreView>> {
        actor.require(Action::ReadRegistry)?;
        let Some(cond) = listed(actor) else {
            return match &actor.scope {
                Scope::Within { org: Some(p), .. } => Ok(self
                    .centres_serving_org(actor, p.org())
                    .await?
                    .into_iter()
                    .map(|s| s.centre)
                    .collect()),
                _ => Ok(vec![]),
            };
        };
        let rows = centre::Entity::find()
            .filter(cond)
            .filter(centre::Column::Archived.eq(archived))
            .order_by_asc(centre::Column::DivisionCode)
            .order_by_asc(centre::Column::Name)
            .all(&self.read)
            .await?;
        self.centre_views(rows).await
    }

    pub(crate) async fn centre_views(&self, rows: Vec<centre::Model>) -> Result<Vec<CentreView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut rooms = self.rooms_of(&ids).await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let name = names.get(&m.division_code).cloned().unwrap_or_default();
                let r = rooms.remove(&m.id).unwrap_or_default();
                CentreView::of(m, name, r)
            })
            .collect())
    }

    /// One centre (any signed-in account may open a centre: it is a public place).
    pub async fn get_centre(&self, actor: &Actor, id: CentreId) -> Result<CentreView> {
        actor.require(Action::ReadRegistry)?;
        let m = centre::Entity::find_by_id(id.0)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(self.centre_views(vec![m]).await?.remove(0))
    }

    /// What the caller may do with a centre, from one read: not found when there is none.
    pub async fn centre_right(&self, actor: &Actor, id: CentreId) -> Result<CentreRight> {
        let m = centre::Entity::find_by_id(id.0)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.right_on(&self.read, actor, &m).await
    }

    /// Refuses unless the caller holds at least `need` on the centre: not found, or
    /// forbidden. Handlers ask before they read a request's body.
    pub async fn check_centre_right(&self, actor: &Actor, id: CentreId, need: CentreRight) -> Result<()> {
        self.kept_centre(&self.read, actor, id, need).await.map(|_| ())
    }

    /// The centre `id`, read in `db`, when the caller holds at least `need` on it; not
    /// found, or forbidden.
    pub(crate) async fn kept_centre<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: CentreId,
        need: CentreRight,
    ) -> Result<centre::Model> {
        let m = centre::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        if self.right_on(db, actor, &m).await? < need {
            return Err(StoreError::Forbidden);
        }
        Ok(m)
    }

    /// The caller's right on `m`: an office with [`Action::WriteCentres`] whose territory
    /// holds it keeps it; an account on its staff keeps its hours, phone and rooms.
    async fn right_on<C: ConnectionTrait>(&self, db: &C, actor: &Actor, m: &centre::Model) -> Result<CentreRight> {
        let office = actor.role.may(Action::WriteCentres)
            && DivisionCode::parse(&m.division_code).is_ok_and(|d| actor.scope.may_place_in(&d));
        if office {
            return Ok(CentreRight::Office);
        }
        if actor.role == Role::ServiceCentreStaff
            && let Some(a) = actor.account_id
            && centre_staff::Entity::find()
                .filter(centre_staff::Column::CentreId.eq(m.id))
                .filter(centre_staff::Column::AccountId.eq(a.0))
                .count(db)
                .await?
                > 0
        {
            return Ok(CentreRight::Staff);
        }
        Ok(CentreRight::Read)
    }

    /// The centres whose staff an account is.
    pub async fn centres_of_staff(&self, actor: &Actor) -> Result<Vec<CentreView>> {
        // Only a service-centre staff account is ever put on a centre's staff
        // (`role_account_in`): every other home page asks nothing of the store.
        let Some(a) = actor.account_id.filter(|_| actor.role == Role::ServiceCentreStaff) else {
            return Ok(vec![]);
        };
        let ids: Vec<i64> = centre_staff::Entity::find()
            .filter(centre_staff::Column::AccountId.eq(a.0))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|s| s.centre_id)
            .collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let rows = centre::Entity::find()
            .filter(centre::Column::Id.is_in(ids))
            .order_by_asc(centre::Column::Name)
            .all(&self.read)
            .await?;
        self.centre_views(rows).await
    }

    /// Records a centre in the caller's territory (a district office its district's and
    /// streets', a street office its own).
    pub async fn create_centre(&self, actor: &Actor, f: &CentreFields) -> Result<CentreView> {
        actor.require(Action::WriteCentres)?;
        self.check_placement(actor, &f.division).await?;
        let txn = self.begin().await?;
        let now = Utc::now();
        let m = centre::Entity::insert(centre::ActiveModel {
            name: Set(f.name.clone()),
            level: Set(f.level.code().into()),
            division_code: Set(f.division.to_string()),
            address: Set(f.address.clone()),
            lng: Set(f.location.map(|l| l.lng)),
            lat: Set(f.location.map(|l| l.lat)),
            hours: Set(f.hours.as_ref().map(OpeningHours::to_zh)),
            phone: Set(f.phone.as_ref().map(|p| p.reveal().to_string())),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique_as("name"))?;
        crate::audit::record(&txn, actor, "create", "centre", Some(m.id), None, Some(audited(&m))).await?;
        txn.commit().await?;
        Ok(self.centre_views(vec![m]).await?.remove(0))
    }

    /// Edits a centre: only the fields in `patch` change; the result is checked whole
    /// (version-checked, audited). Staff may change hours and phone only.
    pub async fn update_centre(
        &self,
        actor: &Actor,
        id: CentreId,
        version: i64,
        patch: &CentrePatch,
    ) -> Result<CentreView> {
        let txn = self.begin().await?;
        let before = self.kept_centre(&txn, actor, id, patch.needs()).await?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let pick = |new: &Option<String>, old: Option<&str>| new.clone().unwrap_or_else(|| old.unwrap_or("").into());
        let location = match patch.location {
            Some(l) => l,
            None => before.lng.zip(before.lat),
        };
        let f = CentreFields::parse(
            &pick(&patch.name, Some(&before.name)),
            &pick(&patch.level, Some(&before.level)),
            &pick(&patch.division, Some(&before.division_code)),
            &pick(&patch.address, before.address.as_deref()),
            location,
            &pick(&patch.hours, before.hours.as_deref()),
            &pick(&patch.phone, before.phone.as_deref()),
        )
        .map_err(StoreError::Invalid)?;
        if f.division.as_str() != before.division_code {
            self.check_placement(actor, &f.division).await?;
        }
        let archived = patch.archived.unwrap_or(before.archived);
        let find = centre::Entity::find_by_id(id.0);
        let res = centre::Entity::update_many()
            .col_expr(centre::Column::Name, Expr::value(f.name.clone()))
            .col_expr(centre::Column::Level, Expr::value(f.level.code()))
            .col_expr(centre::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(centre::Column::Address, Expr::value(f.address.clone()))
            .col_expr(centre::Column::Lng, Expr::value(f.location.map(|l| l.lng)))
            .col_expr(centre::Column::Lat, Expr::value(f.location.map(|l| l.lat)))
            .col_expr(
                centre::Column::Hours,
                Expr::value(f.hours.as_ref().map(OpeningHours::to_zh)),
            )
            .col_expr(
                centre::Column::Phone,
                Expr::value(f.phone.as_ref().map(|p| p.reveal().to_string())),
            )
            .col_expr(centre::Column::Archived, Expr::value(archived))
            .col_expr(centre::Column::Version, Expr::col(centre::Column::Version).add(1))
            .col_expr(centre::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(centre::Column::Id.eq(id.0))
            .filter(centre::Column::Version.eq(before.version))
            .exec(&txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "centre",
            Some(id.0),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.centre_views(vec![after]).await?.remove(0))
    }

    /// The history of a centre, newest first.
    pub async fn centre_history(&self, actor: &Actor, id: CentreId) -> Result<Vec<crate::audit::AuditEntry>> {
        self.get_centre(actor, id).await?;
        self.history_of("centre", id.0).await
    }

    /// The staff accounts of a centre: (account id, username). Offices that may edit
    /// the centre see them.
    pub async fn centre_staff(&self, actor: &Actor, id: CentreId) -> Result<Vec<(i64, String)>> {
        self.kept_centre(&self.read, actor, id, CentreRight::Staff).await?;
        let ids: Vec<i64> = centre_staff::Entity::find()
            .filter(centre_staff::Column::CentreId.eq(id.0))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|s| s.account_id)
            .collect();
        self.usernames(&ids).await
    }

    /// Makes a service-centre-staff account, in the caller's territory, staff of a
    /// centre the caller may edit as an office (audited). Adding one twice is no change.
    pub async fn add_centre_staff(&self, actor: &Actor, id: CentreId, username: &str) -> Result<()> {
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, CentreRight::Office).await?;
        let account = self
            .role_account_in(&txn, actor, username, Role::ServiceCentreStaff)
            .await?
            .ok_or(StoreError::Reference { field: "username" })?;
        let exists = centre_staff::Entity::find()
            .filter(centre_staff::Column::CentreId.eq(id.0))
            .filter(centre_staff::Column::AccountId.eq(account))
            .count(&txn)
            .await?
            > 0;
        if !exists {
            centre_staff::Entity::insert(centre_staff::ActiveModel {
                centre_id: Set(id.0),
                account_id: Set(account),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            crate::audit::record(
                &txn,
                actor,
                "add_staff",
                "centre",
                Some(id.0),
                None,
                Some(serde_json::json!({ "staff": username })),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Takes an account off a centre's staff (audited).
    pub async fn remove_centre_staff(&self, actor: &Actor, id: CentreId, account: i64) -> Result<()> {
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, CentreRight::Office).await?;
        let gone = centre_staff::Entity::delete_many()
            .filter(centre_staff::Column::CentreId.eq(id.0))
            .filter(centre_staff::Column::AccountId.eq(account))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        let name = self.usernames(&[account]).await?.pop().map(|(_, n)| n);
        crate::audit::record(
            &txn,
            actor,
            "remove_staff",
            "centre",
            Some(id.0),
            Some(serde_json::json!({ "staff": name })),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
