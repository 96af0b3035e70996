//! The server-rendered console: askama templates, zh-CN by default, English on a switch.
//! Each handler takes the session's actor and calls the store exactly as the API does.

use crate::api::{CarrierBody, MemberBody, OrgBody, UnitBody};
use crate::auth::{self, LANG_COOKIE, PageAuth, cookie};
use crate::i18n::Lang;
use crate::pickers::{self, PickSpec};
use crate::query::Q;
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{
    CarrierId, CarrierKind, Labelled, MemberId, MemberStatus, OrgId, OrgKind, UnitId, UnitKind,
};
use tongxin_store::Actor;
use tongxin_store::audit::AuditEntry;
use tongxin_store::bulk::{ImportMode, ImportReport};
use tongxin_store::divisions::Division;
use tongxin_store::registry::{ListQuery, PickTarget};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route(
            "/login",
            get(login_page)
                .post(login_submit)
                .layer(axum::extract::DefaultBodyLimit::max(auth::LOGIN_BODY_BYTES)),
        )
        .route("/logout", post(logout))
        .route("/lang", get(switch_lang))
        .route("/static/app.css", get(css))
        .route("/static/screen.js", get(screen_js))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/picker.js", get(picker_js))
        .route("/pick/{target}", get(crate::pickers::pick_page))
        .route("/divisions/{code}", get(division_page))
        .route("/import", get(import_page).post(import_submit))
        .route("/import/errors/{token}", get(import_errors))
        .route("/import/template/{kind}", get(import_template))
        .route("/{kind}", get(list_page).post(list_search))
        .route("/{kind}/new", get(new_page).post(new_submit))
        .route("/{kind}/{id}", get(detail_page))
        .route("/{kind}/{id}/edit", get(edit_page).post(edit_submit))
        .route("/{kind}/{id}/archive", post(archive_submit))
        .route("/{kind}/{id}/reveal", post(reveal_submit))
}

/// What every page shows: language, user, CSRF token, title, flash messages.
pub struct Ctx {
    pub lang: Lang,
    pub title: String,
    pub username: Option<String>,
    pub csrf: String,
    pub flash_ok: Option<String>,
    pub flash_error: Option<String>,
    /// What the menu offers this role: (address, label, element id).
    pub menu: Vec<(&'static str, String, String)>,
}

/// The menu of a role: only what it may do (a member has their own page and nothing of
/// the registry; a branch secretary its branch; offices the registry, import and, for
/// those who make accounts, the accounts).
fn menu(lang: Lang, role: tongxin_domain::access::Role) -> Vec<(&'static str, String, String)> {
    use tongxin_domain::access::Role;
    let items: &[(&str, &str)] = match role {
        Role::Member => &[("/me", "me")],
        Role::BranchSecretary => &[
            ("/", "home"),
            ("/coverage", "coverage"),
            ("/orgs", "orgs"),
            ("/members", "members"),
        ],
        _ => &[
            ("/", "home"),
            ("/coverage", "coverage"),
            ("/carriers", "carriers"),
            ("/units", "units"),
            ("/orgs", "orgs"),
            ("/members", "members"),
            ("/instructors", "instructors"),
        ],
    };
    let mut out: Vec<(&'static str, &str)> = items.to_vec();
    if role.may(Action::ImportExport) {
        out.push(("/import", "import"));
    }
    if role.may(Action::ManageAccounts) {
        out.push(("/accounts", "accounts"));
    }
    out.into_iter()
        .map(|(href, key)| (href, lang.t(&format!("nav.{key}")), format!("nav-{key}")))
        .collect()
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .map(|l| Lang::parse(&l))
        .unwrap_or(Lang::ZhCn)
}

pub(crate) fn ctx(headers: &HeaderMap, auth: Option<&auth::Auth>, title_key: &str) -> Ctx {
    let lang = lang_of(headers);
    Ctx {
        title: lang.t(title_key),
        lang,
        username: auth.map(|a| a.actor.username.clone()),
        csrf: auth.and_then(|a| a.csrf.clone()).unwrap_or_default(),
        flash_ok: None,
        flash_error: None,
        menu: auth.map(|a| menu(lang, a.actor.role)).unwrap_or_default(),
    }
}

pub(crate) fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// An error page in the console's language.
pub(crate) fn error_page(headers: &HeaderMap, auth: Option<&auth::Auth>, e: ApiError) -> Response {
    let mut c = ctx(headers, auth, "app.name");
    c.flash_error = Some(e.message(c.lang));
    c.title = e.message(c.lang);
    let status = e.status;
    let mut r = render(&MessagePage { p: c });
    *r.status_mut() = status;
    r
}

#[derive(Template)]
#[template(
    source = "{% extends \"base.html\" %}{% block content %}{% endblock %}",
    ext = "html"
)]
struct MessagePage {
    p: Ctx,
}

/// A page answered 422 when what was sent was refused (the form shown again with its
/// errors), else as it is.
pub(crate) fn refused_if(mut r: Response, refused: bool) -> Response {
    if refused {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

pub(crate) fn check_csrf(a: &auth::Auth, sent: Option<&String>) -> Result<(), ApiError> {
    match (&a.csrf, sent) {
        (Some(c), Some(s)) if auth::constant_eq(c, s) => Ok(()),
        _ => Err(ApiError::new(StatusCode::FORBIDDEN, "auth.csrf")),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../static/app.css"),
    )
        .into_response()
}

fn script(body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn screen_js() -> Response {
    script(include_str!("../static/screen.js"))
}

/// htmx 2.0.11 (0BSD), from the npm registry's `htmx.org` package, `dist/htmx.min.js`.
async fn htmx_js() -> Response {
    script(include_str!("../static/htmx.min.js"))
}

async fn picker_js() -> Response {
    script(include_str!("../static/picker.js"))
}

#[derive(Deserialize)]
struct LangQuery {
    to: String,
}

async fn switch_lang(headers: HeaderMap, Q(q): Q<LangQuery>) -> Response {
    let lang = Lang::parse(&q.to);
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("://")
                .and_then(|i| r[i + 3..].find('/').map(|j| r[i + 3 + j..].to_string()))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    (
        [(
            header::SET_COOKIE,
            format!("{LANG_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000", lang.code()),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    p: Ctx,
    username: String,
    next: String,
    /// A demo store's accounts (name, role in the page's language): the page says where
    /// their passwords are.
    demo: Vec<(String, String)>,
    /// The login form's CSRF token, also in the `tx_login` cookie (double submit): a
    /// page on another site cannot log the browser into an account of its choosing.
    login_csrf: String,
}

/// The login form's CSRF cookie.
const LOGIN_COOKIE: &str = "tx_login";

fn login_cookie(state: &AppState, token: &str) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600{secure}")
}

/// The login page with its form token: the browser's own (so a second tab or a reload
/// keeps working), or a fresh one set in the cookie.
async fn login_view(
    state: &AppState,
    headers: &HeaderMap,
    p: Ctx,
    username: String,
    next: String,
    status: StatusCode,
) -> Response {
    let token = cookie(headers, LOGIN_COOKIE)
        .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(tongxin_store::accounts::new_token);
    let demo = state
        .store
        .demo_accounts()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|(n, r)| (n, p.t(&format!("role.{}", r.code()))))
        .collect();
    let mut r = render(&LoginPage {
        p,
        username,
        next,
        demo,
        login_csrf: token.clone(),
    });
    *r.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(&login_cookie(state, &token)) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Where to go after logging in: a local path, never another site. Browsers drop tabs
/// and line breaks from URLs and read `\\` as `/`, so `/%09/evil.example` would become
/// `//evil.example`: a path with any of those, or starting `//`, goes home instead.
pub(crate) fn local_path(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap, Q(q): Q<NextQuery>) -> Response {
    let next = local_path(q.next.as_deref());
    login_view(
        &state,
        &headers,
        ctx(&headers, None, "ui.login_title"),
        String::new(),
        next,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

async fn login_submit(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = local_path(f.next.as_deref());
    let sent = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let result = if sent.is_empty() || !auth::constant_eq(&sent, &f.csrf) {
        Err(ApiError::new(StatusCode::FORBIDDEN, "auth.csrf"))
    } else {
        auth::login(&state, addr.ip(), &f.username, &f.password).await
    };
    match result {
        Ok((_, token, _)) => {
            let cookie = auth::session_cookie(&state, &token, auth::SESSION_HOURS * 3600);
            let mut r = ([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response();
            // The form token is spent.
            let gone = format!("{LOGIN_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
            if let Ok(v) = header::HeaderValue::from_str(&gone) {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => {
            let mut p = ctx(&headers, None, "ui.login_title");
            p.flash_error = Some(e.message(p.lang));
            let mut r = login_view(&state, &headers, p, f.username, next, e.status).await;
            if let Some(secs) = e.retry_after
                && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_csrf(&a, f.get("csrf")) {
        return error_page(&headers, Some(&a), e);
    }
    if let Some(token) = cookie(&headers, auth::SESSION_COOKIE) {
        let _ = state.store.end_session(&token).await;
    }
    (
        [(header::SET_COOKIE, auth::session_cookie(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}

/// A territory's home: what to do next (its gaps, its stopped imports), its figures
/// from the counters coverage keeps, and the divisions below with theirs — a handful of
/// queries, whatever the size of the territory.
#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    p: Ctx,
    code: String,
    path: Vec<Division>,
    figures: tongxin_domain::coverage::Figures,
    /// (gap list code, its label, how many), to do first.
    todo: Vec<(&'static str, String, u64)>,
    /// The caller's own imports that were stopped and undone lately.
    undone: Vec<tongxin_store::bulk::ImportRun>,
    children: Vec<(Division, tongxin_domain::coverage::Figures)>,
}

async fn home(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    use tongxin_domain::scope::Scope;
    // A member's home is their own page.
    if a.actor.role == tongxin_domain::access::Role::Member {
        return Redirect::to("/me").into_response();
    }
    let code = match &a.actor.scope {
        // An administrator lands on the city.
        Scope::All => "3101".to_string(),
        Scope::Within { division: Some(d), .. } => d.to_string(),
        // An organisation's account (a branch secretary) opens on its organisation: it
        // has no division territory to show.
        Scope::Within { org: Some(p), .. } => return Redirect::to(&format!("/orgs/{}", p.org())).into_response(),
        Scope::Within { .. } => {
            return error_page(&headers, Some(&a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
        }
    };
    division_view(&state, &headers, &a, &code).await
}

async fn division_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(code): Path<String>,
) -> Response {
    division_view(&state, &headers, &a, &code).await
}

async fn division_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, code: &str) -> Response {
    let result: Result<Response, ApiError> = async {
        let dc = DivisionCode::parse(code).map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "not_found"))?;
        // The same rule as the API's: a division outside the territory is a 404.
        if !a.actor.scope.may_view_division(&dc) {
            return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found"));
        }
        let s = &state.store;
        let d = s
            .division(code)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found"))?;
        let path = s.division_path(&dc).await?;
        let t = s
            .coverage_territory(&a.actor, Some(tongxin_store::coverage::Territory::Division(dc)))
            .await?;
        let figures = s.coverage_summary(&t).await?;
        let mut p = ctx(headers, Some(a), "ui.my_territory");
        let lang = p.lang;
        let todo = s
            .coverage_gap_counts(&t)
            .await?
            .into_iter()
            .map(|(k, n)| (k.code(), lang.t(&format!("coverage.gap.{}", k.code())), n))
            .collect();
        let kids = s.division_children(Some(code)).await?;
        let codes: Vec<String> = kids.iter().map(|c| c.code.clone()).collect();
        let mut by_code = s.coverage_summaries(&t, &codes).await?;
        let children = kids
            .into_iter()
            .map(|c| {
                let f = by_code.remove(&c.code).unwrap_or_else(|| {
                    tongxin_domain::coverage::Figures::from_tally(Some(c.code.clone()), None, &Default::default())
                });
                (c, f)
            })
            .collect();
        p.title = d.name.clone();
        Ok(render(&HomePage {
            undone: s.undone_imports(&a.actor, 30).await?,
            p,
            code: code.to_string(),
            path,
            figures,
            todo,
            children,
        }))
    }
    .await;
    result.unwrap_or_else(|e| error_page(headers, Some(a), e))
}

/// A record kind of the console, from the URL.
#[derive(Clone, Copy, PartialEq)]
enum RecordKind {
    Carriers,
    Units,
    Orgs,
    Members,
}

impl RecordKind {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "carriers" => Self::Carriers,
            "units" => Self::Units,
            "orgs" => Self::Orgs,
            "members" => Self::Members,
            _ => return None,
        })
    }
    fn path(&self) -> &'static str {
        match self {
            Self::Carriers => "carriers",
            Self::Units => "units",
            Self::Orgs => "orgs",
            Self::Members => "members",
        }
    }
    fn title_key(&self) -> String {
        format!("nav.{}", self.path())
    }
    fn write_action(&self) -> Action {
        if *self == Self::Members {
            Action::WriteMembers
        } else {
            Action::WriteRegistry
        }
    }
    /// The kinds (members: statuses) to choose from, as words in the page's language.
    fn kinds(&self, lang: Lang) -> Vec<(String, String)> {
        fn all<T: Labelled>(lang: Lang) -> Vec<(String, String)> {
            T::ALL
                .iter()
                .map(|k| (k.code().to_string(), kind_text(lang, k.code(), k.label_zh())))
                .collect()
        }
        match self {
            Self::Carriers => all::<CarrierKind>(lang),
            Self::Units => all::<UnitKind>(lang),
            Self::Orgs => all::<OrgKind>(lang),
            Self::Members => all::<MemberStatus>(lang),
        }
    }
}

struct Row {
    id: i64,
    cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    p: Ctx,
    base: String,
    /// The export of what the list shows (its filters; a member search stays out of the
    /// URL, as it does from the list's own).
    export_href: String,
    q: String,
    division: String,
    kind: String,
    sort: String,
    kinds: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
    headers: Vec<String>,
    rows: Vec<Row>,
    total_label: String,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    can_create: bool,
    can_export: bool,
    /// Members: the search form posts (a resident ID stays out of the URL).
    search_post: bool,
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A list's filters as query parameters; the search text only when `search` (a member
/// search never goes into a URL).
fn filter_params(q: &ListQuery, search: bool) -> Vec<String> {
    let text = if search { &q.q } else { &None };
    let mut parts: Vec<String> = [
        ("q", text),
        ("division", &q.division),
        ("kind", &q.kind),
        ("sort", &q.sort),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some(format!("{k}={}", urlencode(v.as_deref().filter(|v| !v.is_empty())?))))
    .collect();
    if q.archived {
        parts.push("archived=true".into());
    }
    parts
}

fn page_url(base: &str, q: &ListQuery, page: u64) -> String {
    let mut parts = vec![format!("page={page}")];
    parts.extend(filter_params(q, true));
    format!("{base}?{}", parts.join("&"))
}

fn export_url(rk: RecordKind, q: &ListQuery) -> String {
    let params = filter_params(q, rk != RecordKind::Members);
    format!("/api/v1/export/{}?{}", rk.path(), params.join("&"))
}

/// A query value as a URL carries it (RFC 3986 unreserved characters kept).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(kind): Path<String>,
    Q(q): Q<ListQuery>,
) -> Response {
    if let Err(e) = crate::api::no_personal_data_in_url(&q) {
        return error_page(&headers, Some(&a), e);
    }
    list_view(&state, &headers, &a, &kind, q).await
}

/// The member search form posts its query, so a resident ID typed into it stays out of
/// the URL, the browser history and the logs.
async fn list_search(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(kind): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_csrf(&a, f.get("csrf")) {
        return error_page(&headers, Some(&a), e);
    }
    let text = |k: &str| f.get(k).filter(|v| !v.is_empty()).cloned();
    let q = ListQuery {
        q: text("q"),
        division: text("division"),
        kind: text("kind"),
        sort: text("sort"),
        page: f.get("page").and_then(|p| p.parse().ok()),
        ..Default::default()
    };
    list_view(&state, &headers, &a, &kind, q).await
}

async fn list_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, kind: &str, mut q: ListQuery) -> Response {
    let Some(rk) = RecordKind::parse(kind) else {
        return error_page(headers, Some(a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    };
    // The division filter takes a name (with its district when two share it) as well as
    // a code: people know their streets by name.
    if let Some(typed) = q
        .division
        .clone()
        .filter(|d| DivisionCode::parse(d).is_err() && !d.trim().is_empty())
    {
        match state
            .store
            .resolve_pick(&a.actor, PickTarget::Division, &typed, None)
            .await
        {
            Ok(tongxin_store::registry::Resolved::One(c)) => q.division = Some(c.id),
            Ok(_) => {
                let mut e = ApiError::new(StatusCode::NOT_FOUND, "registry.pick_none");
                e.detail = Some(typed);
                return error_page(headers, Some(a), e);
            }
            Err(e) => return error_page(headers, Some(a), e.into()),
        }
    }
    let p = ctx(headers, Some(a), &rk.title_key());
    let lang = p.lang;
    let t = |k: &str| lang.t(k);
    // (headers, rows, (total, exact, next page's `after`), pages)
    type Listed = (Vec<String>, Vec<Row>, (u64, bool, Option<i64>), u64);
    let result: Result<Listed, ApiError> = async {
        Ok(match rk {
            RecordKind::Carriers => {
                let pg = state.store.list_carriers(&a.actor, &q).await?;
                let rows = pg
                    .items
                    .iter()
                    .map(|c| Row {
                        id: c.id.0,
                        cells: vec![
                            c.name.clone(),
                            kind_text(lang, &c.kind, &c.kind_label),
                            c.division_name.clone(),
                            if c.is_key { t("ui.yes") } else { t("ui.no") },
                            opt(&c.address),
                        ],
                    })
                    .collect();
                (
                    vec![
                        t("field.name"),
                        t("field.kind"),
                        t("field.division"),
                        t("field.is_key"),
                        t("field.address"),
                    ],
                    rows,
                    (pg.total, pg.total_exact, pg.next_after),
                    pg.pages(),
                )
            }
            RecordKind::Units => {
                let pg = state.store.list_units(&a.actor, &q).await?;
                let rows = pg
                    .items
                    .iter()
                    .map(|u| Row {
                        id: u.id.0,
                        cells: vec![
                            u.name.clone(),
                            kind_text(lang, &u.kind, &u.kind_label),
                            opt(&u.credit_code),
                            u.division_name.clone(),
                            opt(&u.carrier_name),
                            u.employees.map(|e| e.to_string()).unwrap_or_default(),
                        ],
                    })
                    .collect();
                (
                    vec![
                        t("field.name"),
                        t("field.kind"),
                        t("field.credit_code"),
                        t("field.division"),
                        t("field.carrier"),
                        t("field.employees"),
                    ],
                    rows,
                    (pg.total, pg.total_exact, pg.next_after),
                    pg.pages(),
                )
            }
            RecordKind::Orgs => {
                let pg = state.store.list_orgs(&a.actor, &q).await?;
                let rows = pg
                    .items
                    .iter()
                    .map(|o| Row {
                        id: o.id.0,
                        cells: vec![
                            o.name.clone(),
                            kind_text(lang, &o.kind, &o.kind_label),
                            o.division_name.clone(),
                            opt(&o.parent_name),
                            opt(&o.secretary),
                            o.term_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                        ],
                    })
                    .collect();
                (
                    vec![
                        t("field.name"),
                        t("field.kind"),
                        t("field.division"),
                        t("field.parent"),
                        t("field.secretary"),
                        t("field.term_ends_on"),
                    ],
                    rows,
                    (pg.total, pg.total_exact, pg.next_after),
                    pg.pages(),
                )
            }
            RecordKind::Members => {
                let pg = state.store.list_members(&a.actor, &q).await?;
                let rows = pg
                    .items
                    .iter()
                    .map(|m| Row {
                        id: m.id.0,
                        cells: vec![
                            m.name.clone(),
                            kind_text(lang, &m.status, &m.status_label),
                            m.resident_id_masked.clone(),
                            m.org_name.clone(),
                            opt(&m.phone_masked),
                            m.joined_on.map(|d| d.to_string()).unwrap_or_default(),
                        ],
                    })
                    .collect();
                (
                    vec![
                        t("field.name"),
                        t("field.status"),
                        t("field.resident_id"),
                        t("field.org"),
                        t("field.phone"),
                        t("field.joined_on"),
                    ],
                    rows,
                    (pg.total, pg.total_exact, pg.next_after),
                    pg.pages(),
                )
            }
        })
    }
    .await;
    let (headers_row, rows, (total, exact, next_after), pages) = match result {
        Ok(v) => v,
        Err(e) => return error_page(headers, Some(a), e),
    };
    // A page past the end (an old link, a list that shrank) shows the last page.
    if total > 0 && q.after.is_none() && q.page() > pages {
        let last = ListQuery { page: Some(pages), ..q };
        return Box::pin(list_view(state, headers, a, kind, last)).await;
    }
    let base = format!("/{}", rk.path());
    let page = q.page();
    // The filter shows the division by name.
    let division_label = match q.division.as_deref() {
        Some(code) => pickers::label_of(state, a, PickTarget::Division, code)
            .await
            .ok()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| code.to_string()),
        None => String::new(),
    };
    let sorts = vec![
        ("name".to_string(), t("field.name")),
        ("-updated_at".to_string(), t("field.updated_at")),
        ("division_code".to_string(), t("field.division")),
    ];
    render(&ListPage {
        total_label: if exact {
            rust_i18n::t!("ui.total", locale = lang.code(), n = total).into_owned()
        } else {
            rust_i18n::t!("ui.total_more", locale = lang.code(), n = total).into_owned()
        },
        prev: (page > 1).then(|| page_url(&base, &q, page - 1)),
        // In name order the next page continues after this one's last record (keyset:
        // as quick however deep); in other orders, by page number.
        next: match next_after {
            Some(after) => Some(format!("{}&after={after}", page_url(&base, &q, page + 1))),
            None => (page < pages).then(|| page_url(&base, &q, page + 1)),
        },
        can_create: a.actor.role.may(rk.write_action()),
        can_export: a.actor.role.may(Action::ImportExport),
        export_href: export_url(rk, &q),
        search_post: rk == RecordKind::Members,
        q: opt(&q.q),
        division: division_label,
        kind: opt(&q.kind),
        sort: opt(&q.sort),
        kinds: rk.kinds(lang),
        sorts,
        headers: headers_row,
        rows,
        page,
        pages,
        base,
        p,
    })
}

/// What a detail page shows of a record: name, version, archived, properties (label,
/// value, link), related lists, history.
type DetailParts = (
    String,
    i64,
    bool,
    Vec<(String, String, Option<String>)>,
    Vec<Section>,
    Vec<AuditEntry>,
);

struct Section {
    title: String,
    rows: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "detail.html")]
struct DetailPage {
    p: Ctx,
    base: String,
    list_title: String,
    id: i64,
    version: i64,
    archived: bool,
    can_edit: bool,
    can_reveal: bool,
    /// Units: the coverage of the network it leads.
    chain: bool,
    props: Vec<(String, String, Option<String>)>,
    /// The ways to close this record's coverage gap (empty when it has none).
    closing: Vec<crate::coverage::closing::CloseAction>,
    sections: Vec<Section>,
    history: Vec<(String, String, String, String)>,
}

pub(crate) fn history_rows(lang: Lang, h: Vec<AuditEntry>) -> Vec<(String, String, String, String)> {
    h.into_iter()
        .map(|e| {
            let detail = match (&e.before, &e.after) {
                (Some(b), Some(a)) => changed_fields(lang, b, a),
                (None, Some(a)) => created_fields(lang, a),
                _ => String::new(),
            };
            let action = match e.action.as_str() {
                known @ ("create" | "update" | "archive" | "restore" | "link" | "import" | "reset_password"
                | "disable" | "enable" | "set_password") => lang.t(&format!("history.{known}")),
                other => other.to_string(),
            };
            (e.at.format("%Y-%m-%d %H:%M:%S").to_string(), e.actor, action, detail)
        })
        .collect()
}

/// A count against the limit a rule sets for it (`3 / 5`), and a note when over it
/// (Branch Work Regulations Art. 4: a joint branch covers five units at most, a branch
/// has fifty members at most); the bare count where no limit applies.
fn against(lang: Lang, n: u64, limit: Option<u32>) -> String {
    match limit {
        Some(max) if n > u64::from(max) => format!("{n} / {max}{}", lang.t("coverage.over_limit_note")),
        Some(max) => format!("{n} / {max}"),
        None => n.to_string(),
    }
}

/// Where a unit stands, in words: covered by what, or why not and what closes the gap.
fn standing_text(lang: Lang, st: Option<tongxin_store::coverage::UnitStanding>) -> String {
    let Some(st) = st else {
        return "—".into();
    };
    let mut text = lang.t(&format!("coverage.why.{}", st.status.code()));
    // Party Constitution Art. 30: three or more full members set up their own.
    if st.qualifying && !st.own_org {
        text.push_str(&lang.t("coverage.why.should_set_up"));
    }
    text
}

/// The label of a stored field, in the page's language (its own name when it has none).
fn field_label(lang: Lang, key: &str) -> Option<String> {
    let label = match key {
        // Bookkeeping and internal keys: not shown to people.
        "id" | "version" | "created_at" | "updated_at" | "path" | "archived" => return None,
        "division_code" => "field.division",
        "carrier_id" => "field.carrier",
        "instructor_id" => "field.instructor",
        "parent_id" => "field.parent",
        "unit_ids" => "field.units",
        "org_id" => "field.org",
        "work_unit_id" => "field.work_unit",
        "other_unit_id" => "field.other_unit",
        "lng" => "field.lng",
        "lat" => "field.lat",
        "import" => "field.file",
        // A key with a label of its own name (name, kind, address…), else the key.
        other => {
            let t = lang.t(&format!("field.{other}"));
            return Some(if t.contains("field.") { other.to_string() } else { t });
        }
    };
    Some(lang.t(label))
}

/// A category code (`branch`, `enterprise`) in the page's language; its stored label
/// where the locale has none.
pub(crate) fn kind_text(lang: Lang, code: &str, label: &str) -> String {
    let t = lang.t(&format!("kind.{code}"));
    if t.contains("kind.") { label.to_string() } else { t }
}

/// A stored value of `key` as a person reads it.
fn shown(lang: Lang, key: &str, v: Option<&serde_json::Value>) -> String {
    match (key, v) {
        ("kind", Some(serde_json::Value::String(code))) => kind_text(lang, code, code),
        _ => plain(lang, v),
    }
}

/// A stored value as a person reads it: text without quotes, yes/no, "—" for nothing.
fn plain(lang: Lang, v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) if s.is_empty() => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Bool(b)) => lang.t(if *b { "ui.yes" } else { "ui.no" }),
        Some(serde_json::Value::Array(a)) => a.iter().map(|x| plain(lang, Some(x))).collect::<Vec<_>>().join("、"),
        Some(other) => other.to_string(),
    }
}

/// `label: before → after` for the fields an edit changed.
fn changed_fields(lang: Lang, b: &serde_json::Value, a: &serde_json::Value) -> String {
    let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
        return String::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .filter_map(|(k, v)| {
            Some(format!(
                "{}: {} → {}",
                field_label(lang, k)?,
                shown(lang, k, b.get(k)),
                shown(lang, k, Some(v))
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `label: value` for what a record was created with (the file, for an import's).
fn created_fields(lang: Lang, a: &serde_json::Value) -> String {
    let Some(a) = a.as_object() else {
        return String::new();
    };
    a.iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .filter_map(|(k, v)| Some(format!("{}: {}", field_label(lang, k)?, shown(lang, k, Some(v)))))
        .collect::<Vec<_>>()
        .join("\n")
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((kind, id)): Path<(String, i64)>,
) -> Response {
    detail_view(&state, &headers, &a, &kind, id, None).await
}

async fn detail_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    kind: &str,
    id: i64,
    revealed: Option<(String, Option<String>)>,
) -> Response {
    let Some(rk) = RecordKind::parse(kind) else {
        return error_page(headers, Some(a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    };
    let mut p = ctx(headers, Some(a), &rk.title_key());
    let lang = p.lang;
    let t = |k: &str| lang.t(k);
    let s = &state.store;
    let actor = &a.actor;
    // The ways to close the record's gap, from what its page loads anyway.
    let writes = actor.role.may(Action::WriteRegistry);
    let here = format!("/{}/{id}", rk.path());
    let mut closing = Vec::new();
    let result: Result<DetailParts, ApiError> = async {
        Ok(match rk {
            RecordKind::Carriers => {
                let c = s.get_carrier(actor, CarrierId(id)).await?;
                let units = s
                    .units_of_carrier(
                        actor,
                        CarrierId(id),
                        &ListQuery {
                            per_page: Some(100),
                            ..Default::default()
                        },
                    )
                    .await?;
                let props = vec![
                    (t("field.kind"), kind_text(lang, &c.kind, &c.kind_label), None),
                    (t("field.is_key"), if c.is_key { t("ui.yes") } else { t("ui.no") }, None),
                    (
                        t("field.division"),
                        format!("{} ({})", c.division_name, c.division_code),
                        Some(format!("/divisions/{}", c.division_code)),
                    ),
                    (t("field.address"), opt(&c.address), None),
                ];
                let sections = vec![Section {
                    title: t("ui.units_of_carrier"),
                    rows: units
                        .items
                        .iter()
                        .map(|u| {
                            (
                                u.name.clone(),
                                format!("/units/{}", u.id),
                                kind_text(lang, &u.kind, &u.kind_label),
                            )
                        })
                        .collect(),
                }];
                (
                    c.name,
                    c.version,
                    c.archived,
                    props,
                    sections,
                    s.carrier_history(actor, CarrierId(id)).await?,
                )
            }
            RecordKind::Units => {
                let u = s.get_unit(actor, UnitId(id)).await?;
                let standing = s.unit_standing(actor, UnitId(id)).await?;
                if writes && !u.archived {
                    closing = crate::coverage::closing::unit_actions(lang, id, standing, &here);
                }
                let orgs = s.orgs_of_unit(actor, UnitId(id)).await?;
                let links = s.unit_links(actor, UnitId(id)).await?;
                let props = vec![
                    (t("field.kind"), kind_text(lang, &u.kind, &u.kind_label), None),
                    (
                        t("coverage.standing"),
                        standing_text(lang, standing),
                        standing
                            .filter(|st| {
                                st.status == tongxin_domain::coverage::CoverageStatus::Uncovered
                                    || (st.qualifying && !st.own_org)
                            })
                            .map(|_| "/coverage".to_string()),
                    ),
                    (t("field.credit_code"), opt(&u.credit_code), None),
                    (
                        t("field.employees"),
                        u.employees.map(|e| e.to_string()).unwrap_or_default(),
                        None,
                    ),
                    (
                        t("field.division"),
                        format!("{} ({})", u.division_name, u.division_code),
                        Some(format!("/divisions/{}", u.division_code)),
                    ),
                    (
                        t("field.carrier"),
                        opt(&u.carrier_name),
                        u.carrier_id.map(|c| format!("/carriers/{c}")),
                    ),
                    (t("field.instructor"), opt(&u.instructor_name), None),
                    (t("field.address"), opt(&u.address), None),
                ];
                let sections = vec![
                    Section {
                        title: t("ui.orgs_of_unit"),
                        rows: orgs
                            .into_iter()
                            .map(|(oid, n, k)| {
                                (
                                    n.unwrap_or_else(|| t("ui.org_outside_territory")),
                                    oid.map(|o| format!("/orgs/{o}")).unwrap_or_default(),
                                    kind_text(lang, &k, &k),
                                )
                            })
                            .collect(),
                    },
                    Section {
                        title: t("ui.links"),
                        rows: links
                            .into_iter()
                            .map(|l| {
                                (
                                    l.other_unit_name.unwrap_or_else(|| t("ui.outside_territory")),
                                    l.other_unit_id.map(|o| format!("/units/{o}")).unwrap_or_default(),
                                    format!(
                                        "{}{}",
                                        if l.outgoing { "→ " } else { "← " },
                                        kind_text(lang, &l.kind, &l.kind_label)
                                    ),
                                )
                            })
                            .collect(),
                    },
                ];
                (
                    u.name,
                    u.version,
                    u.archived,
                    props,
                    sections,
                    s.unit_history(actor, UnitId(id)).await?,
                )
            }
            RecordKind::Orgs => {
                let o = s.get_org(actor, OrgId(id)).await?;
                let rules = s.coverage_rules().await?;
                if writes && !o.archived {
                    let due = rules
                        .renewal(o.term_ends_on, chrono::Local::now().date_naive())
                        .is_some();
                    closing = crate::coverage::closing::org_actions(lang, id, due, &here);
                }
                let members = s
                    .members_of_org(
                        actor,
                        OrgId(id),
                        &ListQuery {
                            per_page: Some(100),
                            ..Default::default()
                        },
                    )
                    .await?;
                let props = vec![
                    (t("field.kind"), kind_text(lang, &o.kind, &o.kind_label), None),
                    (
                        t("field.parent"),
                        opt(&o.parent_name),
                        o.parent_id.map(|p| format!("/orgs/{p}")),
                    ),
                    (
                        t("field.division"),
                        format!("{} ({})", o.division_name, o.division_code),
                        Some(format!("/divisions/{}", o.division_code)),
                    ),
                    (
                        t("field.carrier"),
                        opt(&o.carrier_name),
                        o.carrier_id.map(|c| format!("/carriers/{c}")),
                    ),
                    (t("field.units"), o.unit_names.join("、"), None),
                    (
                        t("coverage.org_units"),
                        against(
                            lang,
                            o.unit_ids.len() as u64,
                            (o.kind == "joint_branch").then_some(rules.joint_branch_max_units),
                        ),
                        None,
                    ),
                    (
                        t("coverage.org_members"),
                        against(
                            lang,
                            members.total,
                            matches!(o.kind.as_str(), "branch" | "joint_branch").then_some(rules.branch_max_members),
                        ),
                        None,
                    ),
                    (t("field.secretary"), opt(&o.secretary), None),
                    (
                        t("field.founded_on"),
                        o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
                        None,
                    ),
                    (
                        t("field.term_ends_on"),
                        o.term_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                        None,
                    ),
                ];
                let sections = vec![Section {
                    title: t("ui.members_of_org"),
                    rows: members
                        .items
                        .iter()
                        .map(|m| {
                            (
                                m.name.clone(),
                                format!("/members/{}", m.id),
                                kind_text(lang, &m.status, &m.status_label),
                            )
                        })
                        .collect(),
                }];
                (
                    o.name,
                    o.version,
                    o.archived,
                    props,
                    sections,
                    s.org_history(actor, OrgId(id)).await?,
                )
            }
            RecordKind::Members => {
                let m = s.get_member(actor, MemberId(id)).await?;
                let (rid, phone) = match &revealed {
                    Some((r, ph)) => (r.clone(), ph.clone().unwrap_or_default()),
                    None => (m.resident_id_masked.clone(), opt(&m.phone_masked)),
                };
                let props = vec![
                    (t("field.status"), kind_text(lang, &m.status, &m.status_label), None),
                    (t("field.resident_id"), rid, None),
                    (t("field.phone"), phone, None),
                    (t("field.org"), m.org_name.clone(), Some(format!("/orgs/{}", m.org_id))),
                    (
                        t("field.work_unit"),
                        opt(&m.work_unit_name),
                        m.work_unit_id.map(|u| format!("/units/{u}")),
                    ),
                    (
                        t("field.joined_on"),
                        m.joined_on.map(|d| d.to_string()).unwrap_or_default(),
                        None,
                    ),
                ];
                (
                    m.name,
                    m.version,
                    m.archived,
                    props,
                    vec![],
                    s.member_history(actor, MemberId(id)).await?,
                )
            }
        })
    }
    .await;
    let (name, version, archived, props, sections, history) = match result {
        Ok(v) => v,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = name;
    render(&DetailPage {
        closing,
        base: format!("/{}", rk.path()),
        list_title: t(&rk.title_key()),
        can_edit: actor.role.may(rk.write_action()),
        can_reveal: rk == RecordKind::Members && revealed.is_none() && actor.role.may(Action::RevealPersonalData),
        history: history_rows(lang, history),
        chain: rk == RecordKind::Units,
        id,
        version,
        archived,
        props,
        sections,
        p,
    })
}

async fn reveal_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((kind, id)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_csrf(&a, f.get("csrf")) {
        return error_page(&headers, Some(&a), e);
    }
    if kind != "members" {
        return error_page(&headers, Some(&a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    }
    match state.store.reveal_member(&a.actor, MemberId(id)).await {
        Ok(r) => {
            // Full values: never kept by a browser's or a proxy's cache.
            let mut page = detail_view(&state, &headers, &a, &kind, id, Some((r.resident_id, r.phone))).await;
            crate::api::no_store(&mut page);
            page
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

async fn archive_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((kind, id)): Path<(String, i64)>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if let Err(e) = check_csrf(&a, f.get("csrf")) {
        return error_page(&headers, Some(&a), e);
    }
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let archived = f.get("archived").is_some_and(|v| v == "true");
    let s = &state.store;
    let r = match RecordKind::parse(&kind) {
        Some(RecordKind::Carriers) => s
            .archive_carrier(&a.actor, CarrierId(id), version, archived)
            .await
            .map(|_| ()),
        Some(RecordKind::Units) => s
            .archive_unit(&a.actor, UnitId(id), version, archived)
            .await
            .map(|_| ()),
        Some(RecordKind::Orgs) => s.archive_org(&a.actor, OrgId(id), version, archived).await.map(|_| ()),
        Some(RecordKind::Members) => s
            .archive_member(&a.actor, MemberId(id), version, archived)
            .await
            .map(|_| ()),
        None => Err(tongxin_store::StoreError::NotFound),
    };
    match r {
        Ok(()) => Redirect::to(&format!("/{kind}/{id}")).into_response(),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

/// One input of a record form.
pub struct FormField {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    pub(crate) value: String,
    /// `checkbox`, `date`, `tel` or `text`.
    pub(crate) kind: &'static str,
    /// The keyboard a phone shows (`numeric` for counts, `text` in capitals for codes),
    /// or empty.
    pub(crate) inputmode: &'static str,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) error: Option<String>,
    /// The picker of a reference field (`units` for `/pick/units`), or empty.
    pub(crate) pick: &'static str,
    /// A picker of several records (kept as checkboxes).
    pub(crate) many: bool,
    /// The id a single-record picker holds.
    pub(crate) chosen_id: String,
    /// (id, label) of the records a many-record picker holds.
    pub(crate) chosen: Vec<(String, String)>,
}

impl FormField {
    /// A single-record picker outside a record form (the pages that close gaps).
    pub(crate) fn picker(
        name: &'static str,
        label: String,
        target: PickTarget,
        value: String,
        chosen_id: String,
    ) -> Self {
        FormField {
            name,
            label,
            value,
            kind: "text",
            inputmode: "",
            options: vec![],
            error: None,
            pick: target.path(),
            many: false,
            chosen_id,
            chosen: vec![],
        }
    }
}

/// The input a field takes: a date picker for dates, a phone pad for phones, digits for
/// counts, capitals for codes that end in a letter.
fn input_of(name: &str, checkbox: bool) -> (&'static str, &'static str) {
    match name {
        _ if checkbox => ("checkbox", ""),
        "founded_on" | "term_ends_on" | "joined_on" => ("date", ""),
        "phone" => ("tel", "tel"),
        "employees" => ("text", "numeric"),
        // Codes that may end in a letter (X): the text keyboard, in capitals.
        "credit_code" | "resident_id" => ("text", "text"),
        _ => ("text", ""),
    }
}

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage {
    p: Ctx,
    back: String,
    /// Where cancelling goes: the record, or the list for a new one.
    cancel: String,
    list_title: String,
    action: String,
    version: String,
    /// Where saving goes back to (a gap list), or empty for the record.
    next: String,
    fields: Vec<FormField>,
}

/// The inputs of each record kind: (name, label key, checkbox?, options).
fn form_spec(rk: RecordKind) -> Vec<(&'static str, &'static str, bool)> {
    match rk {
        RecordKind::Carriers => vec![
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("is_key", "field.is_key", true),
            ("division", "field.division", false),
            ("address", "field.address", false),
        ],
        RecordKind::Units => vec![
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("credit_code", "field.credit_code", false),
            ("employees", "field.employees", false),
            ("division", "field.division", false),
            ("carrier_id", "field.carrier", false),
            ("instructor_id", "field.instructor", false),
            ("address", "field.address", false),
        ],
        RecordKind::Orgs => vec![
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("division", "field.division", false),
            ("parent_id", "field.parent", false),
            ("unit_ids", "field.units", false),
            ("carrier_id", "field.carrier", false),
            ("secretary", "field.secretary", false),
            ("founded_on", "field.founded_on", false),
            ("term_ends_on", "field.term_ends_on", false),
        ],
        RecordKind::Members => vec![
            ("name", "field.name", false),
            ("status", "field.status", false),
            ("resident_id", "field.resident_id", false),
            ("phone", "field.phone", false),
            ("org_id", "field.org", false),
            ("work_unit_id", "field.work_unit", false),
            ("joined_on", "field.joined_on", false),
        ],
    }
}

/// The reference fields of each record kind and what their pickers offer.
fn pickers_of(rk: RecordKind) -> Vec<PickSpec> {
    let one = |field, target| PickSpec {
        field,
        target,
        many: false,
    };
    let mut specs = vec![one("division", PickTarget::Division)];
    specs.extend(match rk {
        RecordKind::Carriers => vec![],
        RecordKind::Units => vec![
            one("carrier_id", PickTarget::Carrier),
            one("instructor_id", PickTarget::Instructor),
        ],
        RecordKind::Orgs => vec![
            one("parent_id", PickTarget::Org),
            PickSpec {
                field: "unit_ids",
                target: PickTarget::Unit,
                many: true,
            },
            one("carrier_id", PickTarget::Carrier),
        ],
        RecordKind::Members => vec![one("org_id", PickTarget::Org), one("work_unit_id", PickTarget::Unit)],
    });
    specs.retain(|p| form_spec(rk).iter().any(|(name, _, _)| *name == p.field));
    specs
}

/// Gives each reference value (an id, a division's code) the label its picker shows:
/// `field` becomes the label and `field__id` the id; a many-record field's ids move to
/// `field__keep`.
async fn labelled(
    state: &AppState,
    a: &auth::Auth,
    rk: RecordKind,
    values: &mut HashMap<String, String>,
) -> Result<(), ApiError> {
    for spec in pickers_of(rk) {
        let raw = values.remove(spec.field).unwrap_or_default();
        if spec.many {
            values.insert(format!("{}{}", spec.field, pickers::KEEP), raw);
            values.insert(spec.field.to_string(), String::new());
        } else if !raw.is_empty() {
            let label = pickers::label_of(state, a, spec.target, &raw).await?;
            values.insert(format!("{}{}", spec.field, pickers::CHOSEN), raw);
            values.insert(spec.field.to_string(), label);
        }
    }
    Ok(())
}

fn build_form(
    lang: Lang,
    rk: RecordKind,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
    chosen: &HashMap<&'static str, Vec<(String, String)>>,
) -> Vec<FormField> {
    let specs = pickers_of(rk);
    form_spec(rk)
        .into_iter()
        .map(|(name, key, checkbox)| FormField {
            pick: specs
                .iter()
                .find(|p| p.field == name)
                .map(|p| p.target.path())
                .unwrap_or(""),
            many: specs.iter().any(|p| p.field == name && p.many),
            chosen_id: values
                .get(&format!("{name}{}", pickers::CHOSEN))
                .cloned()
                .unwrap_or_default(),
            chosen: chosen.get(name).cloned().unwrap_or_default(),
            name,
            label: lang.t(key),
            value: values.get(name).cloned().unwrap_or_default(),
            kind: input_of(name, checkbox).0,
            inputmode: input_of(name, checkbox).1,
            options: if matches!(name, "kind" | "status") {
                rk.kinds(lang)
            } else {
                vec![]
            },
            error: errors.get(name).cloned(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
struct NewQuery {
    /// Organisations: found one for this unit (its own organisation, prefilled).
    unit: Option<i64>,
    /// Where to go after saving (a local path).
    next: Option<String>,
}

async fn new_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(kind): Path<String>,
    Q(q): Q<NewQuery>,
) -> Response {
    let Some(rk) = RecordKind::parse(&kind) else {
        return error_page(&headers, Some(&a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    };
    // The page checks the right its API route checks.
    if let Err(e) = a.actor.require(rk.write_action()) {
        return error_page(&headers, Some(&a), e.into());
    }
    let mut values = HashMap::new();
    if let Some(d) = a.actor.scope.home_division() {
        values.insert("division".to_string(), d.to_string());
    }
    // The founding form of a unit's own organisation (closing its gap): named after the
    // unit, a branch, in its place, covering it, in its carrier.
    if let (RecordKind::Orgs, Some(unit)) = (rk, q.unit) {
        match state.store.get_unit(&a.actor, UnitId(unit)).await {
            Ok(u) => {
                values.insert("name".into(), format!("{}党支部", u.name));
                values.insert("kind".into(), "branch".into());
                values.insert("division".into(), u.division_code.clone());
                values.insert("unit_ids".into(), u.id.to_string());
                if let Some(c) = u.carrier_id {
                    values.insert("carrier_id".into(), c.to_string());
                }
            }
            Err(e) => return error_page(&headers, Some(&a), e.into()),
        }
    }
    if let Some(n) = q.next.filter(|n| !n.is_empty()) {
        values.insert("next".into(), local_path(Some(&n)));
    }
    if let Err(e) = labelled(&state, &a, rk, &mut values).await {
        return error_page(&headers, Some(&a), e);
    }
    form_view(&state, &headers, &a, rk, None, values, HashMap::new(), None).await
}

#[allow(clippy::too_many_arguments)]
async fn form_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    rk: RecordKind,
    id: Option<i64>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    flash: Option<String>,
) -> Response {
    let mut p = ctx(headers, Some(a), &rk.title_key());
    p.title = format!(
        "{} · {}",
        p.t(&rk.title_key()),
        p.t(if id.is_some() { "ui.edit" } else { "ui.new" })
    );
    p.flash_error = flash;
    let lang = p.lang;
    let base = format!("/{}", rk.path());
    let mut chosen = HashMap::new();
    for spec in pickers_of(rk).into_iter().filter(|s| s.many) {
        let ids = values
            .get(&format!("{}{}", spec.field, pickers::KEEP))
            .cloned()
            .unwrap_or_default();
        match pickers::chosen_of(state, a, spec.target, &ids).await {
            Ok(c) => chosen.insert(spec.field, c),
            Err(e) => return error_page(headers, Some(a), e),
        };
    }
    let status = if errors.is_empty() && p.flash_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(&FormPage {
        action: match id {
            Some(id) => format!("{base}/{id}/edit"),
            None => format!("{base}/new"),
        },
        cancel: match (values.get("next").filter(|n| !n.is_empty()), id) {
            (Some(next), _) => next.clone(),
            (None, Some(id)) => format!("{base}/{id}"),
            (None, None) => base.clone(),
        },
        back: base,
        list_title: lang.t(&rk.title_key()),
        version: values.get("version").cloned().unwrap_or_default(),
        next: values.get("next").cloned().unwrap_or_default(),
        fields: build_form(lang, rk, &values, &errors, &chosen),
        p,
    });
    *r.status_mut() = status;
    r
}

/// Turns a refused save into messages beside the fields (and a flash for the rest).
fn form_errors(lang: Lang, e: &ApiError) -> (HashMap<String, String>, Option<String>) {
    let mut m = HashMap::new();
    for f in &e.fields {
        let msg = if lang == Lang::En {
            f.message_en.clone()
        } else {
            f.message_zh.clone()
        };
        let name = match f.field.as_str() {
            "location" => "address".to_string(),
            other => other.to_string(),
        };
        m.entry(name).or_insert(msg);
    }
    let flash = Some(e.message(lang));
    (m, flash)
}

fn body_of(rk: RecordKind, f: &HashMap<String, String>) -> serde_json::Value {
    let mut v = serde_json::Map::new();
    for (name, _, checkbox) in form_spec(rk) {
        // A field the form does not carry is not written (a checkbox's form carries a
        // hidden `false` before it, so an unticked box is still sent).
        let Some(raw) = f.get(name).cloned() else {
            continue;
        };
        if checkbox {
            v.insert(
                name.into(),
                serde_json::Value::Bool(matches!(raw.as_str(), "on" | "true")),
            );
        } else if name == "unit_ids" {
            // A token that is not an id is never dropped: the whole value goes as text
            // and is refused beside the field.
            let tokens: Vec<&str> = raw
                .split([',', '，', '、', ' '])
                .filter(|t| !t.trim().is_empty())
                .collect();
            let ids: Option<Vec<serde_json::Value>> = tokens
                .iter()
                .map(|t| t.trim().parse::<i64>().ok().map(Into::into))
                .collect();
            match ids {
                Some(ids) => v.insert(name.into(), serde_json::Value::Array(ids)),
                None => v.insert(name.into(), serde_json::Value::String(raw)),
            };
        } else {
            v.insert(name.into(), serde_json::Value::String(raw));
        }
    }
    if let Some(ver) = f.get("version") {
        v.insert("version".into(), serde_json::Value::String(ver.clone()));
    }
    serde_json::Value::Object(v)
}

/// The field errors a new record's body has on its own (checked without the store).
fn domain_errors(rk: RecordKind, body: &serde_json::Value) -> Vec<crate::error::FieldError> {
    let b = body.clone();
    let e = match rk {
        RecordKind::Carriers => serde_json::from_value::<CarrierBody>(b)
            .ok()
            .and_then(|b| b.input().err()),
        RecordKind::Units => serde_json::from_value::<UnitBody>(b).ok().and_then(|b| b.input().err()),
        RecordKind::Orgs => serde_json::from_value::<OrgBody>(b).ok().and_then(|b| b.input().err()),
        RecordKind::Members => serde_json::from_value::<MemberBody>(b)
            .ok()
            .and_then(|b| b.input().err()),
    };
    e.map(|e| ApiError::from(e).fields).unwrap_or_default()
}

async fn save(
    state: &AppState,
    actor: &Actor,
    rk: RecordKind,
    id: Option<i64>,
    f: &HashMap<String, String>,
    mut malformed: Vec<crate::error::FieldError>,
) -> Result<i64, ApiError> {
    let mut body = body_of(rk, f);
    if body.get("unit_ids").is_some_and(serde_json::Value::is_string) {
        malformed.push(crate::error::FieldError::new("unit_ids", "registry.reference_invalid"));
        if let Some(o) = body.as_object_mut() {
            o.remove("unit_ids");
        }
    }
    // Values the body reads as dates or ids: a malformed one is an error beside its
    // field, with every other field's, not a refusal of the whole form.
    if let Some(o) = body.as_object_mut() {
        for (name, code) in [
            ("founded_on", "import.bad_date"),
            ("term_ends_on", "import.bad_date"),
            ("joined_on", "import.bad_date"),
            ("carrier_id", "registry.reference_invalid"),
            ("parent_id", "registry.reference_invalid"),
            ("org_id", "registry.reference_invalid"),
            ("work_unit_id", "registry.reference_invalid"),
        ] {
            let Some(serde_json::Value::String(raw)) = o.get(name) else {
                continue;
            };
            let raw = raw.trim();
            let ok = match code {
                "import.bad_date" => tongxin_import::parse_date(raw).is_ok(),
                _ => raw.is_empty() || raw.parse::<i64>().is_ok(),
            };
            if !ok {
                malformed.push(crate::error::FieldError::new(name, code));
                o.remove(name);
            }
        }
    }
    if !malformed.is_empty() {
        // A new record's other faults are found now too (an edit's need the store).
        if id.is_none() {
            malformed.extend(domain_errors(rk, &body));
        }
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.failed");
        e.fields = malformed;
        return Err(e);
    }
    let bad = |_| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "request.bad");
    let s = &state.store;
    let version = || f.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    Ok(match rk {
        RecordKind::Carriers => {
            let b: CarrierBody = serde_json::from_value(body).map_err(bad)?;
            match id {
                Some(id) => {
                    s.update_carrier(actor, CarrierId(id), version(), &b.patch())
                        .await?
                        .id
                        .0
                }
                None => s.create_carrier(actor, b.input()?).await?.id.0,
            }
        }
        RecordKind::Units => {
            let b: UnitBody = serde_json::from_value(body).map_err(bad)?;
            match id {
                Some(id) => s.update_unit(actor, UnitId(id), version(), &b.patch()).await?.id.0,
                None => s.create_unit(actor, b.input()?).await?.id.0,
            }
        }
        RecordKind::Orgs => {
            let b: OrgBody = serde_json::from_value(body).map_err(bad)?;
            match id {
                Some(id) => s.update_org(actor, OrgId(id), version(), &b.patch()).await?.id.0,
                None => s.create_org(actor, b.input()?).await?.id.0,
            }
        }
        RecordKind::Members => {
            let b: MemberBody = serde_json::from_value(body).map_err(bad)?;
            match id {
                Some(id) => s.update_member(actor, MemberId(id), version(), &b.patch()).await?.id.0,
                None => s.create_member(actor, b.input()?).await?.id.0,
            }
        }
    })
}

async fn new_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(kind): Path<String>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    submit(&state, &headers, &a, &kind, None, f).await
}

async fn edit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((kind, id)): Path<(String, i64)>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    submit(&state, &headers, &a, &kind, Some(id), f).await
}

async fn submit(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    kind: &str,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Response {
    let Some(rk) = RecordKind::parse(kind) else {
        return error_page(headers, Some(a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    };
    // One value per field, except the checkboxes a many-record picker keeps.
    let mut f = HashMap::new();
    let mut kept: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        match k.strip_suffix(pickers::KEEP) {
            Some(field) => kept.entry(field.to_string()).or_default().push(v),
            None => {
                f.insert(k, v);
            }
        }
    }
    if let Err(e) = check_csrf(a, f.get("csrf")) {
        return error_page(headers, Some(a), e);
    }
    if let Err(e) = a.actor.require(rk.write_action()) {
        return error_page(headers, Some(a), e.into());
    }
    // Typed names become ids; the form keeps the labels to show again.
    let (pick_errors, ids) = match pickers::resolve(state, a, &pickers_of(rk), &mut f, &kept).await {
        Ok(r) => r,
        Err(e) => return error_page(headers, Some(a), e),
    };
    let mut body = f.clone();
    body.extend(ids);
    match save(state, &a.actor, rk, id, &body, pick_errors).await {
        Ok(id) => match f.get("next").filter(|n| !n.is_empty()) {
            Some(next) => Redirect::to(&local_path(Some(next))).into_response(),
            None => Redirect::to(&format!("/{}/{id}", rk.path())).into_response(),
        },
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(headers, Some(a), e),
        Err(e) => {
            let (errors, flash) = form_errors(lang_of(headers), &e);
            let mut values = f;
            values.remove("csrf");
            form_view(state, headers, a, rk, id, values, errors, flash).await
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((kind, id)): Path<(String, i64)>,
) -> Response {
    let Some(rk) = RecordKind::parse(&kind) else {
        return error_page(&headers, Some(&a), ApiError::new(StatusCode::NOT_FOUND, "not_found"));
    };
    if let Err(e) = a.actor.require(rk.write_action()) {
        return error_page(&headers, Some(&a), e.into());
    }
    let s = &state.store;
    let actor = &a.actor;
    let values: Result<HashMap<String, String>, ApiError> = async {
        let mut v = HashMap::new();
        let mut put = |k: &str, val: String| {
            v.insert(k.to_string(), val);
        };
        match rk {
            RecordKind::Carriers => {
                let c = s.get_carrier(actor, CarrierId(id)).await?;
                put("name", c.name);
                put("kind", c.kind);
                put("is_key", c.is_key.to_string());
                put("division", c.division_code);
                put("address", opt(&c.address));
                put("version", c.version.to_string());
            }
            RecordKind::Units => {
                let u = s.get_unit(actor, UnitId(id)).await?;
                put("name", u.name);
                put("kind", u.kind);
                put("credit_code", opt(&u.credit_code));
                put("employees", u.employees.map(|e| e.to_string()).unwrap_or_default());
                put("division", u.division_code);
                put("carrier_id", u.carrier_id.map(|c| c.to_string()).unwrap_or_default());
                put(
                    "instructor_id",
                    u.instructor_id.map(|c| c.to_string()).unwrap_or_default(),
                );
                put("address", opt(&u.address));
                put("version", u.version.to_string());
            }
            RecordKind::Orgs => {
                let o = s.get_org(actor, OrgId(id)).await?;
                put("name", o.name);
                put("kind", o.kind);
                put("division", o.division_code);
                put("parent_id", o.parent_id.map(|c| c.to_string()).unwrap_or_default());
                put(
                    "unit_ids",
                    o.unit_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(","),
                );
                put("carrier_id", o.carrier_id.map(|c| c.to_string()).unwrap_or_default());
                put("secretary", opt(&o.secretary));
                put("founded_on", o.founded_on.map(|d| d.to_string()).unwrap_or_default());
                put(
                    "term_ends_on",
                    o.term_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                );
                put("version", o.version.to_string());
            }
            RecordKind::Members => {
                // The form shows the masked values: opening it reveals nothing (a link from
                // another site could open it in a victim's name). A masked value sent back
                // is no change; a new value replaces the old.
                let m = s.get_member(actor, MemberId(id)).await?;
                put("name", m.name);
                put("status", m.status);
                put("resident_id", m.resident_id_masked);
                put("phone", m.phone_masked.unwrap_or_default());
                put("org_id", m.org_id.to_string());
                put(
                    "work_unit_id",
                    m.work_unit_id.map(|c| c.to_string()).unwrap_or_default(),
                );
                put("joined_on", m.joined_on.map(|d| d.to_string()).unwrap_or_default());
                put("version", m.version.to_string());
            }
        }
        Ok(v)
    }
    .await;
    let values = match values {
        Ok(mut v) => labelled(&state, &a, rk, &mut v).await.map(|()| v),
        Err(e) => Err(e),
    };
    match values {
        Ok(v) => form_view(&state, &headers, &a, rk, Some(id), v, HashMap::new(), None).await,
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    p: Ctx,
    report: Option<ImportReport>,
    errors: Vec<(String, usize, String)>,
    error_token: String,
}

async fn import_page(headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    if let Err(e) = a.actor.require(Action::ImportExport) {
        return error_page(&headers, Some(&a), e.into());
    }
    render(&ImportPage {
        p: ctx(&headers, Some(&a), "ui.import_title"),
        report: None,
        errors: vec![],
        error_token: String::new(),
    })
}

async fn import_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    req: axum::extract::Request,
) -> Response {
    // The right is checked before a byte of the upload is read.
    if let Err(e) = a.actor.require(Action::ImportExport) {
        return error_page(&headers, Some(&a), e.into());
    }
    let mut mp = match crate::import_service::multipart(req, &state).await {
        Ok(mp) => mp,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let crate::import_service::Upload { files, fields } = match crate::import_service::read_upload(&mut mp).await {
        Ok(u) => u,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let csrf = fields.get("csrf").cloned();
    let mode = ImportMode {
        dry_run: fields.get("dry_run").is_some_and(|v| v == "true"),
        skip_invalid: fields.get("skip_invalid").is_some_and(|v| v == "true"),
    };
    if let Err(e) = check_csrf(&a, csrf.as_ref()) {
        return error_page(&headers, Some(&a), e);
    }
    let mut p = ctx(&headers, Some(&a), "ui.import_title");
    if files.is_empty() {
        p.flash_error = Some(crate::i18n::error_message("request.bad", p.lang));
        return render(&ImportPage {
            p,
            report: None,
            errors: vec![],
            error_token: String::new(),
        });
    }
    match crate::import_service::run(
        &state.store,
        &a.actor,
        files,
        crate::import_service::ImportOptions {
            kind: None,
            mode,
            limits: tongxin_import::Limits::UPLOAD,
            lang: p.lang,
        },
        &tongxin_store::bulk::Silent,
    )
    .await
    {
        Ok(out) => {
            let lang = p.lang;
            let errors = out
                .report
                .errors
                .iter()
                .map(|e| {
                    let why = crate::import_service::reason(e, lang);
                    let text = match e.record.as_str() {
                        "" => why,
                        name => format!("{name}：{why}"),
                    };
                    (e.sheet.clone(), e.line, text)
                })
                .collect();
            let mut token = String::new();
            if let Some(wb) = out.error_workbook {
                let owner = a.actor.account_id.map(|i| i.0).unwrap_or_default();
                token = state.error_workbooks.put(owner, wb);
            }
            render(&ImportPage {
                p,
                report: Some(out.report),
                errors,
                error_token: token,
            })
        }
        Err(e) => {
            p.flash_error = Some(e.message_with_detail(p.lang));
            let mut r = render(&ImportPage {
                p,
                report: None,
                errors: vec![],
                error_token: String::new(),
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

/// The import template of a kind (header row, example row, accepted values).
async fn import_template(headers: HeaderMap, PageAuth(a): PageAuth, Path(kind): Path<String>) -> Response {
    match crate::import_service::template(&a.actor, &kind).await {
        Ok(r) => r,
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn import_errors(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(token): Path<String>,
) -> Response {
    let owner = a.actor.account_id.map(|i| i.0).unwrap_or_default();
    match state.error_workbooks.get(owner, &token) {
        Some(wb) => {
            let mut r = crate::import_service::xlsx_response("errors.xlsx", wb);
            crate::api::no_store(&mut r);
            r
        }
        None => error_page(&headers, Some(&a), ApiError::new(StatusCode::NOT_FOUND, "not_found")),
    }
}
