//! Room bookings (场地预约) and closed days (闭馆日) in the console: a centre's rooms with
//! their bookings ahead, the form to book one, cancelling, and the days it is closed.
//! The rules live in the domain (`centres/booking.rs`) and the store
//! (`centres/bookings.rs`); this page only shows them.

use crate::auth::Auth;
use crate::shell::{CheckedForm, Ctx, ctx, error_page, field_messages, refused_if, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use tongxin_domain::access::Role;
use tongxin_domain::registry::{CentreId, RoomId};
use tongxin_store::StoreError;
use tongxin_store::centres::{BookingView, CentreRight};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/centres/{id}/bookings", get(page).post(book_submit))
        .route("/centres/{id}/bookings/{booking}/cancel", post(cancel_submit))
        .route("/centres/{id}/blackout_days", post(blackout_submit))
        .route("/centres/{id}/blackout_days/remove", post(reopen_submit))
}

/// A room with its bookings ahead.
struct RoomBookings {
    id: i64,
    name: String,
    capacity: u32,
    /// (booking, when in words)
    bookings: Vec<(BookingView, String)>,
}

#[derive(Template)]
#[template(path = "centres/bookings.html")]
struct Page {
    p: Ctx,
    centre_id: i64,
    centre_name: String,
    rooms: Vec<RoomBookings>,
    /// (day, reason)
    closed: Vec<(String, String)>,
    /// The centre's staff or an office over it: closed days, every booking's cancel.
    staff: bool,
    /// Units' and organisations' accounts book; a member's own does not.
    may_book: bool,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl Page {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }

    fn chosen(&self, room: &i64) -> bool {
        self.typed.get("room").is_some_and(|r| *r == room.to_string())
    }
}

/// A booking's span as one line: `2026-12-10 14:00–16:00`.
fn span(b: &BookingView) -> String {
    format!("{}–{}", b.starts_at.format("%Y-%m-%d %H:%M"), b.ends_at.format("%H:%M"))
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    crate::auth::PageAuth(a): crate::auth::PageAuth,
    Path(id): Path<i64>,
) -> Response {
    view(&state, &headers, &a, id, HashMap::new(), HashMap::new()).await
}

/// The page; `errors` beside the form of a refused booking or closed day, with what was
/// typed.
async fn view(
    state: &AppState,
    headers: &HeaderMap,
    a: &Auth,
    id: i64,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "centres.bookings");
    let s = &state.store;
    let today = tongxin_store::activities::now().date();
    let r: Result<_, ApiError> = async {
        let c = s.get_centre(&a.actor, CentreId(id)).await?;
        let staff = s.centre_right(&a.actor, CentreId(id)).await? >= CentreRight::Staff;
        let mut rooms: Vec<RoomBookings> = c
            .rooms
            .iter()
            .map(|r| RoomBookings {
                id: r.id.0,
                name: r.name.clone(),
                capacity: r.capacity,
                bookings: vec![],
            })
            .collect();
        for b in s.centre_bookings(&a.actor, c.id, today).await? {
            if let Some(r) = rooms.iter_mut().find(|r| r.id == b.room_id) {
                let when = span(&b);
                r.bookings.push((b, when));
            }
        }
        let closed = s
            .blackout_days(&a.actor, c.id, today)
            .await?
            .into_iter()
            .map(|(d, why)| (d.format("%Y-%m-%d").to_string(), why.unwrap_or_default()))
            .collect();
        Ok((c, staff, rooms, closed))
    }
    .await;
    let (c, staff, rooms, closed) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = format!("{} · {}", p.lang.t("centres.bookings"), c.name);
    let refused = !errors.is_empty();
    let r = render(&Page {
        centre_id: c.id.0,
        centre_name: c.name,
        rooms,
        closed,
        staff,
        may_book: a.actor.role != Role::Member,
        errors,
        typed,
        p,
    });
    refused_if(r, refused)
}

/// Back to the page, or the page again with the refusal beside the form that sent it
/// (`fallback`: the field a refusal that names none goes beside).
async fn after(
    state: &AppState,
    headers: &HeaderMap,
    a: &Auth,
    id: i64,
    r: Result<(), StoreError>,
    fallback: &str,
    typed: HashMap<String, String>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/centres/{id}/bookings")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(headers, Some(a), e.into()),
        Err(e) => {
            let lang = ctx(headers, Some(a), "centres.bookings").lang;
            let errors = field_messages(lang, &ApiError::from(e), fallback);
            view(state, headers, a, id, errors, typed).await
        }
    }
}

async fn book_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let room = f.get("room").and_then(|r| r.trim().parse::<i64>().ok());
    let r = match (room, super::api::BookingBody::from_form(&f).input()) {
        (None, _) => Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
            field: "room",
        }])),
        (Some(_), Err(e)) => Err(e),
        (Some(room), Ok(i)) => state
            .store
            .book_room(&a.actor, CentreId(id), RoomId(room), &i)
            .await
            .map(|_| ()),
    };
    // A room of another centre, or none: beside the room's choice, not a missing page.
    let r = r.map_err(|e| match e {
        StoreError::NotFound if room.is_some() => StoreError::Reference { field: "room" },
        e => e,
    });
    after(&state, &headers, &a, id, r, "starts_at", f).await
}

async fn cancel_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, booking)): Path<(i64, i64)>,
    CheckedForm(a, _): CheckedForm,
) -> Response {
    let r = state.store.cancel_booking(&a.actor, booking).await.map(|_| ());
    after(&state, &headers, &a, id, r, "starts_at", HashMap::new()).await
}

/// The day a closed-day form names.
fn day_of(f: &HashMap<String, String>) -> Result<chrono::NaiveDate, StoreError> {
    let raw = f.get("day").map(|d| d.trim()).unwrap_or_default();
    if raw.is_empty() {
        return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
            field: "day",
        }]));
    }
    tongxin_domain::activities::parse_time("day", &format!("{raw} 00:00"))
        .ok()
        .flatten()
        .map(|t| t.date())
        .ok_or(StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfRange {
            field: "day",
        }]))
}

async fn blackout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = match day_of(&f) {
        Ok(day) => {
            let reason = f.get("reason").cloned().unwrap_or_default();
            state.store.add_blackout_day(&a.actor, CentreId(id), day, &reason).await
        }
        Err(e) => Err(e),
    };
    after(&state, &headers, &a, id, r, "day", f).await
}

async fn reopen_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = match day_of(&f) {
        Ok(day) => state.store.remove_blackout_day(&a.actor, CentreId(id), day).await,
        Err(e) => Err(e),
    };
    after(&state, &headers, &a, id, r, "day", HashMap::new()).await
}
