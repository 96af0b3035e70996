//! Opening hours (开放时间) of a service centre or a room, as offices write them:
//! `周一至周五 9:00-17:00；周六 9:00-12:00`, `工作日 8:30-11:30、13:30-17:00`,
//! `每天 9:00-21:00；周一闭馆`, `Mon-Fri 09:00-17:00; Sat 09:00-12:00`.
//!
//! A text is rules separated by `;`, `；` or line breaks. A rule names days (one day,
//! a span `周一至周五` / `Mon-Fri`, a list `周二、周四`, or `每天`, `工作日`, `周末`,
//! `daily`, `weekdays`, `weekends`) and then its time ranges (`9:00-17:00`, `9：00~17：00`,
//! several separated by `,` `，` `、` or spaces), or a word that closes those days
//! (`闭馆`, `休息`, `休馆`, `closed`). Later rules win over earlier ones for the days
//! they name, so `每天 9:00-21:00；周一闭馆` opens six days. Bookings and activities
//! are checked against the result (issue: rooms respect opening hours).

use crate::DomainError;
use chrono::Weekday;

/// Longest hours text accepted: room for the longest the platform itself writes (seven
/// different days of [`RANGES_PER_DAY_MAX`] ranges, 356 characters in Chinese, 390 in
/// English), so a centre's hours as shown can always be saved again.
pub const HOURS_MAX: usize = 480;
/// Most separate time ranges in one day.
pub const RANGES_PER_DAY_MAX: usize = 4;

/// A time range within one day, in minutes from midnight; `close` may be 24:00.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Range {
    pub open: u16,
    pub close: u16,
}

/// The weekly opening hours: for each day from Monday, its ranges in order, not
/// overlapping. A day without ranges is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct OpeningHours {
    days: [Vec<Range>; 7],
}

const DAYS_ZH: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
const DAYS_EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn err() -> DomainError {
    DomainError::UnknownValue { field: "hours" }
}

impl OpeningHours {
    /// Reads hours as offices write them (see the module's text). Empty text is no
    /// hours at all (`Ok(None)`); an unreadable text is a field error on `hours`.
    pub fn parse(raw: &str) -> Result<Option<OpeningHours>, DomainError> {
        if raw.chars().count() > HOURS_MAX {
            return Err(DomainError::TooLong {
                field: "hours",
                max: HOURS_MAX,
            });
        }
        let text = crate::text::to_half_width(raw);
        let mut hours = OpeningHours::default();
        let mut any = false;
        for rule in text.split(['\n', ';', '；', '。']) {
            let rule = rule.trim();
            if rule.is_empty() {
                continue;
            }
            any = true;
            let (days, rest) = parse_days(rule)?;
            let rest = rest.trim_start_matches([':', ' ', ',', '，']).trim();
            let lowered = rest.to_lowercase();
            if ["闭馆", "休息", "休馆", "不开放", "closed", "close"].contains(&lowered.as_str()) {
                for d in days {
                    hours.days[d].clear();
                }
                continue;
            }
            let ranges = parse_ranges(rest)?;
            for d in days {
                hours.days[d] = ranges.clone();
            }
        }
        Ok(any.then_some(hours))
    }

    /// The ranges of one day, in order (none: closed).
    pub fn on(&self, day: Weekday) -> &[Range] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Open on `day` for the whole of `from..to` (minutes from midnight)?
    pub fn covers(&self, day: Weekday, from: u16, to: u16) -> bool {
        self.on(day).iter().any(|r| r.open <= from && to <= r.close)
    }

    /// Open on `day` at minute `at`?
    pub fn is_open_at(&self, day: Weekday, at: u16) -> bool {
        self.on(day).iter().any(|r| r.open <= at && at < r.close)
    }

    /// The hours in their canonical Chinese form (`周一至周五 09:00-17:00；周六 09:00-12:00`),
    /// which [`Self::parse`] reads back to the same hours. Closed days are left out.
    pub fn to_zh(&self) -> String {
        self.render(&DAYS_ZH, "至", "；", "、")
    }

    /// The hours in English (`Mon-Fri 09:00-17:00; Sat 09:00-12:00`).
    pub fn to_en(&self) -> String {
        self.render(&DAYS_EN, "-", "; ", ", ")
    }

    fn render(&self, names: &[&str; 7], to: &str, rules: &str, ranges: &str) -> String {
        let mut out: Vec<String> = Vec::new();
        let mut d = 0;
        while d < 7 {
            if self.days[d].is_empty() {
                d += 1;
                continue;
            }
            let mut end = d;
            while end + 1 < 7 && self.days[end + 1] == self.days[d] {
                end += 1;
            }
            let span = match end - d {
                0 => names[d].to_string(),
                1 => format!("{}{ranges}{}", names[d], names[end]),
                _ => format!("{}{to}{}", names[d], names[end]),
            };
            let times: Vec<String> = self.days[d]
                .iter()
                .map(|r| format!("{}-{}", clock(r.open), clock(r.close)))
                .collect();
            out.push(format!("{span} {}", times.join(ranges)));
            d = end + 1;
        }
        out.join(rules)
    }
}

fn clock(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// The day a word names, Monday = 0.
fn day_of(word: &str) -> Option<usize> {
    let w = word.trim().to_lowercase();
    let zh = ["一", "二", "三", "四", "五", "六", "日"];
    for prefix in ["周", "星期", "礼拜"] {
        if let Some(rest) = w.strip_prefix(prefix) {
            if rest == "天" {
                return Some(6);
            }
            return zh.iter().position(|c| *c == rest);
        }
    }
    let en = [
        ["mon", "monday"],
        ["tue", "tuesday"],
        ["wed", "wednesday"],
        ["thu", "thursday"],
        ["fri", "friday"],
        ["sat", "saturday"],
        ["sun", "sunday"],
    ];
    en.iter()
        .position(|names| names.contains(&w.as_str()) || (w.len() >= 3 && names[1].starts_with(&w)))
}

/// The days a rule names and the rest of the rule (its times). A rule that names no
/// days applies to every day (`9:00-17:00`).
fn parse_days(rule: &str) -> Result<(Vec<usize>, &str), DomainError> {
    let split = rule
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || "闭休不".contains(*c))
        .map(|(i, _)| i)
        .unwrap_or(rule.len());
    // "closed" after English days: the day words end where a word starts that is none.
    let (head, rest) = rule.split_at(split);
    // (`closed` is ASCII, so where its bytes start is a character boundary.)
    let closed = head
        .as_bytes()
        .windows(6)
        .position(|w| w.eq_ignore_ascii_case(b"closed"));
    let (head, rest) = match closed {
        Some(i) => (&rule[..i], &rule[i..]),
        None => (head, rest),
    };
    let head = head.trim().trim_end_matches([':', ',', '，']).trim();
    if head.is_empty() {
        return Ok(((0..7).collect(), rest));
    }
    let lowered = head.to_lowercase();
    let whole: Option<Vec<usize>> = match lowered.as_str() {
        "每天" | "每日" | "全周" | "周一至周日" | "daily" | "every day" | "mon-sun" => {
            Some((0..7).collect())
        }
        "工作日" | "weekdays" => Some((0..5).collect()),
        "周末" | "双休日" | "weekends" | "weekend" => Some(vec![5, 6]),
        _ => None,
    };
    if let Some(days) = whole {
        return Ok((days, rest));
    }
    let mut days = Vec::new();
    for part in head.split(['、', ',', '，', '/', ' ']).filter(|p| !p.trim().is_empty()) {
        let span = part
            .split_once('至')
            .or_else(|| part.split_once('到'))
            .or_else(|| part.split_once('-'))
            .or_else(|| part.split_once('~'))
            .or_else(|| part.split_once('–'));
        match span {
            Some((a, b)) => {
                let (a, b) = (day_of(a).ok_or_else(err)?, day_of(b).ok_or_else(err)?);
                // A span may wrap the week's end (周六至周一).
                let mut d = a;
                loop {
                    days.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => days.push(day_of(part).ok_or_else(err)?),
        }
    }
    days.sort_unstable();
    days.dedup();
    Ok((days, rest))
}

/// `9:00-17:00, 13:30-17:00` → ranges in order, not overlapping.
fn parse_ranges(text: &str) -> Result<Vec<Range>, DomainError> {
    let mut ranges = Vec::new();
    for part in text.split([',', '，', '、', ' ']).filter(|p| !p.trim().is_empty()) {
        let (a, b) = part
            .split_once('-')
            .or_else(|| part.split_once('~'))
            .or_else(|| part.split_once('至'))
            .or_else(|| part.split_once('到'))
            .or_else(|| part.split_once('—'))
            .or_else(|| part.split_once('–'))
            .ok_or_else(err)?;
        let (open, close) = (minute_of(a)?, minute_of(b)?);
        if open >= close {
            return Err(DomainError::OutOfRange { field: "hours" });
        }
        ranges.push(Range { open, close });
    }
    if ranges.is_empty() {
        return Err(err());
    }
    if ranges.len() > RANGES_PER_DAY_MAX {
        return Err(DomainError::OutOfRange { field: "hours" });
    }
    ranges.sort();
    if ranges.windows(2).any(|w| w[0].close > w[1].open) {
        return Err(DomainError::OutOfRange { field: "hours" });
    }
    Ok(ranges)
}

/// `9:00`, `09:30`, `9点`, `9点半`, `21` → minutes from midnight (24:00 allowed).
fn minute_of(t: &str) -> Result<u16, DomainError> {
    let t = t.trim();
    let (h, m) = if let Some((h, m)) = t.split_once(':') {
        (h, m)
    } else if let Some(h) = t.strip_suffix("点半") {
        (h, "30")
    } else if let Some(h) = t.strip_suffix('点') {
        (h, "0")
    } else {
        (t, "0")
    };
    let (h, m): (u16, u16) = (
        h.trim().parse().map_err(|_| err())?,
        m.trim().parse().map_err(|_| err())?,
    );
    if m >= 60 || h > 24 || (h == 24 && m > 0) {
        return Err(DomainError::OutOfRange { field: "hours" });
    }
    Ok(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hours(s: &str) -> OpeningHours {
        OpeningHours::parse(s).expect("reads").expect("some hours")
    }

    #[test]
    fn reads_hours_as_offices_write_them() {
        let h = hours("周一至周五 9:00-17:00；周六 9:00-12:00");
        assert_eq!(h.to_zh(), "周一至周五 09:00-17:00；周六 09:00-12:00");
        assert_eq!(h.to_en(), "Mon-Fri 09:00-17:00; Sat 09:00-12:00");
        assert!(h.on(Weekday::Sun).is_empty());
        assert!(h.covers(Weekday::Sat, 9 * 60, 12 * 60));
        assert!(!h.covers(Weekday::Sat, 11 * 60, 13 * 60));

        let h = hours("每天 9：00—21：00；周一闭馆");
        assert!(h.on(Weekday::Mon).is_empty());
        assert_eq!(h.to_zh(), "周二至周日 09:00-21:00");

        let h = hours("工作日 8:30-11:30、13:30-17:00\n周末 9点-12点半");
        assert!(h.is_open_at(Weekday::Wed, 8 * 60 + 30));
        assert!(!h.is_open_at(Weekday::Wed, 12 * 60));
        assert!(h.is_open_at(Weekday::Sun, 12 * 60 + 29));
        assert_eq!(h.to_zh(), "周一至周五 08:30-11:30、13:30-17:00；周六、周日 09:00-12:30");

        let h = hours("Mon-Fri 09:00-17:00; Sat closed; Sun 10:00-16:00");
        assert!(h.on(Weekday::Sat).is_empty());
        assert_eq!(h.to_en(), "Mon-Fri 09:00-17:00; Sun 10:00-16:00");
        assert_eq!(
            hours("星期二、星期四 14:00-16:00").to_zh(),
            "周二 14:00-16:00；周四 14:00-16:00"
        );
        assert_eq!(hours("9:00-24:00").to_zh(), "周一至周日 09:00-24:00");
        assert_eq!(OpeningHours::parse("  ").expect("empty is none"), None);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in [
            "周八 9:00-17:00",
            "周一至周五 17:00-9:00",
            "周一 9:00-12:00、11:00-13:00",
            "周一 25:00-26:00",
            "周一 9:61-10:00",
            "周一 九点到五点",
            "whenever",
        ] {
            assert!(OpeningHours::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            OpeningHours::parse(&"周一 9:00-10:00；".repeat(40)),
            Err(DomainError::TooLong { .. })
        ));
    }

    /// The longest hours the platform can hold — every day different, each with the most
    /// ranges a day takes — are written within what the reader accepts, in both
    /// languages, and read back the same: what the platform shows can be saved again.
    #[test]
    fn the_longest_hours_written_are_read_back() {
        let mut h = OpeningHours::default();
        for (d, day) in h.days.iter_mut().enumerate() {
            let d = d as u16;
            *day = (0..RANGES_PER_DAY_MAX as u16)
                .map(|r| Range {
                    open: 10 * 60 + r * 180 + d,
                    close: 11 * 60 + 59 + r * 180,
                })
                .collect();
        }
        for written in [h.to_zh(), h.to_en()] {
            assert!(
                written.chars().count() <= HOURS_MAX,
                "{} chars: {written}",
                written.chars().count()
            );
            assert_eq!(hours(&written), h, "{written}");
        }
    }

    fn any_hours() -> impl Strategy<Value = OpeningHours> {
        let day = proptest::collection::vec((0u16..24 * 4, 1u16..24 * 4), 0..=2).prop_map(|cuts| {
            // Ranges in quarter hours, made disjoint by laying them end to end.
            let mut at = 0u16;
            let mut out = Vec::new();
            for (gap, len) in cuts {
                let open = at + gap % 16;
                let close = open + 1 + len % 24;
                if close > 96 {
                    break;
                }
                out.push(Range {
                    open: open * 15,
                    close: close * 15,
                });
                at = close + 1;
            }
            out
        });
        proptest::array::uniform7(day).prop_map(|days| OpeningHours { days })
    }

    proptest! {
        /// What the platform writes it reads back the same, in either language.
        #[test]
        fn hours_read_back_as_written(h in any_hours()) {
            prop_assume!(h.days.iter().any(|d| !d.is_empty()));
            prop_assert_eq!(&hours(&h.to_zh()), &h);
            prop_assert_eq!(&hours(&h.to_en()), &h);
        }

        /// Any text is read or refused, never a panic.
        #[test]
        fn any_text_is_read_or_refused(s in "\\PC{0,60}") {
            let _ = OpeningHours::parse(&s);
        }
    }
}
