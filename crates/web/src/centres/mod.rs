//! Party-mass service centres (党群服务中心): the API (`api.rs`) and the console's pages
//! (`pages.rs`, templates under `templates/centres/`).

pub(crate) mod api;
pub(crate) mod pages;
