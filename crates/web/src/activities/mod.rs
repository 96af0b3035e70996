//! Activities at service centres (活动): the API (`api.rs`) and the console's pages
//! (`pages.rs`, templates under `templates/activities/`): what is near me, an activity,
//! my registrations with their tickets, and the scan page at the door; `calendar.rs`,
//! a member's registrations as an iCalendar feed; `public.rs`, the residents' page of a
//! public activity (no account).

pub(crate) mod api;
pub(crate) mod calendar;
pub(crate) mod pages;
pub(crate) mod public;

use crate::auth::{Auth, MaybeApiAuth};
use crate::client_addr::ClientAddr;
use crate::{ApiError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// Who registers: an account, or a resident without one, who spends a registration of
/// their address's budget ([`crate::Options::resident_limit`]) before a byte of the
/// body is read — so a script inventing phone numbers cannot take every place of a
/// public activity, while one resident per phone still registers as before.
pub(crate) struct Registering(pub Option<Auth>);

impl FromRequestParts<AppState> for Registering {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let MaybeApiAuth(a) = MaybeApiAuth::from_request_parts(parts, state).await?;
        if a.is_none() {
            let ClientAddr(from) = ClientAddr::from_request_parts(parts, state).await?;
            spend_resident(state, from)?;
        }
        Ok(Registering(a))
    }
}

/// A resident on the residents' page (no account at all): their registration is
/// counted against their address's budget before the form is read; past it, the
/// translated error page.
pub(crate) struct ResidentPage;

impl FromRequestParts<AppState> for ResidentPage {
    type Rejection = axum::response::Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let spent = match ClientAddr::from_request_parts(parts, state).await {
            Ok(ClientAddr(from)) => spend_resident(state, from),
            Err(e) => Err(e),
        };
        spent
            .map(|()| ResidentPage)
            .map_err(|e| crate::shell::error_page(&parts.headers, None, e))
    }
}

/// Spends one resident's registration of `from`'s budget, or refuses with how long to wait.
pub(crate) fn spend_resident(state: &AppState, from: std::net::IpAddr) -> Result<(), ApiError> {
    state.residents.spend(from).map_err(|wait| {
        let mut e = ApiError::new(tongxin_domain::ErrorCode::RegistrationsLimited);
        e.retry_after = Some(wait.as_secs().max(1));
        e
    })
}
