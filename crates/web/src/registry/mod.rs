//! The registry (登记) in the console: record kinds with pages of their own. Carriers,
//! units, organisations and members are still served by `console.rs`.

pub mod instructors;
pub mod me;
