use super::{ADDRESS_MAX, Errors, Labelled, optional_text, required_name};
use crate::DomainError;
use crate::codes::DivisionCode;

/// Carrier (载体): a place where units sit and party work is organised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CarrierKind {
    /// 楼宇
    Building,
    /// 园区
    Park,
    /// 商圈
    BusinessDistrict,
    /// 市场
    Market,
}

impl Labelled for CarrierKind {
    const ALL: &'static [Self] = &[Self::Building, Self::Park, Self::BusinessDistrict, Self::Market];
    fn code(&self) -> &'static str {
        match self {
            Self::Building => "building",
            Self::Park => "park",
            Self::BusinessDistrict => "business_district",
            Self::Market => "market",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Building => "楼宇",
            Self::Park => "园区",
            Self::BusinessDistrict => "商圈",
            Self::Market => "市场",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Building => &["商务楼宇", "商务楼", "写字楼", "大厦", "楼"],
            Self::Park => &["产业园区", "园"],
            Self::BusinessDistrict => &["商业街区", "街区", "商业区"],
            Self::Market => &["商品市场", "专业市场"],
        }
    }
}

/// The validated fields of a carrier.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CarrierFields {
    pub name: String,
    pub kind: CarrierKind,
    /// Key carrier (重点楼宇/园区).
    pub is_key: bool,
    pub division: DivisionCode,
    pub address: Option<String>,
    /// WGS-84 longitude and latitude.
    pub location: Option<(f64, f64)>,
}

impl CarrierFields {
    /// Validates raw input; returns every field error at once.
    pub fn parse(
        name: &str,
        kind: &str,
        is_key: bool,
        division: &str,
        address: &str,
        location: Option<(f64, f64)>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let kind = e.take(CarrierKind::parse_any(kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let division = e.take(
            DivisionCode::parse(division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        let address = e.take(optional_text("address", address, ADDRESS_MAX));
        if let Some((lng, lat)) = location
            && (!(-180.0..=180.0).contains(&lng) || !(-90.0..=90.0).contains(&lat))
        {
            e.0.push(DomainError::OutOfRange { field: "location" });
        }
        match (name, kind, division, address) {
            (Some(name), Some(kind), Some(division), Some(address)) if e.0.is_empty() => Ok(CarrierFields {
                name,
                kind,
                is_key,
                division,
                address,
                location,
            }),
            _ => Err(e.0),
        }
    }
}
