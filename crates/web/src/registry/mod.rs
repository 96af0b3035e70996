//! The registry (登记) in the console. Carriers, units, organisations and members are
//! one file each over [`record::RecordPages`], which writes their list, record and form
//! pages once; instructors and a member's own page have pages of their own.

pub(crate) mod api;
pub mod carriers;
pub mod instructors;
pub mod me;
pub mod members;
pub mod orgs;
pub(crate) mod record;
pub mod units;

use crate::AppState;
use axum::Router;

/// The pages of the four record kinds.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .merge(record::routes::<carriers::Carriers>())
        .merge(record::routes::<units::Units>())
        .merge(record::routes::<orgs::Orgs>())
        .merge(record::routes::<members::Members>())
}
