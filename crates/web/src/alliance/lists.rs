//! Needs and resources in the console, made for a liaison's phone as much as an office's
//! desk: a liaison's own page (its units, their posts, the projects they claimed, the
//! projects open to claim, and for the secretariat the reports overdue), the lists of
//! a conference, the form that posts or edits, and a post's page with its suggestions
//! and why each was made.

use super::pages::{division_and_dates, id_of, options, text};
use crate::auth::{self, PageAuth};
use crate::i18n::Lang;
use crate::query::Q;
use crate::shell::{CheckedForm, Ctx, FormField, ctx, error_page, field_messages, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use std::collections::HashMap;
use tongxin_domain::alliance::{AllianceMemberId, Category, ConferenceId, PostFields, PostInput, PostKind};
use tongxin_domain::registry::Labelled;
use tongxin_store::StoreError;
use tongxin_store::alliance::{
    AllianceMemberView, ConferenceRight, ConferenceView, MatchView, OverdueReport, PostPatch, PostView, ProjectSummary,
    Reason,
};
use tongxin_store::registry::PickTarget;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/mine", get(mine_page))
        .route("/alliance/{id}/posts", get(posts_page))
        .route("/alliance/{id}/posts/new", get(new_post_page).post(new_post_submit))
        .route("/alliance/{id}/posts/{post}", get(post_page))
        .route(
            "/alliance/{id}/posts/{post}/edit",
            get(edit_post_page).post(edit_post_submit),
        )
}

/// A post's kind, category and status in the page's language.
fn post_words(lang: Lang, v: &PostView) -> (String, String, String) {
    let kind = PostKind::parse_any(&v.kind).map_or_else(String::new, |k| kind_text(lang, k.code(), k.label_zh()));
    let category = match (&v.category, &v.category_label) {
        (Some(c), Some(l)) => kind_text(lang, c, l),
        _ => String::new(),
    };
    (kind, category, lang.t(&format!("alliance.status_{}", v.status)))
}

/// Why a suggestion was made, in words: the meanings shared, the same category, how
/// near, the time frames, the capacity.
pub(crate) fn reason_words(lang: Lang, reasons: &[Reason]) -> Vec<String> {
    reasons
        .iter()
        .map(|r| match r.kind {
            "meaning" => format!("{}：{}", lang.t("alliance.reason_meaning"), r.detail),
            "category" => lang.t("alliance.reason_category"),
            other => lang.t(&format!("alliance.reason_{other}_{}", r.detail)),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// A liaison's page.

/// One of the caller's member units with its posts and the projects it claimed.
struct MineUnit {
    m: AllianceMemberView,
    conference: String,
    posts: Vec<(PostView, String, String)>,
    claimed: Vec<ProjectSummary>,
}

#[derive(Template)]
#[template(path = "alliance/mine.html")]
struct MinePage {
    p: Ctx,
    units: Vec<MineUnit>,
    /// Projects open to claim in the caller's conferences.
    open: Vec<ProjectSummary>,
    /// Monthly reports overdue, for a secretariat's liaison.
    overdue: Vec<OverdueReport>,
}

async fn mine_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let mut p = ctx(&headers, Some(&a), "alliance.mine_title");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let mine = s.my_alliance_members(&a.actor).await?;
        let mut conferences: Vec<ConferenceId> = mine.iter().map(|m| m.conference_id).collect();
        conferences.dedup();
        let today = Utc::now().date_naive();
        let (mut units, mut open, mut overdue) = (vec![], vec![], vec![]);
        for c in conferences {
            let conf = s.get_conference(&a.actor, c).await?;
            let projects = s.list_projects(&a.actor, c, None).await?;
            for m in mine.iter().filter(|m| m.conference_id == c) {
                let posts = s.list_posts(&a.actor, c, None, None, Some(m.id)).await?;
                units.push(MineUnit {
                    posts: posts
                        .iter()
                        .map(|x| {
                            let (k, _, st) = post_words(lang, x);
                            (x.clone(), k, st)
                        })
                        .collect(),
                    claimed: projects
                        .iter()
                        .filter(|x| x.claimed_by.contains(&m.id))
                        .cloned()
                        .collect(),
                    conference: conf.name.clone(),
                    m: m.clone(),
                });
            }
            open.extend(projects.into_iter().filter(|x| x.stage == "open"));
            // Only the secretariat's liaisons (and offices) see the overdue list.
            match s.overdue_reports(&a.actor, c, today).await {
                Ok(v) => overdue.extend(v),
                Err(StoreError::Forbidden) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((units, open, overdue))
    }
    .await;
    match r {
        Ok((units, open, overdue)) => {
            p.title = lang.t("alliance.mine_title");
            render(&MinePage {
                p,
                units,
                open,
                overdue,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

// ---------------------------------------------------------------------------------------
// A conference's needs and resources.

#[derive(Template)]
#[template(path = "alliance/posts.html")]
struct PostsPage {
    p: Ctx,
    c: ConferenceView,
    /// `need`, `resource` or empty for both.
    kind: String,
    /// (post, kind, category, status in words)
    rows: Vec<(PostView, String, String, String)>,
    can_post: bool,
    can_import: bool,
}

#[derive(serde::Deserialize, Default)]
struct PostsParams {
    kind: Option<String>,
}

async fn posts_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<PostsParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "alliance.posts_title");
    let lang = p.lang;
    let kind = match PostKind::parse_field(q.kind.as_deref(), "kind").map_err(super::api::invalid) {
        Ok(k) => k,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let c = s.get_conference(&a.actor, ConferenceId(id)).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let rows = s.list_posts(&a.actor, c.id, kind, None, None).await?;
        Ok((c, right, rows))
    }
    .await;
    let (c, right, rows) = match r {
        Ok(x) => x,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    p.title = format!("{} · {}", c.name, lang.t("alliance.posts_title"));
    render(&PostsPage {
        rows: rows
            .into_iter()
            .map(|v| {
                let (k, cat, st) = post_words(lang, &v);
                (v, k, cat, st)
            })
            .collect(),
        kind: kind.map(|k| k.code().to_string()).unwrap_or_default(),
        can_post: right >= ConferenceRight::Liaison,
        can_import: right == ConferenceRight::Office,
        c,
        p,
    })
}

// ---------------------------------------------------------------------------------------
// Posting and editing.

#[derive(Template)]
#[template(path = "alliance/post_form.html")]
struct PostFormPage {
    p: Ctx,
    c: ConferenceView,
    action: String,
    cancel: String,
    is_new: bool,
    version: i64,
    /// The kind's code and its words.
    kind: (String, String),
    /// The member units the caller may post for: (id, name).
    members: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    division: FormField,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

impl PostFormPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn value(&self, field: &str) -> String {
        self.values.get(field).cloned().unwrap_or_default()
    }
}

/// The member units the caller may post for: its own as a liaison, every current one
/// as an office.
async fn postable_members(
    state: &AppState,
    a: &auth::Auth,
    c: ConferenceId,
) -> Result<Vec<(String, String)>, StoreError> {
    let s = &state.store;
    let right = s.conference_right(&a.actor, c).await?;
    let members = match right {
        ConferenceRight::Office => s.list_alliance_members(&a.actor, c, false).await?,
        ConferenceRight::Liaison => s
            .my_alliance_members(&a.actor)
            .await?
            .into_iter()
            .filter(|m| m.conference_id == c)
            .collect(),
        ConferenceRight::Public | ConferenceRight::Read => return Err(StoreError::Forbidden),
    };
    Ok(members
        .into_iter()
        .filter(|m| m.current)
        .map(|m| (m.id.0.to_string(), m.name))
        .collect())
}

struct PostForm {
    id: i64,
    post: Option<i64>,
    kind: PostKind,
    version: i64,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

async fn post_form_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, f: PostForm) -> Response {
    let mut p = ctx(headers, Some(a), "alliance.posts_title");
    let lang = p.lang;
    let r: Result<_, StoreError> = async {
        let c = state.store.get_conference(&a.actor, ConferenceId(f.id)).await?;
        let members = postable_members(state, a, c.id).await?;
        Ok((c, members))
    }
    .await;
    let (c, members) = match r {
        Ok(x) => x,
        Err(e) => return error_page(headers, Some(a), e.into()),
    };
    let kind_words = kind_text(lang, f.kind.code(), f.kind.label_zh());
    p.title = format!(
        "{} · {}",
        lang.t(if f.post.is_some() {
            "ui.edit"
        } else {
            "alliance.post_new"
        }),
        kind_words
    );
    let division = FormField::picker_in(
        "division",
        lang.t("field.division"),
        PickTarget::Division,
        &f.values,
        &f.errors,
    );
    let mut categories = vec![(String::new(), lang.t("alliance.category_none"))];
    categories.extend(options::<Category>(lang));
    let refused = !f.errors.is_empty();
    let r = render(&PostFormPage {
        action: match f.post {
            Some(post) => format!("/alliance/{}/posts/{post}/edit", f.id),
            None => format!("/alliance/{}/posts/new?kind={}", f.id, f.kind.code()),
        },
        cancel: match f.post {
            Some(post) => format!("/alliance/{}/posts/{post}", f.id),
            None => format!("/alliance/{}/posts?kind={}", f.id, f.kind.code()),
        },
        is_new: f.post.is_none(),
        version: f.version,
        kind: (f.kind.code().to_string(), kind_words),
        members,
        categories,
        division,
        values: f.values,
        errors: f.errors,
        c,
        p,
    });
    crate::shell::refused_if(r, refused)
}

#[derive(serde::Deserialize, Default)]
struct NewPostParams {
    kind: Option<String>,
    member: Option<i64>,
}

async fn new_post_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<NewPostParams>,
) -> Response {
    let kind = match PostKind::parse_field(q.kind.as_deref(), "kind").map_err(super::api::invalid) {
        Ok(k) => k.unwrap_or(PostKind::Need),
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let mut values = crate::pickers::home_division(&state, &a).await;
    if let Some(m) = q.member {
        values.insert("member_id".into(), m.to_string());
    }
    let form = PostForm {
        id,
        post: None,
        kind,
        version: 0,
        values,
        errors: HashMap::new(),
    };
    post_form_view(&state, &headers, &a, form).await
}

/// Reads the post form: the division picker resolved, every field checked at once.
async fn read_post_form(
    state: &AppState,
    a: &auth::Auth,
    lang: Lang,
    kind: PostKind,
    f: &mut HashMap<String, String>,
) -> Result<Result<PostFields, HashMap<String, String>>, ApiError> {
    let (division, starts_on, ends_on, mut errors) = division_and_dates(state, a, lang, f).await?;
    let parsed = PostFields::parse(&PostInput {
        kind: kind.code(),
        title: text(f, "title"),
        category: text(f, "category"),
        description: text(f, "description"),
        division: &division,
        place: text(f, "place"),
        audience: text(f, "audience"),
        starts_on,
        ends_on,
        people: text(f, "people"),
        contact_name: text(f, "contact_name"),
        contact_phone: text(f, "contact_phone"),
    });
    match parsed {
        Ok(v) if errors.is_empty() => Ok(Ok(v)),
        Ok(_) => Ok(Err(errors)),
        Err(es) => {
            for (k, v) in field_messages(lang, &ApiError::from(StoreError::Invalid(es)), "title") {
                errors.entry(k).or_insert(v);
            }
            Ok(Err(errors))
        }
    }
}

async fn new_post_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Q(q): Q<NewPostParams>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    if let Err(e) = state
        .store
        .check_conference_right(&a.actor, ConferenceId(id), ConferenceRight::Liaison)
        .await
    {
        return error_page(&headers, Some(&a), e.into());
    }
    let kind = match PostKind::parse_field(q.kind.as_deref(), "kind").map_err(super::api::invalid) {
        Ok(k) => k.unwrap_or(PostKind::Need),
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let again = |f: HashMap<String, String>, errors: HashMap<String, String>| PostForm {
        id,
        post: None,
        kind,
        version: 0,
        values: f,
        errors,
    };
    let fields = match read_post_form(&state, &a, lang, kind, &mut f).await {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => return post_form_view(&state, &headers, &a, again(f, errors)).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let Some(member) = id_of(&f, "member_id") else {
        let errors = HashMap::from([("member_id".to_string(), lang.t("error.validation.required"))]);
        return post_form_view(&state, &headers, &a, again(f, errors)).await;
    };
    match state
        .store
        .create_post(&a.actor, ConferenceId(id), AllianceMemberId(member), &fields)
        .await
    {
        Ok(v) => Redirect::to(&format!("/alliance/{id}/posts/{}", v.id)).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let mut errors = field_messages(lang, &ApiError::from(e), "title");
            if let Some(m) = errors.remove("member") {
                errors.insert("member_id".into(), m);
            }
            post_form_view(&state, &headers, &a, again(f, errors)).await
        }
    }
}

/// A post's values as its edit form shows them.
fn post_values(v: &PostView) -> HashMap<String, String> {
    let o = |x: &Option<String>| x.clone().unwrap_or_default();
    let d = |x: Option<chrono::NaiveDate>| x.map(|d| d.to_string()).unwrap_or_default();
    HashMap::from([
        ("member_id".into(), v.member_id.0.to_string()),
        ("title".into(), v.title.clone()),
        ("category".into(), o(&v.category)),
        ("description".into(), o(&v.description)),
        ("division".into(), v.division_name.clone()),
        ("division__id".into(), v.division_code.clone()),
        ("place".into(), o(&v.place)),
        ("audience".into(), o(&v.audience)),
        ("starts_on".into(), d(v.starts_on)),
        ("ends_on".into(), d(v.ends_on)),
        ("people".into(), v.people.map(|n| n.to_string()).unwrap_or_default()),
        ("contact_name".into(), o(&v.contact_name)),
        // The phone is shown masked and left unchanged unless a new one is typed.
        ("contact_phone".into(), String::new()),
    ])
}

async fn edit_post_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((id, post)): Path<(i64, i64)>,
) -> Response {
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        s.check_post_editable(&a.actor, post).await?;
        let v = s.get_post(&a.actor, post).await?;
        if v.conference_id.0 != id {
            return Err(StoreError::NotFound);
        }
        Ok(v)
    }
    .await;
    let v = match r {
        Ok(v) => v,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let form = PostForm {
        id,
        post: Some(post),
        kind: PostKind::parse_any(&v.kind).unwrap_or(PostKind::Need),
        version: v.version,
        values: post_values(&v),
        errors: HashMap::new(),
    };
    post_form_view(&state, &headers, &a, form).await
}

async fn edit_post_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, post)): Path<(i64, i64)>,
    CheckedForm(a, mut f): CheckedForm,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    let s = &state.store;
    let before = match async {
        s.check_post_editable(&a.actor, post).await?;
        s.get_post(&a.actor, post).await
    }
    .await
    {
        Ok(v) if v.conference_id.0 == id => v,
        Ok(_) => return error_page(&headers, Some(&a), StoreError::NotFound.into()),
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    let kind = PostKind::parse_any(&before.kind).unwrap_or(PostKind::Need);
    let version = id_of(&f, "version").unwrap_or(before.version);
    let again = |f: HashMap<String, String>, errors: HashMap<String, String>| PostForm {
        id,
        post: Some(post),
        kind,
        version,
        values: f,
        errors,
    };
    // A blank phone keeps the one on record (it is never shown in full to be kept).
    let phone_typed = !text(&f, "contact_phone").trim().is_empty();
    let fields = match read_post_form(&state, &a, lang, kind, &mut f).await {
        Ok(Ok(v)) => v,
        Ok(Err(errors)) => return post_form_view(&state, &headers, &a, again(f, errors)).await,
        Err(e) => return error_page(&headers, Some(&a), e),
    };
    let opt = |x: &Option<String>| x.clone().unwrap_or_default();
    // Only what changed is written: a field equal to the record is left out.
    let changed = |new: String, old: String| (new != old).then_some(new);
    let patch = PostPatch {
        title: changed(fields.title.clone(), before.title.clone()),
        category: changed(
            fields.category.map(|c| c.code().to_string()).unwrap_or_default(),
            opt(&before.category),
        ),
        description: changed(opt(&fields.description), opt(&before.description)),
        division: changed(fields.division.to_string(), before.division_code.clone()),
        place: changed(opt(&fields.place), opt(&before.place)),
        audience: changed(opt(&fields.audience), opt(&before.audience)),
        starts_on: (fields.starts_on != before.starts_on).then_some(fields.starts_on),
        ends_on: (fields.ends_on != before.ends_on).then_some(fields.ends_on),
        people: changed(
            fields.people.map(|n| n.to_string()).unwrap_or_default(),
            before.people.map(|n| n.to_string()).unwrap_or_default(),
        ),
        contact_name: changed(opt(&fields.contact_name), opt(&before.contact_name)),
        contact_phone: phone_typed.then(|| fields.contact_phone.map(|p| p.reveal().to_string()).unwrap_or_default()),
        status: f
            .get("status")
            .filter(|s| !s.is_empty() && **s != before.status)
            .cloned(),
    };
    match s.update_post(&a.actor, post, version, &patch).await {
        Ok(_) => Redirect::to(&format!("/alliance/{id}/posts/{post}")).into_response(),
        Err(e @ (StoreError::NotFound | StoreError::Forbidden)) => error_page(&headers, Some(&a), e.into()),
        Err(e) => {
            let errors = field_messages(lang, &ApiError::from(e), "title");
            post_form_view(&state, &headers, &a, again(f, errors)).await
        }
    }
}

// ---------------------------------------------------------------------------------------
// A post and its suggestions.

/// A suggestion as its page shows it.
struct Suggestion {
    m: MatchView,
    /// Its kind, category and status in words.
    words: (String, String, String),
    /// Why it was suggested, in words.
    reasons: Vec<String>,
}

#[derive(Template)]
#[template(path = "alliance/post.html")]
struct PostPage {
    p: Ctx,
    c: ConferenceView,
    v: PostView,
    words: (String, String, String),
    can_edit: bool,
    /// An office may turn the post, or the post with a suggestion, into a project.
    can_project: bool,
    matches: Vec<Suggestion>,
    /// The project the post became, if it did.
    project: Option<ProjectSummary>,
}

impl PostPage {
    /// The project form's query for this post with suggestion `other` (a need and a
    /// resource, whichever this post is).
    fn project_query(&self, other: Option<i64>) -> String {
        let mine = self.v.id;
        match (self.v.kind.as_str(), other) {
            ("need", Some(o)) => format!("need={mine}&resource={o}"),
            ("need", None) => format!("need={mine}"),
            (_, Some(o)) => format!("need={o}&resource={mine}"),
            (_, None) => format!("resource={mine}"),
        }
    }
}

async fn post_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path((id, post)): Path<(i64, i64)>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "alliance.posts_title");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, StoreError> = async {
        let v = s.get_post(&a.actor, post).await?;
        if v.conference_id.0 != id {
            return Err(StoreError::NotFound);
        }
        let c = s.get_conference(&a.actor, v.conference_id).await?;
        let right = s.conference_right(&a.actor, c.id).await?;
        let can_edit = s.check_post_editable(&a.actor, post).await.is_ok();
        let matches = if v.status == "open" {
            s.match_post(&a.actor, post, 10).await?
        } else {
            vec![]
        };
        let project = if v.status == "matched" {
            s.project_of_post(&a.actor, post).await?
        } else {
            None
        };
        Ok((v, c, right, can_edit, matches, project))
    }
    .await;
    let (v, c, right, can_edit, matches, project) = match r {
        Ok(x) => x,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    p.title = v.title.clone();
    render(&PostPage {
        words: post_words(lang, &v),
        matches: matches
            .into_iter()
            .map(|m| Suggestion {
                words: post_words(lang, &m.post),
                reasons: reason_words(lang, &m.reasons),
                m,
            })
            .collect(),
        can_project: right == ConferenceRight::Office && v.status == "open",
        can_edit,
        project,
        v,
        c,
        p,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every reason the matcher gives reads as words in both languages, never as a key.
    #[test]
    fn every_reason_is_in_words() {
        let all: &[(&'static str, &[&str])] = &[
            ("meaning", &["体检、老人"]),
            ("category", &[""]),
            ("place", &["community", "street", "district", "city"]),
            ("time", &["overlaps", "open", "ended"]),
            ("capacity", &["enough", "short", "unknown"]),
        ];
        for lang in [Lang::ZhCn, Lang::En] {
            for (kind, details) in all {
                for d in *details {
                    let r = Reason {
                        kind,
                        detail: d.to_string(),
                        weight: 0.1,
                    };
                    let w = reason_words(lang, &[r]).remove(0);
                    assert!(!w.contains("alliance."), "{kind} {d}: {w}");
                }
            }
        }
    }
}
