//! Import and export orchestration, apart from HTTP: read an office's files (off the
//! async workers, within bounds), import their tables through the store in one run,
//! write the error workbook with reasons in the reader's language, and export a list's
//! records in the import layout. The API, the console and the command line all call
//! this crate; none of it knows about requests or responses.

use std::collections::HashMap;
use tongxin_domain::{Coded, ErrorCode};
use tongxin_i18n::{Lang, error_message};
use tongxin_import::{
    ErrorSheet, Field, Kind, Limits, read_rows_within, read_tables_within, write_error_workbook, write_workbook,
};
use tongxin_store::bulk::{ImportMode, ImportReport, RowError};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store, StoreError};

/// Why an import or an export could not run (row errors are in the report instead).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file that cannot be read at all, or is over a bound.
    #[error(transparent)]
    File(#[from] tongxin_import::ImportError),
    /// A blocking task (parsing, writing a workbook) panicked or was cancelled.
    #[error("a background task failed: {0}")]
    Task(String),
}

impl TransferError {
    /// The message in both languages with what a person can act on (the command line's
    /// words; the web layer makes its own from the code).
    pub fn describe(&self) -> String {
        let detail = match self {
            TransferError::File(e) => e.detail().map(|d| format!(" ({d})")).unwrap_or_default(),
            _ => String::new(),
        };
        format!(
            "{} / {}{detail}",
            error_message(self.code(), Lang::ZhCn),
            error_message(self.code(), Lang::En)
        )
    }
}

impl Coded for TransferError {
    fn code(&self) -> ErrorCode {
        match self {
            TransferError::Store(e) => e.code(),
            TransferError::File(e) => e.code(),
            TransferError::Task(_) => ErrorCode::Internal,
        }
    }
}

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
        (ErrorCode::DependsOnFailedRow | ErrorCode::DuplicateRow | ErrorCode::ParentCycle, d) => match lang {
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
) -> Result<ImportOutcome, TransferError> {
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
        error_workbook(&tables, &errors, lang)
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

/// The error workbook of `tables` (read with their sheets): each row in error keeps its
/// line, with its reasons in `lang` in an added column and the cells at fault marked.
fn error_workbook(
    tables: &[tongxin_import::Table],
    errors: &[RowError],
    lang: Lang,
) -> Result<Vec<u8>, tongxin_import::ImportError> {
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

/// Moves `q` on to the page after one that held `got` rows and gave `next_after`;
/// false when that page was the last.
fn advance(q: &mut ListQuery, got: usize, next_after: Option<i64>) -> bool {
    if let Some(after) = next_after {
        q.after = Some(after);
        return true;
    }
    let full = u64::try_from(got).unwrap_or(u64::MAX) >= q.per_page();
    if q.after.is_some() || !full {
        return false;
    }
    q.page = Some(q.page() + 1);
    true
}

/// Runs CPU work (parsing, writing workbooks) on the blocking pool, so a large file
/// does not hold an async worker that other requests need.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, TransferError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        TransferError::Task(e.to_string())
    })
}

/// Writes one kind of record in the import layout, the records `filter` lists (as a list
/// page shows them). Members' resident IDs and phones are masked unless `reveal` (which
/// needs the right and is audited per member).
///
/// Every page is read: by the keyset of name order where the list gives one, else by page
/// number while pages come full — never up to a total, which a search counts only so
/// far (`SEARCH_COUNT_LIMIT`).
pub async fn export(
    store: &Store,
    actor: &Actor,
    kind: Kind,
    filter: &ListQuery,
    reveal: bool,
) -> Result<Vec<u8>, TransferError> {
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    if reveal {
        actor.require(tongxin_domain::access::Action::RevealPersonalData)?;
    }
    // The list's filters as given (division, search, kind, archived, sort), every page.
    // From the first row, whatever page the list was on.
    let mut q = ListQuery {
        per_page: Some(500),
        page: Some(1),
        after: None,
        ..filter.clone()
    };
    let mut rows: Vec<HashMap<Field, String>> = Vec::new();
    loop {
        let more = match kind {
            // An alliance's lists are exported by their conference ([`export_lists`]); a
            // viewer log is the streaming platform's, never exported.
            Kind::Needs | Kind::Resources | Kind::ViewerLog => {
                return Err(
                    StoreError::Invalid(vec![tongxin_domain::DomainError::UnknownValue { field: "kind" }]).into(),
                );
            }
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
                advance(&mut q, p.items.len(), p.next_after)
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
                advance(&mut q, p.items.len(), p.next_after)
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
                advance(&mut q, p.items.len(), p.next_after)
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
                advance(&mut q, p.items.len(), p.next_after)
            }
        };
        if !more {
            break;
        }
    }
    // Writing a workbook is CPU work: off the async workers.
    Ok(blocking(move || write_workbook(&[(kind, rows)])).await??)
}

pub mod activities;
pub mod alliance;
