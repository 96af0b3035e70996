//! Room bookings (场地预约): a unit or an organisation books a centre's room (the red
//! reception room 红色会客厅, a meeting room, the reading corner) for a span of one day,
//! inside the centre's opening hours, off its blackout days (闭馆日), for no more people
//! than the room holds. No two bookings of one room overlap: the store checks that under
//! the room's lock in the booking's transaction.

use super::OpeningHours;
use crate::DomainError;
use crate::registry::{Errors, optional_text, parse_count, required_name};
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};

/// Longest booking: a working day.
pub const BOOKING_HOURS_MAX: i64 = 12;
/// Longest purpose text.
pub const PURPOSE_MAX: usize = 200;
/// How far ahead a room may be booked.
pub const BOOK_AHEAD_DAYS: i64 = 180;

/// A booking's checked fields. Times are China Standard Time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingFields {
    /// Who the room is for: the unit's or the organisation's name.
    pub booked_for: String,
    pub purpose: Option<String>,
    pub people: u32,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
}

/// Why a room cannot be booked then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingRefusal {
    /// Another booking of the room overlaps.
    RoomTaken,
    /// Outside the centre's opening hours (or the centre keeps none).
    OutsideHours,
    /// On a day the centre is closed (闭馆日).
    BlackoutDay,
}

impl BookingFields {
    /// Every fault at once: the end after the start on the same day, at most
    /// [`BOOKING_HOURS_MAX`] hours, not in the past nor more than [`BOOK_AHEAD_DAYS`]
    /// ahead of `now`, and at most `room_capacity` people.
    pub fn parse(
        booked_for: &str,
        purpose: &str,
        people: &str,
        starts_at: Option<NaiveDateTime>,
        ends_at: Option<NaiveDateTime>,
        room_capacity: u32,
        now: NaiveDateTime,
    ) -> Result<BookingFields, Vec<DomainError>> {
        let mut e = Errors::default();
        let booked_for = e.take(required_name("booked_for", booked_for));
        let purpose = e.take(optional_text("purpose", purpose, PURPOSE_MAX));
        let people = e.take(match parse_count("people", people) {
            Ok(None) => Err(DomainError::Required { field: "people" }),
            Ok(Some(0)) => Err(DomainError::OutOfRange { field: "people" }),
            Ok(Some(n)) if n > room_capacity => Err(DomainError::OutOfRange { field: "people" }),
            Ok(Some(n)) => Ok(n),
            Err(x) => Err(x),
        });
        let starts = e.take(starts_at.ok_or(DomainError::Required { field: "starts_at" }));
        let ends = e.take(ends_at.ok_or(DomainError::Required { field: "ends_at" }));
        if let (Some(s), Some(t)) = (starts, ends) {
            // One span within one day, of a working day at most.
            if t <= s {
                e.0.push(DomainError::OutOfOrder { field: "ends_at" });
            } else if t.date() != s.date() || (t - s).num_minutes() > BOOKING_HOURS_MAX * 60 {
                e.0.push(DomainError::OutOfRange { field: "ends_at" });
            }
            if s < now || s > now + chrono::Duration::days(BOOK_AHEAD_DAYS) {
                e.0.push(DomainError::OutOfRange { field: "starts_at" });
            }
        }
        if !e.0.is_empty() {
            return Err(e.0);
        }
        Ok(BookingFields {
            booked_for: booked_for.unwrap_or_default(),
            purpose: purpose.flatten(),
            people: people.unwrap_or(1),
            starts_at: starts.unwrap_or_default(),
            ends_at: ends.unwrap_or_default(),
        })
    }

    /// Whether the centre is open for the whole booking on its day: within one range
    /// of its hours, and not a blackout day.
    pub fn allowed(&self, hours: Option<&OpeningHours>, blackout: &[NaiveDate]) -> Result<(), BookingRefusal> {
        let day = self.starts_at.date();
        if blackout.contains(&day) {
            return Err(BookingRefusal::BlackoutDay);
        }
        let minutes = |t: NaiveDateTime| u16::try_from(t.time().num_seconds_from_midnight() / 60).unwrap_or(u16::MAX);
        match hours {
            Some(h) if h.covers(day.weekday(), minutes(self.starts_at), minutes(self.ends_at)) => Ok(()),
            _ => Err(BookingRefusal::OutsideHours),
        }
    }
}

/// Whether two spans overlap (touching ends do not: 9–10 and 10–11 both stand).
pub fn overlaps(a: (NaiveDateTime, NaiveDateTime), b: (NaiveDateTime, NaiveDateTime)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    fn now() -> NaiveDateTime {
        t("2026-12-01 08:00")
    }

    #[test]
    fn a_booking_is_one_day_within_hours_for_the_room() {
        let ok = BookingFields::parse(
            "某公司党支部",
            "支部党员大会",
            "12",
            Some(t("2026-12-02 14:00")),
            Some(t("2026-12-02 16:00")),
            30,
            now(),
        )
        .expect("ok");
        assert_eq!(ok.people, 12);
        let hours = OpeningHours::parse("周一至周五 9:00-17:00；周六 9:00-12:00")
            .expect("h")
            .expect("h");
        assert_eq!(ok.allowed(Some(&hours), &[]), Ok(()));
        // 2026-12-05 is a Saturday: open until noon only.
        let late = BookingFields::parse(
            "某支部",
            "",
            "5",
            Some(t("2026-12-05 11:00")),
            Some(t("2026-12-05 13:00")),
            30,
            now(),
        )
        .expect("fields");
        assert_eq!(late.allowed(Some(&hours), &[]), Err(BookingRefusal::OutsideHours));
        assert_eq!(
            ok.allowed(None, &[]),
            Err(BookingRefusal::OutsideHours),
            "no hours kept: no booking"
        );
        let day = NaiveDate::from_ymd_opt(2026, 12, 2).expect("d");
        assert_eq!(ok.allowed(Some(&hours), &[day]), Err(BookingRefusal::BlackoutDay));
    }

    #[test]
    fn every_fault_is_said_at_once() {
        let e = BookingFields::parse(
            "",
            "",
            "31",
            Some(t("2026-11-30 10:00")),
            Some(t("2026-11-30 09:00")),
            30,
            now(),
        )
        .expect_err("faults");
        let fields: Vec<&str> = e.iter().map(|x| x.field()).collect();
        for f in ["booked_for", "people", "ends_at", "starts_at"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
        // Two days, or thirteen hours: refused.
        assert!(
            BookingFields::parse(
                "x",
                "",
                "1",
                Some(t("2026-12-02 09:00")),
                Some(t("2026-12-03 10:00")),
                30,
                now()
            )
            .is_err()
        );
        assert!(
            BookingFields::parse(
                "x",
                "",
                "1",
                Some(t("2026-12-02 08:00")),
                Some(t("2026-12-02 21:00")),
                30,
                now()
            )
            .is_err()
        );
    }

    #[test]
    fn touching_spans_do_not_overlap() {
        let a = (t("2026-12-02 09:00"), t("2026-12-02 10:00"));
        assert!(!overlaps(a, (t("2026-12-02 10:00"), t("2026-12-02 11:00"))));
        assert!(overlaps(a, (t("2026-12-02 09:59"), t("2026-12-02 11:00"))));
        assert!(overlaps(a, (t("2026-12-02 08:00"), t("2026-12-02 12:00"))));
    }
}
