//! Coverage (全覆盖): whether the party's organisation reaches each unit and carrier.
//!
//! [`rules`] holds every rule with its source and its setting; [`figures`] turns the
//! derived facts of units, carriers and organisations into counters and the counters
//! into the figures a territory's summary shows. The store keeps the facts and counters
//! up to date in the same transaction as each registry edit; nothing here does I/O.

pub mod figures;
pub mod rules;

pub use figures::{
    ALL_DIVISIONS, CarrierCounts, CarrierFact, Fact, Figures, OrgFact, Tally, UnitCounts, UnitFact, add_counts, metric,
    tally_keys,
};
pub use rules::{CoverageRules, CoverageStatus, Renewal, UnitInputs};
