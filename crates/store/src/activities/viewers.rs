//! Attendance of an online lecture from the streaming platform's viewer log: the rows
//! as read (transfer crate) are matched to the registrations holding a place
//! ([`tongxin_domain::activities::match_viewers`]); each matched registration keeps its
//! minutes, and those who watched long enough count as attended (checked in), all in
//! one transaction. Reading the same log again gives the same result.

use crate::entity::activity_registration as reg;
use crate::{Actor, Result, Store};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use tongxin_domain::activities::{Registered, ViewerRow, match_viewers};
use tongxin_domain::codes::Phone;

/// What a viewer log did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViewerLogReport {
    /// Rows read (joins).
    pub rows: usize,
    /// Registrations the log placed, and how many of them watched long enough.
    pub matched: usize,
    pub attended: usize,
    /// Minutes that count as attending.
    pub min_minutes: i64,
    /// Lines whose viewer matches no registration: (line, who).
    pub unmatched: Vec<(usize, String)>,
    /// Lines whose viewer fits several registrations (a shared name): (line, who).
    pub ambiguous: Vec<(usize, String)>,
    /// Lines whose times could not be read (or whose leaving comes before joining).
    pub unreadable: Vec<usize>,
}

impl Store {
    /// Reads a viewer log into activity `activity`'s attendance (its centre's staff and
    /// offices over it). `min_minutes`: watched this long counts as attended; by default
    /// half the lecture's length.
    pub async fn apply_viewer_log(
        &self,
        actor: &Actor,
        activity: i64,
        rows: &[ViewerRow],
        min_minutes: Option<u32>,
    ) -> Result<ViewerLogReport> {
        let a = self.kept_activity(actor, activity).await?;
        let min = min_minutes.map_or_else(|| Ord::max((a.ends_at - a.starts_at).num_minutes() / 2, 1), i64::from);
        let regs: Vec<Registered> = reg::Entity::find()
            .filter(reg::Column::ActivityId.eq(a.id))
            .filter(reg::Column::Status.eq("registered"))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|r| Registered {
                id: r.id,
                name: r.name,
                phone: r
                    .phone
                    .and_then(|p| Phone::parse(&p).ok())
                    .map(|p| p.reveal().to_string()),
            })
            .collect();
        // Matching is CPU work over thousands of rows: off the async workers.
        let (rows_owned, (from, to)) = (rows.to_vec(), (a.starts_at, a.ends_at));
        let m = tokio::task::spawn_blocking(move || match_viewers(&rows_owned, &regs, from, to))
            .await
            .map_err(|e| crate::StoreError::BadFile(e.to_string()))?;
        let now = Utc::now();
        let txn = self.begin().await?;
        let mut attended = 0;
        for (id, minutes) in &m.watched {
            let minutes_i = i32::try_from(*minutes).unwrap_or(i32::MAX);
            let mut u = reg::Entity::update_many()
                .col_expr(reg::Column::WatchedMinutes, Expr::value(minutes_i))
                .filter(reg::Column::Id.eq(*id));
            if *minutes >= min {
                attended += 1;
                u = u.col_expr(
                    reg::Column::CheckedInAt,
                    Expr::col(reg::Column::CheckedInAt).if_null(now),
                );
            }
            u.exec(&txn).await?;
        }
        crate::audit::record(
            &txn,
            actor,
            "viewer_log",
            "activity",
            Some(a.id),
            None,
            Some(serde_json::json!({
                "rows": rows.len(), "matched": m.watched.len(), "attended": attended, "min_minutes": min,
                "unmatched": m.unmatched.len(), "ambiguous": m.ambiguous.len(),
            })),
        )
        .await?;
        txn.commit().await?;
        Ok(ViewerLogReport {
            rows: rows.len(),
            matched: m.watched.len(),
            attended,
            min_minutes: min,
            unmatched: m.unmatched,
            ambiguous: m.ambiguous,
            unreadable: vec![],
        })
    }
}
