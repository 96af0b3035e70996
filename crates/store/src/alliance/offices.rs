//! The offices of a joint conference and their terms (召集人, 轮值召集人, 副召集人, 秘书长,
//! 秘书处单位). The rules are the domain's (`alliance::check_term`, `alliance::chair_on`);
//! the store checks them against the terms recorded, in the writing transaction.

use super::ConferenceRight;
use crate::entity::alliance_office as office;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tongxin_domain::alliance::{AllianceMemberId, ConferenceId, Office, Term, check_term, member_on};
use tongxin_domain::registry::Labelled;

/// A term of office as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficeView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub member_id: AllianceMemberId,
    pub member_name: String,
    /// `convener`, `rotating_convener`, `vice_convener`, `secretary_general`, `secretariat`.
    pub office: String,
    pub office_label: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    /// Held today.
    pub current: bool,
}

impl Store {
    /// The terms of a conference's offices as (office, term, holder), for the rules.
    pub(super) async fn terms_of<C: ConnectionTrait>(
        &self,
        db: &C,
        conference: i64,
    ) -> Result<Vec<(Office, Term, i64, i64)>> {
        Ok(office::Entity::find()
            .filter(office::Column::ConferenceId.eq(conference))
            .order_by_asc(office::Column::StartsOn)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|o| {
                let kind = Office::parse_any(&o.office)?;
                Some((
                    kind,
                    Term {
                        starts_on: o.starts_on,
                        ends_on: o.ends_on,
                    },
                    o.member_id,
                    o.id,
                ))
            })
            .collect())
    }

    /// Every term of a conference's offices, the schedule of rotating conveners with the
    /// rest, by office then start.
    pub async fn list_alliance_offices(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<OfficeView>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let rows = office::Entity::find()
            .filter(office::Column::ConferenceId.eq(conf.id))
            .order_by_asc(office::Column::StartsOn)
            .order_by_asc(office::Column::Id)
            .all(&self.read)
            .await?;
        let names = self.member_names(rows.iter().map(|o| o.member_id)).await?;
        let today = Utc::now().date_naive();
        let mut out: Vec<OfficeView> = rows
            .into_iter()
            .filter_map(|o| {
                let kind = Office::parse_any(&o.office)?;
                let term = Term {
                    starts_on: o.starts_on,
                    ends_on: o.ends_on,
                };
                Some(OfficeView {
                    id: o.id,
                    member_id: AllianceMemberId(o.member_id),
                    member_name: names.get(&o.member_id).cloned().unwrap_or_default(),
                    office: o.office,
                    office_label: kind.label_zh().into(),
                    starts_on: o.starts_on,
                    ends_on: o.ends_on,
                    current: term.holds_on(today),
                })
            })
            .collect();
        let rank = |code: &str| Office::ALL.iter().position(|o| o.code() == code).unwrap_or(usize::MAX);
        out.sort_by(|a, b| {
            rank(&a.office)
                .cmp(&rank(&b.office))
                .then(a.starts_on.cmp(&b.starts_on))
        });
        Ok(out)
    }

    /// Gives a member unit an office for a term (an office of the conference's
    /// territory). The unit must be a member when the term starts
    /// (`alliance.not_a_member`); an office held one at a time may not overlap another
    /// holder's term (`alliance.terms_overlap`). Audited.
    pub async fn add_alliance_office(
        &self,
        actor: &Actor,
        c: ConferenceId,
        holder: AllianceMemberId,
        kind: Office,
        term: Term,
    ) -> Result<OfficeView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let m = self
            .member_of(&txn, &conf, holder)
            .await
            .map_err(|_| StoreError::Reference { field: "member" })?;
        if !member_on(m.joined_on, m.left_on, term.starts_on) {
            return Err(StoreError::NotAMember { field: "member" });
        }
        let others: Vec<Term> = self
            .terms_of(&txn, conf.id)
            .await?
            .into_iter()
            .filter(|(o, ..)| *o == kind)
            .map(|(_, t, ..)| t)
            .collect();
        check_term(kind, &term, &others).map_err(|e| StoreError::Invalid(vec![e]))?;
        let o = office::Entity::insert(office::ActiveModel {
            conference_id: Set(conf.id),
            member_id: Set(m.id),
            office: Set(kind.code().into()),
            starts_on: Set(term.starts_on),
            ends_on: Set(term.ends_on),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "add_office",
            "conference",
            Some(conf.id),
            None,
            Some(serde_json::json!({
                "member": m.name, "office": o.office, "starts_on": o.starts_on, "ends_on": o.ends_on,
            })),
        )
        .await?;
        txn.commit().await?;
        self.list_alliance_offices(actor, c)
            .await?
            .into_iter()
            .find(|v| v.id == o.id)
            .ok_or(StoreError::NotFound)
    }

    /// Ends a term on `ends_on` (not before it started), or withdraws it wholly when it
    /// was entered in error (`ends_on` none). Audited.
    pub async fn end_alliance_office(
        &self,
        actor: &Actor,
        c: ConferenceId,
        id: i64,
        ends_on: Option<NaiveDate>,
    ) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let o = office::Entity::find_by_id(id)
            .filter(office::Column::ConferenceId.eq(conf.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let before = serde_json::json!({ "office": o.office, "starts_on": o.starts_on, "ends_on": o.ends_on });
        match ends_on {
            Some(e) => {
                Term::parse(Some(o.starts_on), Some(e)).map_err(|e| StoreError::Invalid(vec![e]))?;
                office::Entity::update_many()
                    .col_expr(office::Column::EndsOn, Expr::value(Some(e)))
                    .filter(office::Column::Id.eq(o.id))
                    .exec(&txn)
                    .await?;
                crate::audit::record(
                    &txn,
                    actor,
                    "end_office",
                    "conference",
                    Some(conf.id),
                    Some(before),
                    Some(serde_json::json!({ "office": o.office, "starts_on": o.starts_on, "ends_on": e })),
                )
                .await?;
            }
            None => {
                office::Entity::delete_by_id(o.id).exec(&txn).await?;
                crate::audit::record(
                    &txn,
                    actor,
                    "withdraw_office",
                    "conference",
                    Some(conf.id),
                    Some(before),
                    None,
                )
                .await?;
            }
        }
        txn.commit().await?;
        Ok(())
    }
}
