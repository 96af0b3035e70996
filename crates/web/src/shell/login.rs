//! Logging in and out: a session cookie, a CSRF token, attempts limited per account and
//! address, and only local addresses to return to.

use super::{CheckedForm, Ctx, ctx, render};
use crate::auth::{self, cookie};
use crate::query::Q;
use crate::{ApiError, AppState};
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tongxin_domain::ErrorCode;
#[derive(Template)]
#[template(path = "shell/login.html")]
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
pub(super) struct NextQuery {
    next: Option<String>,
}

pub(super) async fn login_page(State(state): State<AppState>, headers: HeaderMap, Q(q): Q<NextQuery>) -> Response {
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
pub(super) struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn login_submit(
    State(state): State<AppState>,
    crate::client_addr::ClientAddr(addr): crate::client_addr::ClientAddr,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = local_path(f.next.as_deref());
    let sent = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    let result = if sent.is_empty() || !auth::constant_eq(&sent, &f.csrf) {
        Err(ApiError::new(ErrorCode::Csrf))
    } else {
        auth::login(&state, addr, &f.username, &f.password).await
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

pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CheckedForm(_a, _f): CheckedForm,
) -> Response {
    if let Some(token) = cookie(&headers, auth::SESSION_COOKIE) {
        let _ = state.store.end_session(&token).await;
    }
    (
        [(header::SET_COOKIE, auth::session_cookie(&state, "", 0))],
        Redirect::to("/login"),
    )
        .into_response()
}
