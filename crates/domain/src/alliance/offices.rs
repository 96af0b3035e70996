//! The offices of a joint conference and their terms: a convener (召集人), rotating
//! conveners (轮值召集人) who chair the plenaries in turn, vice conveners (副召集人), a
//! secretary-general (秘书长) and a secretariat unit (秘书处单位). Brief §1.3; the
//! "常任轮值" mechanism of Huangpu's and Putuo's conferences: a standing convener and a
//! rotating one, changed on a published schedule.

use crate::DomainError;
use crate::registry::Labelled;
use chrono::NaiveDate;

/// An office in a joint conference, held by a member unit for a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Office {
    /// 召集人
    Convener,
    /// 轮值召集人
    RotatingConvener,
    /// 副召集人
    ViceConvener,
    /// 秘书长（单位）
    SecretaryGeneral,
    /// 秘书处单位
    Secretariat,
}

impl Labelled for Office {
    const ALL: &'static [Self] = &[
        Self::Convener,
        Self::RotatingConvener,
        Self::ViceConvener,
        Self::SecretaryGeneral,
        Self::Secretariat,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Convener => "convener",
            Self::RotatingConvener => "rotating_convener",
            Self::ViceConvener => "vice_convener",
            Self::SecretaryGeneral => "secretary_general",
            Self::Secretariat => "secretariat",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Convener => "召集人",
            Self::RotatingConvener => "轮值召集人",
            Self::ViceConvener => "副召集人",
            Self::SecretaryGeneral => "秘书长",
            Self::Secretariat => "秘书处单位",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Convener => &["总召集人", "常任召集人", "主任"],
            Self::RotatingConvener => &["轮值主席", "轮值单位", "轮值召集单位"],
            Self::ViceConvener => &["副主任", "副召集单位"],
            Self::SecretaryGeneral => &["秘书长单位"],
            Self::Secretariat => &["秘书处", "办公室"],
        }
    }
}

impl Office {
    /// Offices one unit fills at a time: a conference has one convener, one rotating
    /// convener chairing (that is what the rotation means), one secretary-general and one
    /// secretariat; vice conveners are several.
    pub fn one_at_a_time(&self) -> bool {
        !matches!(self, Self::ViceConvener)
    }
}

/// A term of office: from its first day to its last (open while it runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Term {
    /// A term ends on or after the day it starts.
    pub fn parse(starts_on: Option<NaiveDate>, ends_on: Option<NaiveDate>) -> Result<Term, DomainError> {
        let starts_on = starts_on.ok_or(DomainError::Required { field: "starts_on" })?;
        if ends_on.is_some_and(|e| e < starts_on) {
            return Err(DomainError::OutOfOrder { field: "ends_on" });
        }
        Ok(Term { starts_on, ends_on })
    }

    /// True when `day` lies in the term (both ends included).
    pub fn holds_on(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|e| day <= e)
    }

    /// True when the two terms share a day.
    pub fn overlaps(&self, other: &Term) -> bool {
        let ends_before = |a: &Term, b: &Term| a.ends_on.is_some_and(|e| e < b.starts_on);
        !ends_before(self, other) && !ends_before(other, self)
    }
}

/// Checks a new term of `office` against the terms already recorded for that office in
/// the same conference: an office held one at a time may not have two holders on one
/// day. Returns the error the form shows beside the term's start.
pub fn check_term(office: Office, new: &Term, others: &[Term]) -> Result<(), DomainError> {
    if office.one_at_a_time() && others.iter().any(|o| o.overlaps(new)) {
        return Err(DomainError::TermsOverlap { field: "starts_on" });
    }
    Ok(())
}

/// Who chairs a plenary held on `day`: the rotating convener whose term holds that day,
/// else the convener (the standing one chairs when no rotation is set). `terms` are the
/// conference's offices as (office, term, holder).
pub fn chair_on<T: Copy>(day: NaiveDate, terms: &[(Office, Term, T)]) -> Option<T> {
    let holder = |want: Office| {
        terms
            .iter()
            .find(|(o, t, _)| *o == want && t.holds_on(day))
            .map(|(_, _, h)| *h)
    };
    holder(Office::RotatingConvener).or_else(|| holder(Office::Convener))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    fn term(a: &str, b: Option<&str>) -> Term {
        Term::parse(Some(day(a)), b.map(day)).expect("term")
    }

    #[test]
    fn one_rotating_convener_at_a_time() {
        let first = term("2023-01-01", Some("2023-12-31"));
        let second = term("2024-01-01", Some("2024-12-31"));
        assert!(check_term(Office::RotatingConvener, &second, &[first]).is_ok());
        let clash = term("2023-12-31", None);
        assert_eq!(
            check_term(Office::RotatingConvener, &clash, &[first, second]),
            Err(DomainError::TermsOverlap { field: "starts_on" })
        );
        // Vice conveners are several at once.
        assert!(check_term(Office::ViceConvener, &clash, &[first, second]).is_ok());
        assert_eq!(
            Term::parse(Some(day("2024-01-02")), Some(day("2024-01-01"))),
            Err(DomainError::OutOfOrder { field: "ends_on" })
        );
    }

    #[test]
    fn the_rotation_says_who_chairs() {
        let terms = [
            (Office::Convener, term("2014-01-01", None), "区委"),
            (
                Office::RotatingConvener,
                term("2023-01-01", Some("2023-12-31")),
                "某银行",
            ),
            (
                Office::RotatingConvener,
                term("2024-01-01", Some("2024-12-31")),
                "某医院",
            ),
        ];
        assert_eq!(chair_on(day("2023-06-30"), &terms), Some("某银行"));
        assert_eq!(chair_on(day("2024-01-01"), &terms), Some("某医院"));
        assert_eq!(
            chair_on(day("2025-03-01"), &terms),
            Some("区委"),
            "no rotation set: the convener"
        );
        assert_eq!(chair_on(day("2013-03-01"), &terms), None);
    }

    fn any_term() -> impl Strategy<Value = Term> {
        (0i64..3_000, proptest::option::of(0i64..400)).prop_map(|(s, len)| {
            let base = day("2015-01-01");
            let starts_on = base + chrono::Duration::days(s);
            Term {
                starts_on,
                ends_on: len.map(|l| starts_on + chrono::Duration::days(l)),
            }
        })
    }

    proptest! {
        /// Overlap is symmetric and means "a day both hold".
        #[test]
        fn overlap_means_a_shared_day(a in any_term(), b in any_term()) {
            prop_assert_eq!(a.overlaps(&b), b.overlaps(&a));
            let shared = (0..3_500).map(|d| day("2015-01-01") + chrono::Duration::days(d))
                .any(|d| a.holds_on(d) && b.holds_on(d));
            // Every start and every end lies inside the window of days looked at.
            prop_assert_eq!(a.overlaps(&b), shared);
        }
    }
}
