//! Pairing (结对共建), brief §1.5: branches pair with branches (one group runs 44
//! pairs), and firms with residential communities and villages ("百企连百居百村": a
//! hundred firms linked with a hundred communities and a hundred villages). A pair lasts
//! from the day it was set up until it is ended; what the two do together is logged
//! against it, and a pair with nothing logged in a year is a gap, as is a community or
//! village without a partner firm and a branch without a pair.

use super::TEXT_MAX;
use crate::DomainError;
use crate::registry::{Errors, Labelled, optional_text, required_name};
use chrono::{Datelike, NaiveDate};

/// What is paired with what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairKind {
    /// 支部结对: a party branch with another.
    Branches,
    /// 企业结对居村: a firm with a residential community or a village.
    FirmCommunity,
}

impl Labelled for PairKind {
    const ALL: &'static [Self] = &[Self::Branches, Self::FirmCommunity];
    fn code(&self) -> &'static str {
        match self {
            Self::Branches => "branches",
            Self::FirmCommunity => "firm_community",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Branches => "支部结对",
            Self::FirmCommunity => "企业结对居村",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Branches => &["支部共建", "党支部结对", "结对共建"],
            Self::FirmCommunity => &["百企连百居百村", "村企结对", "企业结对社区", "企居结对"],
        }
    }
}

/// A pair's checked fields: its kind, when it was set up and ended, a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairFields {
    pub kind: PairKind,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub note: Option<String>,
}

impl PairFields {
    /// Every fault at once; a pair ends on or after the day it was set up.
    pub fn parse(
        kind: &str,
        started_on: Option<NaiveDate>,
        ended_on: Option<NaiveDate>,
        note: &str,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let kind = e.take(PairKind::parse_required(Some(kind), "kind"));
        let started_on = e.take(started_on.ok_or(DomainError::Required { field: "started_on" }));
        if let (Some(s), Some(x)) = (started_on, ended_on)
            && x < s
        {
            e.0.push(DomainError::OutOfOrder { field: "ended_on" });
        }
        let note = e.take(optional_text("note", note, TEXT_MAX));
        match (kind, started_on, note) {
            (Some(kind), Some(started_on), Some(note)) if e.0.is_empty() => Ok(PairFields {
                kind,
                started_on,
                ended_on,
                note,
            }),
            _ => Err(e.0),
        }
    }
}

/// A pair is active on `day` from the day it was set up until the day it ended.
pub fn pair_active_on(started_on: NaiveDate, ended_on: Option<NaiveDate>, day: NaiveDate) -> bool {
    started_on <= day && ended_on.is_none_or(|e| day <= e)
}

/// What two paired parties did together (结对活动): a day, a title, notes, how many took
/// part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairActivityFields {
    pub held_on: NaiveDate,
    pub title: String,
    pub notes: Option<String>,
    pub people: Option<u32>,
}

impl PairActivityFields {
    pub fn parse(held_on: Option<NaiveDate>, title: &str, notes: &str, people: &str) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let held_on = e.take(held_on.ok_or(DomainError::Required { field: "held_on" }));
        let title = e.take(required_name("title", title));
        let notes = e.take(optional_text("notes", notes, TEXT_MAX));
        let people = e.take(crate::registry::parse_count("people", people));
        match (held_on, title, notes, people) {
            (Some(held_on), Some(title), Some(notes), Some(people)) if e.0.is_empty() => Ok(PairActivityFields {
                held_on,
                title,
                notes,
                people,
            }),
            _ => Err(e.0),
        }
    }
}

/// A pair with nothing logged in `year`, while it was active at some time of that year
/// up to `today`: the gap "no activity this year".
pub fn idle_in(
    year: i32,
    today: NaiveDate,
    started_on: NaiveDate,
    ended_on: Option<NaiveDate>,
    held: &[NaiveDate],
) -> bool {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else {
        return false;
    };
    let last = NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |d| d.min(today));
    let active = started_on <= last && ended_on.is_none_or(|e| e >= first);
    active && !held.iter().any(|d| d.year() == year && *d <= today)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn a_pair_ends_after_it_starts_and_is_active_between() {
        let p = PairFields::parse("百企连百居百村", Some(day("2024-03-01")), None, "").expect("pair");
        assert_eq!(p.kind, PairKind::FirmCommunity);
        let e = PairFields::parse("结对", None, Some(day("2020-01-01")), "").expect_err("faults");
        assert!(e.contains(&DomainError::UnknownValue { field: "kind" }));
        assert!(e.contains(&DomainError::Required { field: "started_on" }));
        let e = PairFields::parse("支部结对", Some(day("2024-03-01")), Some(day("2024-02-01")), "").expect_err("order");
        assert_eq!(e, vec![DomainError::OutOfOrder { field: "ended_on" }]);
        assert!(pair_active_on(
            day("2024-03-01"),
            Some(day("2024-12-31")),
            day("2024-12-31")
        ));
        assert!(!pair_active_on(
            day("2024-03-01"),
            Some(day("2024-12-31")),
            day("2025-01-01")
        ));
    }

    #[test]
    fn a_pair_is_idle_in_a_year_it_was_active_and_did_nothing() {
        let today = day("2026-11-29");
        assert!(idle_in(2026, today, day("2024-03-01"), None, &[day("2025-06-01")]));
        assert!(!idle_in(2026, today, day("2024-03-01"), None, &[day("2026-06-01")]));
        assert!(
            !idle_in(2026, today, day("2024-03-01"), Some(day("2025-12-31")), &[]),
            "ended before"
        );
        assert!(!idle_in(2026, today, day("2026-12-01"), None, &[]), "not yet set up");
        let a = PairActivityFields::parse(Some(day("2026-05-04")), "共建主题党日", "", "30人").expect("activity");
        assert_eq!(a.people, Some(30));
        assert!(PairActivityFields::parse(None, "", "", "").is_err());
    }
}
