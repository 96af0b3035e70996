use super::{Errors, Labelled, required_name};
use crate::DomainError;
use crate::codes::{Phone, ResidentId};
use chrono::NaiveDate;

/// Membership status (党员类别).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// 正式党员
    Full,
    /// 预备党员
    Probationary,
}

impl Labelled for MemberStatus {
    const ALL: &'static [Self] = &[Self::Full, Self::Probationary];
    fn code(&self) -> &'static str {
        match self {
            Self::Full => "full",
            Self::Probationary => "probationary",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Full => "正式党员",
            Self::Probationary => "预备党员",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Full => &["正式"],
            Self::Probationary => &["预备"],
        }
    }
}

/// Party Constitution Art. 1: a member has reached the age of eighteen when joining.
pub const MIN_JOINING_AGE: u32 = 18;

/// The validated fields of a member. Resident ID and phone are personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberFields {
    pub name: String,
    pub status: MemberStatus,
    pub resident_id: ResidentId,
    pub phone: Option<Phone>,
    /// Date of joining the party (入党日期).
    pub joined_on: Option<NaiveDate>,
}

impl MemberFields {
    pub fn parse(
        name: &str,
        status: &str,
        resident_id: &str,
        phone: &str,
        joined_on: Option<NaiveDate>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let status = e.take(MemberStatus::parse_any(status).ok_or(DomainError::UnknownValue { field: "status" }));
        let resident_id = e.take(if crate::text::clean(resident_id).is_empty() {
            Err(DomainError::Required { field: "resident_id" })
        } else {
            ResidentId::parse(resident_id).map_err(|source| DomainError::InvalidCode {
                field: "resident_id",
                source,
            })
        });
        let phone = e.take(if crate::text::clean(phone).is_empty() {
            Ok(None)
        } else {
            Phone::parse(phone)
                .map(Some)
                .map_err(|source| DomainError::InvalidCode { field: "phone", source })
        });
        if let (Some(id), Some(j)) = (&resident_id, joined_on)
            && let Some(birth) = id.birth_date()
            && birth
                .checked_add_months(chrono::Months::new(12 * MIN_JOINING_AGE))
                .is_none_or(|adult| j < adult)
        {
            e.0.push(DomainError::JoinedUnderAge { field: "joined_on" });
        }
        match (name, status, resident_id, phone) {
            (Some(name), Some(status), Some(resident_id), Some(phone)) if e.0.is_empty() => Ok(MemberFields {
                name,
                status,
                resident_id,
                phone,
                joined_on,
            }),
            _ => Err(e.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joining_before_eighteen_is_refused() {
        let id = "11010519491231002X";
        let early = NaiveDate::from_ymd_opt(1967, 12, 30);
        let ok = NaiveDate::from_ymd_opt(1967, 12, 31);
        let e = MemberFields::parse("张三", "正式党员", id, "", early).expect_err("17 years old");
        assert_eq!(e[0], DomainError::JoinedUnderAge { field: "joined_on" });
        assert!(MemberFields::parse("张三", "正式党员", id, "13800138000", ok).is_ok());
    }
}
