//! Service centres in the console: the list, a centre's page (its hours, rooms, whom it
//! serves, its staff, its history), recording and editing one. Offices keep the centres
//! of their territory; a centre's staff its hours, phone and rooms.

use crate::auth::{self, PageAuth};
use crate::i18n::Lang;
use crate::pickers::{PickSpec, resolve};
use crate::shell::{
    CheckedForm, Ctx, FormField, ctx, error_page, field_messages, history_rows, kind_text, refused_if, render,
};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;
use tongxin_domain::centres::{CentreFields, CentreLevel, RoomFields};
use tongxin_domain::registry::{CentreId, Labelled, OrgId, RoomId, UnitId};
use tongxin_store::StoreError;
use tongxin_store::centres::{CentrePatch, CentreRight, CentreView, RoomPatch, ServedOrg, ServedUnit};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/centres", get(list_page))
        .route("/centres/new", get(new_page).post(new_submit))
        .route("/centres/{id}", get(detail_page))
        .route("/centres/{id}/edit", get(edit_page).post(edit_submit))
        .route("/centres/{id}/rooms", post(add_room_submit))
        .route("/centres/{id}/rooms/{room}", post(room_submit))
        .route("/centres/{id}/serve", post(serve_submit))
        .route("/centres/{id}/unserve", post(unserve_submit))
        .route("/centres/{id}/staff", post(staff_submit))
        .route("/centres/{id}/staff/remove", post(staff_remove_submit))
}

/// A centre's hours in the page's language.
fn hours_text(lang: Lang, c: &CentreView) -> String {
    let h = if lang == Lang::En { &c.hours_en } else { &c.hours };
    h.clone().unwrap_or_default()
}

#[derive(Template)]
#[template(path = "centres/list.html")]
struct ListPage {
    p: Ctx,
    /// (centre, level in words, hours in words)
    rows: Vec<(CentreView, String, String)>,
    can_create: bool,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let p = ctx(&headers, Some(&a), "centres.title");
    let lang = p.lang;
    match state.store.list_centres(&a.actor, false).await {
        Ok(rows) => render(&ListPage {
            rows: rows
                .into_iter()
                .map(|c| {
                    let (l, h) = (kind_text(lang, &c.level, &c.level_label), hours_text(lang, &c));
                    (c, l, h)
                })
                .collect(),
            can_create: a.actor.role.may(Action::WriteCentres),
            p,
        }),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

#[derive(Template)]
#[template(path = "centres/detail.html")]
struct DetailPage {
    p: Ctx,
    c: CentreView,
    level: String,
    hours: String,
    /// Hours, phone and rooms (an office of its territory, or its staff).
    can_edit: bool,
    /// The centre itself, whom it serves, its staff (an office of its territory).
    can_keep: bool,
    orgs: Vec<ServedOrg>,
    units: Vec<ServedUnit>,
    elsewhere: usize,
    staff: Vec<(i64, String)>,
    org: FormField,
    unit: FormField,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
    history: Vec<(String, String, String, String)>,
    /// Activities not over yet: (id, title, when, places taken of capacity).
    activities: Vec<(i64, String, String, String)>,
}

impl DetailPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    detail_view(&state, &headers, &a, id, HashMap::new(), HashMap::new()).await
}

/// A centre's page; `errors` beside the forms of a refused change, with what was typed.
async fn detail_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "centres.title");
    let lang = p.lang;
    let s = &state.store;
    let id = CentreId(id);
    let r: Result<_, ApiError> = async {
        let c = s.get_centre(&a.actor, id).await?;
        let right = s.centre_right(&a.actor, id).await?;
        let (can_edit, can_keep) = (right >= CentreRight::Staff, right == CentreRight::Office);
        let (orgs, units, elsewhere) = s.centre_serves(&a.actor, id).await?;
        let staff = if can_keep {
            s.centre_staff(&a.actor, id).await?
        } else {
            vec![]
        };
        let history = if can_edit {
            s.centre_history(&a.actor, id).await?
        } else {
            vec![]
        };
        let activities = s
            .list_activities(id, Some(tongxin_store::activities::now()))
            .await?
            .into_iter()
            .map(|x| {
                (
                    x.id,
                    x.title,
                    x.starts_at.format("%Y-%m-%d %H:%M").to_string(),
                    format!("{} / {}", x.taken, x.capacity),
                )
            })
            .collect();
        Ok((
            c, can_edit, can_keep, orgs, units, elsewhere, staff, history, activities,
        ))
    }
    .await;
    let (c, can_edit, can_keep, orgs, units, elsewhere, staff, history, activities) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = c.name.clone();
    let picker = |name: &'static str, key: &str, target: PickTarget| {
        let mut f = FormField::picker(
            name,
            lang.t(key),
            target,
            typed.get(name).cloned().unwrap_or_default(),
            String::new(),
        );
        f.error = errors.get(name).cloned();
        f
    };
    let refused = !errors.is_empty();
    let r = render(&DetailPage {
        level: kind_text(lang, &c.level, &c.level_label),
        hours: hours_text(lang, &c),
        org: picker("org", "centres.serve_org", PickTarget::Org),
        unit: picker("unit", "centres.serve_unit", PickTarget::Unit),
        history: history_rows(lang, history),
        activities,
        can_edit,
        can_keep,
        orgs,
        units,
        elsewhere,
        staff,
        errors,
        typed,
        c,
        p,
    });
    refused_if(r, refused)
}

#[derive(Template)]
#[template(path = "centres/form.html")]
struct FormPage {
    p: Ctx,
    action: String,
    cancel: String,
    version: i64,
    values: HashMap<String, String>,
    levels: Vec<(String, String)>,
    division: FormField,
    errors: HashMap<String, String>,
    /// A centre's staff: only the hours and the phone are inputs; the rest is shown.
    staff_only: bool,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    if let Err(e) = a.actor.require(Action::WriteCentres) {
        return error_page(&headers, Some(&a), e.into());
    }
    let mut values = crate::pickers::home_division(&state, &a).await;
    values.insert("level".into(), CentreLevel::Street.code().into());
    form_view(&headers, &a, None, 0, values, HashMap::new(), false)
}

fn form_view(
    headers: &HeaderMap,
    a: &auth::Auth,
    id: Option<i64>,
    version: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    staff_only: bool,
) -> Response {
    let mut p = ctx(headers, Some(a), "centres.title");
    let lang = p.lang;
    p.title = format!(
        "{} · {}",
        lang.t("centres.title"),
        lang.t(if id.is_some() { "ui.edit" } else { "ui.new" })
    );
    let division = FormField::picker_in(
        "division",
        lang.t("field.division"),
        PickTarget::Division,
        &values,
        &errors,
    );
    let refused = !errors.is_empty();
    let r = render(&FormPage {
        action: match id {
            Some(id) => format!("/centres/{id}/edit"),
            None => "/centres/new".into(),
        },
        cancel: match id {
            Some(id) => format!("/centres/{id}"),
            None => "/centres".into(),
        },
        version,
        levels: CentreLevel::ALL
            .iter()
            .map(|l| (l.code().to_string(), kind_text(lang, l.code(), l.label_zh())))
            .collect(),
        division,
        values,
        errors,
        staff_only,
        p,
    });
    refused_if(r, refused)
}

/// The point a form gives: both coordinates, neither (cleared), or a field error.
fn location_of(f: &HashMap<String, String>) -> Result<Option<(f64, f64)>, ()> {
    let num = |k: &str| {
        let t = tongxin_domain::text::clean(f.get(k).map(String::as_str).unwrap_or(""));
        if t.is_empty() {
            Ok(None)
        } else {
            t.parse::<f64>().map(Some).map_err(|_| ())
        }
    };
    match (num("lng")?, num("lat")?) {
        (Some(lng), Some(lat)) => Ok(Some((lng, lat))),
        (None, None) => Ok(None),
        _ => Err(()),
    }
}

/// Reads the centre form: its division picker resolved (written back for a second
/// showing) and every field checked at once.
async fn read_form(
    state: &AppState,
    a: &auth::Auth,
    lang: Lang,
    f: &mut HashMap<String, String>,
) -> Result<Result<CentreFields, HashMap<String, String>>, ApiError> {
    let (pick_errors, ids) = resolve(
        state,
        a,
        &[PickSpec::one("division", PickTarget::Division)],
        f,
        &HashMap::new(),
    )
    .await?;
    let mut errors: HashMap<String, String> = pick_errors
        .into_iter()
        .map(|e| (e.field.clone(), e.message(lang)))
        .collect();
    let location = location_of(f).unwrap_or_else(|()| {
        errors.insert(
            "location".into(),
            crate::i18n::error_message(ErrorCode::OutOfRange, lang),
        );
        None
    });
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let division = ids.get("division").cloned().unwrap_or_default();
    match CentreFields::parse(
        &get("name"),
        &get("level"),
        &division,
        &get("address"),
        location,
        &get("hours"),
        &get("phone"),
    ) {
        Ok(c) if errors.is_empty() => Ok(Ok(c)),
        Ok(_) => Ok(Err(errors)),
        Err(es) => {
            let e = ApiError::from(StoreError::Invalid(es));
            for (k, v) in field_messages(lang, &e, "name") {
                errors.entry(k).or_insert(v);
            }
            Ok(Err(errors))
        }
    }
}

async fn new_submit(State(state): State<AppState>, headers: HeaderMap, CheckedForm(a, mut f): CheckedForm) -> Response {
    if let Err(e) = a.actor.require(Action::WriteCentres) {
        return error_page(&headers, Some(&a), e.into());
    }
    let lang = ctx(&headers, Some(&a), "centres.title").lang;
    let fields = match read_form(&state, &a, lang, &mut f).await {
        Ok(Ok(c)) => c,
        Ok(Err(errors)) => return form_view(&headers, &a, None, 0, f, errors, false),
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    match state.store.create_centre(&a.actor, &fields).await {
        Ok(c) => Redirect::to(&format!("/centres/{}", c.id.0)).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            form_view(&headers, &a, None, 0, f, field_messages(lang, &e, "name"), false)
        }
    }
}

/// Whether the caller edits the centre as its staff (hours and phone) rather than as an
/// office; refused when they may only read it.
async fn staff_only(state: &AppState, a: &auth::Auth, id: i64) -> Result<bool, ApiError> {
    match state.store.centre_right(&a.actor, CentreId(id)).await? {
        CentreRight::Read => Err(ApiError::new(ErrorCode::Forbidden)),
        right => Ok(right == CentreRight::Staff),
    }
}

async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    let s = &state.store;
    let c = match s.get_centre(&a.actor, CentreId(id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let staff_only = match staff_only(&state, &a, id).await {
        Ok(only) => only,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let label = crate::pickers::label_of(&state, &a, PickTarget::Division, &c.division_code)
        .await
        .unwrap_or_else(|_| c.division_name.clone());
    let values = HashMap::from([
        ("name".to_string(), c.name.clone()),
        ("level".to_string(), c.level.clone()),
        ("division".to_string(), label),
        ("division__id".to_string(), c.division_code.clone()),
        ("address".to_string(), c.address.clone().unwrap_or_default()),
        ("lng".to_string(), c.lng.map(|v| v.to_string()).unwrap_or_default()),
        ("lat".to_string(), c.lat.map(|v| v.to_string()).unwrap_or_default()),
        ("hours".to_string(), c.hours.clone().unwrap_or_default()),
        ("phone".to_string(), c.phone.clone().unwrap_or_default()),
    ]);
    form_view(&headers, &a, Some(id), c.version, values, HashMap::new(), staff_only)
}

async fn edit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let lang = ctx(&headers, Some(&a), "centres.title").lang;
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let s = &state.store;
    let staff_only = match staff_only(&state, &a, id).await {
        Ok(only) => only,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let before = match s.get_centre(&a.actor, CentreId(id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    // Only what the form carries changes (a staff member's form carries the hours and
    // the phone); the rest is filled in as it stands, so that the form is checked whole.
    let carried = |k: &str| f.contains_key(k);
    let (name, level, division, address) = (
        carried("name"),
        carried("level"),
        carried("division"),
        carried("address"),
    );
    let (location, hours, phone) = (carried("lng") || carried("lat"), carried("hours"), carried("phone"));
    let kept = [
        ("name", Some(before.name.clone())),
        ("level", Some(before.level.clone())),
        ("division", Some(before.division_code.clone())),
        ("division__id", Some(before.division_code.clone())),
        ("address", before.address.clone()),
        ("lng", before.lng.map(|v| v.to_string())),
        ("lat", before.lat.map(|v| v.to_string())),
        ("hours", before.hours.clone()),
        ("phone", before.phone.clone()),
    ];
    for (k, v) in kept {
        f.entry(k.to_string()).or_insert_with(|| v.unwrap_or_default());
    }
    let fields = match read_form(&state, &a, lang, &mut f).await {
        Ok(Ok(c)) => c,
        Ok(Err(errors)) => return form_view(&headers, &a, Some(id), version, f, errors, staff_only),
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let patch = CentrePatch {
        name: name.then(|| fields.name.clone()),
        level: level.then(|| fields.level.code().to_string()),
        division: division.then(|| fields.division.to_string()),
        address: address.then(|| fields.address.clone().unwrap_or_default()),
        location: location.then(|| fields.location.map(|l| (l.lng, l.lat))),
        hours: hours.then(|| fields.hours.as_ref().map(|h| h.to_zh()).unwrap_or_default()),
        phone: phone.then(|| {
            fields
                .phone
                .as_ref()
                .map(|p| p.reveal().to_string())
                .unwrap_or_default()
        }),
        archived: None,
    };
    match s.update_centre(&a.actor, CentreId(id), version, &patch).await {
        Ok(_) => Redirect::to(&format!("/centres/{id}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let e = ApiError::from(e);
            form_view(
                &headers,
                &a,
                Some(id),
                version,
                f,
                field_messages(lang, &e, "name"),
                staff_only,
            )
        }
    }
}

/// Where a refusal is shown on a centre's page.
enum Beside<'a> {
    /// Beside one field (a picker, the staff account's name).
    Field(&'a str),
    /// Beside each field of a room's form, named `<form>_<field>` (`room_capacity`).
    Form(&'a str),
}

/// Back to the centre's page, or the page again with the refusal beside its form.
async fn after(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    r: Result<(), StoreError>,
    beside: Beside<'_>,
    typed: HashMap<String, String>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/centres/{id}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(headers, Some(a), e.into()),
        Err(e) => {
            let lang = ctx(headers, Some(a), "centres.title").lang;
            let e = ApiError::from(e);
            let errors = match beside {
                Beside::Form(form) => field_messages(lang, &e, "name")
                    .into_iter()
                    .map(|(k, v)| (format!("{form}_{k}"), v))
                    .collect(),
                Beside::Field(field) => {
                    let first = e.fields.first().map(|f| f.message(lang));
                    HashMap::from([(field.to_string(), first.unwrap_or_else(|| e.message(lang)))])
                }
            };
            detail_view(state, headers, a, id, errors, typed).await
        }
    }
}

async fn add_room_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(e) = state
        .store
        .check_centre_right(&a.actor, CentreId(id), CentreRight::Staff)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let r = match RoomFields::parse(&get("room_name"), &get("room_capacity")) {
        Ok(room) => state.store.add_room(&a.actor, CentreId(id), &room).await.map(|_| ()),
        Err(e) => Err(StoreError::Invalid(e)),
    };
    let typed = HashMap::from([
        ("room_name".to_string(), get("room_name")),
        ("room_capacity".to_string(), get("room_capacity")),
    ]);
    after(&state, &headers, &a, id, r, Beside::Form("room"), typed).await
}

async fn room_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, room)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let patch = RoomPatch {
        name: f.get("name").cloned(),
        capacity: f.get("capacity").cloned(),
        archived: f.contains_key("archive").then_some(true),
    };
    let r = state
        .store
        .update_room(&a.actor, CentreId(id), RoomId(room), version, &patch)
        .await
        .map(|_| ());
    let form = format!("room{room}");
    after(&state, &headers, &a, id, r, Beside::Form(&form), HashMap::new()).await
}

/// Names an organisation or a unit (from its picker) as served by the centre.
async fn serve_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    if let Err(e) = state
        .store
        .check_centre_right(&a.actor, CentreId(id), CentreRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let lang = ctx(&headers, Some(&a), "centres.title").lang;
    let (field, target) = if f.contains_key("unit") {
        ("unit", PickTarget::Unit)
    } else {
        ("org", PickTarget::Org)
    };
    let typed = HashMap::from([(field.to_string(), f.get(field).cloned().unwrap_or_default())]);
    let (errors, ids) = match resolve(&state, &a, &[PickSpec::one(field, target)], &mut f, &HashMap::new()).await {
        Ok(x) => x,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let chosen: Option<i64> = ids.get(field).and_then(|i| i.parse().ok());
    let r = match (errors.into_iter().next(), chosen) {
        (Some(e), _) => {
            let m = e.message(lang);
            return detail_view(&state, &headers, &a, id, HashMap::from([(field.to_string(), m)]), typed).await;
        }
        (None, None) => {
            let m = crate::i18n::error_message(ErrorCode::PickNone, lang);
            return detail_view(&state, &headers, &a, id, HashMap::from([(field.to_string(), m)]), typed).await;
        }
        (None, Some(x)) if field == "unit" => state.store.serve_unit(&a.actor, CentreId(id), UnitId(x)).await,
        (None, Some(x)) => state.store.serve_org(&a.actor, CentreId(id), OrgId(x)).await,
    };
    after(&state, &headers, &a, id, r, Beside::Field(field), typed).await
}

async fn unserve_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let Some(serve) = f.get("serve_id").and_then(|s| s.parse().ok()) else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    let r = state.store.unserve(&a.actor, CentreId(id), serve).await;
    after(&state, &headers, &a, id, r, Beside::Field("org"), HashMap::new()).await
}

async fn staff_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let username = f.get("username").cloned().unwrap_or_default();
    let r = state.store.add_centre_staff(&a.actor, CentreId(id), &username).await;
    let typed = HashMap::from([("username".to_string(), username)]);
    after(&state, &headers, &a, id, r, Beside::Field("username"), typed).await
}

async fn staff_remove_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let Some(account) = f.get("account_id").and_then(|s| s.parse().ok()) else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    let r = state.store.remove_centre_staff(&a.actor, CentreId(id), account).await;
    after(&state, &headers, &a, id, r, Beside::Field("username"), HashMap::new()).await
}
