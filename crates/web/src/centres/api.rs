//! The service centres' API: centres, their rooms, whom they serve and their staff.
//! Every handler passes the caller's actor to the store, which checks the right.

use crate::api::{opt_text, patch_f64, version_of};
use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tongxin_domain::centres::{CentreFields, RoomFields};
use tongxin_domain::registry::{CentreId, OrgId, RoomId, UnitId};
use tongxin_store::StoreError;
use tongxin_store::centres::{
    BookingInput, BookingView, CentrePatch, CentreRight, CentreView, Here, NearFor, NearView, RoomPatch, RoomView,
    ServedOrg, ServedUnit, Serving,
};

/// The centres' routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, put, schema_of};
    vec![
        get(
            "/api/v1/near",
            "The nearest centres and the organisations that take members (branches), with distances, from lng/lat or an address as typed; for=work|live|either",
            near,
        )
        .returns(schema_of::<NearView>),
        get(
            "/api/v1/centres",
            "Service centres in and above the caller's territory (archived=true for archived ones)",
            list_centres,
        )
        .returns(list_of::<CentreView>),
        post("/api/v1/centres", "Record a service centre", create_centre)
            .returns(schema_of::<CentreView>)
            .body(schema_of::<CentreBody>),
        get("/api/v1/centres/{id}", "One service centre, with its rooms", get_centre).returns(schema_of::<CentreView>),
        put(
            "/api/v1/centres/{id}",
            "Edit a service centre: only the fields sent change (send the version you read)",
            update_centre,
        )
        .returns(schema_of::<CentreView>)
        .body(schema_of::<CentreBody>),
        get(
            "/api/v1/centres/{id}/rooms/{room}/bookings",
            "A room's bookings from ?from=YYYY-MM-DD (today when absent); who booked shows to the centre's staff, offices over it and the booker only",
            room_bookings,
        )
        .returns(list_of::<BookingView>),
        post(
            "/api/v1/centres/{id}/rooms/{room}/bookings",
            "Book a room for a span of one day (units' and organisations' accounts, not a member's): within the opening hours, off blackout days, no overlap (409 booking.room_taken)",
            book_room,
        )
        .returns(schema_of::<BookingView>)
        .body(schema_of::<BookingBody>),
        post(
            "/api/v1/bookings/{id}/cancel",
            "Cancel a booking (its booker, or the centre's staff)",
            cancel_booking,
        )
        .returns(schema_of::<BookingView>),
        get(
            "/api/v1/centres/{id}/blackout_days",
            "Days the centre is closed whatever its hours say, from today",
            blackout_days,
        )
        .returns(list_of::<BlackoutDay>),
        post(
            "/api/v1/centres/{id}/blackout_days",
            "Close the centre on a day (its staff or an office over it)",
            add_blackout_day,
        )
        .returns(list_of::<BlackoutDay>)
        .body(schema_of::<BlackoutDay>),
        post(
            "/api/v1/centres/{id}/blackout_days/remove",
            "Open the centre again on a day it was closed (its staff or an office over it)",
            remove_blackout_day,
        )
        .returns(list_of::<BlackoutDay>)
        .body(schema_of::<BlackoutDay>),
        post("/api/v1/centres/{id}/rooms", "Add a room to a centre", add_room)
            .returns(schema_of::<RoomView>)
            .body(schema_of::<RoomBody>),
        put(
            "/api/v1/centres/{id}/rooms/{room}",
            "Edit a room: only the fields sent change; archived=true takes it out of use",
            update_room,
        )
        .returns(schema_of::<RoomView>)
        .body(schema_of::<RoomBody>),
        get(
            "/api/v1/centres/{id}/serves",
            "The organisations and units a centre serves by name",
            list_serves,
        )
        .returns(schema_of::<ServesView>),
        post(
            "/api/v1/centres/{id}/serves",
            "Name an organisation (org_id) or a unit (unit_id) as served by a centre",
            add_serve,
        )
        .no_content()
        .body(schema_of::<ServeBody>),
        post(
            "/api/v1/centres/{id}/serves/{serve}/remove",
            "Take a naming off a centre",
            remove_serve,
        )
        .no_content(),
        get(
            "/api/v1/orgs/{id}/centres",
            "The centres serving an organisation, nearest first, each with why (named or division)",
            serving_org,
        )
        .returns(list_of::<Serving>),
    ]
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    archived: bool,
}

async fn list_centres(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<ListParams>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_centres(&a.actor, p.archived).await?).into_response())
}

/// A centre as sent: every field optional on an edit (absent is unchanged).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct CentreBody {
    pub version: Option<i64>,
    pub name: Option<String>,
    /// `district`, `street`, `building_station`, `park_station` (or 区级中心, 街道中心, 楼宇站点, 园区站点).
    pub level: Option<String>,
    /// Division code.
    pub division: Option<String>,
    pub address: Option<String>,
    #[serde(default, deserialize_with = "patch_f64")]
    pub lng: Option<Option<f64>>,
    #[serde(default, deserialize_with = "patch_f64")]
    pub lat: Option<Option<f64>>,
    /// Opening hours as offices write them (`周一至周五 9:00-17:00；周六 9:00-12:00`).
    pub hours: Option<String>,
    pub phone: Option<String>,
    pub archived: Option<bool>,
}

impl CentreBody {
    fn location(&self) -> Result<Option<Option<(f64, f64)>>, ApiError> {
        match (self.lng, self.lat) {
            (None, None) => Ok(None),
            (Some(Some(lng)), Some(Some(lat))) => Ok(Some(Some((lng, lat)))),
            (Some(None), Some(None)) => Ok(Some(None)),
            _ => Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required { field: "location" }]).into()),
        }
    }

    fn patch(&self) -> Result<CentrePatch, ApiError> {
        Ok(CentrePatch {
            name: self.name.clone(),
            level: self.level.clone(),
            division: self.division.clone(),
            address: self.address.clone(),
            location: self.location()?,
            hours: self.hours.clone(),
            phone: self.phone.clone(),
            archived: self.archived,
        })
    }

    fn fields(&self) -> Result<CentreFields, ApiError> {
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        CentreFields::parse(
            &t(&self.name),
            &t(&self.level),
            &t(&self.division),
            &t(&self.address),
            self.location()?.flatten(),
            &t(&self.hours),
            &t(&self.phone),
        )
        .map_err(|e| StoreError::Invalid(e).into())
    }
}

async fn create_centre(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<CentreBody>,
) -> Result<Response, ApiError> {
    // The right before the body is read.
    a.actor.require(tongxin_domain::access::Action::WriteCentres)?;
    let f = b.fields()?;
    let v = s.store.create_centre(&a.actor, &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_centre(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_centre(&a.actor, CentreId(id)).await?).into_response())
}

async fn update_centre(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<CentreBody>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .update_centre(&a.actor, CentreId(id), version_of(b.version)?, &b.patch()?)
        .await?;
    Ok(Json(v).into_response())
}

/// A room as sent (every field optional on an edit).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RoomBody {
    pub version: Option<i64>,
    pub name: Option<String>,
    /// People it holds (`30` or `"30人"`).
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<String>)]
    pub capacity: Option<String>,
    pub archived: Option<bool>,
}

async fn add_room(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<RoomBody>,
) -> Result<Response, ApiError> {
    s.store
        .check_centre_right(&a.actor, CentreId(id), CentreRight::Staff)
        .await?;
    let f = RoomFields::parse(b.name.as_deref().unwrap_or(""), b.capacity.as_deref().unwrap_or(""))
        .map_err(StoreError::Invalid)?;
    let v = s.store.add_room(&a.actor, CentreId(id), &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_room(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, room)): Path<(i64, i64)>,
    Json(b): Json<RoomBody>,
) -> Result<Response, ApiError> {
    let patch = RoomPatch {
        name: b.name,
        capacity: b.capacity,
        archived: b.archived,
    };
    let v = s
        .store
        .update_room(&a.actor, CentreId(id), RoomId(room), version_of(b.version)?, &patch)
        .await?;
    Ok(Json(v).into_response())
}

/// Whom a centre names: the organisations and units in the caller's territory, and how
/// many more outside it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ServesView {
    pub orgs: Vec<ServedOrg>,
    pub units: Vec<ServedUnit>,
    pub elsewhere: usize,
}

async fn list_serves(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let (orgs, units, elsewhere) = s.store.centre_serves(&a.actor, CentreId(id)).await?;
    Ok(Json(ServesView { orgs, units, elsewhere }).into_response())
}

/// One of `org_id` and `unit_id`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ServeBody {
    pub org_id: Option<i64>,
    pub unit_id: Option<i64>,
}

async fn add_serve(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<ServeBody>,
) -> Result<Response, ApiError> {
    s.store
        .check_centre_right(&a.actor, CentreId(id), CentreRight::Office)
        .await?;
    match (b.org_id, b.unit_id) {
        (Some(o), None) => s.store.serve_org(&a.actor, CentreId(id), OrgId(o)).await?,
        (None, Some(u)) => s.store.serve_unit(&a.actor, CentreId(id), UnitId(u)).await?,
        _ => {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required { field: "org_id" }]).into());
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_serve(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, serve)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    s.store.unserve(&a.actor, CentreId(id), serve).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn serving_org(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.centres_serving_org(&a.actor, OrgId(id)).await?).into_response())
}

/// Where a search for what is near starts.
#[derive(Deserialize, Default)]
pub(crate) struct NearParams {
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    /// An address, a building's or a street's name, as typed.
    pub address: Option<String>,
    /// `work`, `live` or `either` (the default).
    #[serde(rename = "for")]
    pub wanted: Option<String>,
}

impl NearParams {
    /// The point, else the address; a field error when neither is given.
    pub(crate) fn here(&self) -> Result<Here, StoreError> {
        use tongxin_domain::DomainError;
        match (self.lng, self.lat, self.address.as_deref().map(str::trim)) {
            (Some(lng), Some(lat), _) => tongxin_domain::centres::Location::parse(lng, lat)
                .map(Here::Point)
                .map_err(|e| StoreError::Invalid(vec![e])),
            (_, _, Some(t)) if !t.is_empty() => Ok(Here::Address(t.to_string())),
            _ => Err(StoreError::Invalid(vec![DomainError::Required { field: "address" }])),
        }
    }

    pub(crate) fn wanted(&self) -> NearFor {
        NearFor::parse(self.wanted.as_deref().unwrap_or(""))
    }
}

async fn near(State(s): State<AppState>, ApiAuth(a): ApiAuth, Q(p): Q<NearParams>) -> Result<Response, ApiError> {
    let here = p.here()?;
    Ok(Json(s.store.find_near(&a.actor, &here, p.wanted()).await?).into_response())
}

/// A booking as sent. Times are China Standard Time (`2026-12-10 14:00`).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct BookingBody {
    /// The unit's or organisation's name the room is for.
    pub booked_for: Option<String>,
    pub purpose: Option<String>,
    /// How many people (`20` or `"20人"`).
    #[serde(default, deserialize_with = "opt_text")]
    #[schema(value_type = Option<String>)]
    pub people: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
}

impl BookingBody {
    /// A booking as typed in the console's form.
    pub(crate) fn from_form(f: &std::collections::HashMap<String, String>) -> Self {
        let get = |k: &str| f.get(k).cloned();
        BookingBody {
            booked_for: get("booked_for"),
            purpose: get("purpose"),
            people: get("people"),
            starts_at: get("starts_at"),
            ends_at: get("ends_at"),
        }
    }

    /// The booking to check against its room; times that cannot be read are refused.
    pub(crate) fn input(&self) -> Result<BookingInput, StoreError> {
        use tongxin_domain::activities::parse_time;
        let t = |v: &Option<String>| v.clone().unwrap_or_default();
        let mut faults = vec![];
        let mut time = |field: &'static str, v: &Option<String>| {
            parse_time(field, &t(v)).unwrap_or_else(|e| {
                faults.push(e);
                None
            })
        };
        let (starts_at, ends_at) = (time("starts_at", &self.starts_at), time("ends_at", &self.ends_at));
        if !faults.is_empty() {
            return Err(StoreError::Invalid(faults));
        }
        Ok(BookingInput {
            booked_for: t(&self.booked_for),
            purpose: t(&self.purpose),
            people: t(&self.people),
            starts_at,
            ends_at,
        })
    }
}

async fn book_room(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, room)): Path<(i64, i64)>,
    Json(b): Json<BookingBody>,
) -> Result<Response, ApiError> {
    let i = b.input()?;
    let v = s.store.book_room(&a.actor, CentreId(id), RoomId(room), &i).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Deserialize, Default)]
struct FromParams {
    from: Option<chrono::NaiveDate>,
}

fn today() -> chrono::NaiveDate {
    tongxin_store::activities::now().date()
}

async fn room_bookings(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, room)): Path<(i64, i64)>,
    Q(p): Q<FromParams>,
) -> Result<Response, ApiError> {
    let from = p.from.unwrap_or_else(today);
    Ok(Json(
        s.store
            .room_bookings(&a.actor, CentreId(id), RoomId(room), from)
            .await?,
    )
    .into_response())
}

async fn cancel_booking(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.cancel_booking(&a.actor, id).await?).into_response())
}

/// A day the centre is closed.
#[derive(Debug, Serialize, Deserialize, Default, utoipa::ToSchema)]
pub struct BlackoutDay {
    /// `2026-12-25`.
    #[schema(value_type = String)]
    pub day: Option<chrono::NaiveDate>,
    pub reason: Option<String>,
}

impl BlackoutDay {
    fn required_day(&self) -> Result<chrono::NaiveDate, StoreError> {
        self.day
            .ok_or_else(|| StoreError::Invalid(vec![tongxin_domain::DomainError::Required { field: "day" }]))
    }
}

async fn blackout_days(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let days = s.store.blackout_days(&a.actor, CentreId(id), today()).await?;
    Ok(Json(
        days.into_iter()
            .map(|(day, reason)| BlackoutDay { day: Some(day), reason })
            .collect::<Vec<_>>(),
    )
    .into_response())
}

async fn add_blackout_day(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<BlackoutDay>,
) -> Result<Response, ApiError> {
    let day = b.required_day()?;
    s.store
        .add_blackout_day(&a.actor, CentreId(id), day, b.reason.as_deref().unwrap_or(""))
        .await?;
    blackout_days(State(s), ApiAuth(a), Path(id)).await
}

async fn remove_blackout_day(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<BlackoutDay>,
) -> Result<Response, ApiError> {
    let day = b.required_day()?;
    s.store.remove_blackout_day(&a.actor, CentreId(id), day).await?;
    blackout_days(State(s), ApiAuth(a), Path(id)).await
}
