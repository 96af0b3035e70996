//! Activities at service centres (活动): the API (`api.rs`).

pub(crate) mod api;
