//! JSON API under `/api/v1`. Every handler takes the caller's [`ApiAuth`] and passes the
//! actor to the store, which filters by scope in SQL: another territory's id is a 404.

use crate::auth::{self, ApiAuth};
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use tongxin_domain::ErrorCode;
use tongxin_store::StoreError;
use tongxin_store::registry::ListQuery;

/// The API's routes: the session, the caller, divisions and the audit log here, and
/// each area's own table (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    let mut all = shared();
    all.extend(crate::registry::api::table());
    all.extend(crate::centres::api::table());
    all.extend(crate::activities::api::table());
    all.extend(crate::alliance::api::table());
    all.extend(crate::alliance::project_api::table());
    all.extend(crate::alliance::selection_api::table());
    all.extend(crate::alliance::pairing_api::table());
    all.extend(crate::import::api::table());
    all
}

/// The routes every area shares.
fn shared() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, schema_of};
    use tongxin_store::audit::AuditEntry;

    use tongxin_store::divisions::Division;

    vec![
        post(
            "/api/v1/auth/login",
            "Log in with username and password; sets a session cookie, returns the CSRF token",
            auth::api_login,
        )
        .returns(schema_of::<auth::LoginResponse>)
        .body(schema_of::<auth::LoginRequest>)
        .layer(|h| h.layer(axum::extract::DefaultBodyLimit::max(auth::LOGIN_BODY_BYTES))),
        post("/api/v1/auth/logout", "End the session", auth::api_logout).no_content(),
        get("/api/v1/me", "The caller's account, role and scope", me).returns(schema_of::<Me>),
        get("/api/v1/divisions/{code}", "One administrative division", division).returns(schema_of::<Division>),
        get(
            "/api/v1/divisions/{code}/children",
            "Divisions directly below one (within the caller's territory)",
            division_children,
        )
        .returns(list_of::<Division>),
        get("/api/v1/audit", "The audit log (administrators)", audit_log).returns(list_of::<AuditEntry>),
    ]
}

/// Accepts a number, a numeric string or an empty string (forms send strings).
pub(crate) fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        N(i64),
        S(String),
    }
    match Option::<V>::deserialize(d)? {
        None => Ok(None),
        Some(V::N(n)) => Ok(Some(n)),
        Some(V::S(s)) if s.trim().is_empty() => Ok(None),
        Some(V::S(s)) => s.trim().parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A field of an edit that may be cleared: absent (`None`, left as it is), `null` or
/// `""` (`Some(None)`, cleared), or a value. Use with `#[serde(default)]`.
pub(crate) fn patch_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    opt_i64(d).map(Some)
}

pub(crate) fn patch_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

pub(crate) fn patch_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<NaiveDate>>, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    tongxin_import::parse_date(&s)
        .map(Some)
        .map_err(|_| serde::de::Error::custom("date"))
}

/// Text as typed, from a JSON string or number (`"1,200人"` or `1200`).
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        N(serde_json::Number),
        S(String),
    }
    Ok(Option::<V>::deserialize(d)?.map(|v| match v {
        V::N(n) => n.to_string(),
        V::S(s) => s,
    }))
}

pub(crate) fn text(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("")
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ArchiveBody {
    pub version: i64,
    #[serde(default = "yes")]
    pub archived: bool,
}

pub(crate) fn yes() -> bool {
    true
}

pub(crate) fn version_of(v: Option<i64>) -> Result<i64, ApiError> {
    v.ok_or_else(|| {
        let mut e = ApiError::new(ErrorCode::Required);
        e.detail = Some("version".into());
        e
    })
}

#[derive(Serialize, utoipa::ToSchema)]
struct Me {
    username: String,
    role: String,
    scope: MeScope,
}

/// Where an account may act: `"all"`, or within a division subtree and/or an
/// organisation's subtree.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
enum MeScope {
    All(Everywhere),
    Within {
        /// The division code the account's territory starts at.
        division: Option<String>,
        /// The organisation path (`/1/7/`) the account's subtree starts at.
        org_path: Option<String>,
    },
}

/// Every division and organisation (system administrators).
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum Everywhere {
    All,
}

async fn me(ApiAuth(a): ApiAuth) -> Json<Me> {
    let scope = match &a.actor.scope {
        tongxin_domain::scope::Scope::All => MeScope::All(Everywhere::All),
        tongxin_domain::scope::Scope::Within { division, org } => MeScope::Within {
            division: division.as_ref().map(|d| d.to_string()),
            org_path: org.as_ref().map(|o| o.as_str().to_string()),
        },
    };
    Json(Me {
        username: a.actor.username,
        role: a.actor.role.code().into(),
        scope,
    })
}

/// The caller may view this division (its records, figures and children): the domain's
/// one rule, [`tongxin_domain::scope::Scope::may_view_division`].
pub(crate) fn division_visible(actor: &tongxin_store::Actor, code: &str) -> bool {
    tongxin_domain::codes::DivisionCode::parse(code).is_ok_and(|c| actor.scope.may_view_division(&c))
}

/// One division by code: the caller's territory, below it, or the divisions above it
/// (for breadcrumbs); another territory's is a 404 like any record.
async fn division(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let named = tongxin_domain::codes::DivisionCode::parse(&code).is_ok_and(|c| a.actor.scope.may_name_division(&c));
    if !named {
        return Err(StoreError::NotFound.into());
    }
    let d = s.store.division(&code).await?.ok_or(StoreError::NotFound)?;
    Ok(Json(d).into_response())
}

/// The divisions below one in the caller's territory (never a district's other streets).
async fn division_children(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    if !division_visible(&a.actor, &code) {
        return Err(StoreError::NotFound.into());
    }
    Ok(Json(s.store.division_children(Some(&code)).await?).into_response())
}

/// A full resident ID never travels in a URL (PIPL; brief §7): URLs end up in browser
/// history and server logs. Searching by one goes through `POST …/members/search`.
pub(crate) fn no_personal_data_in_url(q: &ListQuery) -> Result<(), ApiError> {
    // A full ID, or an ID with fewer characters hidden than the masked form shows.
    let code = q.q.as_deref().map(tongxin_domain::text::code_form).unwrap_or_default();
    if tongxin_domain::codes::ResidentId::parse(&code).is_ok() || tongxin_domain::codes::is_partial_resident_id(&code) {
        return Err(ApiError::new(ErrorCode::PersonalDataInUrl));
    }
    Ok(())
}

#[derive(Deserialize)]
struct AuditParams {
    limit: Option<u64>,
}

/// The newest audit entries: writes and full reads of personal data (administrators).
async fn audit_log(State(s): State<AppState>, ApiAuth(a): ApiAuth, Q(p): Q<AuditParams>) -> Result<Response, ApiError> {
    // The store checks the right (administrators only).
    Ok(Json(
        s.store
            .audit_recent(&a.actor, p.limit.unwrap_or(100).clamp(1, 1000))
            .await?,
    )
    .into_response())
}

/// Checks the caller's own password again (for actions that reveal in bulk).
pub(crate) async fn confirm_password(
    s: &AppState,
    actor: &tongxin_store::Actor,
    password: &str,
) -> Result<(), ApiError> {
    // Counted like logins, per account, so a session cannot be used to guess its own
    // password.
    let from = auth::Attempt::Confirmation;
    s.limiter.check(from, &actor.username)?;
    let ok = s
        .store
        .verify_login(&actor.username, password)
        .await?
        .is_some_and(|v| v.account_id == actor.account_id);
    if ok {
        s.limiter.succeeded(from, &actor.username);
        Ok(())
    } else {
        s.limiter.failed(from, &actor.username);
        Err(ApiError::new(ErrorCode::ConfirmPassword))
    }
}

/// Marks a response that holds full personal data: no cache may keep it.
pub(crate) fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
}
