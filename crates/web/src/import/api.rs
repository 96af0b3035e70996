//! Import and export over the JSON API: uploads, templates and workbooks of a list's
//! records. The work is `tongxin-transfer`'s; this layer checks rights before a byte is
//! read and answers workbooks that no cache keeps.

use crate::auth::{self, ApiAuth};
use crate::openapi::Mounted;
use crate::query::Q;
use crate::{ApiError, AppState};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tongxin_domain::ErrorCode;
use tongxin_store::StoreError;
use tongxin_store::bulk::ImportMode;
use tongxin_store::registry::ListQuery;

use crate::api::{confirm_password, division_visible, no_personal_data_in_url, no_store};

/// The import's and the export's routes (see [`crate::openapi`]).
pub(crate) fn table() -> Vec<Mounted> {
    use crate::openapi::{get, post, schema_of};
    use tongxin_store::bulk::ImportReport;
    vec![
        post(
            "/api/v1/import",
            "Import workbooks (multipart files; dry_run, skip_invalid, kind); needs the import/export right",
            import,
        ).returns_or_workbook(schema_of::<ImportReport>),
        get(
            "/api/v1/import/template/{kind}",
            "The import template of carriers, units, orgs or members: header row, example row, accepted values",
            import_template,
        ).workbook(),
        get(
            "/api/v1/export/{kind}",
            "Export carriers, units, orgs or members as xlsx, personal data masked (division); needs the import/export right",
            export,
        ).workbook(),
        post(
            "/api/v1/export/{kind}",
            "Export as xlsx; with reveal=true and the caller's password, full IDs and phones (audited, no-store)",
            export_post,
        ).workbook()
        .body(schema_of::<ExportBody>),
    ]
}

/// The import template of a kind: header row, example row, accepted values.
async fn import_template(ApiAuth(a): ApiAuth, Path(kind): Path<String>) -> Result<Response, ApiError> {
    crate::import::service::template(&a.actor, &kind).await
}

#[derive(Debug, Default, Deserialize)]
pub struct ImportParams {
    #[serde(default)]
    pub dry_run: bool,
    #[serde(default)]
    pub skip_invalid: bool,
    pub kind: Option<String>,
    /// Language of the row errors in the error workbook (`zh-CN` or `en`).
    pub lang: Option<String>,
}

/// `multipart/form-data` with a `file` part. Answers the report as JSON; with
/// `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet` and row
/// errors, answers the error workbook instead.
async fn import(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<ImportParams>,
    headers: axum::http::HeaderMap,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The right is checked before a byte of the upload is read (the multipart reader
    // is made only after it).
    a.actor.require(tongxin_domain::access::Action::ImportExport)?;
    let mut mp = crate::import::service::multipart(req, &s).await?;
    let files = crate::import::service::read_upload(&mut mp).await?.files;
    if files.is_empty() {
        return Err(ApiError::new(ErrorCode::BadRequest));
    }
    let kind = p.kind.as_deref().and_then(tongxin_import::Kind::parse);
    let mode = ImportMode {
        dry_run: p.dry_run,
        skip_invalid: p.skip_invalid,
    };
    // Row errors in the caller's language: `?lang=en`, else Accept-Language, else Chinese.
    let lang = match p.lang.as_deref() {
        Some(l) => crate::i18n::Lang::parse(l),
        None => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(crate::i18n::Lang::parse)
            .unwrap_or(crate::i18n::Lang::ZhCn),
    };
    let out = crate::import::service::run(
        &s.store,
        &a.actor,
        files,
        crate::import::service::ImportOptions {
            kind,
            mode,
            limits: tongxin_import::Limits::UPLOAD,
            lang,
        },
        &tongxin_store::bulk::Silent,
    )
    .await?;
    let wants_xlsx = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    match (wants_xlsx, out.error_workbook) {
        (true, Some(wb)) => Ok(crate::import::service::xlsx_response("errors.xlsx", wb)),
        _ => {
            let status = if out.report.errors.is_empty() || out.report.committed {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            Ok((status, Json(out.report)).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportParams {
    pub division: Option<String>,
    /// The list's filters, as on screen: search text (never a full resident ID), kind,
    /// archived records too, sort.
    pub q: Option<String>,
    pub kind: Option<String>,
    #[serde(default)]
    pub archived: bool,
    pub sort: Option<String>,
    /// Refused here: full values are exported only through `POST` with a password.
    #[serde(default)]
    pub reveal: bool,
}

/// Records of one kind in the import layout, personal data masked. Needs the
/// import/export right. Full values go through `POST` (a link cannot trigger it).
async fn export(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Q(p): Q<ExportParams>,
) -> Result<Response, ApiError> {
    if p.reveal {
        return Err(ApiError::new(ErrorCode::RevealNeedsPost));
    }
    let filter = ListQuery {
        q: p.q,
        division: p.division,
        kind: p.kind,
        archived: p.archived,
        sort: p.sort,
        ..Default::default()
    };
    no_personal_data_in_url(&filter)?;
    export_workbook(&s, &a, &kind, filter, false).await
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ExportBody {
    pub division: Option<String>,
    /// Members only: full resident IDs and phones, each read audited.
    #[serde(default)]
    pub reveal: bool,
    /// The caller's password, asked again for a revealing export (a fresh confirmation:
    /// a stolen session alone cannot take every ID of a district).
    #[serde(default)]
    pub password: String,
}

/// The export as `POST`, the only way to full values: the import/export right, the right
/// to reveal personal data and the caller's password; answered `no-store`.
async fn export_post(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Json(b): Json<ExportBody>,
) -> Result<Response, ApiError> {
    if b.reveal {
        a.actor.require(tongxin_domain::access::Action::RevealPersonalData)?;
        confirm_password(&s, &a.actor, &b.password).await?;
    }
    let filter = ListQuery {
        division: b.division,
        ..Default::default()
    };
    export_workbook(&s, &a, &kind, filter, b.reveal).await
}

async fn export_workbook(
    s: &AppState,
    a: &auth::Auth,
    kind: &str,
    filter: ListQuery,
    reveal: bool,
) -> Result<Response, ApiError> {
    a.actor.require(tongxin_domain::access::Action::ImportExport)?;
    let kind = tongxin_import::Kind::parse(kind).ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    if let Some(d) = filter.division.as_deref().filter(|d| !d.is_empty())
        && !division_visible(&a.actor, d)
    {
        return Err(StoreError::NotFound.into());
    }
    let bytes = crate::import::service::export(&s.store, &a.actor, kind, &filter, reveal).await?;
    let mut r = crate::import::service::xlsx_response(&format!("{}.xlsx", kind.code()), bytes);
    if reveal {
        no_store(&mut r);
    }
    Ok(r)
}
