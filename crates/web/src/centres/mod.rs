//! Party-mass service centres (党群服务中心): the API (`api.rs`) and the console's pages
//! (`pages.rs`, templates under `templates/centres/`), with room bookings and
//! closed days on their own page (`bookings.rs`).

pub(crate) mod api;
pub(crate) mod bookings;
pub(crate) mod pages;
