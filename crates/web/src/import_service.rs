//! Import and export as the console, the API and the command line run them: read the
//! file, import the tables, write the error workbook with reasons in Chinese and English.

use crate::ApiError;
use crate::i18n::{Lang, error_message};
use axum::extract::Multipart;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tongxin_import::{
    ErrorSheet, Field, Kind, Limits, read_rows_within, read_tables_within, write_error_workbook, write_workbook,
};
use tongxin_store::bulk::{ImportMode, ImportReport, RowError};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

pub struct ImportOutcome {
    pub report: ImportReport,
    /// The sheets as read with a 错误原因 column, when any row failed.
    pub error_workbook: Option<Vec<u8>>,
}

/// The text of one row error in the reader's language: the column, what is wrong, and
/// the value at fault — never a developer's message.
pub fn reason(e: &RowError, lang: Lang) -> String {
    let col = e.column.map(|c| format!("【{c}】")).unwrap_or_default();
    let detail = match (e.code, e.detail.as_str()) {
        (_, "") => String::new(),
        // The line a row depends on or repeats.
        ("import.depends_on_failed_row" | "import.duplicate_row" | "import.parent_cycle", d) => match lang {
            Lang::ZhCn => format!("（第 {d} 行）"),
            Lang::En => format!(" (line {d})"),
        },
        (_, d) => {
            let d: String = d.chars().take(60).collect();
            match lang {
                Lang::ZhCn => format!("（{d}）"),
                Lang::En => format!(" ({d})"),
            }
        }
    };
    format!("{col}{}{detail}", error_message(e.code, lang))
}

/// Files one import takes at most (the message of `import.too_many_files` names it).
pub const MAX_FILES: usize = 8;

/// How one import runs: the kind of a single-sheet file, dry run or not, the bounds of
/// its reader, the language of its error workbook.
pub struct ImportOptions {
    pub kind: Option<Kind>,
    pub mode: ImportMode,
    pub limits: Limits,
    pub lang: Lang,
}

/// Reads and imports files (one import: their rows may refer to each other in any
/// order). The caller has checked the import right before reading the upload; reading
/// and the error workbook (CPU work) run off the async workers. Row errors in the error
/// workbook are in `lang`.
pub async fn run(
    store: &Store,
    actor: &Actor,
    files: Vec<(String, Vec<u8>)>,
    options: ImportOptions,
    progress: &dyn tongxin_store::bulk::Progress,
) -> Result<ImportOutcome, ApiError> {
    let ImportOptions {
        kind,
        mode,
        limits,
        lang,
    } = options;
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    let names: Vec<String> = files.iter().map(|(n, _)| n.clone()).collect();
    let files = std::sync::Arc::new(files);
    let read = files.clone();
    // The rows only: the sheets as read are needed for an error workbook alone, and
    // reading the files again for one costs less than holding every sheet twice.
    let tables = blocking(move || read_all(&read, kind, limits, false)).await??;
    let report = store
        .import_file_with(actor, &tables, mode, &names.join(", "), progress)
        .await?;
    drop(tables);
    if report.errors.is_empty() {
        return Ok(ImportOutcome {
            report,
            error_workbook: None,
        });
    }
    let errors = report.errors.clone();
    let written = blocking(move || {
        let tables = read_all(&files, kind, limits, true)?;
        let sheets: Vec<ErrorSheet<'_>> = tables
            .iter()
            .map(|t| {
                let mut by_row: HashMap<usize, String> = HashMap::new();
                let mut marks: HashMap<(usize, usize), String> = HashMap::new();
                for e in errors.iter().filter(|e| e.sheet == t.sheet && e.kind == t.kind.code()) {
                    let r = reason(e, lang);
                    // The cells at fault are marked, with the reason as their note.
                    for c in t.columns.iter().filter(|c| Some(c.field.header()) == e.column) {
                        marks
                            .entry((e.index, c.index))
                            .and_modify(|s| {
                                s.push('\n');
                                s.push_str(&r)
                            })
                            .or_insert_with(|| r.clone());
                    }
                    by_row
                        .entry(e.index)
                        .and_modify(|s| {
                            s.push('；');
                            s.push_str(&r)
                        })
                        .or_insert_with(|| match e.record.as_str() {
                            "" => r.clone(),
                            name => format!("{name}：{r}"),
                        });
                }
                ErrorSheet {
                    table: t,
                    errors: by_row,
                    marks,
                }
            })
            .collect();
        write_error_workbook(&sheets)
    })
    .await?;
    // What was committed stays committed: a workbook that cannot be written is reported,
    // never turned into a failed import.
    let error_workbook = match written {
        Ok(wb) => Some(wb),
        Err(e) => {
            tracing::error!(error = %e, "writing the error workbook failed");
            None
        }
    };
    Ok(ImportOutcome { report, error_workbook })
}

/// Reads the files of one import into tables, in the order the import takes them, with
/// the sheets as read when `with_sheets` (for the error workbook). Deterministic: a
/// second read gives the same tables, sheet names and row indexes as the first.
fn read_all(
    files: &[(String, Vec<u8>)],
    kind: Option<Kind>,
    limits: Limits,
    with_sheets: bool,
) -> Result<Vec<tongxin_import::Table>, tongxin_import::ImportError> {
    let mut all: Vec<tongxin_import::Table> = Vec::new();
    for (name, bytes) in files {
        let tables = if with_sheets {
            read_tables_within(bytes, name, kind, limits)?
        } else {
            read_rows_within(bytes, name, kind, limits)?
        };
        for mut t in tables {
            // Sheet names stay apart across files (the error workbook has one sheet each).
            let base = t.sheet.clone();
            let mut n = 2;
            while all.iter().any(|o| o.sheet == t.sheet) {
                t.sheet = format!("{base}({n})");
                n += 1;
            }
            all.push(t);
        }
    }
    all.sort_by_key(|t| t.kind);
    Ok(all)
}

/// Runs CPU work (parsing, writing workbooks) on the blocking pool, so a large file
/// does not hold an async worker that other requests need.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
    })
}

/// The import template of a kind, as a download (`模板-单位.xlsx`).
pub async fn template(actor: &Actor, kind: &str) -> Result<Response, ApiError> {
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    let kind = Kind::parse(kind).ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found"))?;
    let bytes = blocking(move || tongxin_import::write_template(kind)).await??;
    Ok(xlsx_response(&format!("template-{}.xlsx", kind.code()), bytes))
}

/// The multipart reader of a request, made once the caller's rights are checked.
pub async fn multipart(req: axum::extract::Request, state: &crate::AppState) -> Result<Multipart, ApiError> {
    use axum::extract::FromRequest;
    Multipart::from_request(req, state)
        .await
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "request.bad"))
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
    let bad = |_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "request.too_large");
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
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "import.too_many_files"));
        }
        let name = field.file_name().unwrap_or("upload.xlsx").to_string();
        let bytes = field.bytes().await.map_err(bad)?;
        if bytes.len() > tongxin_import::MAX_FILE_BYTES {
            return Err(ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "import.too_large"));
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

/// Writes one kind of record in the import layout, the records `filter` lists (as a list
/// page shows them). Members' resident IDs and phones are masked unless `reveal` (which
/// needs the right and is audited per member).
pub async fn export(
    store: &Store,
    actor: &Actor,
    kind: Kind,
    filter: &ListQuery,
    reveal: bool,
) -> Result<Vec<u8>, ApiError> {
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    if reveal {
        actor.require(tongxin_domain::access::Action::RevealPersonalData)?;
    }
    // The list's filters as given (division, search, kind, archived, sort), every page.
    let mut q = ListQuery {
        per_page: Some(500),
        ..filter.clone()
    };
    let mut rows: Vec<HashMap<Field, String>> = Vec::new();
    let mut page = 1;
    loop {
        q.page = Some(page);
        let more = match kind {
            Kind::Carriers => {
                let p = store.list_carriers(actor, &q).await?;
                for c in &p.items {
                    rows.push(HashMap::from([
                        (Field::CarrierName, c.name.clone()),
                        (Field::CarrierKind, c.kind_label.clone()),
                        (Field::IsKey, if c.is_key { "是" } else { "否" }.into()),
                        (Field::Division, c.division_code.clone()),
                        (Field::Address, c.address.clone().unwrap_or_default()),
                        (Field::Longitude, c.lng.map(|v| v.to_string()).unwrap_or_default()),
                        (Field::Latitude, c.lat.map(|v| v.to_string()).unwrap_or_default()),
                        (Field::Version, c.version.to_string()),
                    ]));
                }
                page < p.pages()
            }
            Kind::Units => {
                let p = store.list_units(actor, &q).await?;
                for u in &p.items {
                    rows.push(HashMap::from([
                        (Field::UnitName, u.name.clone()),
                        (Field::UnitKind, u.kind_label.clone()),
                        (Field::CreditCode, u.credit_code.clone().unwrap_or_default()),
                        (Field::Employees, u.employees.map(|e| e.to_string()).unwrap_or_default()),
                        (Field::CarrierRef, u.carrier_name.clone().unwrap_or_default()),
                        (Field::Division, u.division_code.clone()),
                        (Field::Address, u.address.clone().unwrap_or_default()),
                        (Field::Instructor, u.instructor_name.clone().unwrap_or_default()),
                        (Field::Version, u.version.to_string()),
                    ]));
                }
                page < p.pages()
            }
            Kind::Orgs => {
                let p = store.list_orgs(actor, &q).await?;
                for o in &p.items {
                    rows.push(HashMap::from([
                        (Field::OrgName, o.name.clone()),
                        (Field::OrgKind, o.kind_label.clone()),
                        (Field::ParentOrg, o.parent_name.clone().unwrap_or_default()),
                        (Field::OrgUnits, o.unit_names.join("、")),
                        (Field::CarrierRef, o.carrier_name.clone().unwrap_or_default()),
                        (Field::Division, o.division_code.clone()),
                        (Field::Secretary, o.secretary.clone().unwrap_or_default()),
                        (
                            Field::FoundedOn,
                            o.founded_on.map(|d| d.to_string()).unwrap_or_default(),
                        ),
                        (
                            Field::TermEndsOn,
                            o.term_ends_on.map(|d| d.to_string()).unwrap_or_default(),
                        ),
                        (Field::Version, o.version.to_string()),
                    ]));
                }
                page < p.pages()
            }
            Kind::Members => {
                let p = store.list_members(actor, &q).await?;
                for m in &p.items {
                    let (id, phone) = if reveal {
                        let r = store.reveal_member(actor, m.id).await?;
                        (r.resident_id, r.phone.unwrap_or_default())
                    } else {
                        (m.resident_id_masked.clone(), m.phone_masked.clone().unwrap_or_default())
                    };
                    rows.push(HashMap::from([
                        (Field::MemberName, m.name.clone()),
                        (Field::MemberStatus, m.status_label.clone()),
                        (Field::ResidentId, id),
                        (Field::Phone, phone),
                        (Field::OrgRef, m.org_name.clone()),
                        (Field::WorkUnit, m.work_unit_name.clone().unwrap_or_default()),
                        (Field::JoinedOn, m.joined_on.map(|d| d.to_string()).unwrap_or_default()),
                        (Field::Version, m.version.to_string()),
                    ]));
                }
                page < p.pages()
            }
        };
        if !more {
            break;
        }
        page += 1;
    }
    // Writing a workbook is CPU work: off the async workers.
    Ok(blocking(move || write_workbook(&[(kind, rows)])).await??)
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
