//! An online lecture's viewer log (观看记录) from a streaming platform, as it comes: CSV
//! or a workbook, a title row above the header and a total row below, the columns in
//! any order under the platform's own names (用户昵称, 入会时间, 离会时间, 手机号…), a
//! row per join. Read off the async workers within bounds; rows whose times cannot be
//! read are reported by line, never dropped silently.

use crate::{TransferError, blocking};
use tongxin_domain::activities::{ViewerRow, parse_time};
use tongxin_import::{Field, Limits, read_viewer_log_within};
use tongxin_store::activities::ViewerLogReport;
use tongxin_store::{Actor, Store};

/// Reads a viewer log and applies it to activity `activity`'s attendance. The caller
/// has checked the right to keep the activity before reading the upload.
pub async fn import_viewer_log(
    store: &Store,
    actor: &Actor,
    activity: i64,
    (name, bytes): (String, Vec<u8>),
    min_minutes: Option<u32>,
    limits: Limits,
) -> Result<ViewerLogReport, TransferError> {
    let (rows, unreadable) = blocking(move || -> Result<_, TransferError> {
        let tables = read_viewer_log_within(&bytes, &name, limits)?;
        let mut rows = vec![];
        let mut unreadable = vec![];
        for t in &tables {
            for r in &t.rows {
                let who = r.get(Field::Viewer).trim().to_string();
                let time = |f: Field| parse_time("time", r.get(f)).ok().flatten();
                match (time(Field::JoinedAt), time(Field::LeftAt)) {
                    // A total or a note below the table: no viewer and no times.
                    (None, None) if r.get(Field::JoinedAt).trim().is_empty() => continue,
                    (Some(joined), Some(left)) if !who.is_empty() && joined <= left => rows.push(ViewerRow {
                        line: r.line,
                        who,
                        phone: Some(r.get(Field::Phone).trim().to_string()).filter(|p| !p.is_empty()),
                        joined,
                        left,
                    }),
                    _ => unreadable.push(r.line),
                }
            }
        }
        Ok((rows, unreadable))
    })
    .await??;
    let mut report = store.apply_viewer_log(actor, activity, &rows, min_minutes).await?;
    report.unreadable = unreadable;
    Ok(report)
}
