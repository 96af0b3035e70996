//! Visits (走访) to member units: the secretariat's regular calls ("常态走访"), logged
//! against the unit visited.

use super::ConferenceRight;
use crate::entity::{alliance_member as member, alliance_visit as visit};
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tongxin_domain::alliance::{AllianceMemberId, ConferenceId, VisitFields, member_on};

/// A visit as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VisitView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub member_id: AllianceMemberId,
    pub member_name: String,
    pub visited_on: NaiveDate,
    pub visitors: String,
    pub notes: Option<String>,
}

impl Store {
    /// The visits to a conference's member units (to one when `member` is given), newest
    /// first.
    pub async fn list_visits(
        &self,
        actor: &Actor,
        c: ConferenceId,
        of: Option<AllianceMemberId>,
    ) -> Result<Vec<VisitView>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let members = member::Entity::find()
            .filter(member::Column::ConferenceId.eq(conf.id))
            .all(&self.read)
            .await?;
        let names = self.names_of_members(&members).await?;
        let ids: Vec<i64> = match of {
            Some(m) if names.contains_key(&m.0) => vec![m.0],
            Some(_) => return Err(StoreError::NotFound),
            None => names.keys().copied().collect(),
        };
        Ok(visit::Entity::find()
            .filter(visit::Column::MemberId.is_in(ids))
            .order_by_desc(visit::Column::VisitedOn)
            .order_by_desc(visit::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|v| VisitView {
                id: v.id,
                member_id: AllianceMemberId(v.member_id),
                member_name: names.get(&v.member_id).cloned().unwrap_or_default(),
                visited_on: v.visited_on,
                visitors: v.visitors,
                notes: v.notes,
            })
            .collect())
    }

    /// Logs a visit to a member unit (an office of the conference's territory); the unit
    /// must be a member on the day. Audited.
    pub async fn add_visit(
        &self,
        actor: &Actor,
        c: ConferenceId,
        to: AllianceMemberId,
        f: &VisitFields,
    ) -> Result<VisitView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let m = self
            .member_of(&txn, &conf, to)
            .await
            .map_err(|_| StoreError::Reference { field: "member" })?;
        if !member_on(m.joined_on, m.left_on, f.visited_on) {
            return Err(StoreError::NotAMember { field: "member" });
        }
        let v = visit::Entity::insert(visit::ActiveModel {
            member_id: Set(m.id),
            visited_on: Set(f.visited_on),
            visitors: Set(f.visitors.clone()),
            notes: Set(f.notes.clone()),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "add_visit",
            "conference",
            Some(conf.id),
            None,
            Some(serde_json::json!({ "member": m.name, "visited_on": v.visited_on, "visitors": v.visitors })),
        )
        .await?;
        txn.commit().await?;
        let name = self
            .names_of_members(std::slice::from_ref(&m))
            .await?
            .remove(&m.id)
            .unwrap_or_default();
        Ok(VisitView {
            id: v.id,
            member_id: AllianceMemberId(v.member_id),
            member_name: name,
            visited_on: v.visited_on,
            visitors: v.visitors,
            notes: v.notes,
        })
    }
}
