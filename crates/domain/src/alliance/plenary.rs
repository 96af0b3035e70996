//! Plenary meetings of a joint conference (第N次全体会议): numbered in order, held on a
//! date at a place, chaired by the rotating convener of the day; what they resolve,
//! exchange, award and sign.

use super::TEXT_MAX;
use crate::DomainError;
use crate::registry::{ADDRESS_MAX, Errors, Labelled, optional_text};
use chrono::NaiveDate;

/// The validated fields of a plenary meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlenaryFields {
    pub held_on: NaiveDate,
    pub place: Option<String>,
    pub agenda: Option<String>,
}

impl PlenaryFields {
    pub fn parse(held_on: Option<NaiveDate>, place: &str, agenda: &str) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let held_on = e.take(held_on.ok_or(DomainError::Required { field: "held_on" }));
        let place = e.take(optional_text("place", place, ADDRESS_MAX));
        let agenda = e.take(optional_text("agenda", agenda, TEXT_MAX));
        match (held_on, place, agenda) {
            (Some(held_on), Some(place), Some(agenda)) if e.0.is_empty() => {
                Ok(PlenaryFields { held_on, place, agenda })
            }
            _ => Err(e.0),
        }
    }
}

/// Plenaries are numbered in the order they are held: the N-th is held after every
/// earlier-numbered one and before every later-numbered one (two on one day are allowed:
/// a morning and an afternoon session). `others` are the conference's other plenaries as
/// (number, date).
pub fn check_plenary_order(number: u32, held_on: NaiveDate, others: &[(u32, NaiveDate)]) -> Result<(), DomainError> {
    if number == 0 {
        return Err(DomainError::OutOfRange { field: "number" });
    }
    let wrong = others
        .iter()
        .any(|&(n, d)| (n < number && d > held_on) || (n > number && d < held_on));
    if wrong {
        return Err(DomainError::OutOfOrder { field: "held_on" });
    }
    Ok(())
}

/// What a plenary records beside attendance and admissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlenaryItemKind {
    /// 决议
    Resolution,
    /// 现场交流
    OnsiteExchange,
    /// 书面交流
    WrittenExchange,
    /// 表彰、授奖
    Award,
    /// 签约
    Signing,
}

impl Labelled for PlenaryItemKind {
    const ALL: &'static [Self] = &[
        Self::Resolution,
        Self::OnsiteExchange,
        Self::WrittenExchange,
        Self::Award,
        Self::Signing,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Resolution => "resolution",
            Self::OnsiteExchange => "onsite_exchange",
            Self::WrittenExchange => "written_exchange",
            Self::Award => "award",
            Self::Signing => "signing",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Resolution => "决议",
            Self::OnsiteExchange => "现场交流",
            Self::WrittenExchange => "书面交流",
            Self::Award => "表彰",
            Self::Signing => "签约",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Resolution => &["决定", "审议通过"],
            Self::OnsiteExchange => &["交流发言", "大会交流"],
            Self::WrittenExchange => &["书面材料"],
            Self::Award => &["授奖", "颁奖", "授牌"],
            Self::Signing => &["签约仪式", "项目签约"],
        }
    }
}

/// An item's text: required, at most [`TEXT_MAX`] characters.
pub fn item_text(raw: &str) -> Result<String, DomainError> {
    optional_text("text", raw, TEXT_MAX)?.ok_or(DomainError::Required { field: "text" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn plenaries_follow_their_dates() {
        let held = [(1, day("2015-03-01")), (2, day("2016-03-01")), (3, day("2017-03-01"))];
        assert!(check_plenary_order(4, day("2018-03-01"), &held).is_ok());
        assert!(
            check_plenary_order(4, day("2017-03-01"), &held).is_ok(),
            "same day as the 3rd"
        );
        assert_eq!(
            check_plenary_order(4, day("2016-12-31"), &held),
            Err(DomainError::OutOfOrder { field: "held_on" })
        );
        // A forgotten one recorded late, between the 2nd and the 3rd.
        let gap = [(1, day("2015-03-01")), (3, day("2017-03-01"))];
        assert!(check_plenary_order(2, day("2016-03-01"), &gap).is_ok());
        assert!(check_plenary_order(2, day("2017-03-02"), &gap).is_err());
        assert!(check_plenary_order(0, day("2017-03-02"), &gap).is_err());
        assert!(PlenaryFields::parse(None, "", "").is_err());
        assert_eq!(item_text("  "), Err(DomainError::Required { field: "text" }));
        assert_eq!(PlenaryItemKind::parse_any("签约仪式"), Some(PlenaryItemKind::Signing));
    }

    proptest! {
        /// Any plenaries accepted one by one stay in date order by number.
        #[test]
        fn accepted_plenaries_are_in_order(tries in proptest::collection::vec((1u32..12, 0i64..4_000), 1..30)) {
            let mut held: Vec<(u32, NaiveDate)> = vec![];
            for (n, d) in tries {
                let date = day("2014-01-01") + chrono::Duration::days(d);
                if held.iter().any(|(m, _)| *m == n) {
                    continue;
                }
                if check_plenary_order(n, date, &held).is_ok() {
                    held.push((n, date));
                }
            }
            held.sort();
            prop_assert!(held.windows(2).all(|w| w[0].1 <= w[1].1));
        }
    }
}
