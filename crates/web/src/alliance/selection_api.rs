//! Selection (评选) over the API: calls, judges, recommendations, scores, moves,
//! publication and awards. Rights are checked before a body is read.

use super::api::body;
use crate::api::{opt_i64, patch_date, version_of};
use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tongxin_domain::DomainError;
use tongxin_domain::alliance::{AllianceMemberId, CallFields, ConferenceId, PlenaryId};
use tongxin_store::StoreError;
use tongxin_store::alliance::{CallSummary, CallView, ConferenceRight};

pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, schema_of};
    vec![
        get(
            "/api/v1/alliance/conferences/{id}/calls",
            "Calls (征集) for brand projects, key projects or excellent branches, newest first",
            list_calls,
        )
        .returns(list_of::<CallSummary>),
        post(
            "/api/v1/alliance/conferences/{id}/calls",
            "Open a call (an office): kind, title, year, quota, scale and criteria as `name:weight` lines adding up to 100",
            create_call,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<CallBody>),
        get(
            "/api/v1/alliance/calls/{call}",
            "A call with its criteria, judges and candidates in rank order",
            get_call,
        )
        .returns(schema_of::<CallView>),
        post(
            "/api/v1/alliance/calls/{call}/judges",
            "Make an office account of the territory a judge of the call",
            add_judge,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<JudgeBody>),
        post(
            "/api/v1/alliance/calls/{call}/candidates",
            "Recommend a candidate (a signed project, or a party organisation for a branch call); a liaison in its unit's name",
            nominate,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<CandidateBody>),
        post(
            "/api/v1/alliance/calls/{call}/candidates/{candidate}/scores",
            "A judge's scores of a candidate, by criterion, within the call's scale",
            score,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<ScoresBody>),
        post(
            "/api/v1/alliance/calls/{call}/candidates/{candidate}/move",
            "Move a candidate to a place (none: back to where its score puts it), with the reason (an office; audited)",
            move_candidate,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<MoveBody>),
        post(
            "/api/v1/alliance/calls/{call}/publish",
            "Publish the results (an office): places frozen, the first `quota` selected",
            publish,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<PublishBody>),
        post(
            "/api/v1/alliance/calls/{call}/award",
            "Record the awards of a published call as handed out at a plenary (its record gains them)",
            award,
        )
        .returns(schema_of::<CallView>)
        .body(schema_of::<AwardBody>),
    ]
}

async fn list_calls(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_calls(&a.actor, ConferenceId(id)).await?).into_response())
}

/// A call as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct CallBody {
    /// `brand_project`, `key_project`, `excellent_branch` (品牌项目, 重点项目, 百优支部).
    pub kind: Option<String>,
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub year: Option<String>,
    /// How many are selected.
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub quota: Option<String>,
    /// Scores run from 0 to this (default 100).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub scale: Option<String>,
    /// One criterion a line: `工作成效:40`.
    pub criteria: Option<String>,
    pub notes: Option<String>,
}

async fn create_call(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await?;
    let b: CallBody = body(req).await?;
    let t = |v: &Option<String>| v.clone().unwrap_or_default();
    let scale = b
        .scale
        .clone()
        .filter(|x| !x.trim().is_empty())
        .unwrap_or_else(|| "100".into());
    let f = CallFields::parse(
        &t(&b.kind),
        &t(&b.title),
        &t(&b.year),
        &t(&b.quota),
        &scale,
        &t(&b.criteria),
        &t(&b.notes),
    )
    .map_err(StoreError::Invalid)?;
    let v = s.store.create_call(&a.actor, ConferenceId(id), &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_call(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_call(&a.actor, id).await?).into_response())
}

/// A judge as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct JudgeBody {
    pub username: Option<String>,
}

async fn add_judge(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_call_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: JudgeBody = body(req).await?;
    let v = s
        .store
        .add_judge(&a.actor, id, b.username.as_deref().unwrap_or(""))
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A recommendation as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct CandidateBody {
    /// The project's id (project calls) or the party organisation's (branch calls).
    #[serde(default, deserialize_with = "opt_i64")]
    pub subject_id: Option<i64>,
    /// The member unit recommending it (a liaison's own; an office may leave it out).
    #[serde(default, deserialize_with = "opt_i64")]
    pub recommended_by: Option<i64>,
    pub reason: Option<String>,
}

async fn nominate(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_call_right(&a.actor, id, ConferenceRight::Liaison).await?;
    let b: CandidateBody = body(req).await?;
    let subject = b
        .subject_id
        .ok_or_else(|| ApiError::from(StoreError::Invalid(vec![DomainError::Required { field: "subject" }])))?;
    s.store
        .nominate(&a.actor, id, subject, b.recommended_by.map(AllianceMemberId), b.reason)
        .await?;
    Ok((StatusCode::CREATED, Json(s.store.get_call(&a.actor, id).await?)).into_response())
}

/// One criterion's score.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ScoreBody {
    pub criterion_id: i64,
    pub score: i64,
}

/// A judge's scores of one candidate.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ScoresBody {
    #[serde(default)]
    pub scores: Vec<ScoreBody>,
}

async fn score(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, candidate)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    // Judges read the call; whether the caller is one of its judges the store checks.
    s.store.check_call_right(&a.actor, id, ConferenceRight::Read).await?;
    let b: ScoresBody = body(req).await?;
    let pairs: Vec<(i64, i64)> = b.scores.iter().map(|x| (x.criterion_id, x.score)).collect();
    s.store.score(&a.actor, id, candidate, &pairs).await?;
    Ok(Json(s.store.get_call(&a.actor, id).await?).into_response())
}

/// A move as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct MoveBody {
    /// The place, from 1; left out: back to where its score puts it.
    #[serde(default, deserialize_with = "opt_i64")]
    pub moved_to: Option<i64>,
    pub reason: Option<String>,
}

/// A place as sent: from 1.
pub(crate) fn place_of(raw: Option<i64>) -> Result<Option<u32>, StoreError> {
    match raw {
        None => Ok(None),
        Some(n) => u32::try_from(n)
            .ok()
            .filter(|n| *n >= 1)
            .map(Some)
            .ok_or(StoreError::Invalid(vec![DomainError::OutOfRange { field: "moved_to" }])),
    }
}

async fn move_candidate(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, candidate)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_call_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: MoveBody = body(req).await?;
    let to = place_of(b.moved_to)?;
    let v = s
        .store
        .move_candidate(&a.actor, id, candidate, to, b.reason.as_deref().unwrap_or(""))
        .await?;
    Ok(Json(v).into_response())
}

/// A publication as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct PublishBody {
    pub version: Option<i64>,
    /// Default: today.
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub published_on: Option<Option<NaiveDate>>,
}

async fn publish(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_call_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: PublishBody = body(req).await?;
    let on = b.published_on.flatten().unwrap_or_else(|| Utc::now().date_naive());
    Ok(Json(s.store.publish_call(&a.actor, id, version_of(b.version)?, on).await?).into_response())
}

/// An award as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct AwardBody {
    #[serde(default, deserialize_with = "opt_i64")]
    pub plenary_id: Option<i64>,
}

async fn award(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_call_right(&a.actor, id, ConferenceRight::Office).await?;
    let b: AwardBody = body(req).await?;
    let p = b
        .plenary_id
        .ok_or_else(|| ApiError::from(StoreError::Invalid(vec![DomainError::Required { field: "plenary" }])))?;
    Ok(Json(s.store.award_call(&a.actor, id, PlenaryId(p)).await?).into_response())
}
