//! Import and export over HTTP: uploads read within bounds once the caller's rights are
//! checked, workbooks as downloads, error workbooks kept for their uploader. The work
//! itself is `tongxin-transfer`'s, which the command line calls too.

use crate::ApiError;
use axum::extract::Multipart;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tongxin_domain::ErrorCode;
use tongxin_import::Kind;
use tongxin_store::Actor;
pub use tongxin_transfer::{ImportOptions, ImportOutcome, MAX_FILES, blocking, export, reason, run};

/// The import template of a kind, as a download (`模板-单位.xlsx`).
pub async fn template(actor: &Actor, kind: &str) -> Result<Response, ApiError> {
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    let kind = Kind::parse(kind).ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    let bytes = blocking(move || tongxin_import::write_template(kind)).await??;
    Ok(xlsx_response(&format!("template-{}.xlsx", kind.code()), bytes))
}

/// The row errors of an import as a result page lists them: (sheet, line, the record's
/// name and the reason in `lang`).
pub fn error_lines(errors: &[tongxin_store::bulk::RowError], lang: crate::i18n::Lang) -> Vec<(String, usize, String)> {
    errors
        .iter()
        .map(|e| {
            let why = reason(e, lang);
            let text = match e.record.as_str() {
                "" => why,
                name => format!("{name}：{why}"),
            };
            (e.sheet.clone(), e.line, text)
        })
        .collect()
}

/// The multipart reader of a request, made once the caller's rights are checked.
pub async fn multipart(req: axum::extract::Request, state: &crate::AppState) -> Result<Multipart, ApiError> {
    use axum::extract::FromRequest;
    Multipart::from_request(req, state)
        .await
        .map_err(|_| ApiError::new(ErrorCode::BadRequest))
}

/// An upload as read: its files (one import may take several) and its other fields.
pub struct Upload {
    pub files: Vec<(String, Vec<u8>)>,
    pub fields: HashMap<String, String>,
}

/// Reads an upload: at most [`MAX_FILES`] `file` parts of at most
/// `tongxin_import::MAX_FILE_BYTES` each (an empty file input, which sends a part with no
/// name and no bytes, is no file), and the text of the other parts.
pub async fn read_upload(mp: &mut Multipart) -> Result<Upload, ApiError> {
    let bad = |_| ApiError::new(ErrorCode::RequestTooLarge);
    let mut upload = Upload {
        files: Vec::new(),
        fields: HashMap::new(),
    };
    while let Some(field) = mp.next_field().await.map_err(bad)? {
        let part = field.name().unwrap_or_default().to_string();
        if part != "file" {
            let text = field.text().await.map_err(bad)?;
            upload.fields.insert(part, text);
            continue;
        }
        if upload.files.len() == MAX_FILES {
            return Err(ApiError::new(ErrorCode::TooManyFiles));
        }
        let name = field.file_name().unwrap_or("upload.xlsx").to_string();
        let bytes = field.bytes().await.map_err(bad)?;
        if bytes.len() > tongxin_import::MAX_FILE_BYTES {
            return Err(ApiError::new(ErrorCode::FileTooLarge));
        }
        if !(bytes.is_empty() && name.is_empty()) {
            upload.files.push((name, bytes.to_vec()));
        }
    }
    Ok(upload)
}

/// A workbook to download. Every workbook holds registry data (an error workbook what
/// was uploaded, full IDs among it): none is kept by a browser's or a proxy's cache.
pub fn xlsx_response(filename: &str, bytes: Vec<u8>) -> Response {
    let mut r = (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        bytes,
    )
        .into_response();
    crate::api::no_store(&mut r);
    r
}

/// Error workbooks of recent console imports, kept for download. They hold what was
/// uploaded (full resident IDs among it), so each is bound to the account that uploaded
/// it, expires after [`ErrorWorkbooks::TTL`], and all of them together stay under
/// [`ErrorWorkbooks::MAX_BYTES`] (the oldest go first).
pub struct ErrorWorkbooks {
    ttl: std::time::Duration,
    entries: std::sync::Mutex<Vec<KeptWorkbook>>,
}

struct KeptWorkbook {
    token: String,
    owner: i64,
    at: std::time::Instant,
    bytes: Vec<u8>,
}

impl Default for ErrorWorkbooks {
    fn default() -> Self {
        Self::with_ttl(Self::TTL)
    }
}

impl ErrorWorkbooks {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(10 * 60);
    pub const MAX_BYTES: usize = 64 * 1024 * 1024;

    pub fn with_ttl(ttl: std::time::Duration) -> Self {
        ErrorWorkbooks {
            ttl,
            entries: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Keeps a workbook for `owner`; answers the token to fetch it by.
    pub fn put(&self, owner: i64, bytes: Vec<u8>) -> String {
        let token = tongxin_store::accounts::new_token();
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.retain(|w| w.at.elapsed() < self.ttl);
        e.push(KeptWorkbook {
            token: token.clone(),
            owner,
            at: std::time::Instant::now(),
            bytes,
        });
        while e.len() > 1 && e.iter().map(|w| w.bytes.len()).sum::<usize>() > Self::MAX_BYTES {
            e.remove(0);
        }
        token
    }

    /// The workbook of this token, to its owner only, while it lasts.
    pub fn get(&self, owner: i64, token: &str) -> Option<Vec<u8>> {
        let mut e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        e.retain(|w| w.at.elapsed() < self.ttl);
        e.iter()
            .find(|w| crate::auth::constant_eq(&w.token, token) && w.owner == owner)
            .map(|w| w.bytes.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_workbook_is_its_uploaders_only_and_expires() {
        let kept = ErrorWorkbooks::with_ttl(std::time::Duration::from_millis(50));
        let t = kept.put(1, vec![1, 2, 3]);
        assert_eq!(kept.get(2, &t), None, "another account");
        assert_eq!(kept.get(1, &t), Some(vec![1, 2, 3]));
        std::thread::sleep(std::time::Duration::from_millis(80));
        assert_eq!(kept.get(1, &t), None, "expired");
    }

    #[test]
    fn error_workbooks_stay_under_their_memory_cap() {
        let kept = ErrorWorkbooks::default();
        let first = kept.put(1, vec![0; ErrorWorkbooks::MAX_BYTES / 2]);
        kept.put(1, vec![0; ErrorWorkbooks::MAX_BYTES / 2]);
        kept.put(1, vec![0; ErrorWorkbooks::MAX_BYTES / 2]);
        assert_eq!(kept.get(1, &first), None, "the oldest went first");
        let total: usize = kept.entries.lock().expect("lock").iter().map(|w| w.bytes.len()).sum();
        assert!(total <= ErrorWorkbooks::MAX_BYTES);
    }
}
