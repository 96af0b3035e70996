//! Selection (评选) in the console: a conference's calls and the form that opens one, and
//! a call's page where units and offices recommend, judges score, an office moves a
//! candidate with its reason, publishes the results and records the awards.

use super::pages::{PAGE_ERROR, back_or_refusal, id_of, options, required_id, text};
use super::selection_api::place_of;
use crate::auth::{self, PageAuth};
use crate::pickers::{PickSpec, resolve};
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, field_messages, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::alliance::{AllianceMemberId, CallFields, CallKind, ConferenceId, PlenaryId};
use tongxin_domain::registry::Labelled;
use tongxin_store::StoreError;
use tongxin_store::alliance::{CallSummary, CallView, ConferenceRight, ConferenceView, PlenarySummary};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/{id}/calls", get(calls_page).post(new_call_submit))
        .route("/alliance/calls/{call}", get(call_page))
        .route("/alliance/calls/{call}/judges", post(judge_submit))
        .route("/alliance/calls/{call}/candidates", post(nominate_submit))
        .route(
            "/alliance/calls/{call}/candidates/{candidate}/scores",
            post(score_submit),
        )
        .route("/alliance/calls/{call}/candidates/{candidate}/move", post(move_submit))
        .route("/alliance/calls/{call}/publish", post(publish_submit))
        .route("/alliance/calls/{call}/award", post(award_submit))
}

// ---------------------------------------------------------------------------------------
// A conference's calls.

#[derive(Template)]
#[template(path = "alliance/calls.html")]
struct CallsPage {
    p: Ctx,
    c: ConferenceView,
    /// (call, its kind in words)
    rows: Vec<(CallSummary, String)>,
    can_create: bool,
    kinds: Vec<(String, String)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl CallsPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

async fn calls_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    let year = Utc::now().date_naive().format("%Y").to_string();
    let values = HashMap::from([
        ("year".to_string(), year),
        ("quota".to_string(), "10".to_string()),
        ("scale".to_string(), "100".to_string()),
    ]);
    calls_view(&state, &headers, &a, id, values, HashMap::new()).await
}

async fn calls_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.calls");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, ConferenceId(id)).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let rows = s.list_calls(&a.actor, c.id).await?;
        Ok((c, right, rows))
    }
    .await;
    let (c, right, rows) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = format!("{} · {}", c.name, lang.t("alliance.calls"));
    let refused = !errors.is_empty();
    let r = render(&CallsPage {
        rows: rows
            .into_iter()
            .map(|x| {
                let k =
                    CallKind::parse_any(&x.kind).map_or_else(String::new, |k| kind_text(lang, k.code(), k.label_zh()));
                (x, k)
            })
            .collect(),
        can_create: right == ConferenceRight::Office,
        kinds: options::<CallKind>(lang),
        values,
        errors,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

async fn new_call_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    if let Err(e) = state
        .store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let parsed = CallFields::parse(
        text(&f, "kind"),
        text(&f, "title"),
        text(&f, "year"),
        text(&f, "quota"),
        text(&f, "scale"),
        text(&f, "criteria"),
        text(&f, "notes"),
    );
    let r = match parsed {
        Ok(fields) => state.store.create_call(&a.actor, ConferenceId(id), &fields).await,
        Err(es) => Err(StoreError::Invalid(es)),
    };
    match r {
        Ok(v) => Redirect::to(&format!("/alliance/calls/{}", v.summary.id)).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "title");
            calls_view(&state, &headers, &a, id, f, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A call's page.

#[derive(Template)]
#[template(path = "alliance/call.html")]
struct CallPage {
    p: Ctx,
    c: ConferenceView,
    v: CallView,
    kind: String,
    is_office: bool,
    /// Candidates the caller may recommend: (id, name) of signed projects; empty for a
    /// branch call (its form has an organisation picker).
    subjects: Vec<(String, String)>,
    selects_projects: bool,
    org: FormField,
    /// Units the caller may recommend in the name of: (id, name).
    recommenders: Vec<(String, String)>,
    can_recommend: bool,
    plenaries: Vec<PlenarySummary>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl CallPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }

    /// The caller's score of candidate `n` on criterion `c`, as its input shows it.
    fn my_score(&self, n: &i64, c: &i64) -> String {
        self.v
            .candidates
            .iter()
            .find(|x| x.id == *n)
            .and_then(|x| x.my_scores.get(c))
            .map(|s| s.to_string())
            .unwrap_or_default()
    }
}

async fn call_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(call): Path<i64>,
) -> Response {
    call_view(&state, &headers, &a, call, HashMap::new(), HashMap::new()).await
}

async fn call_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    call: i64,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.calls");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let v = s.get_call(&a.actor, call).await?;
        let c = s.get_conference(&a.actor, v.summary.conference_id).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let kind = CallKind::parse_any(&v.summary.kind).unwrap_or(CallKind::BrandProject);
        let subjects = if kind.selects_projects() && right >= ConferenceRight::Liaison {
            s.nominable_projects(&a.actor, c.id).await?
        } else {
            vec![]
        };
        let recommenders = match right {
            ConferenceRight::Office => s.list_alliance_members(&a.actor, c.id, false).await?,
            ConferenceRight::Liaison => s
                .my_alliance_members(&a.actor)
                .await?
                .into_iter()
                .filter(|m| m.conference_id == c.id)
                .collect(),
            ConferenceRight::Public | ConferenceRight::Read => vec![],
        };
        let plenaries = if right == ConferenceRight::Office {
            s.list_plenaries(&a.actor, c.id).await?
        } else {
            vec![]
        };
        Ok((v, c, right, kind, subjects, recommenders, plenaries))
    }
    .await;
    let (v, c, right, kind, subjects, recommenders, plenaries) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = v.summary.title.clone();
    let taken: Vec<i64> = v.candidates.iter().filter_map(|x| x.project_id).collect();
    let mut org = FormField::picker(
        "org",
        lang.t("alliance.candidate"),
        PickTarget::Org,
        typed.get("nominate_org").cloned().unwrap_or_default(),
        String::new(),
    );
    org.error = errors.get("nominate_subject").cloned();
    let refused = !errors.is_empty();
    p.flash_error = errors.get(PAGE_ERROR).cloned();
    let r = render(&CallPage {
        kind: kind_text(lang, kind.code(), kind.label_zh()),
        is_office: right == ConferenceRight::Office,
        subjects: subjects
            .into_iter()
            .filter(|(id, _)| !taken.contains(&id.0))
            .map(|(id, t)| (id.0.to_string(), t))
            .collect(),
        selects_projects: kind.selects_projects(),
        org,
        can_recommend: right >= ConferenceRight::Liaison && v.summary.stage == "open",
        recommenders: recommenders
            .into_iter()
            .filter(|m| m.current)
            .map(|m| (m.id.0.to_string(), m.name))
            .collect(),
        plenaries,
        errors,
        typed,
        v,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

/// After a form of a call's page: back to it, or the page again with the refusal.
async fn back_to_call<T>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    call: i64,
    r: Result<T, StoreError>,
    sent: (&str, &str, &HashMap<String, String>),
) -> Response {
    match back_or_refusal(headers, a, r, &format!("/alliance/calls/{call}"), sent) {
        Ok(r) => r,
        Err(refusal) => call_view(state, headers, a, call, refusal.errors, refusal.typed).await,
    }
}

async fn judge_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Office)
            .await?;
        state.store.add_judge(&a.actor, call, text(&f, "username")).await
    }
    .await;
    back_to_call(&state, &headers, &a, call, r, ("judge", "username", &f)).await
}

async fn nominate_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Liaison)
            .await?;
        // A branch call names its organisation with the picker, in the caller's territory.
        let subject = if f.contains_key("org") {
            let (errors, ids) = resolve(
                &state,
                &a,
                &[PickSpec::one("org", PickTarget::Org)],
                &mut f,
                &HashMap::new(),
            )
            .await
            .map_err(|_| StoreError::Reference { field: "subject" })?;
            if !errors.is_empty() {
                return Err(StoreError::Reference { field: "subject" });
            }
            ids.get("org").and_then(|v| v.parse().ok())
        } else {
            id_of(&f, "subject_id")
        };
        let subject = subject.ok_or(StoreError::Invalid(vec![DomainError::Required { field: "subject" }]))?;
        let by = id_of(&f, "recommended_by").map(AllianceMemberId);
        let reason = Some(text(&f, "reason").to_string()).filter(|r| !r.trim().is_empty());
        state.store.nominate(&a.actor, call, subject, by, reason).await
    }
    .await;
    back_to_call(&state, &headers, &a, call, r, ("nominate", "subject", &f)).await
}

async fn score_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((call, candidate)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Read)
            .await?;
        // One input a criterion: `c<criterion id>`; blank is not scored.
        let mut pairs = vec![];
        for (k, v) in &f {
            let Some(cr) = k.strip_prefix('c').and_then(|c| c.parse::<i64>().ok()) else {
                continue;
            };
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let score = v
                .parse::<i64>()
                .map_err(|_| StoreError::Invalid(vec![DomainError::NotANumber { field: "score" }]))?;
            pairs.push((cr, score));
        }
        state.store.score(&a.actor, call, candidate, &pairs).await
    }
    .await;
    let form = format!("score{candidate}");
    back_to_call(&state, &headers, &a, call, r, (&form, "score", &f)).await
}

async fn move_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((call, candidate)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Office)
            .await?;
        let to = match text(&f, "moved_to").trim() {
            "" => None,
            t => Some(
                t.parse::<i64>()
                    .map_err(|_| StoreError::Invalid(vec![DomainError::NotANumber { field: "moved_to" }]))?,
            ),
        };
        let to = place_of(to)?;
        state
            .store
            .move_candidate(&a.actor, call, candidate, to, text(&f, "reason"))
            .await
    }
    .await;
    let form = format!("move{candidate}");
    back_to_call(&state, &headers, &a, call, r, (&form, "reason", &f)).await
}

async fn publish_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Office)
            .await?;
        let version = required_id(&f, "version", "version")?;
        state
            .store
            .publish_call(&a.actor, call, version, Utc::now().date_naive())
            .await
    }
    .await;
    back_to_call(&state, &headers, &a, call, r, ("publish", "version", &f)).await
}

async fn award_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(call): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = async {
        state
            .store
            .check_call_right(&a.actor, call, ConferenceRight::Office)
            .await?;
        let p = required_id(&f, "plenary_id", "plenary")?;
        state.store.award_call(&a.actor, call, PlenaryId(p)).await
    }
    .await;
    back_to_call(&state, &headers, &a, call, r, ("award", "plenary", &f)).await
}
