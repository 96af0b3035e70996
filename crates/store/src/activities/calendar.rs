//! A member's registrations as a calendar feed (日历订阅): a secret address a phone's
//! calendar polls, so registered activities show beside the rest of one's week. The
//! address is the only key (calendar apps send no credentials); only its digest is
//! kept, a new one replaces the old, and the feed names activities, times and places,
//! never the person.

use super::ActivityView;
use crate::entity::{activity_registration as reg, calendar_feed};
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// Registrations a feed lists at most (the newest).
const FEED_MAX: u64 = 200;

impl Store {
    /// A new secret for the caller's calendar feed (shown once; the old one stops): a
    /// member's account, the only kind that registers.
    pub async fn new_calendar_feed(&self, actor: &Actor) -> Result<String> {
        if actor.role != tongxin_domain::access::Role::Member {
            return Err(StoreError::Forbidden);
        }
        let account = actor.account_id.ok_or(StoreError::Forbidden)?;
        let token = crate::accounts::new_token();
        calendar_feed::Entity::insert(calendar_feed::ActiveModel {
            account_id: Set(account.0),
            token_hash: Set(crate::accounts::digest(&token)),
            created_at: Set(Utc::now()),
        })
        .on_conflict(
            OnConflict::column(calendar_feed::Column::AccountId)
                .update_columns([calendar_feed::Column::TokenHash, calendar_feed::Column::CreatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.write)
        .await?;
        Ok(token)
    }

    /// The activities of the feed `token`, each with its registration's status
    /// (registered, waitlisted, offered, entered); `NotFound` for an unknown token.
    pub async fn calendar_feed(&self, token: &str) -> Result<Vec<(ActivityView, String)>> {
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::NotFound);
        }
        let feed = calendar_feed::Entity::find()
            .filter(calendar_feed::Column::TokenHash.eq(crate::accounts::digest(token)))
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let regs: Vec<(i64, String)> = reg::Entity::find()
            .select_only()
            .column(reg::Column::ActivityId)
            .column(reg::Column::Status)
            .filter(reg::Column::AccountId.eq(feed.account_id))
            .filter(reg::Column::Status.is_in(["registered", "waitlisted", "offered", "entered"]))
            .order_by_desc(reg::Column::Id)
            .limit(FEED_MAX)
            .into_tuple()
            .all(&self.read)
            .await?;
        let ids: Vec<i64> = regs.iter().map(|r| r.0).collect();
        let status: std::collections::HashMap<i64, String> = regs.into_iter().collect();
        Ok(self
            .get_activities(&ids)
            .await?
            .into_iter()
            .map(|a| {
                let s = status.get(&a.id).cloned().unwrap_or_default();
                (a, s)
            })
            .collect())
    }
}
