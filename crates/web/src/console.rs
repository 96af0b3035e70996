//! The server-rendered console (askama). Placeholder until the pages land.
use crate::AppState;
use axum::Router;

pub fn routes() -> Router<AppState> {
    Router::new()
}
