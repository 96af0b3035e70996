//! The residents' page of a public activity (居民报名): no account, a name and a mobile
//! number, one registration per number (the same rules as the API's). The answer shows
//! the registration and its QR ticket once, to be kept as a screenshot: a resident has
//! no account to find it under again, and a phone number alone must not bring anyone's
//! ticket back.

use super::pages::{Shown, place_choices, qr_svg, shown};
use crate::shell::{Ctx, ctx, error_page, field_messages, render};
use crate::{ApiError, AppState};
use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::codes::Phone;
use tongxin_store::StoreError;
use tongxin_store::activities::{Registrant, RegistrationView};

pub fn routes() -> Router<AppState> {
    Router::new().route("/public/activities/{id}", get(page).post(submit))
}

/// A registration just made, as its page shows it once.
struct Done {
    r: RegistrationView,
    status: String,
    qr: Option<String>,
}

#[derive(Template)]
#[template(path = "activities/public.html")]
struct Page {
    p: Ctx,
    s: Shown,
    members_only: bool,
    places: Vec<u32>,
    done: Option<Done>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
}

impl Page {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }

    fn typed(&self, field: &str) -> String {
        self.typed.get(field).cloned().unwrap_or_default()
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<i64>) -> Response {
    view(&state, &headers, id, None, HashMap::new(), HashMap::new()).await
}

async fn view(
    state: &AppState,
    headers: &HeaderMap,
    id: i64,
    done: Option<RegistrationView>,
    errors: HashMap<String, String>,
    typed: HashMap<String, String>,
) -> Response {
    let mut p = ctx(headers, None, "activities.public_title");
    let lang = p.lang;
    let a = match state.store.get_activity(id).await {
        Ok(a) => a,
        Err(e) => return error_page(headers, None, e.into()),
    };
    p.title = format!("{} · {}", a.title, lang.t("activities.public_title"));
    let members_only = a.audience == "members";
    let places = place_choices(&a);
    let refused = !errors.is_empty();
    let done = done.map(|r| Done {
        status: lang.t(&format!("activities.status_{}", r.status)),
        qr: r.ticket.as_deref().and_then(qr_svg),
        r,
    });
    let with_ticket = done.is_some();
    let mut r = render(&Page {
        s: shown(lang, a),
        members_only,
        places,
        done,
        errors,
        typed,
        p,
    });
    if refused {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    if with_ticket {
        // The ticket is shown once: kept by no cache, not even the browser's.
        r.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

async fn submit(
    State(state): State<AppState>,
    // The page registers no account: every submission spends the address's budget.
    _resident: super::ResidentPage,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let places = f.get("places").and_then(|v| v.trim().parse().ok()).unwrap_or(1);
    let name = get("name");
    let r: Result<RegistrationView, ApiError> = match Phone::parse(&get("phone")) {
        Ok(phone) => state
            .store
            .register(None, id, &Registrant::Resident { name, phone }, places)
            .await
            .map_err(ApiError::from),
        Err(source) => {
            let mut faults = vec![DomainError::InvalidCode { field: "phone", source }];
            if tongxin_domain::registry::required_name("name", &name).is_err() {
                faults.push(DomainError::Required { field: "name" });
            }
            Err(StoreError::Invalid(faults).into())
        }
    };
    match r {
        Ok(done) => view(&state, &headers, id, Some(done), HashMap::new(), HashMap::new()).await,
        Err(e) if e.status == StatusCode::NOT_FOUND => error_page(&headers, None, e),
        Err(e) => {
            let lang = ctx(&headers, None, "activities.public_title").lang;
            let errors = field_messages(lang, &e, "form");
            // What was typed comes back, the phone included: it is the sender's own,
            // in the answer to their own request.
            let typed = HashMap::from([("name".to_string(), get("name")), ("phone".to_string(), get("phone"))]);
            view(&state, &headers, id, None, errors, typed).await
        }
    }
}
