//! Cell and header normalisation: the rules for reading what people type in Excel.

use chrono::{Datelike, NaiveDate};
use std::sync::OnceLock;
use tongxin_domain::text::to_half_width;

fn opencc() -> Option<&'static ferrous_opencc::OpenCC> {
    static CC: OnceLock<Option<ferrous_opencc::OpenCC>> = OnceLock::new();
    CC.get_or_init(|| ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::Tw2sp).ok())
        .as_ref()
}

/// Traditional to Simplified (Taiwan phrases too), for headers and kind words.
pub fn to_simplified(s: &str) -> String {
    match opencc() {
        Some(cc) if !s.is_ascii() => cc.convert(s),
        _ => s.to_string(),
    }
}

/// The key a header is compared by: half width, Simplified, lower case, without white
/// space, asterisks (required marks) and bracketed remarks such as `（必填）`.
pub fn header_key(raw: &str) -> String {
    let s = to_simplified(&to_half_width(raw));
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '(' | '[' | '【' => depth += 1,
            ')' | ']' | '】' => depth = (depth - 1).max(0),
            _ if depth > 0 => {}
            '*' | ':' | '：' => {}
            c if c.is_whitespace() => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// A cell value that is not a date (or yes/no) in any spelling we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("value not recognised")]
pub struct Unrecognised;

/// Parses a date as offices write it: `2019-03-12`, `2019/3/12`, `2019.03.12`,
/// `2019年3月12日`, `2019年3月` (the first of the month), `20190312`, or an Excel serial
/// number (days since 1899-12-30). Blank is `Ok(None)`.
pub fn parse_date(raw: &str) -> Result<Option<NaiveDate>, Unrecognised> {
    let s = to_half_width(raw).trim().to_string();
    // A date with a time of day (`2020-07-01 00:00:00`): the date.
    let s = match s.split_once(' ') {
        Some((d, t)) if t.trim().contains(':') => d.to_string(),
        _ => s,
    };
    if s.is_empty() {
        return Ok(None);
    }
    // Excel serial number: plausible range 1900-01-01 .. 2199-12-31.
    if let Ok(n) = s.parse::<f64>()
        && (1.0..110_000.0).contains(&n)
        && (s.len() != 8 || s.contains('.'))
    {
        let base = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or(Unrecognised)?;
        return base
            .checked_add_days(chrono::Days::new(n.trunc() as u64))
            .map(Some)
            .ok_or(Unrecognised);
    }
    let s = s.trim_end_matches('日').trim_end_matches('号');
    let parts: Vec<&str> = s.split(['-', '/', '.', '年', '月']).filter(|p| !p.is_empty()).collect();
    let nums: Vec<u32> = parts
        .iter()
        .map(|p| p.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| Unrecognised)?;
    let date = match nums.as_slice() {
        [ymd] if s.len() == 8 => NaiveDate::from_ymd_opt((ymd / 10000) as i32, ymd / 100 % 100, ymd % 100),
        [y, m] => NaiveDate::from_ymd_opt(*y as i32, *m, 1),
        [y, m, d] => NaiveDate::from_ymd_opt(*y as i32, *m, *d),
        _ => None,
    }
    .ok_or(Unrecognised)?;
    if !(1900..=2199).contains(&date.year()) {
        return Err(Unrecognised);
    }
    Ok(Some(date))
}

/// 是/否 and friends. Blank is `Ok(None)`.
pub fn parse_bool(raw: &str) -> Result<Option<bool>, Unrecognised> {
    let s = to_simplified(&to_half_width(raw)).trim().to_lowercase();
    match s.as_str() {
        "" => Ok(None),
        "是" | "y" | "yes" | "true" | "1" | "√" | "✓" | "重点" | "有" => Ok(Some(true)),
        "否" | "n" | "no" | "false" | "0" | "×" | "非重点" | "无" | "不是" => Ok(Some(false)),
        _ => Err(Unrecognised),
    }
}

/// Splits a cell holding several values: `、`, `，`, `,`, `；`, `;` or line breaks.
pub fn split_multi(raw: &str) -> Vec<String> {
    raw.split(['、', '，', ',', '；', ';', '\n', '\r'])
        .map(tongxin_domain::text::trim_spaces)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, day)
    }

    #[test]
    fn dates_in_every_office_spelling() {
        for s in [
            "2019-03-12",
            "2019/3/12",
            "2019.03.12",
            "2019年3月12日",
            "20190312",
            "２０１９－０３－１２",
            "43536",
        ] {
            assert_eq!(parse_date(s), Ok(d(2019, 3, 12)), "{s}");
        }
        assert_eq!(parse_date("2019年3月"), Ok(d(2019, 3, 1)));
        assert_eq!(parse_date(" "), Ok(None));
        assert!(parse_date("2019-02-30").is_err());
        assert!(parse_date("三月").is_err());
    }

    #[test]
    fn bools_and_lists() {
        assert_eq!(parse_bool("是"), Ok(Some(true)));
        assert_eq!(parse_bool("否"), Ok(Some(false)));
        assert!(parse_bool("也许").is_err());
        assert_eq!(
            split_multi("甲公司、乙公司，丙公司\n丁公司;戊"),
            vec!["甲公司", "乙公司", "丙公司", "丁公司", "戊"]
        );
    }

    proptest! {
        #[test]
        fn any_date_round_trips_through_each_spelling(days in 0u64..100_000) {
            let date = NaiveDate::from_ymd_opt(1900, 3, 1).expect("date").checked_add_days(chrono::Days::new(days)).expect("in range");
            prop_assume!(date.year() <= 2199);
            for s in [date.format("%Y-%m-%d").to_string(), date.format("%Y/%-m/%-d").to_string(), date.format("%Y年%-m月%-d日").to_string(), date.format("%Y.%m.%d").to_string()] {
                prop_assert_eq!(parse_date(&s), Ok(Some(date)));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = parse_date(&s);
            let _ = parse_bool(&s);
            let _ = header_key(&s);
        }
    }
}
