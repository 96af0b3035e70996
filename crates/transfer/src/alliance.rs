//! An alliance's lists (需求清单, 资源清单) in and out of spreadsheets: read off the async
//! workers within bounds, imported through the store in one transaction or not at all,
//! the error workbook in the reader's language; exported in the layout the import reads
//! back (phones masked; a masked phone read back keeps the phone on record).

use crate::{TransferError, blocking, error_workbook};
use std::collections::HashMap;
use tongxin_domain::alliance::ConferenceId;
use tongxin_i18n::Lang;
use tongxin_import::{Field, Kind, Limits, read_lists_within, write_workbook};
use tongxin_store::alliance::ListsImport;
use tongxin_store::{Actor, Store};

/// An import of lists: what it did, and the error workbook when rows were refused.
pub struct ListsOutcome {
    pub report: ListsImport,
    pub error_workbook: Option<Vec<u8>>,
}

/// Reads a file of needs and resources and imports it into conference `c`. The caller
/// has checked the right to keep the conference before reading the upload.
pub async fn import_lists(
    store: &Store,
    actor: &Actor,
    c: ConferenceId,
    (name, bytes): (String, Vec<u8>),
    add_unknown_units: bool,
    limits: Limits,
    lang: Lang,
) -> Result<ListsOutcome, TransferError> {
    let tables = std::sync::Arc::new(blocking(move || read_lists_within(&bytes, &name, limits)).await??);
    let report = store.import_lists(actor, c, &tables, add_unknown_units).await?;
    if report.errors.is_empty() {
        return Ok(ListsOutcome {
            report,
            error_workbook: None,
        });
    }
    let errors = report.errors.clone();
    let error_workbook = match blocking(move || error_workbook(&tables, &errors, lang)).await? {
        Ok(wb) => Some(wb),
        Err(e) => {
            tracing::error!(error = %e, "writing the error workbook failed");
            None
        }
    };
    Ok(ListsOutcome { report, error_workbook })
}

/// A conference's open and closed needs and resources, one sheet each, in the import
/// layout.
pub async fn export_lists(store: &Store, actor: &Actor, c: ConferenceId) -> Result<Vec<u8>, TransferError> {
    let posts = store.list_posts(actor, c, None, None, None).await?;
    let mut needs = vec![];
    let mut resources = vec![];
    for p in posts {
        let row = HashMap::from([
            (
                Field::PostKind,
                if p.kind == "need" { "需求" } else { "资源" }.to_string(),
            ),
            (Field::PostTitle, p.title),
            (Field::PostCategory, p.category_label.unwrap_or_default()),
            (Field::PostDescription, p.description.unwrap_or_default()),
            (Field::PostUnit, p.member_name),
            (Field::Division, p.division_code),
            (Field::Place, p.place.unwrap_or_default()),
            (Field::Audience, p.audience.unwrap_or_default()),
            (Field::StartsOn, p.starts_on.map(|d| d.to_string()).unwrap_or_default()),
            (Field::EndsOn, p.ends_on.map(|d| d.to_string()).unwrap_or_default()),
            (Field::People, p.people.map(|n| n.to_string()).unwrap_or_default()),
            (Field::ContactName, p.contact_name.unwrap_or_default()),
            (Field::Phone, p.contact_phone.unwrap_or_default()),
        ]);
        if p.kind == "need" {
            needs.push(row);
        } else {
            resources.push(row);
        }
    }
    Ok(blocking(move || write_workbook(&[(Kind::Needs, needs), (Kind::Resources, resources)])).await??)
}
