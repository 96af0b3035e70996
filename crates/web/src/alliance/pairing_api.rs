//! Pairing (结对共建) over the API: pairs, their activities, the gap list. Rights are
//! checked before a body is read.

use super::api::{body, invalid};
use crate::api::version_of;
use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use tongxin_domain::DomainError;
use tongxin_domain::alliance::{ConferenceId, PairActivityFields, PairFields, PairKind};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{Labelled, OrgId, UnitId};
use tongxin_store::StoreError;
use tongxin_store::alliance::{ConferenceRight, PairActivityView, PairInput, PairView, PairingGaps};

pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, schema_of};
    vec![
        get(
            "/api/v1/alliance/conferences/{id}/pairs",
            "Pairs (结对共建) of a conference, active first (kind=branches|firm_community)",
            list_pairs,
        )
        .returns(list_of::<PairView>),
        post(
            "/api/v1/alliance/conferences/{id}/pairs",
            "Set up a pair (an office): two branches (org_a_id, org_b_id), or a firm (unit_id) and a community or village (community_code), in the territory",
            create_pair,
        )
        .returns(schema_of::<PairView>)
        .body(schema_of::<PairBody>),
        get(
            "/api/v1/alliance/conferences/{id}/pairing-gaps",
            "The pairing gaps: communities and villages without a partner firm, branches without a pair, pairs with nothing logged this year",
            pairing_gaps,
        )
        .returns(schema_of::<PairingGaps>),
        get("/api/v1/alliance/pairs/{pair}", "A pair with its activities, newest first", get_pair)
            .returns(schema_of::<PairWithActivities>),
        post(
            "/api/v1/alliance/pairs/{pair}/end",
            "End a pair on a day (send the version you read)",
            end_pair,
        )
        .returns(schema_of::<PairView>)
        .body(schema_of::<EndBody>),
        post(
            "/api/v1/alliance/pairs/{pair}/activities",
            "Log what a pair did together, on a day it was active",
            log_activity,
        )
        .returns(schema_of::<PairActivityView>)
        .body(schema_of::<ActivityBody>),
    ]
}

#[derive(Deserialize, Default)]
struct PairsParams {
    kind: Option<String>,
}

async fn list_pairs(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<PairsParams>,
) -> Result<Response, ApiError> {
    let kind = PairKind::parse_field(p.kind.as_deref(), "kind").map_err(invalid)?;
    Ok(Json(s.store.list_pairs(&a.actor, ConferenceId(id), kind).await?).into_response())
}

/// A pair as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct PairBody {
    /// `branches` or `firm_community` (支部结对, 企业结对居村).
    pub kind: Option<String>,
    #[schema(value_type = Option<NaiveDate>)]
    pub started_on: Option<NaiveDate>,
    #[schema(value_type = Option<NaiveDate>)]
    pub ended_on: Option<NaiveDate>,
    #[serde(default)]
    pub note: String,
    pub org_a_id: Option<i64>,
    pub org_b_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub community_code: Option<String>,
}

/// A pair's parties as sent, checked: the community a division code.
pub(crate) fn pair_input(
    f: Result<PairFields, Vec<DomainError>>,
    org_a: Option<i64>,
    org_b: Option<i64>,
    firm: Option<i64>,
    community: Option<&str>,
) -> Result<PairInput, StoreError> {
    let mut errors = vec![];
    let community = match community.map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match DivisionCode::parse(c) {
            Ok(d) => Some(d),
            Err(source) => {
                errors.push(DomainError::InvalidCode {
                    field: "community",
                    source,
                });
                None
            }
        },
    };
    let fields = f.map_err(|e| errors.extend(e)).ok();
    match fields {
        Some(fields) if errors.is_empty() => Ok(PairInput {
            fields,
            org_a: org_a.map(OrgId),
            org_b: org_b.map(OrgId),
            firm: firm.map(UnitId),
            community,
        }),
        _ => Err(StoreError::Invalid(errors)),
    }
}

async fn create_pair(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await?;
    let b: PairBody = body(req).await?;
    let input = pair_input(
        PairFields::parse(b.kind.as_deref().unwrap_or(""), b.started_on, b.ended_on, &b.note),
        b.org_a_id,
        b.org_b_id,
        b.unit_id,
        b.community_code.as_deref(),
    )?;
    let v = s.store.create_pair(&a.actor, ConferenceId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn pairing_gaps(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let today = Utc::now().date_naive();
    Ok(Json(s.store.pairing_gaps(&a.actor, ConferenceId(id), today).await?).into_response())
}

/// A pair and what it did.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PairWithActivities {
    pub pair: PairView,
    pub activities: Vec<PairActivityView>,
}

async fn get_pair(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let (pair, activities) = s.store.get_pair(&a.actor, id).await?;
    Ok(Json(PairWithActivities { pair, activities }).into_response())
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct EndBody {
    pub version: Option<i64>,
    #[schema(value_type = Option<NaiveDate>)]
    pub ended_on: Option<NaiveDate>,
}

async fn end_pair(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_pair_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: EndBody = body(req).await?;
    let on = b
        .ended_on
        .ok_or_else(|| invalid(DomainError::Required { field: "ended_on" }))?;
    let v = s.store.end_pair(&a.actor, id, version_of(b.version)?, on).await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ActivityBody {
    #[schema(value_type = Option<NaiveDate>)]
    pub held_on: Option<NaiveDate>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub notes: String,
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub people: Option<String>,
}

async fn log_activity(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_pair_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: ActivityBody = body(req).await?;
    let f = PairActivityFields::parse(b.held_on, &b.title, &b.notes, b.people.as_deref().unwrap_or(""))
        .map_err(StoreError::Invalid)?;
    let v = s.store.log_pair_activity(&a.actor, id, &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}
