//! Pickers (选择器): every reference field of a console form names its record by what
//! people know — a name, with its street when two share it — never by an internal id.
//!
//! With JavaScript, typing asks `/pick/{target}` for an htmx partial of suggestions and a
//! click fills the field (`static/picker.js`). Without it, the same address is a plain
//! search page, and the server reads the typed name on save: a name that matches nothing
//! in the caller's territory, or several records, is an error beside its field that lists
//! what would match — never dropped, never guessed.

use crate::auth::{self, PageAuth};
use crate::error::FieldError;
use crate::i18n::{Lang, error_message};
use crate::query::Q;
use crate::shell::{Ctx, ctx, error_page, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;
use tongxin_store::registry::{Choice, PICK_LIMIT, PickTarget, Resolved};

/// Suffix of the hidden input that carries the id a picker filled in (`carrier_id__id`).
pub const CHOSEN: &str = "__id";
/// Name of the checkboxes that keep the records already chosen in a many-record picker.
pub const KEEP: &str = "__keep";

/// What one reference field of a form picks.
#[derive(Debug, Clone, Copy)]
pub struct PickSpec {
    pub field: &'static str,
    pub target: PickTarget,
    /// Several records (the units of a joint branch), kept as checkboxes, added by name.
    pub many: bool,
}

impl PickSpec {
    /// A field that holds one record.
    pub fn one(field: &'static str, target: PickTarget) -> Self {
        PickSpec {
            field,
            target,
            many: false,
        }
    }

    /// A field that holds several records.
    pub fn many(field: &'static str, target: PickTarget) -> Self {
        PickSpec {
            field,
            target,
            many: true,
        }
    }
}

/// The suggestions alone: the htmx partial under a field as it is typed.
#[derive(Template)]
#[template(path = "shell/pick_list.html")]
struct PickList {
    p: Ctx,
    field: String,
    q: String,
    choices: Vec<Choice>,
}

/// The plain search page a picker is without JavaScript.
#[derive(Template)]
#[template(path = "shell/pick.html")]
struct PickPage {
    p: Ctx,
    target: &'static str,
    field: String,
    q: String,
    choices: Vec<Choice>,
}

/// `GET /pick/{target}?field=F&F=text` (htmx, as the field is typed) or `?q=text` (the
/// plain search page): records of the target in the caller's territory.
pub async fn pick_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(target): Path<String>,
    Q(params): Q<HashMap<String, String>>,
) -> Response {
    let Some(target) = PickTarget::parse(&target) else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    if let Err(e) = a.actor.require(Action::ReadRegistry) {
        return error_page(&headers, Some(&a), e.into());
    }
    let field = params
        .get("field")
        .filter(|f| f.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && f.len() <= 40)
        .cloned()
        .unwrap_or_default();
    // htmx sends the field's own value under the field's name.
    let q = params
        .get("q")
        .or_else(|| params.get(&field))
        .cloned()
        .unwrap_or_default();
    let q: String = q.chars().take(100).collect();
    let choices = match state.store.pick(&a.actor, target, &q, PICK_LIMIT).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let mut p = ctx(&headers, Some(&a), &format!("pick.{}", target.path()));
    p.title = format!("{} · {}", p.t("pick.title"), p.t(&format!("pick.{}", target.path())));
    if headers.contains_key("hx-request") {
        render(&PickList { p, field, q, choices })
    } else {
        render(&PickPage {
            target: target.path(),
            field,
            q,
            choices,
            p,
        })
    }
}

/// Reads the typed references of a submitted form: each picker field's text becomes the
/// id it names (written back into `form` under the field's name, for the request body),
/// and the form keeps the chosen records' labels and ids to show again on an error.
/// Returns the field errors: nothing that was typed is dropped.
pub async fn resolve(
    state: &AppState,
    a: &auth::Auth,
    specs: &[PickSpec],
    form: &mut HashMap<String, String>,
    kept: &HashMap<String, Vec<String>>,
) -> Result<(Vec<FieldError>, HashMap<String, String>), ApiError> {
    let mut errors = Vec::new();
    let mut ids = HashMap::new();
    for spec in specs {
        // A field the form does not carry is left as it is.
        if !form.contains_key(spec.field) && !kept.contains_key(spec.field) {
            continue;
        }
        let text = form.get(spec.field).cloned().unwrap_or_default();
        if spec.many {
            // Records kept (checked) plus each name typed in the adding field.
            let mut chosen: Vec<String> = Vec::new();
            for id in kept.get(spec.field).into_iter().flatten() {
                match state.store.choice(&a.actor, spec.target, id).await? {
                    Some(c) if !chosen.contains(&c.id) => chosen.push(c.id),
                    Some(_) => {}
                    None => errors.push(FieldError::new(spec.field, ErrorCode::ReferenceInvalid)),
                }
            }
            let mut left = Vec::new();
            for name in text
                .split(['、', ',', '，', ';', '；', '\n'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
            {
                match state.store.resolve_pick(&a.actor, spec.target, name, None).await? {
                    Resolved::One(c) => {
                        if !chosen.contains(&c.id) {
                            chosen.push(c.id);
                        }
                    }
                    Resolved::Empty => {}
                    other => {
                        errors.push(unresolved(spec.field, name, &other));
                        left.push(name.to_string());
                    }
                }
            }
            form.insert(spec.field.to_string(), left.join("、"));
            form.insert(format!("{}{KEEP}", spec.field), chosen.join(","));
            ids.insert(spec.field.to_string(), chosen.join(","));
        } else {
            let chosen = form.get(&format!("{}{CHOSEN}", spec.field)).cloned();
            match state
                .store
                .resolve_pick(&a.actor, spec.target, &text, chosen.as_deref())
                .await?
            {
                Resolved::Empty => {
                    form.remove(&format!("{}{CHOSEN}", spec.field));
                    ids.insert(spec.field.to_string(), String::new());
                }
                Resolved::One(c) => {
                    form.insert(spec.field.to_string(), c.label());
                    form.insert(format!("{}{CHOSEN}", spec.field), c.id.clone());
                    ids.insert(spec.field.to_string(), c.id);
                }
                other => {
                    form.remove(&format!("{}{CHOSEN}", spec.field));
                    errors.push(unresolved(spec.field, &text, &other));
                }
            }
        }
    }
    Ok((errors, ids))
}

/// The error beside a field whose text names no record, or several: what would match.
fn unresolved(field: &str, text: &str, r: &Resolved) -> FieldError {
    let (code, list) = match r {
        Resolved::Many(c) => (ErrorCode::ReferenceAmbiguous, c),
        Resolved::NotFound(c) => (ErrorCode::PickNone, c),
        _ => (ErrorCode::ReferenceInvalid, &Vec::new()),
    };
    let labels: Vec<String> = list.iter().take(5).map(Choice::label).collect();
    let with = |lang: Lang| {
        let base = error_message(code, lang);
        let text: String = text.chars().take(60).collect();
        match (labels.is_empty(), lang) {
            (true, Lang::ZhCn) => format!("{base}：「{text}」"),
            (true, Lang::En) => format!("{base}: “{text}”"),
            (false, Lang::ZhCn) => format!(
                "{base}：「{text}」。{}：{}",
                lang.t("pick.did_you_mean"),
                labels.join("；")
            ),
            (false, Lang::En) => format!(
                "{base}: “{text}”. {}: {}",
                lang.t("pick.did_you_mean"),
                labels.join("; ")
            ),
        }
    };
    FieldError {
        field: field.to_string(),
        code,
        message_zh: with(Lang::ZhCn),
        message_en: with(Lang::En),
    }
}

/// The label shown in a single-record picker for the record `id`, when it is in scope.
pub async fn label_of(state: &AppState, a: &auth::Auth, target: PickTarget, id: &str) -> Result<String, ApiError> {
    Ok(state
        .store
        .choice(&a.actor, target, id)
        .await?
        .map(|c| c.label())
        .unwrap_or_default())
}

/// (id, label) of each record kept in a many-record picker (`ids` comma-separated).
pub async fn chosen_of(
    state: &AppState,
    a: &auth::Auth,
    target: PickTarget,
    ids: &str,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    for id in ids.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if let Some(c) = state.store.choice(&a.actor, target, id).await? {
            out.push((c.id.clone(), c.label()));
        }
    }
    Ok(out)
}

/// A form's division picker set to the caller's own division (its label and code), for a
/// new record; empty for an account without one.
pub async fn home_division(state: &AppState, a: &auth::Auth) -> HashMap<String, String> {
    let mut values = HashMap::new();
    if let Some(d) = a.actor.scope.home_division() {
        values.insert(format!("division{CHOSEN}"), d.to_string());
        values.insert(
            "division".to_string(),
            label_of(state, a, PickTarget::Division, d.as_str())
                .await
                .unwrap_or_default(),
        );
    }
    values
}
