//! The three lists (三张清单) in and out of spreadsheets from the console: an office
//! uploads its workbook on the lists' page and sees what came in, or, when a row was
//! refused, that nothing did, with the reasons, the units no member unit names (to
//! confirm as new member units by importing again with the box ticked) and the error
//! workbook; anyone who sees the lists downloads them.

use super::pages::keeps;
use crate::auth::PageAuth;
use crate::shell::{Ctx, check_csrf, ctx, error_page, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::{get, post};
use tongxin_domain::ErrorCode;
use tongxin_domain::alliance::ConferenceId;
use tongxin_store::alliance::{ConferenceView, ListsImport};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/{id}/posts/import", post(import_submit))
        .route("/alliance/{id}/posts/export", get(export))
}

#[derive(Template)]
#[template(path = "alliance/lists_import.html")]
struct ImportPage {
    p: Ctx,
    c: ConferenceView,
    report: ListsImport,
    /// (sheet, line, reason in words)
    errors: Vec<(String, usize, String)>,
    error_token: String,
}

async fn import_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    req: axum::extract::Request,
) -> Response {
    // The right is checked before a byte of the upload is read.
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let mut mp = match crate::import::service::multipart(req, &state).await {
        Ok(mp) => mp,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let crate::import::service::Upload { mut files, fields } = match crate::import::service::read_upload(&mut mp).await
    {
        Ok(u) => u,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    if let Err(e) = check_csrf(&a, fields.get("csrf")) {
        return error_page(&headers, Some(&a), e);
    }
    if files.len() != 1 {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::BadRequest));
    }
    let mut p = ctx(&headers, Some(&a), "alliance.lists_import");
    let lang = p.lang;
    let c = match state.store.get_conference(&a.actor, ConferenceId(id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let add_unknown_units = fields.get("add_unknown_units").is_some_and(|v| v == "true");
    let out = match tongxin_transfer::alliance::import_lists(
        &state.store,
        &a.actor,
        c.id,
        files.remove(0),
        add_unknown_units,
        tongxin_import::Limits::UPLOAD,
        lang,
    )
    .await
    {
        Ok(out) => out,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let errors = crate::import::service::error_lines(&out.report.errors, lang);
    let error_token = match out.error_workbook {
        Some(wb) => state
            .error_workbooks
            .put(a.actor.account_id.map(|i| i.0).unwrap_or_default(), wb),
        None => String::new(),
    };
    p.title = format!("{} · {}", c.name, lang.t("alliance.lists_import"));
    let committed = out.report.committed;
    let r = render(&ImportPage {
        p,
        c,
        report: out.report,
        errors,
        error_token,
    });
    crate::shell::refused_if(r, !committed)
}

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    match tongxin_transfer::alliance::export_lists(&state.store, &a.actor, ConferenceId(id)).await {
        Ok(bytes) => crate::import::service::xlsx_response(&format!("lists-{id}.xlsx"), bytes),
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}
