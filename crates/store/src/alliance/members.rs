//! Member units of a joint conference (成员单位): a unit of the registry, or an outside
//! organisation known by name; when it joined (the plenary that admitted it), its plaque
//! (授牌), when it left; and the liaison accounts (联络员) that post for it.

use super::ConferenceRight;
use crate::entity::{alliance_conference as conf, alliance_liaison, alliance_member as member, alliance_plenary, unit};
use crate::error::unique_as;
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{
    AllianceMemberId, ConferenceId, MemberFields, MemberKind, PlenaryId, member_on, outside_name,
};
use tongxin_domain::registry::{Labelled, UnitId};

/// A member unit as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllianceMemberView {
    #[schema(value_type = i64)]
    pub id: AllianceMemberId,
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    /// The registry unit it is, when it is one (outside organisations have none).
    #[schema(value_type = Option<i64>)]
    pub unit_id: Option<UnitId>,
    /// The registry's name of the unit today, or the outside organisation's name.
    pub name: String,
    /// `government`, `state_firm`, `university`, `hospital`, `public_institution`,
    /// `private_firm`, `social_organisation`, `community`, `other`.
    pub kind: String,
    pub kind_label: String,
    pub joined_on: NaiveDate,
    /// The plenary that admitted it, and that plenary's number.
    #[schema(value_type = Option<i64>)]
    pub admitted_at: Option<PlenaryId>,
    pub admitted_at_number: Option<i32>,
    pub plaque_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
    /// A member today: joined, not left.
    pub current: bool,
    pub version: i64,
}

/// A new member unit: a registry unit (`unit`) or an outside organisation (`name`).
#[derive(Debug, Clone)]
pub struct AllianceMemberInput {
    pub unit: Option<UnitId>,
    pub name: Option<String>,
    pub fields: MemberFields,
}

/// An edit of a member unit: what is `Some` changes (`Some(None)` clears a date). The
/// name changes only for an outside organisation (a registry unit's is the registry's).
#[derive(Debug, Clone, Default)]
pub struct AllianceMemberPatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub joined_on: Option<NaiveDate>,
    pub plaque_on: Option<Option<NaiveDate>>,
    pub left_on: Option<Option<NaiveDate>>,
}

pub(super) fn audited(m: &member::Model) -> serde_json::Value {
    serde_json::json!({
        "member": m.name,
        "unit_id": m.unit_id,
        "kind": m.kind,
        "joined_conference_on": m.joined_on,
        "admitted_at": m.admitted_at,
        "plaque_on": m.plaque_on,
        "left_on": m.left_on,
    })
}

impl Store {
    /// The names of member units by id: the registry's name of a unit today, else the
    /// outside organisation's (one read of the units, none per row).
    pub(super) async fn names_of_members(&self, rows: &[member::Model]) -> Result<HashMap<i64, String>> {
        let units: Vec<i64> = rows.iter().filter_map(|r| r.unit_id).collect();
        let unit_names: HashMap<i64, String> = if units.is_empty() {
            HashMap::new()
        } else {
            unit::Entity::find()
                .filter(unit::Column::Id.is_in(units))
                .all(&self.read)
                .await?
                .into_iter()
                .map(|u| (u.id, u.name))
                .collect()
        };
        Ok(rows
            .iter()
            .map(|m| {
                let name = m.unit_id.and_then(|u| unit_names.get(&u).cloned());
                (m.id, name.unwrap_or_else(|| m.name.clone()))
            })
            .collect())
    }

    /// The names of the member units `ids`, by id.
    pub(super) async fn member_names(&self, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>> {
        let ids: std::collections::BTreeSet<i64> = ids.into_iter().collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = member::Entity::find()
            .filter(member::Column::Id.is_in(ids))
            .all(&self.read)
            .await?;
        self.names_of_members(&rows).await
    }

    pub(super) async fn member_views(&self, rows: Vec<member::Model>) -> Result<Vec<AllianceMemberView>> {
        let mut names = self.names_of_members(&rows).await?;
        let plenaries: Vec<i64> = rows.iter().filter_map(|r| r.admitted_at).collect();
        let numbers: HashMap<i64, i32> = if plenaries.is_empty() {
            HashMap::new()
        } else {
            alliance_plenary::Entity::find()
                .filter(alliance_plenary::Column::Id.is_in(plenaries))
                .all(&self.read)
                .await?
                .into_iter()
                .map(|p| (p.id, p.number))
                .collect()
        };
        let today = Utc::now().date_naive();
        Ok(rows
            .into_iter()
            .map(|m| {
                let kind = MemberKind::parse_any(&m.kind);
                AllianceMemberView {
                    id: AllianceMemberId(m.id),
                    conference_id: ConferenceId(m.conference_id),
                    unit_id: m.unit_id.map(UnitId),
                    name: names.remove(&m.id).unwrap_or(m.name),
                    kind_label: kind.map(|k| k.label_zh().to_string()).unwrap_or_default(),
                    kind: m.kind,
                    joined_on: m.joined_on,
                    admitted_at: m.admitted_at.map(PlenaryId),
                    admitted_at_number: m.admitted_at.and_then(|p| numbers.get(&p).copied()),
                    plaque_on: m.plaque_on,
                    left_on: m.left_on,
                    current: member_on(m.joined_on, m.left_on, today),
                    version: m.version,
                }
            })
            .collect())
    }

    /// The member units of a conference the caller sees, by the date they joined then
    /// name; those that have left only when asked.
    pub async fn list_alliance_members(
        &self,
        actor: &Actor,
        id: ConferenceId,
        with_left: bool,
    ) -> Result<Vec<AllianceMemberView>> {
        self.kept_conference(&self.read, actor, id, ConferenceRight::Read)
            .await?;
        let mut q = member::Entity::find().filter(member::Column::ConferenceId.eq(id.0));
        if !with_left {
            q = q.filter(member::Column::LeftOn.is_null());
        }
        let rows = q
            .order_by_asc(member::Column::JoinedOn)
            .order_by_asc(member::Column::Name)
            .all(&self.read)
            .await?;
        self.member_views(rows).await
    }

    /// A member unit of conference `c`, read in `db` (not found when it is another's).
    pub(super) async fn member_of<C: ConnectionTrait>(
        &self,
        db: &C,
        c: &conf::Model,
        id: AllianceMemberId,
    ) -> Result<member::Model> {
        member::Entity::find_by_id(id.0)
            .filter(member::Column::ConferenceId.eq(c.id))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A member unit of a conference the caller sees.
    pub async fn get_alliance_member(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: AllianceMemberId,
    ) -> Result<AllianceMemberView> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let m = self.member_of(&self.read, &conf, id).await?;
        Ok(self.member_views(vec![m]).await?.remove(0))
    }

    /// Adds a member unit (an office of the conference's territory). A registry unit must
    /// lie in the caller's territory (another's id is `reference_invalid`); an outside
    /// organisation is named. The same unit or name twice is a duplicate.
    pub async fn add_alliance_member(
        &self,
        actor: &Actor,
        c: ConferenceId,
        input: &AllianceMemberInput,
    ) -> Result<AllianceMemberView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let m = self.insert_member(&txn, actor, &conf, input, None).await?;
        txn.commit().await?;
        Ok(self.member_views(vec![m]).await?.remove(0))
    }

    /// Writes a member unit in `db`, admitted at `plenary` when given (audited).
    pub(super) async fn insert_member<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        conf: &conf::Model,
        input: &AllianceMemberInput,
        plenary: Option<&alliance_plenary::Model>,
    ) -> Result<member::Model> {
        let (unit_id, name) = match (input.unit, input.name.as_deref()) {
            (Some(u), _) => {
                let u = crate::registry::refs::unit(db, actor, u, "unit").await?;
                (Some(u.id), u.name)
            }
            (None, Some(n)) => (None, outside_name(n).map_err(|e| StoreError::Invalid(vec![e]))?),
            (None, None) => {
                return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                    field: "unit",
                }]));
            }
        };
        let now = Utc::now();
        let f = &input.fields;
        let m = member::Entity::insert(member::ActiveModel {
            conference_id: Set(conf.id),
            unit_id: Set(unit_id),
            name: Set(name),
            kind: Set(f.kind.code().into()),
            joined_on: Set(f.joined_on),
            admitted_at: Set(plenary.map(|p| p.id)),
            plaque_on: Set(f.plaque_on),
            left_on: Set(f.left_on),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await
        .map_err(|e| match unique_as("name")(e) {
            StoreError::Duplicate { .. } if unit_id.is_some() => StoreError::Duplicate { field: "unit" },
            other => other,
        })?;
        crate::audit::record(
            db,
            actor,
            "add_member",
            "conference",
            Some(conf.id),
            None,
            Some(audited(&m)),
        )
        .await?;
        Ok(m)
    }

    /// Edits a member unit: only what `patch` names changes; checked whole (a plaque or a
    /// leaving before joining is refused), version-checked, audited.
    pub async fn update_alliance_member(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: AllianceMemberId,
        version: i64,
        patch: &AllianceMemberPatch,
    ) -> Result<AllianceMemberView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let before = self.member_of(&txn, &conf, id).await?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let f = MemberFields::parse(
            patch.kind.as_deref().unwrap_or(&before.kind),
            Some(patch.joined_on.unwrap_or(before.joined_on)),
            patch.plaque_on.unwrap_or(before.plaque_on),
            patch.left_on.unwrap_or(before.left_on),
        )
        .map_err(StoreError::Invalid)?;
        let name = match (&patch.name, before.unit_id) {
            (Some(n), None) => outside_name(n).map_err(|e| StoreError::Invalid(vec![e]))?,
            _ => before.name.clone(),
        };
        let find = member::Entity::find_by_id(id.0);
        let res = member::Entity::update_many()
            .col_expr(member::Column::Name, Expr::value(name))
            .col_expr(member::Column::Kind, Expr::value(f.kind.code()))
            .col_expr(member::Column::JoinedOn, Expr::value(f.joined_on))
            .col_expr(member::Column::PlaqueOn, Expr::value(f.plaque_on))
            .col_expr(member::Column::LeftOn, Expr::value(f.left_on))
            .col_expr(member::Column::Version, Expr::col(member::Column::Version).add(1))
            .col_expr(member::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(member::Column::Id.eq(id.0))
            .filter(member::Column::Version.eq(before.version))
            .exec(&txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update_member",
            "conference",
            Some(conf.id),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.member_views(vec![after]).await?.remove(0))
    }

    /// The liaison accounts of a member unit: (account id, username). Offices that keep
    /// the conference see them.
    pub async fn alliance_liaisons(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: AllianceMemberId,
    ) -> Result<Vec<(i64, String)>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Office)
            .await?;
        self.member_of(&self.read, &conf, id).await?;
        let ids: Vec<i64> = alliance_liaison::Entity::find()
            .filter(alliance_liaison::Column::MemberId.eq(id.0))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|l| l.account_id)
            .collect();
        self.usernames(&ids).await
    }

    /// Makes a unit-liaison account of the caller's territory a liaison of a member unit
    /// (audited). Adding one twice is no change.
    pub async fn add_alliance_liaison(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: AllianceMemberId,
        username: &str,
    ) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let m = self.member_of(&txn, &conf, id).await?;
        let account = self
            .role_account_in(&txn, actor, username, Role::UnitLiaison)
            .await?
            .ok_or(StoreError::Reference { field: "username" })?;
        let exists = alliance_liaison::Entity::find()
            .filter(alliance_liaison::Column::MemberId.eq(m.id))
            .filter(alliance_liaison::Column::AccountId.eq(account))
            .count(&txn)
            .await?
            > 0;
        if !exists {
            alliance_liaison::Entity::insert(alliance_liaison::ActiveModel {
                member_id: Set(m.id),
                account_id: Set(account),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            crate::audit::record(
                &txn,
                actor,
                "add_liaison",
                "conference",
                Some(conf.id),
                None,
                Some(serde_json::json!({ "member": m.name, "liaison": username })),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Takes a liaison off a member unit (audited).
    pub async fn remove_alliance_liaison(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: AllianceMemberId,
        account: i64,
    ) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let m = self.member_of(&txn, &conf, id).await?;
        let gone = alliance_liaison::Entity::delete_many()
            .filter(alliance_liaison::Column::MemberId.eq(m.id))
            .filter(alliance_liaison::Column::AccountId.eq(account))
            .exec(&txn)
            .await?;
        if gone.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        let name = self.usernames(&[account]).await?.pop().map(|(_, n)| n);
        crate::audit::record(
            &txn,
            actor,
            "remove_liaison",
            "conference",
            Some(conf.id),
            Some(serde_json::json!({ "member": m.name, "liaison": name })),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The member units whose liaison the caller is (a liaison's home).
    pub async fn my_alliance_members(&self, actor: &Actor) -> Result<Vec<AllianceMemberView>> {
        let rows = self.liaison_members(&self.read, actor, None).await?;
        self.member_views(rows).await
    }
}
