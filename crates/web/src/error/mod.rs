//! API errors: a stable code, an HTTP status, the message in Chinese and English, and
//! per-field errors for forms. Database text never reaches a user.

use crate::i18n::{Lang, error_message};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tongxin_domain::{Coded, ErrorCode};

mod status;
pub use status::status_of;
use tongxin_store::StoreError;

#[derive(Debug, Clone, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message_zh: String,
    pub message_en: String,
}

impl FieldError {
    /// The message in the page's language.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            self.message_en.clone()
        } else {
            self.message_zh.clone()
        }
    }
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub fields: Vec<FieldError>,
    pub detail: Option<String>,
    /// Seconds to wait before trying again (`Retry-After`), for 429 and 503.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct Body<'a> {
    code: ErrorCode,
    message_zh: String,
    message_en: String,
    #[serde(skip_serializing_if = "<[FieldError]>::is_empty")]
    fields: &'a [FieldError],
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

impl ApiError {
    /// An error with its code's status.
    pub fn new(code: ErrorCode) -> Self {
        ApiError {
            status: status_of(code),
            code,
            fields: vec![],
            detail: None,
            retry_after: None,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        error_message(self.code, lang)
    }

    /// The message with its detail, for a page in `lang`: a detail given in both
    /// languages ("中文 / English") shows its part in `lang` only.
    pub fn message_with_detail(&self, lang: Lang) -> String {
        let detail = self.detail.as_deref().map(|d| match (d.split_once(" / "), lang) {
            (Some((zh, _)), Lang::ZhCn) => zh,
            (Some((_, en)), Lang::En) => en,
            (None, _) => d,
        });
        match detail {
            Some(d) if !d.is_empty() => match lang {
                Lang::ZhCn => format!("{}（{d}）", self.message(lang)),
                Lang::En => format!("{} ({d})", self.message(lang)),
            },
            _ => self.message(lang),
        }
    }
}

impl FieldError {
    /// The error `code` of `field`, in both languages.
    pub(crate) fn new(field: &str, code: ErrorCode) -> Self {
        FieldError {
            field: field.to_string(),
            code,
            message_zh: error_message(code, Lang::ZhCn),
            message_en: error_message(code, Lang::En),
        }
    }
}

pub(crate) fn field_errors(errs: &[tongxin_domain::DomainError]) -> Vec<FieldError> {
    errs.iter().map(|e| FieldError::new(e.field(), e.code())).collect()
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = status_of(e.code());
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %e, "store error");
        }
        let fields = match &e {
            StoreError::Invalid(errs) => field_errors(errs),
            StoreError::Duplicate { field }
            | StoreError::Reference { field }
            | StoreError::OutsideTerritory { field } => vec![FieldError::new(field, e.code())],
            _ => vec![],
        };
        let detail = match &e {
            StoreError::Stale { current } => Some(format!("current version {current}")),
            StoreError::UnknownDivision(code) => Some(code.clone()),
            StoreError::BadFile(m) => Some(m.clone()),
            _ => None,
        };
        ApiError {
            status,
            code: e.code(),
            fields,
            detail,
            retry_after: (status == StatusCode::SERVICE_UNAVAILABLE).then_some(5),
        }
    }
}

impl From<tongxin_import::ImportError> for ApiError {
    fn from(e: tongxin_import::ImportError) -> Self {
        let status = status_of(e.code());
        let detail = e.detail();
        if detail.is_none() {
            // The reader's own words are for developers: logged, not shown.
            tracing::info!(error = %e, "a file could not be read");
        }
        ApiError {
            status,
            code: e.code(),
            fields: vec![],
            detail,
            retry_after: None,
        }
    }
}

impl From<tongxin_transfer::TransferError> for ApiError {
    fn from(e: tongxin_transfer::TransferError) -> Self {
        match e {
            tongxin_transfer::TransferError::Store(e) => e.into(),
            tongxin_transfer::TransferError::File(e) => e.into(),
            tongxin_transfer::TransferError::Task(_) => ApiError::new(ErrorCode::Internal),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message_zh: error_message(self.code, Lang::ZhCn),
            message_en: error_message(self.code, Lang::En),
            fields: &self.fields,
            detail: self.detail.as_deref(),
        };
        let mut r = (self.status, Json(body)).into_response();
        self.say_when_to_retry(&mut r);
        r
    }
}

impl ApiError {
    /// `Retry-After` on `r` when this error has a wait (a limit, a busy store), for the
    /// API's answers and the console's error pages alike.
    pub(crate) fn say_when_to_retry(&self, r: &mut Response) {
        if let Some(secs) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
        {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Chinese page never ends in English, nor in the reader's developer words.
    #[test]
    fn a_file_error_reads_in_the_language_of_its_page() {
        let e = ApiError::from(tongxin_import::ImportError::MissingColumn {
            sheet: "单位".into(),
            column: "单位名称",
        });
        let zh = e.message_with_detail(Lang::ZhCn);
        assert!(zh.ends_with("（单位：【单位名称】）"), "{zh}");
        assert!(!zh.is_ascii() && !zh.contains("missing"), "{zh}");
        assert!(e.message_with_detail(Lang::En).ends_with("(单位: 单位名称)"));
        let e = ApiError::from(tongxin_import::ImportError::NotAWorkbook(
            "invalid Zip archive: could not find central directory end".into(),
        ));
        assert_eq!(e.detail, None);
        let zh = e.message_with_detail(Lang::ZhCn);
        assert!(!zh.contains("Zip") && !zh.contains("archive"), "{zh}");
        let e = ApiError::from(tongxin_import::ImportError::TooLarge {
            bound: tongxin_import::Bound::Columns,
            max: 256,
        });
        assert!(e.message_with_detail(Lang::ZhCn).contains("每张表最多 256 列"));
        assert!(!e.message_with_detail(Lang::ZhCn).contains("columns per sheet"));
        assert!(
            e.message_with_detail(Lang::En)
                .contains("at most 256 columns per sheet")
        );
    }
}
