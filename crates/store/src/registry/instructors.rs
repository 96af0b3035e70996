use super::common::in_division;
use crate::entity::instructor;
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::InstructorId;
use tongxin_domain::scope::Scope;

/// A party-building instructor (党建指导员): assigned by a street or district to guide
/// units that have no organisation of their own.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InstructorView {
    pub id: InstructorId,
    pub name: String,
    pub phone_masked: Option<String>,
    pub division_code: String,
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
        }
    }
}

impl Store {
    pub async fn list_instructors(&self, actor: &Actor) -> Result<Vec<InstructorView>> {
        actor.require(Action::ReadRegistry)?;
        let mut q = instructor::Entity::find();
        if let Scope::Within { division, .. } = &actor.scope {
            match division {
                Some(d) => q = q.filter(in_division(instructor::Column::DivisionCode, d)),
                None => return Ok(vec![]),
            }
        }
        Ok(q.order_by_asc(instructor::Column::Name)
            .all(&self.read)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
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
        Ok(m.into())
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
    crate::audit::record(
        db,
        actor,
        "create",
        "instructor",
        Some(m.id),
        None,
        Some(serde_json::json!({"name": m.name, "division_code": m.division_code})),
    )
    .await?;
    Ok((m, true))
}
