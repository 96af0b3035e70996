//! The accounts pages: list, new, one account with reset and disable.

use crate::auth::{self, PageAuth};
use crate::i18n::{Lang, error_message};
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, history_rows, refused_if, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::{Action, Role};
use tongxin_domain::codes::DivisionCode;
use tongxin_store::accounts::AccountView;
use tongxin_store::registry::{PickTarget, Resolved};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/accounts", get(list_page))
        .route("/accounts/new", get(new_page).post(new_submit))
        .route("/accounts/{id}", get(detail_page))
        .route("/accounts/{id}/reset", post(reset_submit))
        .route("/accounts/{id}/disable", post(disable_submit))
}

/// An account as a row: its words, not its codes.
struct Row {
    a: AccountView,
    role: String,
    scope: String,
}

async fn rows(state: &AppState, a: &auth::Auth, lang: Lang, list: Vec<AccountView>) -> Vec<Row> {
    let mut out = Vec::new();
    for v in list {
        let mut scope = Vec::new();
        if let Some(d) = &v.scope_division {
            scope.push(
                crate::pickers::label_of(state, a, PickTarget::Division, d)
                    .await
                    .ok()
                    .filter(|l| !l.is_empty())
                    .unwrap_or_else(|| d.clone()),
            );
        }
        if let Some(o) = v.scope_org_id {
            scope.push(
                crate::pickers::label_of(state, a, PickTarget::Org, &o.to_string())
                    .await
                    .unwrap_or_default(),
            );
        }
        if scope.is_empty() {
            scope.push(lang.t("accounts.everything"));
        }
        out.push(Row {
            role: lang.t(&format!("role.{}", v.role.code())),
            scope: scope.join("；"),
            a: v,
        });
    }
    out
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    p: Ctx,
    rows: Vec<Row>,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let p = ctx(&headers, Some(&a), "accounts.title");
    let lang = p.lang;
    match state.store.list_accounts(&a.actor).await {
        Ok(list) => {
            let rows = rows(&state, &a, lang, list).await;
            render(&ListPage { p, rows })
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

#[derive(Template)]
#[template(path = "accounts/new.html")]
struct NewPage {
    p: Ctx,
    username: String,
    role: String,
    roles: Vec<(&'static str, String)>,
    division: FormField,
    org: FormField,
    errors: HashMap<&'static str, String>,
}

impl NewPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let values = crate::pickers::home_division(&state, &a).await;
    new_view(&headers, &a, values, HashMap::new())
}

fn new_view(
    headers: &HeaderMap,
    a: &auth::Auth,
    values: HashMap<String, String>,
    errors: HashMap<&'static str, String>,
) -> Response {
    if let Err(e) = a.actor.require(Action::ManageAccounts) {
        return error_page(headers, Some(a), e.into());
    }
    let mut p = ctx(headers, Some(a), "accounts.new");
    let lang = p.lang;
    p.title = lang.t("accounts.new");
    let get = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut division = FormField::picker(
        "division",
        lang.t("accounts.scope_division"),
        PickTarget::Division,
        get("division"),
        get("division__id"),
    );
    division.error = errors.get("division").cloned();
    let mut org = FormField::picker(
        "org",
        lang.t("accounts.scope_org"),
        PickTarget::Org,
        get("org"),
        get("org__id"),
    );
    org.error = errors.get("org").cloned();
    let refused = !errors.is_empty();
    let r = render(&NewPage {
        username: get("username"),
        role: get("role"),
        roles: Role::ALL
            .into_iter()
            .filter(|r| a.actor.role.may_grant(*r))
            .map(|r| (r.code(), lang.t(&format!("role.{}", r.code()))))
            .collect(),
        division,
        org,
        errors,
        p,
    });
    refused_if(r, refused)
}

#[derive(Template)]
#[template(path = "accounts/password.html")]
struct PasswordPage {
    p: Ctx,
    id: i64,
    username: String,
    password: String,
}

/// The page that shows a new password once: never cached, never in a URL.
fn password_page(headers: &HeaderMap, a: &auth::Auth, v: &AccountView, password: String) -> Response {
    let mut p = ctx(headers, Some(a), "accounts.password_title");
    p.title = format!("{} · {}", p.t("accounts.password_title"), v.username);
    let mut r = render(&PasswordPage {
        id: v.id,
        username: v.username.clone(),
        password,
        p,
    });
    crate::api::no_store(&mut r);
    r
}

async fn new_submit(State(state): State<AppState>, headers: HeaderMap, CheckedForm(a, f): CheckedForm) -> Response {
    let lang = ctx(&headers, Some(&a), "accounts.new").lang;
    let s = &state.store;
    let mut errors: HashMap<&'static str, String> = HashMap::new();
    let role =
        Role::parse(f.get("role").map(String::as_str).unwrap_or_default()).filter(|r| a.actor.role.may_grant(*r));
    if role.is_none() {
        errors.insert("role", error_message(ErrorCode::UnknownValue, lang));
    }
    // Scope: a division, an organisation, or both, each named in its picker.
    let actor = &a.actor;
    let pick = |field: &'static str, target: PickTarget| {
        let typed = f.get(field).cloned().unwrap_or_default();
        let chosen = f.get(&format!("{field}__id")).cloned();
        async move { (field, s.resolve_pick(actor, target, &typed, chosen.as_deref()).await) }
    };
    let mut division = None;
    let mut org = None;
    for (field, r) in [
        pick("division", PickTarget::Division).await,
        pick("org", PickTarget::Org).await,
    ] {
        match r {
            Ok(Resolved::Empty) => {}
            Ok(Resolved::One(c)) if field == "division" => division = DivisionCode::parse(&c.id).ok(),
            Ok(Resolved::One(c)) => org = c.id.parse::<i64>().ok(),
            Ok(Resolved::Many(_)) => {
                errors.insert(field, error_message(ErrorCode::ReferenceAmbiguous, lang));
            }
            Ok(Resolved::NotFound(_)) => {
                errors.insert(field, error_message(ErrorCode::PickNone, lang));
            }
            Err(e) => return error_page(&headers, Some(&a), e.into()),
        }
    }
    let username = f.get("username").cloned().unwrap_or_default();
    let (Some(role), true) = (role, errors.is_empty()) else {
        return new_view(&headers, &a, f, errors);
    };
    let password = tongxin_store::accounts::new_password();
    match s
        .create_account(&a.actor, &username, &password, role, division.as_ref(), org)
        .await
    {
        Ok(v) => password_page(&headers, &a, &v, password),
        Err(e) => {
            let e = ApiError::from(e);
            let mut errors = HashMap::new();
            for fe in &e.fields {
                let field = match fe.field.as_str() {
                    "username" => "username",
                    "scope_org_id" => "org",
                    "scope" | "scope_division" | "division" => "division",
                    _ => "username",
                };
                errors.insert(field, fe.message(lang));
            }
            if errors.is_empty() {
                errors.insert("username", e.message(lang));
            }
            new_view(&headers, &a, f, errors)
        }
    }
}

#[derive(Template)]
#[template(path = "accounts/detail.html")]
struct DetailPage {
    p: Ctx,
    row: Row,
    history: Vec<(String, String, String, String)>,
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "accounts.title");
    let lang = p.lang;
    let r: Result<_, ApiError> = async {
        let v = state.store.get_account(&a.actor, id).await?;
        let h = state.store.account_history(&a.actor, id).await?;
        Ok((v, h))
    }
    .await;
    match r {
        Ok((v, h)) => {
            p.title = v.username.clone();
            let row = rows(&state, &a, lang, vec![v]).await.remove(0);
            render(&DetailPage {
                row,
                history: history_rows(lang, h),
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn reset_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, _f): CheckedForm,
) -> Response {
    let r: Result<_, ApiError> = async {
        let password = state.store.reset_password(&a.actor, id).await?;
        let v = state.store.get_account(&a.actor, id).await?;
        Ok((v, password))
    }
    .await;
    match r {
        Ok((v, password)) => password_page(&headers, &a, &v, password),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn disable_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let disabled = f.get("disabled").is_some_and(|d| d == "true");
    match state.store.set_account_disabled(&a.actor, id, disabled).await {
        Ok(_) => Redirect::to(&format!("/accounts/{id}")).into_response(),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}
