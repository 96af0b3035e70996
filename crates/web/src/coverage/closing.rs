//! Closing gaps where they are shown (补齐覆盖): on an uncovered unit — join a joint
//! branch with room, assign a party-building instructor, or found its own organisation
//! (a prefilled form); on a unit that should set up its own organisation, the founding
//! form; on a committee term to renew, the new term. Each page goes back to where it was
//! opened (a gap list, a record) with the figures as the write left them.

use crate::auth::{self, PageAuth};
use crate::i18n::Lang;
use crate::query::Q;
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, local_path, refused_if, render, urlencode};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::coverage::CoverageStatus;
use tongxin_domain::registry::{InstructorId, OrgId, UnitId};
use tongxin_store::coverage::{JointBranchOffer, UnitStanding};
use tongxin_store::registry::{PickTarget, Resolved, UnitPatch};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/units/{id}/join", get(join_page).post(join_submit))
        .route("/units/{id}/instructor", get(instructor_page).post(instructor_submit))
        .route("/orgs/{id}/renew", get(renew_page).post(renew_submit))
}

/// A way to close a gap, shown on the record's page and its gap-list row.
#[derive(Debug, Clone)]
pub struct CloseAction {
    pub label: String,
    pub href: String,
    /// Its element id (`join`, `instructor`, `found`, `renew`), for tests and tools.
    pub id: &'static str,
}

fn action(lang: Lang, id: &'static str, href: String) -> CloseAction {
    CloseAction {
        label: lang.t(&format!("close.{id}")),
        href,
        id,
    }
}

/// What closes a unit's gap: joining, an instructor or its own organisation when it is
/// uncovered; its own organisation when it should set one up (Party Constitution
/// Art. 30). `back` is the page to return to.
pub fn unit_actions(lang: Lang, unit: i64, standing: Option<UnitStanding>, back: &str) -> Vec<CloseAction> {
    let Some(st) = standing else {
        return vec![];
    };
    let next = urlencode(back);
    let found = action(lang, "found", format!("/orgs/new?unit={unit}&next={next}"));
    if st.status == CoverageStatus::Uncovered {
        let mut v = vec![
            action(lang, "join", format!("/units/{unit}/join?next={next}")),
            action(lang, "instructor", format!("/units/{unit}/instructor?next={next}")),
        ];
        // A unit with too few members for its own branch is offered one all the same
        // (it may grow); the joint branch comes first.
        v.push(found);
        v
    } else if st.qualifying && !st.own_org {
        vec![found]
    } else {
        vec![]
    }
}

/// What closes an organisation's gap: a new term when the term has ended or soon ends.
pub fn org_actions(lang: Lang, org: i64, renewal_due: bool, back: &str) -> Vec<CloseAction> {
    if renewal_due {
        vec![action(
            lang,
            "renew",
            format!("/orgs/{org}/renew?next={}", urlencode(back)),
        )]
    } else {
        vec![]
    }
}

#[derive(Deserialize, Default)]
struct NextParam {
    next: Option<String>,
}

fn back_to(next: Option<&str>, fallback: String) -> String {
    match next.filter(|n| !n.is_empty()) {
        Some(n) => local_path(Some(n)),
        None => fallback,
    }
}

#[derive(Template)]
#[template(path = "coverage/join.html")]
struct JoinPage {
    p: Ctx,
    unit_id: i64,
    offers: Vec<(JointBranchOffer, String)>,
    /// Any other joint branch, by name.
    other: FormField,
    next: String,
}

async fn join_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<NextParam>,
) -> Response {
    join_view(&state, &headers, &a, id, q.next.as_deref(), None, String::new()).await
}

async fn join_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    next: Option<&str>,
    error: Option<String>,
    typed: String,
) -> Response {
    let mut p = ctx(headers, Some(a), "close.join");
    let lang = p.lang;
    let r: Result<_, ApiError> = async {
        a.actor.require(Action::WriteRegistry)?;
        let unit = state.store.get_unit(&a.actor, UnitId(id)).await?;
        let offers = state.store.joint_branch_offers(&a.actor, UnitId(id), 10).await?;
        Ok((unit, offers))
    }
    .await;
    let (unit, offers) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = format!("{} · {}", lang.t("close.join"), unit.name);
    let refused = error.is_some();
    p.flash_error = error;
    let mut other = FormField::picker(
        "org",
        lang.t("close.other_branch"),
        PickTarget::Org,
        typed,
        String::new(),
    );
    other.error = p.flash_error.clone();
    let r = render(&JoinPage {
        unit_id: id,
        offers: offers
            .into_iter()
            .map(|o| {
                let why = lang.t(&format!("close.nearness.{}", o.nearness.code()));
                (o, why)
            })
            .collect(),
        other,
        next: back_to(next, format!("/units/{id}")),
        p,
    });
    refused_if(r, refused)
}

async fn join_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let next = f.get("next").map(String::as_str);
    let lang = ctx(&headers, Some(&a), "close.join").lang;
    // A suggestion's button names its branch by id; the other field by name.
    let org = match f.get("org_id").and_then(|o| o.parse::<i64>().ok()) {
        Some(o) => o,
        None => {
            let typed = f.get("org").cloned().unwrap_or_default();
            match state
                .store
                .resolve_pick(&a.actor, PickTarget::Org, &typed, f.get("org__id").map(String::as_str))
                .await
            {
                Ok(Resolved::One(c)) => c.id.parse().unwrap_or_default(),
                Ok(_) => {
                    let msg = crate::i18n::error_message(ErrorCode::PickNone, lang);
                    return join_view(&state, &headers, &a, id, next, Some(msg), typed).await;
                }
                Err(e) => return error_page(&headers, Some(&a), e.into()),
            }
        }
    };
    match state.store.join_joint_branch(&a.actor, UnitId(id), OrgId(org)).await {
        Ok(_) => Redirect::to(&back_to(next, format!("/units/{id}"))).into_response(),
        Err(tongxin_store::StoreError::NotFound) => error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound)),
        Err(e) => {
            let e = ApiError::from(e);
            join_view(&state, &headers, &a, id, next, Some(e.message(lang)), String::new()).await
        }
    }
}

#[derive(Template)]
#[template(path = "coverage/instructor.html")]
struct InstructorPage {
    p: Ctx,
    unit_id: i64,
    current: String,
    picker: FormField,
    new_name: String,
    next: String,
}

async fn instructor_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<NextParam>,
) -> Response {
    instructor_view(&state, &headers, &a, id, q.next.as_deref(), None, HashMap::new()).await
}

async fn instructor_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    next: Option<&str>,
    error: Option<String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "close.instructor");
    let lang = p.lang;
    let unit = match async {
        a.actor.require(Action::WriteRegistry)?;
        Ok::<_, ApiError>(state.store.get_unit(&a.actor, UnitId(id)).await?)
    }
    .await
    {
        Ok(u) => u,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = format!("{} · {}", lang.t("close.instructor"), unit.name);
    let refused = error.is_some();
    p.flash_error = error;
    let picker = FormField::picker(
        "instructor",
        lang.t("close.existing_instructor"),
        PickTarget::Instructor,
        typed.get("instructor").cloned().unwrap_or_default(),
        String::new(),
    );
    let r = render(&InstructorPage {
        unit_id: id,
        current: unit.instructor_name.clone().unwrap_or_default(),
        picker,
        new_name: typed.get("new_name").cloned().unwrap_or_default(),
        next: back_to(next, format!("/units/{id}")),
        p,
    });
    refused_if(r, refused)
}

async fn instructor_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let next = f.get("next").cloned();
    let lang = ctx(&headers, Some(&a), "close.instructor").lang;
    let s = &state.store;
    let unit = match s.get_unit(&a.actor, UnitId(id)).await {
        Ok(u) => u,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let new_name = f
        .get("new_name")
        .map(|n| tongxin_domain::text::clean(n))
        .unwrap_or_default();
    let chosen: Result<InstructorId, String> = if !new_name.is_empty() {
        // A new instructor works in the unit's street.
        let phone = match f.get("new_phone").map(|p| p.trim()).filter(|p| !p.is_empty()) {
            Some(p) => match Phone::parse(p) {
                Ok(p) => Some(p),
                Err(_) => {
                    let msg = crate::i18n::error_message(ErrorCode::PhoneInvalid, lang);
                    return instructor_view(&state, &headers, &a, id, next.as_deref(), Some(msg), f).await;
                }
            },
            None => None,
        };
        let Ok(code) = DivisionCode::parse(&unit.division_code) else {
            return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
        };
        let place = code.street().unwrap_or(code);
        match s.ensure_instructor(&a.actor, &new_name, phone, &place).await {
            Ok(i) => Ok(i.id),
            Err(e) => Err(ApiError::from(e).message(lang)),
        }
    } else {
        let typed = f.get("instructor").cloned().unwrap_or_default();
        match s
            .resolve_pick(
                &a.actor,
                PickTarget::Instructor,
                &typed,
                f.get("instructor__id").map(String::as_str),
            )
            .await
        {
            Ok(Resolved::One(c)) => Ok(InstructorId(c.id.parse().unwrap_or_default())),
            Ok(Resolved::Many(_)) => Err(crate::i18n::error_message(ErrorCode::ReferenceAmbiguous, lang)),
            Ok(_) => Err(crate::i18n::error_message(ErrorCode::PickNone, lang)),
            Err(e) => Err(ApiError::from(e).message(lang)),
        }
    };
    let instructor = match chosen {
        Ok(i) => i,
        Err(msg) => return instructor_view(&state, &headers, &a, id, next.as_deref(), Some(msg), f).await,
    };
    let patch = UnitPatch {
        instructor_id: Some(Some(instructor)),
        ..Default::default()
    };
    match s.update_unit(&a.actor, UnitId(id), unit.version, &patch).await {
        Ok(_) => Redirect::to(&back_to(next.as_deref(), format!("/units/{id}"))).into_response(),
        Err(e) => {
            let msg = ApiError::from(e).message(lang);
            instructor_view(&state, &headers, &a, id, next.as_deref(), Some(msg), f).await
        }
    }
}

#[derive(Template)]
#[template(path = "coverage/renew.html")]
struct RenewPage {
    p: Ctx,
    org_id: i64,
    version: i64,
    current_end: String,
    elected_on: String,
    /// Left empty, the term ends by the rules; this is that end for an election today.
    term_ends_on: String,
    rule_end: String,
    next: String,
}

async fn renew_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<NextParam>,
) -> Response {
    renew_view(&state, &headers, &a, id, q.next.as_deref(), None, HashMap::new()).await
}

async fn renew_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    next: Option<&str>,
    error: Option<String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "close.renew");
    let lang = p.lang;
    let today = chrono::Local::now().date_naive();
    let r: Result<_, ApiError> = async {
        a.actor.require(Action::WriteRegistry)?;
        let org = state.store.get_org(&a.actor, OrgId(id)).await?;
        let end = state.store.term_end_of(&a.actor, OrgId(id), today).await?;
        Ok((org, end))
    }
    .await;
    let (org, end) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = format!("{} · {}", lang.t("close.renew"), org.name);
    let refused = error.is_some();
    p.flash_error = error;
    let r = render(&RenewPage {
        org_id: id,
        version: org.version,
        current_end: org.term_ends_on.map(|d| d.to_string()).unwrap_or_default(),
        elected_on: typed.get("elected_on").cloned().unwrap_or_else(|| today.to_string()),
        term_ends_on: typed.get("term_ends_on").cloned().unwrap_or_default(),
        rule_end: end.to_string(),
        next: back_to(next, format!("/orgs/{id}")),
        p,
    });
    refused_if(r, refused)
}

async fn renew_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let next = f.get("next").cloned();
    let lang = ctx(&headers, Some(&a), "close.renew").lang;
    let date = |k: &str| -> Option<NaiveDate> {
        f.get(k)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
            .and_then(|v| tongxin_import::parse_date(v).ok().flatten())
    };
    let bad = || crate::i18n::error_message(ErrorCode::BadDate, lang);
    let Some(elected_on) = date("elected_on") else {
        return renew_view(&state, &headers, &a, id, next.as_deref(), Some(bad()), f).await;
    };
    // Left empty, the term ends by the rules.
    let term_ends_on = match f.get("term_ends_on").map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => match state.store.term_end_of(&a.actor, OrgId(id), elected_on).await {
            Ok(d) => d,
            Err(e) => return error_page(&headers, Some(&a), e.into()),
        },
        Some(_) => match date("term_ends_on") {
            Some(d) => d,
            None => return renew_view(&state, &headers, &a, id, next.as_deref(), Some(bad()), f).await,
        },
    };
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    match state
        .store
        .renew_term(&a.actor, OrgId(id), version, elected_on, term_ends_on)
        .await
    {
        Ok(_) => Redirect::to(&back_to(next.as_deref(), format!("/orgs/{id}"))).into_response(),
        Err(tongxin_store::StoreError::NotFound) => error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound)),
        Err(e) => {
            let msg = ApiError::from(e).message(lang);
            renew_view(&state, &headers, &a, id, next.as_deref(), Some(msg), f).await
        }
    }
}
