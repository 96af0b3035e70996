//! Registry records in the store: carriers, units, party organisations, members,
//! party-building instructors. Each function takes the caller's [`crate::Actor`].

mod carriers;
mod common;
mod instructors;
mod members;
pub(crate) mod name_index;
pub(crate) mod orgs;
mod patch;
mod pick;
pub(crate) mod refs;
mod totals;
mod units;

pub use carriers::{CarrierInput, CarrierView};
pub(crate) use carriers::{new_carrier, scope as carriers_scope};
pub use common::{COUNT_LIMIT, ListQuery, Page, SEARCH_COUNT_LIMIT};
pub(crate) use common::{check_version, in_division, like_escape};
pub(crate) use instructors::ensure_instructor_in;
pub use instructors::{InstructorPatch, InstructorView};
pub(crate) use members::scope as members_scope;
pub use members::{ELSEWHERE_CHECKS_PER_HOUR, MemberInput, MemberView, RevealedMember};
pub use orgs::{OrgInput, OrgView};
pub(crate) use orgs::{new_org, org_unit_ids, scope as orgs_scope};
pub use patch::{CarrierPatch, MemberPatch, OrgPatch, UnitPatch};
pub use pick::{Choice, PICK_LIMIT, PLACE_SEPARATOR, PickTarget, Resolved};
pub(crate) use units::scope as units_scope;
pub use units::{UnitInput, UnitLinkView, UnitView};
