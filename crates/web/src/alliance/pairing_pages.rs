//! Pairing (结对共建) in the console: a conference's pairs with the gap list beside them
//! (communities and villages with no partner firm, branches with no pair, pairs idle this
//! year), forms to pair two branches or a firm with a community by picker (never an id),
//! and a pair's page with what it did, a form to log an activity and one to end it.

use super::pages::{Refusal, date_of, keeps, required_id, text};
use crate::auth::{self, PageAuth};
use crate::pickers::{PickSpec, resolve};
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use std::collections::HashMap;
use tongxin_domain::alliance::{ConferenceId, PairActivityFields, PairFields, PairKind};
use tongxin_domain::registry::Labelled;
use tongxin_store::StoreError;
use tongxin_store::alliance::{ConferenceRight, ConferenceView, PairActivityView, PairView, PairingGaps};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/{id}/pairs", get(pairs_page).post(pair_submit))
        .route("/alliance/pairs/{pair}", get(pair_page))
        .route("/alliance/pairs/{pair}/activities", post(activity_submit))
        .route("/alliance/pairs/{pair}/end", post(end_submit))
}

#[derive(Template)]
#[template(path = "alliance/pairs.html")]
struct PairsPage {
    p: Ctx,
    c: ConferenceView,
    can_keep: bool,
    /// (pair, kind in words)
    rows: Vec<(PairView, String)>,
    gaps: PairingGaps,
    org_a: FormField,
    org_b: FormField,
    firm: FormField,
    community: FormField,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl PairsPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

async fn pairs_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    pairs_view(&state, &headers, &a, id, Refusal::default()).await
}

async fn pairs_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, id: i64, refusal: Refusal) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.pairs");
    let lang = p.lang;
    let s = &state.store;
    let c_id = ConferenceId(id);
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, c_id).await?;
        let can_keep = s.conference_right(&a.actor, c_id).await? == ConferenceRight::Office;
        let rows = s.list_pairs(&a.actor, c_id, None).await?;
        let gaps = s.pairing_gaps(&a.actor, c_id, Utc::now().date_naive()).await?;
        Ok((c, can_keep, rows, gaps))
    }
    .await;
    let (c, can_keep, rows, gaps) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = format!("{} · {}", c.name, lang.t("alliance.pairs"));
    refusal.flash(&mut p);
    let picker = |name: &'static str, label: &str, target: PickTarget| {
        let mut f = FormField::picker(
            name,
            lang.t(label),
            target,
            refusal.typed.get(&format!("pair_{name}")).cloned().unwrap_or_default(),
            String::new(),
        );
        f.error = refusal.errors.get(&format!("pair_{name}")).cloned();
        f
    };
    let (org_a, org_b) = (
        picker("org_a", "alliance.pair_org_a", PickTarget::Org),
        picker("org_b", "alliance.pair_org_b", PickTarget::Org),
    );
    let (firm, community) = (
        picker("firm", "alliance.pair_firm", PickTarget::Unit),
        picker("community", "alliance.pair_community", PickTarget::Division),
    );
    let refused = !refusal.errors.is_empty();
    let r = render(&PairsPage {
        rows: rows
            .into_iter()
            .map(|x| {
                let k = kind_text(lang, &x.kind, &x.kind_label);
                (x, k)
            })
            .collect(),
        errors: refusal.errors,
        typed: refusal.typed,
        can_keep,
        gaps,
        org_a,
        org_b,
        firm,
        community,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

async fn pair_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let lang = crate::shell::lang_of(&headers);
    let kind = PairKind::parse_any(text(&f, "kind")).unwrap_or(PairKind::Branches);
    let specs: Vec<PickSpec> = match kind {
        PairKind::Branches => vec![
            PickSpec::one("org_a", PickTarget::Org),
            PickSpec::one("org_b", PickTarget::Org),
        ],
        PairKind::FirmCommunity => vec![
            PickSpec::one("firm", PickTarget::Unit),
            PickSpec::one("community", PickTarget::Division),
        ],
    };
    let typed = f.clone();
    let (pick_errors, ids) = match resolve(&state, &a, &specs, &mut f, &HashMap::new()).await {
        Ok(x) => x,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    if !pick_errors.is_empty() {
        // A picker's text named nothing, or several: said beside it, what was typed kept.
        let errors = pick_errors
            .into_iter()
            .map(|e| (format!("pair_{}", e.field), e.message(lang)))
            .collect();
        let refusal = Refusal::beside("pair", errors, &typed);
        return pairs_view(&state, &headers, &a, id, refusal).await;
    }
    let id_of = |k: &str| ids.get(k).and_then(|v| v.parse::<i64>().ok());
    let fields = match date_of(&f, "started_on", "started_on") {
        Ok(on) => PairFields::parse(kind.code(), on, None, text(&f, "note")),
        Err(e) => Err(vec![e]),
    };
    let input = super::pairing_api::pair_input(
        fields,
        id_of("org_a"),
        id_of("org_b"),
        id_of("firm"),
        ids.get("community").map(String::as_str),
    );
    let r = match input {
        Ok(input) => state.store.create_pair(&a.actor, ConferenceId(id), &input).await,
        Err(e) => Err(e),
    };
    match r {
        Ok(_) => Redirect::to(&format!("/alliance/{id}/pairs")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let refusal = Refusal::on_page(lang, "pair", e, "started_on", &typed);
            pairs_view(&state, &headers, &a, id, refusal).await
        }
    }
}

#[derive(Template)]
#[template(path = "alliance/pair.html")]
struct PairPage {
    p: Ctx,
    c: ConferenceView,
    v: PairView,
    kind: String,
    activities: Vec<PairActivityView>,
    can_keep: bool,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl PairPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

async fn pair_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(pair): Path<i64>,
) -> Response {
    pair_view(&state, &headers, &a, pair, Refusal::default()).await
}

async fn pair_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, pair: i64, refusal: Refusal) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.pairs");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let (v, activities) = s.get_pair(&a.actor, pair).await?;
        let c = s.get_conference(&a.actor, v.conference_id).await?;
        let can_keep = s.conference_right(&a.actor, c.id).await? == ConferenceRight::Office;
        Ok((v, activities, c, can_keep))
    }
    .await;
    let (v, activities, c, can_keep) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = format!("{} · {}", v.first, v.second);
    refusal.flash(&mut p);
    let refused = !refusal.errors.is_empty();
    let r = render(&PairPage {
        kind: kind_text(lang, &v.kind, &v.kind_label),
        errors: refusal.errors,
        typed: refusal.typed,
        activities,
        can_keep,
        v,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

/// Back to a pair's page, or the page again with the refusal beside its form.
async fn back_to_pair<T>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    pair: i64,
    r: Result<T, StoreError>,
    (form, fallback, typed): (&str, &str, &HashMap<String, String>),
) -> Response {
    match r {
        Ok(_) => Redirect::to(&format!("/alliance/pairs/{pair}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(headers, Some(a), e.into()),
        Err(e) => {
            let refusal = Refusal::on_page(crate::shell::lang_of(headers), form, e, fallback, typed);
            pair_view(state, headers, a, pair, refusal).await
        }
    }
}

async fn activity_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(pair): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(e) = state
        .store
        .check_pair_right(&a.actor, pair, ConferenceRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), ApiError::from(e));
    }
    let r = match date_of(&f, "held_on", "held_on") {
        Err(e) => Err(StoreError::Invalid(vec![e])),
        Ok(on) => match PairActivityFields::parse(on, text(&f, "title"), text(&f, "notes"), text(&f, "people")) {
            Err(e) => Err(StoreError::Invalid(e)),
            Ok(x) => state.store.log_pair_activity(&a.actor, pair, &x).await,
        },
    };
    back_to_pair(&state, &headers, &a, pair, r, ("activity", "title", &f)).await
}

async fn end_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(pair): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(e) = state
        .store
        .check_pair_right(&a.actor, pair, ConferenceRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), ApiError::from(e));
    }
    let r = async {
        let version = required_id(&f, "version", "version")?;
        let on = date_of(&f, "ended_on", "ended_on")
            .map_err(|e| StoreError::Invalid(vec![e]))?
            .ok_or(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                field: "ended_on",
            }]))?;
        state.store.end_pair(&a.actor, pair, version, on).await
    }
    .await;
    back_to_pair(&state, &headers, &a, pair, r, ("end", "ended_on", &f)).await
}
