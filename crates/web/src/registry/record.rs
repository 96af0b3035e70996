//! The pages every registry record kind has — list, record, new, edit, archive — written
//! once over [`RecordPages`]. A kind is one file beside this one that says its columns,
//! what its page shows, its form and how it loads and saves; [`routes`] mounts it. No
//! `match` on the kind anywhere else.

use crate::auth::{self, PageAuth};
use crate::coverage::closing::CloseAction;
use crate::error::FieldError;
use crate::i18n::Lang;
use crate::pickers::{self, PickSpec};
use crate::query::Q;
use crate::shell::forms::{FormField, form_errors, input_of};
use crate::shell::history::history_rows;
use crate::shell::{CheckedForm, Ctx, check_csrf, ctx, error_page, lang_of, local_path, render, urlencode};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use std::future::Future;
use tongxin_domain::ErrorCode;
use tongxin_domain::access::Action;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::Labelled;
use tongxin_store::audit::AuditEntry;
use tongxin_store::registry::{ListQuery, Page, PickTarget};
use tongxin_store::{Actor, StoreError};

/// One registry record kind in the console.
pub(crate) trait RecordPages: Send + Sync + 'static {
    /// Its address (`/units`) and the key of its title (`nav.units`).
    const PATH: &'static str;
    /// The right its writes need.
    const WRITE: Action = Action::WriteRegistry;
    /// Personal data: its search is posted (a resident ID never goes into a URL) and a
    /// full value may be revealed on its page.
    const PERSONAL: bool = false;
    /// A unit's page links the coverage of the network it leads.
    const CHAIN: bool = false;
    /// The API's body of the kind, which the form is read into.
    type Body: serde::de::DeserializeOwned + Send;

    /// The categories (members: statuses) to filter and choose from.
    fn kinds(lang: Lang) -> Vec<(String, String)>;
    /// The label keys of the list's columns.
    fn columns() -> &'static [&'static str];
    /// One page of the list, as rows of cells in the columns' order.
    fn list(
        state: &AppState,
        actor: &Actor,
        q: &ListQuery,
        lang: Lang,
    ) -> impl Future<Output = Result<Listed, ApiError>> + Send;
    /// What the record's page shows.
    fn detail(
        state: &AppState,
        actor: &Actor,
        id: i64,
        view: &DetailView,
    ) -> impl Future<Output = Result<Detail, ApiError>> + Send;
    /// The form's inputs: (name, label key, checkbox?).
    fn fields() -> &'static [(&'static str, &'static str, bool)];
    /// The reference fields besides the division and what their pickers offer.
    fn pickers() -> Vec<PickSpec> {
        vec![]
    }
    /// The stored values of the edit form.
    fn load(
        state: &AppState,
        actor: &Actor,
        id: i64,
    ) -> impl Future<Output = Result<HashMap<String, String>, ApiError>> + Send;
    /// Values a new record's form starts with from its address (`?unit=` founds that
    /// unit's own organisation).
    fn prefill(
        _state: &AppState,
        _actor: &Actor,
        _q: &NewQuery,
        _values: &mut HashMap<String, String>,
    ) -> impl Future<Output = Result<(), ApiError>> + Send {
        async { Ok(()) }
    }
    /// What a new record's body breaks on its own (checked without the store).
    fn check(body: &Self::Body) -> Result<(), StoreError>;
    fn create(state: &AppState, actor: &Actor, body: Self::Body) -> impl Future<Output = Result<i64, ApiError>> + Send;
    fn update(
        state: &AppState,
        actor: &Actor,
        id: i64,
        version: i64,
        body: Self::Body,
    ) -> impl Future<Output = Result<i64, ApiError>> + Send;
    fn archive(
        state: &AppState,
        actor: &Actor,
        id: i64,
        version: i64,
        archived: bool,
    ) -> impl Future<Output = Result<(), ApiError>> + Send;
    /// The full personal values of a record (resident ID, phone), audited by the store;
    /// only kinds with [`RecordPages::PERSONAL`] have them.
    fn reveal(
        _state: &AppState,
        _actor: &Actor,
        _id: i64,
    ) -> impl Future<Output = Result<(String, Option<String>), ApiError>> + Send {
        async { Err(ApiError::new(ErrorCode::NotFound)) }
    }
}

/// The pages of kind `K` under `/{K::PATH}`.
pub(crate) fn routes<K: RecordPages>() -> Router<AppState> {
    let base = format!("/{}", K::PATH);
    let mut r = Router::new()
        .route(&base, get(list_page::<K>).post(list_search::<K>))
        .route(&format!("{base}/new"), get(new_page::<K>).post(new_submit::<K>))
        .route(&format!("{base}/{{id}}"), get(detail_page::<K>))
        .route(
            &format!("{base}/{{id}}/edit"),
            get(edit_page::<K>).post(edit_submit::<K>),
        )
        .route(&format!("{base}/{{id}}/archive"), post(archive_submit::<K>));
    if K::PERSONAL {
        r = r.route(&format!("{base}/{{id}}/reveal"), post(reveal_submit::<K>));
    }
    r
}

/// The categories of a labelled kind as words in `lang`.
pub(crate) fn kinds_of<T: Labelled>(lang: Lang) -> Vec<(String, String)> {
    T::ALL
        .iter()
        .map(|k| {
            (
                k.code().to_string(),
                crate::shell::history::kind_text(lang, k.code(), k.label_zh()),
            )
        })
        .collect()
}

pub(crate) fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// A date, or nothing.
pub(crate) fn day(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// One row of a list.
pub(crate) struct Row {
    pub(crate) id: i64,
    pub(crate) cells: Vec<String>,
}

/// One page of a list as the console shows it.
pub(crate) struct Listed {
    rows: Vec<Row>,
    total: u64,
    exact: bool,
    next_after: Option<i64>,
    pages: u64,
}

impl Listed {
    /// The rows `cells` makes of a store's page.
    pub(crate) fn of<T>(pg: Page<T>, cells: impl Fn(&T) -> (i64, Vec<String>)) -> Self {
        Listed {
            rows: pg
                .items
                .iter()
                .map(|item| {
                    let (id, cells) = cells(item);
                    Row { id, cells }
                })
                .collect(),
            total: pg.total,
            exact: pg.total_exact,
            next_after: pg.next_after,
            pages: pg.pages(),
        }
    }
}

/// What a record's page is asked to show.
pub(crate) struct DetailView {
    pub(crate) lang: Lang,
    /// Full personal values, revealed (and audited) on request.
    pub(crate) revealed: Option<(String, Option<String>)>,
    /// The caller may write the registry: offer the ways to close a gap.
    pub(crate) writes: bool,
    /// The page's own address, to come back to.
    pub(crate) here: String,
}

impl DetailView {
    pub(crate) fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

/// A related list on a record's page: (name, address, note) rows.
pub(crate) struct Section {
    pub(crate) title: String,
    pub(crate) rows: Vec<(String, String, String)>,
}

/// What a record's page shows.
pub(crate) struct Detail {
    pub(crate) name: String,
    pub(crate) version: i64,
    pub(crate) archived: bool,
    /// (label, value, link)
    pub(crate) props: Vec<(String, String, Option<String>)>,
    pub(crate) sections: Vec<Section>,
    /// The ways to close this record's coverage gap (empty when it has none).
    pub(crate) closing: Vec<CloseAction>,
    pub(crate) history: Vec<AuditEntry>,
}

#[derive(Template)]
#[template(path = "registry/list.html")]
struct ListPage {
    p: Ctx,
    base: String,
    /// The export of what the list shows (its filters; a member search stays out of the
    /// URL, as it does from the list's own).
    export_href: String,
    q: String,
    division: String,
    kind: String,
    sort: String,
    kinds: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
    headers: Vec<String>,
    rows: Vec<Row>,
    total_label: String,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    can_create: bool,
    can_export: bool,
    /// Members: the search form posts (a resident ID stays out of the URL).
    search_post: bool,
}

/// A list's filters as query parameters; the search text only when `search` (a member
/// search never goes into a URL).
fn filter_params(q: &ListQuery, search: bool) -> Vec<String> {
    let text = if search { &q.q } else { &None };
    let mut parts: Vec<String> = [
        ("q", text),
        ("division", &q.division),
        ("kind", &q.kind),
        ("sort", &q.sort),
    ]
    .into_iter()
    .filter_map(|(k, v)| Some(format!("{k}={}", urlencode(v.as_deref().filter(|v| !v.is_empty())?))))
    .collect();
    if q.archived {
        parts.push("archived=true".into());
    }
    parts
}

fn page_url(base: &str, q: &ListQuery, page: u64) -> String {
    let mut parts = vec![format!("page={page}")];
    parts.extend(filter_params(q, true));
    format!("{base}?{}", parts.join("&"))
}

async fn list_page<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Q(q): Q<ListQuery>,
) -> Response {
    if let Err(e) = crate::api::no_personal_data_in_url(&q) {
        return error_page(&headers, Some(&a), e);
    }
    list_view::<K>(&state, &headers, &a, q).await
}

/// The member search form posts its query, so a resident ID typed into it stays out of
/// the URL, the browser history and the logs.
async fn list_search<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let text = |k: &str| f.get(k).filter(|v| !v.is_empty()).cloned();
    let q = ListQuery {
        q: text("q"),
        division: text("division"),
        kind: text("kind"),
        sort: text("sort"),
        page: f.get("page").and_then(|p| p.parse().ok()),
        ..Default::default()
    };
    list_view::<K>(&state, &headers, &a, q).await
}

async fn list_view<K: RecordPages>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    mut q: ListQuery,
) -> Response {
    // The division filter takes a name (with its district when two share it) as well as
    // a code: people know their streets by name.
    if let Some(typed) = q
        .division
        .clone()
        .filter(|d| DivisionCode::parse(d).is_err() && !d.trim().is_empty())
    {
        match state
            .store
            .resolve_pick(&a.actor, PickTarget::Division, &typed, None)
            .await
        {
            Ok(tongxin_store::registry::Resolved::One(c)) => q.division = Some(c.id),
            Ok(_) => {
                let mut e = ApiError::new(ErrorCode::PickNone);
                e.detail = Some(typed);
                return error_page(headers, Some(a), e);
            }
            Err(e) => return error_page(headers, Some(a), e.into()),
        }
    }
    let title_key = format!("nav.{}", K::PATH);
    let p = ctx(headers, Some(a), &title_key);
    let lang = p.lang;
    let t = |k: &str| lang.t(k);
    let listed = match K::list(state, &a.actor, &q, lang).await {
        Ok(v) => v,
        Err(e) => return error_page(headers, Some(a), e),
    };
    let (total, pages) = (listed.total, listed.pages);
    // A page past the end (an old link, a list that shrank) shows the last page.
    if total > 0 && q.after.is_none() && q.page() > pages {
        let last = ListQuery { page: Some(pages), ..q };
        return Box::pin(list_view::<K>(state, headers, a, last)).await;
    }
    let base = format!("/{}", K::PATH);
    let page = q.page();
    // The filter shows the division by name.
    let division_label = match q.division.as_deref() {
        Some(code) => pickers::label_of(state, a, PickTarget::Division, code)
            .await
            .ok()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| code.to_string()),
        None => String::new(),
    };
    render(&ListPage {
        total_label: if listed.exact {
            lang.t_n("ui.total", total)
        } else {
            lang.t_n("ui.total_more", total)
        },
        prev: (page > 1).then(|| page_url(&base, &q, page - 1)),
        // In name order the next page continues after this one's last record (keyset:
        // as quick however deep); in other orders, by page number.
        next: match listed.next_after {
            Some(after) => Some(format!("{}&after={after}", page_url(&base, &q, page + 1))),
            None => (page < pages).then(|| page_url(&base, &q, page + 1)),
        },
        can_create: a.actor.role.may(K::WRITE),
        can_export: a.actor.role.may(Action::ImportExport),
        export_href: format!(
            "/api/v1/export/{}?{}",
            K::PATH,
            filter_params(&q, !K::PERSONAL).join("&")
        ),
        search_post: K::PERSONAL,
        q: opt(&q.q),
        division: division_label,
        kind: opt(&q.kind),
        sort: opt(&q.sort),
        kinds: K::kinds(lang),
        sorts: vec![
            ("name".to_string(), t("field.name")),
            ("-updated_at".to_string(), t("field.updated_at")),
            ("division_code".to_string(), t("field.division")),
        ],
        headers: K::columns().iter().map(|k| t(k)).collect(),
        rows: listed.rows,
        page,
        pages,
        base,
        p,
    })
}

#[derive(Template)]
#[template(path = "registry/detail.html")]
struct DetailPage {
    p: Ctx,
    base: String,
    list_title: String,
    id: i64,
    version: i64,
    archived: bool,
    can_edit: bool,
    can_reveal: bool,
    /// Units: the coverage of the network it leads.
    chain: bool,
    props: Vec<(String, String, Option<String>)>,
    /// The ways to close this record's coverage gap (empty when it has none).
    closing: Vec<CloseAction>,
    sections: Vec<Section>,
    history: Vec<(String, String, String, String)>,
}

async fn detail_page<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    detail_view::<K>(&state, &headers, &a, id, None).await
}

async fn detail_view<K: RecordPages>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    revealed: Option<(String, Option<String>)>,
) -> Response {
    let title_key = format!("nav.{}", K::PATH);
    let mut p = ctx(headers, Some(a), &title_key);
    let actor = &a.actor;
    let can_reveal = K::PERSONAL && revealed.is_none() && actor.role.may(Action::RevealPersonalData);
    let view = DetailView {
        lang: p.lang,
        revealed,
        writes: actor.role.may(Action::WriteRegistry),
        here: format!("/{}/{id}", K::PATH),
    };
    let d = match K::detail(state, actor, id, &view).await {
        Ok(d) => d,
        Err(e) => return error_page(headers, Some(a), e),
    };
    p.title = d.name;
    render(&DetailPage {
        closing: d.closing,
        base: format!("/{}", K::PATH),
        list_title: view.t(&title_key),
        can_edit: actor.role.may(K::WRITE),
        can_reveal,
        history: history_rows(view.lang, d.history),
        chain: K::CHAIN,
        id,
        version: d.version,
        archived: d.archived,
        props: d.props,
        sections: d.sections,
        p,
    })
}

async fn reveal_submit<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, _f): CheckedForm,
) -> Response {
    match K::reveal(&state, &a.actor, id).await {
        Ok(full) => {
            // Full values: never kept by a browser's or a proxy's cache.
            let mut page = detail_view::<K>(&state, &headers, &a, id, Some(full)).await;
            crate::api::no_store(&mut page);
            page
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn archive_submit<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let version = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(0);
    let archived = f.get("archived").is_some_and(|v| v == "true");
    match K::archive(&state, &a.actor, id, version, archived).await {
        Ok(()) => Redirect::to(&format!("/{}/{id}", K::PATH)).into_response(),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

#[derive(Template)]
#[template(path = "registry/form.html")]
struct FormPage {
    p: Ctx,
    back: String,
    /// Where cancelling goes: the record, or the list for a new one.
    cancel: String,
    list_title: String,
    action: String,
    version: String,
    /// Where saving goes back to (a gap list), or empty for the record.
    next: String,
    fields: Vec<FormField>,
}

/// The reference fields of kind `K` and what their pickers offer: the division, where
/// the form has one, and the kind's own.
fn pickers_of<K: RecordPages>() -> Vec<PickSpec> {
    let mut specs = vec![PickSpec {
        field: "division",
        target: PickTarget::Division,
        many: false,
    }];
    specs.extend(K::pickers());
    specs.retain(|p| K::fields().iter().any(|(name, _, _)| *name == p.field));
    specs
}

/// Gives each reference value (an id, a division's code) the label its picker shows:
/// `field` becomes the label and `field__id` the id; a many-record field's ids move to
/// `field__keep`.
async fn labelled<K: RecordPages>(
    state: &AppState,
    a: &auth::Auth,
    values: &mut HashMap<String, String>,
) -> Result<(), ApiError> {
    for spec in pickers_of::<K>() {
        let raw = values.remove(spec.field).unwrap_or_default();
        if spec.many {
            values.insert(format!("{}{}", spec.field, pickers::KEEP), raw);
            values.insert(spec.field.to_string(), String::new());
        } else if !raw.is_empty() {
            let label = pickers::label_of(state, a, spec.target, &raw).await?;
            values.insert(format!("{}{}", spec.field, pickers::CHOSEN), raw);
            values.insert(spec.field.to_string(), label);
        }
    }
    Ok(())
}

fn build_form<K: RecordPages>(
    lang: Lang,
    values: &HashMap<String, String>,
    errors: &HashMap<String, String>,
    chosen: &HashMap<&'static str, Vec<(String, String)>>,
) -> Vec<FormField> {
    let specs = pickers_of::<K>();
    K::fields()
        .iter()
        .map(|&(name, key, checkbox)| FormField {
            pick: specs
                .iter()
                .find(|p| p.field == name)
                .map(|p| p.target.path())
                .unwrap_or(""),
            many: specs.iter().any(|p| p.field == name && p.many),
            chosen_id: values
                .get(&format!("{name}{}", pickers::CHOSEN))
                .cloned()
                .unwrap_or_default(),
            chosen: chosen.get(name).cloned().unwrap_or_default(),
            name,
            label: lang.t(key),
            value: values.get(name).cloned().unwrap_or_default(),
            kind: input_of(name, checkbox).0,
            inputmode: input_of(name, checkbox).1,
            options: if matches!(name, "kind" | "status") {
                K::kinds(lang)
            } else {
                vec![]
            },
            error: errors.get(name).cloned(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub(crate) struct NewQuery {
    /// Organisations: found one for this unit (its own organisation, prefilled).
    pub(crate) unit: Option<i64>,
    /// Where to go after saving (a local path).
    next: Option<String>,
}

async fn new_page<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Q(q): Q<NewQuery>,
) -> Response {
    // The page checks the right its API route checks.
    if let Err(e) = a.actor.require(K::WRITE) {
        return error_page(&headers, Some(&a), e.into());
    }
    let mut values = HashMap::new();
    if let Some(d) = a.actor.scope.home_division() {
        values.insert("division".to_string(), d.to_string());
    }
    if let Err(e) = K::prefill(&state, &a.actor, &q, &mut values).await {
        return error_page(&headers, Some(&a), e);
    }
    if let Some(n) = q.next.filter(|n| !n.is_empty()) {
        values.insert("next".into(), local_path(Some(&n)));
    }
    if let Err(e) = labelled::<K>(&state, &a, &mut values).await {
        return error_page(&headers, Some(&a), e);
    }
    form_view::<K>(&state, &headers, &a, None, values, HashMap::new(), None).await
}

async fn form_view<K: RecordPages>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: Option<i64>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    flash: Option<String>,
) -> Response {
    let title_key = format!("nav.{}", K::PATH);
    let mut p = ctx(headers, Some(a), &title_key);
    p.title = format!(
        "{} · {}",
        p.t(&title_key),
        p.t(if id.is_some() { "ui.edit" } else { "ui.new" })
    );
    p.flash_error = flash;
    let lang = p.lang;
    let base = format!("/{}", K::PATH);
    let mut chosen = HashMap::new();
    for spec in pickers_of::<K>().into_iter().filter(|s| s.many) {
        let ids = values
            .get(&format!("{}{}", spec.field, pickers::KEEP))
            .cloned()
            .unwrap_or_default();
        match pickers::chosen_of(state, a, spec.target, &ids).await {
            Ok(c) => chosen.insert(spec.field, c),
            Err(e) => return error_page(headers, Some(a), e),
        };
    }
    let status = if errors.is_empty() && p.flash_error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = render(&FormPage {
        action: match id {
            Some(id) => format!("{base}/{id}/edit"),
            None => format!("{base}/new"),
        },
        cancel: match (values.get("next").filter(|n| !n.is_empty()), id) {
            (Some(next), _) => next.clone(),
            (None, Some(id)) => format!("{base}/{id}"),
            (None, None) => base.clone(),
        },
        back: base,
        list_title: lang.t(&title_key),
        version: values.get("version").cloned().unwrap_or_default(),
        next: values.get("next").cloned().unwrap_or_default(),
        fields: build_form::<K>(lang, &values, &errors, &chosen),
        p,
    });
    *r.status_mut() = status;
    r
}

fn body_of<K: RecordPages>(f: &HashMap<String, String>) -> serde_json::Value {
    let mut v = serde_json::Map::new();
    for &(name, _, checkbox) in K::fields() {
        // A field the form does not carry is not written (a checkbox's form carries a
        // hidden `false` before it, so an unticked box is still sent).
        let Some(raw) = f.get(name).cloned() else {
            continue;
        };
        if checkbox {
            v.insert(
                name.into(),
                serde_json::Value::Bool(matches!(raw.as_str(), "on" | "true")),
            );
        } else if name == "unit_ids" {
            // A token that is not an id is never dropped: the whole value goes as text
            // and is refused beside the field.
            let tokens: Vec<&str> = raw
                .split([',', '，', '、', ' '])
                .filter(|t| !t.trim().is_empty())
                .collect();
            let ids: Option<Vec<serde_json::Value>> = tokens
                .iter()
                .map(|t| t.trim().parse::<i64>().ok().map(Into::into))
                .collect();
            match ids {
                Some(ids) => v.insert(name.into(), serde_json::Value::Array(ids)),
                None => v.insert(name.into(), serde_json::Value::String(raw)),
            };
        } else {
            v.insert(name.into(), serde_json::Value::String(raw));
        }
    }
    if let Some(ver) = f.get("version") {
        v.insert("version".into(), serde_json::Value::String(ver.clone()));
    }
    serde_json::Value::Object(v)
}

async fn save<K: RecordPages>(
    state: &AppState,
    actor: &Actor,
    id: Option<i64>,
    f: &HashMap<String, String>,
    mut malformed: Vec<FieldError>,
) -> Result<i64, ApiError> {
    let mut body = body_of::<K>(f);
    if body.get("unit_ids").is_some_and(serde_json::Value::is_string) {
        malformed.push(FieldError::new("unit_ids", ErrorCode::ReferenceInvalid));
        if let Some(o) = body.as_object_mut() {
            o.remove("unit_ids");
        }
    }
    // Values the body reads as dates or ids: a malformed one is an error beside its
    // field, with every other field's, not a refusal of the whole form.
    if let Some(o) = body.as_object_mut() {
        for (name, code) in [
            ("founded_on", ErrorCode::BadDate),
            ("term_ends_on", ErrorCode::BadDate),
            ("joined_on", ErrorCode::BadDate),
            ("carrier_id", ErrorCode::ReferenceInvalid),
            ("parent_id", ErrorCode::ReferenceInvalid),
            ("org_id", ErrorCode::ReferenceInvalid),
            ("work_unit_id", ErrorCode::ReferenceInvalid),
        ] {
            let Some(serde_json::Value::String(raw)) = o.get(name) else {
                continue;
            };
            let raw = raw.trim();
            let ok = match code {
                ErrorCode::BadDate => tongxin_import::parse_date(raw).is_ok(),
                _ => raw.is_empty() || raw.parse::<i64>().is_ok(),
            };
            if !ok {
                malformed.push(FieldError::new(name, code));
                o.remove(name);
            }
        }
    }
    if !malformed.is_empty() {
        // A new record's other faults are found now too (an edit's need the store).
        if id.is_none()
            && let Ok(b) = serde_json::from_value::<K::Body>(body.clone())
            && let Err(e) = K::check(&b)
        {
            malformed.extend(ApiError::from(e).fields);
        }
        let mut e = ApiError::new(ErrorCode::ValidationFailed);
        e.fields = malformed;
        return Err(e);
    }
    let body: K::Body = serde_json::from_value(body).map_err(|_| ApiError::new(ErrorCode::BadRequest))?;
    match id {
        Some(id) => {
            let version = f.get("version").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            K::update(state, actor, id, version, body).await
        }
        None => K::create(state, actor, body).await,
    }
}

async fn new_submit<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    submit::<K>(&state, &headers, &a, None, f).await
}

async fn edit_submit<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Form(f): Form<Vec<(String, String)>>,
) -> Response {
    submit::<K>(&state, &headers, &a, Some(id), f).await
}

async fn submit<K: RecordPages>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: Option<i64>,
    pairs: Vec<(String, String)>,
) -> Response {
    // One value per field, except the checkboxes a many-record picker keeps.
    let mut f = HashMap::new();
    let mut kept: HashMap<String, Vec<String>> = HashMap::new();
    for (k, v) in pairs {
        match k.strip_suffix(pickers::KEEP) {
            Some(field) => kept.entry(field.to_string()).or_default().push(v),
            None => {
                f.insert(k, v);
            }
        }
    }
    if let Err(e) = check_csrf(a, f.get("csrf")) {
        return error_page(headers, Some(a), e);
    }
    if let Err(e) = a.actor.require(K::WRITE) {
        return error_page(headers, Some(a), e.into());
    }
    // Typed names become ids; the form keeps the labels to show again.
    let (pick_errors, ids) = match pickers::resolve(state, a, &pickers_of::<K>(), &mut f, &kept).await {
        Ok(r) => r,
        Err(e) => return error_page(headers, Some(a), e),
    };
    let mut body = f.clone();
    body.extend(ids);
    match save::<K>(state, &a.actor, id, &body, pick_errors).await {
        Ok(id) => match f.get("next").filter(|n| !n.is_empty()) {
            Some(next) => Redirect::to(&local_path(Some(next))).into_response(),
            None => Redirect::to(&format!("/{}/{id}", K::PATH)).into_response(),
        },
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(headers, Some(a), e),
        Err(e) => {
            let (errors, flash) = form_errors(lang_of(headers), &e);
            let mut values = f;
            values.remove("csrf");
            form_view::<K>(state, headers, a, id, values, errors, flash).await
        }
    }
}

async fn edit_page<K: RecordPages>(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    if let Err(e) = a.actor.require(K::WRITE) {
        return error_page(&headers, Some(&a), e.into());
    }
    let values = match K::load(&state, &a.actor, id).await {
        Ok(mut v) => labelled::<K>(&state, &a, &mut v).await.map(|()| v),
        Err(e) => Err(e),
    };
    match values {
        Ok(v) => form_view::<K>(&state, &headers, &a, Some(id), v, HashMap::new(), None).await,
        Err(e) => error_page(&headers, Some(&a), e),
    }
}
