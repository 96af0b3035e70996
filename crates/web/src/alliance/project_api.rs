//! The alliance's projects over the API: written from a need, a resource, a match or
//! directly; claims; signing; monthly reports and the months overdue; evaluation;
//! files. Rights are checked before a body or an upload is read.

use super::api::body;
use crate::api::{opt_i64, patch_date, version_of};
use crate::auth::ApiAuth;
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use serde::Deserialize;
use tongxin_domain::alliance::{
    ATTACHMENT_MAX_BYTES, AllianceMemberId, AttachmentId, AttachmentPurpose, ClaimRole, ConferenceId, Grade, PlenaryId,
    ProjectId, ProjectStage, ReportFields,
};
use tongxin_domain::registry::Labelled;
use tongxin_domain::{DomainError, ErrorCode};
use tongxin_store::StoreError;
use tongxin_store::alliance::{
    AttachmentView, ConferenceRight, OverdueReport, ProjectPatch, ProjectSummary, ProjectView, ReportView, Signing,
    Upload,
};

pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, list_of, post, put, schema_of};
    vec![
        get(
            "/api/v1/alliance/conferences/{id}/projects",
            "Projects of a conference, newest first (stage=open|signed|closed), each with the months it has not reported",
            list_projects,
        )
        .returns(list_of::<ProjectSummary>),
        post(
            "/api/v1/alliance/conferences/{id}/projects",
            "Write a project (an office): from a need, a resource or both (need_post_id, resource_post_id; fields left out are taken from them), or directly",
            create_project,
        )
        .returns(schema_of::<ProjectView>)
        .body(schema_of::<ProjectBody>),
        get(
            "/api/v1/alliance/conferences/{id}/overdue",
            "Monthly reports past their due day (the 10th of the next month) and not filed: for the offices and the secretariat",
            overdue,
        )
        .returns(list_of::<OverdueReport>),
        get(
            "/api/v1/alliance/projects/{project}",
            "One project with its claims, reports and files",
            get_project,
        )
        .returns(schema_of::<ProjectView>),
        put(
            "/api/v1/alliance/projects/{project}",
            "Edit a project (an office): only the fields sent change (send the version you read)",
            update_project,
        )
        .returns(schema_of::<ProjectView>)
        .body(schema_of::<ProjectBody>),
        post(
            "/api/v1/alliance/projects/{project}/claims",
            "A member unit claims an open project (its liaison, or an office); the first claim leads unless role says otherwise",
            claim,
        )
        .returns(schema_of::<ProjectView>)
        .body(schema_of::<ClaimBody>),
        post(
            "/api/v1/alliance/projects/{project}/sign",
            "Sign a claimed project (an office): at a plenary (its date) or on a day and occasion",
            sign,
        )
        .returns(schema_of::<ProjectView>)
        .body(schema_of::<SignBody>),
        post(
            "/api/v1/alliance/projects/{project}/reports",
            "File a monthly progress report of a signed project (a claiming unit's liaison, or an office)",
            file_report,
        )
        .returns(schema_of::<ReportView>)
        .body(schema_of::<ReportBody>),
        post(
            "/api/v1/alliance/projects/{project}/evaluation",
            "Close a signed project with its evaluation (an office)",
            evaluate,
        )
        .returns(schema_of::<ProjectView>)
        .body(schema_of::<EvaluationBody>),
        post(
            "/api/v1/alliance/projects/{project}/files",
            "Attach a file (multipart: file, purpose=signing|photo|other_file, report_id for a photo); PDF, images, Word or Excel, at most 10 MB, checked by content",
            attach,
        )
        .returns(schema_of::<AttachmentView>),
        get(
            "/api/v1/alliance/files/{file}",
            "A project's file, as stored",
            download,
        )
        .file(),
    ]
}

#[derive(Deserialize, Default)]
struct StageParams {
    stage: Option<String>,
}

async fn list_projects(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    Q(p): Q<StageParams>,
) -> Result<Response, ApiError> {
    let stage = ProjectStage::parse_field(p.stage.as_deref(), "stage").map_err(super::api::invalid)?;
    Ok(Json(s.store.list_projects(&a.actor, ConferenceId(id), stage).await?).into_response())
}

/// A project as sent. On creation `title` and `division` are required unless a need
/// or a resource gives them; on an edit every field is optional (absent is unchanged).
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ProjectBody {
    pub version: Option<i64>,
    pub title: Option<String>,
    /// `health`, `finance`… or as offices write it.
    pub category: Option<String>,
    pub description: Option<String>,
    /// Division code of where it takes place.
    pub division: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub starts_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub ends_on: Option<Option<NaiveDate>>,
    /// The need it answers (creation only).
    #[serde(default, deserialize_with = "opt_i64")]
    pub need_post_id: Option<i64>,
    /// The resource it uses (creation only).
    #[serde(default, deserialize_with = "opt_i64")]
    pub resource_post_id: Option<i64>,
}

async fn create_project(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await?;
    let b: ProjectBody = body(req).await?;
    let draft = s
        .store
        .project_draft(&a.actor, ConferenceId(id), b.need_post_id, b.resource_post_id)
        .await?;
    let input = draft.fill(
        b.title,
        b.category,
        b.description,
        b.division,
        b.starts_on.flatten(),
        b.ends_on.flatten(),
    )?;
    let v = s.store.create_project(&a.actor, ConferenceId(id), &input).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn overdue(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let v = s
        .store
        .overdue_reports(&a.actor, ConferenceId(id), Utc::now().date_naive())
        .await?;
    Ok(Json(v).into_response())
}

async fn get_project(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.get_project(&a.actor, ProjectId(id)).await?).into_response())
}

async fn update_project(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_project_right(&a.actor, ProjectId(id), ConferenceRight::Office)
        .await?;
    let b: ProjectBody = body(req).await?;
    let patch = ProjectPatch {
        title: b.title,
        category: b.category,
        description: b.description,
        division: b.division,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
    };
    let v = s
        .store
        .update_project(&a.actor, ProjectId(id), version_of(b.version)?, &patch)
        .await?;
    Ok(Json(v).into_response())
}

/// A claim as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ClaimBody {
    /// The member unit that claims.
    #[serde(default, deserialize_with = "opt_i64")]
    pub member_id: Option<i64>,
    /// `lead` or `partner` (牵头单位, 参与单位); left out: lead if none yet.
    pub role: Option<String>,
    pub note: Option<String>,
}

async fn claim(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_project_right(&a.actor, ProjectId(id), ConferenceRight::Liaison)
        .await?;
    let b: ClaimBody = body(req).await?;
    let member = b
        .member_id
        .ok_or_else(|| ApiError::from(StoreError::Invalid(vec![DomainError::Required { field: "member" }])))?;
    let role = ClaimRole::parse_field(b.role.as_deref(), "role").map_err(super::api::invalid)?;
    let v = s
        .store
        .claim_project(&a.actor, ProjectId(id), AllianceMemberId(member), role, b.note)
        .await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A signing as sent: a plenary, or a day and an occasion.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct SignBody {
    pub version: Option<i64>,
    #[serde(default, deserialize_with = "opt_i64")]
    pub plenary_id: Option<i64>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub signed_on: Option<Option<NaiveDate>>,
    /// Where, when not at a plenary (年度峰会, 专题签约会).
    pub occasion: Option<String>,
}

async fn sign(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_project_right(&a.actor, ProjectId(id), ConferenceRight::Office)
        .await?;
    let b: SignBody = body(req).await?;
    let signing = Signing {
        plenary: b.plenary_id.map(PlenaryId),
        signed_on: b.signed_on.flatten(),
        occasion: b.occasion,
    };
    let v = s
        .store
        .sign_project(&a.actor, ProjectId(id), version_of(b.version)?, &signing)
        .await?;
    Ok(Json(v).into_response())
}

/// A monthly report as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct ReportBody {
    /// `2026-03` (or 2026年3月).
    pub month: Option<String>,
    /// `on_track`, `at_risk`, `late`, `done` (正常推进, 存在风险, 进度滞后, 已完成).
    pub progress: Option<String>,
    /// 0–100.
    #[serde(default, deserialize_with = "crate::api::opt_text")]
    #[schema(value_type = Option<String>)]
    pub percent: Option<String>,
    pub text: Option<String>,
}

async fn file_report(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store.check_project_attachable(&a.actor, ProjectId(id)).await?;
    let b: ReportBody = body(req).await?;
    let t = |v: &Option<String>| v.clone().unwrap_or_default();
    let r =
        ReportFields::parse(&t(&b.month), &t(&b.progress), &t(&b.percent), &t(&b.text)).map_err(StoreError::Invalid)?;
    let v = s.store.file_report(&a.actor, ProjectId(id), &r).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// An evaluation as sent.
#[derive(Debug, Deserialize, Default, utoipa::ToSchema)]
pub struct EvaluationBody {
    pub version: Option<i64>,
    /// `excellent`, `good`, `fair`, `poor` (优秀, 良好, 一般, 较差).
    pub grade: Option<String>,
    #[serde(default, deserialize_with = "patch_date")]
    #[schema(value_type = Option<NaiveDate>)]
    pub closed_on: Option<Option<NaiveDate>>,
    pub text: Option<String>,
}

async fn evaluate(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    s.store
        .check_project_right(&a.actor, ProjectId(id), ConferenceRight::Office)
        .await?;
    let b: EvaluationBody = body(req).await?;
    let grade = Grade::parse_required(b.grade.as_deref(), "grade");
    let closed_on = b
        .closed_on
        .flatten()
        .ok_or(DomainError::Required { field: "closed_on" });
    let (grade, closed_on) = match (grade, closed_on) {
        (Ok(g), Ok(d)) => (g, d),
        (g, d) => {
            let errors = [g.err(), d.err()].into_iter().flatten().collect();
            return Err(StoreError::Invalid(errors).into());
        }
    };
    let v = s
        .store
        .evaluate_project(
            &a.actor,
            ProjectId(id),
            version_of(b.version)?,
            grade,
            closed_on,
            b.text,
        )
        .await?;
    Ok(Json(v).into_response())
}

/// A multipart form with at most one file, read part by part: the file's bytes stop
/// being read past [`ATTACHMENT_MAX_BYTES`] (never buffered whole first); its other
/// parts as text (the whole body is bounded by the server's limit).
pub(crate) struct FormWithFile {
    pub fields: std::collections::HashMap<String, String>,
    /// (name as sent, bytes), when a file was chosen.
    pub file: Option<(String, Vec<u8>)>,
}

pub(crate) async fn read_form_with_file(mp: &mut axum::extract::Multipart) -> Result<FormWithFile, ApiError> {
    let bad = |_| ApiError::new(ErrorCode::BadRequest);
    let mut out = FormWithFile {
        fields: Default::default(),
        file: None,
    };
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let part = field.name().unwrap_or_default().to_string();
        if part != "file" {
            let text = field.text().await.map_err(bad)?;
            out.fields.insert(part, text);
            continue;
        }
        if out.file.is_some() {
            return Err(ApiError::new(ErrorCode::TooManyFiles));
        }
        let name = field.file_name().unwrap_or("file").to_string();
        let mut bytes = Vec::new();
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|_| ApiError::new(ErrorCode::AttachmentTooLarge))?
        {
            if bytes.len() + chunk.len() > ATTACHMENT_MAX_BYTES {
                return Err(ApiError::new(ErrorCode::AttachmentTooLarge));
            }
            bytes.extend_from_slice(&chunk);
        }
        // An empty file input sends a part with no name and no bytes: no file.
        if !(bytes.is_empty() && name.is_empty()) {
            out.file = Some((name, bytes));
        }
    }
    Ok(out)
}

/// The upload a form names: its file, for `purpose` (the form's `purpose` field when
/// it has one) and the form's `report_id`.
pub(crate) fn upload_of(form: FormWithFile, purpose: Option<AttachmentPurpose>) -> Result<Option<Upload>, StoreError> {
    let mut errors = vec![];
    let purpose = match (purpose, form.fields.get("purpose").map(|p| p.trim())) {
        (Some(p), _) => Some(p),
        (None, None | Some("")) => Some(AttachmentPurpose::Other),
        (None, Some(p)) => AttachmentPurpose::parse_any(p).or_else(|| {
            errors.push(DomainError::UnknownValue { field: "purpose" });
            None
        }),
    };
    let report = match form.fields.get("report_id").map(|r| r.trim()) {
        None | Some("") => None,
        Some(r) => r.parse::<i64>().ok().or_else(|| {
            errors.push(DomainError::NotANumber { field: "report_id" });
            None
        }),
    };
    if !errors.is_empty() {
        return Err(StoreError::Invalid(errors));
    }
    Ok(match (purpose, form.file) {
        (Some(purpose), Some((name, bytes))) => Some(Upload {
            purpose,
            report,
            name,
            bytes,
        }),
        _ => None,
    })
}

async fn attach(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, ApiError> {
    // The right before a byte of the upload is read.
    s.store.check_project_attachable(&a.actor, ProjectId(id)).await?;
    let mut mp = crate::import::service::multipart(req, &s).await?;
    let form = read_form_with_file(&mut mp).await?;
    let up = upload_of(form, None)?
        .ok_or_else(|| ApiError::from(StoreError::Invalid(vec![DomainError::Required { field: "file" }])))?;
    let v = s.store.add_attachment(&a.actor, ProjectId(id), up).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// A file as a download: images shown inline, anything else saved; never cached by a
/// browser or a proxy; its type as found from its bytes when it was kept.
pub(crate) fn file_response(v: &AttachmentView, bytes: Vec<u8>) -> Response {
    let disposition = if v.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    // The name is sent percent-encoded (RFC 6266 filename*), so that Chinese names
    // survive and no character of a name can break the header.
    let encoded: String = v
        .file_name
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let mut r = (
        [
            (header::CONTENT_TYPE, v.content_type.clone()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"file\"; filename*=UTF-8''{encoded}"),
            ),
        ],
        bytes,
    )
        .into_response();
    crate::api::no_store(&mut r);
    r
}

async fn download(State(s): State<AppState>, ApiAuth(a): ApiAuth, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let (v, bytes) = s.store.read_attachment(&a.actor, AttachmentId(id)).await?;
    Ok(file_response(&v, bytes))
}
