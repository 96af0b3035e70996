//! The alliance's API: joint conferences, their member units and liaisons, offices,
//! plenaries (attendance, admissions, items) and visits. Every handler passes the
//! caller's actor to the store, which checks the right; a write checks it before the
//! body is read.

use crate::api::{opt_i64, patch_date, version_of};
use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use tongxin_domain::alliance::{
    AllianceMemberId, ConferenceFields, ConferenceId, MemberFields, Office, PlenaryFields, PlenaryId, PostFields,
    PostInput, PostKind, Term, VisitFields,
};
use tongxin_domain::registry::{Labelled, UnitId};
use tongxin_domain::{DomainError, ErrorCode};
use tongxin_store::StoreError;
use tongxin_store::alliance::{
    Admission, AllianceMemberInput, AllianceMemberPatch, AllianceMemberView, AnnualSummary, ConferencePatch,
    ConferenceRight, ConferenceView, ListsImport, MatchView, OfficeView, PlenaryInput, PlenaryItemView, PlenaryPatch,
    PlenarySummary, PlenaryView, PostPatch, PostView, VisitView, VocabularyLine,
};

/// The alliance's routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, put, schema_of};
    vec![
        get(
            "/api/v1/alliance/conferences",
            "Joint conferences the caller sees: its territory's, those above it, its unit's (archived=true for archived ones)",
            list_conferences,
        )
        .returns(list_of::<ConferenceView>),
        post(
            "/api/v1/alliance/conferences",
            "Record a joint conference (parent_id for a sub-conference)",
            create_conference,
        )
        .returns(schema_of::<ConferenceView>)
        .body(schema_of::<ConferenceBody>),
        get("/api/v1/alliance/conferences/{id}", "One joint conference", get_conference)
            .returns(schema_of::<ConferenceView>),
        put(
            "/api/v1/alliance/conferences/{id}",
            "Edit a joint conference: only the fields sent change (send the version you read)",
            update_conference,
        )
        .returns(schema_of::<ConferenceView>)
        .body(schema_of::<ConferenceBody>),
        get(
            "/api/v1/alliance/conferences/{id}/members",
            "Member units (left=true to include those that left)",
            list_members,
        )
        .returns(list_of::<AllianceMemberView>),
        post(
            "/api/v1/alliance/conferences/{id}/members",
            "Add a member unit: unit_id for a registry unit, name for an outside organisation",
            add_member,
        )
        .returns(schema_of::<AllianceMemberView>)
        .body(schema_of::<MemberBody>),
        get(
            "/api/v1/alliance/conferences/{id}/members/{member}",
            "One member unit",
            get_member,
        )
        .returns(schema_of::<AllianceMemberView>),
        put(
            "/api/v1/alliance/conferences/{id}/members/{member}",
            "Edit a member unit (kind, dates; an outside organisation's name): only the fields sent change",
            update_member,
        )
        .returns(schema_of::<AllianceMemberView>)
        .body(schema_of::<MemberBody>),
        get(
            "/api/v1/alliance/conferences/{id}/members/{member}/liaisons",
            "The liaison accounts of a member unit",
            list_liaisons,
        )
        .returns(list_of::<LiaisonView>),
        post(
            "/api/v1/alliance/conferences/{id}/members/{member}/liaisons",
            "Make a unit-liaison account of the caller's territory a liaison of a member unit",
            add_liaison,
        )
        .no_content()
        .body(schema_of::<LiaisonBody>),
        post(
            "/api/v1/alliance/conferences/{id}/members/{member}/liaisons/{account}/remove",
            "Take a liaison off a member unit",
            remove_liaison,
        )
        .no_content(),
        get(
            "/api/v1/alliance/conferences/{id}/offices",
            "Offices and their terms: convener, the rotating conveners' schedule, vice conveners, secretary-general, secretariat",
            list_offices,
        )
        .returns(list_of::<OfficeView>),
        post(
            "/api/v1/alliance/conferences/{id}/offices",
            "Give a member unit an office for a term",
            add_office,
        )
        .returns(schema_of::<OfficeView>)
        .body(schema_of::<OfficeBody>),
        post(
            "/api/v1/alliance/conferences/{id}/offices/{office}/end",
            "End a term on ends_on, or withdraw it (ends_on absent or null) when entered in error",
            end_office,
        )
        .no_content()
        .body(schema_of::<EndBody>),
        get(
            "/api/v1/alliance/conferences/{id}/plenaries",
            "Plenary meetings, by number",
            list_plenaries,
        )
        .returns(list_of::<PlenarySummary>),
        post(
            "/api/v1/alliance/conferences/{id}/plenaries",
            "Record a plenary: numbered next unless number is given; chaired by the rotation of its date unless chair_id is given",
            create_plenary,
        )
        .returns(schema_of::<PlenarySummary>)
        .body(schema_of::<PlenaryBody>),
        get(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}",
            "A plenary's record: attendance, absences, admissions, items",
            get_plenary,
        )
        .returns(schema_of::<PlenaryView>),
        put(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}",
            "Edit a plenary: only the fields sent change (chair_id null goes back to the rotation's chair)",
            update_plenary,
        )
        .returns(schema_of::<PlenarySummary>)
        .body(schema_of::<PlenaryBody>),
        put(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}/attendance",
            "Set the member units present (each a member on the meeting's date)",
            set_attendance,
        )
        .no_content()
        .body(schema_of::<AttendanceBody>),
        post(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}/admissions",
            "Admit a unit at a plenary: it joins on the meeting's date (plaque=true: plaque handed there)",
            admit,
        )
        .returns(schema_of::<AllianceMemberView>)
        .body(schema_of::<AdmitBody>),
        post(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}/items",
            "Add a resolution, exchange, award or signing to a plenary's record",
            add_item,
        )
        .returns(schema_of::<PlenaryItemView>)
        .body(schema_of::<ItemBody>),
        post(
            "/api/v1/alliance/conferences/{id}/plenaries/{plenary}/items/{item}/remove",
            "Take an item off a plenary's record",
            remove_item,
        )
        .no_content(),
        get(
            "/api/v1/alliance/conferences/{id}/visits",
            "Visits to member units, newest first (member_id for one unit's)",
            list_visits,
        )
        .returns(list_of::<VisitView>),
        post(
            "/api/v1/alliance/conferences/{id}/visits",
            "Log a visit to a member unit",
            add_visit,
        )
        .returns(schema_of::<VisitView>)
        .body(schema_of::<VisitBody>),
        post(
            "/api/v1/alliance/conferences/{id}/posts/import",
            "Import needs and resources from a workbook (multipart file; add_unknown_units=true makes the units no member unit names new member units): every row or none; with Accept for xlsx and row errors, the error workbook",
            import_lists,
        )
        .returns_or_workbook(schema_of::<ListsImport>),
        get(
            "/api/v1/alliance/conferences/{id}/posts/export",
            "The needs and resources as a workbook in the import's layout (phones masked)",
            export_lists,
        )
        .workbook(),
        get(
            "/api/v1/alliance/conferences/{id}/summary",
            "The conference's year in figures (year, default this one): member units by kind, plenaries, admissions, needs, resources and projects by status, matches turned into projects, signings, pairs",
            annual_summary,
        )
        .returns(schema_of::<AnnualSummary>),
        get(
            "/api/v1/alliance/conferences/{id}/vocabulary",
            "The conference's own vocabulary: lines of words that mean one thing in its lists, beside the built-in ones",
            list_vocabulary,
        )
        .returns(list_of::<VocabularyLine>),
        post(
            "/api/v1/alliance/conferences/{id}/vocabulary",
            "Add lines to the vocabulary (an office): one meaning a line, two words or more, separated by spaces, commas or 、; a line naming a known word extends its meaning",
            add_vocabulary,
        )
        .returns(list_of::<VocabularyLine>)
        .body(schema_of::<VocabularyBody>),
        post(
            "/api/v1/alliance/conferences/{id}/vocabulary/{line}/remove",
            "Remove a line of the vocabulary (an office)",
            remove_vocabulary,
        )
        .no_content(),
        get(
            "/api/v1/alliance/conferences/{id}/posts",
            "Needs and resources of a conference, newest first (kind=need|resource, status=open|matched|closed, member_id)",
            list_posts,
        )
        .returns(list_of::<PostView>),
        post(
            "/api/v1/alliance/conferences/{id}/posts",
            "Post a need or a resource for a member unit (its liaison, or an office of the conference)",
            create_post,
        )
        .returns(schema_of::<PostView>)
        .body(schema_of::<PostBody>),
        get("/api/v1/alliance/posts/{post}", "One need or resource", get_post).returns(schema_of::<PostView>),
        put(
            "/api/v1/alliance/posts/{post}",
            "Edit a need or a resource: only the fields sent change (send the version you read)",
            update_post,
        )
        .returns(schema_of::<PostView>)
        .body(schema_of::<PostBody>),
        get(
            "/api/v1/alliance/needs/{post}/matches",
            "Resources that could meet a need, best first, each with its score and reasons (limit, default 10, at most 50)",
            need_matches,
        )
        .returns(list_of::<MatchView>),
        get(
            "/api/v1/alliance/resources/{post}/matches",
            "Needs a resource could meet, best first, each with its score and reasons (limit, default 10, at most 50)",
            resource_matches,
        )
        .returns(list_of::<MatchView>),
        get(
            "/api/v1/alliance/mine",
            "The member units whose liaison the caller is",
            mine,
        )
        .returns(list_of::<AllianceMemberView>),
    ]
}

pub(crate) fn invalid(e: DomainError) -> ApiError {
    StoreError::Invalid(vec![e]).into()
}

/// Checks the caller may keep conference `id` before a body is read.
async fn keeps(s: &AppState, a: &crate::auth::Auth, id: i64) -> Result<(), ApiError> {
    s.store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await
        .map_err(Into::into)
}

/// Most bytes an alliance body may hold (the longest is a plenary's agenda or an
/// attendance list of a few hundred ids).
const BODY_BYTES: usize = 64 * 1024;

/// A JSON body, read after the right was checked: too long is `request.too_large`,
/// malformed is `request.bad`, in the caller's language like every other refusal.
pub(super) async fn body<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, ApiError> {
    let bytes = axum::body::to_bytes(req.into_body(), BODY_BYTES)
        .await
        .map_err(|_| ApiError::new(ErrorCode::RequestTooLarge))?;
    serde_json::from_slice(&bytes).map_err(|why| {
        tracing::debug!(error = %why, "a malformed alliance body");
        ApiError::new(ErrorCode::BadRequest)
    })
}

#[derive(Deserialize, Default)]
struct ListParams {
    #[serde(default)]
    archived: bool,
}

async fn list_conferences(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<ListParams>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_conferences(&a.actor, p.archived).await?).into_response())
}

/// A conference as sent: every field optional on an edit (absent is unchanged).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ConferenceBody {
    pub version: Option<i64>,
    pub name: Option<String>,
    /// The district's or street's division code.
    pub division: Option<String>,
    /// The conference it sits under (on creation only).
    #[serde(default, deserialize_with = "opt_i64")]
    pub parent_id: Option<i64>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub founded_on: Option<Option<NaiveDate>>,
    /// Working mechanisms as the office writes them.
    pub mechanisms: Option<String>,
    pub archived: Option<bool>,
}

async fn create_conference(State(s): State<AppState>, ApiAuth(a): ApiAuth, req: Request) -> Result<Response, ApiError> {
    a.actor.require(tongxin_domain::access::Action::WriteAlliance)?;
    let b: ConferenceBody = body(req).await?;
    let t = |v: &Option<String>| v.clone().unwrap_or_default();
    let f = ConferenceFields::parse(&t(&b.name), &t(&b.division), b.founded_on.flatten(), &t(&b.mechanisms))
        .map_err(StoreError::Invalid)?;
    let v = s
        .store
        .create_conference(&a.actor, &f, b.parent_id.map(ConferenceId))
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_conference(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_conference(&a.actor, ConferenceId(id)).await?).into_response())
}

async fn update_conference(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: ConferenceBody = body(req).await?;
    let patch = ConferencePatch {
        name: b.name,
        division: b.division,
        founded_on: b.founded_on,
        mechanisms: b.mechanisms,
        archived: b.archived,
    };
    let v = s
        .store
        .update_conference(&a.actor, ConferenceId(id), version_of(b.version)?, &patch)
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Deserialize, Default)]
struct MembersParams {
    #[serde(default)]
    left: bool,
}

async fn list_members(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<MembersParams>,
) -> Result<Response, ApiError> {
    Ok(Json(
        s.store
            .list_alliance_members(&a.actor, ConferenceId(id), p.left)
            .await?,
    )
    .into_response())
}

/// A member unit as sent. On creation: `unit_id` or `name`, `kind`, `joined_on`.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct MemberBody {
    pub version: Option<i64>,
    /// A registry unit of the caller's territory.
    #[serde(default, deserialize_with = "opt_i64")]
    pub unit_id: Option<i64>,
    /// An outside organisation's name.
    pub name: Option<String>,
    /// `state_firm`, `university`… or 国企, 高校…
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub joined_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub plaque_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub left_on: Option<Option<NaiveDate>>,
}

async fn add_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: MemberBody = body(req).await?;
    let fields = MemberFields::parse(
        b.kind.as_deref().unwrap_or(""),
        b.joined_on.flatten(),
        b.plaque_on.flatten(),
        b.left_on.flatten(),
    )
    .map_err(StoreError::Invalid)?;
    let input = AllianceMemberInput {
        unit: b.unit_id.map(UnitId),
        name: b.name,
        fields,
    };
    let v = s.store.add_alliance_member(&a.actor, ConferenceId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, member)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    Ok(Json(
        s.store
            .get_alliance_member(&a.actor, ConferenceId(id), AllianceMemberId(member))
            .await?,
    )
    .into_response())
}

async fn update_member(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, member)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: MemberBody = body(req).await?;
    let joined_on = match b.joined_on {
        Some(None) => return Err(invalid(DomainError::Required { field: "joined_on" })),
        j => j.flatten(),
    };
    let patch = AllianceMemberPatch {
        name: b.name,
        kind: b.kind,
        joined_on,
        plaque_on: b.plaque_on,
        left_on: b.left_on,
    };
    let v = s
        .store
        .update_alliance_member(
            &a.actor,
            ConferenceId(id),
            AllianceMemberId(member),
            version_of(b.version)?,
            &patch,
        )
        .await?;
    Ok(Json(v).into_response())
}

/// A liaison account of a member unit.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct LiaisonView {
    pub account_id: i64,
    pub username: String,
}

async fn list_liaisons(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, member)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let v: Vec<LiaisonView> = s
        .store
        .alliance_liaisons(&a.actor, ConferenceId(id), AllianceMemberId(member))
        .await?
        .into_iter()
        .map(|(account_id, username)| LiaisonView { account_id, username })
        .collect();
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LiaisonBody {
    /// A unit-liaison account of the caller's territory.
    pub username: String,
}

async fn add_liaison(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, member)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: LiaisonBody = body(req).await?;
    s.store
        .add_alliance_liaison(&a.actor, ConferenceId(id), AllianceMemberId(member), &b.username)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn remove_liaison(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, member, account)): Path<(i64, i64, i64)>,
) -> Result<Response, ApiError> {
    s.store
        .remove_alliance_liaison(&a.actor, ConferenceId(id), AllianceMemberId(member), account)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_offices(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_alliance_offices(&a.actor, ConferenceId(id)).await?).into_response())
}

/// A term of office to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct OfficeBody {
    pub member_id: i64,
    /// `convener`, `rotating_convener`, `vice_convener`, `secretary_general`,
    /// `secretariat` (or 召集人, 轮值召集人…).
    pub office: String,
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<NaiveDate>,
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<NaiveDate>,
}

async fn add_office(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: OfficeBody = body(req).await?;
    let mut errors = vec![];
    let office = Office::parse_any(&b.office);
    if office.is_none() {
        errors.push(DomainError::UnknownValue { field: "office" });
    }
    let term = Term::parse(b.starts_on, b.ends_on).map_err(|e| errors.push(e)).ok();
    let (Some(office), Some(term)) = (office, term) else {
        return Err(StoreError::Invalid(errors).into());
    };
    let v = s
        .store
        .add_alliance_office(&a.actor, ConferenceId(id), AllianceMemberId(b.member_id), office, term)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct EndBody {
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<NaiveDate>,
}

async fn end_office(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, office)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: EndBody = body(req).await?;
    s.store
        .end_alliance_office(&a.actor, ConferenceId(id), office, b.ends_on)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_plenaries(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_plenaries(&a.actor, ConferenceId(id)).await?).into_response())
}

/// A plenary as sent: on creation `held_on` is required; on an edit every field is
/// optional (absent is unchanged).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct PlenaryBody {
    pub version: Option<i64>,
    /// The N of 第N次全体会议 (creation only; the next one when absent).
    pub number: Option<u32>,
    #[schema(value_type = Option<NaiveDate>)]
    pub held_on: Option<NaiveDate>,
    pub place: Option<String>,
    pub agenda: Option<String>,
    /// The chair when not the rotation's; null on an edit goes back to the rotation's.
    #[serde(default, deserialize_with = "crate::api::patch_i64")]
    #[schema(value_type = Option<i64>)]
    pub chair_id: Option<Option<i64>>,
}

async fn create_plenary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: PlenaryBody = body(req).await?;
    let fields = PlenaryFields::parse(
        b.held_on,
        b.place.as_deref().unwrap_or(""),
        b.agenda.as_deref().unwrap_or(""),
    )
    .map_err(StoreError::Invalid)?;
    let input = PlenaryInput {
        number: b.number,
        fields,
        chair: b.chair_id.flatten().map(AllianceMemberId),
    };
    let v = s.store.create_plenary(&a.actor, ConferenceId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_plenary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    Ok(Json(
        s.store
            .get_plenary(&a.actor, ConferenceId(id), PlenaryId(plenary))
            .await?,
    )
    .into_response())
}

async fn update_plenary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: PlenaryBody = body(req).await?;
    let patch = PlenaryPatch {
        held_on: b.held_on,
        place: b.place,
        agenda: b.agenda,
        chair: b.chair_id.map(|c| c.map(AllianceMemberId)),
    };
    let v = s
        .store
        .update_plenary(
            &a.actor,
            ConferenceId(id),
            PlenaryId(plenary),
            version_of(b.version)?,
            &patch,
        )
        .await?;
    Ok(Json(v).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AttendanceBody {
    /// Every member unit present (the whole list: those not in it were absent).
    pub member_ids: Vec<i64>,
}

async fn set_attendance(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: AttendanceBody = body(req).await?;
    let present: Vec<AllianceMemberId> = b.member_ids.into_iter().map(AllianceMemberId).collect();
    s.store
        .set_attendance(&a.actor, ConferenceId(id), PlenaryId(plenary), &present)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdmitBody {
    #[serde(default, deserialize_with = "opt_i64")]
    pub unit_id: Option<i64>,
    pub name: Option<String>,
    pub kind: String,
    /// The plaque (授牌) was handed at the meeting.
    #[serde(default)]
    pub plaque: bool,
}

async fn admit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: AdmitBody = body(req).await?;
    let v = s
        .store
        .admit_at_plenary(
            &a.actor,
            ConferenceId(id),
            PlenaryId(plenary),
            &Admission {
                unit: b.unit_id.map(UnitId),
                name: b.name,
                kind: b.kind,
                plaque: b.plaque,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ItemBody {
    /// `resolution`, `onsite_exchange`, `written_exchange`, `award`, `signing` (or 决议…).
    pub kind: String,
    pub text: String,
    /// The member unit it is about.
    #[serde(default, deserialize_with = "opt_i64")]
    pub member_id: Option<i64>,
}

async fn add_item(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary)): Path<(i64, i64)>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: ItemBody = body(req).await?;
    let v = s
        .store
        .add_plenary_item(
            &a.actor,
            ConferenceId(id),
            PlenaryId(plenary),
            &b.kind,
            &b.text,
            b.member_id.map(AllianceMemberId),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn remove_item(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, plenary, item)): Path<(i64, i64, i64)>,
) -> Result<Response, ApiError> {
    s.store
        .remove_plenary_item(&a.actor, ConferenceId(id), PlenaryId(plenary), item)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize, Default)]
struct VisitsParams {
    member_id: Option<i64>,
}

async fn list_visits(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<VisitsParams>,
) -> Result<Response, ApiError> {
    Ok(Json(
        s.store
            .list_visits(&a.actor, ConferenceId(id), p.member_id.map(AllianceMemberId))
            .await?,
    )
    .into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VisitBody {
    pub member_id: i64,
    #[schema(value_type = Option<NaiveDate>)]
    pub visited_on: Option<NaiveDate>,
    pub visitors: String,
    #[serde(default)]
    pub notes: String,
}

async fn add_visit(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: VisitBody = body(req).await?;
    let f = VisitFields::parse(b.visited_on, &b.visitors, &b.notes).map_err(StoreError::Invalid)?;
    let v = s
        .store
        .add_visit(&a.actor, ConferenceId(id), AllianceMemberId(b.member_id), &f)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct ListsImportParams {
    #[serde(default)]
    add_unknown_units: bool,
    /// Language of the row errors in the error workbook (`zh-CN` or `en`).
    lang: Option<String>,
}

/// `multipart/form-data` with one `file` part. The report as JSON (422 when nothing was
/// written); with `Accept` for xlsx and row errors, the error workbook.
async fn import_lists(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<ListsImportParams>,
    headers: axum::http::HeaderMap,
    req: Request,
) -> Result<Response, ApiError> {
    // The right is checked before a byte of the upload is read.
    keeps(&s, &a, id).await?;
    let mut mp = crate::import::service::multipart(req, &s).await?;
    let mut files = crate::import::service::read_upload(&mut mp).await?.files;
    if files.len() != 1 {
        return Err(ApiError::new(ErrorCode::BadRequest));
    }
    let lang = match p.lang.as_deref() {
        Some(l) => crate::i18n::Lang::parse(l),
        None => crate::shell::lang_of(&headers),
    };
    let out = tongxin_transfer::alliance::import_lists(
        &s.store,
        &a.actor,
        ConferenceId(id),
        files.remove(0),
        p.add_unknown_units,
        tongxin_import::Limits::UPLOAD,
        lang,
    )
    .await?;
    let wants_xlsx = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    match (wants_xlsx, out.error_workbook) {
        (true, Some(wb)) => Ok(crate::import::service::xlsx_response("errors.xlsx", wb)),
        _ => {
            let status = if out.report.committed {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, Json(out.report)).into_response())
        }
    }
}

async fn export_lists(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let bytes = tongxin_transfer::alliance::export_lists(&s.store, &a.actor, ConferenceId(id)).await?;
    Ok(crate::import::service::xlsx_response(
        &format!("lists-{id}.xlsx"),
        bytes,
    ))
}

async fn annual_summary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<super::summary_pages::YearParams>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.annual_summary(&a.actor, ConferenceId(id), p.year()).await?).into_response())
}

async fn list_vocabulary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.list_vocabulary(&a.actor, ConferenceId(id)).await?).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct VocabularyBody {
    /// One meaning a line (`老人 长者 乐龄族`); `#` starts a comment.
    pub lines: String,
}

async fn add_vocabulary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    keeps(&s, &a, id).await?;
    let b: VocabularyBody = body(req).await?;
    let v = s.store.add_vocabulary(&a.actor, ConferenceId(id), &b.lines).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn remove_vocabulary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path((id, line)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    s.store.remove_vocabulary(&a.actor, ConferenceId(id), line).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn mine(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> Result<Response, ApiError> {
    Ok(Json(s.store.my_alliance_members(&a.actor).await?).into_response())
}

#[derive(Deserialize, Default)]
struct PostsParams {
    kind: Option<String>,
    status: Option<String>,
    member_id: Option<i64>,
}

async fn list_posts(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<PostsParams>,
) -> Result<Response, ApiError> {
    let kind = PostKind::parse_field(p.kind.as_deref(), "kind").map_err(invalid)?;
    let v = s
        .store
        .list_posts(
            &a.actor,
            ConferenceId(id),
            kind,
            p.status.as_deref().filter(|s| !s.is_empty()),
            p.member_id.map(AllianceMemberId),
        )
        .await?;
    Ok(Json(v).into_response())
}

/// A need or a resource as sent. On creation `member_id`, `kind`, `title` and `division`
/// are required; on an edit every field is optional (absent is unchanged).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct PostBody {
    pub version: Option<i64>,
    /// The member unit it is posted for.
    #[serde(default, deserialize_with = "opt_i64")]
    pub member_id: Option<i64>,
    /// `need` or `resource` (需求, 资源); creation only.
    pub kind: Option<String>,
    pub title: Option<String>,
    /// `health`, `finance`… or as offices write it (卫生健康, 融资…).
    pub category: Option<String>,
    pub description: Option<String>,
    /// Division code of where it is needed or offered.
    pub division: Option<String>,
    pub place: Option<String>,
    pub audience: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<Option<NaiveDate>>,
    /// People it is for, or can take (`200` or `"200人"`).
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub people: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// `open` or `closed` (edits only).
    pub status: Option<String>,
}

async fn create_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Liaison)
        .await?;
    let b: PostBody = body(req).await?;
    let t = |v: &Option<String>| v.clone().unwrap_or_default();
    let (kind, title, category, description, division, place, audience, people, name, phone) = (
        t(&b.kind),
        t(&b.title),
        t(&b.category),
        t(&b.description),
        t(&b.division),
        t(&b.place),
        t(&b.audience),
        t(&b.people),
        t(&b.contact_name),
        t(&b.contact_phone),
    );
    let f = PostFields::parse(&PostInput {
        kind: &kind,
        title: &title,
        category: &category,
        description: &description,
        division: &division,
        place: &place,
        audience: &audience,
        starts_on: b.starts_on.flatten(),
        ends_on: b.ends_on.flatten(),
        people: &people,
        contact_name: &name,
        contact_phone: &phone,
    })
    .map_err(StoreError::Invalid)?;
    let member = b
        .member_id
        .ok_or_else(|| invalid(DomainError::Required { field: "member" }))?;
    let v = s
        .store
        .create_post(&a.actor, ConferenceId(id), AllianceMemberId(member), &f)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn get_post(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_post(&a.actor, id).await?).into_response())
}

async fn update_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_post_editable(&a.actor, id).await?;
    let b: PostBody = body(req).await?;
    let patch = PostPatch {
        title: b.title,
        category: b.category,
        description: b.description,
        division: b.division,
        place: b.place,
        audience: b.audience,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        people: b.people,
        contact_name: b.contact_name,
        contact_phone: b.contact_phone,
        status: b.status,
    };
    Ok(Json(
        s.store
            .update_post(&a.actor, id, version_of(b.version)?, &patch)
            .await?,
    )
    .into_response())
}

#[derive(Deserialize, Default)]
struct MatchParams {
    limit: Option<usize>,
}

/// The matches of a post of `kind`; a post of the other kind is not found here.
async fn matches_of(
    s: &AppState,
    a: &crate::auth::Auth,
    id: i64,
    kind: PostKind,
    limit: Option<usize>,
) -> Result<Response, ApiError> {
    let v = s
        .store
        .match_post_of_kind(&a.actor, id, kind, limit.unwrap_or(10))
        .await?;
    Ok(Json(v).into_response())
}

async fn need_matches(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<MatchParams>,
) -> Result<Response, ApiError> {
    matches_of(&s, &a, id, PostKind::Need, p.limit).await
}

async fn resource_matches(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<MatchParams>,
) -> Result<Response, ApiError> {
    matches_of(&s, &a, id, PostKind::Resource, p.limit).await
}
