//! Activities' figures per centre and month (活动统计), for the big screen and the
//! offices: activities held, places offered, places taken, places attended. Counts of
//! what happened, never "likes" or clicks as a score (brief §4a.2).

use crate::entity::{activity, activity_registration as reg, centre};
use crate::registry::in_division;
use crate::{Actor, Result, Store, StoreError};
use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::codes::DivisionCode;

/// One centre's month.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct CentreMonth {
    pub centre_id: i64,
    pub centre_name: String,
    /// Activities starting in the month (archived ones left out).
    pub activities: i64,
    pub places_offered: i64,
    pub places_taken: i64,
    /// Places of registrations checked in (or redeemed, or watched long enough online).
    pub places_attended: i64,
}

impl Store {
    /// The figures of each centre in `division` (and below) for the month starting
    /// `month` (its first day), busiest first; the territory's office or above.
    pub async fn centre_months(
        &self,
        actor: &Actor,
        division: &DivisionCode,
        month: NaiveDate,
    ) -> Result<Vec<CentreMonth>> {
        if !actor.scope.covers(division, None) {
            return Err(StoreError::NotFound);
        }
        let from = month
            .with_day(1)
            .unwrap_or(month)
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default();
        let to = from.checked_add_months(chrono::Months::new(1)).unwrap_or(from);
        let centres: HashMap<i64, String> = centre::Entity::find()
            .select_only()
            .column(centre::Column::Id)
            .column(centre::Column::Name)
            .filter(in_division(centre::Column::DivisionCode, division))
            .filter(centre::Column::Archived.eq(false))
            .into_tuple::<(i64, String)>()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        let acts: Vec<(i64, i64, i32, i32)> = activity::Entity::find()
            .select_only()
            .column(activity::Column::Id)
            .column(activity::Column::CentreId)
            .column(activity::Column::Capacity)
            .column(activity::Column::Taken)
            .filter(activity::Column::CentreId.is_in(centres.keys().copied()))
            .filter(activity::Column::Archived.eq(false))
            .filter(activity::Column::StartsAt.gte(from))
            .filter(activity::Column::StartsAt.lt(to))
            .order_by_asc(activity::Column::Id)
            .into_tuple()
            .all(&self.read)
            .await?;
        let mut attended: HashMap<i64, i64> = HashMap::new();
        for chunk in acts.chunks(500) {
            let rows: Vec<(i64, Option<i64>)> = reg::Entity::find()
                .select_only()
                .column(reg::Column::ActivityId)
                .column_as(reg::Column::Places.sum(), "attended")
                .filter(reg::Column::ActivityId.is_in(chunk.iter().map(|a| a.0)))
                .filter(reg::Column::Status.eq("registered"))
                .filter(reg::Column::CheckedInAt.is_not_null())
                .group_by(reg::Column::ActivityId)
                .into_tuple()
                .all(&self.read)
                .await?;
            attended.extend(rows.into_iter().map(|(a, n)| (a, n.unwrap_or(0))));
        }
        let mut by_centre: HashMap<i64, CentreMonth> = HashMap::new();
        for (id, c, capacity, taken) in acts {
            let m = by_centre.entry(c).or_insert_with(|| CentreMonth {
                centre_id: c,
                centre_name: centres.get(&c).cloned().unwrap_or_default(),
                ..Default::default()
            });
            m.activities += 1;
            m.places_offered += i64::from(capacity);
            m.places_taken += i64::from(taken);
            m.places_attended += attended.get(&id).copied().unwrap_or(0);
        }
        let mut out: Vec<CentreMonth> = by_centre.into_values().collect();
        out.sort_by(|a, b| b.activities.cmp(&a.activities).then(a.centre_name.cmp(&b.centre_name)));
        Ok(out)
    }
}
