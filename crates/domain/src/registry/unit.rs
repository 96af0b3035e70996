use super::{ADDRESS_MAX, Errors, Labelled, optional_text, required_name};
use crate::DomainError;
use crate::codes::{CreditCode, DivisionCode};

/// Kind of unit (单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// 企业 — a new economic organisation when non-state.
    Enterprise,
    /// 社会组织 — a new social organisation.
    SocialOrganisation,
    /// 事业单位
    PublicInstitution,
    /// 机关
    GovernmentBody,
}

impl Labelled for UnitKind {
    const ALL: &'static [Self] = &[
        Self::Enterprise,
        Self::SocialOrganisation,
        Self::PublicInstitution,
        Self::GovernmentBody,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Enterprise => "enterprise",
            Self::SocialOrganisation => "social_organisation",
            Self::PublicInstitution => "public_institution",
            Self::GovernmentBody => "government_body",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Enterprise => "企业",
            Self::SocialOrganisation => "社会组织",
            Self::PublicInstitution => "事业单位",
            Self::GovernmentBody => "机关",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Enterprise => &["非公企业", "民营企业", "私营企业", "公司", "个体工商户", "国有企业"],
            Self::SocialOrganisation => &["社团", "民办非企业单位", "基金会", "社会团体"],
            Self::PublicInstitution => &["事业", "学校", "医院"],
            Self::GovernmentBody => &["党政机关", "政府机关"],
        }
    }
}

/// A link in a platform or chain network ("HQ drives the network", 总部带网点).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitLinkKind {
    /// 总部: this unit is the headquarters of the other.
    HeadquartersOf,
    /// 加盟: this unit is a franchisee of the other.
    FranchiseeOf,
    /// 供应商: this unit is a supplier of the other.
    SupplierOf,
}

impl Labelled for UnitLinkKind {
    const ALL: &'static [Self] = &[Self::HeadquartersOf, Self::FranchiseeOf, Self::SupplierOf];
    fn code(&self) -> &'static str {
        match self {
            Self::HeadquartersOf => "headquarters_of",
            Self::FranchiseeOf => "franchisee_of",
            Self::SupplierOf => "supplier_of",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::HeadquartersOf => "总部",
            Self::FranchiseeOf => "加盟商",
            Self::SupplierOf => "供应商",
        }
    }
}

/// The validated fields of a unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct UnitFields {
    pub name: String,
    pub kind: UnitKind,
    /// Unified social credit code; required for enterprises and social organisations
    /// registered with one, optional otherwise (sole traders may lack one).
    pub credit_code: Option<CreditCode>,
    pub employees: Option<u32>,
    pub division: DivisionCode,
    pub address: Option<String>,
}

impl UnitFields {
    pub fn parse(
        name: &str,
        kind: &str,
        credit_code: &str,
        employees: &str,
        division: &str,
        address: &str,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let kind = e.take(UnitKind::parse_any(kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let credit_code = e.take(if crate::text::clean(credit_code).is_empty() {
            Ok(None)
        } else {
            CreditCode::parse(credit_code)
                .map(Some)
                .map_err(|source| DomainError::InvalidCode {
                    field: "credit_code",
                    source,
                })
        });
        let employees = e.take(parse_count("employees", employees));
        let division = e.take(
            DivisionCode::parse(division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        let address = e.take(optional_text("address", address, ADDRESS_MAX));
        match (name, kind, credit_code, employees, division, address) {
            (Some(name), Some(kind), Some(credit_code), Some(employees), Some(division), Some(address)) => {
                Ok(UnitFields {
                    name,
                    kind,
                    credit_code,
                    employees,
                    division,
                    address,
                })
            }
            _ => Err(e.0),
        }
    }
}

/// A non-negative head count, blank for unknown; accepts `1,200`, `1200人` and `1200名`.
/// Text that is not a count (`约50人`, `五十`) is "not a number"; a negative or absurd
/// count is "out of range".
pub fn parse_count(field: &'static str, raw: &str) -> Result<Option<u32>, DomainError> {
    let s: String = crate::text::code_form(raw).chars().filter(|c| *c != ',').collect();
    let s = s.strip_suffix('人').or_else(|| s.strip_suffix('名')).unwrap_or(&s);
    if s.is_empty() {
        return Ok(None);
    }
    let s = s.strip_suffix(".0").unwrap_or(s);
    let digits = s.strip_prefix('-').unwrap_or(s);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(DomainError::NotANumber { field });
    }
    match s.parse::<i64>() {
        Ok(n) if (0..=10_000_000).contains(&n) => Ok(Some(n as u32)),
        _ => Err(DomainError::OutOfRange { field }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_credit_code_is_a_field_error() {
        let errs = UnitFields::parse("某公司", "企业", "91310106MA1FL2AB3X", "", "310106012", "")
            .expect_err("check character is wrong");
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].field(), "credit_code");
    }

    #[test]
    fn a_choice_from_a_form_is_blank_known_or_refused() {
        assert_eq!(UnitKind::parse_field(None, "kind"), Ok(None));
        assert_eq!(UnitKind::parse_field(Some("  "), "kind"), Ok(None));
        assert_eq!(
            UnitKind::parse_field(Some(" 机关 "), "kind"),
            Ok(Some(UnitKind::GovernmentBody))
        );
        assert_eq!(
            UnitKind::parse_field(Some("飞船"), "kind"),
            Err(DomainError::UnknownValue { field: "kind" })
        );
        assert_eq!(
            UnitKind::parse_required(Some(""), "kind"),
            Err(DomainError::Required { field: "kind" })
        );
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("e", "1,200人"), Ok(Some(1200)));
        assert_eq!(parse_count("e", " "), Ok(None));
        assert_eq!(parse_count("e", "-3"), Err(DomainError::OutOfRange { field: "e" }));
        // "About 50" is not a number, and an office is told so (not "out of range").
        assert_eq!(parse_count("e", "约50人"), Err(DomainError::NotANumber { field: "e" }));
        assert_eq!(parse_count("e", "五十"), Err(DomainError::NotANumber { field: "e" }));
        assert_eq!(parse_count("e", "５０名"), Ok(Some(50)));
    }
}
