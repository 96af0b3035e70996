//! Projects in the console: a conference's projects with the reports overdue, the form
//! that writes one (prefilled from a need, a resource or both), and a project's page
//! where units claim it, an office signs it (with the agreement), claiming units
//! report monthly (with photos), files are kept and an office closes it with its
//! evaluation.

use super::pages::{PAGE_ERROR, back_or_refusal, date_of, division_and_dates, id_of, options, required_id, text};
use super::project_api::{FormWithFile, file_response, read_form_with_file, upload_of};
use crate::auth::{self, PageAuth};
use crate::i18n::Lang;
use crate::query::Q;
use crate::shell::{CheckedForm, Ctx, FormField, check_csrf, ctx, error_page, field_messages, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::alliance::{
    AllianceMemberId, AttachmentId, AttachmentPurpose, Category, ClaimRole, ConferenceId, Grade, PlenaryId, Progress,
    ProjectFields, ProjectId, ProjectStage, ReportFields,
};
use tongxin_domain::registry::Labelled;
use tongxin_store::StoreError;
use tongxin_store::alliance::{
    ConferenceRight, ConferenceView, OverdueReport, PlenarySummary, ProjectPatch, ProjectSummary, ProjectView, Signing,
};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/{id}/projects", get(projects_page))
        .route(
            "/alliance/{id}/projects/new",
            get(new_project_page).post(new_project_submit),
        )
        .route("/alliance/projects/{project}", get(project_page))
        .route(
            "/alliance/projects/{project}/edit",
            get(edit_project_page).post(edit_project_submit),
        )
        .route("/alliance/projects/{project}/claim", post(claim_submit))
        .route("/alliance/projects/{project}/sign", post(sign_submit))
        .route("/alliance/projects/{project}/report", post(report_submit))
        .route("/alliance/projects/{project}/files", post(file_submit))
        .route("/alliance/projects/{project}/evaluate", post(evaluate_submit))
        .route("/alliance/files/{file}", get(file_download))
}

/// A project's stage in the page's language.
fn stage_words(lang: Lang, stage: &str) -> String {
    lang.t(&format!("alliance.stage_{stage}"))
}

// ---------------------------------------------------------------------------------------
// A conference's projects.

#[derive(Template)]
#[template(path = "alliance/projects.html")]
struct ProjectsPage {
    p: Ctx,
    c: ConferenceView,
    stage: String,
    /// (project, its stage in words)
    rows: Vec<(ProjectSummary, String)>,
    /// Reports overdue: shown to the offices and the secretariat.
    overdue: Option<Vec<OverdueReport>>,
    can_create: bool,
}

#[derive(serde::Deserialize, Default)]
struct StageParams {
    stage: Option<String>,
}

async fn projects_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<StageParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "alliance.projects");
    let lang = p.lang;
    let stage = match ProjectStage::parse_field(q.stage.as_deref(), "stage") {
        Ok(st) => st,
        Err(e) => return error_page(&headers, Some(&a), StoreError::Invalid(vec![e]).into()),
    };
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, ConferenceId(id)).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let rows = s.list_projects(&a.actor, c.id, stage).await?;
        let overdue = match s.overdue_reports(&a.actor, c.id, Utc::now().date_naive()).await {
            Ok(v) => Some(v),
            Err(StoreError::Forbidden) => None,
            Err(e) => return Err(e),
        };
        Ok((c, right, rows, overdue))
    }
    .await;
    let (c, right, rows, overdue) = match r {
        Ok(x) => x,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    p.title = format!("{} · {}", c.name, lang.t("alliance.projects"));
    render(&ProjectsPage {
        rows: rows
            .into_iter()
            .map(|x| {
                let w = stage_words(lang, &x.stage);
                (x, w)
            })
            .collect(),
        stage: stage.map(|s| s.code().to_string()).unwrap_or_default(),
        can_create: right == ConferenceRight::Office,
        overdue,
        c,
        p,
    })
}

// ---------------------------------------------------------------------------------------
// Writing and editing a project.

#[derive(Template)]
#[template(path = "alliance/project_form.html")]
struct ProjectFormPage {
    p: Ctx,
    c: ConferenceView,
    action: String,
    cancel: String,
    version: i64,
    categories: Vec<(String, String)>,
    division: FormField,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl ProjectFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

/// Where a project form posts and returns to: a new one of conference `c`, or project
/// `p` of it.
enum ProjectFormOf {
    New(i64),
    Edit(i64, i64),
}

async fn project_form_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    of: ProjectFormOf,
    version: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.projects");
    let lang = p.lang;
    let c = match of {
        ProjectFormOf::New(c) | ProjectFormOf::Edit(c, _) => c,
    };
    let c = match state.store.get_conference(&a.actor, ConferenceId(c)).await {
        Ok(c) => c,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = lang.t(match of {
        ProjectFormOf::New(_) => "alliance.project_new",
        ProjectFormOf::Edit(..) => "alliance.project_edit",
    });
    let division = FormField::picker_in(
        "division",
        lang.t("field.division"),
        PickTarget::Division,
        &values,
        &errors,
    );
    let mut categories = vec![(String::new(), lang.t("alliance.category_none"))];
    categories.extend(options::<Category>(lang));
    let refused = !errors.is_empty();
    let r = render(&ProjectFormPage {
        action: match of {
            ProjectFormOf::New(c) => format!("/alliance/{c}/projects/new"),
            ProjectFormOf::Edit(_, p) => format!("/alliance/projects/{p}/edit"),
        },
        cancel: match of {
            ProjectFormOf::New(c) => format!("/alliance/{c}/projects"),
            ProjectFormOf::Edit(_, p) => format!("/alliance/projects/{p}"),
        },
        version,
        categories,
        division,
        values,
        errors,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

#[derive(serde::Deserialize, Default)]
struct DraftParams {
    need: Option<i64>,
    resource: Option<i64>,
}

async fn new_project_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<DraftParams>,
) -> Response {
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        s.check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
            .await?;
        s.project_draft(&a.actor, ConferenceId(id), q.need, q.resource).await
    }
    .await;
    let d = match r {
        Ok(d) => d,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let mut values = if d.division.is_empty() {
        crate::pickers::home_division(&state, &a).await
    } else {
        HashMap::from([
            ("division".to_string(), d.division_name.clone()),
            ("division__id".to_string(), d.division.clone()),
        ])
    };
    let o = |x: Option<i64>| x.map(|v| v.to_string()).unwrap_or_default();
    let date = |x: Option<chrono::NaiveDate>| x.map(|v| v.to_string()).unwrap_or_default();
    values.extend([
        ("need_post_id".to_string(), o(d.need)),
        ("resource_post_id".to_string(), o(d.resource)),
        ("title".to_string(), d.title),
        ("category".to_string(), d.category),
        ("description".to_string(), d.description),
        ("starts_on".to_string(), date(d.starts_on)),
        ("ends_on".to_string(), date(d.ends_on)),
    ]);
    project_form_view(&state, &headers, &a, ProjectFormOf::New(id), 0, values, HashMap::new()).await
}

/// Reads the project form: the division picker resolved, every field checked at once.
async fn read_project_form(
    state: &AppState,
    a: &auth::Auth,
    lang: Lang,
    f: &mut HashMap<String, String>,
) -> Result<Result<ProjectFields, HashMap<String, String>>, ApiError> {
    let (division, starts_on, ends_on, mut errors) = division_and_dates(state, a, lang, f).await?;
    match ProjectFields::parse(
        text(f, "title"),
        text(f, "category"),
        text(f, "description"),
        &division,
        starts_on,
        ends_on,
    ) {
        Ok(v) if errors.is_empty() => Ok(Ok(v)),
        Ok(_) => Ok(Err(errors)),
        Err(es) => {
            for (k, v) in field_messages(lang, &ApiError::from(StoreError::Invalid(es)), "title") {
                errors.entry(k).or_insert(v);
            }
            Ok(Err(errors))
        }
    }
}

async fn new_project_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    if let Err(e) = state
        .store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let fields = match read_project_form(&state, &a, lang, &mut f).await {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => return project_form_view(&state, &headers, &a, ProjectFormOf::New(id), 0, f, errors).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let input = tongxin_store::alliance::ProjectInput {
        fields,
        need: id_of(&f, "need_post_id"),
        resource: id_of(&f, "resource_post_id"),
    };
    match state.store.create_project(&a.actor, ConferenceId(id), &input).await {
        Ok(v) => Redirect::to(&format!("/alliance/projects/{}", v.summary.id.0)).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "title");
            project_form_view(&state, &headers, &a, ProjectFormOf::New(id), 0, f, errors).await
        }
    }
}

async fn edit_project_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(project): Path<i64>,
) -> Response {
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        s.check_project_right(&a.actor, ProjectId(project), ConferenceRight::Office)
            .await?;
        s.get_project(&a.actor, ProjectId(project)).await
    }
    .await;
    let v = match r {
        Ok(v) => v,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    let date = |x: Option<chrono::NaiveDate>| x.map(|v| v.to_string()).unwrap_or_default();
    let values = HashMap::from([
        ("title".to_string(), v.summary.title.clone()),
        ("category".to_string(), o(&v.summary.category)),
        ("description".to_string(), o(&v.description)),
        ("division".to_string(), v.summary.division_name.clone()),
        ("division__id".to_string(), v.summary.division_code.clone()),
        ("starts_on".to_string(), date(v.starts_on)),
        ("ends_on".to_string(), date(v.ends_on)),
    ]);
    let of = ProjectFormOf::Edit(v.summary.conference_id.0, project);
    project_form_view(&state, &headers, &a, of, v.summary.version, values, HashMap::new()).await
}

async fn edit_project_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    let s = &state.store;
    let before = match async {
        s.check_project_right(&a.actor, ProjectId(project), ConferenceRight::Office)
            .await?;
        s.get_project(&a.actor, ProjectId(project)).await
    }
    .await
    {
        Ok(v) => v,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let of = || ProjectFormOf::Edit(before.summary.conference_id.0, project);
    let version = id_of(&f, "version").unwrap_or(before.summary.version);
    let fields = match read_project_form(&state, &a, lang, &mut f).await {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => return project_form_view(&state, &headers, &a, of(), version, f, errors).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    // Only what changed is written.
    let changed = |new: String, old: String| (new != old).then_some(new);
    let patch = ProjectPatch {
        title: changed(fields.title.clone(), before.summary.title.clone()),
        category: changed(
            fields.category.map(|c| c.code().to_string()).unwrap_or_default(),
            opt(&before.summary.category),
        ),
        description: changed(opt(&fields.description), opt(&before.description)),
        division: changed(fields.division.to_string(), before.summary.division_code.clone()),
        starts_on: (fields.starts_on != before.starts_on).then_some(fields.starts_on),
        ends_on: (fields.ends_on != before.ends_on).then_some(fields.ends_on),
    };
    match s.update_project(&a.actor, ProjectId(project), version, &patch).await {
        Ok(_) => Redirect::to(&format!("/alliance/projects/{project}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "title");
            project_form_view(&state, &headers, &a, of(), version, f, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A project's page.

/// A monthly report as its row shows it.
struct ReportRow {
    month: String,
    /// Its progress in words.
    progress: String,
    percent: i32,
    text: String,
    filed_late: bool,
    photos: Vec<AttachmentId>,
}

#[derive(Template)]
#[template(path = "alliance/project.html")]
struct ProjectPage {
    p: Ctx,
    c: ConferenceView,
    v: ProjectView,
    stage: String,
    category: String,
    is_office: bool,
    /// Member units the caller may claim for: (id, name).
    claimable: Vec<(String, String)>,
    /// The caller may report and attach files (an office or a claiming unit's liaison).
    may_report: bool,
    roles: Vec<(String, String)>,
    plenaries: Vec<PlenarySummary>,
    progress: Vec<(String, String)>,
    grades: Vec<(String, String)>,
    /// (claim, its role in words)
    claims: Vec<(String, String, String)>,
    reports: Vec<ReportRow>,
    this_month: String,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl ProjectPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

async fn project_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(project): Path<i64>,
) -> Response {
    project_view(&state, &headers, &a, project, HashMap::new(), HashMap::new()).await
}

async fn project_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    project: i64,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.projects");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let v = s.get_project(&a.actor, ProjectId(project)).await?;
        let c = s.get_conference(&a.actor, v.summary.conference_id).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let members = match right {
            ConferenceRight::Office => s.list_alliance_members(&a.actor, c.id, false).await?,
            ConferenceRight::Liaison => s
                .my_alliance_members(&a.actor)
                .await?
                .into_iter()
                .filter(|m| m.conference_id == c.id)
                .collect(),
            ConferenceRight::Public | ConferenceRight::Read => vec![],
        };
        let may_report = s.check_project_attachable(&a.actor, ProjectId(project)).await.is_ok();
        let plenaries = if right == ConferenceRight::Office {
            s.list_plenaries(&a.actor, c.id).await?
        } else {
            vec![]
        };
        Ok((v, c, right, members, may_report, plenaries))
    }
    .await;
    let (v, c, right, members, may_report, plenaries) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = v.summary.title.clone();
    let claimable = members
        .into_iter()
        .filter(|m| m.current && !v.summary.claimed_by.contains(&m.id))
        .map(|m| (m.id.0.to_string(), m.name))
        .collect();
    let role_words =
        |r: &str| ClaimRole::parse_any(r).map_or_else(String::new, |r| kind_text(lang, r.code(), r.label_zh()));
    let progress_words =
        |r: &str| Progress::parse_any(r).map_or_else(String::new, |r| kind_text(lang, r.code(), r.label_zh()));
    let refused = !errors.is_empty();
    p.flash_error = errors.get(PAGE_ERROR).cloned();
    let r = render(&ProjectPage {
        stage: stage_words(lang, &v.summary.stage),
        category: match (&v.summary.category, &v.summary.category_label) {
            (Some(c), Some(l)) => kind_text(lang, c, l),
            _ => String::new(),
        },
        is_office: right == ConferenceRight::Office,
        claimable,
        may_report,
        roles: options::<ClaimRole>(lang),
        progress: options::<Progress>(lang),
        grades: options::<Grade>(lang),
        claims: v
            .claims
            .iter()
            .map(|c| (c.member_name.clone(), role_words(&c.role), c.claimed_on.to_string()))
            .collect(),
        reports: v
            .reports
            .iter()
            .map(|r| ReportRow {
                month: r.month.clone(),
                progress: progress_words(&r.progress),
                percent: r.percent,
                text: r.text.clone().unwrap_or_default(),
                filed_late: r.filed_late,
                photos: r.photos.clone(),
            })
            .collect(),
        this_month: tongxin_domain::alliance::Month::of(Utc::now().date_naive()).to_string(),
        plenaries,
        errors,
        typed,
        v,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

/// After a form of a project's page: back to it, or the page again with the refusal.
async fn back_to_project<T>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    project: i64,
    r: Result<T, StoreError>,
    sent: (&str, &str, &HashMap<String, String>),
) -> Response {
    match back_or_refusal(headers, a, r, &format!("/alliance/projects/{project}"), sent) {
        Ok(r) => r,
        Err(refusal) => project_view(state, headers, a, project, refusal.errors, refusal.typed).await,
    }
}

async fn claim_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_project_right(&a.actor, ProjectId(project), ConferenceRight::Liaison)
            .await?;
        let member = required_id(&f, "member_id", "member")?;
        let role = ClaimRole::parse_field(f.get("role").map(String::as_str), "role")
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let note = Some(text(&f, "note").to_string()).filter(|n| !n.trim().is_empty());
        state
            .store
            .claim_project(&a.actor, ProjectId(project), AllianceMemberId(member), role, note)
            .await
    }
    .await;
    back_to_project(&state, &headers, &a, project, r, ("claim", "member", &f)).await
}

/// Reads a multipart form of a project's page after the right `need` was checked, and
/// checks its CSRF token: the form, or the response to give.
async fn project_multipart(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    project: i64,
    need: Option<ConferenceRight>,
    req: Request,
) -> Result<FormWithFile, Response> {
    let right = match need {
        Some(n) => state.store.check_project_right(&a.actor, ProjectId(project), n).await,
        None => state.store.check_project_attachable(&a.actor, ProjectId(project)).await,
    };
    if let Err(e) = right {
        return Err(error_page(headers, Some(a), e.into()));
    }
    let form = async {
        let mut mp = crate::import::service::multipart(req, state).await?;
        read_form_with_file(&mut mp).await
    }
    .await
    .map_err(|e| error_page(headers, Some(a), e))?;
    check_csrf(a, form.fields.get("csrf")).map_err(|e| error_page(headers, Some(a), e))?;
    Ok(form)
}

async fn sign_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(project): Path<i64>,
    req: Request,
) -> Response {
    let form = match project_multipart(&state, &headers, &a, project, Some(ConferenceRight::Office), req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let f = form.fields.clone();
    let s = &state.store;
    let r = async {
        let signed_on = date_of(&f, "signed_on", "signed_on").map_err(|e| StoreError::Invalid(vec![e]))?;
        let version = required_id(&f, "version", "version")?;
        // The agreement is checked and kept with the signing, in one transaction.
        let upload = upload_of(form, Some(AttachmentPurpose::Signing))?;
        let signing = Signing {
            plenary: id_of(&f, "plenary_id").map(PlenaryId),
            signed_on,
            occasion: Some(text(&f, "occasion").to_string()).filter(|o| !o.trim().is_empty()),
        };
        s.sign_project_with(&a.actor, ProjectId(project), version, &signing, upload)
            .await
    }
    .await;
    back_to_project(&state, &headers, &a, project, r, ("sign", "signed_on", &f)).await
}

async fn report_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(project): Path<i64>,
    req: Request,
) -> Response {
    let form = match project_multipart(&state, &headers, &a, project, None, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let f = form.fields.clone();
    let s = &state.store;
    let r = async {
        let fields = ReportFields::parse(
            text(&f, "month"),
            text(&f, "progress"),
            text(&f, "percent"),
            text(&f, "text"),
        )
        .map_err(StoreError::Invalid)?;
        let upload = upload_of(form, Some(AttachmentPurpose::Photo))?;
        s.file_report_with(&a.actor, ProjectId(project), &fields, upload).await
    }
    .await;
    back_to_project(&state, &headers, &a, project, r, ("report", "month", &f)).await
}

async fn file_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(project): Path<i64>,
    req: Request,
) -> Response {
    let form = match project_multipart(&state, &headers, &a, project, None, req).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let f = form.fields.clone();
    let r = async {
        let u = upload_of(form, None)?.ok_or(StoreError::Invalid(vec![DomainError::Required { field: "file" }]))?;
        state.store.add_attachment(&a.actor, ProjectId(project), u).await
    }
    .await;
    back_to_project(&state, &headers, &a, project, r, ("files", "file", &f)).await
}

async fn evaluate_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(project): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_project_right(&a.actor, ProjectId(project), ConferenceRight::Office)
            .await?;
        let mut errors = vec![];
        let grade = Grade::parse_required(f.get("grade").map(String::as_str), "grade")
            .map_err(|e| errors.push(e))
            .ok();
        let closed_on = match date_of(&f, "closed_on", "closed_on") {
            Ok(Some(d)) => Some(d),
            Ok(None) => {
                errors.push(DomainError::Required { field: "closed_on" });
                None
            }
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let version = required_id(&f, "version", "version")?;
        let (Some(grade), Some(closed_on)) = (grade, closed_on) else {
            return Err(StoreError::Invalid(errors));
        };
        let words = Some(text(&f, "text").to_string()).filter(|t| !t.trim().is_empty());
        state
            .store
            .evaluate_project(&a.actor, ProjectId(project), version, grade, closed_on, words)
            .await
    }
    .await;
    back_to_project(&state, &headers, &a, project, r, ("evaluate", "grade", &f)).await
}

async fn file_download(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(file): Path<i64>,
) -> Response {
    match state.store.read_attachment(&a.actor, AttachmentId(file)).await {
        Ok((v, bytes)) => file_response(&v, bytes),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}
