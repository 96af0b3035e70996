//! References from one record to another (a unit's carrier and instructor, a member's
//! organisation and work unit, an organisation's parent, units and carrier, a network
//! link), resolved within the caller's scope. Every write path — API, console, import —
//! goes through these, so an id from another territory is `registry.reference_invalid`
//! everywhere, exactly like an id that does not exist.

use super::common::in_division;
use crate::entity::{carrier, instructor, party_org, unit};
use crate::{Actor, Result, StoreError};
use sea_orm::{ConnectionTrait, EntityTrait, QueryFilter};
use tongxin_domain::registry::{CarrierId, InstructorId, OrgId, UnitId};
use tongxin_domain::scope::Scope;

fn invalid(field: &'static str) -> StoreError {
    StoreError::Reference { field }
}

pub(crate) async fn carrier<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: CarrierId,
    field: &'static str,
) -> Result<carrier::Model> {
    carrier::Entity::find_by_id(id.0)
        .filter(super::carriers::scope(actor))
        .one(db)
        .await?
        .ok_or(invalid(field))
}

pub(crate) async fn unit<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: UnitId,
    field: &'static str,
) -> Result<unit::Model> {
    unit::Entity::find_by_id(id.0)
        .filter(super::units::scope(actor))
        .one(db)
        .await?
        .ok_or(invalid(field))
}

pub(crate) async fn org<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: OrgId,
    field: &'static str,
) -> Result<party_org::Model> {
    party_org::Entity::find_by_id(id.0)
        .filter(super::orgs::scope(actor))
        .one(db)
        .await?
        .ok_or(invalid(field))
}

/// Instructors are kept per street: visible to accounts whose division contains it.
pub(crate) async fn instructor<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: InstructorId,
    field: &'static str,
) -> Result<instructor::Model> {
    let mut q = instructor::Entity::find_by_id(id.0);
    if let Scope::Within { division, .. } = &actor.scope {
        match division {
            Some(d) => q = q.filter(in_division(instructor::Column::DivisionCode, d)),
            None => return Err(invalid(field)),
        }
    }
    q.one(db).await?.ok_or(invalid(field))
}
