//! Scope: which part of the ground an account may see and edit — a division subtree
//! and/or an organisation subtree ("who" × "which subtree"). A district sees its
//! streets; a street its communities and units; a branch secretary their branch.

use crate::codes::DivisionCode;
use crate::registry::OrgPath;

/// The territory an account works in. Store functions that read or write
/// territory-owned records take a `&Scope`; there is no unscoped variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Everything (system administrators).
    All,
    /// A division subtree, an organisation subtree, or both (a record in either is in scope).
    Within {
        division: Option<DivisionCode>,
        org: Option<OrgPath>,
    },
}

impl Scope {
    pub fn division(code: DivisionCode) -> Self {
        Scope::Within {
            division: Some(code),
            org: None,
        }
    }

    pub fn org(path: OrgPath) -> Self {
        Scope::Within {
            division: None,
            org: Some(path),
        }
    }

    /// True when a record located in `division` (and, for organisation-owned
    /// records, under `org`) lies in this scope.
    pub fn covers(&self, division: &DivisionCode, org: Option<&OrgPath>) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { division: d, org: o } => {
                d.as_ref().is_some_and(|d| d.contains(division))
                    || matches!((o, org), (Some(o), Some(p)) if o.contains(p))
            }
        }
    }

    /// True when a new record may be placed in `division` (organisation scopes place
    /// records through their organisation, not by division).
    pub fn may_place_in(&self, division: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { division: d, .. } => d.as_ref().is_some_and(|d| d.contains(division)),
        }
    }

    /// The one visibility rule for divisions, used by the API, the console, the command
    /// line and exports alike: a division's figures, records, children and drill-down
    /// are shown when it lies in the account's division territory.
    pub fn may_view_division(&self, code: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { division, .. } => division.as_ref().is_some_and(|d| d.contains(code)),
        }
    }

    /// A division's name and code alone (breadcrumbs above the territory): its own
    /// territory, below it, or the divisions it lies in. Never a sibling.
    pub fn may_name_division(&self, code: &DivisionCode) -> bool {
        match self {
            Scope::All => true,
            Scope::Within { division, .. } => division.as_ref().is_some_and(|d| d.contains(code) || code.contains(d)),
        }
    }

    /// The division a console opens on: the scope's own, or the whole store.
    pub fn home_division(&self) -> Option<&DivisionCode> {
        match self {
            Scope::All => None,
            Scope::Within { division, .. } => division.as_ref(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::OrgId;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).expect("valid code")
    }

    #[test]
    fn a_street_sees_its_communities_not_the_next_street() {
        let street = Scope::division(code("310106012"));
        assert!(street.covers(&code("310106012003"), None));
        assert!(!street.covers(&code("310106013001"), None));
        assert!(!street.covers(&code("310106"), None));
        assert!(Scope::All.covers(&code("310106"), None));
    }

    #[test]
    fn a_street_names_its_district_but_does_not_view_it_or_its_siblings() {
        let street = Scope::division(code("310106012"));
        assert!(street.may_view_division(&code("310106012")));
        assert!(street.may_view_division(&code("310106012003")));
        assert!(street.may_name_division(&code("310106")));
        assert!(!street.may_view_division(&code("310106")));
        assert!(!street.may_name_division(&code("310106013")));
        assert!(!street.may_view_division(&code("310106013")));
        let branch = Scope::org(OrgPath::root(OrgId(7)));
        assert!(!branch.may_view_division(&code("3101")));
    }

    #[test]
    fn an_org_scope_sees_its_subtree_anywhere() {
        let s = Scope::org(OrgPath::root(OrgId(7)));
        let inside = OrgPath::root(OrgId(7)).child(OrgId(9));
        assert!(s.covers(&code("310107"), Some(&inside)));
        assert!(!s.covers(&code("310107"), Some(&OrgPath::root(OrgId(8)))));
        assert!(!s.may_place_in(&code("310107")));
    }
}
