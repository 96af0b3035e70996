//! Facts, counters and figures.
//!
//! Each unit, carrier and organisation has a derived *fact* (its coverage status and
//! what it counts for). A fact contributes to named counters, once for the whole store
//! (`*`) and once for each division it lies in (a community counts in its street,
//! district, city and province). The figures of a division are then a read of a few
//! dozen counters, not a recount; the figures of an organisation subtree are summed
//! from its facts. Both are composed by [`Figures::from_tally`].

use std::collections::BTreeMap;

use serde::Serialize;

use super::CoverageStatus;
use crate::registry::{CarrierKind, Labelled, MemberStatus, OrgKind, UnitKind};

/// The counter key for the whole store.
pub const ALL_DIVISIONS: &str = "*";

/// The counter keys a record located in `division` counts under: the whole store and
/// every prefix of its statistical code that is a division (2, 4, 6, 9, 12 digits).
pub fn tally_keys(division: &str) -> Vec<String> {
    let mut keys = vec![ALL_DIVISIONS.to_string()];
    for len in [2, 4, 6, 9, 12] {
        if division.len() >= len && division.is_char_boundary(len) {
            keys.push(division[..len].to_string());
        }
    }
    keys
}

/// A unit's derived coverage fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitFact {
    pub division: String,
    pub kind: UnitKind,
    pub carrier_kind: Option<CarrierKind>,
    pub status: CoverageStatus,
    /// It has enough full members to set up its own organisation.
    pub qualifying: bool,
    pub own_org: bool,
}

/// A carrier's derived fact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierFact {
    pub division: String,
    pub kind: CarrierKind,
    pub fully_covered: bool,
}

/// An organisation's derived fact: its kind and its members by status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgFact {
    pub division: String,
    pub kind: OrgKind,
    pub members_full: i64,
    pub members_probationary: i64,
}

/// Something that counts in the figures of the divisions it lies in.
pub trait Fact {
    fn division(&self) -> &str;
    /// The counters this fact adds to, with how much.
    fn counts(&self) -> Vec<(String, i64)>;
}

const NO_CARRIER: &str = "none";

/// The names of the counters, spelt in one place: the facts write them, the figures and
/// the lists' totals read them.
pub mod metric {
    use super::{CarrierKind, CoverageStatus, Labelled, MemberStatus, OrgKind, UnitKind};

    /// Units of a kind with a coverage status.
    pub fn unit(kind: UnitKind, status: CoverageStatus) -> String {
        format!("u.{}.{}", kind.code(), status.code())
    }
    /// Units with a coverage status in carriers of a type (`carrier`: a carrier kind's
    /// code, or `none`).
    pub fn unit_in_carrier(carrier: &str, status: CoverageStatus) -> String {
        format!("uc.{carrier}.{}", status.code())
    }
    pub fn carrier(kind: CarrierKind) -> String {
        format!("c.{}", kind.code())
    }
    pub fn carrier_fully_covered(kind: CarrierKind) -> String {
        format!("cf.{}", kind.code())
    }
    pub fn org(kind: OrgKind) -> String {
        format!("o.{}", kind.code())
    }
    pub fn members(status: MemberStatus) -> String {
        format!("m.{}", status.code())
    }
    /// Units qualifying for their own organisation, and those of them that have one.
    pub const QUALIFYING: &str = "q";
    pub const QUALIFYING_WITH_OWN_ORG: &str = "qo";

    /// One kind, or all of them.
    fn kinds<K: Labelled>(kind: Option<K>) -> Vec<K> {
        kind.map_or_else(|| K::ALL.to_vec(), |k| vec![k])
    }

    /// The counters whose sum is the number of units in a plain list (of one kind, or all).
    pub fn units_listed(kind: Option<UnitKind>) -> Vec<String> {
        kinds(kind)
            .into_iter()
            .flat_map(|k| CoverageStatus::ALL.map(|s| unit(k, s)))
            .collect()
    }
    pub fn carriers_listed(kind: Option<CarrierKind>) -> Vec<String> {
        kinds(kind).into_iter().map(carrier).collect()
    }
    pub fn orgs_listed(kind: Option<OrgKind>) -> Vec<String> {
        kinds(kind).into_iter().map(org).collect()
    }
    pub fn members_listed(status: Option<MemberStatus>) -> Vec<String> {
        kinds(status).into_iter().map(members).collect()
    }
}

impl Fact for UnitFact {
    fn division(&self) -> &str {
        &self.division
    }
    fn counts(&self) -> Vec<(String, i64)> {
        let ck = self.carrier_kind.map_or(NO_CARRIER, |k| k.code());
        let mut c = vec![
            (metric::unit(self.kind, self.status), 1),
            (metric::unit_in_carrier(ck, self.status), 1),
        ];
        if self.qualifying {
            c.push((metric::QUALIFYING.into(), 1));
            if self.own_org {
                c.push((metric::QUALIFYING_WITH_OWN_ORG.into(), 1));
            }
        }
        c
    }
}

impl Fact for CarrierFact {
    fn division(&self) -> &str {
        &self.division
    }
    fn counts(&self) -> Vec<(String, i64)> {
        let mut c = vec![(metric::carrier(self.kind), 1)];
        if self.fully_covered {
            c.push((metric::carrier_fully_covered(self.kind), 1));
        }
        c
    }
}

impl Fact for OrgFact {
    fn division(&self) -> &str {
        &self.division
    }
    fn counts(&self) -> Vec<(String, i64)> {
        vec![
            (metric::org(self.kind), 1),
            (metric::members(MemberStatus::Full), self.members_full),
            (metric::members(MemberStatus::Probationary), self.members_probationary),
        ]
    }
}

/// Counters by name, for one territory.
pub type Tally = BTreeMap<String, i64>;

/// Adds `sign` times the fact's counts to `tally` (for a territory the fact lies in).
pub fn add_counts(tally: &mut Tally, fact: &dyn Fact, sign: i64) {
    for (k, v) in fact.counts() {
        *tally.entry(k).or_default() += sign * v;
    }
}

/// Units of one breakdown row by coverage status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitCounts {
    pub total: i64,
    pub org_covered: i64,
    pub work_covered: i64,
    pub uncovered: i64,
}

/// Carriers of one type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CarrierCounts {
    pub total: i64,
    pub fully_covered: i64,
}

/// The coverage figures of a territory (a division subtree or an organisation
/// subtree). Rates are fractions from 0 to 1, `None` when there is nothing to divide.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    /// The division (`None` for the whole store or an organisation subtree).
    pub division: Option<String>,
    /// The organisation whose subtree this is.
    pub org: Option<i64>,
    pub units_total: i64,
    pub units_org_covered: i64,
    pub units_work_covered: i64,
    pub units_uncovered: i64,
    /// Organisationally covered units over all units.
    pub org_coverage_rate: Option<f64>,
    /// Organisationally or work-covered units over all units.
    pub work_coverage_rate: Option<f64>,
    /// Units with enough full members to set up their own organisation.
    pub units_qualifying: i64,
    pub units_qualifying_with_own_org: i64,
    /// Qualifying units with their own organisation over qualifying units.
    pub qualifying_own_org_rate: Option<f64>,
    pub carriers_total: i64,
    pub carriers_fully_covered: i64,
    pub carrier_coverage_rate: Option<f64>,
    pub carriers_by_type: BTreeMap<String, CarrierCounts>,
    pub units_by_kind: BTreeMap<String, UnitCounts>,
    /// Units by the type of the carrier they sit in (`none`: not in a carrier).
    pub units_by_carrier_type: BTreeMap<String, UnitCounts>,
    pub party_orgs: i64,
    pub joint_branches: i64,
    pub orgs_by_kind: BTreeMap<String, i64>,
    pub members_full: i64,
    pub members_probationary: i64,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A breakdown row's units by status, `name` giving each status's counter.
fn unit_counts(t: &Tally, name: impl Fn(CoverageStatus) -> String) -> UnitCounts {
    let get = |s: CoverageStatus| t.get(&name(s)).copied().unwrap_or(0);
    let (o, w, u) = (
        get(CoverageStatus::Organisational),
        get(CoverageStatus::Work),
        get(CoverageStatus::Uncovered),
    );
    UnitCounts {
        total: o + w + u,
        org_covered: o,
        work_covered: w,
        uncovered: u,
    }
}

impl Figures {
    /// Composes the figures from a territory's counters.
    pub fn from_tally(division: Option<String>, org: Option<i64>, t: &Tally) -> Figures {
        let get = |k: &str| t.get(k).copied().unwrap_or(0);
        let units_by_kind: BTreeMap<String, UnitCounts> = UnitKind::ALL
            .iter()
            .map(|&k| (k.code().to_string(), unit_counts(t, |s| metric::unit(k, s))))
            .collect();
        let units_by_carrier_type: BTreeMap<String, UnitCounts> = CarrierKind::ALL
            .iter()
            .map(|k| k.code())
            .chain([NO_CARRIER])
            .map(|k| (k.to_string(), unit_counts(t, |s| metric::unit_in_carrier(k, s))))
            .collect();
        let carriers_by_type: BTreeMap<String, CarrierCounts> = CarrierKind::ALL
            .iter()
            .map(|&k| {
                let total = get(&metric::carrier(k));
                let fully_covered = get(&metric::carrier_fully_covered(k));
                (k.code().to_string(), CarrierCounts { total, fully_covered })
            })
            .collect();
        let orgs_by_kind: BTreeMap<String, i64> = OrgKind::ALL
            .iter()
            .map(|&k| (k.code().to_string(), get(&metric::org(k))))
            .collect();
        let sum = |f: fn(&UnitCounts) -> i64| units_by_kind.values().map(f).sum::<i64>();
        let units_total = sum(|c| c.total);
        let units_org_covered = sum(|c| c.org_covered);
        let units_work_covered = sum(|c| c.work_covered);
        let carriers_total = carriers_by_type.values().map(|c| c.total).sum();
        let carriers_fully_covered = carriers_by_type.values().map(|c| c.fully_covered).sum();
        let units_qualifying = get(metric::QUALIFYING);
        let units_qualifying_with_own_org = get(metric::QUALIFYING_WITH_OWN_ORG);
        Figures {
            division,
            org,
            units_total,
            units_org_covered,
            units_work_covered,
            units_uncovered: sum(|c| c.uncovered),
            org_coverage_rate: rate(units_org_covered, units_total),
            work_coverage_rate: rate(units_org_covered + units_work_covered, units_total),
            units_qualifying,
            units_qualifying_with_own_org,
            qualifying_own_org_rate: rate(units_qualifying_with_own_org, units_qualifying),
            carriers_total,
            carriers_fully_covered,
            carrier_coverage_rate: rate(carriers_fully_covered, carriers_total),
            carriers_by_type,
            units_by_kind,
            units_by_carrier_type,
            party_orgs: orgs_by_kind.values().sum(),
            joint_branches: orgs_by_kind.get(OrgKind::JointBranch.code()).copied().unwrap_or(0),
            orgs_by_kind,
            members_full: get(&metric::members(MemberStatus::Full)),
            members_probationary: get(&metric::members(MemberStatus::Probationary)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_community_counts_in_every_division_above_it() {
        assert_eq!(
            tally_keys("310106012003"),
            ["*", "31", "3101", "310106", "310106012", "310106012003"]
        );
        assert_eq!(tally_keys("310106"), ["*", "31", "3101", "310106"]);
    }

    #[test]
    fn an_empty_territory_has_no_rates() {
        let f = Figures::from_tally(Some("310106".into()), None, &Tally::new());
        assert_eq!(f.units_total, 0);
        assert_eq!(f.org_coverage_rate, None);
        assert_eq!(f.work_coverage_rate, None);
        assert_eq!(f.carriers_by_type.len(), 4);
        let json = serde_json::to_value(&f).expect("json");
        assert!(json["org_coverage_rate"].is_null());
    }

    #[test]
    fn figures_add_up_from_facts() {
        let mut t = Tally::new();
        let unit = |status, qualifying, own_org| UnitFact {
            division: "310106012003".into(),
            kind: UnitKind::Enterprise,
            carrier_kind: Some(CarrierKind::Building),
            status,
            qualifying,
            own_org,
        };
        add_counts(&mut t, &unit(CoverageStatus::Organisational, true, true), 1);
        add_counts(&mut t, &unit(CoverageStatus::Work, true, false), 1);
        add_counts(&mut t, &unit(CoverageStatus::Uncovered, false, false), 1);
        add_counts(&mut t, &unit(CoverageStatus::Uncovered, false, false), 1);
        add_counts(&mut t, &unit(CoverageStatus::Uncovered, false, false), -1);
        let carrier = CarrierFact {
            division: "310106012".into(),
            kind: CarrierKind::Building,
            fully_covered: false,
        };
        add_counts(&mut t, &carrier, 1);
        let org = OrgFact {
            division: "310106012".into(),
            kind: OrgKind::JointBranch,
            members_full: 4,
            members_probationary: 1,
        };
        add_counts(&mut t, &org, 1);
        let f = Figures::from_tally(Some("310106".into()), None, &t);
        assert_eq!(
            (
                f.units_total,
                f.units_org_covered,
                f.units_work_covered,
                f.units_uncovered
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(f.org_coverage_rate, Some(1.0 / 3.0));
        assert_eq!(f.work_coverage_rate, Some(2.0 / 3.0));
        assert_eq!((f.units_qualifying, f.units_qualifying_with_own_org), (2, 1));
        assert_eq!((f.carriers_total, f.carriers_fully_covered), (1, 0));
        assert_eq!(f.units_by_carrier_type["building"].total, 3);
        assert_eq!(f.units_by_kind["enterprise"].uncovered, 1);
        assert_eq!(
            (f.party_orgs, f.joint_branches, f.members_full, f.members_probationary),
            (1, 1, 4, 1)
        );
    }

    /// A list's total summed from the counters it names is the figure the dashboard
    /// shows, for every kind and for all kinds.
    #[test]
    fn the_lists_counters_sum_to_the_figures() {
        let mut t = Tally::new();
        for (i, &kind) in UnitKind::ALL.iter().enumerate() {
            for (j, status) in CoverageStatus::ALL.into_iter().enumerate() {
                let fact = UnitFact {
                    division: "310106012".into(),
                    kind,
                    carrier_kind: CarrierKind::ALL.get(j).copied(),
                    status,
                    qualifying: j == 0,
                    own_org: false,
                };
                for _ in 0..=(i + 2 * j) {
                    add_counts(&mut t, &fact, 1);
                }
            }
        }
        for (i, &kind) in CarrierKind::ALL.iter().enumerate() {
            for _ in 0..=i {
                add_counts(
                    &mut t,
                    &CarrierFact {
                        division: "310106012".into(),
                        kind,
                        fully_covered: i % 2 == 0,
                    },
                    1,
                );
            }
        }
        for (i, &kind) in OrgKind::ALL.iter().enumerate() {
            let org = OrgFact {
                division: "310106012".into(),
                kind,
                members_full: 3 * i as i64 + 1,
                members_probationary: i as i64,
            };
            add_counts(&mut t, &org, 1);
        }
        let sum = |names: Vec<String>| names.iter().map(|n| t.get(n).copied().unwrap_or(0)).sum::<i64>();
        let f = Figures::from_tally(None, None, &t);
        assert_eq!(sum(metric::units_listed(None)), f.units_total);
        for &k in UnitKind::ALL {
            assert_eq!(sum(metric::units_listed(Some(k))), f.units_by_kind[k.code()].total);
        }
        assert_eq!(sum(metric::carriers_listed(None)), f.carriers_total);
        for &k in CarrierKind::ALL {
            assert_eq!(
                sum(metric::carriers_listed(Some(k))),
                f.carriers_by_type[k.code()].total
            );
        }
        assert_eq!(sum(metric::orgs_listed(None)), f.party_orgs);
        for &k in OrgKind::ALL {
            assert_eq!(sum(metric::orgs_listed(Some(k))), f.orgs_by_kind[k.code()]);
        }
        assert_eq!(
            sum(metric::members_listed(None)),
            f.members_full + f.members_probationary
        );
        assert_eq!(sum(metric::members_listed(Some(MemberStatus::Full))), f.members_full);
        assert_eq!(
            sum(metric::members_listed(Some(MemberStatus::Probationary))),
            f.members_probationary
        );
        assert!(f.units_total > 0 && f.carriers_total > 0 && f.party_orgs > 0 && f.members_full > 0);
    }
}
