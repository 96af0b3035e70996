//! Query strings read as the rest of the application answers: a malformed one (a page
//! that is not a number, an unknown sort) is `request.bad` in the reader's language —
//! a console page for a browser, the JSON error for the API — never axum's English text.

use crate::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use tongxin_domain::ErrorCode;

/// The query string as `T`.
pub(crate) struct Q<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Q<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        match axum::extract::Query::<T>::try_from_uri(&parts.uri) {
            Ok(q) => Ok(Q(q.0)),
            Err(why) => {
                // axum's words name the field at fault: for the log, in English.
                tracing::debug!(error = %why, "a malformed query string");
                let e = ApiError::new(ErrorCode::BadRequest);
                let page = !parts.uri.path().starts_with("/api/")
                    && parts
                        .headers
                        .get(header::ACCEPT)
                        .and_then(|v| v.to_str().ok())
                        .is_none_or(|v| v.contains("text/html") || v.contains("*/*"));
                Err(if page {
                    crate::shell::error_page(&parts.headers, None, e)
                } else {
                    e.into_response()
                })
            }
        }
    }
}
