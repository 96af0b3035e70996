//! Importing and exporting spreadsheets: the upload service the API, the console and the
//! command line share, and the console's import page.

pub(crate) mod api;
pub(crate) mod pages;
pub mod service;
