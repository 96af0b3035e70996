//! The demo district's activities and room bookings: a lecture sold out in its first
//! minutes, a visit by ballot, a themed party day with a waitlist, an online lecture
//! series with 8,000 registrations, free haircut vouchers for elderly residents, and the red reception room booked by branches. The
//! demo member's account holds a place (its ticket shows on the phone). Times follow
//! the day the demo is made, so registration is open whenever it is tried.

use anyhow::{Result, anyhow};
use chrono::Duration;
use tongxin_domain::activities::{ActivityFields, ActivityInput, china_time};
use tongxin_domain::codes::Phone;
use tongxin_domain::registry::CentreId;
use tongxin_store::activities::Registrant;
use tongxin_store::centres::BookingInput;
use tongxin_store::{Actor, Store};

/// Registrations of the online lecture series (a real series had 8,000).
pub const SERIES_REGISTRATIONS: usize = 8_000;

struct Plan<'a> {
    title: &'a str,
    kind: &'a str,
    allocation: &'a str,
    audience: &'a str,
    capacity: &'a str,
    waitlist: &'a str,
    online: bool,
    place: &'a str,
    /// Days from now it starts, and its length in hours.
    in_days: i64,
    hours: i64,
}

fn fields(p: &Plan<'_>) -> Result<ActivityFields> {
    let now = china_time(chrono::Utc::now());
    // Whole hours, in the afternoon.
    let day = (now + Duration::days(p.in_days)).date();
    let starts = day.and_hms_opt(14, 0, 0).ok_or_else(|| anyhow!("time"))?;
    ActivityFields::parse(&ActivityInput {
        title: p.title,
        kind: p.kind,
        allocation: p.allocation,
        audience: p.audience,
        place: p.place,
        description: "",
        online: p.online,
        starts_at: Some(starts),
        ends_at: Some(starts + Duration::hours(p.hours)),
        capacity: p.capacity,
        opens_at: Some(now - Duration::hours(2)),
        closes_at: Some(starts - Duration::hours(12)),
        per_person: "",
        cancel_until: Some(starts - Duration::hours(24)),
        waitlist: p.waitlist,
        confirm_hours: "",
    })
    .map_err(|e| anyhow!("demo activity {}: {e:?}", p.title))
}

/// A resident of the demo (names and phones made up: 1390000xxxx is not a real range
/// in use by anyone the demo could reach).
fn resident(i: usize) -> Result<(String, Phone)> {
    const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
    const GIVEN: [&str; 10] = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳"];
    let name = format!(
        "{}{}{}",
        SURNAMES[i % 12],
        GIVEN[i / 12 % 10],
        if i >= 120 { "华" } else { "" }
    );
    let phone = Phone::parse(&format!("139{:08}", 10_000_000 + i)).map_err(|e| anyhow!("{e}"))?;
    Ok((name, phone))
}

/// Records the demo's activities and bookings when its first street centre has none.
pub async fn ensure_activities(
    store: &Store,
    system: &Actor,
    street_centre: CentreId,
    station: Option<CentreId>,
) -> Result<()> {
    if !store.list_activities(street_centre, None).await?.is_empty() {
        return Ok(());
    }
    let at_station = station.unwrap_or(street_centre);
    // Sold out: a popular lecture at the building station, 30 places, all taken.
    let lecture = store
        .create_activity(
            system,
            at_station,
            &fields(&Plan {
                title: "“四史”学习教育专题讲座：从石库门到陆家嘴",
                kind: "讲座",
                allocation: "先到先得",
                audience: "公众",
                capacity: "30",
                waitlist: "",
                online: false,
                place: "22楼党员活动室",
                in_days: 5,
                hours: 2,
            })?,
        )
        .await?;
    let people: Vec<(String, Phone)> = (0..SERIES_REGISTRATIONS + 200).map(resident).collect::<Result<_>>()?;
    store.bulk_register_residents(system, lecture.id, &people[..29]).await?;
    // The demo member holds the last place: its phone shows the ticket.
    if store.account_exists("member").await? {
        let member = store.acting_as(system, "member").await?;
        let _ = store.register(Some(&member), lecture.id, &Registrant::Account, 1).await;
    }
    // A ballot: a visit to the site of the First National Congress, 40 places, entries
    // taken until the close.
    let visit = store
        .create_activity(
            system,
            street_centre,
            &fields(&Plan {
                title: "红色寻访：中共一大纪念馆参观",
                kind: "参观",
                allocation: "抽签",
                audience: "公众",
                capacity: "40",
                waitlist: "",
                online: false,
                place: "兴业路76号（集合：街道党群服务中心门口）",
                in_days: 9,
                hours: 3,
            })?,
        )
        .await?;
    for (name, phone) in people.iter().skip(40).take(65) {
        let who = Registrant::Resident {
            name: name.clone(),
            phone: phone.clone(),
        };
        store.register(None, visit.id, &who, 1).await?;
    }
    // A waitlist: a themed party day with 20 places and 10 on the waitlist; 25 came.
    let party_day = store
        .create_activity(
            system,
            street_centre,
            &fields(&Plan {
                title: "主题党日：社区志愿服务与“四史”交流",
                kind: "主题党日",
                allocation: "先到先得",
                audience: "公众",
                capacity: "20",
                waitlist: "10",
                online: false,
                place: "多功能厅",
                in_days: 7,
                hours: 3,
            })?,
        )
        .await?;
    for (name, phone) in people.iter().skip(110).take(25) {
        let who = Registrant::Resident {
            name: name.clone(),
            phone: phone.clone(),
        };
        store.register(None, party_day.id, &who, 1).await?;
    }
    // The online lecture series: 8,000 registered.
    let series = store
        .create_activity(
            system,
            street_centre,
            &fields(&Plan {
                title: "党的创新理论线上系列讲座（第一讲）",
                kind: "讲座",
                allocation: "先到先得",
                audience: "公众",
                capacity: "10000",
                waitlist: "",
                online: true,
                place: "线上直播",
                in_days: 3,
                hours: 2,
            })?,
        )
        .await?;
    store
        .bulk_register_residents(system, series.id, &people[..SERIES_REGISTRATIONS])
        .await?;
    // Vouchers: the hairdressers' council's free haircuts for elderly residents, valid a
    // month, claimed while they last.
    let mut voucher = fields(&Plan {
        title: "理发行业协会：老年人免费理发券",
        kind: "服务券",
        allocation: "先到先得",
        audience: "公众",
        capacity: "50",
        waitlist: "",
        online: false,
        place: "南京西路街道各爱心理发点",
        in_days: 1,
        hours: 8,
    })?;
    voucher.ends_at = voucher.starts_at + Duration::days(30);
    voucher.closes_at = voucher.ends_at - Duration::days(1);
    voucher.cancel_until = None;
    let voucher = store.create_activity(system, street_centre, &voucher).await?;
    store
        .bulk_register_residents(system, voucher.id, &people[300..336])
        .await?;
    // Rooms: branches book the street centre's meeting room over the coming days.
    let rooms = store.get_centre(system, street_centre).await?.rooms;
    if let Some(room) = rooms.first() {
        let day = china_time(chrono::Utc::now()).date();
        for (d, who, from, to) in [
            (2, "南京西路街道机关第一党支部", 9, 11),
            (2, "某科技公司党支部", 14, 16),
            (4, "某居民区党总支", 10, 12),
        ] {
            let date = day + Duration::days(d);
            let input = BookingInput {
                booked_for: who.into(),
                purpose: "支部党员大会".into(),
                people: "15".into(),
                starts_at: date.and_hms_opt(from, 0, 0),
                ends_at: date.and_hms_opt(to, 0, 0),
            };
            // A day the centre is closed (a Sunday) refuses its booking: the demo goes on.
            let _ = store.book_room(system, street_centre, room.id, &input).await;
        }
    }
    Ok(())
}
