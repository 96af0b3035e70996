//! The coverage rules. Each number is a setting ([`CoverageRules`]) whose default is
//! the one the source gives; districts and sectors may differ.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::registry::OrgKind;

/// How a unit is reached by the party's organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CoverageStatus {
    /// Organisational coverage (组织覆盖): its own organisation, or one of the units
    /// of a joint branch.
    Organisational,
    /// Work coverage (工作覆盖): no organisation of its own or joint, but an instructor
    /// (党建指导员) or a carrier-level organisation reaches it.
    Work,
    /// Uncovered (未覆盖).
    Uncovered,
}

impl CoverageStatus {
    pub const ALL: [CoverageStatus; 3] = [Self::Organisational, Self::Work, Self::Uncovered];

    pub fn code(&self) -> &'static str {
        match self {
            Self::Organisational => "organisational",
            Self::Work => "work",
            Self::Uncovered => "uncovered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }

    pub fn label_zh(&self) -> &'static str {
        match self {
            Self::Organisational => "组织覆盖",
            Self::Work => "工作覆盖",
            Self::Uncovered => "未覆盖",
        }
    }

    pub fn is_covered(&self) -> bool {
        !matches!(self, Self::Uncovered)
    }
}

/// What the registry says about one unit, as far as coverage is concerned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitInputs {
    /// An active organisation other than a joint branch is attached to the unit.
    pub has_own_org: bool,
    /// The unit is one of the units of an active joint branch.
    pub in_joint_branch: bool,
    /// A party-building instructor is assigned to the unit.
    pub has_instructor: bool,
    /// The unit's carrier has an active carrier-level organisation (a building or
    /// park committee or branch) that takes in the carrier's units.
    pub carrier_has_org: bool,
    /// Active full members (正式党员) whose work unit this is.
    pub full_members: u32,
}

/// Whether a committee's term needs renewing (换届).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Renewal {
    /// The term has ended.
    Overdue,
    /// The term ends within the notice window.
    DueSoon,
}

/// The coverage rules as settings, with the defaults their sources give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoverageRules {
    /// Full members from which a unit should set up its own organisation. Party
    /// Constitution Art. 30 ("凡是有正式党员三人以上的，都应当成立党的基层组织");
    /// Branch Work Regulations (支部工作条例（试行）, 2018) Art. 4.
    pub own_org_min_full_members: u32,
    /// Units a joint branch generally covers at most (Branch Work Regulations Art. 4).
    pub joint_branch_max_units: u32,
    /// Members a branch generally has at most (Branch Work Regulations Art. 4 and
    /// practice).
    pub branch_max_members: u32,
    /// Days before a term ends from which renewal is flagged (terms: Party Constitution
    /// Art. 30, three to five years; reminding ahead is practice, brief §4a.7).
    pub renewal_notice_days: u32,
    /// An assigned instructor gives work coverage (practice: 党建指导员 reach units
    /// that cannot yet set up an organisation).
    pub instructor_gives_work_coverage: bool,
    /// A carrier-level organisation gives its carrier's units work coverage ("支部建在
    /// 楼上": building and park organisations take in the carrier's units).
    pub carrier_org_gives_work_coverage: bool,
    /// Years of a committee's term (届): 3 for most organisations (brief §2; Party
    /// Constitution Art. 30 allows three to five).
    pub term_years: u32,
    /// Years of the term of a village or community (村/社区) organisation: 5 (brief §2,
    /// in step with the villagers' and residents' committees).
    pub community_term_years: u32,
}

impl Default for CoverageRules {
    fn default() -> Self {
        CoverageRules {
            own_org_min_full_members: 3,
            joint_branch_max_units: 5,
            branch_max_members: 50,
            renewal_notice_days: 90,
            instructor_gives_work_coverage: true,
            carrier_org_gives_work_coverage: true,
            term_years: 3,
            community_term_years: 5,
        }
    }
}

impl CoverageRules {
    /// The unit's coverage status.
    pub fn status(&self, u: &UnitInputs) -> CoverageStatus {
        if u.has_own_org || u.in_joint_branch {
            CoverageStatus::Organisational
        } else if (self.instructor_gives_work_coverage && u.has_instructor)
            || (self.carrier_org_gives_work_coverage && u.carrier_has_org)
        {
            CoverageStatus::Work
        } else {
            CoverageStatus::Uncovered
        }
    }

    /// The unit has enough full members to set up its own organisation.
    pub fn qualifies(&self, full_members: u32) -> bool {
        full_members >= self.own_org_min_full_members
    }

    /// The unit should set up its own organisation: it qualifies and has none of its
    /// own. Being one of a joint branch's units does not satisfy this (Party
    /// Constitution Art. 30; Branch Work Regulations Art. 4).
    pub fn should_set_up_own_org(&self, u: &UnitInputs) -> bool {
        self.qualifies(u.full_members) && !u.has_own_org
    }

    /// A carrier is fully covered when it has at least one unit and every unit in it is
    /// covered, organisationally or by work.
    pub fn carrier_fully_covered(&self, units_total: u64, units_covered: u64) -> bool {
        units_total > 0 && units_covered >= units_total
    }

    /// A joint branch covering more units than the rule allows.
    pub fn joint_branch_over_limit(&self, kind: OrgKind, units: u64) -> bool {
        kind == OrgKind::JointBranch && units > u64::from(self.joint_branch_max_units)
    }

    /// A branch (own or joint) with more members than the rule allows.
    pub fn branch_over_limit(&self, kind: OrgKind, members: u64) -> bool {
        matches!(kind, OrgKind::Branch | OrgKind::JointBranch) && members > u64::from(self.branch_max_members)
    }

    /// Whether a term ending on `term_ends_on` needs renewing as of `today`.
    pub fn renewal(&self, term_ends_on: Option<NaiveDate>, today: NaiveDate) -> Option<Renewal> {
        let end = term_ends_on?;
        if end < today {
            Some(Renewal::Overdue)
        } else if end <= self.renewal_horizon(today) {
            Some(Renewal::DueSoon)
        } else {
            None
        }
    }

    /// When a term begun on `elected_on` ends: the same day `term_years` later (the last
    /// day of February for a term begun on the 29th). An organisation placed in a
    /// community or village (居委会/村委会) serves the longer community term.
    pub fn term_end(&self, elected_on: NaiveDate, in_community: bool) -> NaiveDate {
        let years = if in_community {
            self.community_term_years
        } else {
            self.term_years
        };
        elected_on
            .checked_add_months(chrono::Months::new(years.saturating_mul(12)))
            .unwrap_or(NaiveDate::MAX)
    }

    /// A joint branch has room for one more unit under the unit limit.
    pub fn joint_branch_has_room(&self, units: u64) -> bool {
        units < u64::from(self.joint_branch_max_units)
    }

    /// The last term end that is flagged as of `today`.
    pub fn renewal_horizon(&self, today: NaiveDate) -> NaiveDate {
        today
            .checked_add_days(Days::new(u64::from(self.renewal_notice_days)))
            .unwrap_or(NaiveDate::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> CoverageRules {
        CoverageRules::default()
    }

    #[test]
    fn a_term_ends_three_years_on_or_five_in_a_community() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        assert_eq!(rules().term_end(d("2026-11-30"), false), d("2029-11-30"));
        assert_eq!(rules().term_end(d("2026-11-30"), true), d("2031-11-30"));
        assert_eq!(rules().term_end(d("2024-02-29"), false), d("2027-02-28"));
        assert!(rules().joint_branch_has_room(4));
        assert!(!rules().joint_branch_has_room(5));
    }

    #[test]
    fn own_or_joint_organisation_covers_organisationally() {
        let own = UnitInputs {
            has_own_org: true,
            ..Default::default()
        };
        let joint = UnitInputs {
            in_joint_branch: true,
            has_instructor: true,
            ..Default::default()
        };
        assert_eq!(rules().status(&own), CoverageStatus::Organisational);
        assert_eq!(rules().status(&joint), CoverageStatus::Organisational);
    }

    #[test]
    fn instructor_or_carrier_organisation_covers_by_work() {
        let i = UnitInputs {
            has_instructor: true,
            ..Default::default()
        };
        let c = UnitInputs {
            carrier_has_org: true,
            ..Default::default()
        };
        assert_eq!(rules().status(&i), CoverageStatus::Work);
        assert_eq!(rules().status(&c), CoverageStatus::Work);
        assert_eq!(rules().status(&UnitInputs::default()), CoverageStatus::Uncovered);
        let strict = CoverageRules {
            instructor_gives_work_coverage: false,
            ..rules()
        };
        assert_eq!(strict.status(&i), CoverageStatus::Uncovered);
    }

    #[test]
    fn three_full_members_and_a_joint_branch_still_should_set_up() {
        let u = UnitInputs {
            in_joint_branch: true,
            full_members: 3,
            ..Default::default()
        };
        assert!(rules().should_set_up_own_org(&u));
        assert!(!rules().should_set_up_own_org(&UnitInputs { full_members: 2, ..u }));
        assert!(!rules().should_set_up_own_org(&UnitInputs { has_own_org: true, ..u }));
    }

    #[test]
    fn carriers_need_a_unit_and_every_unit_covered() {
        assert!(!rules().carrier_fully_covered(0, 0));
        assert!(rules().carrier_fully_covered(3, 3));
        assert!(!rules().carrier_fully_covered(3, 2));
    }

    #[test]
    fn limits_apply_to_the_kinds_they_name() {
        let r = rules();
        assert!(r.joint_branch_over_limit(OrgKind::JointBranch, 6));
        assert!(!r.joint_branch_over_limit(OrgKind::JointBranch, 5));
        assert!(!r.joint_branch_over_limit(OrgKind::Branch, 9));
        assert!(r.branch_over_limit(OrgKind::Branch, 51));
        assert!(r.branch_over_limit(OrgKind::JointBranch, 51));
        assert!(!r.branch_over_limit(OrgKind::Committee, 500));
        assert!(!r.branch_over_limit(OrgKind::Branch, 50));
    }

    #[test]
    fn terms_are_flagged_ninety_days_ahead_and_when_over() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let r = rules();
        assert_eq!(r.renewal(None, today), None);
        assert_eq!(r.renewal(Some(today - Days::new(1)), today), Some(Renewal::Overdue));
        assert_eq!(r.renewal(Some(today), today), Some(Renewal::DueSoon));
        assert_eq!(r.renewal(Some(today + Days::new(90)), today), Some(Renewal::DueSoon));
        assert_eq!(r.renewal(Some(today + Days::new(91)), today), None);
    }

    #[test]
    fn settings_read_with_defaults_for_what_is_missing() {
        let r: CoverageRules = serde_json::from_str(r#"{"own_org_min_full_members": 5}"#).expect("json");
        assert_eq!(r.own_org_min_full_members, 5);
        assert_eq!(r.joint_branch_max_units, 5);
    }
}
