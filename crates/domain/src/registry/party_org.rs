use super::{Errors, Labelled, OrgId, optional_text, required_name};
use crate::DomainError;
use crate::codes::DivisionCode;
use chrono::NaiveDate;

/// Kind of party organisation (党组织).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// 党委
    Committee,
    /// 党总支
    GeneralBranch,
    /// 党支部
    Branch,
    /// 联合党支部: one branch covering several units.
    JointBranch,
}

impl Labelled for OrgKind {
    const ALL: &'static [Self] = &[Self::Committee, Self::GeneralBranch, Self::Branch, Self::JointBranch];
    fn code(&self) -> &'static str {
        match self {
            Self::Committee => "committee",
            Self::GeneralBranch => "general_branch",
            Self::Branch => "branch",
            Self::JointBranch => "joint_branch",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Committee => "党委",
            Self::GeneralBranch => "党总支",
            Self::Branch => "党支部",
            Self::JointBranch => "联合党支部",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Committee => &["党委员会", "委员会"],
            Self::GeneralBranch => &["总支", "党总支部"],
            Self::Branch => &["支部", "独立党支部", "单独党支部"],
            Self::JointBranch => &["联合支部", "联合党组织"],
        }
    }
}

/// Materialised path of an organisation in the organisation tree (`/12/45/`), so a
/// subtree is a prefix range.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct OrgPath(String);

impl OrgPath {
    pub fn root(id: OrgId) -> Self {
        OrgPath(format!("/{}/", id.0))
    }

    pub fn child(&self, id: OrgId) -> Self {
        OrgPath(format!("{}{}/", self.0, id.0))
    }

    /// Accepts a stored path; `None` when it is not of the form `/1/2/`.
    pub fn from_stored(s: &str) -> Option<Self> {
        let inner = s.strip_prefix('/')?.strip_suffix('/')?;
        inner
            .split('/')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| OrgPath(s.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn contains(&self, other: &OrgPath) -> bool {
        other.0.starts_with(&self.0)
    }

    /// Half-open range `[low, high)` of paths in this subtree: '0' follows '/'.
    pub fn subtree_range(&self) -> (String, String) {
        let base = &self.0[..self.0.len() - 1];
        (self.0.clone(), format!("{base}0"))
    }

    /// The organisation the path ends at (`/12/45/` is 45's path).
    pub fn org(&self) -> OrgId {
        // A path holds at least one id of digits (`from_stored`, `root`, `child`).
        OrgId(
            self.0
                .trim_matches('/')
                .rsplit('/')
                .next()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        )
    }

    pub fn depth(&self) -> usize {
        self.0.matches('/').count() - 1
    }
}

/// The validated fields of a party organisation.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OrgFields {
    pub name: String,
    pub kind: OrgKind,
    pub division: DivisionCode,
    pub secretary: Option<String>,
    pub founded_on: Option<NaiveDate>,
    /// End of the committee's current term (换届 due).
    pub term_ends_on: Option<NaiveDate>,
}

impl OrgFields {
    pub fn parse(
        name: &str,
        kind: &str,
        division: &str,
        secretary: &str,
        founded_on: Option<NaiveDate>,
        term_ends_on: Option<NaiveDate>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let kind = e.take(OrgKind::parse_any(kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let division = e.take(
            DivisionCode::parse(division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        let secretary = e.take(optional_text("secretary", secretary, 50));
        if let (Some(f), Some(t)) = (founded_on, term_ends_on)
            && t < f
        {
            e.0.push(DomainError::OutOfRange { field: "term_ends_on" });
        }
        match (name, kind, division, secretary) {
            (Some(name), Some(kind), Some(division), Some(secretary)) if e.0.is_empty() => Ok(OrgFields {
                name,
                kind,
                division,
                secretary,
                founded_on,
                term_ends_on,
            }),
            _ => Err(e.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_ends_at_its_organisation() {
        let root = OrgPath::root(OrgId(12));
        assert_eq!(root.org(), OrgId(12));
        assert_eq!(root.child(OrgId(45)).org(), OrgId(45));
        assert_eq!(OrgPath::from_stored("/3/7/9/").map(|p| p.org()), Some(OrgId(9)));
    }

    #[test]
    fn paths() {
        let root = OrgPath::root(OrgId(12));
        let child = root.child(OrgId(45));
        assert_eq!(child.as_str(), "/12/45/");
        assert!(root.contains(&child));
        assert!(!OrgPath::root(OrgId(1)).contains(&child));
        let (lo, hi) = root.subtree_range();
        assert!(child.as_str() >= lo.as_str() && child.as_str() < hi.as_str());
        assert!("/120/" >= hi.as_str());
        assert_eq!(OrgPath::from_stored("/12/45/"), Some(child));
        assert_eq!(OrgPath::from_stored("/12//"), None);
    }
}
