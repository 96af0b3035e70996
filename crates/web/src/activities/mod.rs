//! Activities at service centres (活动): the API (`api.rs`) and the console's pages
//! (`pages.rs`, templates under `templates/activities/`): what is near me, an activity,
//! my registrations with their tickets, and the scan page at the door; `calendar.rs`,
//! a member's registrations as an iCalendar feed; `public.rs`, the residents' page of a
//! public activity (no account).

pub(crate) mod api;
pub(crate) mod calendar;
pub(crate) mod pages;
pub(crate) mod public;
