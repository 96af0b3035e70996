//! The console's shared shell: every page's context (language, user, menu, CSRF
//! token), rendering, the translated error page, static files, the language switch and
//! the small helpers every area's pages use. Areas keep their pages in their own folders
//! (`registry/`, `coverage/`, `accounts/`, `import/`).

pub(crate) mod forms;
pub(crate) mod history;
mod home;
mod login;

pub(crate) use forms::{CheckedForm, FormField, field_messages};
pub(crate) use history::{history_rows, kind_text};
pub(crate) use login::local_path;

use crate::auth::{self, LANG_COOKIE, cookie};
use crate::i18n::Lang;
use crate::query::Q;
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;

/// The shell's routes: home, login, language, static files, pickers, and a translated
/// page for an address nothing serves.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route(
            "/login",
            get(login::login_page)
                .post(login::login_submit)
                .layer(axum::extract::DefaultBodyLimit::max(auth::LOGIN_BODY_BYTES)),
        )
        .route("/logout", post(login::logout))
        .route("/lang", get(switch_lang))
        .route("/static/app.css", get(css))
        .route("/static/screen.js", get(screen_js))
        .route("/static/htmx.min.js", get(htmx_js))
        .route("/static/picker.js", get(picker_js))
        .route("/pick/{target}", get(crate::pickers::pick_page))
        .route("/divisions/{code}", get(home::division_page))
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
pub(crate) fn menu(lang: Lang, role: tongxin_domain::access::Role) -> Vec<(&'static str, String, String)> {
    use tongxin_domain::access::Role;
    let items: &[(&str, &str)] = match role {
        Role::Member => &[
            ("/me", "me"),
            ("/near", "near"),
            ("/me/registrations", "my_registrations"),
            ("/alliance/published", "alliance_published"),
        ],
        // A member unit's liaison: its units' page (posts, claims, reports) and the
        // conferences it belongs to; nothing of the registry.
        Role::UnitLiaison => &[("/alliance/mine", "alliance_mine"), ("/alliance", "alliance")],
        Role::BranchSecretary => &[
            ("/", "home"),
            ("/coverage", "coverage"),
            ("/orgs", "orgs"),
            ("/members", "members"),
            ("/centres", "centres"),
        ],
        _ => &[
            ("/", "home"),
            ("/coverage", "coverage"),
            ("/carriers", "carriers"),
            ("/units", "units"),
            ("/orgs", "orgs"),
            ("/members", "members"),
            ("/instructors", "instructors"),
            ("/centres", "centres"),
            ("/alliance", "alliance"),
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

pub(crate) fn lang_of(headers: &HeaderMap) -> Lang {
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
    e.say_when_to_retry(&mut r);
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
        _ => Err(ApiError::new(ErrorCode::Csrf)),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

pub(crate) fn script(body: &'static str) -> Response {
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
    script(include_str!("../../static/screen.js"))
}

/// htmx 2.0.11 (0BSD), from the npm registry's `htmx.org` package, `dist/htmx.min.js`.
async fn htmx_js() -> Response {
    script(include_str!("../../static/htmx.min.js"))
}

async fn picker_js() -> Response {
    script(include_str!("../../static/picker.js"))
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

/// An address nothing serves: the API answers its JSON error, the console a page in the
/// reader's language.
pub(crate) async fn not_found(uri: axum::http::Uri, headers: HeaderMap) -> Response {
    let e = ApiError::new(ErrorCode::NotFound);
    if uri.path().starts_with("/api/") {
        e.into_response()
    } else {
        error_page(&headers, None, e)
    }
}
