//! The import page: upload, the report, the error workbook and the templates.

use crate::shell::{Ctx, check_csrf, ctx, error_page, render};
use tongxin_domain::ErrorCode;

/// The import page, its error workbooks and its templates.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/import", get(import_page).post(import_submit))
        .route("/import/errors/{token}", get(import_errors))
        .route("/import/template/{kind}", get(import_template))
}
use crate::auth::PageAuth;
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use tongxin_domain::access::Action;
use tongxin_store::bulk::{ImportMode, ImportReport};

#[derive(Template)]
#[template(path = "import/import.html")]
struct ImportPage {
    p: Ctx,
    report: Option<ImportReport>,
    errors: Vec<(String, usize, String)>,
    error_token: String,
}

async fn import_page(headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    if let Err(e) = a.actor.require(Action::ImportExport) {
        return error_page(&headers, Some(&a), e.into());
    }
    render(&ImportPage {
        p: ctx(&headers, Some(&a), "ui.import_title"),
        report: None,
        errors: vec![],
        error_token: String::new(),
    })
}

async fn import_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    req: axum::extract::Request,
) -> Response {
    // The right is checked before a byte of the upload is read.
    if let Err(e) = a.actor.require(Action::ImportExport) {
        return error_page(&headers, Some(&a), e.into());
    }
    let mut mp = match crate::import::service::multipart(req, &state).await {
        Ok(mp) => mp,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let crate::import::service::Upload { files, fields } = match crate::import::service::read_upload(&mut mp).await {
        Ok(u) => u,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let csrf = fields.get("csrf").cloned();
    let mode = ImportMode {
        dry_run: fields.get("dry_run").is_some_and(|v| v == "true"),
        skip_invalid: fields.get("skip_invalid").is_some_and(|v| v == "true"),
    };
    if let Err(e) = check_csrf(&a, csrf.as_ref()) {
        return error_page(&headers, Some(&a), e);
    }
    let mut p = ctx(&headers, Some(&a), "ui.import_title");
    if files.is_empty() {
        p.flash_error = Some(crate::i18n::error_message(ErrorCode::BadRequest, p.lang));
        return render(&ImportPage {
            p,
            report: None,
            errors: vec![],
            error_token: String::new(),
        });
    }
    match crate::import::service::run(
        &state.store,
        &a.actor,
        files,
        crate::import::service::ImportOptions {
            kind: None,
            mode,
            limits: tongxin_import::Limits::UPLOAD,
            lang: p.lang,
        },
        &tongxin_store::bulk::Silent,
    )
    .await
    {
        Ok(out) => {
            let lang = p.lang;
            let errors = crate::import::service::error_lines(&out.report.errors, lang);
            let mut token = String::new();
            if let Some(wb) = out.error_workbook {
                let owner = a.actor.account_id.map(|i| i.0).unwrap_or_default();
                token = state.error_workbooks.put(owner, wb);
            }
            render(&ImportPage {
                p,
                report: Some(out.report),
                errors,
                error_token: token,
            })
        }
        Err(e) => {
            let e = ApiError::from(e);
            p.flash_error = Some(e.message_with_detail(p.lang));
            let mut r = render(&ImportPage {
                p,
                report: None,
                errors: vec![],
                error_token: String::new(),
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

/// The import template of a kind (header row, example row, accepted values).
async fn import_template(headers: HeaderMap, PageAuth(a): PageAuth, Path(kind): Path<String>) -> Response {
    match crate::import::service::template(&a.actor, &kind).await {
        Ok(r) => r,
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn import_errors(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(token): Path<String>,
) -> Response {
    let owner = a.actor.account_id.map(|i| i.0).unwrap_or_default();
    match state.error_workbooks.get(owner, &token) {
        Some(wb) => {
            let mut r = crate::import::service::xlsx_response("errors.xlsx", wb);
            crate::api::no_store(&mut r);
            r
        }
        None => error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound)),
    }
}
