//! SeaORM entities, one module per table. Only this crate sees them.
pub mod account;
pub mod api_token;
pub mod audit;
pub mod carrier;
pub mod centre;
pub mod centre_room;
pub mod centre_serve;
pub mod centre_staff;
pub mod division;
pub mod instructor;
pub mod member;
pub mod org_unit;
pub mod party_org;
pub mod session;
pub mod unit;
pub mod unit_link;
