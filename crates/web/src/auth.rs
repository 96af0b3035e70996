//! Who is calling: a session cookie (console and API) or a bearer token (API clients).
//! Login is rate-limited; console forms and cookie-authenticated API writes carry a
//! CSRF token.

use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tongxin_store::Actor;

pub const SESSION_COOKIE: &str = "tx_session";
pub const LANG_COOKIE: &str = "tx_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

/// Failed logins allowed per key (username + address) in one window.
const MAX_FAILURES: u32 = 10;
const WINDOW: Duration = Duration::from_secs(300);

/// Counts failed logins per username and client address.
#[derive(Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginLimiter {
    pub fn blocked(&self, key: &str) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(key)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && since.elapsed() < WINDOW)
    }
    pub fn failed(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| since.elapsed() < WINDOW);
        }
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }
    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(key);
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_string())
        })
}

/// The authenticated caller.
#[derive(Clone)]
pub struct Auth {
    pub actor: Actor,
    /// CSRF token of the session; `None` for bearer tokens (no cookie, no CSRF risk).
    pub csrf: Option<String>,
}

/// API tokens resolved in the last few seconds, so a client polling the API (a big
/// screen, an integration) does not pay a database look-up on every call. An account
/// disabled or re-scoped takes effect within [`TokenCache::TTL`]. Keys are digests: no
/// token is kept in memory longer than its request.
#[derive(Default)]
pub struct TokenCache(
    std::sync::Mutex<std::collections::HashMap<[u8; 32], (tongxin_store::Actor, std::time::Instant)>>,
);

impl TokenCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);
    const MAX: usize = 10_000;

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    fn get(&self, token: &str) -> Option<tongxin_store::Actor> {
        let map = self.0.lock().ok()?;
        map.get(&Self::key(token))
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, token: &str, actor: tongxin_store::Actor) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= Self::MAX {
                map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
            }
            if map.len() < Self::MAX {
                map.insert(Self::key(token), (actor, std::time::Instant::now()));
            }
        }
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Option<Auth>, ApiError> {
    if let Some(h) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(token) = h.strip_prefix("Bearer ")
    {
        let token = token.trim();
        let actor = match state.tokens.get(token) {
            Some(actor) => Some(actor),
            None => {
                let actor = state.store.token_actor(token).await?;
                if let Some(a) = &actor {
                    state.tokens.put(token, a.clone());
                }
                actor
            }
        };
        return Ok(actor.map(|actor| Auth { actor, csrf: None }));
    }
    if let Some(token) = cookie(&parts.headers, SESSION_COOKIE) {
        return Ok(state.store.session_actor(&token).await?.map(|(actor, csrf)| Auth {
            actor,
            csrf: Some(csrf),
        }));
    }
    Ok(None)
}

/// API extractor: 401 without credentials; for cookie sessions, state-changing methods
/// need the `X-CSRF-Token` header.
pub struct ApiAuth(pub Auth);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = authenticate(parts, state)
            .await?
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "auth.required"))?;
        if let Some(csrf) = &auth.csrf
            && !matches!(parts.method, Method::GET | Method::HEAD)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_eq(sent, csrf) {
                return Err(ApiError::new(StatusCode::FORBIDDEN, "auth.csrf"));
            }
        }
        Ok(ApiAuth(auth))
    }
}

/// Console extractor: redirects to the login page without a session.
pub struct PageAuth(pub Auth);

impl FromRequestParts<AppState> for PageAuth {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match authenticate(parts, state).await {
            Ok(Some(a)) if a.csrf.is_some() => Ok(PageAuth(a)),
            Ok(_) => {
                // Back to the requested page after logging in (a local path only).
                let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                let to = if parts.method == Method::GET && next != "/" {
                    format!("/login?next={}", crate::console::urlencode(next))
                } else {
                    "/login".to_string()
                };
                Err(axum::response::Redirect::to(&to).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn session_cookie(state: &AppState, token: &str, max_age: i64) -> String {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    pub username: String,
    pub role: String,
    /// Send this in `X-CSRF-Token` with cookie-authenticated writes.
    pub csrf_token: String,
}

/// The key failed logins are counted by: client address and username.
pub fn client_key(addr: std::net::SocketAddr, username: &str) -> String {
    format!("{}|{}", addr.ip(), username.trim())
}

/// Checks a password with rate limiting; opens a session.
pub async fn login(
    state: &AppState,
    key: &str,
    username: &str,
    password: &str,
) -> Result<(Actor, String, String), ApiError> {
    if state.limiter.blocked(key) {
        return Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "auth.rate_limited"));
    }
    let Some(actor) = state.store.verify_login(username, password).await? else {
        state.limiter.failed(key);
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "auth.invalid"));
    };
    state.limiter.succeeded(key);
    let (token, csrf) = state
        .store
        .create_session(&actor, chrono::Duration::hours(SESSION_HOURS))
        .await?;
    Ok((actor, token, csrf))
}

pub async fn api_login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let key = client_key(addr, &req.username);
    let (actor, token, csrf) = login(&state, &key, &req.username, &req.password).await?;
    let body = LoginResponse {
        username: actor.username,
        role: actor.role.code().into(),
        csrf_token: csrf,
    };
    Ok((
        [(header::SET_COOKIE, session_cookie(&state, &token, SESSION_HOURS * 3600))],
        Json(body),
    )
        .into_response())
}

pub async fn api_logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiAuth(_): ApiAuth,
) -> Result<Response, ApiError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(&token).await?;
    }
    Ok((
        [(header::SET_COOKIE, session_cookie(&state, "", 0))],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}
