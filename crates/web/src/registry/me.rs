//! A member's own page (我的), made for a phone: my record (masked), my organisation and
//! its secretary. No registry menus: a member's account sees itself and its branch
//! (brief §4a.8).

use crate::auth::PageAuth;
use crate::shell::{Ctx, ctx, error_page, kind_text, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
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
        Ok((member, org))
    }
    .await;
    match r {
        Ok((member, org)) => {
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
                member,
                org,
                p,
            })
        }
        Err(e) => error_page(&headers, Some(&a), e),
    }
}
