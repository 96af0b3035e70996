//! The activities' API: a centre's activities, registering (an account, or a resident
//! by name and phone for a public activity), cancelling, and the ballot's draw. The
//! store checks every right; the centre's right is asked before a body is read.

use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongxin_domain::DomainError;
use tongxin_domain::activities::{ActivityFields, ActivityInput, parse_time};
use tongxin_domain::codes::Phone;
use tongxin_domain::registry::CentreId;
use tongxin_store::StoreError;
use tongxin_store::activities::{ActivityView, AttendanceView, Registrant, RegistrationView, ScanView};
use tongxin_store::centres::CentreRight;

/// The activities' routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, schema_of};
    vec![
        get(
            "/api/v1/centres/{id}/activities",
            "A centre's activities, soonest first (upcoming=true for those not over); anyone may read",
            list_activities,
        )
        .returns(list_of::<ActivityView>),
        post(
            "/api/v1/centres/{id}/activities",
            "Publish an activity at a centre (its staff or an office over it)",
            create_activity,
        )
        .returns(schema_of::<ActivityView>)
        .body(schema_of::<ActivityBody>),
        get(
            "/api/v1/activities/{id}",
            "One activity, with its places taken and its ballot's seed; anyone may read",
            get_activity,
        )
        .returns(schema_of::<ActivityView>),
        post(
            "/api/v1/activities/{id}/registrations",
            "Register: signed in, for oneself; without an account, a resident by name and phone (public activities). 409 activity.sold_out when full; 429 activity.registrations_limited past the residents' limit per address",
            register,
        )
        .returns(schema_of::<RegistrationView>)
        .body(schema_of::<RegistrationBody>),
        get(
            "/api/v1/activities/{id}/registrations",
            "An activity's registrations, phones masked (its centre's staff and offices)",
            list_registrations,
        )
        .returns(list_of::<RegistrationView>),
        post(
            "/api/v1/activities/{id}/draw",
            "Draw a ballot after its registration has closed: places in the order SHA-256(seed:number) gives",
            draw,
        )
        .returns(list_of::<RegistrationView>),
        post(
            "/api/v1/registrations/{id}/cancel",
            "Cancel a registration (one's own until the deadline, or its centre's staff); its places go back",
            cancel,
        )
        .returns(schema_of::<RegistrationView>),
        post(
            "/api/v1/registrations/{id}/confirm",
            "Confirm a place offered from the waitlist, before its offer expires (one's own)",
            confirm,
        )
        .returns(schema_of::<RegistrationView>),
        get(
            "/api/v1/checkin/key",
            "The Ed25519 public key (base64url) that checks check-in tickets offline; anyone may read",
            checkin_key,
        )
        .returns(schema_of::<CheckinKey>),
        post(
            "/api/v1/activities/{id}/checkin",
            "Check a ticket in at the door (the centre's staff): the first scan counts; 409 activity.checked_in_already after; the same nonce again hears its first answer",
            check_in,
        )
        .returns(schema_of::<ScanView>)
        .body(schema_of::<ScanBody>),
        post(
            "/api/v1/activities/{id}/desk/search",
            "Find registrations holding a place by name, or by a phone's last digits (4 or more), for the desk to check in someone without their ticket (the centre's staff); phones masked; a body, so no name or number is in a URL",
            desk_search,
        )
        .returns(list_of::<RegistrationView>)
        .body(schema_of::<DeskSearchBody>),
        post(
            "/api/v1/activities/{id}/desk/checkin",
            "Check a registration in at the desk without its ticket (the centre's staff): counted once as a scan is, audited; 409 activity.checked_in_already after",
            desk_check_in,
        )
        .returns(schema_of::<ScanView>)
        .body(schema_of::<DeskCheckinBody>),
        post(
            "/api/v1/activities/{id}/viewer_log",
            "Read an online lecture's viewer log (multipart `file`: CSV or workbook; who, joined, left, phone) into its attendance; ?min_minutes= counts as attended (half the lecture by default)",
            viewer_log,
        )
        .returns(schema_of::<tongxin_store::activities::ViewerLogReport>),
        get(
            "/api/v1/activities/{id}/attendance",
            "An activity's attendance: registered, checked in, no-show rate, by organisation (its centre's staff and offices)",
            attendance,
        )
        .returns(schema_of::<AttendanceView>),
        get(
            "/api/v1/statistics/activities",
            "Activities per centre for a month (?division= the territory, the caller's own when absent; ?month=2026-12, this month when absent): activities, places offered, taken and attended",
            statistics,
        )
        .returns(list_of::<tongxin_store::activities::CentreMonth>),
        post(
            "/api/v1/me/calendar",
            "A new secret address of the caller's calendar feed (iCalendar of their registrations, no personal data); the old one stops",
            new_calendar,
        )
        .returns(schema_of::<CalendarFeed>),
        get(
            "/api/v1/me/registrations",
            "The caller's own registrations, newest first",
            my_registrations,
        )
        .returns(list_of::<RegistrationView>),
    ]
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    upcoming: bool,
}

async fn list_activities(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Q(p): Q<ListParams>,
) -> Result<Response, ApiError> {
    let from = p.upcoming.then(tongxin_store::activities::now);
    Ok(Json(s.store.list_activities(CentreId(id), from).await?).into_response())
}

async fn get_activity(State(s): State<AppState>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_activity(id).await?).into_response())
}

/// An activity as sent. Times are China Standard Time (`2026-12-10 14:00`).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ActivityBody {
    pub title: Option<String>,
    /// `lecture`, `party_lesson`, `visit`, `volunteer`, `fair`, `themed_party_day` (or 讲座, 党课…).
    pub kind: Option<String>,
    /// `first_come` (the default) or `ballot` (先到先得, 抽签).
    pub allocation: Option<String>,
    /// `members` or `public` (仅限党员, 面向公众).
    pub audience: Option<String>,
    pub place: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub online: bool,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    /// Places (`200` or `"200人"`).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub capacity: Option<String>,
    pub opens_at: Option<String>,
    pub closes_at: Option<String>,
    /// Places one person may take (1 when absent).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub per_person: Option<String>,
    pub cancel_until: Option<String>,
    /// Places on the waitlist once full (0 or absent: none).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub waitlist: Option<String>,
    /// Hours a member has to confirm a place offered from the waitlist (24 when absent).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub confirm_hours: Option<String>,
}

impl ActivityBody {
    /// The body a console form sends (the same names; `online` a checkbox).
    pub(crate) fn from_form(f: &std::collections::HashMap<String, String>) -> ActivityBody {
        let g = |k: &str| f.get(k).cloned().filter(|v| !v.trim().is_empty());
        ActivityBody {
            title: g("title"),
            kind: g("kind"),
            allocation: g("allocation"),
            audience: g("audience"),
            place: g("place"),
            description: g("description"),
            online: g("online").is_some(),
            starts_at: g("starts_at"),
            ends_at: g("ends_at"),
            capacity: g("capacity"),
            opens_at: g("opens_at"),
            closes_at: g("closes_at"),
            per_person: g("per_person"),
            cancel_until: g("cancel_until"),
            waitlist: g("waitlist"),
            confirm_hours: g("confirm_hours"),
        }
    }

    /// Every fault at once, the times' with the others'.
    pub(crate) fn fields(&self) -> Result<ActivityFields, ApiError> {
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut faults: Vec<DomainError> = vec![];
        let mut time = |field: &'static str, v: &Option<String>| match parse_time(field, &t(v)) {
            Ok(x) => x,
            Err(e) => {
                faults.push(e);
                None
            }
        };
        let (starts_at, ends_at) = (time("starts_at", &self.starts_at), time("ends_at", &self.ends_at));
        let (opens_at, closes_at) = (time("opens_at", &self.opens_at), time("closes_at", &self.closes_at));
        let cancel_until = time("cancel_until", &self.cancel_until);
        let (title, kind, allocation, audience) =
            (t(&self.title), t(&self.kind), t(&self.allocation), t(&self.audience));
        let (place, description, capacity, per_person) = (
            t(&self.place),
            t(&self.description),
            t(&self.capacity),
            t(&self.per_person),
        );
        let (waitlist, confirm_hours) = (t(&self.waitlist), t(&self.confirm_hours));
        let parsed = ActivityFields::parse(&ActivityInput {
            title: &title,
            kind: &kind,
            allocation: &allocation,
            audience: &audience,
            place: &place,
            description: &description,
            online: self.online,
            starts_at,
            ends_at,
            capacity: &capacity,
            opens_at,
            closes_at,
            per_person: &per_person,
            cancel_until,
            waitlist: &waitlist,
            confirm_hours: &confirm_hours,
        });
        match parsed {
            Ok(f) if faults.is_empty() => Ok(f),
            Ok(_) => Err(StoreError::Invalid(faults).into()),
            Err(mut e) => {
                // A time that did not read is said once, as unreadable, not also as missing.
                e.retain(|x| !faults.iter().any(|f| f.field() == x.field()));
                faults.extend(e);
                Err(StoreError::Invalid(faults).into())
            }
        }
    }
}

async fn create_activity(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<ActivityBody>,
) -> Result<Response, ApiError> {
    s.store
        .check_centre_right(&a.actor, CentreId(id), CentreRight::Staff)
        .await?;
    let f = b.fields()?;
    let v = s.store.create_activity(&a.actor, CentreId(id), &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A registration as sent: `places` alone when signed in; a resident also gives name
/// and phone.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct RegistrationBody {
    /// 1 when absent.
    pub places: Option<u32>,
    /// A resident without an account: the name and the phone (masked when shown).
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// Refuses a registration for an activity this server saw sold out a moment ago
/// ([`tongxin_store::activities::SOLD_OUT_FOR`]) before the caller's account or body is
/// read: the crowd after the last place hears "sold out" at the cost of a health check.
/// Nothing is told that the public page does not say.
struct NotKnownSoldOut;

impl axum::extract::FromRequestParts<AppState> for NotKnownSoldOut {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(id) = Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(tongxin_domain::ErrorCode::NotFound))?;
        if state.store.known_sold_out(id) {
            return Err(StoreError::Registration(tongxin_domain::activities::Refusal::SoldOut).into());
        }
        Ok(NotKnownSoldOut)
    }
}

async fn register(
    State(s): State<AppState>,
    _open: NotKnownSoldOut,
    super::Registering(a): super::Registering,
    Path(id): Path<i64>,
    Json(b): Json<RegistrationBody>,
) -> Result<Response, ApiError> {
    let who = match (&a, &b.phone) {
        (Some(_), None) => Registrant::Account,
        (_, Some(phone)) => Registrant::Resident {
            name: b.name.clone().unwrap_or_default(),
            phone: Phone::parse(phone)
                .map_err(|source| StoreError::Invalid(vec![DomainError::InvalidCode { field: "phone", source }]))?,
        },
        (None, None) => {
            return Err(StoreError::Invalid(vec![DomainError::Required { field: "phone" }]).into());
        }
    };
    let r = s
        .store
        .register(a.as_ref().map(|a| &a.actor), id, &who, b.places.unwrap_or(1))
        .await?;
    Ok((StatusCode::CREATED, Json(r)).into_response())
}

async fn list_registrations(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_registrations(&a.actor, id).await?).into_response())
}

async fn draw(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.draw_ballot(&a.actor, id).await?).into_response())
}

async fn cancel(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.cancel_registration(&a.actor, id).await?).into_response())
}

async fn confirm(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.confirm_offer(&a.actor, id).await?).into_response())
}

async fn my_registrations(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(s.store.my_registrations(&a.actor).await?).into_response())
}

/// The key that checks tickets.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CheckinKey {
    /// Always `Ed25519`.
    pub algorithm: &'static str,
    /// The 32-byte public key in base64url without padding.
    pub public_key: String,
}

async fn checkin_key(State(s): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(CheckinKey {
        algorithm: "Ed25519",
        public_key: s.store.checkin_public_key().await?,
    })
    .into_response())
}

/// A scan as sent by the door's device.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ScanBody {
    /// The ticket's text, as the QR code holds it (`TX1.…`).
    pub code: Option<String>,
    /// The device's nonce for this scan (8–64 letters, digits, `-` or `_`; a UUID).
    pub nonce: Option<String>,
}

async fn check_in(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<ScanBody>,
) -> Result<Response, ApiError> {
    let code = b.code.unwrap_or_default();
    let nonce = b.nonce.unwrap_or_default();
    Ok(Json(s.store.check_in(&a.actor, id, &code, &nonce).await?).into_response())
}

/// What the desk searches registrations by.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct DeskSearchBody {
    /// Part of a name, or the last digits of a phone (4 or more).
    pub q: Option<String>,
}

async fn desk_search(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<DeskSearchBody>,
) -> Result<Response, ApiError> {
    let q = b.q.unwrap_or_default();
    Ok(Json(s.store.find_at_desk(&a.actor, id, &q).await?).into_response())
}

/// A check-in at the desk.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct DeskCheckinBody {
    pub registration_id: i64,
    /// The desk's nonce for this check-in (as a scan's), so a form sent twice counts once.
    pub nonce: Option<String>,
}

async fn desk_check_in(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<DeskCheckinBody>,
) -> Result<Response, ApiError> {
    let nonce = b.nonce.unwrap_or_default();
    Ok(Json(
        s.store
            .check_in_at_desk(&a.actor, id, b.registration_id, &nonce)
            .await?,
    )
    .into_response())
}

async fn attendance(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.attendance(&a.actor, id).await?).into_response())
}

#[derive(Deserialize, Default)]
struct ViewerLogParams {
    min_minutes: Option<u32>,
}

/// `multipart/form-data` with one `file` part.
async fn viewer_log(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<ViewerLogParams>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The right is checked before a byte of the upload is read.
    s.store.check_activity_right(&a.actor, id).await?;
    let mut mp = crate::import::service::multipart(req, &s).await?;
    let mut files = crate::import::service::read_upload(&mut mp).await?.files;
    if files.len() != 1 {
        return Err(ApiError::new(tongxin_domain::ErrorCode::BadRequest));
    }
    let report = tongxin_transfer::activities::import_viewer_log(
        &s.store,
        &a.actor,
        id,
        files.remove(0),
        p.min_minutes,
        tongxin_import::Limits::UPLOAD,
    )
    .await?;
    Ok(Json(report).into_response())
}

/// A calendar feed's address.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CalendarFeed {
    /// `https://…/calendar/<secret>.ics`, shown once.
    pub url: String,
}

async fn new_calendar(
    State(s): State<AppState>,
    headers: axum::http::HeaderMap,
    ApiAuth(a): ApiAuth,
) -> Result<Response, ApiError> {
    let token = s.store.new_calendar_feed(&a.actor).await?;
    let url = super::calendar::feed_url(&s, &headers, &token);
    Ok((StatusCode::CREATED, Json(CalendarFeed { url })).into_response())
}

#[derive(Deserialize, Default)]
struct StatisticsParams {
    division: Option<String>,
    /// `2026-12`.
    month: Option<String>,
}

async fn statistics(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<StatisticsParams>,
) -> Result<Response, ApiError> {
    use tongxin_domain::codes::DivisionCode;
    use tongxin_domain::scope::Scope;
    let invalid = |field: &'static str| StoreError::Invalid(vec![DomainError::UnknownValue { field }]);
    let division = match (p.division.as_deref(), &a.actor.scope) {
        (Some(d), _) => DivisionCode::parse(d).map_err(|_| invalid("division"))?,
        (None, Scope::Within { division: Some(d), .. }) => d.clone(),
        (None, _) => return Err(StoreError::Invalid(vec![DomainError::Required { field: "division" }]).into()),
    };
    let month = match p.month.as_deref() {
        Some(m) => {
            chrono::NaiveDate::parse_from_str(&format!("{}-01", m.trim()), "%Y-%m-%d").map_err(|_| invalid("month"))?
        }
        None => tongxin_store::activities::now().date(),
    };
    Ok(Json(s.store.centre_months(&a.actor, &division, month).await?).into_response())
}
