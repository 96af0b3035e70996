//! Activities and registration in the store, on SQLite and (with TONGXIN_TEST_POSTGRES)
//! PostgreSQL: many registrations at once never take more places than there are nor
//! two for one person, places come back on cancelling, the audience and the window are
//! kept, and a ballot's draw is the one anyone recomputes from its seed.

mod common;
use chrono::{Duration, NaiveDateTime};
use common::{account, store, store_at};
use sea_orm::{ConnectionTrait, Database};
use std::collections::HashSet;
use tongxin_domain::access::Role;
use tongxin_domain::activities::{ActivityFields, ActivityInput, Refusal, ballot_order, china_time};
use tongxin_domain::centres::CentreFields;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::CentreId;
use tongxin_domain::scope::Scope;
use tongxin_store::activities::Registrant;
use tongxin_store::{Actor, Store, StoreError};

fn office(division: &str) -> Actor {
    Actor {
        account_id: None,
        username: format!("office-{division}"),
        role: Role::StreetOffice,
        scope: Scope::division(DivisionCode::parse(division).expect("code")),
    }
}

async fn centre(s: &Store) -> CentreId {
    let f = CentreFields::parse(
        "南京西路街道党群服务中心",
        "街道",
        "310106012",
        "某路1号",
        Some((121.45, 31.23)),
        "周一至周日 9:00-21:00",
        "",
    )
    .expect("centre");
    s.create_centre(&Actor::system("t"), &f).await.expect("centre").id
}

/// An activity whose registration is open now.
fn fields(capacity: &str, allocation: &str, audience: &str, per_person: &str) -> ActivityFields {
    let now = china_time(chrono::Utc::now());
    ActivityFields::parse(&ActivityInput {
        title: "“四史”学习教育专题讲座",
        kind: "讲座",
        allocation,
        audience,
        capacity,
        per_person,
        starts_at: Some(now + Duration::days(2)),
        ends_at: Some(now + Duration::days(2) + Duration::hours(2)),
        opens_at: Some(now - Duration::hours(1)),
        closes_at: Some(now + Duration::days(1)),
        ..Default::default()
    })
    .expect("activity")
}

fn resident(i: usize) -> Registrant {
    Registrant::Resident {
        name: format!("居民{i}"),
        phone: Phone::parse(&format!("139{i:08}")).expect("phone"),
    }
}

/// Closes activity `id`'s registration a minute ago.
async fn close_window(url: &str, id: i64) {
    set_past(url, id, "closes_at", 1).await;
}

/// Sets activity `id`'s `column` to `minutes` ago, from outside the application (the
/// store has no edit of an activity yet).
async fn set_past(url: &str, id: i64, column: &str, minutes: i64) {
    let past: NaiveDateTime = china_time(chrono::Utc::now()) - Duration::minutes(minutes);
    Database::connect(url)
        .await
        .expect("db")
        .execute_unprepared(&format!(
            "UPDATE activities SET {column} = '{}' WHERE id = {id}",
            past.format("%Y-%m-%d %H:%M:%S")
        ))
        .await
        .expect("set in the past");
}

/// Two public activities of ten places at centre `c`, the first allowing `per_person`
/// places a person (empty: one); the second is "another activity's door".
async fn two_activities(
    s: &Store,
    staff: &Actor,
    c: CentreId,
    per_person: &str,
) -> (
    tongxin_store::activities::ActivityView,
    tongxin_store::activities::ActivityView,
) {
    let a = s
        .create_activity(staff, c, &fields("10", "", "公众", per_person))
        .await
        .expect("activity");
    let other = s
        .create_activity(staff, c, &fields("10", "", "公众", ""))
        .await
        .expect("other");
    (a, other)
}

fn refusal(e: StoreError) -> Refusal {
    match e {
        StoreError::Registration(r) => r,
        e => panic!("not a refusal: {e:?}"),
    }
}

#[tokio::test]
async fn many_at_once_never_take_more_places_than_there_are() {
    let (s, _d) = store().await;
    let c = centre(&s).await;
    let a = s
        .create_activity(&office("310106012"), c, &fields("50", "", "公众", "2"))
        .await
        .expect("activity");
    assert_eq!(a.window, "open");
    // 200 residents at once, some for two places; everyone also tries a second time.
    let mut tasks = vec![];
    for i in 0..200usize {
        for _ in 0..2 {
            let s = s.clone();
            tasks.push(tokio::spawn(async move {
                (
                    i,
                    s.register(None, a.id, &resident(i), if i % 7 == 0 { 2 } else { 1 })
                        .await,
                )
            }));
        }
    }
    let (mut given, mut sold_out, mut twice) = (0i32, 0, 0);
    let mut who: Vec<usize> = vec![];
    for t in tasks {
        match t.await.expect("task") {
            (i, Ok(r)) => {
                assert_eq!(r.status, "registered");
                given += r.places;
                who.push(i);
            }
            (_, Err(e)) => match refusal(e) {
                Refusal::SoldOut => sold_out += 1,
                Refusal::AlreadyRegistered => twice += 1,
                r => panic!("{r:?}"),
            },
        }
    }
    // Recounted from the store's rows, not from the answers.
    let rows = s.list_registrations(&office("310106012"), a.id).await.expect("list");
    let held: i32 = rows.iter().filter(|r| r.status == "registered").map(|r| r.places).sum();
    assert!(held <= 50, "oversold: {held}");
    assert!(held >= 49, "a place left while people were refused: {held}");
    assert_eq!(held, given, "every answered registration is kept, no other");
    let distinct: HashSet<usize> = who.iter().copied().collect();
    assert_eq!(distinct.len(), who.len(), "no one holds two");
    assert_eq!(s.get_activity(a.id).await.expect("a").taken, held);
    assert!(sold_out > 0 && twice > 0, "{sold_out} {twice}");
    assert!(
        rows.iter()
            .all(|r| r.phone.as_deref().is_some_and(|p| p.contains("****")))
    );
}

/// Registrations that arrive together are written together (group commit), and each
/// caller is answered with its own: cancelled ones come back, a person twice in one
/// transaction holds one, and a caller who goes away takes no one else's with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_that_arrive_together_share_a_transaction_and_keep_every_rule() {
    let (s, _d) = store().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let a = s
        .create_activity(&staff, c, &fields("120", "", "公众", ""))
        .await
        .expect("activity");
    // Ten register and cancel: they may come back.
    for i in 0..10 {
        let r = s.register(None, a.id, &resident(i), 1).await.expect("first time");
        s.cancel_registration(&staff, r.id).await.expect("cancelled");
    }
    let (batches_before, _) = s.registration_batches();
    // 300 at once for 120 places: the ten come back, each person tries twice, and every
    // third caller goes away before its answer.
    let mut kept = vec![];
    let mut gone = vec![];
    for i in 0..150usize {
        for round in 0..2 {
            let s = s.clone();
            let t = tokio::spawn(async move { (i, s.register(None, a.id, &resident(i), 1).await) });
            if (i + round) % 3 == 0 {
                gone.push(t);
            } else {
                kept.push(t);
            }
        }
    }
    tokio::task::yield_now().await;
    for t in &gone {
        t.abort();
    }
    let mut answered = HashSet::new();
    let (mut sold_out, mut twice) = (0, 0);
    for t in kept {
        match t.await.expect("a caller that stayed is answered") {
            (i, Ok(r)) => {
                assert_eq!(r.status, "registered");
                assert!(r.ticket.is_some(), "a place comes with its ticket");
                assert!(answered.insert(i), "one person answered twice 'registered'");
            }
            (_, Err(e)) => match refusal(e) {
                Refusal::SoldOut => sold_out += 1,
                Refusal::AlreadyRegistered => twice += 1,
                r => panic!("{r:?}"),
            },
        }
    }
    // Recounted from the store's rows, not from the answers.
    let rows = s.list_registrations(&staff, a.id).await.expect("list");
    let held: Vec<&str> = rows
        .iter()
        .filter(|r| r.status == "registered")
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(held.len(), 120, "every place taken, none twice");
    assert_eq!(held.iter().collect::<HashSet<_>>().len(), 120, "no one holds two");
    assert_eq!(s.get_activity(a.id).await.expect("a").taken, 120);
    for i in &answered {
        assert!(
            held.contains(&format!("居民{i}").as_str()),
            "answered but not kept: {i}"
        );
    }
    assert!(sold_out > 0 && twice > 0, "{sold_out} {twice}");
    let (batches, written) = s.registration_batches();
    let batches = batches - batches_before;
    assert!(
        batches > 0 && batches * 4 <= 300,
        "300 registrations at once took {batches} transactions ({written} written in batches)"
    );
}

/// Two servers on one database (two stores, each with its own batches and memory): the
/// activity's row lock keeps the count exact between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_never_oversell_between_them() {
    let (s, url, _d) = store_at().await;
    let other = Store::open(&url).await.expect("a second server");
    let c = centre(&s).await;
    let staff = office("310106012");
    let a = s
        .create_activity(&staff, c, &fields("100", "", "公众", ""))
        .await
        .expect("activity");
    let mut tasks = vec![];
    for i in 0..250usize {
        // Each person through both servers at once.
        for server in [s.clone(), other.clone()] {
            tasks.push(tokio::spawn(async move {
                (i, server.register(None, a.id, &resident(i), 1).await)
            }));
        }
    }
    let mut answered = HashSet::new();
    for t in tasks {
        match t.await.expect("task") {
            (i, Ok(_)) => assert!(answered.insert(i), "{i} answered 'registered' twice"),
            (_, Err(e)) => assert!(matches!(refusal(e), Refusal::SoldOut | Refusal::AlreadyRegistered)),
        }
    }
    let rows = s.list_registrations(&staff, a.id).await.expect("list");
    let held = rows.iter().filter(|r| r.status == "registered").count();
    assert_eq!((held, answered.len()), (100, 100), "every place once, each answer kept");
    assert_eq!(other.get_activity(a.id).await.expect("a").taken, 100);
}

#[tokio::test]
async fn a_place_given_back_is_taken_again_and_the_window_and_audience_are_kept() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let a = s
        .create_activity(&staff, c, &fields("1", "", "公众", ""))
        .await
        .expect("activity");
    let first = s.register(None, a.id, &resident(1), 1).await.expect("first");
    assert_eq!(
        refusal(s.register(None, a.id, &resident(2), 1).await.expect_err("full")),
        Refusal::SoldOut
    );
    // More places than one person may take.
    assert!(matches!(
        s.register(None, a.id, &resident(3), 2).await,
        Err(StoreError::Invalid(_))
    ));
    s.cancel_registration(&staff, first.id).await.expect("cancelled");
    let second = s.register(None, a.id, &resident(2), 1).await.expect("the place again");
    assert_eq!(second.status, "registered");
    // The first resident comes back: sold out again, not "already registered".
    assert_eq!(
        refusal(s.register(None, a.id, &resident(1), 1).await.expect_err("full")),
        Refusal::SoldOut
    );
    // Another street's office does not see its registrations.
    assert!(matches!(
        s.list_registrations(&office("310106013"), a.id).await,
        Err(StoreError::NotFound)
    ));

    // Members only: a resident is refused, a member's account registers once and
    // cancels its own.
    let members = s
        .create_activity(&staff, c, &fields("10", "", "党员", ""))
        .await
        .expect("members");
    assert_eq!(
        refusal(
            s.register(None, members.id, &resident(4), 1)
                .await
                .expect_err("resident")
        ),
        Refusal::MembersOnly
    );
    let m = account(&s, "member-zhang", Role::Member, "310106012").await;
    let mine = s
        .register(Some(&m), members.id, &Registrant::Account, 1)
        .await
        .expect("member");
    assert_eq!(
        refusal(
            s.register(Some(&m), members.id, &Registrant::Account, 1)
                .await
                .expect_err("twice")
        ),
        Refusal::AlreadyRegistered
    );
    assert_eq!(s.my_registrations(&m).await.expect("mine").len(), 1);
    let other = account(&s, "member-li", Role::Member, "310106012").await;
    assert!(s.cancel_registration(&other, mine.id).await.is_err(), "not another's");
    s.cancel_registration(&m, mine.id).await.expect("own");

    // The window: closed, nothing is taken.
    close_window(&url, members.id).await;
    assert_eq!(
        refusal(
            s.register(Some(&m), members.id, &Registrant::Account, 1)
                .await
                .expect_err("closed")
        ),
        Refusal::Closed
    );
}

/// A server keeps an activity's terms a few seconds to refuse early; what it admits is
/// asked again of the row as committed, under the activity's lock. Each term changed
/// behind the server's back (another server, an edit from outside) is kept.
#[tokio::test]
async fn terms_a_server_keeps_never_admit_what_the_row_refuses() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let db = Database::connect(&url).await.expect("db");
    let mut n = 0;
    for (change, expected) in [
        ("audience = 'members'", Some(Refusal::MembersOnly)),
        ("per_person = 1", None),
        ("archived = TRUE", None),
    ] {
        let a = s
            .create_activity(&staff, c, &fields("50", "", "公众", "2"))
            .await
            .expect("activity");
        // The first registration reads the terms and keeps them.
        n += 1;
        s.register(None, a.id, &resident(n), 2).await.expect("kept terms");
        db.execute_unprepared(&format!("UPDATE activities SET {change} WHERE id = {}", a.id))
            .await
            .expect("changed behind the server's back");
        n += 1;
        let e = s.register(None, a.id, &resident(n), 2).await.expect_err(change);
        match (expected, e) {
            (Some(r), e) => assert_eq!(refusal(e), r, "{change}"),
            (None, StoreError::Invalid(_)) if change.starts_with("per_person") => {}
            (None, StoreError::NotFound) if change.starts_with("archived") => {}
            (None, e) => panic!("{change}: {e:?}"),
        }
        let taken: i64 = db
            .query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT COUNT(*) AS n FROM activity_registrations WHERE activity_id = {}",
                    a.id
                ),
            ))
            .await
            .expect("count")
            .expect("row")
            .try_get("", "n")
            .expect("n");
        assert_eq!(taken, 1, "{change}: nothing written for the refused");
    }
}

#[tokio::test]
async fn a_ballot_is_the_draw_anyone_recomputes_from_its_seed() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let a = s
        .create_activity(&staff, c, &fields("5", "抽签", "公众", "2"))
        .await
        .expect("ballot");
    let mut places = std::collections::HashMap::new();
    for i in 0..30usize {
        let n: u32 = if i % 5 == 0 { 2 } else { 1 };
        let r = s.register(None, a.id, &resident(i), n).await.expect("entered");
        assert_eq!(r.status, "entered", "no place before the draw");
        places.insert(r.id, n);
    }
    assert_eq!(
        refusal(s.draw_ballot(&staff, a.id).await.expect_err("still open")),
        Refusal::BallotStage
    );
    close_window(&url, a.id).await;
    let drawn = s.draw_ballot(&staff, a.id).await.expect("drawn");
    // The draw recomputed here from the published seed alone.
    let mut ids: Vec<i64> = places.keys().copied().collect();
    ids.sort();
    let (mut left, mut want) = (5u32, vec![]);
    for id in ballot_order(&a.seed, &ids) {
        if places[&id] <= left {
            left -= places[&id];
            want.push(id);
        }
    }
    let mut won: Vec<i64> = drawn
        .iter()
        .filter(|r| r.status == "registered")
        .map(|r| r.id)
        .collect();
    won.sort();
    want.sort();
    assert_eq!(won, want);
    assert_eq!(drawn.iter().filter(|r| r.status == "lost").count(), 30 - want.len());
    assert_eq!(s.get_activity(a.id).await.expect("a").taken as u32, 5 - left);
    assert_eq!(
        refusal(s.draw_ballot(&staff, a.id).await.expect_err("twice")),
        Refusal::BallotStage
    );
}

fn with_waitlist(capacity: &str, waitlist: &str) -> ActivityFields {
    let now = china_time(chrono::Utc::now());
    ActivityFields::parse(&ActivityInput {
        title: "红色寻访",
        kind: "参观",
        audience: "公众",
        capacity,
        waitlist,
        confirm_hours: "2",
        starts_at: Some(now + Duration::days(2)),
        ends_at: Some(now + Duration::days(2) + Duration::hours(2)),
        opens_at: Some(now - Duration::hours(1)),
        closes_at: Some(now + Duration::days(1)),
        ..Default::default()
    })
    .expect("activity")
}

#[tokio::test]
async fn the_waitlist_fills_in_order_and_places_given_back_go_down_it() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");

    // At once: 40 residents for 5 places and 5 on the waitlist.
    let a = s
        .create_activity(&staff, c, &with_waitlist("5", "5"))
        .await
        .expect("activity");
    let mut tasks = vec![];
    for i in 0..40usize {
        let s = s.clone();
        tasks.push(tokio::spawn(
            async move { s.register(None, a.id, &resident(i), 1).await },
        ));
    }
    let (mut registered, mut waiting, mut sold_out) = (0, vec![], 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(r) if r.status == "registered" => registered += 1,
            Ok(r) if r.status == "waitlisted" => waiting.push(r.position.expect("position")),
            Ok(r) => panic!("{r:?}"),
            Err(e) => {
                assert_eq!(refusal(e), Refusal::SoldOut);
                sold_out += 1;
            }
        }
    }
    waiting.sort();
    assert_eq!((registered, sold_out), (5, 30));
    assert_eq!(waiting, [1, 2, 3, 4, 5], "each waits at its own place in line");
    let v = s.get_activity(a.id).await.expect("a");
    assert_eq!((v.taken, v.waiting), (5, 5));

    // A member waits behind a resident; places given back go down the line.
    let b = s
        .create_activity(&staff, c, &with_waitlist("1", "3"))
        .await
        .expect("activity");
    let first = s.register(None, b.id, &resident(1), 1).await.expect("first");
    let m1 = account(&s, "member-1", Role::Member, "310106012").await;
    let m2 = account(&s, "member-2", Role::Member, "310106012").await;
    let w1 = s.register(Some(&m1), b.id, &Registrant::Account, 1).await.expect("w1");
    let w2 = s.register(None, b.id, &resident(2), 1).await.expect("w2");
    let w3 = s.register(Some(&m2), b.id, &Registrant::Account, 1).await.expect("w3");
    assert_eq!([w1.position, w2.position, w3.position], [Some(1), Some(2), Some(3)]);
    assert_eq!(
        refusal(s.register(None, b.id, &resident(9), 1).await.expect_err("full")),
        Refusal::SoldOut
    );
    // The first cancels: the member first in line is offered the place and holds it.
    s.cancel_registration(&staff, first.id).await.expect("cancel");
    let mine = s.my_registrations(&m1).await.expect("mine");
    assert_eq!(mine[0].status, "offered");
    assert!(mine[0].offer_expires_at.is_some());
    let late = s.register(None, b.id, &resident(8), 1).await.expect("waits");
    assert_eq!(
        (late.status.as_str(), late.position),
        ("waitlisted", Some(3)),
        "an offered place is held: a newcomer waits behind those still in line"
    );
    // Another's offer is not theirs to confirm; the member confirms in time.
    assert!(s.confirm_offer(&m2, w1.id).await.is_err());
    let confirmed = s.confirm_offer(&m1, w1.id).await.expect("confirmed");
    assert_eq!(confirmed.status, "registered");
    // The member gives it back: the resident next in line has no one to confirm, and is
    // registered at once.
    s.cancel_registration(&m1, w1.id).await.expect("own");
    let list = s.list_registrations(&staff, b.id).await.expect("list");
    let status_of = |id: i64| list.iter().find(|r| r.id == id).map(|r| r.status.clone());
    assert_eq!(status_of(w2.id).as_deref(), Some("registered"));
    assert_eq!(status_of(w3.id).as_deref(), Some("waitlisted"));
    assert_eq!(list.iter().find(|r| r.id == w3.id).and_then(|r| r.position), Some(1));
    assert_eq!(list.iter().find(|r| r.id == late.id).and_then(|r| r.position), Some(2));

    // An offer not confirmed in time expires; its place goes on to the next.
    s.cancel_registration(&staff, w2.id).await.expect("cancel");
    assert_eq!(s.my_registrations(&m2).await.expect("m2")[0].status, "offered");
    let db = Database::connect(&url).await.expect("db");
    db.execute_unprepared(&format!(
        "UPDATE activity_registrations SET offer_expires_at = '2000-01-01 00:00:00+00:00' WHERE id = {}",
        w3.id
    ))
    .await
    .expect("expired");
    assert_eq!(
        refusal(s.confirm_offer(&m2, w3.id).await.expect_err("late")),
        Refusal::OfferExpired
    );
    assert_eq!(s.my_registrations(&m2).await.expect("m2")[0].status, "expired");
    let list = s.list_registrations(&staff, b.id).await.expect("list");
    assert_eq!(
        list.iter().find(|r| r.id == late.id).map(|r| r.status.as_str()),
        Some("registered"),
        "the expired offer's place went to the next in line"
    );
    let v = s.get_activity(b.id).await.expect("b");
    assert_eq!((v.taken, v.waiting), (1, 0));

    // Whoever leaves the line and comes back joins its end; an expired offer may
    // register again.
    let r7 = s.register(None, b.id, &resident(7), 1).await.expect("r7");
    let again = s
        .register(Some(&m2), b.id, &Registrant::Account, 1)
        .await
        .expect("after expiry");
    assert_eq!((r7.position, again.position), (Some(1), Some(2)));
    s.cancel_registration(&staff, r7.id).await.expect("left");
    let back = s.register(None, b.id, &resident(7), 1).await.expect("back");
    assert_eq!(
        (back.id, back.position),
        (r7.id, Some(2)),
        "the same registration, at the end"
    );
    let list = s.list_registrations(&staff, b.id).await.expect("list");
    assert_eq!(list.iter().find(|r| r.id == again.id).and_then(|r| r.position), Some(1));
    assert_eq!(list.iter().find(|r| r.id == back.id).and_then(|r| r.position), Some(2));
}

/// An offer from the waitlist expires when it is due, not when someone next looks: the
/// sweep the server runs every half minute settles it, the next member in line is
/// offered the place and the resident after them waits on; an offer still in time, and
/// an activity with none due, are left as they are.
#[tokio::test]
async fn an_offer_expires_when_due_and_the_next_in_line_is_offered() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let b = s
        .create_activity(&staff, c, &with_waitlist("1", "3"))
        .await
        .expect("activity");
    let untouched = s
        .create_activity(&staff, c, &with_waitlist("1", "3"))
        .await
        .expect("activity");
    let first = s.register(None, b.id, &resident(1), 1).await.expect("first");
    let m1 = account(&s, "member-1", Role::Member, "310106012").await;
    let m2 = account(&s, "member-2", Role::Member, "310106012").await;
    let w1 = s.register(Some(&m1), b.id, &Registrant::Account, 1).await.expect("w1");
    let w2 = s.register(Some(&m2), b.id, &Registrant::Account, 1).await.expect("w2");
    let w3 = s.register(None, b.id, &resident(2), 1).await.expect("w3");
    s.register(None, untouched.id, &resident(3), 1).await.expect("other");
    s.cancel_registration(&staff, first.id).await.expect("cancel");
    assert_eq!(s.my_registrations(&m1).await.expect("m1")[0].status, "offered");
    // Nothing due yet: the sweep settles nothing.
    assert_eq!(s.settle_expired_offers().await.expect("sweep"), 0);
    assert_eq!(s.my_registrations(&m1).await.expect("m1")[0].status, "offered");

    // The first member lets the time pass; no one looks at the activity.
    Database::connect(&url)
        .await
        .expect("db")
        .execute_unprepared(&format!(
            "UPDATE activity_registrations SET offer_expires_at = '2000-01-01 00:00:00+00:00' WHERE id = {}",
            w1.id
        ))
        .await
        .expect("expired");
    assert_eq!(s.settle_expired_offers().await.expect("sweep"), 1);
    assert_eq!(s.my_registrations(&m1).await.expect("m1")[0].status, "expired");
    let next = &s.my_registrations(&m2).await.expect("m2")[0];
    assert_eq!((next.id, next.status.as_str()), (w2.id, "offered"));
    assert!(next.offer_expires_at.is_some_and(|t| t > chrono::Utc::now()));
    let list = s.list_registrations(&staff, b.id).await.expect("list");
    let w3_now = list.iter().find(|r| r.id == w3.id).expect("w3");
    assert_eq!((w3_now.status.as_str(), w3_now.position), ("waitlisted", Some(1)));
    let v = s.get_activity(b.id).await.expect("b");
    assert_eq!(
        (v.taken, v.waiting),
        (1, 1),
        "recounted: one place held by the offer, one waiting"
    );
    // Settled once: the next sweep finds nothing.
    assert_eq!(s.settle_expired_offers().await.expect("sweep"), 0);
    let other = s.get_activity(untouched.id).await.expect("other");
    assert_eq!((other.taken, other.waiting), (1, 0));
}

/// Check-in: the ticket a registration carries reads back with the public key alone;
/// the first scan counts, a second (even at once, at another door) is refused, a scan
/// sent again under its nonce hears its first answer; tickets of another activity,
/// altered ones and cancelled registrations' are refused; attendance counts each once.
#[tokio::test]
async fn a_ticket_is_checked_in_once_however_often_it_is_scanned() {
    let (s, url, _d) = store_at().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let (a, other) = two_activities(&s, &staff, c, "2").await;
    let r = s.register(None, a.id, &resident(1), 2).await.expect("registered");
    let ticket = r.ticket.clone().expect("a ticket with the place");
    // Offline: the public key alone checks it, and it names no person.
    let key = tongxin_domain::activities::public_key(&s.checkin_public_key().await.expect("key")).expect("key");
    let t = tongxin_domain::activities::Ticket::verify(&ticket, &key).expect("signed");
    assert_eq!((t.registration, t.activity, t.places), (r.id, a.id, 2));
    assert!(!ticket.contains("1390000"), "no phone in the ticket");

    // Ten scans at once, each with its own nonce (ten doors): one counts.
    let mut tasks = vec![];
    for i in 0..10 {
        let (s, staff, ticket) = (s.clone(), staff.clone(), ticket.clone());
        tasks.push(tokio::spawn(async move {
            s.check_in(&staff, a.id, &ticket, &format!("door-{i}-nonce")).await
        }));
    }
    let mut counted = 0;
    for t in tasks {
        match t.await.expect("task") {
            Ok(v) => {
                assert_eq!((v.registration_id, v.places), (r.id, 2));
                counted += 1;
            }
            Err(e) => assert_eq!(refusal(e), Refusal::CheckedInAlready),
        }
    }
    assert_eq!(counted, 1, "a double scan counts once");
    // The counted scan sent again under its nonce: the same answer, nothing more.
    let mut replayed = 0;
    for i in 0..10 {
        if s.check_in(&staff, a.id, &ticket, &format!("door-{i}-nonce"))
            .await
            .is_ok()
        {
            replayed += 1;
        }
    }
    assert_eq!(replayed, 1, "only the nonce that counted answers 'checked in' again");

    // Another activity's door, an altered ticket, a cancelled registration.
    assert_eq!(
        refusal(
            s.check_in(&staff, other.id, &ticket, "other-door-1")
                .await
                .expect_err("elsewhere")
        ),
        Refusal::TicketElsewhere
    );
    let mut altered = ticket.clone();
    altered.replace_range(10..11, if &ticket[10..11] == "A" { "B" } else { "A" });
    assert_eq!(
        refusal(
            s.check_in(&staff, a.id, &altered, "altered-1")
                .await
                .expect_err("altered")
        ),
        Refusal::NotATicket
    );
    let gone = s.register(None, a.id, &resident(2), 1).await.expect("second");
    s.cancel_registration(&staff, gone.id).await.expect("cancelled");
    assert_eq!(
        refusal(
            s.check_in(&staff, a.id, gone.ticket.as_deref().expect("ticket"), "cancelled-1")
                .await
                .expect_err("cancelled")
        ),
        Refusal::NoPlace
    );
    // A nonce that is not one, and another street's office (as not found).
    assert!(matches!(
        s.check_in(&staff, a.id, &ticket, "x").await,
        Err(StoreError::Invalid(_))
    ));
    assert!(matches!(
        s.check_in(&office("310106013"), a.id, &ticket, "foreign-door-1").await,
        Err(StoreError::NotFound)
    ));

    // Attendance, recounted: one of one registration holding places came (2 places).
    let third = s.register(None, a.id, &resident(3), 1).await.expect("third");
    assert!(third.ticket.is_some());
    let at = s.attendance(&staff, a.id).await.expect("attendance");
    assert_eq!(
        (at.registered, at.registered_places, at.attended, at.attended_places),
        (2, 3, 1, 2)
    );
    assert_eq!(at.no_show_rate, None, "not started: nobody has failed to come yet");
    // Once it has started, one of two did not come.
    set_past(&url, a.id, "starts_at", 5).await;
    let at = s.attendance(&staff, a.id).await.expect("attendance");
    assert_eq!(at.no_show_rate, Some(0.5));
    // The staff's list shows when each came.
    let rows = s.list_registrations(&staff, a.id).await.expect("list");
    assert!(
        rows.iter()
            .find(|x| x.id == r.id)
            .is_some_and(|x| x.checked_in_at.is_some())
    );
    assert!(rows.iter().all(|x| x.ticket.is_none()), "staff lists carry no tickets");
}

/// The desk checks in someone without their ticket: found by name or by the last four
/// digits of their phone (masked in the answer; LIKE's own characters match only
/// themselves), counted once whether by hand or by ticket, and audited; another
/// activity's registration, one without a place and another street's office are refused.
#[tokio::test]
async fn the_desk_checks_in_someone_without_their_ticket_once() {
    let (s, _d) = store().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let (a, other) = two_activities(&s, &staff, c, "").await;
    let named = |name: &str, phone: &str| Registrant::Resident {
        name: name.into(),
        phone: Phone::parse(phone).expect("phone"),
    };
    let chen = s
        .register(None, a.id, &named("陈阿姨", "13812345678"), 1)
        .await
        .expect("chen");
    let li = s
        .register(None, a.id, &named("李_伯伯", "13987655678"), 1)
        .await
        .expect("li");
    let gone = s.register(None, a.id, &resident(7), 1).await.expect("gone");
    s.cancel_registration(&staff, gone.id).await.expect("cancelled");
    let elsewhere = s.register(None, other.id, &resident(8), 1).await.expect("elsewhere");

    let ids = |v: Vec<tongxin_store::activities::RegistrationView>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.find_at_desk(&staff, a.id, "陈").await.expect("by name")),
        vec![chen.id]
    );
    // Both phones end in 5678: both found, masked.
    let by_phone = s.find_at_desk(&staff, a.id, "5678").await.expect("by phone");
    assert_eq!(ids(by_phone.clone()), vec![chen.id, li.id]);
    assert!(
        by_phone
            .iter()
            .all(|r| r.phone.as_deref().is_some_and(|p| p.contains("****")))
    );
    // Fewer than four digits search names only; LIKE's characters are themselves.
    assert!(s.find_at_desk(&staff, a.id, "678").await.expect("three").is_empty());
    assert_eq!(
        ids(s.find_at_desk(&staff, a.id, "_").await.expect("underscore")),
        vec![li.id]
    );
    assert!(s.find_at_desk(&staff, a.id, "%").await.expect("percent").is_empty());
    // Cancelled registrations are not offered; nor another activity's.
    assert!(
        s.find_at_desk(&staff, a.id, "居民")
            .await
            .expect("cancelled")
            .is_empty()
    );
    assert!(matches!(
        s.find_at_desk(&office("310106013"), a.id, "陈").await,
        Err(StoreError::NotFound)
    ));

    let audits = s.audit_count("checkin_at_desk").await.expect("count");
    let v = s
        .check_in_at_desk(&staff, a.id, chen.id, "desk-nonce-1")
        .await
        .expect("checked in");
    assert_eq!((v.registration_id, v.name.as_str()), (chen.id, "陈阿姨"));
    assert_eq!(s.audit_count("checkin_at_desk").await.expect("count"), audits + 1);
    // The same form sent again: its first answer, nothing more counted or audited.
    assert!(s.check_in_at_desk(&staff, a.id, chen.id, "desk-nonce-1").await.is_ok());
    assert_eq!(s.audit_count("checkin_at_desk").await.expect("count"), audits + 1);
    // A second time by hand, or her ticket at the door after: counted already.
    assert_eq!(
        refusal(
            s.check_in_at_desk(&staff, a.id, chen.id, "desk-nonce-2")
                .await
                .expect_err("twice")
        ),
        Refusal::CheckedInAlready
    );
    assert_eq!(
        refusal(
            s.check_in(&staff, a.id, chen.ticket.as_deref().expect("ticket"), "door-nonce-9")
                .await
                .expect_err("ticket after")
        ),
        Refusal::CheckedInAlready
    );
    for (id, nonce) in [
        (gone.id, "desk-nonce-3"),
        (elsewhere.id, "desk-nonce-4"),
        (i64::MAX, "desk-nonce-5"),
    ] {
        assert_eq!(
            refusal(s.check_in_at_desk(&staff, a.id, id, nonce).await.expect_err("no place")),
            Refusal::NoPlace
        );
    }
    assert!(matches!(
        s.check_in_at_desk(&office("310106013"), a.id, li.id, "desk-nonce-6")
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.audit_count("checkin_at_desk").await.expect("count"), audits + 1);
    let at = s.attendance(&staff, a.id).await.expect("attendance");
    assert_eq!((at.registered, at.attended), (2, 1));
}

/// Vouchers (服务券): a hairdressers' council offers 5 free haircuts to elderly
/// residents; 12 claim at once, 5 hold one; each is redeemed once at the chair, a second
/// scan of the same code refused.
#[tokio::test]
async fn a_voucher_is_claimed_while_they_last_and_redeemed_once() {
    let (s, _d) = store().await;
    let c = centre(&s).await;
    let staff = office("310106012");
    let now = china_time(chrono::Utc::now());
    let f = ActivityFields::parse(&ActivityInput {
        title: "理发行业协会：老年人免费理发券",
        kind: "服务券",
        audience: "公众",
        capacity: "5",
        starts_at: Some(now + Duration::days(1)),
        ends_at: Some(now + Duration::days(30)),
        opens_at: Some(now - Duration::hours(1)),
        closes_at: Some(now + Duration::days(20)),
        ..Default::default()
    })
    .expect("voucher");
    assert_eq!(f.kind, tongxin_domain::activities::ActivityKind::Voucher);
    let v = s.create_activity(&staff, c, &f).await.expect("voucher");
    let mut tasks = vec![];
    for i in 0..12 {
        let s = s.clone();
        tasks.push(tokio::spawn(
            async move { s.register(None, v.id, &resident(i), 1).await },
        ));
    }
    let mut codes = vec![];
    for t in tasks {
        if let Ok(r) = t.await.expect("task") {
            codes.push(r.ticket.expect("a voucher code"));
        }
    }
    assert_eq!(codes.len(), 5, "no more vouchers than offered");
    for (i, code) in codes.iter().enumerate() {
        let r = s.check_in(&staff, v.id, code, &format!("chair-{i}-first")).await;
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(
            refusal(
                s.check_in(&staff, v.id, code, &format!("chair-{i}-again"))
                    .await
                    .expect_err("twice")
            ),
            Refusal::CheckedInAlready
        );
    }
    assert_eq!(s.attendance(&staff, v.id).await.expect("a").attended, 5);
}

/// Residents registered in bulk (a list brought from another system): never more
/// places than there are, a phone once, the count kept with the activity recounted.
#[tokio::test]
async fn a_bulk_list_takes_no_more_places_than_there_are() {
    let (s, _d) = store().await;
    let c = centre(&s).await;
    let a = s
        .create_activity(&office("310106012"), c, &fields("5", "", "公众", ""))
        .await
        .expect("activity");
    let people: Vec<(String, Phone)> = [1, 2, 2, 3, 4, 5, 6, 7]
        .iter()
        .map(|i| (format!("居民{i}"), Phone::parse(&format!("139{i:08}")).expect("phone")))
        .collect();
    assert!(matches!(
        s.bulk_register_residents(&office("310106012"), a.id, &people).await,
        Err(StoreError::Forbidden)
    ));
    let n = s
        .bulk_register_residents(&Actor::system("t"), a.id, &people)
        .await
        .expect("bulk");
    let rows = s.list_registrations(&office("310106012"), a.id).await.expect("list");
    let held = rows.iter().filter(|r| r.status == "registered").count();
    assert_eq!((n, held), (5, 5));
    assert_eq!(s.get_activity(a.id).await.expect("a").taken, 5);
    let phones: HashSet<&str> = rows.iter().filter_map(|r| r.phone.as_deref()).collect();
    assert_eq!(phones.len(), rows.len(), "a phone once");
}
