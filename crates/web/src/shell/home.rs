//! A territory's home (its to-do) and a division's page.

use super::{Ctx, ctx, error_page, render};
use crate::auth::{self, PageAuth};
use crate::{ApiError, AppState};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use tongxin_domain::ErrorCode;
use tongxin_domain::codes::DivisionCode;
use tongxin_store::divisions::Division;

/// A territory's home: what to do next (its gaps, its stopped imports), its figures
/// from the counters coverage keeps, and the divisions below with theirs — a handful of
/// queries, whatever the size of the territory.
#[derive(Template)]
#[template(path = "shell/home.html")]
struct HomePage {
    p: Ctx,
    code: String,
    path: Vec<Division>,
    figures: tongxin_domain::coverage::Figures,
    /// (gap list code, its label, how many), to do first.
    todo: Vec<(&'static str, String, u64)>,
    /// The caller's own imports that were stopped and undone lately.
    undone: Vec<tongxin_store::bulk::ImportRun>,
    children: Vec<(Division, tongxin_domain::coverage::Figures)>,
    /// A centre's staff: the centres they work at (id, name), first on their home.
    my_centres: Vec<(i64, String)>,
}

pub(super) async fn home(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    use tongxin_domain::scope::Scope;
    // A member's home is their own page.
    if a.actor.role == tongxin_domain::access::Role::Member {
        return Redirect::to("/me").into_response();
    }
    // A liaison's home is its units' page.
    if a.actor.role == tongxin_domain::access::Role::UnitLiaison {
        return Redirect::to("/alliance/mine").into_response();
    }
    let code = match &a.actor.scope {
        // An administrator lands on the city.
        Scope::All => "3101".to_string(),
        Scope::Within { division: Some(d), .. } => d.to_string(),
        // An organisation's account (a branch secretary) opens on its organisation: it
        // has no division territory to show.
        Scope::Within { org: Some(p), .. } => return Redirect::to(&format!("/orgs/{}", p.org())).into_response(),
        Scope::Within { .. } => {
            return error_page(&headers, Some(&a), ApiError::new(ErrorCode::NotFound));
        }
    };
    division_view(&state, &headers, &a, &code).await
}

pub(super) async fn division_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageAuth(a): PageAuth,
    Path(code): Path<String>,
) -> Response {
    division_view(&state, &headers, &a, &code).await
}

async fn division_view(state: &AppState, headers: &HeaderMap, a: &auth::Auth, code: &str) -> Response {
    let result: Result<Response, ApiError> = async {
        let dc = DivisionCode::parse(code).map_err(|_| ApiError::new(ErrorCode::NotFound))?;
        // The same rule as the API's: a division outside the territory is a 404.
        if !a.actor.scope.may_view_division(&dc) {
            return Err(ApiError::new(ErrorCode::NotFound));
        }
        let s = &state.store;
        let d = s
            .division(code)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
        let path = s.division_path(&dc).await?;
        let t = s
            .coverage_territory(&a.actor, Some(tongxin_store::coverage::Territory::Division(dc)))
            .await?;
        let figures = s.coverage_summary(&t).await?;
        let mut p = ctx(headers, Some(a), "ui.my_territory");
        let lang = p.lang;
        let todo = s
            .coverage_gap_counts(&t)
            .await?
            .into_iter()
            .map(|(k, n)| (k.code(), lang.t(&format!("coverage.gap.{}", k.code())), n))
            .collect();
        let kids = s.division_children(Some(code)).await?;
        let codes: Vec<String> = kids.iter().map(|c| c.code.clone()).collect();
        let mut by_code = s.coverage_summaries(&t, &codes).await?;
        let children = kids
            .into_iter()
            .map(|c| {
                let f = by_code.remove(&c.code).unwrap_or_else(|| {
                    tongxin_domain::coverage::Figures::from_tally(Some(c.code.clone()), None, &Default::default())
                });
                (c, f)
            })
            .collect();
        p.title = d.name.clone();
        let my_centres = s
            .centres_of_staff(&a.actor)
            .await?
            .into_iter()
            .map(|c| (c.id.0, c.name))
            .collect();
        Ok(render(&HomePage {
            my_centres,
            undone: s.undone_imports(&a.actor, 30).await?,
            p,
            code: code.to_string(),
            path,
            figures,
            todo,
            children,
        }))
    }
    .await;
    result.unwrap_or_else(|e| error_page(headers, Some(a), e))
}
