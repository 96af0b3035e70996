//! What a conference shows of itself: its annual summary (a printable page, its
//! workbook, the figures of the big screen's alliance panel), and the projects it has
//! signed, the page a party member of its territory reads on a phone.

use crate::auth::PageAuth;
use crate::i18n::Lang;
use crate::query::Q;
use crate::shell::{Ctx, ctx, error_page, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use chrono::{Datelike, Utc};
use serde::Deserialize;
use tongxin_domain::alliance::ConferenceId;
use tongxin_store::alliance::AnnualSummary;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alliance/{id}/summary", get(summary_page))
        .route("/alliance/{id}/summary.xlsx", get(summary_workbook))
        .route("/alliance/published", get(published_page))
}

#[derive(Deserialize, Default)]
pub(crate) struct YearParams {
    pub year: Option<i32>,
}

impl YearParams {
    pub fn year(&self) -> i32 {
        self.year.unwrap_or_else(|| Utc::now().date_naive().year())
    }
}

/// The summary as rows of (what, how many) in `lang`: one table for the page and the
/// workbook alike.
pub(crate) fn summary_rows(lang: Lang, s: &AnnualSummary) -> Vec<(String, String)> {
    let t = |k: &str| lang.t(k);
    let mut rows = vec![(t("alliance.sum_members"), s.members.to_string())];
    for k in &s.members_by_kind {
        rows.push((format!("　{}", kind_text(lang, &k.code, &k.label)), k.count.to_string()));
    }
    rows.push((t("alliance.sum_admitted"), s.admitted.to_string()));
    let held: Vec<String> = s
        .plenaries
        .iter()
        .map(|p| {
            format!(
                "{} ({})",
                lang.t("alliance.plenary_n").replace("{n}", &p.number.to_string()),
                p.held_on
            )
        })
        .collect();
    rows.push((
        t("alliance.sum_plenaries"),
        format!("{} {}", s.plenaries.len(), held.join("、")),
    ));
    for (key, f) in [("alliance.needs", &s.needs), ("alliance.resources", &s.resources)] {
        rows.push((
            format!("{} · {}", t(key), t("alliance.sum_posted")),
            f.posted.to_string(),
        ));
        for (code, n) in [("open", f.open), ("matched", f.matched), ("closed", f.closed)] {
            rows.push((format!("　{}", t(&format!("alliance.status_{code}"))), n.to_string()));
        }
    }
    rows.push((
        t("alliance.sum_projects"),
        s.projects_by_stage.iter().map(|x| x.count).sum::<usize>().to_string(),
    ));
    for k in &s.projects_by_stage {
        rows.push((format!("　{}", kind_text(lang, &k.code, &k.label)), k.count.to_string()));
    }
    rows.push((t("alliance.sum_matches"), s.matches_to_projects.to_string()));
    rows.push((t("alliance.sum_signings"), s.signings.to_string()));
    for k in &s.pairs_active {
        rows.push((
            format!("{} · {}", t("alliance.sum_pairs"), kind_text(lang, &k.code, &k.label)),
            k.count.to_string(),
        ));
    }
    rows.push((t("alliance.sum_pair_activities"), s.pair_activities.to_string()));
    rows
}

#[derive(Template)]
#[template(path = "alliance/summary.html")]
struct SummaryPage {
    p: Ctx,
    s: AnnualSummary,
    rows: Vec<(String, String)>,
    years: Vec<i32>,
}

async fn summary_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<YearParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "alliance.summary");
    let lang = p.lang;
    let s = match state.store.annual_summary(&a.actor, ConferenceId(id), q.year()).await {
        Ok(s) => s,
        Err(e) => return error_page(&headers, Some(&a), e.into()),
    };
    p.title = format!("{} · {} {}", s.conference_name, s.year, lang.t("alliance.summary"));
    let now = Utc::now().date_naive().year();
    render(&SummaryPage {
        rows: summary_rows(lang, &s),
        years: (now - 9..=now).rev().collect(),
        s,
        p,
    })
}

async fn summary_workbook(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<i64>,
    Q(q): Q<YearParams>,
) -> Response {
    let lang = crate::shell::lang_of(&headers);
    let r: Result<Response, ApiError> = async {
        let s = state
            .store
            .annual_summary(&a.actor, ConferenceId(id), q.year())
            .await
            .map_err(ApiError::from)?;
        let rows: Vec<Vec<String>> = summary_rows(lang, &s).into_iter().map(|(k, v)| vec![k, v]).collect();
        let headers = vec![lang.t("alliance.sum_item"), lang.t("alliance.sum_count")];
        let sheet = format!("{}", s.year);
        let bytes =
            crate::import::service::blocking(move || tongxin_import::write_table(&sheet, &headers, &rows)).await??;
        Ok(crate::import::service::xlsx_response(
            &format!("summary-{id}-{}.xlsx", s.year),
            bytes,
        ))
    }
    .await;
    r.unwrap_or_else(|e| error_page(&headers, Some(&a), e))
}

/// The projects each conference the caller sees has published, grouped by conference.
pub(crate) async fn published(
    state: &AppState,
    a: &crate::auth::Auth,
) -> Result<
    Vec<(
        tongxin_store::alliance::ConferenceView,
        Vec<tongxin_store::alliance::ProjectSummary>,
    )>,
    ApiError,
> {
    let mut out = vec![];
    for c in state.store.list_conferences(&a.actor, false).await? {
        let projects = state.store.published_projects(&a.actor, c.id).await?;
        if !projects.is_empty() {
            out.push((c, projects));
        }
    }
    Ok(out)
}

/// A published project with its stage and category in words.
type PublishedRow = (tongxin_store::alliance::ProjectSummary, String, String);

#[derive(Template)]
#[template(path = "alliance/published.html")]
struct PublishedPage {
    p: Ctx,
    /// (conference name, its projects)
    groups: Vec<(String, Vec<PublishedRow>)>,
}

async fn published_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let p = ctx(&headers, Some(&a), "alliance.published");
    let lang = p.lang;
    match published(&state, &a).await {
        Ok(groups) => render(&PublishedPage {
            groups: groups
                .into_iter()
                .map(|(c, ps)| {
                    let rows = ps
                        .into_iter()
                        .map(|x| {
                            let stage = kind_text(lang, &x.stage, &x.stage_label);
                            let category = match (&x.category, &x.category_label) {
                                (Some(c), Some(l)) => kind_text(lang, c, l),
                                _ => String::new(),
                            };
                            (x, stage, category)
                        })
                        .collect();
                    (c.name, rows)
                })
                .collect(),
            p,
        }),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}
