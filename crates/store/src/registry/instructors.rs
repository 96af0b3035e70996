use super::common::{check_version, in_division};
use crate::audit::AuditEntry;
use crate::entity::{instructor, unit};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::{InstructorId, UnitId};
use tongxin_domain::scope::Scope;

/// A party-building instructor (党建指导员): assigned by a street or district to guide
/// units that have no organisation of their own.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructorView {
    pub id: InstructorId,
    pub name: String,
    pub phone_masked: Option<String>,
    pub division_code: String,
    /// The street (or other division) it works in, by name.
    pub division_name: String,
    /// Units in the caller's territory it is assigned to.
    pub units: u64,
    pub version: i64,
}

impl From<instructor::Model> for InstructorView {
    fn from(m: instructor::Model) -> Self {
        InstructorView {
            phone_masked: m
                .phone
                .as_deref()
                .and_then(|p| Phone::parse(p).ok())
                .map(|p| p.masked()),
            id: InstructorId(m.id),
            name: m.name,
            division_code: m.division_code,
            division_name: String::new(),
            units: 0,
            version: m.version,
        }
    }
}

/// An edit of an instructor: what is `Some` changes. A phone sent back in its masked
/// form (as the form shows it) is no change; `Some("")` clears it.
#[derive(Debug, Clone, Default)]
pub struct InstructorPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub division: Option<String>,
}

/// Instructors are kept per street: visible to accounts whose division contains it.
fn scope(actor: &Actor) -> Option<sea_orm::Condition> {
    match &actor.scope {
        Scope::All => Some(sea_orm::Condition::all()),
        Scope::Within { division: Some(d), .. } => Some(in_division(instructor::Column::DivisionCode, d)),
        Scope::Within { division: None, .. } => None,
    }
}

/// What history keeps of an instructor: never the full phone.
fn audited(m: &instructor::Model) -> serde_json::Value {
    serde_json::json!({
        "name": m.name,
        "division_code": m.division_code,
        "phone": m.phone.as_deref().and_then(|p| Phone::parse(p).ok()).map(|p| p.masked()),
    })
}

impl Store {
    /// Instructors in the caller's territory, by name, each with the units in the
    /// territory it is assigned to.
    pub async fn list_instructors(&self, actor: &Actor) -> Result<Vec<InstructorView>> {
        actor.require(Action::ReadRegistry)?;
        let Some(cond) = scope(actor) else {
            return Ok(vec![]);
        };
        let rows = instructor::Entity::find()
            .filter(cond)
            .order_by_asc(instructor::Column::Name)
            .all(&self.read)
            .await?;
        self.instructor_views(actor, rows).await
    }

    async fn instructor_views(&self, actor: &Actor, rows: Vec<instructor::Model>) -> Result<Vec<InstructorView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        let mut counts: HashMap<i64, u64> = HashMap::new();
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        for chunk in ids.chunks(500) {
            let found: Vec<(Option<i64>, i64)> = unit::Entity::find()
                .filter(unit::Column::InstructorId.is_in(chunk.to_vec()))
                .filter(unit::Column::Archived.eq(false))
                .filter(super::units::scope(actor))
                .select_only()
                .column(unit::Column::InstructorId)
                .column_as(unit::Column::Id.count(), "n")
                .group_by(unit::Column::InstructorId)
                .into_tuple()
                .all(&self.read)
                .await?;
            for (i, n) in found {
                if let Some(i) = i {
                    counts.insert(i, u64::try_from(n).unwrap_or(0));
                }
            }
        }
        Ok(rows
            .into_iter()
            .map(|m| {
                let division_name = names.get(&m.division_code).cloned().unwrap_or_default();
                let units = counts.get(&m.id).copied().unwrap_or(0);
                InstructorView {
                    division_name,
                    units,
                    ..m.into()
                }
            })
            .collect())
    }

    /// One instructor in the caller's territory.
    pub async fn get_instructor(&self, actor: &Actor, id: InstructorId) -> Result<InstructorView> {
        actor.require(Action::ReadRegistry)?;
        let m = super::refs::instructor(&self.read, actor, id, "id")
            .await
            .map_err(|_| StoreError::NotFound)?;
        Ok(self.instructor_views(actor, vec![m]).await?.remove(0))
    }

    /// The units in the caller's territory an instructor is assigned to, by name.
    pub async fn units_of_instructor(&self, actor: &Actor, id: InstructorId) -> Result<Vec<(UnitId, String)>> {
        self.get_instructor(actor, id).await?;
        Ok(unit::Entity::find()
            .filter(unit::Column::InstructorId.eq(id.0))
            .filter(unit::Column::Archived.eq(false))
            .filter(super::units::scope(actor))
            .order_by_asc(unit::Column::Name)
            .select_only()
            .columns([unit::Column::Id, unit::Column::Name])
            .into_tuple::<(i64, String)>()
            .all(&self.read)
            .await?
            .into_iter()
            .map(|(i, n)| (UnitId(i), n))
            .collect())
    }

    pub async fn instructor_history(&self, actor: &Actor, id: InstructorId) -> Result<Vec<AuditEntry>> {
        self.get_instructor(actor, id).await?;
        self.history_of("instructor", id.0).await
    }

    /// Records a new instructor; one of that name in that division already is a
    /// duplicate (the console's form), where [`Self::ensure_instructor`] finds it.
    pub async fn create_instructor(
        &self,
        actor: &Actor,
        name: &str,
        phone: Option<Phone>,
        division: &DivisionCode,
    ) -> Result<InstructorView> {
        actor.require(Action::WriteRegistry)?;
        let name = check_name(name).map_err(|e| StoreError::Invalid(vec![e]))?;
        self.check_placement(actor, division).await?;
        let txn = self.begin().await?;
        let (m, created) = ensure_instructor_in(&txn, actor, &name, phone, division).await?;
        if !created {
            return Err(StoreError::Duplicate { field: "name" });
        }
        txn.commit().await?;
        Ok(self.instructor_views(actor, vec![m]).await?.remove(0))
    }

    /// Edits an instructor (version-checked, audited with the phone masked).
    pub async fn update_instructor(
        &self,
        actor: &Actor,
        id: InstructorId,
        version: i64,
        patch: &InstructorPatch,
    ) -> Result<InstructorView> {
        actor.require(Action::WriteRegistry)?;
        let txn = self.begin().await?;
        let before = super::refs::instructor(&txn, actor, id, "id")
            .await
            .map_err(|_| StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let mut errors = Vec::new();
        let name = match &patch.name {
            Some(n) => check_name(n).unwrap_or_else(|e| {
                errors.push(e);
                before.name.clone()
            }),
            None => before.name.clone(),
        };
        let phone = match patch.phone.as_deref().map(str::trim) {
            None => before.phone.clone(),
            Some("") => None,
            // The masked form sent back is no change.
            Some(p)
                if before
                    .phone
                    .as_deref()
                    .and_then(|b| Phone::parse(b).ok())
                    .is_some_and(|b| b.masked() == p) =>
            {
                before.phone.clone()
            }
            Some(p) => match Phone::parse(p) {
                Ok(p) => Some(p.reveal().to_string()),
                Err(e) => {
                    errors.push(tongxin_domain::DomainError::InvalidCode {
                        field: "phone",
                        source: e,
                    });
                    before.phone.clone()
                }
            },
        };
        let division = match patch.division.as_deref().map(str::trim) {
            Some(d) if d != before.division_code => match DivisionCode::parse(d) {
                Ok(d) => Some(d),
                Err(e) => {
                    errors.push(tongxin_domain::DomainError::InvalidCode {
                        field: "division",
                        source: e,
                    });
                    None
                }
            },
            _ => None,
        };
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        if let Some(d) = &division {
            self.check_placement(actor, d).await?;
        }
        let find = instructor::Entity::find_by_id(id.0);
        let res = instructor::Entity::update_many()
            .col_expr(instructor::Column::Name, Expr::value(name))
            .col_expr(instructor::Column::Phone, Expr::value(phone))
            .col_expr(
                instructor::Column::DivisionCode,
                Expr::value(division.map_or(before.division_code.clone(), |d| d.to_string())),
            )
            .col_expr(
                instructor::Column::Version,
                Expr::col(instructor::Column::Version).add(1),
            )
            .col_expr(instructor::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(instructor::Column::Id.eq(id.0))
            .filter(instructor::Column::Version.eq(before.version))
            .exec(&txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "instructor",
            Some(id.0),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.instructor_views(actor, vec![after]).await?.remove(0))
    }

    /// Finds the instructor of this name in `division`, or records a new one.
    pub async fn ensure_instructor(
        &self,
        actor: &Actor,
        name: &str,
        phone: Option<Phone>,
        division: &DivisionCode,
    ) -> Result<InstructorView> {
        actor.require(Action::WriteRegistry)?;
        if !actor.scope.may_place_in(division) {
            return Err(StoreError::OutsideTerritory { field: "division" });
        }
        let txn = self.begin().await?;
        let (m, _) = ensure_instructor_in(&txn, actor, name, phone, division).await?;
        txn.commit().await?;
        Ok(self.instructor_views(actor, vec![m]).await?.remove(0))
    }
}

/// An instructor's name: required, at most 50 characters.
fn check_name(name: &str) -> std::result::Result<String, tongxin_domain::DomainError> {
    let n = tongxin_domain::text::clean(name);
    if n.is_empty() {
        Err(tongxin_domain::DomainError::Required { field: "name" })
    } else if n.chars().count() > 50 {
        Err(tongxin_domain::DomainError::TooLong { field: "name", max: 50 })
    } else {
        Ok(n)
    }
}

pub(crate) async fn ensure_instructor_in<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    name: &str,
    phone: Option<Phone>,
    division: &DivisionCode,
) -> Result<(instructor::Model, bool)> {
    if let Some(m) = instructor::Entity::find()
        .filter(instructor::Column::DivisionCode.eq(division.as_str()))
        .filter(instructor::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok((m, false));
    }
    let m = instructor::Entity::insert(instructor::ActiveModel {
        name: Set(name.to_string()),
        phone: Set(phone.map(|p| p.reveal().to_string())),
        division_code: Set(division.to_string()),
        created_at: Set(Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?;
    crate::audit::record(db, actor, "create", "instructor", Some(m.id), None, Some(audited(&m))).await?;
    Ok((m, true))
}
