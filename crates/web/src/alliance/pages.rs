//! The alliance in the console: the conferences, a conference's page (its member units,
//! offices and the rotation, plenaries, visits, history), a member unit's page (its
//! dates, liaisons, visits) and a plenary's record (attendance, admissions, items), with
//! a printable copy of the record. Offices of the territory keep them; others read.

use crate::auth::{self, PageAuth};
use crate::i18n::Lang;
use crate::pickers::{PickSpec, resolve};
use crate::query::Q;
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, field_messages, history_rows, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::alliance::{
    AllianceMemberId, ConferenceFields, ConferenceId, MemberFields, MemberKind, Office, PlenaryFields, PlenaryId,
    PlenaryItemKind, Term, VisitFields,
};
use tongxin_domain::registry::{Labelled, UnitId};
use tongxin_domain::{DomainError, ErrorCode};
use tongxin_store::StoreError;
use tongxin_store::alliance::{
    Admission, AllianceMemberInput, AllianceMemberPatch, AllianceMemberView, ConferencePatch, ConferenceRight,
    ConferenceView, OfficeView, PlenaryInput, PlenaryPatch, PlenarySummary, PlenaryView, VisitView, VocabularyLine,
};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance", get(list_page))
        .route("/alliance/new", get(new_page).post(new_submit))
        .route("/alliance/{id}", get(detail_page))
        .route("/alliance/{id}/edit", get(edit_page).post(edit_submit))
        .route("/alliance/{id}/members", post(add_member_submit))
        .route("/alliance/{id}/offices", post(add_office_submit))
        .route("/alliance/{id}/offices/{office}/end", post(end_office_submit))
        .route("/alliance/{id}/plenaries", post(new_plenary_submit))
        .route("/alliance/{id}/visits", post(add_visit_submit))
        .route("/alliance/{id}/vocabulary", post(add_vocabulary_submit))
        .route(
            "/alliance/{id}/vocabulary/{line}/remove",
            post(remove_vocabulary_submit),
        )
        .route("/alliance/{id}/members/{member}", get(member_page).post(member_submit))
        .route("/alliance/{id}/members/{member}/liaisons", post(liaison_submit))
        .route(
            "/alliance/{id}/members/{member}/liaisons/remove",
            post(liaison_remove_submit),
        )
        .route(
            "/alliance/{id}/plenaries/{plenary}",
            get(plenary_page).post(plenary_submit),
        )
        .route("/alliance/{id}/plenaries/{plenary}/record", get(record_page))
        .route("/alliance/{id}/plenaries/{plenary}/attendance", post(attendance_submit))
        .route("/alliance/{id}/plenaries/{plenary}/admit", post(admit_submit))
        .route("/alliance/{id}/plenaries/{plenary}/items", post(item_submit))
        .route(
            "/alliance/{id}/plenaries/{plenary}/items/remove",
            post(item_remove_submit),
        )
}

/// What a refused form typed and why, keyed `<form>_<field>` so that each of a page's
/// forms shows its own.
#[derive(Default)]
pub(super) struct Refusal {
    pub(super) errors: HashMap<String, String>,
    pub(super) typed: HashMap<String, String>,
}

/// The key a refusal naming no field is kept under by [`Refusal::on_page`].
pub(super) const PAGE_ERROR: &str = "_page";

impl Refusal {
    /// The refusal of `form`: the store's field errors beside its fields, and what was
    /// typed, to show again. A refusal naming no field (the call is published, the
    /// project signed, the record changed meanwhile) is kept under [`PAGE_ERROR`], for
    /// the top of the page ([`Refusal::flash`]): the form it came from may no longer be
    /// shown.
    pub(super) fn on_page(
        lang: Lang,
        form: &str,
        e: StoreError,
        fallback: &str,
        typed: &HashMap<String, String>,
    ) -> Self {
        let api = ApiError::from(e);
        if api.fields.is_empty() {
            return Refusal {
                errors: HashMap::from([(PAGE_ERROR.to_string(), api.message(lang))]),
                typed: Refusal::typed(form, typed),
            };
        }
        Refusal {
            errors: field_messages(lang, &api, fallback)
                .into_iter()
                .map(|(k, v)| (format!("{form}_{k}"), v))
                .collect(),
            typed: Refusal::typed(form, typed),
        }
    }

    /// Shows a refusal naming no field at the top of the page.
    pub(super) fn flash(&self, p: &mut Ctx) {
        p.flash_error = self.errors.get(PAGE_ERROR).cloned();
    }

    /// Errors already worded, keyed `<form>_<field>`, beside what was typed into `form`.
    pub(super) fn beside(form: &str, errors: HashMap<String, String>, typed: &HashMap<String, String>) -> Self {
        Refusal {
            errors,
            typed: Refusal::typed(form, typed),
        }
    }

    /// What was typed into `form`, keyed `<form>_<field>` (never the CSRF token).
    fn typed(form: &str, typed: &HashMap<String, String>) -> HashMap<String, String> {
        typed
            .iter()
            .filter(|(k, _)| k.as_str() != "csrf")
            .map(|(k, v)| (format!("{form}_{k}"), v.clone()))
            .collect()
    }
}

/// After a form of a page whose refusals show on the page itself (a project's, a
/// call's): on success a redirect to `to`; "not found" and "forbidden" as their page;
/// any other refusal as the [`Refusal`] to show the page again with
/// ([`Refusal::on_page`]).
pub(super) fn back_or_refusal<T>(
    headers: &HeaderMap,
    a: &auth::Auth,
    r: Result<T, StoreError>,
    to: &str,
    (form, fallback, typed): (&str, &str, &HashMap<String, String>),
) -> Result<Response, Refusal> {
    match r {
        Ok(_) => Ok(Redirect::to(to).into_response()),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => Ok(error_page(headers, Some(a), e.into())),
        Err(e) => Err(Refusal::on_page(
            crate::shell::lang_of(headers),
            form,
            e,
            fallback,
            typed,
        )),
    }
}

/// A form's division picker resolved in the caller's territory and its two date
/// inputs (`starts_on`, `ends_on`) read: (division code, starts, ends, the errors of
/// all three beside their fields).
pub(super) async fn division_and_dates(
    state: &AppState,
    a: &auth::Auth,
    lang: Lang,
    f: &mut HashMap<String, String>,
) -> Result<(String, Option<NaiveDate>, Option<NaiveDate>, HashMap<String, String>), ApiError> {
    let (pick_errors, ids) = resolve(
        state,
        a,
        &[PickSpec::one("division", PickTarget::Division)],
        f,
        &HashMap::new(),
    )
    .await?;
    let mut errors: HashMap<String, String> = pick_errors
        .into_iter()
        .map(|e| (e.field.clone(), e.message(lang)))
        .collect();
    let mut date = |key: &'static str| {
        date_of(f, key, key).unwrap_or_else(|e| {
            errors.insert(
                key.into(),
                ApiError::from(StoreError::Invalid(vec![e])).fields[0].message(lang),
            );
            None
        })
    };
    let (starts_on, ends_on) = (date("starts_on"), date("ends_on"));
    let division = ids.get("division").cloned().unwrap_or_default();
    Ok((division, starts_on, ends_on, errors))
}

/// Options of a select: (code, words in the page's language).
pub(super) fn options<L: Labelled>(lang: Lang) -> Vec<(String, String)> {
    L::ALL
        .iter()
        .map(|l| (l.code().to_string(), kind_text(lang, l.code(), l.label_zh())))
        .collect()
}

/// A date input's value: blank is none, anything else must be a date (`field` beside it).
pub(super) fn date_of(
    f: &HashMap<String, String>,
    key: &str,
    field: &'static str,
) -> Result<Option<NaiveDate>, DomainError> {
    let raw = f.get(key).map(|s| s.trim()).unwrap_or("");
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| DomainError::OutOfRange { field })
}

pub(super) fn id_of(f: &HashMap<String, String>, key: &str) -> Option<i64> {
    f.get(key).and_then(|v| v.trim().parse().ok())
}

/// An id a form must carry (`key`), refused as `field` when absent or not a number.
pub(super) fn required_id(f: &HashMap<String, String>, key: &str, field: &'static str) -> Result<i64, StoreError> {
    id_of(f, key).ok_or(StoreError::Invalid(vec![DomainError::Required { field }]))
}

pub(super) fn text<'a>(f: &'a HashMap<String, String>, key: &str) -> &'a str {
    f.get(key).map(String::as_str).unwrap_or("")
}

/// The errors of several field checks at once, or none.
fn all_ok(errors: Vec<DomainError>) -> Result<(), StoreError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

// ---------------------------------------------------------------------------------------
// The list of conferences.

#[derive(Template)]
#[template(path = "alliance/list.html")]
struct ListPage {
    p: Ctx,
    rows: Vec<ConferenceView>,
    /// A liaison's member units: (member, its conference's name).
    mine: Vec<(AllianceMemberView, String)>,
    can_create: bool,
}

async fn list_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let p = ctx(&headers, Some(&a), "alliance.title");
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let rows = s.list_conferences(&a.actor, false).await?;
        let mine = s.my_alliance_members(&a.actor).await?;
        Ok((rows, mine))
    }
    .await;
    match r {
        Ok((rows, mine)) => {
            let name_of = |id: ConferenceId| {
                rows.iter()
                    .find(|c| c.id == id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default()
            };
            let mine = mine
                .into_iter()
                .map(|m| {
                    let n = name_of(m.conference_id);
                    (m, n)
                })
                .collect();
            render(&ListPage {
                mine,
                rows,
                can_create: a.actor.role.may(Action::WriteAlliance),
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// Recording and editing a conference.

#[derive(Template)]
#[template(path = "alliance/form.html")]
struct FormPage {
    p: Ctx,
    action: String,
    cancel: String,
    version: i64,
    is_new: bool,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
    division: FormField,
    /// Conferences a new one may sit under: (id, name).
    parents: Vec<(String, String)>,
}

impl FormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

async fn form_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: Option<i64>,
    version: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.title");
    let lang = p.lang;
    p.title = format!(
        "{} · {}",
        lang.t("alliance.title"),
        lang.t(if id.is_some() { "ui.edit" } else { "ui.new" })
    );
    let parents = match state.store.list_conferences(&a.actor, false).await {
        Ok(v) => v
            .into_iter()
            .filter(|c| Some(c.id.0) != id)
            .map(|c| (c.id.0.to_string(), c.name))
            .collect(),
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    let division = FormField::picker_in(
        "division",
        lang.t("field.division"),
        PickTarget::Division,
        &values,
        &errors,
    );
    let refused = !errors.is_empty();
    let r = render(&FormPage {
        action: match id {
            Some(id) => format!("/alliance/{id}/edit"),
            None => "/alliance/new".into(),
        },
        cancel: match id {
            Some(id) => format!("/alliance/{id}"),
            None => "/alliance".into(),
        },
        version,
        is_new: id.is_none(),
        division,
        parents,
        values,
        errors,
        p,
    });
    crate::shell::refused_if(r, refused)
}

async fn new_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    if let Err(e) = a.actor.require(Action::WriteAlliance) {
        return error_page(&headers, Some(&a), e.into());
    }
    let values = crate::pickers::home_division(&state, &a).await;
    form_view(&state, &headers, &a, None, 0, values, HashMap::new()).await
}

/// Reads the conference form: its division picker resolved, every field checked at once.
async fn read_form(
    state: &AppState,
    a: &auth::Auth,
    lang: Lang,
    f: &mut HashMap<String, String>,
) -> Result<Result<ConferenceFields, HashMap<String, String>>, ApiError> {
    let (pick_errors, ids) = resolve(
        state,
        a,
        &[PickSpec::one("division", PickTarget::Division)],
        f,
        &HashMap::new(),
    )
    .await?;
    let mut errors: HashMap<String, String> = pick_errors
        .into_iter()
        .map(|e| (e.field.clone(), e.message(lang)))
        .collect();
    let founded_on = date_of(f, "founded_on", "founded_on").unwrap_or_else(|e| {
        errors.insert(
            "founded_on".into(),
            ApiError::from(StoreError::Invalid(vec![e])).fields[0].message(lang),
        );
        None
    });
    let division = ids.get("division").cloned().unwrap_or_default();
    match ConferenceFields::parse(text(f, "name"), &division, founded_on, text(f, "mechanisms")) {
        Ok(c) if errors.is_empty() => Ok(Ok(c)),
        Ok(_) => Ok(Err(errors)),
        Err(es) => {
            for (k, v) in field_messages(lang, &ApiError::from(StoreError::Invalid(es)), "name") {
                errors.entry(k).or_insert(v);
            }
            Ok(Err(errors))
        }
    }
}

async fn new_submit(State(state): State<AppState>, headers: HeaderMap, CheckedForm(a, mut f): CheckedForm) -> Response {
    if let Err(e) = a.actor.require(Action::WriteAlliance) {
        return error_page(&headers, Some(&a), e.into());
    }
    let lang = crate::shell::lang_of(&headers);
    let fields = match read_form(&state, &a, lang, &mut f).await {
        Ok(Ok(c)) => c,
        Ok(Err(errors)) => return form_view(&state, &headers, &a, None, 0, f, errors).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let parent = id_of(&f, "parent_id").map(ConferenceId);
    match state.store.create_conference(&a.actor, &fields, parent).await {
        Ok(c) => Redirect::to(&format!("/alliance/{}", c.id.0)).into_response(),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "name");
            form_view(&state, &headers, &a, None, 0, f, errors).await
        }
    }
}

async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
) -> Response {
    let s = &state.store;
    let c = match s.get_conference(&a.actor, ConferenceId(id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    if let Err(e) = s.check_conference_right(&a.actor, c.id, ConferenceRight::Office).await {
        return error_page(&headers, Some(&a), e.into());
    }
    let label = crate::pickers::label_of(&state, &a, PickTarget::Division, &c.division_code)
        .await
        .unwrap_or_else(|_| c.division_name.clone());
    let values = HashMap::from([
        ("name".to_string(), c.name.clone()),
        ("division".to_string(), label),
        ("division__id".to_string(), c.division_code.clone()),
        (
            "founded_on".to_string(),
            c.founded_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("mechanisms".to_string(), c.mechanisms.clone().unwrap_or_default()),
    ]);
    form_view(&state, &headers, &a, Some(id), c.version, values, HashMap::new()).await
}

async fn edit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let s = &state.store;
    if let Err(e) = s
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let lang = crate::shell::lang_of(&headers);
    let version = id_of(&f, "version").unwrap_or(0);
    let before = match s.get_conference(&a.actor, ConferenceId(id)).await {
        Ok(c) => c,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    // Only what the form carries changes; the rest is filled in as it stands, so that the
    // form is checked whole.
    let carried = |k: &str| f.contains_key(k);
    let (name, division, founded, mechanisms) = (
        carried("name"),
        carried("division"),
        carried("founded_on"),
        carried("mechanisms"),
    );
    for (k, v) in [
        ("name", before.name.clone()),
        ("division", before.division_code.clone()),
        ("division__id", before.division_code.clone()),
        (
            "founded_on",
            before.founded_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("mechanisms", before.mechanisms.clone().unwrap_or_default()),
    ] {
        f.entry(k.to_string()).or_insert(v);
    }
    let fields = match read_form(&state, &a, lang, &mut f).await {
        Ok(Ok(c)) => c,
        Ok(Err(errors)) => return form_view(&state, &headers, &a, Some(id), version, f, errors).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let patch = ConferencePatch {
        name: name.then(|| fields.name.clone()),
        division: division.then(|| fields.division.to_string()),
        founded_on: founded.then_some(fields.founded_on),
        mechanisms: mechanisms.then(|| fields.mechanisms.clone().unwrap_or_default()),
        archived: None,
    };
    match s.update_conference(&a.actor, ConferenceId(id), version, &patch).await {
        Ok(_) => Redirect::to(&format!("/alliance/{id}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "name");
            form_view(&state, &headers, &a, Some(id), version, f, errors).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A conference's page.

#[derive(Template)]
#[template(path = "alliance/detail.html")]
struct DetailPage {
    p: Ctx,
    c: ConferenceView,
    can_keep: bool,
    subs: Vec<ConferenceView>,
    /// (member, kind in words, offices held today in words)
    members: Vec<(AllianceMemberView, String, String)>,
    with_left: bool,
    /// (term, office in words)
    offices: Vec<(OfficeView, String)>,
    plenaries: Vec<PlenarySummary>,
    visits: Vec<VisitView>,
    vocabulary: Vec<VocabularyLine>,
    unit: FormField,
    kinds: Vec<(String, String)>,
    office_kinds: Vec<(String, String)>,
    /// Member units today, for the forms that name one: (id, name).
    current: Vec<(String, String)>,
    next_number: i32,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
    history: Vec<(String, String, String, String)>,
}

impl DetailPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
struct DetailParams {
    #[serde(default)]
    left: bool,
}

async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<DetailParams>,
) -> Response {
    detail_view(&state, &headers, &a, id, q.left, Refusal::default()).await
}

async fn detail_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    with_left: bool,
    refusal: Refusal,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.title");
    let lang = p.lang;
    let s = &state.store;
    let id = ConferenceId(id);
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, id).await?;
        let can_keep = s.conference_right(&a.actor, id).await? == ConferenceRight::Office;
        let subs = s.sub_conferences(&a.actor, id).await?;
        let members = s.list_alliance_members(&a.actor, id, with_left).await?;
        let offices = s.list_alliance_offices(&a.actor, id).await?;
        let plenaries = s.list_plenaries(&a.actor, id).await?;
        let visits = s.list_visits(&a.actor, id, None).await?;
        let vocabulary = s.list_vocabulary(&a.actor, id).await?;
        let history = if can_keep {
            s.conference_history(&a.actor, id).await?
        } else {
            vec![]
        };
        Ok((
            c, can_keep, subs, members, offices, plenaries, visits, vocabulary, history,
        ))
    }
    .await;
    let (c, can_keep, subs, members, offices, plenaries, visits, vocabulary, history) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = c.name.clone();
    let held_today = |m: &AllianceMemberView| {
        offices
            .iter()
            .filter(|o| o.current && o.member_id == m.id)
            .map(|o| kind_text(lang, &o.office, &o.office_label))
            .collect::<Vec<_>>()
            .join("、")
    };
    let current = members
        .iter()
        .filter(|m| m.current)
        .map(|m| (m.id.0.to_string(), m.name.clone()))
        .collect();
    let members = members
        .into_iter()
        .map(|m| {
            let (k, o) = (kind_text(lang, &m.kind, &m.kind_label), held_today(&m));
            (m, k, o)
        })
        .collect();
    let offices = offices
        .into_iter()
        .map(|o| {
            let l = kind_text(lang, &o.office, &o.office_label);
            (o, l)
        })
        .collect();
    let mut unit = FormField::picker(
        "member_unit",
        lang.t("alliance.registry_unit"),
        PickTarget::Unit,
        refusal.typed.get("member_unit").cloned().unwrap_or_default(),
        String::new(),
    );
    unit.error = refusal.errors.get("member_unit").cloned();
    refusal.flash(&mut p);
    let refused = !refusal.errors.is_empty();
    let r = render(&DetailPage {
        next_number: plenaries.iter().map(|p| p.number).max().unwrap_or(0) + 1,
        kinds: options::<MemberKind>(lang),
        office_kinds: options::<Office>(lang),
        history: history_rows(lang, history),
        errors: refusal.errors,
        typed: refusal.typed,
        can_keep,
        subs,
        members,
        with_left,
        offices,
        plenaries,
        visits,
        vocabulary,
        unit,
        current,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

/// The page a form returns to: a conference's, a member unit's, a plenary's.
enum Back {
    Conference(i64),
    Member(i64, i64),
    Plenary(i64, i64),
}

/// What a form sent, to show beside it when refused: its name (the prefix of its error
/// keys), the field a refusal naming none is shown beside, what was typed.
struct Sent<'a> {
    form: &'a str,
    fallback: &'a str,
    typed: &'a HashMap<String, String>,
}

impl<'a> Sent<'a> {
    fn new(form: &'a str, fallback: &'a str, typed: &'a HashMap<String, String>) -> Self {
        Sent { form, fallback, typed }
    }
}

/// After a form: back to its page, or the page again with the refusal beside the form.
async fn after<T>(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    back: Back,
    r: Result<T, StoreError>,
    sent: Sent<'_>,
) -> Response {
    let e = match r {
        Ok(_) => {
            let to = match back {
                Back::Conference(id) => format!("/alliance/{id}"),
                Back::Member(id, m) => format!("/alliance/{id}/members/{m}"),
                Back::Plenary(id, p) => format!("/alliance/{id}/plenaries/{p}"),
            };
            return Redirect::to(&to).into_response();
        }
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => return error_page(headers, Some(a), e.into()),
        Err(e) => e,
    };
    let lang = crate::shell::lang_of(headers);
    let refusal = Refusal::on_page(lang, sent.form, e, sent.fallback, sent.typed);
    match back {
        Back::Conference(id) => detail_view(state, headers, a, id, false, refusal).await,
        Back::Member(id, m) => member_view(state, headers, a, id, m, refusal).await,
        Back::Plenary(id, p) => plenary_view(state, headers, a, (id, p), false, refusal).await,
    }
}

/// The unit a form names: a registry unit by its picker, or an outside organisation
/// by the form's `name`.
enum Picked {
    Named(Option<UnitId>, Option<String>),
    /// The picker's text named no unit of the caller's territory, or several: shown
    /// again beside the picker with what was typed.
    Refused(Refusal),
}

/// Reads a form's unit picker `field` (resolved in the caller's territory) and its
/// `name` field.
async fn unit_or_name(
    state: &AppState,
    a: &auth::Auth,
    headers: &HeaderMap,
    field: &'static str,
    f: &mut HashMap<String, String>,
) -> Result<Picked, ApiError> {
    let typed = text(f, field).to_string();
    let (pick_errors, ids) = resolve(state, a, &[PickSpec::one(field, PickTarget::Unit)], f, &HashMap::new()).await?;
    if let Some(e) = pick_errors.into_iter().next() {
        let lang = crate::shell::lang_of(headers);
        return Ok(Picked::Refused(Refusal {
            errors: HashMap::from([(field.to_string(), e.message(lang))]),
            typed: HashMap::from([(field.to_string(), typed)]),
        }));
    }
    let unit = ids.get(field).and_then(|u| u.parse().ok()).map(UnitId);
    let name = Some(text(f, "name").to_string()).filter(|n| !n.trim().is_empty());
    Ok(Picked::Named(unit, name))
}

/// A form that named neither a registry unit nor an outside organisation is refused
/// beside the name, the field a person fills in when the picker finds nothing.
fn neither_beside_name(e: StoreError) -> StoreError {
    match e {
        StoreError::Invalid(v) => StoreError::Invalid(
            v.into_iter()
                .map(|d| match d {
                    DomainError::Required { field: "unit" } => DomainError::Required { field: "name" },
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Refuses a form unless the caller keeps the conference (before the form is read).
pub(super) async fn keeps(state: &AppState, headers: &HeaderMap, a: &auth::Auth, id: i64) -> Result<(), Response> {
    state
        .store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Office)
        .await
        .map_err(|e| error_page(headers, Some(a), e.into()))
}

async fn add_member_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let typed = f.clone();
    let (unit, name) = match unit_or_name(&state, &a, &headers, "member_unit", &mut f).await {
        Ok(Picked::Named(unit, name)) => (unit, name),
        Ok(Picked::Refused(refusal)) => return detail_view(&state, &headers, &a, id, false, refusal).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let mut errors = vec![];
    let joined = date_of(&f, "joined_on", "joined_on")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let plaque = date_of(&f, "plaque_on", "plaque_on")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let r = match (
        all_ok(errors),
        MemberFields::parse(text(&f, "kind"), joined, plaque, None),
    ) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(e)) => Err(StoreError::Invalid(e)),
        (Ok(()), Ok(fields)) => {
            let input = AllianceMemberInput { unit, name, fields };
            state
                .store
                .add_alliance_member(&a.actor, ConferenceId(id), &input)
                .await
        }
    };
    let r = r.map_err(neither_beside_name);
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new("member", "name", &typed),
    )
    .await
}

async fn add_office_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let mut errors = vec![];
    let office = Office::parse_any(text(&f, "office"));
    if office.is_none() {
        errors.push(DomainError::UnknownValue { field: "office" });
    }
    let member = id_of(&f, "member_id");
    if member.is_none() {
        errors.push(DomainError::Required { field: "member" });
    }
    let starts = date_of(&f, "starts_on", "starts_on")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let ends = date_of(&f, "ends_on", "ends_on")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let term = if errors.is_empty() {
        Term::parse(starts, ends).map_err(|e| errors.push(e)).ok()
    } else {
        None
    };
    let r = match (office, member, term) {
        (Some(o), Some(m), Some(t)) if errors.is_empty() => {
            state
                .store
                .add_alliance_office(&a.actor, ConferenceId(id), AllianceMemberId(m), o, t)
                .await
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new("office", "starts_on", &f),
    )
    .await
}

async fn end_office_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, office)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let r = match date_of(&f, "ends_on", "ends_on") {
        // "Withdraw" sends no date: the term was entered in error.
        Ok(ends) if ends.is_some() || f.contains_key("withdraw") => {
            state
                .store
                .end_alliance_office(&a.actor, ConferenceId(id), office, ends)
                .await
        }
        Ok(_) => Err(StoreError::Invalid(vec![DomainError::Required { field: "ends_on" }])),
        Err(e) => Err(StoreError::Invalid(vec![e])),
    };
    let form = format!("end{office}");
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new(&form, "ends_on", &HashMap::new()),
    )
    .await
}

async fn new_plenary_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let r = match date_of(&f, "held_on", "held_on") {
        Err(e) => Err(StoreError::Invalid(vec![e])),
        Ok(held) => match PlenaryFields::parse(held, text(&f, "place"), text(&f, "agenda")) {
            Err(e) => Err(StoreError::Invalid(e)),
            Ok(fields) => {
                let input = PlenaryInput {
                    number: None,
                    fields,
                    chair: None,
                };
                state.store.create_plenary(&a.actor, ConferenceId(id), &input).await
            }
        },
    };
    match r {
        Ok(p) => Redirect::to(&format!("/alliance/{id}/plenaries/{}", p.id.0)).into_response(),
        Err(e) => {
            after(
                &state,
                &headers,
                &a,
                Back::Conference(id),
                Err::<(), _>(e),
                Sent::new("plenary", "held_on", &f),
            )
            .await
        }
    }
}

async fn add_visit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let mut errors = vec![];
    let member = id_of(&f, "member_id");
    if member.is_none() {
        errors.push(DomainError::Required { field: "member" });
    }
    let on = date_of(&f, "visited_on", "visited_on")
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let fields = VisitFields::parse(on, text(&f, "visitors"), text(&f, "notes"));
    let r = match (member, fields) {
        (Some(m), Ok(v)) if errors.is_empty() => {
            state
                .store
                .add_visit(&a.actor, ConferenceId(id), AllianceMemberId(m), &v)
                .await
        }
        (_, Err(e)) => {
            errors.extend(e);
            Err(StoreError::Invalid(errors))
        }
        _ => Err(StoreError::Invalid(errors)),
    };
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new("visit", "visitors", &f),
    )
    .await
}

async fn add_vocabulary_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let r = state
        .store
        .add_vocabulary(&a.actor, ConferenceId(id), text(&f, "lines"))
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new("vocabulary", "lines", &f),
    )
    .await
}

async fn remove_vocabulary_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, line)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let r = state.store.remove_vocabulary(&a.actor, ConferenceId(id), line).await;
    after(
        &state,
        &headers,
        &a,
        Back::Conference(id),
        r,
        Sent::new("vocabulary", "lines", &f),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// A member unit's page.

#[derive(Template)]
#[template(path = "alliance/member.html")]
struct MemberPage {
    p: Ctx,
    c: ConferenceView,
    m: AllianceMemberView,
    kind: String,
    can_keep: bool,
    liaisons: Vec<(i64, String)>,
    visits: Vec<VisitView>,
    kinds: Vec<(String, String)>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl MemberPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    /// What the edit form shows for `field`: what was typed when refused, else the record.
    fn value(&self, field: &str) -> String {
        if let Some(v) = self.typed.get(&format!("edit_{field}")) {
            return v.clone();
        }
        let d = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        match field {
            "name" => self.m.name.clone(),
            "kind" => self.m.kind.clone(),
            "joined_on" => self.m.joined_on.to_string(),
            "plaque_on" => d(self.m.plaque_on),
            "left_on" => d(self.m.left_on),
            _ => String::new(),
        }
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }
}

async fn member_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((id, member)): Path<(i64, i64)>,
) -> Response {
    member_view(&state, &headers, &a, id, member, Refusal::default()).await
}

async fn member_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    id: i64,
    member: i64,
    refusal: Refusal,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.title");
    let lang = p.lang;
    let s = &state.store;
    let (c_id, m_id) = (ConferenceId(id), AllianceMemberId(member));
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, c_id).await?;
        let m = s.get_alliance_member(&a.actor, c_id, m_id).await?;
        let can_keep = s.conference_right(&a.actor, c_id).await? == ConferenceRight::Office;
        let liaisons = if can_keep {
            s.alliance_liaisons(&a.actor, c_id, m_id).await?
        } else {
            vec![]
        };
        let visits = s.list_visits(&a.actor, c_id, Some(m_id)).await?;
        Ok((c, m, can_keep, liaisons, visits))
    }
    .await;
    let (c, m, can_keep, liaisons, visits) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = m.name.clone();
    refusal.flash(&mut p);
    let refused = !refusal.errors.is_empty();
    let r = render(&MemberPage {
        kind: kind_text(lang, &m.kind, &m.kind_label),
        kinds: options::<MemberKind>(lang),
        errors: refusal.errors,
        typed: refusal.typed,
        can_keep,
        liaisons,
        visits,
        c,
        m,
        p,
    });
    crate::shell::refused_if(r, refused)
}

async fn member_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, member)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let version = id_of(&f, "version").unwrap_or(0);
    let mut errors = vec![];
    // Only the fields the form carries change.
    let mut date = |key: &'static str| -> Option<Option<NaiveDate>> {
        if !f.contains_key(key) {
            return None;
        }
        date_of(&f, key, key).map_err(|e| errors.push(e)).ok()
    };
    let joined_on = date("joined_on");
    let plaque_on = date("plaque_on");
    let left_on = date("left_on");
    if joined_on == Some(None) {
        errors.push(DomainError::Required { field: "joined_on" });
    }
    let patch = AllianceMemberPatch {
        name: f.get("name").cloned(),
        kind: f.get("kind").cloned(),
        joined_on: joined_on.flatten(),
        plaque_on,
        left_on,
    };
    let r = match all_ok(errors) {
        Err(e) => Err(e),
        Ok(()) => {
            state
                .store
                .update_alliance_member(&a.actor, ConferenceId(id), AllianceMemberId(member), version, &patch)
                .await
        }
    };
    after(
        &state,
        &headers,
        &a,
        Back::Member(id, member),
        r,
        Sent::new("edit", "kind", &f),
    )
    .await
}

async fn liaison_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, member)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let r = state
        .store
        .add_alliance_liaison(
            &a.actor,
            ConferenceId(id),
            AllianceMemberId(member),
            text(&f, "username"),
        )
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Member(id, member),
        r,
        Sent::new("liaison", "username", &f),
    )
    .await
}

async fn liaison_remove_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, member)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let Some(account) = id_of(&f, "account_id") else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    let r = state
        .store
        .remove_alliance_liaison(&a.actor, ConferenceId(id), AllianceMemberId(member), account)
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Member(id, member),
        r,
        Sent::new("liaison", "username", &HashMap::new()),
    )
    .await
}

// ---------------------------------------------------------------------------------------
// A plenary's record.

#[derive(Template)]
#[template(path = "alliance/plenary.html")]
struct PlenaryPage {
    p: Ctx,
    c: ConferenceView,
    v: PlenaryView,
    can_keep: bool,
    /// The printable copy: the record alone.
    print: bool,
    /// Every member unit that may have attended (a member on the day): (id, name, present).
    roll: Vec<(i64, String, bool)>,
    /// (item, kind in words)
    items: Vec<(tongxin_store::alliance::PlenaryItemView, String)>,
    /// Admitted units: (member, kind in words)
    admitted: Vec<(AllianceMemberView, String)>,
    unit: FormField,
    kinds: Vec<(String, String)>,
    item_kinds: Vec<(String, String)>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl PlenaryPage {
    fn error(&self, key: &str) -> String {
        self.errors.get(key).cloned().unwrap_or_default()
    }

    fn typed(&self, key: &str) -> String {
        self.typed.get(key).cloned().unwrap_or_default()
    }

    /// The edit form's value of `field`: typed when refused, else the record.
    fn value(&self, field: &str) -> String {
        if let Some(v) = self.typed.get(&format!("edit_{field}")) {
            return v.clone();
        }
        let s = &self.v.summary;
        match field {
            "held_on" => s.held_on.to_string(),
            "place" => s.place.clone().unwrap_or_default(),
            "agenda" => self.v.agenda.clone().unwrap_or_default(),
            "chair_id" => s.chair_id.map(|c| c.0.to_string()).unwrap_or_default(),
            _ => String::new(),
        }
    }
}

async fn plenary_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((id, plenary)): Path<(i64, i64)>,
) -> Response {
    plenary_view(&state, &headers, &a, (id, plenary), false, Refusal::default()).await
}

async fn record_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((id, plenary)): Path<(i64, i64)>,
) -> Response {
    plenary_view(&state, &headers, &a, (id, plenary), true, Refusal::default()).await
}

async fn plenary_view(
    state: &AppState,
    headers: &HeaderMap,
    a: &auth::Auth,
    (id, plenary): (i64, i64),
    print: bool,
    refusal: Refusal,
) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.title");
    let lang = p.lang;
    let s = &state.store;
    let (c_id, p_id) = (ConferenceId(id), PlenaryId(plenary));
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, c_id).await?;
        let v = s.get_plenary(&a.actor, c_id, p_id).await?;
        let can_keep = !print && s.conference_right(&a.actor, c_id).await? == ConferenceRight::Office;
        Ok((c, v, can_keep))
    }
    .await;
    let (c, v, can_keep) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    p.title = lang
        .t("alliance.plenary_title")
        .replace("{name}", &c.name)
        .replace("{n}", &v.summary.number.to_string());
    let mut roll: Vec<(i64, String, bool)> = v
        .attendance
        .iter()
        .map(|m| (m.id.0, m.name.clone(), true))
        .chain(v.absent.iter().map(|m| (m.id.0, m.name.clone(), false)))
        .collect();
    roll.sort_by(|x, y| x.1.cmp(&y.1));
    let items = v
        .items
        .iter()
        .map(|i| (i.clone(), kind_text(lang, &i.kind, &i.kind_label)))
        .collect();
    let admitted = v
        .admitted
        .iter()
        .map(|m| (m.clone(), kind_text(lang, &m.kind, &m.kind_label)))
        .collect();
    let mut unit = FormField::picker(
        "admit_unit",
        lang.t("alliance.registry_unit"),
        PickTarget::Unit,
        refusal.typed.get("admit_unit").cloned().unwrap_or_default(),
        String::new(),
    );
    unit.error = refusal.errors.get("admit_unit").cloned();
    refusal.flash(&mut p);
    let refused = !refusal.errors.is_empty();
    let r = render(&PlenaryPage {
        kinds: options::<MemberKind>(lang),
        item_kinds: options::<PlenaryItemKind>(lang),
        errors: refusal.errors,
        typed: refusal.typed,
        can_keep,
        print,
        roll,
        items,
        admitted,
        unit,
        c,
        v,
        p,
    });
    crate::shell::refused_if(r, refused)
}

async fn plenary_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, plenary)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let version = id_of(&f, "version").unwrap_or(0);
    let r = match date_of(&f, "held_on", "held_on") {
        Err(e) => Err(StoreError::Invalid(vec![e])),
        Ok(held_on) => {
            let patch = PlenaryPatch {
                held_on,
                place: f.get("place").cloned(),
                agenda: f.get("agenda").cloned(),
                // An empty choice goes back to the rotation's chair.
                chair: f
                    .contains_key("chair_id")
                    .then(|| id_of(&f, "chair_id").map(AllianceMemberId)),
            };
            state
                .store
                .update_plenary(&a.actor, ConferenceId(id), PlenaryId(plenary), version, &patch)
                .await
        }
    };
    after(
        &state,
        &headers,
        &a,
        Back::Plenary(id, plenary),
        r,
        Sent::new("edit", "held_on", &f),
    )
    .await
}

async fn attendance_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, plenary)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    // Each checkbox is named `present_<member id>`.
    let present: Vec<AllianceMemberId> = f
        .keys()
        .filter_map(|k| k.strip_prefix("present_"))
        .filter_map(|m| m.parse().ok())
        .map(AllianceMemberId)
        .collect();
    let r = state
        .store
        .set_attendance(&a.actor, ConferenceId(id), PlenaryId(plenary), &present)
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Plenary(id, plenary),
        r,
        Sent::new("attendance", "attendance", &HashMap::new()),
    )
    .await
}

async fn admit_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, plenary)): Path<(i64, i64)>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let typed = f.clone();
    let (unit, name) = match unit_or_name(&state, &a, &headers, "admit_unit", &mut f).await {
        Ok(Picked::Named(unit, name)) => (unit, name),
        Ok(Picked::Refused(refusal)) => {
            return plenary_view(&state, &headers, &a, (id, plenary), false, refusal).await;
        }
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let r = state
        .store
        .admit_at_plenary(
            &a.actor,
            ConferenceId(id),
            PlenaryId(plenary),
            &Admission {
                unit,
                name,
                kind: text(&f, "kind").to_string(),
                plaque: f.contains_key("plaque"),
            },
        )
        .await
        .map_err(neither_beside_name);
    after(
        &state,
        &headers,
        &a,
        Back::Plenary(id, plenary),
        r,
        Sent::new("admit", "name", &typed),
    )
    .await
}

async fn item_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, plenary)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    if let Err(r) = keeps(&state, &headers, &a, id).await {
        return r;
    }
    let r = state
        .store
        .add_plenary_item(
            &a.actor,
            ConferenceId(id),
            PlenaryId(plenary),
            text(&f, "kind"),
            text(&f, "text"),
            id_of(&f, "member_id").map(AllianceMemberId),
        )
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Plenary(id, plenary),
        r,
        Sent::new("item", "text", &f),
    )
    .await
}

async fn item_remove_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, plenary)): Path<(i64, i64)>,
    CheckedForm(a, f): CheckedForm,
) -> Response {
    let Some(item) = id_of(&f, "item_id") else {
        return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
    };
    let r = state
        .store
        .remove_plenary_item(&a.actor, ConferenceId(id), PlenaryId(plenary), item)
        .await;
    after(
        &state,
        &headers,
        &a,
        Back::Plenary(id, plenary),
        r,
        Sent::new("item", "text", &HashMap::new()),
    )
    .await
}
