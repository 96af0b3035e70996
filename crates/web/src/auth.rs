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
use tongxin_domain::ErrorCode;
use tongxin_store::Actor;

pub const SESSION_COOKIE: &str = "tx_session";
pub const LANG_COOKIE: &str = "tx_lang";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a login lasts.
pub const SESSION_HOURS: i64 = 12;

/// Failed logins per address and username before each further try waits (1 s, 2 s,
/// 4 s, … up to [`MAX_DELAY`]): the real user at their own address is never locked out
/// by someone else's failures, and a guesser is slowed to a crawl.
const FREE_FAILURES: u32 = 5;
const MAX_DELAY: Duration = Duration::from_secs(300);
/// Failed logins per address, whatever the usernames (password spraying), in
/// [`ADDRESS_WINDOW`].
const ADDRESS_FAILURES: u32 = 30;
const ADDRESS_WINDOW: Duration = Duration::from_secs(900);
/// Entries kept at most; the oldest are dropped first.
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    first: Instant,
    last: Instant,
}

/// Counts failed logins per (address, username) and per address. Usernames are kept
/// only as a digest of fixed size, so a flood of long names costs no memory.
#[derive(Default)]
pub struct LoginLimiter {
    state: Mutex<LimiterState>,
}

/// Failures per (address, username) digest, and per address.
type LimiterState = (HashMap<[u8; 32], Failures>, HashMap<std::net::IpAddr, Failures>);

/// Where a password try comes from: a login from an address, or a session confirming
/// its own account's password (counted per account alone: sessions share no address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Login(std::net::IpAddr),
    Confirmation,
}

fn pair_key(from: Attempt, username: &str) -> [u8; 32] {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    match from {
        Attempt::Login(addr) => h.update(addr.to_string().as_bytes()),
        Attempt::Confirmation => h.update(b"confirmation"),
    }
    h.update([0]);
    h.update(username.trim().to_lowercase().as_bytes());
    h.finalize().into()
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<K, Failures>, key: K, window: Duration) {
    let now = Instant::now();
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, f| f.last.elapsed() < window);
        if map.len() >= MAX_ENTRIES {
            // Still full: forget the oldest half rather than grow.
            let mut ages: Vec<Instant> = map.values().map(|f| f.last).collect();
            ages.sort();
            let cut = ages[ages.len() / 2];
            map.retain(|_, f| f.last > cut);
        }
    }
    let f = map.entry(key).or_insert(Failures {
        count: 0,
        first: now,
        last: now,
    });
    if f.first.elapsed() >= window {
        *f = Failures {
            count: 0,
            first: now,
            last: now,
        };
    }
    f.count += 1;
    f.last = now;
}

impl LoginLimiter {
    /// How long this address must wait before trying this username again, if at all.
    pub fn wait(&self, from: Attempt, username: &str) -> Option<Duration> {
        let st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = Duration::ZERO;
        if let Some(f) = st.0.get(&pair_key(from, username))
            && f.count >= FREE_FAILURES
        {
            let delay = Duration::from_secs(1u64 << (f.count - FREE_FAILURES).min(16)).min(MAX_DELAY);
            wait = wait.max(delay.saturating_sub(f.last.elapsed()));
        }
        if let Attempt::Login(addr) = from
            && let Some(f) = st.1.get(&addr)
            && f.count >= ADDRESS_FAILURES
        {
            wait = wait.max(ADDRESS_WINDOW.saturating_sub(f.first.elapsed()));
        }
        (!wait.is_zero()).then_some(wait)
    }

    /// `auth.rate_limited` with `Retry-After` while this address must wait for this name.
    pub fn check(&self, from: Attempt, username: &str) -> Result<(), ApiError> {
        match self.wait(from, username) {
            Some(wait) => {
                let mut e = ApiError::new(ErrorCode::RateLimited);
                e.retry_after = Some(wait.as_secs().max(1));
                Err(e)
            }
            None => Ok(()),
        }
    }

    pub fn failed(&self, from: Attempt, username: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        bump(&mut st.0, pair_key(from, username), MAX_DELAY * 2);
        if let Attempt::Login(addr) = from {
            bump(&mut st.1, addr, ADDRESS_WINDOW);
        }
    }

    pub fn succeeded(&self, from: Attempt, username: &str) {
        let mut st = self.state.lock().unwrap_or_else(|p| p.into_inner());
        st.0.remove(&pair_key(from, username));
    }
}

/// At most a number of requests from one address ([`crate::client_addr::counted`]) in
/// each window of time: for what a caller without an account may do many times over,
/// such as a resident's registration by name and phone. 0 is no limit.
pub struct AddressBudget {
    limit: u32,
    window: Duration,
    spent: Mutex<HashMap<std::net::IpAddr, Failures>>,
}

impl AddressBudget {
    pub fn new(limit: u32, window: Duration) -> Self {
        AddressBudget {
            limit,
            window,
            spent: Mutex::default(),
        }
    }

    /// Spends one request of `from`'s budget, or says how long until the next window.
    pub fn spend(&self, from: std::net::IpAddr) -> Result<(), Duration> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut spent = self.spent.lock().unwrap_or_else(|p| p.into_inner());
        let key = crate::client_addr::counted(from);
        bump(&mut spent, key, self.window);
        match spent.get(&key) {
            Some(f) if f.count > self.limit => Err(self.window.saturating_sub(f.first.elapsed())),
            _ => Ok(()),
        }
    }
}

/// Largest login request body: a username and a password, with room to spare.
pub const LOGIN_BODY_BYTES: usize = 8 * 1024;

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
                // Full of fresh ones (many callers each once, as in a flash sale): start
                // again rather than scan the whole map, under its lock, on every miss.
                if map.len() >= Self::MAX {
                    map.clear();
                }
            }
            map.insert(Self::key(token), (actor, std::time::Instant::now()));
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
            .ok_or_else(|| ApiError::new(ErrorCode::AuthRequired))?;
        if let Some(csrf) = &auth.csrf
            && !matches!(parts.method, Method::GET | Method::HEAD)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !constant_eq(sent, csrf) {
                return Err(ApiError::new(ErrorCode::Csrf));
            }
        }
        Ok(ApiAuth(auth))
    }
}

/// API extractor for what anyone may do (a resident registering for a public activity):
/// the caller's account when it sends credentials (a cookie session still needs the
/// CSRF header to change anything), none otherwise.
pub struct MaybeApiAuth(pub Option<Auth>);

impl FromRequestParts<AppState> for MaybeApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if authenticate(parts, state).await?.is_none() {
            return Ok(MaybeApiAuth(None));
        }
        ApiAuth::from_request_parts(parts, state)
            .await
            .map(|ApiAuth(a)| MaybeApiAuth(Some(a)))
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
                    format!("/login?next={}", crate::shell::urlencode(next))
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

/// Checks a password with rate limiting; opens a session.
pub async fn login(
    state: &AppState,
    addr: std::net::IpAddr,
    username: &str,
    password: &str,
) -> Result<(Actor, String, String), ApiError> {
    let from = Attempt::Login(crate::client_addr::counted(addr));
    state.limiter.check(from, username)?;
    let Some(actor) = state.store.verify_login(username, password).await? else {
        state.limiter.failed(from, username);
        return Err(ApiError::new(ErrorCode::AuthInvalid));
    };
    state.limiter.succeeded(from, username);
    let (token, csrf) = state
        .store
        .create_session(&actor, chrono::Duration::hours(SESSION_HOURS))
        .await?;
    Ok((actor, token, csrf))
}

pub async fn api_login(
    State(state): State<AppState>,
    crate::client_addr::ClientAddr(addr): crate::client_addr::ClientAddr,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    let (actor, token, csrf) = login(&state, addr, &req.username, &req.password).await?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::IpAddr;

    /// A cache full of fresh tokens still takes the next one (it used to refuse it, and
    /// scanned all it held on every miss while holding its lock).
    #[test]
    fn a_full_token_cache_takes_the_next_token() {
        let cache = TokenCache::default();
        let actor = tongxin_store::Actor::system("t");
        for i in 0..TokenCache::MAX {
            cache.put(&format!("token-{i}"), actor.clone());
        }
        assert!(cache.get("token-0").is_some(), "fresh ones are kept");
        cache.put("one-more", actor.clone());
        assert!(cache.get("one-more").is_some(), "the next is cached too");
        assert!(cache.0.lock().map(|m| m.len()).unwrap_or(usize::MAX) <= TokenCache::MAX);
    }

    #[test]
    fn a_guesser_waits_longer_each_time_and_the_real_user_elsewhere_not_at_all() {
        let l = LoginLimiter::default();
        let guesser: IpAddr = [10, 0, 0, 1].into();
        let user: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..FREE_FAILURES {
            assert_eq!(l.wait(Attempt::Login(guesser), "alice"), None);
            l.failed(Attempt::Login(guesser), "alice");
        }
        let first = l
            .wait(Attempt::Login(guesser), "alice")
            .expect("a delay after the free tries");
        l.failed(Attempt::Login(guesser), "alice");
        let second = l.wait(Attempt::Login(guesser), "alice").expect("a longer delay");
        assert!(second > first, "{second:?} after {first:?}");
        // No hard lock of the account: alice at her own address logs in at once.
        assert_eq!(l.wait(Attempt::Login(user), "alice"), None);
    }

    #[test]
    fn spraying_many_usernames_from_one_address_is_stopped() {
        let l = LoginLimiter::default();
        let sprayer: IpAddr = [10, 0, 0, 3].into();
        for i in 0..ADDRESS_FAILURES {
            l.failed(Attempt::Login(sprayer), &format!("user{i}"));
        }
        assert!(l.wait(Attempt::Login(sprayer), "someone-new").is_some());
        // Long names cost a digest each, not their length.
        l.failed(Attempt::Login([10, 0, 0, 4].into()), &"x".repeat(1_000_000));
        let st = l.state.lock().expect("lock");
        assert!(st.0.len() <= ADDRESS_FAILURES as usize + 1);
    }

    #[test]
    fn an_address_budget_refuses_past_its_limit_and_others_go_on() {
        let b = AddressBudget::new(3, Duration::from_secs(600));
        let one: IpAddr = [10, 0, 0, 6].into();
        for _ in 0..3 {
            assert_eq!(b.spend(one), Ok(()));
        }
        let wait = b.spend(one).expect_err("the fourth");
        assert!(
            wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
            "{wait:?}"
        );
        assert_eq!(b.spend([10, 0, 0, 7].into()), Ok(()));
        // One IPv6 subscriber's /64 is one caller.
        let v6 = |s: &str| s.parse::<IpAddr>().expect("ip");
        for i in 0..3 {
            assert_eq!(b.spend(v6(&format!("2001:db8::{i}"))), Ok(()));
        }
        assert!(b.spend(v6("2001:db8::ffff")).is_err());
        // No limit at all when the limit is 0.
        let free = AddressBudget::new(0, Duration::from_secs(600));
        for _ in 0..1000 {
            assert_eq!(free.spend(one), Ok(()));
        }
    }

    #[test]
    fn wrong_confirmations_slow_their_own_account_only() {
        let l = LoginLimiter::default();
        for i in 0..ADDRESS_FAILURES {
            l.failed(Attempt::Confirmation, &format!("user{i}"));
        }
        // Others' wrong confirmations block no one else's confirmation or login.
        assert_eq!(l.wait(Attempt::Confirmation, "someone-else"), None);
        assert_eq!(l.wait(Attempt::Login([10, 0, 0, 5].into()), "someone-else"), None);
        for _ in 0..FREE_FAILURES {
            l.failed(Attempt::Confirmation, "bob");
        }
        assert!(l.wait(Attempt::Confirmation, "bob").is_some());
    }
}
