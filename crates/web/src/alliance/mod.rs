//! The regional alliance (区域化党建): the API (`api.rs`) and the console's pages
//! (`pages.rs`, templates under `templates/alliance/`).

pub(crate) mod api;
pub(crate) mod list_files;
pub(crate) mod lists;
pub(crate) mod pages;
pub(crate) mod pairing_api;
pub(crate) mod pairing_pages;
pub(crate) mod project_api;
pub(crate) mod project_pages;
pub(crate) mod selection_api;
pub(crate) mod selection_pages;
pub(crate) mod summary_pages;
