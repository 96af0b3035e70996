//! Activities (活动) at party-mass service centres, brief §1.2 and §5: lectures, party
//! lessons, visits, volunteer services, fairs and themed party days, with a capacity, a
//! registration window, a limit per person and a deadline to cancel. Places go first
//! come, first served (先到先得), or by a ballot (抽签) drawn at the window's close from a
//! seed published beforehand, so that anyone can draw it again ([`ballot_order`]).

mod ballot;
mod ticket;
mod viewers;

pub use ballot::{ballot_key, ballot_order};
pub use ticket::{TICKET_TEXT_MAX, Ticket, TicketError, TicketKey, public_key, public_key_text, signing_key};
pub use viewers::{Registered, ViewerMatch, ViewerRow, match_viewers};

use crate::DomainError;
use crate::registry::{Errors, Labelled, optional_text, required_name};
use chrono::NaiveDateTime;

/// Longest description or place text.
pub const TEXT_MAX: usize = 2000;
/// Most places one activity offers (a lecture series online had 8,000 registrations).
pub const CAPACITY_MAX: u32 = 100_000;
/// Most places one person may take in one activity (a member bringing family).
pub const PER_PERSON_MAX: u32 = 10;
/// Longest time to confirm a place offered from the waitlist: a week.
pub const CONFIRM_HOURS_MAX: u32 = 168;

/// Kind of activity (活动类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActivityKind {
    /// 讲座: a lecture, in the room or online.
    Lecture,
    /// 党课: a party lesson.
    PartyLesson,
    /// 参观: a visit (a memorial hall, a red site).
    Visit,
    /// 志愿服务: a volunteer service.
    Volunteer,
    /// 集市: a fair (a services fair, a jobs fair).
    Fair,
    /// 主题党日: a themed party day.
    ThemedPartyDay,
    /// 服务券: vouchers for a service given over a span (a hairdressers' council's free
    /// haircuts for elderly residents): claiming one takes a place as registering does
    /// (no more than there are, one per person), its code is signed as a ticket is, and
    /// it is redeemed once, by the scan that checks a ticket in.
    Voucher,
}

impl Labelled for ActivityKind {
    const ALL: &'static [Self] = &[
        Self::Lecture,
        Self::PartyLesson,
        Self::Visit,
        Self::Volunteer,
        Self::Fair,
        Self::ThemedPartyDay,
        Self::Voucher,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Lecture => "lecture",
            Self::PartyLesson => "party_lesson",
            Self::Visit => "visit",
            Self::Volunteer => "volunteer",
            Self::Fair => "fair",
            Self::ThemedPartyDay => "themed_party_day",
            Self::Voucher => "voucher",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Lecture => "讲座",
            Self::PartyLesson => "党课",
            Self::Visit => "参观",
            Self::Volunteer => "志愿服务",
            Self::Fair => "集市",
            Self::ThemedPartyDay => "主题党日",
            Self::Voucher => "服务券",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Lecture => &["讲堂", "报告会", "沙龙", "微讲堂", "直播课"],
            Self::PartyLesson => &["微党课", "专题党课", "党课学习"],
            Self::Visit => &["参观学习", "现场教学", "红色寻访", "寻访"],
            Self::Volunteer => &["志愿者服务", "志愿活动", "公益服务", "为民服务"],
            Self::Fair => &["市集", "便民集市", "服务集市", "招聘会", "义集"],
            Self::ThemedPartyDay => &["主题党日活动", "党日活动"],
            Self::Voucher => &["券", "服务卡", "优惠券", "公益券", "兑换券"],
        }
    }
}

/// How places are given (名额分配方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Allocation {
    /// 先到先得: in the order registrations reach the store, never more than the
    /// capacity.
    FirstCome,
    /// 抽签: everyone registers during the window; at its close a draw from the
    /// published seed gives the places.
    Ballot,
}

impl Labelled for Allocation {
    const ALL: &'static [Self] = &[Self::FirstCome, Self::Ballot];
    fn code(&self) -> &'static str {
        match self {
            Self::FirstCome => "first_come",
            Self::Ballot => "ballot",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::FirstCome => "先到先得",
            Self::Ballot => "抽签",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::FirstCome => &["先报先得", "按报名顺序", "秒杀"],
            Self::Ballot => &["摇号", "随机抽取", "抽选"],
        }
    }
}

/// Who may register (面向对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// 仅限党员: members with an account.
    Members,
    /// 面向公众: anyone, residents without an account by name and phone.
    Public,
}

impl Labelled for Audience {
    const ALL: &'static [Self] = &[Self::Members, Self::Public];
    fn code(&self) -> &'static str {
        match self {
            Self::Members => "members",
            Self::Public => "public",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Members => "仅限党员",
            Self::Public => "面向公众",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Members => &["党员", "党员群众", "限党员"],
            Self::Public => &["公众", "居民", "群众", "社会公众", "所有人"],
        }
    }
}

/// China Standard Time (UTC+8 all year, no daylight saving since 1991): activities' times
/// are written and compared in it.
pub fn china_time(utc: chrono::DateTime<chrono::Utc>) -> NaiveDateTime {
    utc.naive_utc() + chrono::Duration::hours(8)
}

/// A time as offices and forms write it: `2026-12-10 14:00`, `2026-12-10T14:00` (a
/// browser's datetime input), with seconds or not, `2026/12/10 14:00`, or
/// `2026年12月10日 14:00`. Blank is none.
pub fn parse_time(field: &'static str, raw: &str) -> Result<Option<NaiveDateTime>, DomainError> {
    let s = crate::text::code_form(raw);
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let s = s.replace(['年', '月', '/'], "-").replace(['日', 'T'], " ");
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .map(Some)
        .ok_or(DomainError::OutOfRange { field })
}

/// Why a registration, a cancellation or a draw is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Every place is given (名额已满).
    SoldOut,
    /// The person holds a registration for it already: one per person.
    AlreadyRegistered,
    /// Registration has not opened yet.
    NotYetOpen,
    /// Registration has closed.
    Closed,
    /// For party members with an account only.
    MembersOnly,
    /// Past the deadline to cancel.
    TooLateToCancel,
    /// A draw of an activity that is not a ballot, whose window is still open, or that
    /// has been drawn.
    BallotStage,
    /// A place offered from the waitlist was not confirmed in time, or none is offered.
    OfferExpired,
    /// A scanned or typed code that is not a ticket of this server (see [`Ticket`]).
    NotATicket,
    /// A ticket of another activity, scanned at this one's door.
    TicketElsewhere,
    /// A ticket whose registration holds no place now (cancelled, waiting, not drawn).
    NoPlace,
    /// A ticket scanned once already: a double scan counts once.
    CheckedInAlready,
}

/// Where registration stands at a moment (报名状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    NotYetOpen,
    Open,
    Closed,
}

/// An activity's checked fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFields {
    pub title: String,
    pub kind: ActivityKind,
    pub allocation: Allocation,
    pub audience: Audience,
    pub place: Option<String>,
    pub description: Option<String>,
    /// Held online (a lecture streamed): no room, attendance from the viewer log.
    pub online: bool,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub capacity: u32,
    pub opens_at: NaiveDateTime,
    pub closes_at: NaiveDateTime,
    pub per_person: u32,
    /// Last moment a registration may be cancelled (none: until the start).
    pub cancel_until: Option<NaiveDateTime>,
    /// Places on the waitlist once every place is given (0: none, "sold out").
    pub waitlist: u32,
    /// Hours a member offered a place from the waitlist has to confirm it.
    pub confirm_hours: u32,
}

/// An activity as typed: texts as entered, times already read from their inputs.
#[derive(Debug, Clone, Default)]
pub struct ActivityInput<'a> {
    pub title: &'a str,
    pub kind: &'a str,
    pub allocation: &'a str,
    pub audience: &'a str,
    pub place: &'a str,
    pub description: &'a str,
    pub online: bool,
    pub starts_at: Option<NaiveDateTime>,
    pub ends_at: Option<NaiveDateTime>,
    pub capacity: &'a str,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
    pub per_person: &'a str,
    pub cancel_until: Option<NaiveDateTime>,
    pub waitlist: &'a str,
    pub confirm_hours: &'a str,
}

/// A count between 1 and `max` (`30人`, `1,000` read as offices write them).
fn count_within(field: &'static str, raw: &str, max: u32, default: Option<u32>) -> Result<u32, DomainError> {
    match crate::registry::parse_count(field, raw)? {
        None => default.ok_or(DomainError::Required { field }),
        Some(0) => Err(DomainError::OutOfRange { field }),
        Some(n) if n > max => Err(DomainError::OutOfRange { field }),
        Some(n) => Ok(n),
    }
}

impl ActivityFields {
    /// Every fault at once. The activity ends after it starts; registration opens
    /// before it closes and closes no later than the start; cancelling ends no later
    /// than the start; one person takes at most [`PER_PERSON_MAX`] places and no more
    /// than the capacity.
    pub fn parse(i: &ActivityInput<'_>) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let title = e.take(required_name("title", i.title));
        let kind = e.take(ActivityKind::parse_required(Some(i.kind), "kind"));
        let allocation = e.take(
            Allocation::parse_any(i.allocation)
                .or(i.allocation.trim().is_empty().then_some(Allocation::FirstCome))
                .ok_or(DomainError::UnknownValue { field: "allocation" }),
        );
        let audience = e.take(Audience::parse_required(Some(i.audience), "audience"));
        let place = e.take(optional_text("place", i.place, TEXT_MAX));
        let description = e.take(optional_text("description", i.description, TEXT_MAX));
        let required = |v: Option<NaiveDateTime>, field| v.ok_or(DomainError::Required { field });
        let starts_at = e.take(required(i.starts_at, "starts_at"));
        let ends_at = e.take(required(i.ends_at, "ends_at"));
        let opens_at = e.take(required(i.opens_at, "opens_at"));
        let closes_at = e.take(required(i.closes_at, "closes_at"));
        let capacity = e.take(count_within("capacity", i.capacity, CAPACITY_MAX, None));
        let per_person = e.take(count_within("per_person", i.per_person, PER_PERSON_MAX, Some(1)));
        let waitlist = e.take(match crate::registry::parse_count("waitlist", i.waitlist) {
            Ok(Some(n)) if n > CAPACITY_MAX => Err(DomainError::OutOfRange { field: "waitlist" }),
            Ok(n) => Ok(n.unwrap_or(0)),
            Err(x) => Err(x),
        });
        let confirm_hours = e.take(count_within(
            "confirm_hours",
            i.confirm_hours.trim_end_matches(['小', '时', 'h', 'H']),
            CONFIRM_HOURS_MAX,
            Some(24),
        ));
        if let (Some(s), Some(x)) = (starts_at, ends_at)
            && x <= s
        {
            e.0.push(DomainError::OutOfOrder { field: "ends_at" });
        }
        if let (Some(o), Some(c)) = (opens_at, closes_at)
            && c <= o
        {
            e.0.push(DomainError::OutOfOrder { field: "closes_at" });
        }
        // Registration closes by the start; vouchers are claimed while they are valid,
        // so until their end.
        let last = if kind == Some(ActivityKind::Voucher) {
            ends_at
        } else {
            starts_at
        };
        if let (Some(c), Some(s)) = (closes_at, last)
            && c > s
        {
            e.0.push(DomainError::OutOfOrder { field: "closes_at" });
        }
        if let (Some(u), Some(s)) = (i.cancel_until, starts_at)
            && u > s
        {
            e.0.push(DomainError::OutOfOrder { field: "cancel_until" });
        }
        if let (Some(p), Some(c)) = (per_person, capacity)
            && p > c
        {
            e.0.push(DomainError::OutOfRange { field: "per_person" });
        }
        if !e.0.is_empty() {
            return Err(e.0);
        }
        let built = || {
            Some(ActivityFields {
                title: title?,
                kind: kind?,
                allocation: allocation?,
                audience: audience?,
                place: place?,
                description: description?,
                online: i.online,
                starts_at: starts_at?,
                ends_at: ends_at?,
                capacity: capacity?,
                opens_at: opens_at?,
                closes_at: closes_at?,
                per_person: per_person?,
                cancel_until: i.cancel_until,
                waitlist: waitlist?,
                confirm_hours: confirm_hours?,
            })
        };
        built().ok_or(e.0)
    }

    /// Where registration stands at `now`: open from `opens_at` up to, not including,
    /// `closes_at`.
    pub fn window_at(&self, now: NaiveDateTime) -> Window {
        window_at(self.opens_at, self.closes_at, now)
    }
}

/// Where a registration window from `opens_at` to `closes_at` stands at `now`.
pub fn window_at(opens_at: NaiveDateTime, closes_at: NaiveDateTime, now: NaiveDateTime) -> Window {
    if now < opens_at {
        Window::NotYetOpen
    } else if now < closes_at {
        Window::Open
    } else {
        Window::Closed
    }
}

/// Until when a place offered from the waitlist at `now` may be confirmed: `hours`
/// later, and never after the activity starts.
pub fn offer_expires(now: NaiveDateTime, hours: u32, starts_at: NaiveDateTime) -> NaiveDateTime {
    (now + chrono::Duration::hours(i64::from(hours))).min(starts_at)
}

/// Whether a registration may still be cancelled at `now`: until `cancel_until`, or
/// until the activity starts when no deadline is set.
pub fn may_cancel(cancel_until: Option<NaiveDateTime>, starts_at: NaiveDateTime, now: NaiveDateTime) -> bool {
    now < cancel_until.unwrap_or(starts_at).min(starts_at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("time")
    }

    fn input<'a>() -> ActivityInput<'a> {
        ActivityInput {
            title: "  “四史”学习教育专题讲座 ",
            kind: "微讲堂",
            allocation: "",
            audience: "公众",
            place: "上海中心22楼 陆家嘴金融城党群服务中心",
            capacity: "200人",
            starts_at: Some(at("2026-12-10 14:00")),
            ends_at: Some(at("2026-12-10 16:00")),
            opens_at: Some(at("2026-12-03 10:00")),
            closes_at: Some(at("2026-12-09 18:00")),
            ..Default::default()
        }
    }

    #[test]
    fn vouchers_are_claimed_while_valid_registration_closes_by_the_start() {
        let during = ActivityInput {
            ends_at: Some(at("2026-12-31 18:00")),
            closes_at: Some(at("2026-12-20 18:00")),
            ..input()
        };
        let e = ActivityFields::parse(&during).expect_err("a lecture closes by its start");
        assert!(e.iter().any(|x| x.field() == "closes_at"), "{e:?}");
        let v = ActivityFields::parse(&ActivityInput {
            kind: "公益券",
            ..during
        })
        .expect("a voucher");
        assert_eq!(v.kind, ActivityKind::Voucher);
        let late = ActivityInput {
            kind: "服务券",
            closes_at: Some(at("2027-01-02 10:00")),
            ..during
        };
        assert!(ActivityFields::parse(&late).is_err(), "not after the vouchers' end");
    }

    #[test]
    fn an_activity_is_read_as_offices_write_it() {
        let a = ActivityFields::parse(&input()).expect("activity");
        assert_eq!(a.title, "“四史”学习教育专题讲座");
        assert_eq!(a.kind, ActivityKind::Lecture);
        assert_eq!(a.allocation, Allocation::FirstCome, "first come unless said");
        assert_eq!(a.audience, Audience::Public);
        assert_eq!((a.capacity, a.per_person), (200, 1));
        assert_eq!(
            (a.waitlist, a.confirm_hours),
            (0, 24),
            "no waitlist unless said; a day to confirm"
        );
        let b = ActivityFields::parse(&ActivityInput {
            allocation: "摇号",
            per_person: "2",
            waitlist: "50人",
            confirm_hours: "12小时",
            ..input()
        })
        .expect("ballot");
        assert_eq!((b.waitlist, b.confirm_hours), (50, 12));
        assert_eq!((b.allocation, b.per_person), (Allocation::Ballot, 2));
    }

    #[test]
    fn every_fault_is_said_at_once() {
        let e = ActivityFields::parse(&ActivityInput {
            title: " ",
            kind: "茶话会",
            audience: "",
            capacity: "0",
            per_person: "11",
            starts_at: Some(at("2026-12-10 14:00")),
            ends_at: Some(at("2026-12-10 13:00")),
            opens_at: Some(at("2026-12-09 10:00")),
            closes_at: Some(at("2026-12-11 10:00")),
            cancel_until: Some(at("2026-12-10 15:00")),
            confirm_hours: "200",
            ..Default::default()
        })
        .expect_err("faults");
        for f in [
            DomainError::Required { field: "title" },
            DomainError::UnknownValue { field: "kind" },
            DomainError::Required { field: "audience" },
            DomainError::OutOfRange { field: "capacity" },
            DomainError::OutOfRange { field: "per_person" },
            DomainError::OutOfOrder { field: "ends_at" },
            DomainError::OutOfOrder { field: "closes_at" },
            DomainError::OutOfOrder { field: "cancel_until" },
            DomainError::OutOfRange { field: "confirm_hours" },
        ] {
            assert!(e.contains(&f), "{f:?} in {e:?}");
        }
        let e = ActivityFields::parse(&ActivityInput {
            capacity: "3",
            per_person: "5",
            ..input()
        })
        .expect_err("more than the capacity");
        assert_eq!(e, vec![DomainError::OutOfRange { field: "per_person" }]);
    }

    #[test]
    fn times_as_offices_and_browsers_write_them() {
        for raw in [
            "2026-12-10 14:00",
            "2026-12-10T14:00",
            "2026-12-10 14:00:00",
            "2026/12/10 14:00",
            "2026年12月10日 14:00",
            "２０２６-１２-１０ １４：００",
        ] {
            assert_eq!(parse_time("t", raw), Ok(Some(at("2026-12-10 14:00"))), "{raw}");
        }
        assert_eq!(parse_time("t", " "), Ok(None));
        assert_eq!(
            parse_time("t", "2026-13-10 14:00"),
            Err(DomainError::OutOfRange { field: "t" })
        );
    }

    #[test]
    fn the_window_and_the_cancelling_deadline() {
        let a = ActivityFields::parse(&input()).expect("activity");
        assert_eq!(a.window_at(at("2026-12-03 09:59")), Window::NotYetOpen);
        assert_eq!(a.window_at(at("2026-12-03 10:00")), Window::Open);
        assert_eq!(a.window_at(at("2026-12-09 18:00")), Window::Closed);
        let start = at("2026-12-10 14:00");
        assert!(may_cancel(None, start, at("2026-12-10 13:59")));
        assert!(!may_cancel(None, start, start));
        assert!(!may_cancel(Some(at("2026-12-09 12:00")), start, at("2026-12-09 12:00")));
        assert_eq!(offer_expires(at("2026-12-08 12:00"), 24, start), at("2026-12-09 12:00"));
        assert_eq!(
            offer_expires(at("2026-12-10 12:00"), 24, start),
            start,
            "never after the start"
        );
    }
}
