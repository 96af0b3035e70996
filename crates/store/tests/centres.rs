//! Service centres in the store, on SQLite and (with TONGXIN_TEST_POSTGRES) PostgreSQL:
//! who sees and keeps which centre, edits that change only what they name, rooms, the
//! organisations a centre serves, and its staff.

mod common;
use common::store;
use tongxin_domain::access::Role;
use tongxin_domain::centres::{CentreFields, RoomFields};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::{OrgFields, OrgId};
use tongxin_domain::scope::Scope;
use tongxin_store::centres::{CentrePatch, CentreView, RoomPatch};
use tongxin_store::registry::OrgInput;
use tongxin_store::{Actor, StoreError};

fn centre(name: &str, level: &str, division: &str) -> CentreFields {
    CentreFields::parse(
        name,
        level,
        division,
        "某路1号",
        Some((121.45, 31.23)),
        "周一至周五 9:00-17:00",
        "021-62171234",
    )
    .expect("centre")
}

fn office(street: &str) -> Actor {
    Actor {
        account_id: None,
        username: format!("office-{street}"),
        role: Role::StreetOffice,
        scope: Scope::division(DivisionCode::parse(street).expect("code")),
    }
}

fn names(v: &[CentreView]) -> Vec<&str> {
    v.iter().map(|c| c.name.as_str()).collect()
}

#[tokio::test]
async fn centres_are_kept_by_their_territory_and_serve_their_organisations() {
    let (s, _d) = store().await;
    let sys = Actor::system("t");
    let district = s
        .create_centre(&sys, &centre("静安区党群服务中心", "区级", "310106"))
        .await
        .expect("district");
    let street = s
        .create_centre(&sys, &centre("南京西路街道党群服务中心", "街道", "310106012"))
        .await
        .expect("street");
    let other = s
        .create_centre(&sys, &centre("静安寺街道党群服务中心", "街道", "310106013"))
        .await
        .expect("other street");
    let ours = office("310106012");
    let station = s
        .create_centre(&ours, &centre("某大厦楼宇党群服务站", "楼宇站点", "310106012"))
        .await
        .expect("a street records its own station");
    assert_eq!(station.level, "building_station");
    assert_eq!(station.hours.as_deref(), Some("周一至周五 09:00-17:00"));
    assert_eq!(station.hours_en.as_deref(), Some("Mon-Fri 09:00-17:00"));

    // A street's list: its own centres and the district's above it, not the next street's.
    let listed = s.list_centres(&ours, false).await.expect("list");
    assert_eq!(
        names(&listed),
        ["静安区党群服务中心", "南京西路街道党群服务中心", "某大厦楼宇党群服务站"]
    );
    assert_eq!(s.list_centres(&sys, false).await.expect("all").len(), 4);

    // It keeps only its own: the next street's and the district's are not its to change.
    assert!(matches!(
        s.create_centre(&ours, &centre("越界中心", "街道", "310106013")).await,
        Err(StoreError::OutsideTerritory { .. })
    ));
    let rename = CentrePatch {
        name: Some("改名".into()),
        ..Default::default()
    };
    for c in [&district, &other] {
        assert!(matches!(
            s.update_centre(&ours, c.id, c.version, &rename).await,
            Err(StoreError::Forbidden)
        ));
    }
    // The same name twice in a division is a duplicate.
    assert!(matches!(
        s.create_centre(&sys, &centre("某大厦楼宇党群服务站", "楼宇", "310106012"))
            .await,
        Err(StoreError::Duplicate { .. })
    ));

    // An edit changes what it names and nothing else; an old version is refused.
    let hours_only = CentrePatch {
        hours: Some("每天 9:00-21:00；周一闭馆".into()),
        ..Default::default()
    };
    let edited = s
        .update_centre(&ours, station.id, station.version, &hours_only)
        .await
        .expect("edit");
    assert_eq!(edited.hours.as_deref(), Some("周二至周日 09:00-21:00"));
    assert_eq!(
        (&edited.name, &edited.address, edited.lng, &edited.phone),
        (&station.name, &station.address, station.lng, &station.phone)
    );
    assert_eq!(edited.version, station.version + 1);
    assert!(matches!(
        s.update_centre(&ours, station.id, station.version, &hours_only).await,
        Err(StoreError::Stale { .. })
    ));
    let bad = CentrePatch {
        hours: Some("周八 9:00-17:00".into()),
        level: Some("区级".into()),
        ..Default::default()
    };
    match s.update_centre(&ours, station.id, edited.version, &bad).await {
        Err(StoreError::Invalid(e)) => {
            let fields: Vec<_> = e.iter().map(|e| e.field()).collect();
            assert_eq!(fields, ["hours", "division"], "every error at once");
        }
        other => panic!("{other:?}"),
    }

    // Rooms: each name once per centre, a capacity from one person up.
    let room = s
        .add_room(&ours, station.id, &RoomFields::parse("红色会客厅", "30").expect("room"))
        .await
        .expect("room");
    assert!(matches!(
        s.add_room(&ours, station.id, &RoomFields::parse("红色会客厅", "10").expect("room"))
            .await,
        Err(StoreError::Duplicate { .. })
    ));
    let bigger = s
        .update_room(
            &ours,
            station.id,
            room.id,
            room.version,
            &RoomPatch {
                capacity: Some("40".into()),
                ..Default::default()
            },
        )
        .await
        .expect("capacity");
    assert_eq!((bigger.name.as_str(), bigger.capacity), ("红色会客厅", 40));
    assert!(matches!(
        s.update_room(
            &office("310106013"),
            station.id,
            room.id,
            bigger.version,
            &RoomPatch::default()
        )
        .await,
        Err(StoreError::Forbidden)
    ));
    let got = s.get_centre(&ours, station.id).await.expect("get");
    assert_eq!(got.rooms.len(), 1);

    // Whom a centre serves: the station names a branch; the branch's street and
    // district centres serve it by division; the next street's does not.
    let org = |name: &str, division: &str, parent: Option<OrgId>| OrgInput {
        fields: OrgFields::parse(name, "党支部", division, "", None, None).expect("org"),
        parent_id: parent,
        carrier_id: None,
        unit_ids: vec![],
    };
    let branch = s
        .create_org(&sys, org("某大厦联合党支部", "310106012", None))
        .await
        .expect("branch");
    let elsewhere = s
        .create_org(&sys, org("静安寺某支部", "310106013", None))
        .await
        .expect("elsewhere");
    assert!(matches!(
        s.serve_org(&ours, station.id, elsewhere.id).await,
        Err(StoreError::Reference { .. })
    ));
    s.serve_org(&ours, station.id, branch.id).await.expect("serve");
    s.serve_org(&ours, station.id, branch.id)
        .await
        .expect("twice is no change");
    let (orgs, units, hidden) = s.centre_serves(&ours, station.id).await.expect("serves");
    assert_eq!((orgs.len(), units.len(), hidden), (1, 0, 0));
    let serving = s.centres_serving_org(&sys, branch.id).await.expect("serving");
    let got: Vec<(&str, &str)> = serving
        .iter()
        .map(|s| (s.centre.name.as_str(), s.by.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("某大厦楼宇党群服务站", "named"),
            ("南京西路街道党群服务中心", "division"),
            ("静安区党群服务中心", "division"),
        ]
    );
    // A member of the branch (an organisation's account) lists the same centres.
    let member = Actor {
        account_id: None,
        username: "m".into(),
        role: Role::Member,
        scope: Scope::org(tongxin_domain::registry::OrgPath::root(branch.id)),
    };
    assert_eq!(
        names(&s.list_centres(&member, false).await.expect("member's")),
        ["某大厦楼宇党群服务站", "南京西路街道党群服务中心", "静安区党群服务中心"]
    );
    let there: Vec<String> = s
        .centres_serving_org(&sys, elsewhere.id)
        .await
        .expect("serving")
        .into_iter()
        .map(|s| s.centre.name)
        .collect();
    assert_eq!(there, ["静安寺街道党群服务中心", "静安区党群服务中心"]);
    // Another street cannot take the naming off.
    assert!(matches!(
        s.unserve(&office("310106013"), station.id, orgs[0].serve_id).await,
        Err(StoreError::Forbidden)
    ));
    s.unserve(&ours, station.id, orgs[0].serve_id).await.expect("unserve");
    assert_eq!(s.centres_serving_org(&sys, branch.id).await.expect("serving").len(), 2);

    // Staff: a centre-staff account of the street works at the station; one of another
    // street cannot be made its staff. Staff change hours and rooms, not the centre.
    let district_office = Actor {
        account_id: None,
        username: "district".into(),
        role: Role::DistrictOffice,
        scope: Scope::division(DivisionCode::parse("310106").expect("code")),
    };
    for (name, street) in [("staff12", "310106012"), ("staff13", "310106013")] {
        s.create_account(
            &district_office,
            name,
            "a-long-password-1",
            Role::ServiceCentreStaff,
            Some(&DivisionCode::parse(street).expect("code")),
            None,
        )
        .await
        .expect("account");
    }
    s.add_centre_staff(&ours, station.id, "staff12").await.expect("staff");
    assert!(matches!(
        s.add_centre_staff(&ours, station.id, "staff13").await,
        Err(StoreError::Reference { .. })
    ));
    let staff = s
        .verify_login("staff12", "a-long-password-1")
        .await
        .expect("login")
        .expect("actor");
    let now = s.get_centre(&staff, station.id).await.expect("read");
    assert!(matches!(
        s.update_centre(&staff, station.id, now.version, &rename).await,
        Err(StoreError::Forbidden)
    ));
    let phone = CentrePatch {
        phone: Some("021-62170000".into()),
        ..Default::default()
    };
    s.update_centre(&staff, station.id, now.version, &phone)
        .await
        .expect("staff edit the phone");
    s.add_room(&staff, station.id, &RoomFields::parse("阅览角", "12").expect("room"))
        .await
        .expect("staff add a room");
    assert!(matches!(
        s.add_room(&staff, street.id, &RoomFields::parse("阅览角", "12").expect("room"))
            .await,
        Err(StoreError::Forbidden)
    ));
    assert_eq!(
        names(&s.centres_of_staff(&staff).await.expect("mine")),
        ["某大厦楼宇党群服务站"]
    );
    let kept = s.centre_staff(&ours, station.id).await.expect("staff list");
    assert_eq!(kept.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["staff12"]);
    s.remove_centre_staff(&ours, station.id, kept[0].0)
        .await
        .expect("remove");
    assert!(s.centres_of_staff(&staff).await.expect("none").is_empty());

    // Every change is in the centre's history.
    let history = s.centre_history(&sys, station.id).await.expect("history");
    let actions: Vec<&str> = history.iter().map(|h| h.action.as_str()).collect();
    for a in [
        "create",
        "update",
        "add_room",
        "update_room",
        "serve",
        "unserve",
        "add_staff",
        "remove_staff",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

/// Near me: the nearest centres by distance, and the organisations that take members
/// (branches, not committees): those in a building by the building's distance ("where
/// I work"), a community's by its street centre's ("where I live"); an address is
/// placed by the registry (a building's name), Traditional characters too.
#[tokio::test]
async fn near_me_finds_centres_and_the_branches_that_take_members() {
    use tongxin_domain::centres::Location;
    use tongxin_domain::registry::CarrierFields;
    use tongxin_store::centres::{Here, NearFor};
    let (s, _d) = store().await;
    let sys = Actor::system("t");
    let centre = |name: &str, division: &str, at: (f64, f64)| {
        CentreFields::parse(name, "街道", division, "", Some(at), "", "").expect("centre")
    };
    let street_a = s
        .create_centre(
            &sys,
            &centre("南京西路街道党群服务中心", "310106012", (121.4590, 31.2290)),
        )
        .await
        .expect("a");
    let street_b = s
        .create_centre(
            &sys,
            &centre("石门二路街道党群服务中心", "310106013", (121.4700, 31.2350)),
        )
        .await
        .expect("b");
    let tower = s
        .create_carrier(
            &sys,
            CarrierFields::parse(
                "恒隆广场",
                "楼宇",
                true,
                "310106012",
                "南京西路1266号",
                Some((121.4540, 31.2290)),
            )
            .expect("carrier"),
        )
        .await
        .expect("tower");
    let org = |name: &str, kind: &str, division: &str, carrier| {
        let s = s.clone();
        let fields = OrgFields::parse(name, kind, division, "", None, None).expect("org");
        async move {
            s.create_org(
                &sys_actor(),
                OrgInput {
                    fields,
                    parent_id: None,
                    carrier_id: carrier,
                    unit_ids: vec![],
                },
            )
            .await
            .expect("org")
            .id
        }
    };
    let tower_branch = org("恒隆广场联合党支部", "联合党支部", "310106012", Some(tower.id)).await;
    let tower_committee = org("恒隆广场党委", "党委", "310106012", Some(tower.id)).await;
    let community = org("某居民区党总支", "党总支", "310106012002", None).await;
    let elsewhere = org("石门二路某支部", "党支部", "310106013", None).await;

    // 200 m west of the street centre, right at the tower.
    let here = Location::parse(121.4560, 31.2290).expect("here");
    let v = s
        .find_near(&sys, &Here::Point(here), NearFor::Either)
        .await
        .expect("near");
    let ids: Vec<i64> = v.centres.iter().map(|c| c.centre.id.0).collect();
    assert_eq!(ids, vec![street_a.id.0, street_b.id.0], "nearest first");
    // Recounted: the distance the page shows is the haversine distance, to 10 m.
    let d = here.distance_km(&Location::parse(121.4590, 31.2290).expect("a"));
    assert!(
        (v.centres[0].distance_km - d).abs() <= 0.005,
        "{} {d}",
        v.centres[0].distance_km
    );
    let orgs: Vec<i64> = v.orgs.iter().map(|o| o.org_id).collect();
    assert_eq!(
        orgs[0], tower_branch.0,
        "the building's branch is the nearest: {orgs:?}"
    );
    assert!(
        !orgs.contains(&tower_committee.0),
        "a committee takes no members directly"
    );
    assert!(orgs.contains(&community.0) && orgs.contains(&elsewhere.0), "{orgs:?}");
    let community_row = v.orgs.iter().find(|o| o.org_id == community.0).expect("community");
    assert_eq!(
        community_row.centre_id,
        Some(street_a.id.0),
        "asked at its street's centre"
    );

    let work = s
        .find_near(&sys, &Here::Point(here), NearFor::Work)
        .await
        .expect("work");
    assert_eq!(
        work.orgs.iter().map(|o| o.org_id).collect::<Vec<_>>(),
        vec![tower_branch.0]
    );
    let live = s
        .find_near(&sys, &Here::Point(here), NearFor::Live)
        .await
        .expect("live");
    assert!(live.orgs.iter().all(|o| o.carrier_name.is_none()) && live.orgs.len() == 2);

    // An address as typed: the building's name in Traditional characters.
    let v = s
        .find_near(&sys, &Here::Address("恒隆廣場".into()), NearFor::Either)
        .await
        .expect("address");
    assert_eq!(v.placed_at.as_deref(), Some("恒隆广场"));
    assert_eq!(v.centres[0].centre.id, street_a.id);
    assert!(matches!(
        s.find_near(&sys, &Here::Address("火星基地".into()), NearFor::Either)
            .await,
        Err(StoreError::Invalid(_))
    ));
}

fn sys_actor() -> Actor {
    Actor::system("t")
}

/// Rooms: ten bookings of one span at once, one stands; touching spans both stand; a
/// booking outside the hours, on a blackout day or for more people than the room holds
/// is refused; a member's own account books nothing; the booker and the centre's staff
/// see who booked, others only that the room is taken; a cancelled span is free again.
#[tokio::test]
async fn a_room_is_never_booked_twice_for_one_time() {
    use tongxin_domain::centres::BookingRefusal;
    use tongxin_domain::registry::RoomId;
    use tongxin_store::centres::BookingInput;
    let (s, _d) = store().await;
    let sys = Actor::system("t");
    let c = s
        .create_centre(
            &sys,
            &CentreFields::parse(
                "南京西路街道党群服务中心",
                "街道",
                "310106012",
                "",
                None,
                "每天 9:00-21:00",
                "",
            )
            .expect("centre"),
        )
        .await
        .expect("centre");
    let room = s
        .add_room(&sys, c.id, &RoomFields::parse("红色会客厅", "30").expect("room"))
        .await
        .expect("room")
        .id;
    let office = |d: &str, name: &str| Actor {
        account_id: None,
        username: name.into(),
        role: Role::StreetOffice,
        scope: Scope::division(DivisionCode::parse(d).expect("code")),
    };
    let day = tongxin_domain::activities::china_time(chrono::Utc::now()).date() + chrono::Duration::days(3);
    let at = |h: u32, m: u32| day.and_hms_opt(h, m, 0);
    let input = |who: &str, from: (u32, u32), to: (u32, u32), people: &str| BookingInput {
        booked_for: who.into(),
        purpose: "支部党员大会".into(),
        people: people.into(),
        starts_at: at(from.0, from.1),
        ends_at: at(to.0, to.1),
    };

    let mut tasks = vec![];
    for i in 0..10 {
        let (s, a) = (s.clone(), office("310106012", &format!("office{i}")));
        let f = input(&format!("第{i}支部"), (14, 0), (16, 0), "20");
        tasks.push(tokio::spawn(async move { s.book_room(&a, c.id, room, &f).await }));
    }
    let mut stood = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => stood += 1,
            Err(StoreError::Booking(BookingRefusal::RoomTaken)) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    assert_eq!(stood, 1, "one booking of the span");
    let a = office("310106012", "a");
    // Touching: 16:00–17:00 stands; 15:59 does not.
    s.book_room(&a, c.id, room, &input("某公司党支部", (16, 0), (17, 0), "10"))
        .await
        .expect("touching");
    assert!(matches!(
        s.book_room(&a, c.id, room, &input("某公司党支部", (15, 59), (16, 30), "10"))
            .await,
        Err(StoreError::Booking(BookingRefusal::RoomTaken))
    ));
    // Outside the hours, more people than the room holds, a member's account.
    assert!(matches!(
        s.book_room(&a, c.id, room, &input("某支部", (20, 0), (22, 0), "10"))
            .await,
        Err(StoreError::Booking(BookingRefusal::OutsideHours))
    ));
    assert!(matches!(
        s.book_room(&a, c.id, room, &input("某支部", (9, 0), (10, 0), "31"))
            .await,
        Err(StoreError::Invalid(_))
    ));
    let member = Actor {
        role: Role::Member,
        ..office("310106012", "member")
    };
    assert!(matches!(
        s.book_room(&member, c.id, room, &input("我", (9, 0), (10, 0), "1"))
            .await,
        Err(StoreError::Forbidden)
    ));
    // A blackout day: closed, whatever the hours say.
    s.add_blackout_day(&a, c.id, day, "设备检修").await.expect("blackout");
    assert!(matches!(
        s.book_room(&a, c.id, room, &input("某支部", (9, 0), (10, 0), "5"))
            .await,
        Err(StoreError::Booking(BookingRefusal::BlackoutDay))
    ));
    assert!(matches!(
        s.add_blackout_day(&office("310106013", "b"), c.id, day, "").await,
        Err(StoreError::Forbidden)
    ));
    // Who booked: the centre's office sees; another street's office sees only times.
    let seen = s.room_bookings(&a, c.id, room, day).await.expect("list");
    assert_eq!(seen.len(), 2);
    assert!(seen.iter().all(|b| !b.booked_for.is_empty()));
    let other = s
        .room_bookings(&office("310106013", "b"), c.id, room, day)
        .await
        .expect("list");
    assert!(other.iter().all(|b| b.booked_for.is_empty() && b.purpose.is_none()));
    // Cancelled: the span is free again (after the blackout day is past: another day).
    let first = seen[0].id;
    assert!(matches!(
        s.cancel_booking(&office("310106013", "b"), first).await,
        Err(StoreError::NotFound)
    ));
    s.cancel_booking(&a, first).await.expect("cancelled");
    assert_eq!(s.room_bookings(&a, c.id, room, day).await.expect("list").len(), 1);
    assert!(matches!(
        s.book_room(&a, c.id, RoomId(room.0 + 999), &input("x", (9, 0), (10, 0), "1"))
            .await,
        Err(StoreError::NotFound)
    ));
}
