//! Attendance of an online lecture from the streaming platform's viewer log (观看记录):
//! a row per join (who, when they joined, when they left; people drop out and come
//! back), matched to the lecture's registrations.
//!
//! A row is matched by its phone when it has one (in full, or masked as platforms show
//! it, `138****8000`, when exactly one registration fits), else by the name when exactly
//! one registration bears it. A name two registrations share is left to the office, and
//! so is a row that matches nobody: both are reported with their line, never guessed.
//! A person's time is the union of their spans, clipped to the lecture's own time, so a
//! second tab or a rejoin counts once. They attended when that time reaches
//! `min_minutes`.

use chrono::NaiveDateTime;
use std::collections::HashMap;

/// One row of a viewer log, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewerRow {
    /// The sheet line, for the report.
    pub line: usize,
    pub who: String,
    /// Digits and `*` as the log shows them; none when the log has no phones.
    pub phone: Option<String>,
    pub joined: NaiveDateTime,
    pub left: NaiveDateTime,
}

/// A registration as the matcher sees it.
#[derive(Debug, Clone)]
pub struct Registered {
    pub id: i64,
    pub name: String,
    /// Digits in full (a resident's), or none (an account's).
    pub phone: Option<String>,
}

/// What the log says of each registration, and what it could not place.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewerMatch {
    /// (registration, minutes watched within the lecture) for every registration seen.
    pub watched: Vec<(i64, i64)>,
    /// Lines whose name or phone matches no registration.
    pub unmatched: Vec<(usize, String)>,
    /// Lines whose name (or masked phone) fits several registrations.
    pub ambiguous: Vec<(usize, String)>,
}

/// The form names are compared in: no spaces, half width, lower case.
fn name_key(s: &str) -> String {
    crate::text::to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether a phone as a log shows it (`138****8000`, or in full) fits `full`.
fn phone_fits(shown: &str, full: &str) -> bool {
    let shown: Vec<char> = shown.chars().filter(|c| c.is_ascii_digit() || *c == '*').collect();
    let full: Vec<char> = full.chars().filter(char::is_ascii_digit).collect();
    shown.len() == full.len() && shown.iter().zip(&full).all(|(s, f)| *s == '*' || s == f)
}

/// Matches `rows` to `registrations` for a lecture held `from`..`to` (see the module).
pub fn match_viewers(
    rows: &[ViewerRow],
    registrations: &[Registered],
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> ViewerMatch {
    let mut by_name: HashMap<String, Vec<i64>> = HashMap::new();
    for r in registrations {
        by_name.entry(name_key(&r.name)).or_default().push(r.id);
    }
    let mut spans: HashMap<i64, Vec<(NaiveDateTime, NaiveDateTime)>> = HashMap::new();
    let mut out = ViewerMatch::default();
    for row in rows {
        let by_phone: Vec<i64> = match row.phone.as_deref().filter(|p| p.chars().any(|c| c.is_ascii_digit())) {
            Some(p) => registrations
                .iter()
                .filter(|r| r.phone.as_deref().is_some_and(|full| phone_fits(p, full)))
                .map(|r| r.id)
                .collect(),
            None => vec![],
        };
        let candidates = if by_phone.is_empty() {
            by_name.get(&name_key(&row.who)).cloned().unwrap_or_default()
        } else {
            by_phone
        };
        match candidates.as_slice() {
            [id] => {
                let (a, b) = (row.joined.max(from), row.left.min(to));
                if a < b {
                    spans.entry(*id).or_default().push((a, b));
                } else {
                    spans.entry(*id).or_default();
                }
            }
            [] => out.unmatched.push((row.line, row.who.clone())),
            _ => out.ambiguous.push((row.line, row.who.clone())),
        }
    }
    let mut watched: Vec<(i64, i64)> = spans
        .into_iter()
        .map(|(id, mut s)| {
            s.sort();
            // The union of the spans: overlapping joins (two tabs, a rejoin) count once.
            let mut total = 0i64;
            let mut cur: Option<(NaiveDateTime, NaiveDateTime)> = None;
            for (a, b) in s {
                cur = match cur {
                    Some((ca, cb)) if a <= cb => Some((ca, cb.max(b))),
                    Some((ca, cb)) => {
                        total += (cb - ca).num_seconds();
                        Some((a, b))
                    }
                    None => Some((a, b)),
                };
            }
            if let Some((ca, cb)) = cur {
                total += (cb - ca).num_seconds();
            }
            (id, total / 60)
        })
        .collect();
    watched.sort();
    out.watched = watched;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    fn row(line: usize, who: &str, phone: Option<&str>, a: &str, b: &str) -> ViewerRow {
        ViewerRow {
            line,
            who: who.into(),
            phone: phone.map(Into::into),
            joined: t(a),
            left: t(b),
        }
    }

    fn regs() -> Vec<Registered> {
        vec![
            Registered {
                id: 1,
                name: "张 伟".into(),
                phone: Some("13800138000".into()),
            },
            Registered {
                id: 2,
                name: "李娜".into(),
                phone: None,
            },
            Registered {
                id: 3,
                name: "王芳".into(),
                phone: Some("13900001111".into()),
            },
            Registered {
                id: 4,
                name: "王芳".into(),
                phone: Some("13700002222".into()),
            },
        ]
    }

    #[test]
    fn rejoins_count_once_and_names_two_share_are_left_to_the_office() {
        let (from, to) = (t("2026-12-10 14:00"), t("2026-12-10 16:00"));
        let rows = vec![
            // 张伟 by a masked phone: two joins that overlap, one before the start.
            row(2, "weiwei", Some("138****8000"), "2026-12-10 13:50", "2026-12-10 14:40"),
            row(3, "weiwei", Some("138****8000"), "2026-12-10 14:30", "2026-12-10 15:00"),
            // 李娜 by name, twice apart.
            row(4, "李娜", None, "2026-12-10 14:00", "2026-12-10 14:10"),
            row(5, " 李娜 ", None, "2026-12-10 15:00", "2026-12-10 15:20"),
            // 王芳: two registrations bear the name; no phone to tell them apart.
            row(6, "王芳", None, "2026-12-10 14:00", "2026-12-10 16:00"),
            // 王芳 with her phone: placed.
            row(7, "王芳", Some("13700002222"), "2026-12-10 14:00", "2026-12-10 14:45"),
            row(8, "路人甲", None, "2026-12-10 14:00", "2026-12-10 16:00"),
        ];
        let m = match_viewers(&rows, &regs(), from, to);
        assert_eq!(m.watched, vec![(1, 60), (2, 30), (4, 45)]);
        assert_eq!(m.ambiguous, vec![(6, "王芳".to_string())]);
        assert_eq!(m.unmatched, vec![(8, "路人甲".to_string())]);
    }

    proptest! {
        /// Whatever the spans, a person's time is never more than the lecture's, and is
        /// exactly a recount minute by minute.
        #[test]
        fn time_watched_is_the_union_of_the_spans(spans in proptest::collection::vec((0i64..200, 0i64..200), 1..8)) {
            let from = t("2026-12-10 14:00");
            let to = from + chrono::Duration::minutes(120);
            let rows: Vec<ViewerRow> = spans.iter().enumerate().map(|(i, (a, b))| ViewerRow {
                line: i + 2,
                who: "李娜".into(),
                phone: None,
                joined: from + chrono::Duration::minutes((*a).min(*b) - 30),
                left: from + chrono::Duration::minutes((*a).max(*b) - 30),
            }).collect();
            let m = match_viewers(&rows, &regs(), from, to);
            let recount = (0..120).filter(|minute| {
                let at = from + chrono::Duration::minutes(*minute);
                rows.iter().any(|r| r.joined <= at && at < r.left)
            }).count() as i64;
            let got = m.watched.first().map_or(0, |w| w.1);
            prop_assert_eq!(got, recount);
        }
    }
}
