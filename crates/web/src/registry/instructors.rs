//! Party-building instructors (党建指导员) in the console: the list with the units each
//! covers, recording and editing one, assigning it to units and taking it off them.
//! An instructor gives the units it is assigned to work coverage (工作覆盖).

use crate::auth::{self, PageAuth};
use crate::query::Q;
use crate::shell::{
    CheckedForm, Ctx, FormField, ctx, error_page, field_messages, history_rows, local_path, refused_if, render,
};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::{InstructorId, UnitId};
use tongxin_store::registry::{InstructorPatch, InstructorView, PickTarget, Resolved, UnitPatch};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/instructors", get(list_page))
        .route("/instructors/new", get(new_page).post(new_submit))
        .route("/instructors/{id}", get(detail_page))
        .route("/instructors/{id}/edit", get(edit_page).post(edit_submit))
        .route("/instructors/{id}/assign", post(assign_submit))
        .route("/instructors/{id}/unassign", post(unassign_submit))
}

#[derive(Deserialize, Default)]
struct ListParams {
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "registry/instructors.html")]
struct ListPage {
    p: Ctx,
    q: String,
    rows: Vec<InstructorView>,
    can_create: bool,
}

async fn list_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Q(params): Q<ListParams>,
) -> Response {
    let p = ctx(&headers, Some(&a), "instructors.title");
    let q = params.q.map(|q| tongxin_domain::text::clean(&q)).unwrap_or_default();
    match state.store.list_instructors(&a.actor).await {
        Ok(mut rows) => {
            if !q.is_empty() {
                rows.retain(|r| r.name.contains(&q) || r.division_name.contains(&q));
            }
            render(&ListPage {
                can_create: a.actor.role.may(Action::WriteRegistry),
                q,
                rows,
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

#[derive(Template)]
#[template(path = "registry/instructor.html")]
struct DetailPage {
    p: Ctx,
    i: InstructorView,
    units: Vec<(UnitId, String)>,
    can_edit: bool,
    /// The unit picker of the assigning form.
    unit: FormField,
    history: Vec<(String, String, String, String)>,
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    detail_view(&state, &headers, &a, id, None, String::new()).await
}

async fn detail_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    error: Option<String>,
    typed: String,
) -> Response {
    let mut p = ctx(headers, Some(a), "instructors.title");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, ApiError> = async {
        let i = s.get_instructor(&a.actor, InstructorId(id)).await?;
        let units = s.units_of_instructor(&a.actor, InstructorId(id)).await?;
        let history = s.instructor_history(&a.actor, InstructorId(id)).await?;
        Ok((i, units, history))
    }
    .await;
    let (i, units, history) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = i.name.clone();
    let refused = error.is_some();
    let mut unit = FormField::picker(
        "unit",
        lang.t("instructors.assign_unit"),
        PickTarget::Unit,
        typed,
        String::new(),
    );
    unit.error = error;
    let r = render(&DetailPage {
        can_edit: a.actor.role.may(Action::WriteRegistry),
        history: history_rows(lang, history),
        i,
        units,
        unit,
        p,
    });
    refused_if(r, refused)
}

#[derive(Template)]
#[template(path = "registry/instructor_form.html")]
struct FormPage {
    p: Ctx,
    action: String,
    cancel: String,
    version: i64,
    name: String,
    phone: String,
    division: FormField,
    errors: HashMap<String, String>,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let values = crate::pickers::home_division(&state, &a).await;
    form_view(&headers, &a, None, 0, values, HashMap::new())
}

fn form_view(
    headers: &HeaderMap,
    a: &auth::Auth,
    id: Option<i64>,
    version: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Response {
    if let Err(e) = a.actor.require(Action::WriteRegistry) {
        return error_page(headers, Some(a), e.into());
    }
    let mut p = ctx(headers, Some(a), "instructors.title");
    let lang = p.lang;
    p.title = format!(
        "{} · {}",
        lang.t("instructors.title"),
        lang.t(if id.is_some() { "ui.edit" } else { "ui.new" })
    );
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let division = FormField::picker_in(
        "division",
        lang.t("field.division"),
        PickTarget::Division,
        &values,
        &errors,
    );
    let refused = !errors.is_empty();
    let r = render(&FormPage {
        action: match id {
            Some(id) => format!("/instructors/{id}/edit"),
            None => "/instructors/new".into(),
        },
        cancel: match id {
            Some(id) => format!("/instructors/{id}"),
            None => "/instructors".into(),
        },
        version,
        name: get("name"),
        phone: get("phone"),
        division,
        errors,
        p,
    });
    refused_if(r, refused)
}

/// The division a form names (by its picker), as a code.
async fn division_of(
    state: &AppState,
    a: &auth::Auth,
    f: &HashMap<String, String>,
) -> Result<Option<DivisionCode>, ApiError> {
    let typed = f.get("division").cloned().unwrap_or_default();
    match state
        .store
        .resolve_pick(
            &a.actor,
            PickTarget::Division,
            &typed,
            f.get("division__id").map(String::as_str),
        )
        .await?
    {
        Resolved::One(c) => Ok(DivisionCode::parse(&c.id).ok()),
        _ => Ok(None),
    }
}

async fn new_submit(State(state): State<AppState>, headers: HeaderMap, CheckedForm(a, f): CheckedForm) -> Response {
    let lang = ctx(&headers, Some(&a), "instructors.title").lang;
    let mut errors = HashMap::new();
    let division = match division_of(&state, &a, &f).await {
        Ok(d) => d,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    if division.is_none() {
        errors.insert("division".into(), crate::i18n::error_message(ErrorCode::PickNone, lang));
    }
    let phone = match f.get("phone").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        None => None,
        Some(p) => match Phone::parse(p) {
            Ok(p) => Some(p),
            Err(_) => {
                errors.insert(
                    "phone".into(),
                    crate::i18n::error_message(ErrorCode::PhoneInvalid, lang),
                );
                None
            }
        },
    };
    let name = f.get("name").cloned().unwrap_or_default();
    if tongxin_domain::text::clean(&name).is_empty() {
        errors.insert("name".into(), crate::i18n::error_message(ErrorCode::Required, lang));
    }
    let (Some(division), true) = (division, errors.is_empty()) else {
        return form_view(&headers, &a, None, 0, f, errors);
    };
    match state.store.create_instructor(&a.actor, &name, phone, &division).await {
        Ok(i) => Redirect::to(&format!("/instructors/{}", i.id)).into_response(),
        Err(e) => {
            let e = ApiError::from(e);
            form_view(&headers, &a, None, 0, f, field_messages(lang, &e, "name"))
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    let i = match state.store.get_instructor(&a.actor, InstructorId(id)).await {
        Ok(i) => i,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let label = crate::pickers::label_of(&state, &a, PickTarget::Division, &i.division_code)
        .await
        .unwrap_or_default();
    let values = HashMap::from([
        ("name".to_string(), i.name.clone()),
        // The masked phone: opening the form reveals nothing; sent back, it is no change.
        ("phone".to_string(), i.phone_masked.clone().unwrap_or_default()),
        ("division".to_string(), label),
        ("division__id".to_string(), i.division_code.clone()),
    ]);
    form_view(&headers, &a, Some(id), i.version, values, HashMap::new())
}

async fn edit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let lang = ctx(&headers, Some(&a), "instructors.title").lang;
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    // Only what the form carries changes.
    let division = if f.contains_key("division") {
        match division_of(&state, &a, &f).await {
            Ok(Some(d)) => Some(d.to_string()),
            Ok(None) => {
                let errors = HashMap::from([(
                    "division".to_string(),
                    crate::i18n::error_message(ErrorCode::PickNone, lang),
                )]);
                return form_view(&headers, &a, Some(id), version, f, errors);
            }
            Err(e) => return error_page(&headers, Some(&a), e),
        }
    } else {
        None
    };
    let patch = InstructorPatch {
        name: f.get("name").cloned(),
        phone: f.get("phone").cloned(),
        division,
    };
    match state
        .store
        .update_instructor(&a.actor, InstructorId(id), version, &patch)
        .await
    {
        Ok(_) => Redirect::to(&format!("/instructors/{id}")).into_response(),
        Err(tongxin_store::StoreError::NotFound) => error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound)),
        Err(e) => {
            let e = ApiError::from(e);
            form_view(&headers, &a, Some(id), version, f, field_messages(lang, &e, "name"))
        }
    }
}

/// Assigns the instructor to a unit named in the picker.
async fn assign_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let lang = ctx(&headers, Some(&a), "instructors.title").lang;
    let s = &state.store;
    if let Err(e) = s.get_instructor(&a.actor, InstructorId(id)).await {
        return error_page(&headers, Some(&a), e.into());
    }
    let typed = f.get("unit").cloned().unwrap_or_default();
    let unit = match s
        .resolve_pick(
            &a.actor,
            PickTarget::Unit,
            &typed,
            f.get("unit__id").map(String::as_str),
        )
        .await
    {
        Ok(Resolved::One(c)) => UnitId(c.id.parse().unwrap_or_default()),
        Ok(Resolved::Many(_)) => {
            let msg = crate::i18n::error_message(ErrorCode::ReferenceAmbiguous, lang);
            return detail_view(&state, &headers, &a, id, Some(msg), typed).await;
        }
        Ok(_) => {
            let msg = crate::i18n::error_message(ErrorCode::PickNone, lang);
            return detail_view(&state, &headers, &a, id, Some(msg), typed).await;
        }
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    set_instructor(&state, &headers, &a, id, unit, Some(InstructorId(id)), &f).await
}

/// Takes the instructor off a unit.
async fn unassign_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let Some(unit) = f.get("unit_id").and_then(|u| u.parse().ok()).map(UnitId) else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    // Only a unit this instructor is assigned to.
    match state.store.get_unit(&a.actor, unit).await {
        Ok(u) if u.instructor_id == Some(InstructorId(id)) => {}
        Ok(_) => return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound)),
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    }
    set_instructor(&state, &headers, &a, id, unit, None, &f).await
}

async fn set_instructor(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    unit: UnitId,
    to: Option<InstructorId>,
    f: &HashMap<String, String>,
) -> Response {
    let s = &state.store;
    let u = match s.get_unit(&a.actor, unit).await {
        Ok(u) => u,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    let patch = UnitPatch {
        instructor_id: Some(to),
        ..Default::default()
    };
    match s.update_unit(&a.actor, unit, u.version, &patch).await {
        Ok(_) => {
            let back = match f.get("next").filter(|n| !n.is_empty()) {
                Some(n) => local_path(Some(n)),
                None => format!("/instructors/{id}"),
            };
            Redirect::to(&back).into_response()
        }
        Err(e) => error_page(headers, Some(a), e.into()),
    }
}
