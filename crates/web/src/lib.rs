//! Tongxin web layer: the JSON API under `/api/v1` (OpenAPI at `/api/openapi.json`) and
//! the server-rendered console. Never writes SQL: every read and write goes through
//! `tongxin_store` with the caller's actor, so scope is enforced on the server.

mod accounts;
mod activities;
mod alliance;
mod api;
mod auth;
mod centres;
pub mod client_addr;
mod coverage;
mod error;
pub mod i18n;
pub mod import;
pub mod openapi;
mod pickers;
mod query;
mod registry;
mod request_log;
mod shell;
pub use shell::urlencode;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use std::sync::Arc;
use tongxin_domain::ErrorCode;
use tongxin_store::Store;
use tower_http::set_header::SetResponseHeaderLayer;

pub use error::{ApiError, status_of};

/// Largest request body accepted (an import upload), in bytes.
pub const MAX_BODY_BYTES: usize = tongxin_import::MAX_FILE_BYTES + 1024 * 1024;

/// Shared state of the server: a handle, cloned for every request (axum's `State`), so
/// one reference count, not one per part.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What the server's requests share ([`AppState`]).
pub struct Shared {
    pub store: Store,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    pub(crate) limiter: auth::LoginLimiter,
    /// The peers whose `X-Forwarded-For` names the client ([`client_addr`]).
    pub(crate) trusted_proxies: client_addr::TrustedProxies,
    /// Residents' registrations (no account) per address.
    pub(crate) residents: auth::AddressBudget,
    pub(crate) tokens: auth::TokenCache,
    pub(crate) error_workbooks: import::service::ErrorWorkbooks,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// How a server is set up beyond its store ([`AppState::with_options`]).
#[derive(Debug, Clone)]
pub struct Options {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies in front of the server, whose `X-Forwarded-For` is believed.
    pub trusted_proxies: client_addr::TrustedProxies,
    /// Registrations by residents without an account from one address (an IPv6 /64)
    /// in [`RESIDENT_WINDOW`]; 0 is no limit.
    pub resident_limit: u32,
}

/// The window of [`Options::resident_limit`].
pub const RESIDENT_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

impl Default for Options {
    fn default() -> Self {
        Options {
            secure_cookies: false,
            trusted_proxies: client_addr::TrustedProxies::default(),
            // Generous for a carrier's shared address in a flash sale, and a wall for a
            // script inventing phone numbers to take every place.
            resident_limit: 30,
        }
    }
}

impl AppState {
    pub fn new(store: Store, secure_cookies: bool) -> Self {
        Self::with_options(
            store,
            Options {
                secure_cookies,
                ..Options::default()
            },
        )
    }

    pub fn with_options(store: Store, o: Options) -> Self {
        AppState(Arc::new(Shared {
            store,
            secure_cookies: o.secure_cookies,
            trusted_proxies: o.trusted_proxies,
            residents: auth::AddressBudget::new(o.resident_limit, RESIDENT_WINDOW),
            limiter: auth::LoginLimiter::default(),
            tokens: auth::TokenCache::default(),
            error_workbooks: import::service::ErrorWorkbooks::default(),
        }))
    }
}

/// The whole application: API, console, static files, security headers.
pub fn router(state: AppState) -> Router {
    let headers = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        (
            // The site's own pages may ask for the location ("near me") and the camera
            // (the door's scan page); no frame, no other origin, and no microphone.
            HeaderName::from_static("permissions-policy"),
            "geolocation=(self), camera=(self), microphone=()",
        ),
    ];
    let mut app = Router::new()
        .merge(openapi::router())
        .merge(coverage::routes())
        .merge(coverage::closing::routes())
        .merge(registry::instructors::routes())
        .merge(registry::me::routes())
        .merge(centres::pages::routes())
        .merge(centres::bookings::routes())
        .merge(activities::pages::routes())
        .merge(activities::public::routes())
        .merge(alliance::lists::routes())
        .merge(alliance::list_files::routes())
        .merge(alliance::pairing_pages::routes())
        .merge(alliance::summary_pages::routes())
        .merge(alliance::project_pages::routes())
        .merge(alliance::selection_pages::routes())
        .merge(alliance::pages::routes())
        .merge(accounts::pages::routes())
        .merge(registry::routes())
        .merge(import::pages::routes())
        .merge(shell::routes())
        .fallback(shell::not_found)
        .route("/healthz", axum::routing::get(healthz))
        .route("/api/openapi.json", axum::routing::get(openapi::serve))
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(request_log::log));
    for (name, value) in headers {
        app = app.layer(SetResponseHeaderLayer::if_not_present(
            name,
            HeaderValue::from_static(value),
        ));
    }
    app
}

/// `ok` when the store reads and writes; `ok (writes waiting)` while a long write holds
/// the writer; 503 when the store cannot read or cannot write at all.
async fn healthz(axum::extract::State(s): axum::extract::State<AppState>) -> Result<&'static str, ApiError> {
    s.store.ping().await?;
    match s.store.write_ready().await {
        Ok(true) => Ok("ok"),
        Ok(false) => Ok("ok (writes waiting)"),
        Err(e) => {
            tracing::error!(error = %e, "the store cannot write");
            Err(ApiError::new(ErrorCode::CannotWrite))
        }
    }
}

/// Serves the application on a bound listener until the process is stopped.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    close_months(state.store.clone());
    recover_imports(state.store.clone());
    expire_offers(state.store.clone());
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Undoes, once a minute, imports whose process died while writing them (another
/// server's, or a command line's beside this one): their heartbeat stopped.
fn recover_imports(store: tongxin_store::Store) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(tongxin_store::bulk::ORPHANED_AFTER).await;
            if let Err(e) = store.recover_imports(tongxin_store::bulk::ORPHANED_AFTER).await {
                tracing::error!(error = %e, "an unfinished import could not be undone");
            }
        }
    });
}

/// Settles, every half minute, waitlist offers not confirmed in time: each expires when
/// due and its place goes to the next in line, whether or not anyone looks.
fn expire_offers(store: tongxin_store::Store) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EXPIRE_OFFERS_EVERY).await;
            match store.settle_expired_offers().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(activities = n, "expired waitlist offers settled"),
                Err(e) => tracing::warn!(error = %e, "settling expired waitlist offers failed"),
            }
        }
    });
}

/// How often [`expire_offers`] looks.
const EXPIRE_OFFERS_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// Takes each month's closing coverage snapshot once the month is over: checked at
/// start and every ten minutes (every server tries; the store keeps one per month).
fn close_months(store: tongxin_store::Store) {
    tokio::spawn(async move {
        loop {
            let today = chrono::Local::now().date_naive();
            match store.close_previous_month(today).await {
                Ok(Some(s)) => tracing::info!(period = %s.period, "coverage month closed"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "closing the coverage month failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(600)).await;
        }
    });
}
