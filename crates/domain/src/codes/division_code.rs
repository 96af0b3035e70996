use super::CodeError;
use crate::text::code_form;
use std::fmt;

/// Level of an administrative division (行政区划).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 省/直辖市
    Province,
    /// 市 (for Shanghai: 市辖区)
    City,
    /// 区/县
    District,
    /// 街道/镇
    Street,
    /// 居委会/村委会
    Community,
}

impl DivisionLevel {
    pub fn as_str(&self) -> &'static str {
        match self {
            DivisionLevel::Province => "province",
            DivisionLevel::City => "city",
            DivisionLevel::District => "district",
            DivisionLevel::Street => "street",
            DivisionLevel::Community => "community",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "province" => DivisionLevel::Province,
            "city" => DivisionLevel::City,
            "district" => DivisionLevel::District,
            "street" => DivisionLevel::Street,
            "community" => DivisionLevel::Community,
            _ => return None,
        })
    }

    /// Digits of a statistical division code at this level.
    pub fn code_len(&self) -> usize {
        match self {
            DivisionLevel::Province => 2,
            DivisionLevel::City => 4,
            DivisionLevel::District => 6,
            DivisionLevel::Street => 9,
            DivisionLevel::Community => 12,
        }
    }
}

/// Statistical division code (统计用区划代码): 2 digits province, 4 city, 6 district
/// (GB/T 2260), 9 street/town, 12 community/village. A code's ancestors are its
/// prefixes, so a subtree is a prefix range.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct DivisionCode(String);

impl DivisionCode {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = code_form(input);
        if !s.chars().all(|c| c.is_ascii_digit()) || ![2, 4, 6, 9, 12].contains(&s.len()) {
            return Err(CodeError::DivisionCodeFormat);
        }
        Ok(DivisionCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> DivisionLevel {
        match self.0.len() {
            2 => DivisionLevel::Province,
            4 => DivisionLevel::City,
            6 => DivisionLevel::District,
            9 => DivisionLevel::Street,
            _ => DivisionLevel::Community,
        }
    }

    /// True when `other` is this division or lies below it.
    pub fn contains(&self, other: &DivisionCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// The parent code by the statistical code structure (`None` for a province).
    pub fn parent(&self) -> Option<DivisionCode> {
        let len = match self.0.len() {
            4 => 2,
            6 => 4,
            9 => 6,
            12 => 9,
            _ => return None,
        };
        Some(DivisionCode(self.0[..len].to_string()))
    }

    /// The street or town (街道/镇) this division lies in: itself at street level, its
    /// parent for a community; `None` above street level.
    pub fn street(&self) -> Option<DivisionCode> {
        match self.level() {
            DivisionLevel::Street => Some(self.clone()),
            DivisionLevel::Community => self.parent(),
            _ => None,
        }
    }

    /// Half-open range `[low, high)` of codes in this subtree, for index-friendly SQL.
    pub fn subtree_range(&self) -> (String, String) {
        (self.0.clone(), format!("{}:", self.0))
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DivisionCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn levels_and_parents() {
        let street = DivisionCode::parse("310106012").expect("street");
        assert_eq!(street.level(), DivisionLevel::Street);
        assert_eq!(street.parent().map(|p| p.to_string()), Some("310106".into()));
        assert!(DivisionCode::parse("310106").expect("district").contains(&street));
        assert!(!DivisionCode::parse("310107").expect("district").contains(&street));
        assert!(DivisionCode::parse("3101061").is_err());
        assert!(DivisionCode::parse("31010a").is_err());
    }

    #[test]
    fn the_street_of_a_division() {
        let code = |s: &str| DivisionCode::parse(s).expect("code");
        assert_eq!(code("310106012003").street(), Some(code("310106012")));
        assert_eq!(code("310106012").street(), Some(code("310106012")));
        assert_eq!(code("310106").street(), None);
    }

    proptest! {
        #[test]
        fn subtree_range_matches_contains(a in "[0-9]{6}", b in "[0-9]{6}([0-9]{3}([0-9]{3})?)?") {
            let a = DivisionCode::parse(&a).expect("6 digits");
            let b = DivisionCode::parse(&b).expect("valid length");
            let (lo, hi) = a.subtree_range();
            let in_range = b.as_str() >= lo.as_str() && b.as_str() < hi.as_str();
            prop_assert_eq!(in_range, a.contains(&b));
        }
    }
}
