//! Plenary meetings (第N次全体会议) of a joint conference: numbered in order, chaired by
//! the rotating convener of the day unless the office names another; who attended, whom
//! they admitted (the units become members on the meeting's date), and what they
//! resolved, exchanged, awarded and signed.

use super::ConferenceRight;
use super::members::AllianceMemberInput;
use crate::entity::{
    alliance_attendance as attendance, alliance_conference as conf, alliance_member as member,
    alliance_plenary as plenary, alliance_plenary_item as item,
};
use crate::error::unique_as;
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use tongxin_domain::alliance::{
    AllianceMemberId, ConferenceId, MemberFields, PlenaryFields, PlenaryId, PlenaryItemKind, chair_on,
    check_plenary_order, item_text, member_on,
};
use tongxin_domain::registry::{Labelled, UnitId};

/// A plenary in a conference's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlenarySummary {
    #[schema(value_type = i64)]
    pub id: PlenaryId,
    /// The N of 第N次全体会议.
    pub number: i32,
    pub held_on: NaiveDate,
    pub place: Option<String>,
    #[schema(value_type = Option<i64>)]
    pub chair_id: Option<AllianceMemberId>,
    pub chair_name: Option<String>,
    /// Member units present.
    pub attended: u64,
    /// Units admitted at it.
    pub admitted: u64,
    /// Resolutions, exchanges, awards, signings.
    pub items: u64,
    pub version: i64,
}

/// An item of a plenary: a resolution, an exchange, an award, a signing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlenaryItemView {
    pub id: i64,
    /// `resolution`, `onsite_exchange`, `written_exchange`, `award`, `signing`.
    pub kind: String,
    pub kind_label: String,
    pub text: String,
    #[schema(value_type = Option<i64>)]
    pub member_id: Option<AllianceMemberId>,
    pub member_name: Option<String>,
}

/// A member unit named on a plenary's record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NamedMember {
    #[schema(value_type = i64)]
    pub id: AllianceMemberId,
    pub name: String,
}

/// A plenary with everything its record holds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlenaryView {
    /// Its number, date, place, chair and counts, as in the list.
    pub summary: PlenarySummary,
    pub agenda: Option<String>,
    /// Who the rotation schedule says chairs on its date (the chair unless the office
    /// named another).
    pub scheduled_chair: Option<String>,
    pub attendance: Vec<NamedMember>,
    /// Member units on its date that were not present.
    pub absent: Vec<NamedMember>,
    pub admitted: Vec<super::AllianceMemberView>,
    pub items: Vec<PlenaryItemView>,
}

/// A new plenary: its number is the next unless given (a past one recorded late).
#[derive(Debug, Clone)]
pub struct PlenaryInput {
    pub number: Option<u32>,
    pub fields: PlenaryFields,
    /// The chair when not the one the rotation schedule gives.
    pub chair: Option<AllianceMemberId>,
}

/// A unit admitted at a plenary: a registry unit (`unit`) or an outside organisation
/// (`name`), its kind, and whether its plaque (授牌) was handed there.
#[derive(Debug, Clone)]
pub struct Admission {
    pub unit: Option<UnitId>,
    pub name: Option<String>,
    pub kind: String,
    pub plaque: bool,
}

/// An edit of a plenary: what is `Some` changes (`chair: Some(None)` goes back to the
/// schedule's chair).
#[derive(Debug, Clone, Default)]
pub struct PlenaryPatch {
    pub held_on: Option<NaiveDate>,
    pub place: Option<String>,
    pub agenda: Option<String>,
    pub chair: Option<Option<AllianceMemberId>>,
}

fn audited(p: &plenary::Model) -> serde_json::Value {
    serde_json::json!({
        "plenary": p.number,
        "held_on": p.held_on,
        "place": p.place,
        "agenda": p.agenda,
        "chair_id": p.chair_id,
    })
}

/// Counts per plenary of `col` (grouped, one query for a whole list).
async fn counts<E, C>(db: &C, col: E::Column, ids: &[i64]) -> Result<HashMap<i64, u64>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    Ok(E::find()
        .select_only()
        .column(col)
        .column_as(Expr::col(col).count(), "n")
        .filter(col.is_in(ids.to_vec()))
        .group_by(col)
        .into_tuple::<(i64, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(k, n)| (k, u64::try_from(n).unwrap_or(0)))
        .collect())
}

impl Store {
    async fn plenary_summaries(&self, rows: Vec<plenary::Model>) -> Result<Vec<PlenarySummary>> {
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let attended = counts::<attendance::Entity, _>(&self.read, attendance::Column::PlenaryId, &ids).await?;
        let admitted = counts::<member::Entity, _>(&self.read, member::Column::AdmittedAt, &ids).await?;
        let items = counts::<item::Entity, _>(&self.read, item::Column::PlenaryId, &ids).await?;
        let names = self.member_names(rows.iter().filter_map(|p| p.chair_id)).await?;
        Ok(rows
            .into_iter()
            .map(|p| PlenarySummary {
                id: PlenaryId(p.id),
                number: p.number,
                held_on: p.held_on,
                place: p.place,
                chair_id: p.chair_id.map(AllianceMemberId),
                chair_name: p.chair_id.and_then(|c| names.get(&c).cloned()),
                attended: attended.get(&p.id).copied().unwrap_or(0),
                admitted: admitted.get(&p.id).copied().unwrap_or(0),
                items: items.get(&p.id).copied().unwrap_or(0),
                version: p.version,
            })
            .collect())
    }

    /// The plenaries of a conference the caller sees, by number.
    pub async fn list_plenaries(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<PlenarySummary>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let rows = plenary::Entity::find()
            .filter(plenary::Column::ConferenceId.eq(conf.id))
            .order_by_asc(plenary::Column::Number)
            .all(&self.read)
            .await?;
        self.plenary_summaries(rows).await
    }

    async fn plenary_of<C: ConnectionTrait>(&self, db: &C, c: &conf::Model, id: PlenaryId) -> Result<plenary::Model> {
        plenary::Entity::find_by_id(id.0)
            .filter(plenary::Column::ConferenceId.eq(c.id))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// A plenary with its attendance, admissions and items: the meeting's record.
    pub async fn get_plenary(&self, actor: &Actor, c: ConferenceId, id: PlenaryId) -> Result<PlenaryView> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let p = self.plenary_of(&self.read, &conf, id).await?;
        let present: BTreeSet<i64> = attendance::Entity::find()
            .filter(attendance::Column::PlenaryId.eq(p.id))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|a| a.member_id)
            .collect();
        let all = member::Entity::find()
            .filter(member::Column::ConferenceId.eq(conf.id))
            .order_by_asc(member::Column::JoinedOn)
            .order_by_asc(member::Column::Name)
            .all(&self.read)
            .await?;
        let on_the_day: Vec<&member::Model> = all
            .iter()
            .filter(|m| member_on(m.joined_on, m.left_on, p.held_on) || present.contains(&m.id))
            .collect();
        let views = self.member_views(all.clone()).await?;
        let name_of: HashMap<i64, String> = views.iter().map(|v| (v.id.0, v.name.clone())).collect();
        let named = |id: i64| NamedMember {
            id: AllianceMemberId(id),
            name: name_of.get(&id).cloned().unwrap_or_default(),
        };
        let attendance = on_the_day
            .iter()
            .filter(|m| present.contains(&m.id))
            .map(|m| named(m.id))
            .collect();
        let absent = on_the_day
            .iter()
            .filter(|m| !present.contains(&m.id))
            .map(|m| named(m.id))
            .collect();
        let admitted = views
            .into_iter()
            .filter(|v| v.admitted_at == Some(PlenaryId(p.id)))
            .collect();
        let items = item::Entity::find()
            .filter(item::Column::PlenaryId.eq(p.id))
            .order_by_asc(item::Column::Id)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|i| PlenaryItemView {
                id: i.id,
                kind_label: PlenaryItemKind::parse_any(&i.kind)
                    .map(|k| k.label_zh().to_string())
                    .unwrap_or_default(),
                kind: i.kind,
                text: i.text,
                member_id: i.member_id.map(AllianceMemberId),
                member_name: i.member_id.and_then(|m| name_of.get(&m).cloned()),
            })
            .collect();
        let terms = self.terms_of(&self.read, conf.id).await?;
        let schedule: Vec<_> = terms.iter().map(|(o, t, h, _)| (*o, *t, *h)).collect();
        let scheduled_chair = chair_on(p.held_on, &schedule).and_then(|h| name_of.get(&h).cloned());
        let agenda = p.agenda.clone();
        let summary = self.plenary_summaries(vec![p]).await?.remove(0);
        Ok(PlenaryView {
            summary,
            agenda,
            scheduled_chair,
            attendance,
            absent,
            admitted,
            items,
        })
    }

    /// The chair of a plenary held on `day`: the one named (a member on that day), else
    /// the rotation schedule's.
    async fn chair_for(
        &self,
        txn: &DatabaseTransaction,
        conf: &conf::Model,
        day: NaiveDate,
        named: Option<AllianceMemberId>,
    ) -> Result<Option<i64>> {
        if let Some(n) = named {
            let m = self
                .member_of(txn, conf, n)
                .await
                .map_err(|_| StoreError::Reference { field: "chair" })?;
            if !member_on(m.joined_on, m.left_on, day) {
                return Err(StoreError::NotAMember { field: "chair" });
            }
            return Ok(Some(m.id));
        }
        let terms = self.terms_of(txn, conf.id).await?;
        let schedule: Vec<_> = terms.iter().map(|(o, t, h, _)| (*o, *t, *h)).collect();
        Ok(chair_on(day, &schedule))
    }

    /// The conference's plenaries other than `except`, as (number, date).
    async fn held(&self, txn: &DatabaseTransaction, conf: i64, except: Option<i64>) -> Result<Vec<(u32, NaiveDate)>> {
        Ok(plenary::Entity::find()
            .filter(plenary::Column::ConferenceId.eq(conf))
            .all(txn)
            .await?
            .into_iter()
            .filter(|p| Some(p.id) != except)
            .map(|p| (u32::try_from(p.number).unwrap_or(0), p.held_on))
            .collect())
    }

    /// Records a plenary (an office of the conference's territory): numbered next unless
    /// a number is given, in date order with the others, chaired by the rotation's
    /// convener of the day unless another is named. Audited.
    pub async fn create_plenary(&self, actor: &Actor, c: ConferenceId, input: &PlenaryInput) -> Result<PlenarySummary> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let held = self.held(&txn, conf.id, None).await?;
        let number = match input.number {
            Some(n) if held.iter().any(|(m, _)| *m == n) => return Err(StoreError::Duplicate { field: "number" }),
            Some(n) => n,
            None => held.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1,
        };
        let f = &input.fields;
        check_plenary_order(number, f.held_on, &held).map_err(|e| StoreError::Invalid(vec![e]))?;
        let chair = self.chair_for(&txn, &conf, f.held_on, input.chair).await?;
        let now = Utc::now();
        let p = plenary::Entity::insert(plenary::ActiveModel {
            conference_id: Set(conf.id),
            number: Set(number as i32),
            held_on: Set(f.held_on),
            place: Set(f.place.clone()),
            agenda: Set(f.agenda.clone()),
            chair_id: Set(chair),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique_as("number"))?;
        crate::audit::record(
            &txn,
            actor,
            "create_plenary",
            "conference",
            Some(conf.id),
            None,
            Some(audited(&p)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.plenary_summaries(vec![p]).await?.remove(0))
    }

    /// Edits a plenary: only what `patch` names changes; its date stays in order with the
    /// others; version-checked, audited. Units it admitted join on its (new) date.
    pub async fn update_plenary(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: PlenaryId,
        version: i64,
        patch: &PlenaryPatch,
    ) -> Result<PlenarySummary> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let before = self.plenary_of(&txn, &conf, id).await?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let f = PlenaryFields::parse(
            Some(patch.held_on.unwrap_or(before.held_on)),
            patch.place.as_deref().unwrap_or(before.place.as_deref().unwrap_or("")),
            patch
                .agenda
                .as_deref()
                .unwrap_or(before.agenda.as_deref().unwrap_or("")),
        )
        .map_err(StoreError::Invalid)?;
        let held = self.held(&txn, conf.id, Some(before.id)).await?;
        check_plenary_order(u32::try_from(before.number).unwrap_or(0), f.held_on, &held)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let chair = match patch.chair {
            Some(named) => self.chair_for(&txn, &conf, f.held_on, named).await?,
            None => before.chair_id,
        };
        let find = plenary::Entity::find_by_id(id.0);
        let res = plenary::Entity::update_many()
            .col_expr(plenary::Column::HeldOn, Expr::value(f.held_on))
            .col_expr(plenary::Column::Place, Expr::value(f.place.clone()))
            .col_expr(plenary::Column::Agenda, Expr::value(f.agenda.clone()))
            .col_expr(plenary::Column::ChairId, Expr::value(chair))
            .col_expr(plenary::Column::Version, Expr::col(plenary::Column::Version).add(1))
            .col_expr(plenary::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(plenary::Column::Id.eq(id.0))
            .filter(plenary::Column::Version.eq(before.version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        if f.held_on != before.held_on {
            // Admission dates are the meeting's date (brief §1.3: units are admitted at
            // a plenary): they move with it.
            member::Entity::update_many()
                .col_expr(member::Column::JoinedOn, Expr::value(f.held_on))
                .col_expr(member::Column::Version, Expr::col(member::Column::Version).add(1))
                .filter(member::Column::AdmittedAt.eq(before.id))
                .exec(&txn)
                .await?;
            member::Entity::update_many()
                .col_expr(member::Column::PlaqueOn, Expr::value(f.held_on))
                .filter(member::Column::AdmittedAt.eq(before.id))
                .filter(member::Column::PlaqueOn.eq(before.held_on))
                .exec(&txn)
                .await?;
        }
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update_plenary",
            "conference",
            Some(conf.id),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.plenary_summaries(vec![after]).await?.remove(0))
    }

    /// Sets who attended a plenary: the member units listed, each a member on its date
    /// (`alliance.not_a_member` names the first that was not). Audited with the names
    /// that came and went.
    pub async fn set_attendance(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: PlenaryId,
        present: &[AllianceMemberId],
    ) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let p = self.plenary_of(&txn, &conf, id).await?;
        let wanted: BTreeSet<i64> = present.iter().map(|m| m.0).collect();
        let rows = member::Entity::find()
            .filter(member::Column::ConferenceId.eq(conf.id))
            .filter(member::Column::Id.is_in(wanted.clone()))
            .all(&txn)
            .await?;
        if rows.len() != wanted.len() {
            return Err(StoreError::Reference { field: "attendance" });
        }
        if rows.iter().any(|m| !member_on(m.joined_on, m.left_on, p.held_on)) {
            return Err(StoreError::NotAMember { field: "attendance" });
        }
        let had: BTreeSet<i64> = attendance::Entity::find()
            .filter(attendance::Column::PlenaryId.eq(p.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|a| a.member_id)
            .collect();
        let came: Vec<i64> = wanted.difference(&had).copied().collect();
        let went: Vec<i64> = had.difference(&wanted).copied().collect();
        if came.is_empty() && went.is_empty() {
            return Ok(());
        }
        if !went.is_empty() {
            attendance::Entity::delete_many()
                .filter(attendance::Column::PlenaryId.eq(p.id))
                .filter(attendance::Column::MemberId.is_in(went.clone()))
                .exec(&txn)
                .await?;
        }
        if !came.is_empty() {
            attendance::Entity::insert_many(came.iter().map(|m| attendance::ActiveModel {
                plenary_id: Set(p.id),
                member_id: Set(*m),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await?;
        }
        let names = self.member_names(came.iter().chain(&went).copied()).await?;
        let list = |v: &[i64]| v.iter().filter_map(|m| names.get(m).cloned()).collect::<Vec<_>>();
        crate::audit::record(
            &txn,
            actor,
            "set_attendance",
            "conference",
            Some(conf.id),
            (!went.is_empty()).then(|| serde_json::json!({ "plenary": p.number, "absent": list(&went) })),
            (!came.is_empty()).then(|| serde_json::json!({ "plenary": p.number, "present": list(&came) })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Admits a unit at a plenary: it becomes a member on the meeting's date, admitted
    /// by it, given its plaque there when `plaque` (授牌). A registry unit must lie in
    /// the caller's territory; an outside organisation is named.
    pub async fn admit_at_plenary(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: PlenaryId,
        admission: &Admission,
    ) -> Result<super::AllianceMemberView> {
        let Admission {
            unit,
            name,
            kind,
            plaque,
        } = admission.clone();
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let p = self.plenary_of(&txn, &conf, id).await?;
        let fields = MemberFields::parse(&kind, Some(p.held_on), plaque.then_some(p.held_on), None)
            .map_err(StoreError::Invalid)?;
        let input = AllianceMemberInput { unit, name, fields };
        let m = self.insert_member(&txn, actor, &conf, &input, Some(&p)).await?;
        txn.commit().await?;
        Ok(self.member_views(vec![m]).await?.remove(0))
    }

    /// Adds a resolution, an exchange, an award or a signing to a plenary's record; the
    /// member unit it names must be a member on the meeting's date. Audited.
    pub async fn add_plenary_item(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: PlenaryId,
        kind: &str,
        text: &str,
        about: Option<AllianceMemberId>,
    ) -> Result<PlenaryItemView> {
        let mut errors = vec![];
        let kind = PlenaryItemKind::parse_any(kind);
        if kind.is_none() {
            errors.push(tongxin_domain::DomainError::UnknownValue { field: "kind" });
        }
        let text = item_text(text).map_err(|e| errors.push(e)).ok();
        let (Some(kind), Some(text)) = (kind, text) else {
            return Err(StoreError::Invalid(errors));
        };
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let p = self.plenary_of(&txn, &conf, id).await?;
        let about = match about {
            Some(a) => {
                let m = self
                    .member_of(&txn, &conf, a)
                    .await
                    .map_err(|_| StoreError::Reference { field: "member" })?;
                if !member_on(m.joined_on, m.left_on, p.held_on) {
                    return Err(StoreError::NotAMember { field: "member" });
                }
                Some(m)
            }
            None => None,
        };
        let i = item::Entity::insert(item::ActiveModel {
            plenary_id: Set(p.id),
            kind: Set(kind.code().into()),
            text: Set(text),
            member_id: Set(about.as_ref().map(|m| m.id)),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "add_plenary_item",
            "conference",
            Some(conf.id),
            None,
            Some(serde_json::json!({
                "plenary": p.number, "kind": i.kind, "text": i.text, "member": about.as_ref().map(|m| &m.name),
            })),
        )
        .await?;
        txn.commit().await?;
        let member_name = match i.member_id {
            Some(m) => self.member_names([m]).await?.remove(&m),
            None => None,
        };
        Ok(PlenaryItemView {
            id: i.id,
            kind_label: kind.label_zh().into(),
            kind: i.kind,
            text: i.text,
            member_id: i.member_id.map(AllianceMemberId),
            member_name,
        })
    }

    /// Takes an item off a plenary's record (audited).
    pub async fn remove_plenary_item(&self, actor: &Actor, c: ConferenceId, id: PlenaryId, item_id: i64) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let p = self.plenary_of(&txn, &conf, id).await?;
        let i = item::Entity::find_by_id(item_id)
            .filter(item::Column::PlenaryId.eq(p.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        item::Entity::delete_by_id(i.id).exec(&txn).await?;
        crate::audit::record(
            &txn,
            actor,
            "remove_plenary_item",
            "conference",
            Some(conf.id),
            Some(serde_json::json!({ "plenary": p.number, "kind": i.kind, "text": i.text })),
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }
}
