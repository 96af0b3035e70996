//! A member's registrations as an iCalendar feed (`/calendar/<secret>.ics`), and the
//! address of it. The feed names each activity, its time (China Standard Time, sent in
//! UTC), its place and centre, and whether the place is held or waited for; never the
//! person (brief: personal data stays out of what leaves the platform).

use crate::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};
use tongxin_store::activities::ActivityView;

/// The feed's address on this server, as the request reached it.
pub(crate) fn feed_url(state: &AppState, headers: &HeaderMap, token: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.chars().all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c)))
        .unwrap_or("localhost");
    let scheme = if state.secure_cookies { "https" } else { "http" };
    format!("{scheme}://{host}/calendar/{token}.ics")
}

/// The calendar of `rows` (activity, registration status).
pub(crate) fn ics(rows: &[(ActivityView, String)]) -> String {
    let mut cal = Calendar::new();
    cal.name("同心 · 我的活动");
    for (a, status) in rows {
        // Activities' times are China Standard Time (UTC+8 all year).
        let utc = |t: chrono::NaiveDateTime| (t - chrono::Duration::hours(8)).and_utc();
        let mut e = Event::new();
        e.uid(&format!("activity-{}@tongxin", a.id))
            .summary(&if status == "registered" {
                a.title.clone()
            } else {
                format!("{}（{}）", a.title, if status == "entered" { "待抽签" } else { "候补" })
            })
            .starts(utc(a.starts_at))
            .ends(utc(a.ends_at))
            .location(&match &a.place {
                Some(p) => format!("{} · {p}", a.centre_name),
                None => a.centre_name.clone(),
            })
            .status(if status == "registered" {
                EventStatus::Confirmed
            } else {
                EventStatus::Tentative
            });
        cal.push(e.done());
    }
    cal.done().to_string()
}

/// `GET /calendar/<secret>.ics`: the feed, for a calendar app (no session: the secret
/// address is the key). An unknown secret is a plain 404.
pub(crate) async fn feed(State(s): State<AppState>, Path(file): Path<String>) -> Response {
    let token = file.strip_suffix(".ics").unwrap_or(&file);
    match s.store.calendar_feed(token).await {
        Ok(rows) => (
            [
                (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                (header::CACHE_CONTROL, "private, max-age=300"),
            ],
            ics(&rows),
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}
