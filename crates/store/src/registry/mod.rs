//! Registry records in the store: carriers, units, party organisations, members,
//! party-building instructors. Each function takes the caller's [`crate::Actor`].

mod carriers;
mod common;
mod instructors;
mod members;
mod orgs;
mod units;

pub use carriers::{CarrierInput, CarrierView};
pub use common::{ListQuery, Page};
pub use instructors::InstructorView;
pub use members::{MemberInput, MemberView, RevealedMember};
pub use orgs::{OrgInput, OrgView};
pub use units::{UnitInput, UnitLinkView, UnitView};
