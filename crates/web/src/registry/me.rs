//! A member's own page (我的), made for a phone: my record (masked), my organisation and
//! its secretary, and the service centres that serve my organisation, nearest first,
//! with whether each is open today. No registry menus: a member's account sees itself
//! and its branch (brief §4a.8).

use crate::auth::PageAuth;
use crate::i18n::Lang;
use crate::shell::{Ctx, ctx, error_page, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use tongxin_domain::centres::OpeningHours;
use tongxin_domain::scope::Scope;
use tongxin_store::registry::{MemberView, OrgView};

pub fn routes() -> Router<AppState> {
    Router::new().route("/me", get(me_page))
}

#[derive(Template)]
#[template(path = "registry/me.html")]
struct MePage {
    p: Ctx,
    member: Option<MemberView>,
    status: String,
    org: Option<OrgView>,
    org_kind: String,
    centres: Vec<MyCentre>,
}

/// A centre serving my organisation, as the page shows it.
struct MyCentre {
    c: tongxin_store::centres::CentreView,
    /// Why it serves me, in words.
    by: String,
    level: String,
    hours: String,
    /// Open at some time today (China time), when its hours are known.
    open_today: Option<bool>,
}

/// Centres shown on the page: the nearest few.
const MY_CENTRES: usize = 3;

fn my_centres(lang: Lang, serving: Vec<tongxin_store::centres::Serving>) -> Vec<MyCentre> {
    use chrono::Datelike;
    // Every division in China keeps Beijing time (UTC+8).
    let today = (chrono::Utc::now() + chrono::TimeDelta::hours(8)).weekday();
    serving
        .into_iter()
        .take(MY_CENTRES)
        .map(|s| {
            let hours = s
                .centre
                .hours
                .as_deref()
                .and_then(|h| OpeningHours::parse(h).ok().flatten());
            MyCentre {
                by: lang.t(if s.by == "named" {
                    "me.centre_named"
                } else {
                    "me.centre_division"
                }),
                level: kind_text(lang, &s.centre.level, &s.centre.level_label),
                hours: if lang == Lang::En {
                    s.centre.hours_en.clone()
                } else {
                    s.centre.hours.clone()
                }
                .unwrap_or_default(),
                open_today: hours.map(|h| !h.on(today).is_empty()),
                c: s.centre,
            }
        })
        .collect()
}

async fn me_page(State(state): State<AppState>, headers: HeaderMap, PageAuth(a): PageAuth) -> Response {
    let mut p = ctx(&headers, Some(&a), "nav.me");
    let lang = p.lang;
    let s = &state.store;
    let r: Result<_, ApiError> = async {
        let member = s.my_member(&a.actor).await?;
        // My organisation: my record's, else the one my account works for.
        let org_id = match (&member, &a.actor.scope) {
            (Some(m), _) => Some(m.org_id),
            (None, Scope::Within { org: Some(p), .. }) => Some(p.org()),
            _ => None,
        };
        let org = match org_id {
            Some(o) => Some(s.get_org(&a.actor, o).await?),
            None => None,
        };
        let serving = match org_id {
            Some(o) => s.centres_serving_org(&a.actor, o).await?,
            None => vec![],
        };
        Ok((member, org, serving))
    }
    .await;
    match r {
        Ok((member, org, serving)) => {
            p.title = member
                .as_ref()
                .map(|m| m.name.clone())
                .unwrap_or_else(|| a.actor.username.clone());
            render(&MePage {
                status: member
                    .as_ref()
                    .map(|m| kind_text(lang, &m.status, &m.status_label))
                    .unwrap_or_default(),
                org_kind: org
                    .as_ref()
                    .map(|o| kind_text(lang, &o.kind, &o.kind_label))
                    .unwrap_or_default(),
                centres: my_centres(lang, serving),
                member,
                org,
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}
