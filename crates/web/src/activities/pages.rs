//! Activities in the console, made for a phone first: what is near me (centres,
//! organisations and activities, by my location or an address), an activity's page
//! (register; for its centre's staff the registrations and attendance), my
//! registrations with their QR tickets, and the staff's scan page at the door (a
//! camera where the browser reads QR codes, or the code typed).
//!
//! A location or an address is sent in a form's body, never in the address bar: a
//! member's whereabouts stay out of URLs and logs.

use crate::auth::PageAuth;
use crate::i18n::Lang;
use crate::shell::{CheckedForm, Ctx, ctx, error_page, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use tongxin_domain::access::Role;
use tongxin_domain::activities::PER_PERSON_MAX;
use tongxin_domain::registry::CentreId;
use tongxin_store::activities::{ActivityView, AttendanceView, RegistrationView, ScanView};
use tongxin_store::centres::{NearFor, NearView};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/near", get(near_page).post(near_submit))
        .route("/centres/{id}/activities/new", get(new_page).post(new_submit))
        .route("/activities/{id}", get(activity_page))
        .route("/activities/{id}/register", post(register_submit))
        .route("/activities/{id}/scan", get(scan_page).post(scan_submit))
        .route("/activities/{id}/desk", post(desk_search_submit))
        .route("/activities/{id}/desk/checkin", post(desk_checkin_submit))
        .route("/me/registrations", get(mine_page))
        .route("/me/calendar", post(calendar_submit))
        .route("/calendar/{file}", get(super::calendar::feed))
        .route("/registrations/{id}/cancel", post(cancel_submit))
        .route("/registrations/{id}/confirm", post(confirm_submit))
        .route("/static/near.js", get(near_js))
        .route("/static/scan.js", get(scan_js))
        .route("/static/jsqr.js", get(jsqr_js))
}

async fn near_js() -> Response {
    crate::shell::script(include_str!("../../static/near.js"))
}

async fn scan_js() -> Response {
    crate::shell::script(include_str!("../../static/scan.js"))
}

/// jsQR 1.4.0 (Apache-2.0), from the npm registry's `jsqr` package, `dist/jsQR.js`: the
/// scan page's camera reader where the browser has none of its own (iPhones, WeChat's
/// browser); fetched only when the camera is first used.
async fn jsqr_js() -> Response {
    crate::shell::script(include_str!("../../static/jsqr.js"))
}

/// An activity as a list or a page shows it, in the page's language.
pub(super) struct Shown {
    pub(super) a: ActivityView,
    pub(super) kind: String,
    /// `2026-12-10 14:00–16:00`.
    pub(super) when: String,
    /// Places left, or none when full.
    pub(super) left: i32,
    pub(super) window: String,
}

pub(super) fn shown(lang: Lang, a: ActivityView) -> Shown {
    let same_day = a.starts_at.date() == a.ends_at.date();
    let end = if same_day { "%H:%M" } else { "%Y-%m-%d %H:%M" };
    Shown {
        kind: lang.t(&format!("activities.kind_{}", a.kind)),
        when: format!("{}–{}", a.starts_at.format("%Y-%m-%d %H:%M"), a.ends_at.format(end)),
        left: (a.capacity - a.taken).max(0),
        window: lang.t(&format!("activities.window_{}", a.window)),
        a,
    }
}

/// The places one person may ask for: 1 up to the activity's limit.
pub(super) fn place_choices(a: &ActivityView) -> Vec<u32> {
    (1..=u32::try_from(a.per_person).unwrap_or(1).clamp(1, PER_PERSON_MAX)).collect()
}

/// Kilometres as a person reads them: metres under one.
fn distance(lang: Lang, km: f64) -> String {
    if km < 1.0 {
        format!("{} {}", (km * 1000.0).round(), lang.t("activities.metres"))
    } else {
        format!("{km:.1} {}", lang.t("activities.kilometres"))
    }
}

#[derive(Template)]
#[template(path = "activities/near.html")]
struct NearPage {
    p: Ctx,
    address: String,
    wanted: String,
    view: Option<NearView>,
    /// Distances in words, by centre id and by organisation id.
    centre_km: HashMap<i64, String>,
    org_km: HashMap<i64, String>,
    activities: Vec<Shown>,
}

impl NearPage {
    fn is_wanted(&self, w: &str) -> bool {
        self.wanted == w
    }
    fn centre_distance(&self, id: &i64) -> String {
        self.centre_km.get(id).cloned().unwrap_or_default()
    }
    fn org_distance(&self, id: &i64) -> String {
        self.org_km.get(id).cloned().unwrap_or_default()
    }
    fn kind_of(&self, code: &str, label: &str) -> String {
        kind_text(self.p.lang, code, label)
    }
}

async fn near_page(headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let p = ctx(&headers, Some(&a), "activities.near_title");
    render(&NearPage {
        p,
        address: String::new(),
        wanted: "either".into(),
        view: None,
        centre_km: HashMap::new(),
        org_km: HashMap::new(),
        activities: vec![],
    })
}

/// Upcoming activities shown beside the centres near me.
const NEAR_ACTIVITIES: u64 = 10;

async fn near_submit(State(state): State<AppState>, headers: HeaderMap, CheckedForm(a, f): CheckedForm) -> Response {
    let mut p = ctx(&headers, Some(&a), "activities.near_title");
    let lang = p.lang;
    let number = |k: &str| f.get(k).and_then(|v| v.trim().parse::<f64>().ok());
    let params = crate::centres::api::NearParams {
        lng: number("lng"),
        lat: number("lat"),
        address: f.get("address").cloned(),
        wanted: f.get("for").cloned(),
    };
    let address = f.get("address").cloned().unwrap_or_default();
    let wanted = match params.wanted() {
        NearFor::Work => "work",
        NearFor::Live => "live",
        NearFor::Either => "either",
    };
    let r: Result<_, ApiError> = async {
        let here = params.here()?;
        let v = state.store.find_near(&a.actor, &here, params.wanted()).await?;
        let centres: Vec<CentreId> = v.centres.iter().map(|c| c.centre.id).collect();
        let acts = state.store.upcoming_at(&centres, NEAR_ACTIVITIES).await?;
        Ok((v, acts))
    }
    .await;
    match r {
        Ok((v, acts)) => render(&NearPage {
            centre_km: v
                .centres
                .iter()
                .map(|c| (c.centre.id.0, distance(lang, c.distance_km)))
                .collect(),
            org_km: v
                .orgs
                .iter()
                .map(|o| (o.org_id, distance(lang, o.distance_km)))
                .collect(),
            activities: acts.into_iter().map(|x| shown(lang, x)).collect(),
            view: Some(v),
            address,
            wanted: wanted.into(),
            p,
        }),
        Err(e) => {
            p.flash_error = Some(e.message(lang));
            let mut r = render(&NearPage {
                p,
                address,
                wanted: wanted.into(),
                view: None,
                centre_km: HashMap::new(),
                org_km: HashMap::new(),
                activities: vec![],
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "activities/activity.html")]
struct ActivityPage {
    p: Ctx,
    s: Shown,
    allocation: String,
    audience: String,
    /// The caller's own registration for it, if any (and not ended).
    mine: Option<RegistrationView>,
    /// A member may register: no registration held, registration open.
    can_register: bool,
    places: Vec<u32>,
    /// Its centre's staff or an office over it: the registrations and attendance.
    staff: bool,
    registrations: Vec<RegistrationView>,
    attendance: Option<AttendanceView>,
}

async fn activity_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    PageAuth(a): PageAuth,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "activities.title");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, ApiError> = async {
        let act = s.get_activity(id).await?;
        let mine = s.my_registration_for(&a.actor, id).await?;
        // Staff: the list answers; anyone else hears "not found" and sees the public page.
        let (registrations, attendance, staff) = match s.list_registrations(&a.actor, id).await {
            Ok(rows) => (rows, Some(s.attendance(&a.actor, id).await?), true),
            Err(_) => (vec![], None, false),
        };
        Ok((act, mine, registrations, attendance, staff))
    }
    .await;
    match r {
        Ok((act, mine, registrations, attendance, staff)) => {
            p.title = act.title.clone();
            let can_register = a.actor.role == Role::Member && mine.is_none() && act.window == "open";
            let places = place_choices(&act);
            render(&ActivityPage {
                allocation: lang.t(&format!("activities.allocation_{}", act.allocation)),
                audience: lang.t(&format!("activities.audience_{}", act.audience)),
                s: shown(lang, act),
                mine,
                can_register,
                places,
                staff,
                registrations,
                attendance,
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn register_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let places = f.get("places").and_then(|v| v.trim().parse().ok()).unwrap_or(1);
    match state
        .store
        .register(
            Some(&a.actor),
            id,
            &tongxin_store::activities::Registrant::Account,
            places,
        )
        .await
    {
        Ok(r) => Redirect::to(&format!("/me/registrations#reg-{}", r.id)).into_response(),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

/// One of my registrations as the page shows it.
struct Mine {
    r: RegistrationView,
    s: Shown,
    status: String,
    /// The ticket as an SVG QR code, while it holds a place.
    qr: Option<String>,
}

#[derive(Template)]
#[template(path = "activities/mine.html")]
struct MinePage {
    p: Ctx,
    rows: Vec<Mine>,
    /// A calendar feed's address, just made (shown once).
    feed: Option<String>,
}

impl MinePage {
    /// Statuses one may still cancel.
    fn may_cancel(&self, status: &str) -> bool {
        ["registered", "waitlisted", "offered", "entered"].contains(&status)
    }
}

/// A ticket's QR code as SVG. The text is the ticket's own (letters, digits, `.`, `-`,
/// `_`): nothing in it needs escaping.
pub(super) fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
    )
}

async fn mine_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    mine_view(&state, &headers, &a, None).await
}

/// A new calendar feed: its address shown once on the page.
async fn calendar_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    CheckedForm(a, _): CheckedForm,
) -> Response {
    match state.store.new_calendar_feed(&a.actor).await {
        Ok(token) => {
            let url = super::calendar::feed_url(&state, &headers, &token);
            mine_view(&state, &headers, &a, Some(url)).await
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

async fn mine_view(state: &AppState, headers: &HeaderMap, a: &crate::auth::Auth, feed: Option<String>) -> Response {
    let p = ctx(headers, Some(a), "activities.mine_title");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, ApiError> = async {
        let regs = s.my_registrations(&a.actor).await?;
        let ids: Vec<i64> = regs.iter().map(|r| r.activity_id).collect();
        let mut acts: HashMap<i64, ActivityView> =
            s.get_activities(&ids).await?.into_iter().map(|x| (x.id, x)).collect();
        let mut rows = vec![];
        for r in regs {
            // Activities are read once each, together (several registrations never share
            // one: one per person and activity).
            let Some(act) = acts.remove(&r.activity_id) else {
                continue;
            };
            let qr = r.ticket.as_deref().and_then(qr_svg);
            rows.push(Mine {
                status: lang.t(&format!("activities.status_{}", r.status)),
                s: shown(lang, act),
                qr,
                r,
            });
        }
        Ok(rows)
    }
    .await;
    match r {
        Ok(rows) => render(&MinePage { p, rows, feed }),
        Err(e) => error_page(headers, Some(a), e),
    }
}

async fn cancel_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, _): CheckedForm,
) -> Response {
    match state.store.cancel_registration(&a.actor, id).await {
        Ok(r) if a.actor.role == Role::Member => {
            Redirect::to(&format!("/me/registrations#reg-{}", r.id)).into_response()
        }
        Ok(r) => Redirect::to(&format!("/activities/{}", r.activity_id)).into_response(),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

async fn confirm_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, _): CheckedForm,
) -> Response {
    match state.store.confirm_offer(&a.actor, id).await {
        Ok(r) => Redirect::to(&format!("/me/registrations#reg-{}", r.id)).into_response(),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

#[derive(Template)]
#[template(path = "activities/scan.html")]
struct ScanPage {
    p: Ctx,
    s: Shown,
    /// A fresh nonce for the next scan: a form sent twice (a reload) sends the same one
    /// and hears the same answer.
    nonce: String,
    /// The last scan's answer: checked in, or why not.
    ok: Option<ScanView>,
    refused: Option<String>,
    attendance: AttendanceView,
    /// The desk's search (someone without their ticket): what was typed, and what it
    /// found, each with its own nonce (two check-ins must not share one).
    desk_q: String,
    found: Option<Vec<(RegistrationView, String)>>,
}

/// A fresh nonce for one scan or one check-in at the desk.
fn fresh_nonce() -> String {
    tongxin_store::accounts::new_token()[..32].to_string()
}

async fn scan_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &crate::auth::Auth,
    id: i64,
) -> Result<ScanPage, ApiError> {
    let mut p = ctx(headers, Some(a), "activities.scan_title");
    let lang = p.lang;
    // The centre's right first: the attendance answers only its staff and offices.
    let attendance = state.store.attendance(&a.actor, id).await?;
    let act = state.store.get_activity(id).await?;
    p.title = format!("{} · {}", lang.t("activities.scan_title"), act.title);
    Ok(ScanPage {
        s: shown(lang, act),
        nonce: fresh_nonce(),
        ok: None,
        refused: None,
        attendance,
        desk_q: String::new(),
        found: None,
        p,
    })
}

/// The desk's search: registrations holding a place by name or a phone's last digits,
/// posted so that neither is in a URL.
async fn desk_search_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let q = f.get("q").map(|v| v.trim().to_string()).unwrap_or_default();
    // find_at_desk asks the centre's right first.
    let found = match state.store.find_at_desk(&a.actor, id, &q).await {
        Ok(found) => found,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    match scan_view(&state, &headers, &a, id).await {
        Ok(mut page) => {
            page.found = Some(found.into_iter().map(|r| (r, fresh_nonce())).collect());
            page.desk_q = q;
            render(&page)
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

/// A check-in at the desk, answered as a scan is.
async fn desk_checkin_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let registration = f.get("registration").and_then(|v| v.trim().parse::<i64>().ok());
    let nonce = f.get("nonce").cloned().unwrap_or_default();
    let result = match registration {
        Some(r) => state.store.check_in_at_desk(&a.actor, id, r, &nonce).await,
        None => Err(tongxin_store::StoreError::Invalid(vec![
            tongxin_domain::DomainError::Required { field: "registration" },
        ])),
    };
    scanned(&state, &headers, &a, id, result).await
}

async fn scan_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    PageAuth(a): PageAuth,
) -> Response {
    match scan_view(&state, &headers, &a, id).await {
        Ok(page) => render(&page),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn scan_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    // check_in asks the centre's right before it reads the code; the page after it
    // answers "not found" to whoever lacks it.
    let code = f.get("code").cloned().unwrap_or_default();
    let nonce = f.get("nonce").cloned().unwrap_or_default();
    let result = state.store.check_in(&a.actor, id, &code, &nonce).await;
    scanned(&state, &headers, &a, id, result).await
}

/// The scan page after a scan or a check-in at the desk: its answer above the form.
async fn scanned(
    state: &AppState,
    headers: &HeaderMap,
    a: &crate::auth::Auth,
    id: i64,
    result: Result<ScanView, tongxin_store::StoreError>,
) -> Response {
    match scan_view(state, headers, a, id).await {
        Ok(mut page) => {
            let lang = page.p.lang;
            match result {
                Ok(v) => page.ok = Some(v),
                Err(e) => page.refused = Some(ApiError::from(e).message(lang)),
            }
            let mut r = render(&page);
            if page.refused.is_some() {
                *r.status_mut() = axum::http::StatusCode::CONFLICT;
            }
            r
        }
        Err(e) => error_page(headers, Some(a), e),
    }
}

/// A field of the publishing form.
struct ActivityField {
    name: &'static str,
    label: String,
    /// `text`, `datetime-local`, `checkbox`, `textarea`; a select when `options`.
    kind: &'static str,
    inputmode: &'static str,
    options: Vec<(String, String)>,
    value: String,
    error: Option<String>,
    help: String,
}

#[derive(Template)]
#[template(path = "activities/form.html")]
struct FormPage {
    p: Ctx,
    centre_id: i64,
    centre_name: String,
    fields: Vec<ActivityField>,
}

/// The options of a choice in the page's language: (code, label).
fn options<T: tongxin_domain::registry::Labelled + 'static>(lang: Lang, key: &str) -> Vec<(String, String)> {
    T::ALL
        .iter()
        .map(|k| (k.code().to_string(), lang.t(&format!("activities.{key}_{}", k.code()))))
        .collect()
}

fn publish_form(
    headers: &HeaderMap,
    a: &crate::auth::Auth,
    centre: &tongxin_store::centres::CentreView,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
) -> Response {
    use tongxin_domain::activities::{ActivityKind, Allocation, Audience};
    let mut p = ctx(headers, Some(a), "activities.publish");
    let lang = p.lang;
    p.title = format!("{} · {}", lang.t("activities.publish"), centre.name);
    let field = |name: &'static str, label: &str, kind: &'static str, inputmode: &'static str| ActivityField {
        name,
        label: lang.t(label),
        kind,
        inputmode,
        options: vec![],
        value: values.get(name).cloned().unwrap_or_default(),
        error: errors.get(name).cloned(),
        help: String::new(),
    };
    let choice = |name: &'static str, label: &str, options: Vec<(String, String)>| ActivityField {
        options,
        ..field(name, label, "text", "")
    };
    let mut fields = vec![
        field("title", "field.title", "text", ""),
        choice("kind", "field.kind", options::<ActivityKind>(lang, "kind")),
        choice(
            "allocation",
            "activities.allocation",
            options::<Allocation>(lang, "allocation"),
        ),
        choice("audience", "activities.audience", options::<Audience>(lang, "audience")),
        field("place", "activities.place", "text", ""),
        field("online", "activities.online", "checkbox", ""),
        field("starts_at", "activities.starts_at", "datetime-local", ""),
        field("ends_at", "activities.ends_at", "datetime-local", ""),
        field("capacity", "activities.capacity", "text", "numeric"),
        field("opens_at", "activities.opens_at", "datetime-local", ""),
        field("closes_at", "activities.closes_at", "datetime-local", ""),
        field("per_person", "activities.per_person", "text", "numeric"),
        field("cancel_until", "activities.cancel_until", "datetime-local", ""),
        field("waitlist", "activities.waitlist", "text", "numeric"),
        field("confirm_hours", "activities.confirm_hours", "text", "numeric"),
        field("description", "field.description", "textarea", ""),
    ];
    for f in &mut fields {
        if f.kind == "datetime-local" {
            f.help = lang.t("activities.time_help");
        }
    }
    let refused = !errors.is_empty();
    let mut r = render(&FormPage {
        p,
        centre_id: centre.id.0,
        centre_name: centre.name.clone(),
        fields,
    });
    if refused {
        *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The centre when the caller may publish there (its staff or an office over it).
async fn publishing_centre(
    state: &AppState,
    a: &crate::auth::Auth,
    id: i64,
) -> Result<tongxin_store::centres::CentreView, ApiError> {
    state
        .store
        .check_centre_right(&a.actor, CentreId(id), tongxin_store::centres::CentreRight::Staff)
        .await?;
    Ok(state.store.get_centre(&a.actor, CentreId(id)).await?)
}

async fn new_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    PageAuth(a): PageAuth,
) -> Response {
    match publishing_centre(&state, &a, id).await {
        Ok(c) => publish_form(&headers, &a, &c, &HashMap::new(), &HashMap::new()),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn new_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let c = match publishing_centre(&state, &a, id).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let lang = ctx(&headers, Some(&a), "activities.publish").lang;
    let body = super::api::ActivityBody::from_form(&f);
    let made = match body.fields() {
        Ok(fields) => state
            .store
            .create_activity(&a.actor, c.id, &fields)
            .await
            .map_err(ApiError::from),
        Err(e) => Err(e),
    };
    match made {
        Ok(v) => Redirect::to(&format!("/activities/{}", v.id)).into_response(),
        Err(e) => publish_form(&headers, &a, &c, &f, &crate::shell::field_messages(lang, &e, "title")),
    }
}
