//! Snapshots of the counters: at each month's end (taken by the server once the month
//! has closed) and on demand, so a territory's figures can be followed month by month.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, Statement};
use serde::Serialize;
use tongxin_domain::coverage::{ALL_DIVISIONS, Figures, Tally};

use super::summary::placeholders;
use super::{Territory, Viewable};
use crate::{Actor, Result, Store, StoreError};

fn is_unique(e: &sea_orm::DbErr) -> bool {
    matches!(e.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

/// A month as `YYYY-MM`.
pub fn period_of(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The month before the one `d` lies in, and the first day of `d`'s month.
fn previous_month(d: NaiveDate) -> (String, NaiveDate) {
    let first = d.with_day(1).unwrap_or(d);
    let last_of_previous = first.pred_opt().unwrap_or(first);
    (period_of(last_of_previous), first)
}

/// A snapshot as listed.
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Snapshot {
    pub id: i64,
    pub period: String,
    /// True for the month-end snapshot of its period.
    pub month_end: bool,
    pub taken_at: DateTime<Utc>,
    pub taken_by: String,
}

/// One point of a trend: the figures of a territory in one month (the month-end
/// snapshot, or the latest on-demand one while the month is open).
#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct TrendPoint {
    pub period: String,
    pub month_end: bool,
    pub taken_at: DateTime<Utc>,
    pub figures: Figures,
}

impl Store {
    /// Takes a snapshot of every counter now: on demand (`month_end: None`) or as the
    /// closing snapshot of a month. A month's closing snapshot is taken once, however
    /// many servers try: the second answers the first's.
    pub async fn take_coverage_snapshot(&self, actor: &Actor, month_end: Option<&str>) -> Result<Snapshot> {
        actor.require(tongxin_domain::access::Action::TakeSnapshots)?;
        let now = Utc::now();
        let period = month_end.map_or_else(|| period_of(now.date_naive()), str::to_string);
        if NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_err() {
            return Err(StoreError::BadFile(format!("{period} is not a month (YYYY-MM)")));
        }
        let txn = self.begin().await?;
        let b = txn.get_database_backend();
        if month_end.is_some()
            && let Some(s) = self.closing_snapshot(&txn, &period).await?
        {
            return Ok(s);
        }
        let sql = format!(
            "INSERT INTO coverage_snapshots (period, closing_period, taken_at, taken_by) VALUES ({}) RETURNING id",
            placeholders(b, 4)
        );
        let inserted = txn
            .query_one_raw(Statement::from_sql_and_values(
                b,
                sql,
                [
                    period.clone().into(),
                    month_end.map(str::to_string).into(),
                    now.into(),
                    actor.username.clone().into(),
                ],
            ))
            .await;
        let row = match inserted {
            Ok(r) => r.ok_or(StoreError::NotFound)?,
            // Another server closed the month first (unique closing period): take theirs.
            Err(e) if month_end.is_some() && is_unique(&e) => {
                drop(txn);
                return self
                    .closing_snapshot(&self.read, &period)
                    .await?
                    .ok_or(StoreError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        let id: i64 = row.try_get_by_index(0)?;
        txn.execute_unprepared(&format!(
            "INSERT INTO coverage_snapshot_values (snapshot_id, division_code, metric, value) \
             SELECT {id}, division_code, metric, value FROM coverage_tally WHERE value <> 0"
        ))
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "snapshot",
            "coverage_snapshot",
            Some(id),
            None,
            Some(serde_json::json!({"period": period, "month_end": month_end.is_some()})),
        )
        .await?;
        txn.commit().await?;
        Ok(Snapshot {
            id,
            period,
            month_end: month_end.is_some(),
            taken_at: now,
            taken_by: actor.username.clone(),
        })
    }

    async fn closing_snapshot<C: ConnectionTrait>(&self, db: &C, period: &str) -> Result<Option<Snapshot>> {
        let b = db.get_database_backend();
        let sql = format!(
            "SELECT id, period, taken_at, taken_by FROM coverage_snapshots WHERE closing_period = {}",
            placeholders(b, 1)
        );
        let row = db
            .query_one_raw(Statement::from_sql_and_values(b, sql, [period.into()]))
            .await?;
        row.map(|r| {
            Ok(Snapshot {
                id: r.try_get_by_index(0)?,
                period: r.try_get_by_index(1)?,
                month_end: true,
                taken_at: r.try_get_by_index(2)?,
                taken_by: r.try_get_by_index(3)?,
            })
        })
        .transpose()
    }

    /// Closes the month before `today` when it has not been closed yet and the registry
    /// already held records in it (a store started this month has no past to close).
    /// Returns the snapshot taken, if any. The server calls this periodically.
    pub async fn close_previous_month(&self, today: NaiveDate) -> Result<Option<Snapshot>> {
        let (period, first_of_this) = previous_month(today);
        if self.closing_snapshot(&self.read, &period).await?.is_some() {
            return Ok(None);
        }
        let b = self.read.get_database_backend();
        let start: DateTime<Utc> = first_of_this.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let sql = format!("SELECT COUNT(*) FROM units WHERE created_at < {}", placeholders(b, 1));
        let older: i64 = match self
            .read
            .query_one_raw(Statement::from_sql_and_values(b, sql, [start.into()]))
            .await?
        {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        if older == 0 {
            return Ok(None);
        }
        Ok(Some(
            self.take_coverage_snapshot(&Actor::system("month-end"), Some(&period))
                .await?,
        ))
    }

    /// The monthly trend of a division territory (or the whole store), oldest first.
    /// Organisation subtrees have no counters of their own, so no trend.
    pub async fn coverage_trend(&self, t: &Viewable) -> Result<Vec<TrendPoint>> {
        let key = match t.territory() {
            Territory::All => ALL_DIVISIONS.to_string(),
            Territory::Division(d) => d.to_string(),
            Territory::Org(_) => return Ok(vec![]),
        };
        let b = self.read.get_database_backend();
        // One snapshot per month: the closing one, else the latest taken in the month.
        let mut chosen: Vec<Snapshot> = vec![];
        for r in self
            .read
            .query_all_raw(Statement::from_string(
                b,
                "SELECT id, period, closing_period, taken_at, taken_by FROM coverage_snapshots ORDER BY period, id",
            ))
            .await?
        {
            let closing: Option<String> = r.try_get_by_index(2)?;
            let s = Snapshot {
                id: r.try_get_by_index(0)?,
                period: r.try_get_by_index(1)?,
                month_end: closing.is_some(),
                taken_at: r.try_get_by_index(3)?,
                taken_by: r.try_get_by_index(4)?,
            };
            match chosen.last_mut() {
                Some(last) if last.period == s.period => {
                    if !last.month_end {
                        *last = s;
                    }
                }
                _ => chosen.push(s),
            }
        }
        if chosen.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<String> = chosen.iter().map(|s| s.id.to_string()).collect();
        let sql = format!(
            "SELECT snapshot_id, metric, value FROM coverage_snapshot_values WHERE division_code = {} AND snapshot_id IN ({})",
            placeholders(b, 1),
            ids.join(",")
        );
        let mut tallies: std::collections::HashMap<i64, Tally> = std::collections::HashMap::new();
        for r in self
            .read
            .query_all_raw(Statement::from_sql_and_values(b, sql, [key.clone().into()]))
            .await?
        {
            tallies
                .entry(r.try_get_by_index(0)?)
                .or_default()
                .insert(r.try_get_by_index(1)?, r.try_get_by_index(2)?);
        }
        let division = match t.territory() {
            Territory::Division(d) => Some(d.to_string()),
            _ => None,
        };
        Ok(chosen
            .into_iter()
            .map(|s| TrendPoint {
                figures: Figures::from_tally(division.clone(), None, &tallies.remove(&s.id).unwrap_or_default()),
                period: s.period,
                month_end: s.month_end,
                taken_at: s.taken_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 15).expect("date");
        assert_eq!(period_of(d), "2026-01");
        assert_eq!(previous_month(d).0, "2025-12");
        assert_eq!(
            previous_month(NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")).0,
            "2026-02"
        );
    }
}
