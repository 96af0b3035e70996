//! JSON API under `/api/v1`. Every handler takes the caller's [`ApiAuth`] and passes the
//! actor to the store, which filters by scope in SQL: another territory's id is a 404.

use crate::auth::{self, ApiAuth};
use crate::import_service;
use crate::{ApiError, AppState};
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};
use tongxin_domain::registry::{CarrierFields, Labelled, MemberFields, OrgFields, UnitFields, UnitLinkKind};
use tongxin_store::StoreError;
use tongxin_store::bulk::ImportMode;
use tongxin_store::registry::{ListQuery, MemberInput, OrgInput, UnitInput};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/auth/login", post(auth::api_login))
        .route("/api/v1/auth/logout", post(auth::api_logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/divisions/{code}", get(division))
        .route("/api/v1/divisions/{code}/children", get(division_children))
        .route("/api/v1/carriers", get(list_carriers).post(create_carrier))
        .route("/api/v1/carriers/{id}", get(get_carrier).put(update_carrier))
        .route("/api/v1/carriers/{id}/archive", post(archive_carrier))
        .route("/api/v1/carriers/{id}/history", get(carrier_history))
        .route("/api/v1/carriers/{id}/units", get(carrier_units))
        .route("/api/v1/units", get(list_units).post(create_unit))
        .route("/api/v1/units/{id}", get(get_unit).put(update_unit))
        .route("/api/v1/units/{id}/archive", post(archive_unit))
        .route("/api/v1/units/{id}/history", get(unit_history))
        .route("/api/v1/units/{id}/links", get(unit_links).post(link_unit))
        .route("/api/v1/orgs", get(list_orgs).post(create_org))
        .route("/api/v1/orgs/{id}", get(get_org).put(update_org))
        .route("/api/v1/orgs/{id}/archive", post(archive_org))
        .route("/api/v1/orgs/{id}/history", get(org_history))
        .route("/api/v1/orgs/{id}/members", get(org_members))
        .route("/api/v1/members", get(list_members).post(create_member))
        .route("/api/v1/members/search", post(search_members))
        .route("/api/v1/audit", get(audit_log))
        .route("/api/v1/members/{id}", get(get_member).put(update_member))
        .route("/api/v1/members/{id}/archive", post(archive_member))
        .route("/api/v1/members/{id}/history", get(member_history))
        .route("/api/v1/members/{id}/reveal", post(reveal_member))
        .route("/api/v1/instructors", get(list_instructors).post(create_instructor))
        .route("/api/v1/import", post(import))
        .route("/api/v1/export/{kind}", get(export))
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

fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    let s = Option::<String>::deserialize(d)?.unwrap_or_default();
    tongxin_import::parse_date(&s).map_err(|_| serde::de::Error::custom("date"))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CarrierBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub is_key: bool,
    #[serde(default)]
    pub division: String,
    #[serde(default)]
    pub address: String,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl CarrierBody {
    pub fn input(&self) -> Result<CarrierFields, StoreError> {
        let loc = self.lng.zip(self.lat);
        Ok(CarrierFields::parse(
            &self.name,
            &self.kind,
            self.is_key,
            &self.division,
            &self.address,
            loc,
        )?)
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct UnitBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub credit_code: String,
    #[serde(default, deserialize_with = "opt_i64")]
    pub employees: Option<i64>,
    #[serde(default)]
    pub division: String,
    #[serde(default)]
    pub address: String,
    #[serde(default, deserialize_with = "opt_i64")]
    pub carrier_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub instructor_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl UnitBody {
    pub fn input(&self) -> Result<UnitInput, StoreError> {
        let employees = self.employees.map(|e| e.to_string()).unwrap_or_default();
        let fields = UnitFields::parse(
            &self.name,
            &self.kind,
            &self.credit_code,
            &employees,
            &self.division,
            &self.address,
        )?;
        Ok(UnitInput {
            fields,
            carrier_id: self.carrier_id,
            instructor_id: self.instructor_id,
        })
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct OrgBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub division: String,
    #[serde(default)]
    pub secretary: String,
    #[serde(default, deserialize_with = "opt_date")]
    pub founded_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "opt_date")]
    pub term_ends_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub carrier_id: Option<i64>,
    #[serde(default)]
    pub unit_ids: Vec<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl OrgBody {
    pub fn input(&self) -> Result<OrgInput, StoreError> {
        let fields = OrgFields::parse(
            &self.name,
            &self.kind,
            &self.division,
            &self.secretary,
            self.founded_on,
            self.term_ends_on,
        )?;
        Ok(OrgInput {
            fields,
            parent_id: self.parent_id,
            carrier_id: self.carrier_id,
            unit_ids: self.unit_ids.clone(),
        })
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct MemberBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub resident_id: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default, deserialize_with = "opt_date")]
    pub joined_on: Option<NaiveDate>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub org_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub work_unit_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub version: Option<i64>,
}

impl MemberBody {
    pub fn input(&self) -> Result<MemberInput, StoreError> {
        let fields = MemberFields::parse(&self.name, &self.status, &self.resident_id, &self.phone, self.joined_on);
        let org_id = self.org_id.ok_or(StoreError::Reference { field: "org_id" });
        match (fields, org_id) {
            (Ok(fields), Ok(org_id)) => Ok(MemberInput {
                fields,
                org_id,
                work_unit_id: self.work_unit_id,
            }),
            (Err(e), _) => Err(StoreError::Invalid(e)),
            (_, Err(e)) => Err(e),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ArchiveBody {
    pub version: i64,
    #[serde(default = "yes")]
    pub archived: bool,
}

fn yes() -> bool {
    true
}

fn version_of(v: Option<i64>) -> Result<i64, ApiError> {
    v.ok_or_else(|| {
        let mut e = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation.required");
        e.detail = Some("version".into());
        e
    })
}

#[derive(Serialize)]
struct Me {
    username: String,
    role: String,
    scope: serde_json::Value,
}

async fn me(ApiAuth(a): ApiAuth) -> Json<Me> {
    let scope = match &a.actor.scope {
        tongxin_domain::scope::Scope::All => serde_json::json!("all"),
        tongxin_domain::scope::Scope::Within { division, org } => {
            serde_json::json!({"division": division.as_ref().map(|d| d.to_string()), "org_path": org.as_ref().map(|o| o.as_str().to_string())})
        }
    };
    Json(Me {
        username: a.actor.username,
        role: a.actor.role.code().into(),
        scope,
    })
}

/// A division is shown to an account whose territory contains it or lies below it (its
/// ancestors, for breadcrumbs); another territory's division is a 404 like any record.
fn division_visible(actor: &tongxin_store::Actor, code: &str) -> bool {
    match &actor.scope {
        tongxin_domain::scope::Scope::All => true,
        tongxin_domain::scope::Scope::Within { division: Some(d), .. } => {
            code.starts_with(d.as_str()) || d.as_str().starts_with(code)
        }
        tongxin_domain::scope::Scope::Within { division: None, .. } => false,
    }
}

async fn division(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    if !division_visible(&a.actor, &code) {
        return Err(StoreError::NotFound.into());
    }
    let d = s.store.division(&code).await?.ok_or(StoreError::NotFound)?;
    Ok(Json(d).into_response())
}

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
    if q.q
        .as_deref()
        .is_some_and(|s| tongxin_domain::codes::ResidentId::parse(s).is_ok())
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "request.personal_data_in_url",
        ));
    }
    Ok(())
}

/// Member search with the query in the body, so a full resident ID may be searched for.
async fn search_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(q): Json<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_members(&a.actor, &q).await?).into_response())
}

#[derive(Deserialize)]
struct AuditParams {
    limit: Option<u64>,
}

/// The newest audit entries: writes and full reads of personal data (administrators).
async fn audit_log(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Query(p): Query<AuditParams>,
) -> Result<Response, ApiError> {
    a.actor.require(tongxin_domain::access::Action::Administer)?;
    Ok(Json(s.store.audit_recent(p.limit.unwrap_or(100).clamp(1, 1000)).await?).into_response())
}

macro_rules! record_routes {
    ($list:ident, $get:ident, $history:ident, $archive:ident, $store_list:ident, $store_get:ident, $store_history:ident, $store_archive:ident) => {
        async fn $list(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Query(q): Query<ListQuery>,
        ) -> Result<Response, ApiError> {
            no_personal_data_in_url(&q)?;
            Ok(Json(s.store.$store_list(&a.actor, &q).await?).into_response())
        }
        async fn $get(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<i64>,
        ) -> Result<Response, ApiError> {
            Ok(Json(s.store.$store_get(&a.actor, id).await?).into_response())
        }
        async fn $history(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<i64>,
        ) -> Result<Response, ApiError> {
            Ok(Json(s.store.$store_history(&a.actor, id).await?).into_response())
        }
        async fn $archive(
            State(s): State<AppState>,
            ApiAuth(a): ApiAuth,
            Path(id): Path<i64>,
            Json(b): Json<ArchiveBody>,
        ) -> Result<Response, ApiError> {
            Ok(Json(
                s.store
                    .$store_archive(&a.actor, id, b.version, b.archived)
                    .await?,
            )
            .into_response())
        }
    };
}

record_routes!(
    list_carriers,
    get_carrier,
    carrier_history,
    archive_carrier,
    list_carriers,
    get_carrier,
    carrier_history,
    archive_carrier
);
record_routes!(
    list_units,
    get_unit,
    unit_history,
    archive_unit,
    list_units,
    get_unit,
    unit_history,
    archive_unit
);
record_routes!(
    list_orgs,
    get_org,
    org_history,
    archive_org,
    list_orgs,
    get_org,
    org_history,
    archive_org
);
record_routes!(
    list_members,
    get_member,
    member_history,
    archive_member,
    list_members,
    get_member,
    member_history,
    archive_member
);

async fn create_carrier(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<CarrierBody>,
) -> Result<Response, ApiError> {
    let v = s.store.create_carrier(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_carrier(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<CarrierBody>,
) -> Result<Response, ApiError> {
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_carrier(&a.actor, id, version, b.input()?).await?).into_response())
}

async fn carrier_units(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.units_of_carrier(&a.actor, id, &q).await?).into_response())
}

async fn create_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<UnitBody>,
) -> Result<Response, ApiError> {
    let v = s.store.create_unit(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<UnitBody>,
) -> Result<Response, ApiError> {
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_unit(&a.actor, id, version, b.input()?).await?).into_response())
}

async fn unit_links(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.unit_links(&a.actor, id).await?).into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LinkBody {
    /// `headquarters_of`, `franchisee_of` or `supplier_of`.
    pub kind: String,
    pub other_unit_id: i64,
}

async fn link_unit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<LinkBody>,
) -> Result<Response, ApiError> {
    let kind = UnitLinkKind::parse_any(&b.kind).ok_or(StoreError::Invalid(vec![
        tongxin_domain::DomainError::UnknownValue { field: "kind" },
    ]))?;
    s.store.link_units(&a.actor, id, kind, b.other_unit_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn create_org(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<OrgBody>,
) -> Result<Response, ApiError> {
    let v = s.store.create_org(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_org(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<OrgBody>,
) -> Result<Response, ApiError> {
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_org(&a.actor, id, version, b.input()?).await?).into_response())
}

async fn org_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.members_of_org(&a.actor, id, &q).await?).into_response())
}

async fn create_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<MemberBody>,
) -> Result<Response, ApiError> {
    let v = s.store.create_member(&a.actor, b.input()?).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn update_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Json(b): Json<MemberBody>,
) -> Result<Response, ApiError> {
    let version = version_of(b.version)?;
    Ok(Json(s.store.update_member(&a.actor, id, version, b.input()?).await?).into_response())
}

async fn reveal_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.reveal_member(&a.actor, id).await?).into_response())
}

async fn list_instructors(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_instructors(&a.actor).await?).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct InstructorBody {
    pub name: String,
    #[serde(default)]
    pub phone: String,
    /// The street (or other division) the instructor works in.
    pub division: String,
}

/// Records a party-building instructor (or returns the one of that name in the division).
async fn create_instructor(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Json(b): Json<InstructorBody>,
) -> Result<Response, ApiError> {
    use tongxin_domain::DomainError;
    let mut errs = Vec::new();
    let name = tongxin_domain::registry::required_name("name", &b.name)
        .map_err(|e| errs.push(e))
        .ok();
    let phone = match b.phone.trim() {
        "" => None,
        p => tongxin_domain::codes::Phone::parse(p)
            .map_err(|source| errs.push(DomainError::InvalidCode { field: "phone", source }))
            .ok(),
    };
    let division = tongxin_domain::codes::DivisionCode::parse(&b.division)
        .map_err(|source| {
            errs.push(DomainError::InvalidCode {
                field: "division",
                source,
            })
        })
        .ok();
    let (Some(name), Some(division)) = (name, division) else {
        return Err(StoreError::Invalid(errs).into());
    };
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs).into());
    }
    s.store.known_division(&division).await?;
    let v = s.store.ensure_instructor(&a.actor, &name, phone, &division).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportParams {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub skip_invalid: bool,
    pub kind: Option<String>,
}

/// `multipart/form-data` with a `file` part. Answers the report as JSON; with
/// `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` and row
/// errors, answers the error workbook instead.
async fn import(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Query(p): Query<ImportParams>,
    headers: axum::http::HeaderMap,
    mut mp: Multipart,
) -> Result<Response, ApiError> {
    // The right is checked before a byte of the upload is read.
    a.actor.require(tongxin_domain::access::Action::ImportExport)?;
    let (filename, bytes) = import_service::read_upload(&mut mp).await?;
    let kind = p.kind.as_deref().and_then(tongxin_import::Kind::parse);
    let mode = ImportMode {
        dry_run: p.dry_run,
        skip_invalid: p.skip_invalid,
    };
    let out = import_service::run(
        &s.store,
        &a.actor,
        bytes,
        &filename,
        kind,
        mode,
        tongxin_import::Limits::UPLOAD,
    )
    .await?;
    let wants_xlsx = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    match (wants_xlsx, out.error_workbook) {
        (true, Some(wb)) => Ok(import_service::xlsx_response("errors.xlsx", wb)),
        _ => {
            let status = if out.report.errors.is_empty() || out.report.committed {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, Json(out.report)).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    pub division: Option<String>,
    /// Members only: full resident IDs and phones (audited), for a round trip.
    #[serde(default)]
    pub reveal: bool,
}

async fn export(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let kind = tongxin_import::Kind::parse(&kind).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found"))?;
    if let Some(d) = p.division.as_deref().filter(|d| !d.is_empty())
        && !division_visible(&a.actor, d)
    {
        return Err(StoreError::NotFound.into());
    }
    let bytes = import_service::export(&s.store, &a.actor, kind, p.division.as_deref(), p.reveal).await?;
    Ok(import_service::xlsx_response(&format!("{}.xlsx", kind.code()), bytes))
}
