//! Coverage (全覆盖) in the API and the console: figures of a territory, the drill-down
//! through the division tree, gap lists with xlsx export, and the big screen (大屏).
//! Charts are inline SVG rendered on the server: no script, no Node build.

pub mod closing;

use crate::auth::{ApiAuth, PageAuth};
use crate::i18n::Lang;
use crate::import::service as import_service;
use crate::query::Q;
use crate::shell::{Ctx, ctx, error_page, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tongxin_domain::ErrorCode;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::coverage::{CoverageStatus, Figures};
use tongxin_domain::registry::{CarrierKind, Labelled, OrgId, OrgKind, UnitKind};
use tongxin_store::coverage::{GapKind, GapRow, Territory, Viewable};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, StoreError};

/// Coverage's API routes (see [`crate::openapi`]).
pub(crate) fn api_table() -> Vec<crate::openapi::Mounted> {
    use crate::openapi as r;
    use tongxin_domain::coverage::Figures;
    use tongxin_store::coverage::{ChainCoverage, Snapshot, TrendPoint};
    vec![
        r::get(
            "/api/v1/coverage/summary",
            "Coverage figures of a territory (division or org; the caller's own by default)",
            api_summary,
        ).returns(r::schema_of::<Figures>),
        r::get(
            "/api/v1/coverage/children",
            "Coverage figures of each division directly below a territory",
            api_children,
        ).returns(r::list_of::<ChildFigures>),
        r::get(
            "/api/v1/coverage/gaps/{kind}",
            "Gap list of a territory (uncovered units, qualifying units without an organisation, terms to renew, …); format=xlsx needs the import/export right",
            api_gaps,
        ).returns_or_workbook(r::page_of::<GapRow>),
        r::get(
            "/api/v1/coverage/trend",
            "Monthly trend of a territory's figures",
            api_trend,
        ).returns(r::list_of::<TrendPoint>),
        r::get(
            "/api/v1/coverage/chain/{id}",
            "Chain coverage of a unit's network (headquarters, franchisees, suppliers)",
            api_chain,
        ).returns(r::schema_of::<ChainCoverage>),
        r::post(
            "/api/v1/coverage/snapshots",
            "Take a snapshot of the figures now, or close a month",
            api_snapshot,
        ).returns(r::schema_of::<Snapshot>),
    ]
}

/// Coverage's console pages.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/coverage", get(dashboard))
        .route("/coverage/screen", get(screen))
        .route("/coverage/snapshot", post(snapshot_submit))
        .route("/coverage/chain/{id}", get(chain_page))
        .route("/coverage/gaps/{kind}", get(gaps_page))
}

/// Which territory a coverage request is for: a division or an organisation subtree;
/// neither means the caller's own territory.
#[derive(Debug, Default, Deserialize)]
pub struct TerritoryParams {
    pub division: Option<String>,
    pub org: Option<i64>,
}

impl TerritoryParams {
    fn asked(&self) -> Result<Option<Territory>, ApiError> {
        match (
            self.division.as_deref().map(str::trim).filter(|d| !d.is_empty()),
            self.org,
        ) {
            (Some(d), _) => DivisionCode::parse(d)
                .map(|c| Some(Territory::Division(c)))
                .map_err(|_| StoreError::UnknownDivision(d.into()).into()),
            (None, Some(o)) => Ok(Some(Territory::Org(OrgId(o)))),
            (None, None) => Ok(None),
        }
    }
}

async fn territory(s: &AppState, actor: &Actor, p: &TerritoryParams) -> Result<Viewable, ApiError> {
    Ok(s.store.coverage_territory(actor, p.asked()?).await?)
}

/// Coverage figures of a territory, read from counters kept exact on every edit.
async fn api_summary(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<TerritoryParams>,
) -> Result<Response, ApiError> {
    let t = territory(&s, &a.actor, &p).await?;
    Ok(Json(s.store.coverage_summary(&t).await?).into_response())
}

/// The monthly trend of a territory's figures (one point a month).
async fn api_trend(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<TerritoryParams>,
) -> Result<Response, ApiError> {
    let t = territory(&s, &a.actor, &p).await?;
    Ok(Json(s.store.coverage_trend(&t).await?).into_response())
}

/// The coverage of the network a lead unit drives (franchisees, suppliers, branches).
async fn api_chain(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<tongxin_domain::registry::UnitId>,
) -> Result<Response, ApiError> {
    Ok(Json(s.store.chain_coverage(&a.actor, id).await?).into_response())
}

#[derive(Template)]
#[template(path = "coverage/chain.html")]
struct ChainPage {
    p: Ctx,
    c: tongxin_store::coverage::ChainCoverage,
    bars: Vec<Bar>,
    org_rate: String,
    work_rate: String,
}

impl ChainPage {
    /// A link's relation (headquarters, franchisee, supplier) as a word of the page.
    fn relation(&self, code: &str, label: &str) -> String {
        crate::shell::history::kind_text(self.p.lang, code, label)
    }

    fn status(&self, s: &Option<CoverageStatus>) -> String {
        s.map(|s| self.p.t(&format!("coverage.status.{}", s.code())))
            .unwrap_or_default()
    }
}

async fn chain_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(id): Path<tongxin_domain::registry::UnitId>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "coverage.chain");
    match s.store.chain_coverage(&a.actor, id).await {
        Ok(c) => {
            p.title = format!("{} · {}", c.lead_name, p.t("coverage.chain"));
            let max = c.by_district.iter().map(|d| d.units.total).max().unwrap_or(0);
            let bars = c
                .by_district
                .iter()
                .map(|d| unit_bar(p.lang, format!("{} {}", d.name, d.code), &d.units, max))
                .collect();
            render(&ChainPage {
                org_rate: pct(c.org_coverage_rate),
                work_rate: pct(c.work_coverage_rate),
                bars,
                c,
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e.into()),
    }
}

/// Takes a snapshot of every territory's figures now (offices that keep the registry).
async fn api_snapshot(State(s): State<AppState>, ApiAuth(a): ApiAuth) -> Result<Response, ApiError> {
    let snap = s.store.take_coverage_snapshot(&a.actor, None).await?;
    Ok((StatusCode::CREATED, Json(snap)).into_response())
}

#[derive(Deserialize)]
struct SnapshotForm {
    csrf: Option<String>,
    back: Option<String>,
}

async fn snapshot_submit(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Form(f): Form<SnapshotForm>,
) -> Response {
    let result: Result<(), ApiError> = async {
        crate::shell::check_csrf(&a, f.csrf.as_ref())?;
        s.store.take_coverage_snapshot(&a.actor, None).await?;
        Ok(())
    }
    .await;
    match result {
        // Back to the dashboard it came from (a local path only).
        Ok(()) => Redirect::to(
            f.back
                .as_deref()
                .filter(|b| b.starts_with("/coverage") && !b.starts_with("//"))
                .unwrap_or("/coverage"),
        )
        .into_response(),
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

/// The figures of each division directly below a territory's division.
async fn children(s: &AppState, t: &Viewable) -> Result<Vec<(String, String, Figures)>, ApiError> {
    let parent = match t.territory() {
        Territory::All => None,
        Territory::Division(d) => Some(d.as_str()),
        Territory::Org(_) => return Ok(vec![]),
    };
    let kids = s.store.division_children(parent).await?;
    let codes: Vec<String> = kids.iter().map(|d| d.code.clone()).collect();
    let mut figures = s.store.coverage_summaries(t, &codes).await?;
    Ok(kids
        .into_iter()
        .filter_map(|d| figures.remove(&d.code).map(|f| (d.code, d.name, f)))
        .collect())
}

#[derive(Serialize, utoipa::ToSchema)]
struct ChildFigures {
    code: String,
    name: String,
    figures: Figures,
}

/// Figures of the divisions directly below a territory (drill-down).
async fn api_children(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Q(p): Q<TerritoryParams>,
) -> Result<Response, ApiError> {
    let t = territory(&s, &a.actor, &p).await?;
    let rows: Vec<ChildFigures> = children(&s, &t)
        .await?
        .into_iter()
        .map(|(code, name, figures)| ChildFigures { code, name, figures })
        .collect();
    Ok(Json(rows).into_response())
}

#[derive(Debug, Default, Deserialize)]
struct GapParams {
    division: Option<String>,
    org: Option<i64>,
    q: Option<String>,
    kind: Option<String>,
    sort: Option<String>,
    page: Option<u64>,
    per_page: Option<u64>,
    /// `xlsx`: the whole list as a workbook.
    format: Option<String>,
}

impl GapParams {
    fn territory(&self) -> TerritoryParams {
        TerritoryParams {
            division: self.division.clone(),
            org: self.org,
        }
    }
    fn list(&self) -> ListQuery {
        let text = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
        ListQuery {
            q: text(&self.q),
            kind: text(&self.kind),
            sort: text(&self.sort),
            page: self.page,
            per_page: self.per_page,
            ..Default::default()
        }
    }
    fn xlsx(&self) -> bool {
        self.format.as_deref() == Some("xlsx")
    }
}

fn gap_kind(kind: &str) -> Result<GapKind, ApiError> {
    GapKind::parse(kind).ok_or_else(|| ApiError::new(ErrorCode::NotFound))
}

/// Rows an export holds at most.
const EXPORT_MAX: u64 = 100_000;

/// Every row of a gap list (for the workbook), page by page.
async fn all_gaps(s: &AppState, t: &Viewable, kind: GapKind, q: &ListQuery) -> Result<Vec<GapRow>, ApiError> {
    let mut q = q.clone();
    q.per_page = Some(500);
    let mut rows = vec![];
    for page in 1.. {
        q.page = Some(page);
        let p = s.store.coverage_gaps(t, kind, &q).await?;
        let done = p.items.len() < 500 || rows.len() as u64 + 500 >= EXPORT_MAX;
        rows.extend(p.items);
        if done {
            break;
        }
    }
    Ok(rows)
}

async fn gap_workbook(
    actor: &tongxin_store::Actor,
    s: &AppState,
    t: &Viewable,
    kind: GapKind,
    q: &ListQuery,
    lang: Lang,
) -> Result<Response, ApiError> {
    // A workbook leaves the system: the import/export right, as for registry exports.
    actor.require(tongxin_domain::access::Action::ImportExport)?;
    let rows = all_gaps(s, t, kind, q).await?;
    let table = gap_table(kind, &rows, lang);
    let cells: Vec<Vec<String>> = table
        .rows
        .into_iter()
        .map(|r| r.into_iter().map(|c| c.text).collect())
        .collect();
    let title = lang.t(&format!("coverage.gap.{}", kind.code()));
    let headers = table.headers;
    // Writing a workbook is CPU work: off the async workers.
    let bytes = import_service::blocking(move || tongxin_import::write_table(&title, &headers, &cells))
        .await?
        .map_err(|_| ApiError::new(ErrorCode::Internal))?;
    Ok(import_service::xlsx_response(&format!("{}.xlsx", kind.code()), bytes))
}

/// One page of a gap list, or `?format=xlsx` for all of it.
async fn api_gaps(
    State(s): State<AppState>,
    ApiAuth(a): ApiAuth,
    Path(kind): Path<String>,
    Q(p): Q<GapParams>,
) -> Result<Response, ApiError> {
    let kind = gap_kind(&kind)?;
    let t = territory(&s, &a.actor, &p.territory()).await?;
    if p.xlsx() {
        return gap_workbook(&a.actor, &s, &t, kind, &p.list(), Lang::ZhCn).await;
    }
    Ok(Json(s.store.coverage_gaps(&t, kind, &p.list()).await?).into_response())
}

/// A table cell: text, and the page it opens.
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        href: None,
    }
}

pub struct GapTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The columns of a gap list, for the console and the workbook alike.
fn gap_table(kind: GapKind, rows: &[GapRow], lang: Lang) -> GapTable {
    let t = |k: &str| lang.t(k);
    let mut headers = vec![t("field.name"), t("field.kind"), t("field.division")];
    let extra: &[&str] = match kind {
        GapKind::UncoveredUnits | GapKind::ShouldSetUp => {
            &["field.carrier", "coverage.col.full_members", "coverage.col.status"]
        }
        GapKind::CarriersNotCovered => &[
            "coverage.col.units",
            "coverage.col.units_uncovered",
            "coverage.col.uncovered",
        ],
        GapKind::OverLimit => &[
            "coverage.col.units",
            "coverage.col.members",
            "coverage.col.reasons",
            "field.secretary",
        ],
        GapKind::Renewals => &["field.secretary", "field.term_ends_on", "coverage.col.renewal"],
    };
    headers.extend(extra.iter().map(|k| t(k)));
    let rows = rows
        .iter()
        .map(|r| {
            let mut c = vec![
                Cell {
                    text: r.name.clone(),
                    href: Some(r.link()),
                },
                cell(crate::shell::history::kind_text(lang, &r.kind, &r.kind_label)),
                cell(format!("{} {}", r.division_name, r.division_code)),
            ];
            match kind {
                GapKind::UncoveredUnits | GapKind::ShouldSetUp => {
                    c.push(Cell {
                        text: r.carrier_name.clone().unwrap_or_default(),
                        href: r.carrier_id.map(|id| format!("/carriers/{id}")),
                    });
                    c.push(cell(opt(r.full_members)));
                    c.push(cell(
                        r.status
                            .map(|s| t(&format!("coverage.status.{}", s.code())))
                            .unwrap_or_default(),
                    ));
                }
                GapKind::CarriersNotCovered => {
                    c.push(cell(opt(r.units)));
                    c.push(cell(opt(r.units_uncovered)));
                    c.push(cell(
                        r.uncovered
                            .iter()
                            .map(|u| u.name.as_str())
                            .collect::<Vec<_>>()
                            .join("、"),
                    ));
                }
                GapKind::OverLimit => {
                    c.push(cell(opt(r.units)));
                    c.push(cell(opt(r.members)));
                    c.push(cell(
                        r.reasons
                            .iter()
                            .map(|x| t(&format!("coverage.reason.{x}")))
                            .collect::<Vec<_>>()
                            .join("；"),
                    ));
                    c.push(cell(r.secretary.clone().unwrap_or_default()));
                }
                GapKind::Renewals => {
                    c.push(cell(r.secretary.clone().unwrap_or_default()));
                    c.push(cell(r.term_ends_on.map(|d| d.to_string()).unwrap_or_default()));
                    c.push(cell(
                        r.renewal
                            .map(|x| {
                                t(if x == tongxin_domain::coverage::Renewal::Overdue {
                                    "coverage.renewal.overdue"
                                } else {
                                    "coverage.renewal.due_soon"
                                })
                            })
                            .unwrap_or_default(),
                    ));
                }
            }
            c
        })
        .collect();
    GapTable { headers, rows }
}

/// A horizontal bar: segments laid side by side, in percent of the row's own total (or
/// of the chart's largest total).
pub struct Bar {
    pub label: String,
    pub segments: Vec<Segment>,
    pub note: String,
}

pub struct Segment {
    pub class: &'static str,
    pub x: f64,
    pub width: f64,
    pub title: String,
}

fn bar(label: String, parts: &[(&'static str, i64, String)], scale: i64, note: String) -> Bar {
    let mut x = 0.0;
    let segments = parts
        .iter()
        .filter(|p| p.1 > 0)
        .map(|(class, v, title)| {
            let width = if scale > 0 {
                *v as f64 * 100.0 / scale as f64
            } else {
                0.0
            };
            let s = Segment {
                class,
                x,
                width,
                title: format!("{title}: {v}"),
            };
            x += width;
            s
        })
        .collect();
    Bar { label, segments, note }
}

fn pct(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn unit_bar(lang: Lang, label: String, c: &tongxin_domain::coverage::UnitCounts, scale: i64) -> Bar {
    let s = |st: CoverageStatus| lang.t(&format!("coverage.status.{}", st.code()));
    bar(
        label,
        &[
            ("org", c.org_covered, s(CoverageStatus::Organisational)),
            ("work", c.work_covered, s(CoverageStatus::Work)),
            ("none", c.uncovered, s(CoverageStatus::Uncovered)),
        ],
        scale,
        format!(
            "{} · {}",
            c.total,
            pct((c.total > 0).then(|| (c.org_covered + c.work_covered) as f64 / c.total as f64))
        ),
    )
}

/// A chart of the dashboard: one per breakdown.
pub struct Chart {
    pub id: &'static str,
    pub title: String,
    pub bars: Vec<Bar>,
}

fn charts(f: &Figures, lang: Lang) -> Vec<Chart> {
    let kind_label = |code: &str| lang.t(&format!("kind.{code}"));
    let max_unit_kind = f.units_by_kind.values().map(|c| c.total).max().unwrap_or(0);
    let by_unit_kind: Vec<Bar> = UnitKind::ALL
        .iter()
        .filter_map(|k| {
            f.units_by_kind
                .get(k.code())
                .map(|c| unit_bar(lang, kind_label(k.code()), c, max_unit_kind))
        })
        .collect();
    let max_ct = f.units_by_carrier_type.values().map(|c| c.total).max().unwrap_or(0);
    let by_carrier_type: Vec<Bar> = CarrierKind::ALL
        .iter()
        .map(|k| k.code())
        .chain(["none"])
        .filter_map(|k| {
            f.units_by_carrier_type
                .get(k)
                .map(|c| unit_bar(lang, kind_label(k), c, max_ct))
        })
        .collect();
    let max_c = f.carriers_by_type.values().map(|c| c.total).max().unwrap_or(0);
    let carriers: Vec<Bar> = CarrierKind::ALL
        .iter()
        .filter_map(|k| {
            f.carriers_by_type.get(k.code()).map(|c| {
                bar(
                    kind_label(k.code()),
                    &[
                        ("org", c.fully_covered, lang.t("coverage.fully_covered")),
                        ("none", c.total - c.fully_covered, lang.t("coverage.not_fully_covered")),
                    ],
                    max_c,
                    format!(
                        "{}/{} · {}",
                        c.fully_covered,
                        c.total,
                        pct((c.total > 0).then(|| c.fully_covered as f64 / c.total as f64))
                    ),
                )
            })
        })
        .collect();
    let max_o = f.orgs_by_kind.values().copied().max().unwrap_or(0);
    let orgs: Vec<Bar> = OrgKind::ALL
        .iter()
        .map(|k| {
            let n = f.orgs_by_kind.get(k.code()).copied().unwrap_or(0);
            bar(
                kind_label(k.code()),
                &[("org", n, kind_label(k.code()))],
                max_o,
                n.to_string(),
            )
        })
        .collect();
    let chart = |id, key: &str, bars| Chart {
        id,
        title: lang.t(key),
        bars,
    };
    vec![
        chart("by-unit-kind", "coverage.by_unit_kind", by_unit_kind),
        chart("by-carrier-type", "coverage.by_carrier_type", by_carrier_type),
        chart("carriers-by-type", "coverage.carriers_by_type", carriers),
        chart("orgs-by-kind", "coverage.orgs_by_kind", orgs),
    ]
}

/// The trend chart: rates over months as SVG polylines.
pub struct TrendChart {
    pub width: u32,
    pub height: u32,
    pub series: Vec<Series>,
    /// (x, month) under the axis.
    pub months: Vec<(f64, String)>,
    /// (y, label) of the horizontal grid lines.
    pub grid: Vec<(f64, String)>,
    pub left: f64,
    pub right: f64,
}

pub struct Series {
    pub class: &'static str,
    pub label: String,
    pub points: String,
    pub dots: Vec<(f64, f64, String)>,
}

fn trend_chart(points: &[tongxin_store::coverage::TrendPoint], lang: Lang) -> Option<TrendChart> {
    if points.is_empty() {
        return None;
    }
    let (width, height) = (640u32, 240u32);
    let (left, right, top, bottom) = (44.0, 630.0, 12.0, 210.0);
    let n = points.len();
    let x = |i: usize| {
        if n == 1 {
            (left + right) / 2.0
        } else {
            left + (right - left) * i as f64 / (n - 1) as f64
        }
    };
    let y = |r: f64| bottom - (bottom - top) * r.clamp(0.0, 1.0);
    let series = [
        (
            "org",
            "coverage.org_rate",
            (|f: &Figures| f.org_coverage_rate) as fn(&Figures) -> Option<f64>,
        ),
        ("work", "coverage.work_rate", |f: &Figures| f.work_coverage_rate),
        ("qual", "coverage.qualifying_own", |f: &Figures| {
            f.qualifying_own_org_rate
        }),
    ]
    .into_iter()
    .map(|(class, key, rate)| {
        let dots: Vec<(f64, f64, String)> = points
            .iter()
            .enumerate()
            .filter_map(|(i, p)| rate(&p.figures).map(|r| (x(i), y(r), format!("{} {}", p.period, pct(Some(r))))))
            .collect();
        Series {
            class,
            label: lang.t(key),
            points: dots
                .iter()
                .map(|(x, y, _)| format!("{x:.1},{y:.1}"))
                .collect::<Vec<_>>()
                .join(" "),
            dots,
        }
    })
    .collect();
    Some(TrendChart {
        width,
        height,
        series,
        months: points
            .iter()
            .enumerate()
            .map(|(i, p)| (x(i), p.period.clone()))
            .collect(),
        grid: [0.0, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|r| (y(*r), format!("{}%", (r * 100.0) as u32)))
            .collect(),
        left,
        right,
    })
}

/// A headline figure.
pub struct Stat {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    pub note: String,
}

fn stats(f: &Figures, lang: Lang) -> Vec<Stat> {
    let t = |k: &str| lang.t(k);
    vec![
        Stat {
            id: "units-total",
            label: t("coverage.units_total"),
            value: f.units_total.to_string(),
            note: format!("{} {}", t("coverage.status.uncovered"), f.units_uncovered),
        },
        Stat {
            id: "org-rate",
            label: t("coverage.org_rate"),
            value: pct(f.org_coverage_rate),
            note: f.units_org_covered.to_string(),
        },
        Stat {
            id: "work-rate",
            label: t("coverage.work_rate"),
            value: pct(f.work_coverage_rate),
            note: (f.units_org_covered + f.units_work_covered).to_string(),
        },
        Stat {
            id: "qualifying",
            label: t("coverage.qualifying_own"),
            value: format!("{}/{}", f.units_qualifying_with_own_org, f.units_qualifying),
            note: pct(f.qualifying_own_org_rate),
        },
        Stat {
            id: "carriers",
            label: t("coverage.carriers_full"),
            value: format!("{}/{}", f.carriers_fully_covered, f.carriers_total),
            note: pct(f.carrier_coverage_rate),
        },
        Stat {
            id: "orgs",
            label: t("coverage.party_orgs"),
            value: f.party_orgs.to_string(),
            note: format!("{} {}", t("coverage.joint_branches"), f.joint_branches),
        },
        Stat {
            id: "members",
            label: t("coverage.members"),
            value: (f.members_full + f.members_probationary).to_string(),
            note: format!(
                "{} {} · {} {}",
                t("coverage.members_full"),
                f.members_full,
                t("coverage.members_probationary"),
                f.members_probationary
            ),
        },
    ]
}

/// A division below, with its figures.
pub struct ChildRow {
    pub code: String,
    pub name: String,
    pub units: i64,
    pub org_rate: String,
    pub work_rate: String,
    pub qualifying: String,
    pub carriers: String,
}

/// The territory as query parameters (`division=…` or `org=…`), for links.
fn territory_query(t: &Territory) -> String {
    match t {
        Territory::All => String::new(),
        Territory::Division(d) => format!("division={d}"),
        Territory::Org(o) => format!("org={o}"),
    }
}

struct View {
    title: String,
    crumbs: Vec<(String, String)>,
    query: String,
    stats: Vec<Stat>,
    charts: Vec<Chart>,
    gaps: Vec<(String, String, u64)>,
    children: Vec<ChildRow>,
    trend: Option<TrendChart>,
    /// The caller may take a snapshot now.
    can_snapshot: bool,
}

async fn view(s: &AppState, a: &crate::auth::Auth, p: &TerritoryParams, lang: Lang) -> Result<View, ApiError> {
    let t = territory(s, &a.actor, p).await?;
    let figures = s.store.coverage_summary(&t).await?;
    let (title, crumbs) = match t.territory() {
        Territory::All => (lang.t("coverage.all"), vec![]),
        Territory::Division(d) => {
            let path = s.store.division_path(d).await?;
            let crumbs = path
                .iter()
                .filter(|x| {
                    a.actor
                        .scope
                        .may_place_in(&DivisionCode::parse(&x.code).unwrap_or_else(|_| d.clone()))
                })
                .map(|x| (x.code.clone(), x.name.clone()))
                .collect();
            (
                path.last().map(|x| x.name.clone()).unwrap_or_else(|| d.to_string()),
                crumbs,
            )
        }
        Territory::Org(id) => (s.store.get_org(&a.actor, *id).await?.name, vec![]),
    };
    let gaps = s
        .store
        .coverage_gap_counts(&t)
        .await?
        .into_iter()
        .map(|(k, n)| (k.code().to_string(), lang.t(&format!("coverage.gap.{}", k.code())), n))
        .collect();
    let children = children(s, &t)
        .await?
        .into_iter()
        .map(|(code, name, f)| ChildRow {
            code,
            name,
            units: f.units_total,
            org_rate: pct(f.org_coverage_rate),
            work_rate: pct(f.work_coverage_rate),
            qualifying: format!("{}/{}", f.units_qualifying_with_own_org, f.units_qualifying),
            carriers: format!("{}/{}", f.carriers_fully_covered, f.carriers_total),
        })
        .collect();
    let trend = trend_chart(&s.store.coverage_trend(&t).await?, lang);
    Ok(View {
        trend,
        can_snapshot: a.actor.role.may(tongxin_domain::access::Action::TakeSnapshots),
        title,
        crumbs,
        query: territory_query(&t),
        stats: stats(&figures, lang),
        charts: charts(&figures, lang),
        gaps,
        children,
    })
}

#[derive(Template)]
#[template(path = "coverage/dashboard.html")]
struct DashboardPage {
    p: Ctx,
    v: View,
}

#[derive(Template)]
#[template(path = "coverage/screen.html")]
struct ScreenPage {
    p: Ctx,
    v: View,
    /// The alliance panel: the territory's joint conference and its year in figures
    /// (label, value), when the territory has one.
    alliance: Option<(String, Vec<(String, String)>)>,
    /// The activities panel: this month's figures of the territory's centres, in total
    /// and for the busiest few (name, figures in words).
    activities: Option<ActivitiesPanel>,
}

/// A panel's labelled figures: (label, value in words).
type PanelFigures = Vec<(String, String)>;
/// The activities panel: the territory's totals, and the busiest centres.
type ActivitiesPanel = (PanelFigures, PanelFigures);

/// Centres named on the big screen's activities panel.
const SCREEN_CENTRES: usize = 3;

/// The big screen's activities panel: this month (China time) at the territory's
/// centres — activities, places offered, taken and attended — when any were held.
async fn activities_panel(
    s: &AppState,
    a: &crate::auth::Auth,
    q: &TerritoryParams,
    lang: Lang,
) -> Option<ActivitiesPanel> {
    let t = territory(s, &a.actor, q).await.ok()?;
    let Territory::Division(d) = t.territory() else {
        return None;
    };
    let month = tongxin_store::activities::now().date();
    let rows = s.store.centre_months(&a.actor, d, month).await.ok()?;
    if rows.is_empty() {
        return None;
    }
    let sum = |f: fn(&tongxin_store::activities::CentreMonth) -> i64| rows.iter().map(f).sum::<i64>();
    let (offered, taken, attended) = (
        sum(|r| r.places_offered),
        sum(|r| r.places_taken),
        sum(|r| r.places_attended),
    );
    let totals = vec![
        (lang.t("activities.stat_activities"), sum(|r| r.activities).to_string()),
        (lang.t("activities.stat_offered"), offered.to_string()),
        (lang.t("activities.stat_taken"), taken.to_string()),
        (lang.t("activities.stat_attended"), attended.to_string()),
    ];
    let top = rows
        .iter()
        .take(SCREEN_CENTRES)
        .map(|r| {
            (
                r.centre_name.clone(),
                format!(
                    "{} {} · {}/{} · {} {}",
                    r.activities,
                    lang.t("activities.stat_held"),
                    r.places_taken,
                    r.places_offered,
                    lang.t("activities.stat_attended"),
                    r.places_attended
                ),
            )
        })
        .collect();
    Some((totals, top))
}

/// The big screen's alliance panel: the joint conference of the territory shown (a
/// district's or a street's), this year's figures.
async fn alliance_panel(
    s: &AppState,
    a: &crate::auth::Auth,
    q: &TerritoryParams,
    lang: Lang,
) -> Option<(String, Vec<(String, String)>)> {
    use chrono::Datelike;
    let t = territory(s, &a.actor, q).await.ok()?;
    let Territory::Division(d) = t.territory() else {
        return None;
    };
    let c = s
        .store
        .list_conferences(&a.actor, false)
        .await
        .ok()?
        .into_iter()
        .find(|c| c.parent_id.is_none() && c.division_code == d.as_str())?;
    let year = chrono::Utc::now().date_naive().year();
    let y = s.store.annual_summary(&a.actor, c.id, year).await.ok()?;
    let pairs: usize = y.pairs_active.iter().map(|p| p.count).sum();
    Some((
        c.name,
        vec![
            (lang.t("alliance.sum_members"), y.members.to_string()),
            (lang.t("alliance.sum_plenaries"), y.plenaries.len().to_string()),
            (
                format!("{} · {}", lang.t("alliance.needs"), lang.t("alliance.sum_posted")),
                y.needs.posted.to_string(),
            ),
            (lang.t("alliance.sum_signings"), y.signings.to_string()),
            (lang.t("alliance.sum_pairs"), pairs.to_string()),
            (lang.t("alliance.sum_pair_activities"), y.pair_activities.to_string()),
        ],
    ))
}

async fn dashboard(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Q(q): Q<TerritoryParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "coverage.title");
    match view(&s, &a, &q, p.lang).await {
        Ok(v) => {
            p.title = format!("{} · {}", p.t("coverage.title"), v.title);
            render(&DashboardPage { p, v })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

async fn screen(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Q(q): Q<TerritoryParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "coverage.title");
    match view(&s, &a, &q, p.lang).await {
        Ok(v) => {
            p.title = format!("{} · {}", v.title, p.t("coverage.title"));
            let alliance = alliance_panel(&s, &a, &q, p.lang).await;
            let activities = activities_panel(&s, &a, &q, p.lang).await;
            render(&ScreenPage {
                p,
                v,
                alliance,
                activities,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}

#[derive(Template)]
#[template(path = "coverage/gaps.html")]
struct GapsPage {
    p: Ctx,
    kind: String,
    query: String,
    table: GapTable,
    total: u64,
    page: u64,
    pages: u64,
    q: String,
    kind_filter: String,
    /// The kinds to filter by: code and the word of the page's language.
    kinds: Vec<(&'static str, String)>,
    sort: String,
    /// (value, label), ascending and descending for each sortable column.
    sorts: Vec<(String, String)>,
    /// The territory as hidden form fields.
    hidden: Vec<(String, String)>,
    prev: Option<String>,
    next: Option<String>,
    export: String,
    /// Per row, the ways to close its gap where it is shown (none for a role that only
    /// reads).
    actions: Vec<Vec<closing::CloseAction>>,
    has_actions: bool,
}

async fn gaps_page(
    State(s): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(kind): Path<String>,
    Q(g): Q<GapParams>,
) -> Response {
    let mut p = ctx(&headers, Some(&a), "coverage.title");
    let lang = p.lang;
    let result: Result<Response, ApiError> = async {
        let kind = gap_kind(&kind)?;
        let t = territory(&s, &a.actor, &g.territory()).await?;
        if g.xlsx() {
            return gap_workbook(&a.actor, &s, &t, kind, &g.list(), lang).await;
        }
        let list = g.list();
        let page = s.store.coverage_gaps(&t, kind, &list).await?;
        p.title = lang.t(&format!("coverage.gap.{}", kind.code()));
        let query = territory_query(&t);
        let filters = format!(
            "{query}&q={}&kind={}&sort={}",
            enc(list.q.as_deref()),
            enc(list.kind.as_deref()),
            enc(list.sort.as_deref())
        );
        let base = format!("/coverage/gaps/{}", kind.code());
        let (n, pages) = (page.page, page.pages());
        let here = format!("{base}?{filters}&page={n}");
        let writes = a.actor.role.may(tongxin_domain::access::Action::WriteRegistry);
        let actions = page
            .items
            .iter()
            .map(|r| match (writes, kind) {
                (true, GapKind::UncoveredUnits | GapKind::ShouldSetUp) => closing::unit_actions(
                    lang,
                    r.id,
                    Some(tongxin_store::coverage::UnitStanding {
                        status: r.status.unwrap_or(tongxin_domain::coverage::CoverageStatus::Uncovered),
                        qualifying: kind == GapKind::ShouldSetUp,
                        own_org: false,
                    }),
                    &here,
                ),
                (true, GapKind::Renewals) => closing::org_actions(lang, r.id, true, &here),
                _ => vec![],
            })
            .collect::<Vec<Vec<closing::CloseAction>>>();
        Ok(render(&GapsPage {
            has_actions: actions.iter().any(|a| !a.is_empty()),
            actions,
            kind: kind.code().to_string(),
            table: gap_table(kind, &page.items, lang),
            total: page.total,
            page: n,
            pages,
            prev: (n > 1).then(|| format!("{base}?{filters}&page={}", n - 1)),
            next: (n < pages).then(|| format!("{base}?{filters}&page={}", n + 1)),
            export: if a.actor.role.may(tongxin_domain::access::Action::ImportExport) {
                format!("{base}?{filters}&format=xlsx")
            } else {
                String::new()
            },
            q: list.q.clone().unwrap_or_default(),
            kind_filter: list.kind.clone().unwrap_or_default(),
            kinds: kind
                .kind_codes()
                .into_iter()
                .map(|(code, label)| (code, crate::shell::history::kind_text(lang, code, label)))
                .collect(),
            sort: list.sort.clone().unwrap_or_default(),
            sorts: kind
                .sort_columns()
                .iter()
                .flat_map(|c| {
                    let label = lang.t(&format!("coverage.sort.{c}"));
                    [(c.to_string(), label.clone()), (format!("-{c}"), format!("{label} ↓"))]
                })
                .collect(),
            hidden: query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            query,
            p,
        }))
    }
    .await;
    result.unwrap_or_else(|e| error_page(&headers, Some(&a), e))
}

/// Percent-encodes a query value.
fn enc(v: Option<&str>) -> String {
    let mut out = String::new();
    for b in v.unwrap_or_default().bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
