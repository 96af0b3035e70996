//! Browser tests in Debian's headless Chromium through chromedriver. Without them a
//! browser test shows as ignored with how to install them (the crate's build script
//! looks); under CI=true it runs, and a missing browser fails it.

use crate::*;
use chrono::Datelike;
use fantoccini::{ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};

struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Browser tests run one at a time: two Chromiums on two cores make timing, not the
/// product, the thing under test.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn driver() -> Driver {
    let bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    assert!(
        std::path::Path::new(&bin).exists(),
        "chromedriver not found: install Debian's browser with `apt-get install chromium chromium-driver` (or set CHROMEDRIVER)"
    );
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Driver { child, url }
}

async fn browser(d: &Driver, width: u32) -> fantoccini::Client {
    browser_sized(d, width, 900).await
}

/// Saves what the browser shows as `docs/screenshots/<name>.png` when
/// `TONGXIN_SCREENSHOTS` names that folder (`scripts/screenshots` does): the README's
/// pictures come from the browser tests, so they show what the tests check.
async fn shot(c: &fantoccini::Client, name: &str) {
    let Ok(dir) = std::env::var("TONGXIN_SCREENSHOTS") else {
        return;
    };
    let png = c.screenshot().await.expect("screenshot");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(format!("{dir}/{name}.png"), png).expect("write screenshot");
}

async fn browser_sized(d: &Driver, width: u32, height: u32) -> fantoccini::Client {
    browser_with(d, width, height, &[]).await
}

/// A browser whose camera films `y4m` (a video in YUV4MPEG2), over and over: Chromium's
/// fake capture device, its permission granted.
async fn browser_filming(d: &Driver, width: u32, y4m: &std::path::Path) -> fantoccini::Client {
    let args = [
        "--use-fake-ui-for-media-stream".to_string(),
        "--use-fake-device-for-media-stream".to_string(),
        format!("--use-file-for-fake-video-capture={}", y4m.display()),
    ];
    browser_with(d, width, 900, &args).await
}

async fn browser_with(d: &Driver, width: u32, height: u32, extra: &[String]) -> fantoccini::Client {
    let profile = tempfile::tempdir().expect("profile").keep();
    let mut args: Vec<String> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--window-size={width},{height}"));
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend_from_slice(extra);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": args,
        }),
    );
    if let Some(opts) = caps.get_mut("goog:chromeOptions").and_then(|o| o.as_object_mut()) {
        if width < 500 {
            opts.insert(
                "mobileEmulation".into(),
                json!({"deviceMetrics": {"width": width, "height": 844, "pixelRatio": 3.0}}),
            );
        } else if height != 900 || width == 1440 {
            // A screen of exactly this size (the window's own bars take no room from it).
            opts.insert(
                "mobileEmulation".into(),
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0, "mobile": false, "touch": false}}),
            );
        }
    }
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&d.url)
        .await
        .expect("connect to chromedriver")
}

/// Clicks something that loads a new page and waits until that page has loaded: the old
/// document is marked, and the wait ends when a document without the mark is complete.
async fn click_and_load(c: &fantoccini::Client, locator: Locator<'_>) {
    c.execute("window.__tongxin_old_page = true", vec![])
        .await
        .expect("mark page");
    c.find(locator)
        .await
        .expect("element to click")
        .click()
        .await
        .expect("click");
    for _ in 0..300 {
        let done = c
            .execute(
                "return !window.__tongxin_old_page && document.readyState === 'complete'",
                vec![],
            )
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(false);
        if done {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the page did not load after a click: {}",
        c.source().await.unwrap_or_default()
    );
}

async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    // Waits: a click that submits a form returns before the next page has loaded.
    match c
        .wait()
        .at_most(std::time::Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e.text().await.expect("text"),
        Err(e) => panic!("{css}: {e}\n{}", c.source().await.unwrap_or_default()),
    }
}

/// Opens the console and logs in as `user`.
async fn log_in(c: &fantoccini::Client, app: &App, user: &str) {
    c.goto(&app.url("/")).await.expect("open");
    assert!(c.current_url().await.expect("url").path().ends_with("/login"));
    c.find(Locator::Id("username"))
        .await
        .expect("username")
        .send_keys(user)
        .await
        .expect("type");
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    click_and_load(c, Locator::Id("login")).await;
}

/// Log in; drill into a street; create a unit with a wrong credit code and see the message
/// beside the field; import a workbook and see its rows; log out.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn a_street_office_day_in_the_console() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    let c = browser(&d, 1200).await;

    log_in(&c, &app, "district").await;
    assert_eq!(text_of(&c, "h1").await, "静安区");
    assert_eq!(text_of(&c, "#count-units").await, "2");

    // Drill into 南京西路街道 from the table of streets.
    click_and_load(&c, Locator::LinkText("南京西路街道")).await;
    assert_eq!(text_of(&c, "h1").await, "南京西路街道");
    assert_eq!(text_of(&c, "#count-units").await, "1");
    assert!(text_of(&c, ".crumbs").await.contains("静安区"));

    // A unit with a wrong credit code: the message stands beside the field.
    c.goto(&app.url("/units/new")).await.expect("new");
    c.find(Locator::Id("f-name"))
        .await
        .expect("name")
        .send_keys("上海错码科技有限公司")
        .await
        .expect("type");
    c.find(Locator::Id("f-credit_code"))
        .await
        .expect("code")
        .send_keys("91310106MA1FL2AB3Y")
        .await
        .expect("type");
    c.find(Locator::Id("f-division"))
        .await
        .expect("division")
        .clear()
        .await
        .expect("clear");
    c.find(Locator::Id("f-division"))
        .await
        .expect("division")
        .send_keys(STREET_A)
        .await
        .expect("type");
    click_and_load(&c, Locator::Id("save")).await;
    let msg = text_of(&c, "#error-credit_code").await;
    assert!(msg.contains("统一社会信用代码不正确"), "{msg}");
    assert_eq!(
        c.find(Locator::Id("f-name"))
            .await
            .expect("name")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("上海错码科技有限公司")
    );

    // The same page in English.
    click_and_load(&c, Locator::Id("lang-switch")).await;
    c.goto(&app.url("/units")).await.expect("units");
    assert!(text_of(&c, "#total").await.contains("in all"));

    // Import a workbook and see its rows.
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("units.csv");
    std::fs::write(
        &file,
        format!(
            "单位名称,单位类型,统一社会信用代码,所属街道\n浏览器导入公司,企业,{},南京西路街道\n",
            credit_code(9001)
        ),
    )
    .expect("write");
    c.goto(&app.url("/import")).await.expect("import");
    c.find(Locator::Id("file"))
        .await
        .expect("file")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose");
    click_and_load(&c, Locator::Id("upload")).await;
    assert!(
        c.find(Locator::Id("committed")).await.is_ok(),
        "import not committed: {}",
        c.source().await.unwrap_or_default()
    );
    let sheets = text_of(&c, "#import-sheets").await;
    assert!(sheets.contains("units"), "{sheets}");
    c.goto(&app.url("/units?q=浏览器导入")).await.expect("search");
    assert!(text_of(&c, "#list").await.contains("浏览器导入公司"));

    // Log out: the console asks for a login again.
    click_and_load(&c, Locator::Id("logout")).await;
    c.goto(&app.url("/units")).await.expect("units");
    assert!(c.current_url().await.expect("url").path().ends_with("/login"));
    c.close().await.expect("close");
}

/// At phone width (375 px, as in WeChat's browser) every page of every role fits: no
/// sideways scrolling, the menu folded behind a button that opens it, lists as cards. At
/// 1440 px every page fits too, each in Chinese and in English.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn every_page_fits_a_phone_and_a_desktop() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    let s = street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    let sys = tongxin_store::Actor::system("t");
    let ins = app
        .store
        .ensure_instructor(
            &sys,
            "周指导员",
            None,
            &tongxin_domain::codes::DivisionCode::parse(STREET_A).expect("code"),
        )
        .await
        .expect("instructor");
    account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
    account(&app, "mem", Role::Member, None, Some(s.org.0)).await;
    let mem = app
        .store
        .list_accounts(&sys)
        .await
        .expect("accounts")
        .into_iter()
        .find(|a| a.username == "mem")
        .expect("mem")
        .id;
    app.store.link_member(&sys, mem, s.member).await.expect("link");
    // The street's service centre, with rooms and a unit it serves by name.
    let centre = app
        .store
        .create_centre(
            &sys,
            &tongxin_domain::centres::CentreFields::parse(
                "南京西路街道党群服务中心",
                "街道",
                STREET_A,
                "南京西路某号",
                Some((121.46, 31.22)),
                "周一至周五 9:00-17:00；周六 9:00-12:00",
                "021-62171234",
            )
            .expect("centre"),
        )
        .await
        .expect("centre")
        .id;
    for (room, n) in [("红色会客厅（可容纳三十人的会客室）", "30"), ("阅览角", "12")] {
        app.store
            .add_room(
                &sys,
                centre,
                &tongxin_domain::centres::RoomFields::parse(room, n).expect("room"),
            )
            .await
            .expect("room");
    }
    app.store.serve_unit(&sys, centre, s.unit).await.expect("serve");
    // A booking of the first room on the next weekday, and a closed day a week on.
    let mut day = tongxin_store::activities::now().date() + chrono::Duration::days(1);
    while matches!(day.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun) {
        day += chrono::Duration::days(1);
    }
    let rooms = app.store.get_centre(&sys, centre).await.expect("centre").rooms;
    app.store
        .book_room(
            &sys,
            centre,
            rooms[0].id,
            &tongxin_store::centres::BookingInput {
                booked_for: "上海某某信息科技有限公司党支部（联合党支部）".into(),
                purpose: "主题党日活动".into(),
                people: "25".into(),
                starts_at: day.and_hms_opt(10, 0, 0),
                ends_at: day.and_hms_opt(11, 30, 0),
            },
        )
        .await
        .expect("booked");
    app.store
        .add_blackout_day(&sys, centre, day + chrono::Duration::days(7), "设备检修")
        .await
        .expect("closed day");
    account(&app, "centre_a", Role::ServiceCentreStaff, Some(STREET_A), None).await;
    app.store
        .add_centre_staff(&sys, centre, "centre_a")
        .await
        .expect("staff");
    let (conf, conf_member, plenary) = crate::alliance::conference_fixture(&app, &s).await;
    let (need, project) = crate::alliance::project_fixture(&app, conf, plenary, "liaison_a").await;
    let call = crate::alliance::call_fixture(&app, conf, project, "district").await;
    let pair = app
        .store
        .create_pair(
            &sys,
            tongxin_domain::alliance::ConferenceId(conf),
            &tongxin_store::alliance::PairInput {
                fields: tongxin_domain::alliance::PairFields::parse(
                    "firm_community",
                    chrono::NaiveDate::from_ymd_opt(2025, 1, 1),
                    None,
                    "",
                )
                .expect("pair"),
                org_a: None,
                org_b: None,
                firm: Some(s.unit),
                community: tongxin_domain::codes::DivisionCode::parse("310106012002").ok(),
            },
        )
        .await
        .expect("pair")
        .id;
    // An activity at the centre, the member registered (a ticket on their page).
    let activity = app
        .store
        .create_activity(&sys, centre, &activity_fields("“四史”学习教育专题讲座（第二讲）", "20"))
        .await
        .expect("activity")
        .id;
    // A public one, whose residents' page has the form.
    let now = tongxin_domain::activities::china_time(chrono::Utc::now());
    let public = app
        .store
        .create_activity(
            &sys,
            centre,
            &tongxin_domain::activities::ActivityFields::parse(&tongxin_domain::activities::ActivityInput {
                title: "社区为老服务日：义诊、理发、法律咨询（面向辖区全体居民）",
                kind: "志愿服务",
                audience: "公众",
                capacity: "40",
                per_person: "2",
                place: "一楼大厅",
                starts_at: Some(now + chrono::Duration::days(3)),
                ends_at: Some(now + chrono::Duration::days(3) + chrono::Duration::hours(3)),
                opens_at: Some(now - chrono::Duration::hours(1)),
                closes_at: Some(now + chrono::Duration::days(2)),
                ..Default::default()
            })
            .expect("public activity"),
        )
        .await
        .expect("public")
        .id;
    let member_actor = app
        .store
        .token_actor(&app.store.create_api_token(&sys, "mem", "t").await.expect("token"))
        .await
        .expect("actor")
        .expect("mem");
    app.store
        .register(
            Some(&member_actor),
            activity,
            &tongxin_store::activities::Registrant::Account,
            1,
        )
        .await
        .expect("registered");
    let street_pages = vec![
        "/".to_string(),
        "/coverage".into(),
        "/coverage/gaps/uncovered_units".into(),
        "/coverage/gaps/renewals".into(),
        "/coverage/screen".into(),
        format!("/coverage/chain/{}", s.unit),
        "/carriers".into(),
        "/units".into(),
        "/orgs".into(),
        "/members".into(),
        "/instructors".into(),
        format!("/instructors/{}", ins.id),
        format!("/instructors/{}/edit", ins.id),
        "/instructors/new".into(),
        format!("/carriers/{}", s.carrier),
        format!("/units/{}", s.unit),
        format!("/orgs/{}", s.org),
        format!("/members/{}", s.member),
        format!("/carriers/{}/edit", s.carrier),
        format!("/units/{}/edit", s.unit),
        format!("/orgs/{}/edit", s.org),
        format!("/members/{}/edit", s.member),
        "/units/new".into(),
        "/orgs/new".into(),
        format!("/units/{}/join", s.unit),
        format!("/units/{}/instructor", s.unit),
        format!("/orgs/{}/renew", s.org),
        "/import".into(),
        format!("/pick/units?q={}", urlencode("科技")),
        format!("/units?q={}", urlencode("科技")),
        format!("/members?q={}", urlencode("王")),
        "/centres".into(),
        "/centres/new".into(),
        format!("/centres/{}", centre.0),
        format!("/centres/{}/edit", centre.0),
        "/alliance".into(),
        format!("/alliance/{conf}"),
        format!("/alliance/{conf}/plenaries/{plenary}"),
        format!("/alliance/{conf}/posts"),
        format!("/alliance/{conf}/posts/{need}"),
        format!("/alliance/{conf}/projects"),
        format!("/alliance/projects/{project}"),
        format!("/alliance/{conf}/calls"),
        format!("/alliance/calls/{call}"),
        format!("/alliance/{conf}/pairs"),
        format!("/alliance/pairs/{pair}"),
        format!("/alliance/{conf}/summary"),
        format!("/activities/{activity}"),
        format!("/centres/{}/activities/new", centre.0),
        format!("/centres/{}/bookings", centre.0),
    ];
    let district_pages = vec![
        "/".to_string(),
        "/accounts".into(),
        "/accounts/new".into(),
        "/centres".into(),
        "/alliance".into(),
        "/alliance/new".into(),
        format!("/alliance/{conf}"),
        format!("/alliance/{conf}?left=true"),
        format!("/alliance/{conf}/edit"),
        format!("/alliance/{conf}/members/{conf_member}"),
        format!("/alliance/{conf}/plenaries/{plenary}"),
        format!("/alliance/{conf}/plenaries/{plenary}/record"),
        format!("/alliance/{conf}/posts?kind=need"),
        format!("/alliance/{conf}/posts/new?kind=resource"),
        format!("/alliance/{conf}/posts/{need}"),
        format!("/alliance/{conf}/posts/{need}/edit"),
        format!("/alliance/{conf}/projects"),
        format!("/alliance/{conf}/projects?stage=signed"),
        format!("/alliance/{conf}/projects/new?need={need}"),
        format!("/alliance/projects/{project}"),
        format!("/alliance/projects/{project}/edit"),
        format!("/alliance/{conf}/calls"),
        format!("/alliance/calls/{call}"),
        format!("/alliance/{conf}/pairs"),
        format!("/alliance/pairs/{pair}"),
        format!("/alliance/{conf}/summary"),
    ];
    let liaison_pages = vec![
        "/alliance/mine".to_string(),
        format!("/alliance/{conf}/posts/new?kind=need"),
        format!("/alliance/{conf}/posts/{need}"),
        format!("/alliance/{conf}/projects?stage=open"),
        format!("/alliance/projects/{project}"),
        format!("/alliance/calls/{call}"),
    ];
    // The member's own page last: its checks below read the page left open.
    let member_pages = vec![
        "/alliance/published".to_string(),
        "/near".into(),
        "/me/registrations".into(),
        format!("/activities/{activity}"),
        format!("/centres/{}/bookings", centre.0),
        format!("/public/activities/{activity}"),
        format!("/public/activities/{public}"),
        "/me".to_string(),
    ];
    let staff_pages = vec![
        "/".to_string(),
        format!("/centres/{}/edit", centre.0),
        format!("/activities/{activity}"),
        format!("/activities/{activity}/scan"),
        format!("/centres/{}/activities/new", centre.0),
        format!("/centres/{}/bookings", centre.0),
    ];
    for (lang, width) in [("zh-CN", 375), ("en", 375), ("zh-CN", 1440), ("en", 1440)] {
        for (user, pages) in [
            ("street_a", &street_pages),
            ("district", &district_pages),
            ("mem", &member_pages),
            ("centre_a", &staff_pages),
            ("liaison_a", &liaison_pages),
        ] {
            let c = browser(&d, width).await;
            log_in(&c, &app, user).await;
            if lang == "en" {
                c.goto(&app.url("/lang?to=en")).await.expect("english");
            }
            for path in pages.iter() {
                c.goto(&app.url(path)).await.expect("page");
                let w: serde_json::Value = c
                    .execute(
                        "return [document.documentElement.scrollWidth, window.innerWidth, document.title]",
                        vec![],
                    )
                    .await
                    .expect("js");
                assert_eq!(w[1], width, "viewport: {w}");
                assert!(
                    w[0].as_i64() <= w[1].as_i64(),
                    "{user} {lang} {path} scrolls sideways at {width} px: {w}"
                );
                assert!(!w[2].as_str().unwrap_or_default().is_empty(), "{path}: no title");
            }
            // On a phone the menu is folded: a button opens it.
            if user == "street_a" && width == 375 {
                c.goto(&app.url("/units")).await.expect("units");
                let shown = |c: &fantoccini::Client| {
                    let c = c.clone();
                    async move {
                        c.execute(
                            "return getComputedStyle(document.getElementById('menu')).display",
                            vec![],
                        )
                        .await
                        .expect("js")
                    }
                };
                assert_eq!(shown(&c).await, "none");
                c.find(Locator::Id("menu-button"))
                    .await
                    .expect("button")
                    .click()
                    .await
                    .expect("open");
                assert_eq!(shown(&c).await, "flex");
                // Lists are cards: each cell says what it is.
                let label: serde_json::Value = c
                    .execute(
                        "return getComputedStyle(document.querySelector('#list td'), '::before').content",
                        vec![],
                    )
                    .await
                    .expect("js");
                assert!(label.as_str().is_some_and(|l| l.len() > 2), "{label}");
            }
            if user == "street_a" && lang == "zh-CN" && width == 1440 {
                c.goto(&app.url(&format!("/centres/{}", centre.0)))
                    .await
                    .expect("centre");
                shot(&c, "centre").await;
            }
            if user == "district" && lang == "zh-CN" && width == 375 {
                c.goto(&app.url(&format!("/alliance/{conf}/plenaries/{plenary}")))
                    .await
                    .expect("plenary");
                shot(&c, "plenary-phone").await;
            }
            if user == "liaison_a" && lang == "zh-CN" && width == 375 {
                c.goto(&app.url("/alliance/mine")).await.expect("mine");
                shot(&c, "liaison-phone").await;
                c.goto(&app.url(&format!("/alliance/{conf}/posts/{need}")))
                    .await
                    .expect("post");
                // Suggestions for the need, each with its reasons in words.
                let found = text_of(&c, "#matches").await;
                assert!(
                    found.contains("三甲医院专家义诊进社区") && found.contains("含义相同"),
                    "{found}"
                );
                c.execute("document.getElementById('matches-heading').scrollIntoView()", vec![])
                    .await
                    .expect("scroll");
                shot(&c, "matches-phone").await;
            }
            if user == "district" && lang == "zh-CN" && width == 1440 {
                c.goto(&app.url(&format!("/alliance/projects/{project}")))
                    .await
                    .expect("project");
                shot(&c, "project").await;
                c.goto(&app.url(&format!("/alliance/calls/{call}")))
                    .await
                    .expect("call");
                shot(&c, "call").await;
            }
            if user == "mem" {
                let me = text_of(&c, "#my-record").await;
                assert!(me.contains("138****8000"), "{me}");
                // The centre serving the member's organisation, with its hours in the
                // page's language.
                let centres = text_of(&c, "#my-centres").await;
                let hours = if lang == "en" {
                    "Mon-Fri 09:00-17:00"
                } else {
                    "周一至周五 09:00-17:00"
                };
                assert!(
                    centres.contains("南京西路街道党群服务中心") && centres.contains(hours),
                    "{centres}"
                );
                if lang == "zh-CN" && width == 375 {
                    shot(&c, "member-phone").await;
                    c.execute("document.getElementById('my-centres').scrollIntoView()", vec![])
                        .await
                        .expect("scroll");
                    shot(&c, "member-centres").await;
                }
            }
            c.close().await.expect("close");
        }
    }
}

/// The coverage dashboard of a street shows the API's figures; a gap-list row opens the
/// record; the big screen renders.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn the_coverage_dashboard_agrees_with_the_api() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    let bare = app
        .store
        .create_unit(
            &Actor::system("fixture"),
            UnitInput {
                fields: UnitFields::parse("甲未覆盖商贸有限公司", "企业", "", "", STREET_A, "").expect("unit"),
                carrier_id: None,
                instructor_id: None,
            },
        )
        .await
        .expect("unit")
        .id;
    let api = Client::new_account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    let (_, f) = api.get(&format!("/api/v1/coverage/summary?division={STREET_A}")).await;
    let c = browser(&d, 1200).await;
    log_in(&c, &app, "district").await;

    // The district's dashboard, then drill into the street.
    click_and_load(&c, Locator::Id("nav-coverage")).await;
    assert!(text_of(&c, "h1").await.contains("静安区"));
    click_and_load(&c, Locator::LinkText("南京西路街道")).await;
    assert!(text_of(&c, "h1").await.contains("南京西路街道"));
    assert_eq!(text_of(&c, "#stat-units-total").await, f["units_total"].to_string());
    let rate = format!("{:.1}%", f["org_coverage_rate"].as_f64().expect("rate") * 100.0);
    assert_eq!(text_of(&c, "#stat-org-rate").await, rate);
    assert_eq!(
        text_of(&c, "#stat-carriers").await,
        format!("{}/{}", f["carriers_fully_covered"], f["carriers_total"])
    );
    assert_eq!(
        text_of(&c, "#gap-uncovered_units .stat").await,
        f["units_uncovered"].to_string()
    );

    // The gap count opens the list; its row opens the unit.
    click_and_load(&c, Locator::Id("gap-uncovered_units")).await;
    click_and_load(&c, Locator::LinkText("甲未覆盖商贸有限公司")).await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with(&format!("/units/{bare}"))
    );
    assert_eq!(text_of(&c, "h1").await, "甲未覆盖商贸有限公司");

    // The big screen, and the dashboard at phone width without sideways scrolling.
    c.goto(&app.url(&format!("/coverage/screen?division={STREET_A}")))
        .await
        .expect("screen");
    assert_eq!(text_of(&c, "#stat-units-total").await, f["units_total"].to_string());
    assert!(c.find(Locator::Id("fullscreen")).await.is_ok());
    c.close().await.expect("close");
    let phone = browser(&d, 390).await;
    log_in(&phone, &app, "district").await;
    phone
        .goto(&app.url(&format!("/coverage?division={STREET_A}")))
        .await
        .expect("dashboard");
    text_of(&phone, "#stat-units-total").await;
    let wide = phone
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1",
            vec![],
        )
        .await
        .expect("measure");
    assert_eq!(
        wide.as_bool(),
        Some(false),
        "the dashboard scrolls sideways at phone width"
    );
    phone.close().await.expect("close");
}

/// Waits until `js` (an expression) is true in the page.
async fn wait_for(c: &fantoccini::Client, js: &str) {
    for _ in 0..200 {
        let ok = c
            .execute(&format!("return !!({js})"), vec![])
            .await
            .map(|v| v.as_bool() == Some(true))
            .unwrap_or(false);
        if ok {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never true: {js}\n{}", c.source().await.unwrap_or_default());
}

/// Types into a picker, waits for the suggestion that contains `pick` and clicks it.
async fn pick(c: &fantoccini::Client, field: &str, typed: &str, pick: &str) {
    let input = c.find(Locator::Id(&format!("f-{field}"))).await.expect("picker input");
    input.clear().await.expect("clear");
    input.send_keys(typed).await.expect("type");
    let option = format!("#pick-{field} .pick-option[data-label*='{pick}']");
    wait_for(c, &format!("document.querySelector(\"{option}\")")).await;
    c.find(Locator::Css(&option))
        .await
        .expect("suggestion")
        .click()
        .await
        .expect("click suggestion");
}

/// The page does not scroll sideways.
async fn fits(c: &fantoccini::Client, what: &str) {
    let w: serde_json::Value = c
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth]",
            vec![],
        )
        .await
        .expect("js");
    assert!(w[0].as_i64() <= w[1].as_i64(), "{what} scrolls sideways: {w}");
}

/// A street office closes each kind of gap from the dashboard without typing an id: a
/// unit joins the joint branch offered, another gets an instructor chosen in the picker,
/// a third founds its own organisation from the prefilled form, a term is renewed; then
/// a unit is added to a joint branch in its form's picker. At desk and phone widths.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn a_street_office_closes_gaps_from_the_dashboard() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    for width in [1440, 375] {
        let app = spawn().await;
        let a = street(&app, STREET_A, "甲").await;
        let sys = tongxin_store::Actor::system("t");
        let s = &app.store;
        let mk = |name: &'static str, n: u32| {
            let s = s.clone();
            let sys = sys.clone();
            async move {
                s.create_unit(
                    &sys,
                    tongxin_store::registry::UnitInput {
                        fields: tongxin_domain::registry::UnitFields::parse(
                            name,
                            "企业",
                            &credit_code(n),
                            "5",
                            STREET_A,
                            "",
                        )
                        .expect("unit"),
                        carrier_id: None,
                        instructor_id: None,
                    },
                )
                .await
                .expect("unit")
                .id
            }
        };
        let member_of_joint = mk("甲联合成员公司", 300).await;
        let joint = s
            .create_org(
                &sys,
                tongxin_store::registry::OrgInput {
                    fields: tongxin_domain::registry::OrgFields::parse(
                        "甲街道联合党支部",
                        "联合党支部",
                        STREET_A,
                        "孙六",
                        None,
                        None,
                    )
                    .expect("org"),
                    parent_id: None,
                    carrier_id: None,
                    unit_ids: vec![member_of_joint],
                },
            )
            .await
            .expect("joint");
        s.ensure_instructor(
            &sys,
            "周指导员",
            None,
            &tongxin_domain::codes::DivisionCode::parse(STREET_A).expect("code"),
        )
        .await
        .expect("instructor");
        let joiner = mk("甲一号公司", 301).await;
        mk("甲二号公司", 302).await;
        mk("甲三号公司", 303).await;
        let extra = mk("甲四号公司", 304).await;
        account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;
        let c = browser(&d, width).await;
        log_in(&c, &app, "street_a").await;
        c.goto(&app.url("/coverage")).await.expect("dashboard");
        let uncovered = text_of(&c, "#gap-uncovered_units .stat").await;
        assert_eq!(uncovered, "4", "{width}");
        if width > 1000 {
            shot(&c, "dashboard").await;
        }
        click_and_load(&c, Locator::Id("gap-uncovered_units")).await;
        fits(&c, "the gap list").await;
        if width > 1000 {
            shot(&c, "gap-list").await;
        }

        // Join: the offered joint branch, one click.
        let row_action =
            |unit: tongxin_domain::registry::UnitId, what: &str| format!("a.{what}[href^='/units/{unit}/{what}']");
        click_and_load(&c, Locator::Css(&row_action(joiner, "join"))).await;
        assert!(text_of(&c, "#offers").await.contains("甲街道联合党支部"));
        fits(&c, "the join page").await;
        if width > 1000 {
            shot(&c, "closing-a-gap").await;
        }
        click_and_load(&c, Locator::Css("#offers .join-button")).await;
        assert!(
            c.current_url()
                .await
                .expect("url")
                .path()
                .starts_with("/coverage/gaps/uncovered_units")
        );
        assert_eq!(
            text_of(&c, "#total").await.split(':').nth(1).map(str::trim),
            Some("3"),
            "{width}"
        );

        // An instructor, chosen in the picker as it is typed.
        click_and_load(&c, Locator::Css("a.instructor")).await;
        pick(&c, "instructor", "周", "周指导员").await;
        click_and_load(&c, Locator::Id("assign")).await;
        assert_eq!(
            text_of(&c, "#total").await.split(':').nth(1).map(str::trim),
            Some("2"),
            "{width}"
        );

        // Its own organisation, from the prefilled founding form.
        click_and_load(&c, Locator::Css("a.found")).await;
        let name = c
            .find(Locator::Id("f-name"))
            .await
            .expect("name")
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default();
        assert!(name.ends_with("党支部"), "{name}");
        fits(&c, "the founding form").await;
        click_and_load(&c, Locator::Id("save")).await;
        assert_eq!(
            text_of(&c, "#total").await.split(':').nth(1).map(str::trim),
            Some("1"),
            "{width}"
        );

        // The last one joins the joint branch through its form's picker: a chip, saved.
        c.goto(&app.url(&format!("/orgs/{}/edit", joint.id)))
            .await
            .expect("edit");
        pick(&c, "unit_ids", "四号", "甲四号公司").await;
        wait_for(
            &c,
            &format!(
                "document.querySelector('#chips-unit_ids input[value=\"{}\"]:checked')",
                extra.0
            ),
        )
        .await;
        fits(&c, "the organisation form").await;
        click_and_load(&c, Locator::Id("save")).await;
        let (_, org) = Client::login(&app, "street_a", PASSWORD)
            .await
            .get(&format!("/api/v1/orgs/{}", joint.id))
            .await;
        assert!(
            org["unit_ids"].as_array().expect("units").contains(&json!(extra.0)),
            "{width}: {org}"
        );
        c.goto(&app.url("/coverage")).await.expect("dashboard");
        assert_eq!(text_of(&c, "#gap-uncovered_units .stat").await, "0", "{width}");

        // A term that has run out, renewed from the renewals list.
        let api = Client::login(&app, "street_a", PASSWORD).await;
        let (_, o) = api.get(&format!("/api/v1/orgs/{}", a.org)).await;
        api.call(
            "put",
            &format!("/api/v1/orgs/{}", a.org),
            Some(json!({"version": o["version"], "term_ends_on": "2025-01-31"})),
        )
        .await;
        c.goto(&app.url("/coverage")).await.expect("dashboard");
        click_and_load(&c, Locator::Id("gap-renewals")).await;
        click_and_load(&c, Locator::Css("a.renew")).await;
        fits(&c, "the renewal form").await;
        click_and_load(&c, Locator::Id("renew-save")).await;
        assert!(
            c.current_url()
                .await
                .expect("url")
                .path()
                .starts_with("/coverage/gaps/renewals")
        );
        let (_, o) = api.get(&format!("/api/v1/orgs/{}", a.org)).await;
        assert!(o["term_ends_on"].as_str().is_some_and(|d| d > "2028"), "{o}");
        c.close().await.expect("close");
    }
}

/// The big screen fits a 1920×1080 and a 1440×900 screen without scrolling, its numbers
/// large enough to read across a room.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn the_big_screen_fits_a_screen() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    street(&app, STREET_A, "甲").await;
    street(&app, STREET_B, "乙").await;
    account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    // A centre's activity this month: the screen's activities panel shows.
    let sys = tongxin_store::Actor::system("fixture");
    let centre = centre_at(&app, "南京西路街道党群服务中心", STREET_A, None).await;
    let first = {
        use chrono::Datelike;
        let today = tongxin_domain::activities::china_time(chrono::Utc::now()).date();
        today.with_day(1).expect("first").and_hms_opt(14, 0, 0).expect("time")
    };
    let f = activity_at(
        "“四史”学习教育专题讲座",
        "200",
        first,
        first - chrono::Duration::days(7),
    );
    app.store.create_activity(&sys, centre, &f).await.expect("activity");
    for (w, h) in [(1920, 1080), (1440, 900)] {
        let c = browser_sized(&d, w, h).await;
        log_in(&c, &app, "district").await;
        c.goto(&app.url("/coverage/screen")).await.expect("screen");
        let panel = text_of(&c, "#activities-panel").await;
        assert!(
            panel.contains("本月党群服务中心活动") && panel.contains("南京西路街道党群服务中心"),
            "{panel}"
        );
        let m: serde_json::Value = c
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth, document.documentElement.scrollHeight, window.innerHeight, parseFloat(getComputedStyle(document.querySelector('.screen-stat .value')).fontSize)]",
                vec![],
            )
            .await
            .expect("js");
        assert!(m[0].as_f64() <= m[1].as_f64(), "{w}x{h} scrolls sideways: {m}");
        assert!(m[2].as_f64() <= m[3].as_f64(), "{w}x{h} scrolls down: {m}");
        assert!(
            m[4].as_f64().is_some_and(|px| px >= 40.0),
            "{w}x{h}: numbers too small to read across a room: {m}"
        );
        if w == 1920 {
            shot(&c, "big-screen").await;
        }
        c.close().await.expect("close");
    }
}

/// Sets a select to the option of `value`.
async fn choose(c: &fantoccini::Client, id: &str, value: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"))
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("{id} = {value}: {e}"));
}

/// Types into an input.
async fn type_into(c: &fantoccini::Client, id: &str, text: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap_or_else(|e| panic!("{id}: {e}"));
    e.clear().await.expect("clear");
    e.send_keys(text).await.expect("type");
}

/// The scenario in one browser run: a liaison posts a need from a phone and
/// sees suggestions; the office turns one into a project; two units claim it; it is
/// signed at the 10th plenary, which also admits two units and hands out plaques; a
/// monthly report is missed and flagged, then filed; the project is recommended, scored
/// and selected as a brand project.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn a_need_from_a_phone_becomes_a_brand_project() {
    use tongxin_domain::alliance::*;
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    let (store, sys) = (&app.store, tongxin_store::Actor::system("fixture"));
    let today = chrono::Utc::now().date_naive();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let c = store
        .create_conference(
            &sys,
            &ConferenceFields::parse("静安区区域化党建联席会议", "310106", day("2014-06-30"), "").expect("c"),
            None,
        )
        .await
        .expect("conference");
    let member = async |name: &str, kind: &str| {
        store
            .add_alliance_member(
                &sys,
                c.id,
                &tongxin_store::alliance::AllianceMemberInput {
                    unit: None,
                    name: Some(name.into()),
                    fields: MemberFields::parse(kind, day("2014-06-30"), None, None).expect("m"),
                },
            )
            .await
            .expect("member")
            .id
    };
    let hospital = member("上海市第一人民医院", "医院").await;
    let bank = member("申城银行静安支行", "国企").await;
    let community = member("南京西路街道某居民区", "居村").await;
    account(&app, "district", Role::DistrictOffice, Some("310106"), None).await;
    account(&app, "liaison_c", Role::UnitLiaison, Some(STREET_A), None).await;
    store
        .add_alliance_liaison(&sys, c.id, community, "liaison_c")
        .await
        .expect("liaison");
    let offer = PostFields::parse(&PostInput {
        kind: "resource",
        title: "三甲医院专家义诊进社区",
        category: "医疗健康",
        description: "每月一次，为老人测血压血糖、健康咨询",
        division: STREET_A,
        ..Default::default()
    })
    .expect("resource");
    store.create_post(&sys, c.id, hospital, &offer).await.expect("resource");
    // Nine plenaries in earlier years; the 10th some four months ago.
    for y in 2016..2025 {
        store
            .create_plenary(
                &sys,
                c.id,
                &tongxin_store::alliance::PlenaryInput {
                    number: None,
                    fields: PlenaryFields::parse(day(&format!("{y}-03-01")), "", "").expect("p"),
                    chair: None,
                },
            )
            .await
            .expect("plenary");
    }
    let tenth = store
        .create_plenary(
            &sys,
            c.id,
            &tongxin_store::alliance::PlenaryInput {
                number: None,
                fields: PlenaryFields::parse(Some(today - chrono::Days::new(125)), "区党群服务中心", "签约与授牌")
                    .expect("p"),
                chair: None,
            },
        )
        .await
        .expect("10th");
    assert_eq!(tenth.number, 10);
    let conf = c.id.0;

    // The liaison, on a phone, posts a need and sees the hospital's offer suggested.
    let phone = browser(&d, 375).await;
    log_in(&phone, &app, "liaison_c").await;
    assert!(
        phone
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/alliance/mine")
    );
    phone
        .goto(&app.url(&format!("/alliance/{conf}/posts/new?kind=need")))
        .await
        .expect("new need");
    type_into(&phone, "f-title", "独居老人上门体检").await;
    choose(&phone, "f-category", "health").await;
    type_into(&phone, "f-description", "辖区独居老人每年一次健康筛查").await;
    click_and_load(&phone, Locator::Id("save")).await;
    let need_page = phone.current_url().await.expect("url").to_string();
    assert!(text_of(&phone, "#matches").await.contains("三甲医院专家义诊进社区"));
    phone.close().await.expect("close");

    // The office turns the suggestion into a project, prefilled from both.
    let desk = browser(&d, 1440).await;
    log_in(&desk, &app, "district").await;
    desk.goto(&need_page).await.expect("need");
    click_and_load(&desk, Locator::LinkText("与此对接，转为项目")).await;
    click_and_load(&desk, Locator::Id("save")).await;
    let project_page = desk.current_url().await.expect("url").to_string();
    assert!(project_page.contains("/alliance/projects/"), "{project_page}");
    let project: i64 = project_page
        .rsplit('/')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("id");
    // Two units claim it.
    for m in [hospital, bank] {
        choose(&desk, "f-claim-member", &m.0.to_string()).await;
        click_and_load(&desk, Locator::Id("claim")).await;
    }
    let claims = text_of(&desk, "#claims").await;
    assert!(
        claims.contains("上海市第一人民医院") && claims.contains("申城银行静安支行"),
        "{claims}"
    );

    // The 10th plenary admits two units with plaques.
    let plenary_page = app.url(&format!("/alliance/{conf}/plenaries/{}", tenth.id.0));
    for name in ["上海某科技有限公司", "静安区某大学"] {
        desk.goto(&plenary_page).await.expect("plenary");
        type_into(&desk, "f-admit-name", name).await;
        desk.find(Locator::Id("f-plaque"))
            .await
            .expect("plaque")
            .click()
            .await
            .expect("tick");
        click_and_load(&desk, Locator::Id("admit")).await;
    }
    let admitted = text_of(&desk, "#admitted").await;
    assert!(
        admitted.contains("上海某科技有限公司") && admitted.contains("静安区某大学"),
        "{admitted}"
    );

    // Signed at the 10th plenary; the months since are due and flagged.
    desk.goto(&project_page).await.expect("project");
    choose(&desk, "f-sign-plenary", &tenth.id.0.to_string()).await;
    click_and_load(&desk, Locator::Id("sign")).await;
    let missed = text_of(&desk, "#missed").await;
    let first = store
        .get_project(&sys, ProjectId(project))
        .await
        .expect("project")
        .summary
        .missed
        .first()
        .cloned()
        .expect("a month missed");
    assert!(missed.contains(&first), "{missed}");
    // The first missed month filed (the form offers it): no longer flagged.
    choose(&desk, "f-report-progress", "on_track").await;
    type_into(&desk, "f-report-percent", "30").await;
    type_into(&desk, "f-report-text", "首批 40 位老人完成体检").await;
    click_and_load(&desk, Locator::Id("file-report")).await;
    let after = store.get_project(&sys, ProjectId(project)).await.expect("project");
    assert!(!after.summary.missed.contains(&first), "{:?}", after.summary.missed);
    assert!(after.reports.iter().any(|r| r.month == first && r.filed_late));

    // Recommended, scored and selected as a brand project.
    desk.goto(&app.url(&format!("/alliance/{conf}/calls")))
        .await
        .expect("calls");
    choose(&desk, "f-kind", "brand_project").await;
    type_into(&desk, "f-title", "十大品牌项目").await;
    type_into(&desk, "f-year", &chrono::Datelike::year(&today).to_string()).await;
    type_into(&desk, "f-quota", "10").await;
    type_into(&desk, "f-scale", "100").await;
    type_into(&desk, "f-criteria", "工作成效:60\n创新性:40").await;
    click_and_load(&desk, Locator::Id("save")).await;
    type_into(&desk, "f-judge", "district").await;
    click_and_load(&desk, Locator::Id("add-judge")).await;
    choose(&desk, "f-subject", &project.to_string()).await;
    click_and_load(&desk, Locator::Id("nominate")).await;
    for input in desk
        .find_all(Locator::Css("form.scores input[inputmode='numeric']"))
        .await
        .expect("score inputs")
    {
        input.send_keys("90").await.expect("score");
    }
    click_and_load(&desk, Locator::Css("form.scores button")).await;
    click_and_load(&desk, Locator::Id("publish")).await;
    assert!(
        desk.find(Locator::Css("li.match.selected")).await.is_ok(),
        "{}",
        desk.source().await.unwrap_or_default()
    );
    desk.close().await.expect("close");
}

/// An activity open for registration now, members only, with `capacity` places,
/// starting in two days.
fn activity_fields(title: &str, capacity: &str) -> tongxin_domain::activities::ActivityFields {
    let now = tongxin_domain::activities::china_time(chrono::Utc::now());
    activity_at(
        title,
        capacity,
        now + chrono::Duration::days(2),
        now - chrono::Duration::hours(1),
    )
}

/// A two-hour activity for members starting `starts`, its registration open from `opens`
/// until an hour before it.
fn activity_at(
    title: &str,
    capacity: &str,
    starts: chrono::NaiveDateTime,
    opens: chrono::NaiveDateTime,
) -> tongxin_domain::activities::ActivityFields {
    let closes = starts - chrono::Duration::hours(1);
    tongxin_domain::activities::ActivityFields::parse(&tongxin_domain::activities::ActivityInput {
        title,
        kind: "讲座",
        audience: "党员",
        capacity,
        place: "三楼报告厅",
        starts_at: Some(starts),
        ends_at: Some(starts + chrono::Duration::hours(2)),
        opens_at: Some(opens),
        closes_at: Some(closes),
        ..Default::default()
    })
    .expect("activity")
}

/// Records a street centre with `name` in `division` at `at`, open every day.
async fn centre_at(
    app: &App,
    name: &str,
    division: &str,
    at: Option<(f64, f64)>,
) -> tongxin_domain::registry::CentreId {
    let f =
        tongxin_domain::centres::CentreFields::parse(name, "街道", division, "南京西路1号", at, "每天 9:00-21:00", "")
            .expect("centre");
    app.store
        .create_centre(&tongxin_store::Actor::system("fixture"), &f)
        .await
        .expect("centre")
        .id
}

/// On a phone (375 px): a member finds the centre nearest a given point, opens its
/// activity, registers and sees the ticket's QR code; at the door, the staff's scan page
/// reads the ticket with the phone's camera (a video of the QR code) and accepts it
/// once, and refuses the second scan (the code typed); the attendance counts one.
#[tokio::test]
#[cfg_attr(
    missing_chromium,
    ignore = "needs Debian's chromium and chromium-driver: apt-get install chromium chromium-driver"
)]
async fn a_member_near_a_centre_registers_and_the_door_checks_in_once() {
    let _one = ONE_BROWSER.lock().await;
    let d = driver().await;
    let app = spawn().await;
    let sys = tongxin_store::Actor::system("fixture");
    let near = centre_at(&app, "南京西路街道党群服务中心", STREET_A, Some((121.4590, 31.2290))).await;
    centre_at(&app, "远处街道党群服务中心", STREET_B, Some((121.5200, 31.2600))).await;
    let activity = app
        .store
        .create_activity(&sys, near, &activity_fields("“四史”学习教育专题讲座", "30"))
        .await
        .expect("activity")
        .id;
    account(&app, "member_wang", Role::Member, Some(STREET_A), None).await;
    account(&app, "street_a", Role::StreetOffice, Some(STREET_A), None).await;

    let c = browser(&d, 375).await;
    log_in(&c, &app, "member_wang").await;
    c.goto(&app.url("/near")).await.expect("near");
    fits(&c, "near").await;
    // The site lets its own page ask for the location ("use my location").
    let allowed = c
        .execute("return document.featurePolicy.allowsFeature('geolocation')", vec![])
        .await
        .expect("policy");
    assert_eq!(allowed, json!(true), "the location may be asked for");
    // The given point: what the phone's location would fill in.
    c.execute(
        "document.querySelector('#near-form input[name=lng]').value = '121.4560';
         document.querySelector('#near-form input[name=lat]').value = '31.2290';",
        vec![],
    )
    .await
    .expect("point");
    click_and_load(&c, Locator::Id("near-search")).await;
    let centres = text_of(&c, "#near-centres").await;
    assert!(centres.starts_with("南京西路街道党群服务中心"), "{centres}");
    assert!(centres.contains("米"), "the distance in metres: {centres}");
    assert!(
        !c.current_url().await.expect("url").as_str().contains("31.22"),
        "no location in the URL"
    );
    fits(&c, "near results").await;
    shot(&c, "near-phone").await;
    click_and_load(&c, Locator::Css(&format!("#activity-{activity} a"))).await;
    fits(&c, "activity").await;
    click_and_load(&c, Locator::Id("register")).await;
    assert!(
        c.current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/me/registrations")
    );
    let ticket_box = text_of(&c, ".registration").await;
    assert!(ticket_box.contains("已报名"), "{ticket_box}");
    let qr = c
        .execute(
            "var s = document.querySelector('.ticket svg'); return s ? s.getBoundingClientRect().width : 0",
            vec![],
        )
        .await
        .expect("qr");
    assert!(
        qr.as_f64().is_some_and(|w| (150.0..=375.0).contains(&w)),
        "a QR code that fits: {qr}"
    );
    fits(&c, "my registrations").await;
    shot(&c, "ticket-phone").await;
    let ticket = c
        .execute(
            "return document.querySelector('.ticket-text').textContent.trim()",
            vec![],
        )
        .await
        .expect("ticket")
        .as_str()
        .expect("text")
        .to_string();
    assert!(ticket.starts_with("TX1."), "{ticket}");
    c.close().await.expect("close");

    // At the door, on the staff's phone, whose camera sees the member's phone screen.
    let film = tempfile::tempdir().expect("film");
    let y4m = film.path().join("ticket.y4m");
    std::fs::write(&y4m, qr_video(&ticket)).expect("video");
    let door = browser_filming(&d, 375, &y4m).await;
    log_in(&door, &app, "street_a").await;
    door.goto(&app.url(&format!("/activities/{activity}/scan")))
        .await
        .expect("scan");
    fits(&door, "scan").await;
    for round in 0..2 {
        if round == 0 {
            // The camera reads the code and sends it (Debian's Chromium has no reader of
            // its own: the page's jsQR reads it).
            click_and_load(&door, Locator::Id("camera")).await;
        } else {
            door.find(Locator::Id("code"))
                .await
                .expect("code")
                .send_keys(&ticket)
                .await
                .expect("type");
            click_and_load(&door, Locator::Id("scan-submit")).await;
        }
        if round == 0 {
            let ok = text_of(&door, "#scan-ok").await;
            assert!(ok.contains("签到成功") && ok.contains("member_wang"), "{ok}");
        } else {
            let refused = text_of(&door, "#scan-refused").await;
            assert!(refused.contains("已签到"), "{refused}");
            assert!(
                door.find(Locator::Id("scan-ok")).await.is_err(),
                "the second scan is not a success"
            );
        }
        assert_eq!(
            text_of(&door, "#att-attended").await,
            "1",
            "one attendance, however often scanned"
        );
    }
    shot(&door, "scan-phone").await;
    door.close().await.expect("close");
}

/// A short video (YUV4MPEG2, 480×480, two frames) of `text` as a QR code, black on
/// white with its quiet zone: what a camera held over a phone's ticket would film.
fn qr_video(text: &str) -> Vec<u8> {
    let code = qrcode::QrCode::new(text.as_bytes()).expect("a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let side = 480usize;
    let scale = side / (modules + 8);
    let offset = (side - modules * scale) / 2;
    let mut luma = vec![235u8; side * side];
    for y in 0..modules {
        for x in 0..modules {
            if colors[y * modules + x] == qrcode::Color::Dark {
                for dy in 0..scale {
                    let row = (offset + y * scale + dy) * side;
                    luma[row + offset + x * scale..row + offset + (x + 1) * scale].fill(16);
                }
            }
        }
    }
    let chroma = vec![128u8; side * side / 2];
    let mut out = format!("YUV4MPEG2 W{side} H{side} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        out.extend_from_slice(b"FRAME\n");
        out.extend_from_slice(&luma);
        out.extend_from_slice(&chroma);
    }
    out
}
