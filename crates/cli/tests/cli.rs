//! The real `tongxin` binary: accounts and tokens, the server on a real port, a
//! consistent backup of a live store, and a kill -9 in the middle of a large import.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn tongxin(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tongxin"));
    c.arg("--data-dir")
        .arg(data)
        .env_remove("TONGXIN_DATABASE_URL")
        .env("RUST_LOG", "warn");
    c
}

fn run(c: &mut Command) -> String {
    let out = c.output().expect("run tongxin");
    assert!(
        out.status.success(),
        "{:?} failed: {}{}",
        c,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `tongxin serve` on port 0 and returns it with its base URL.
fn serve(data: &Path) -> (Server, String) {
    let mut child = tongxin(data)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("TONGXIN_ADMIN_PASSWORD", "admin-password-1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines.next().expect("server printed its address").expect("line");
        if let Some(u) = line.strip_prefix("Tongxin console: ") {
            break u.trim_end_matches('/').to_string();
        }
    };
    (Server(child), url)
}

fn units_csv(rows: u32) -> String {
    let mut s = String::from("单位名称,单位类型,统一社会信用代码,所属街道\n");
    for i in 0..rows {
        const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
        let mut body = String::from("91310106MA3");
        let mut x = i;
        for _ in 0..6 {
            body.push(A[(x % 31) as usize] as char);
            x /= 31;
        }
        let code = tongxin_domain::codes::CreditCode::with_check(&body).expect("code");
        s.push_str(&format!("导入测试{i}有限公司,企业,{code},310106012\n"));
    }
    s
}

#[tokio::test]
async fn accounts_tokens_server_and_backup() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    // An account for a street, an API token for it.
    run(tongxin(&data)
        .args([
            "user",
            "add",
            "nanjing",
            "--role",
            "street_office",
            "--scope",
            "310106012",
        ])
        .env("TONGXIN_PASSWORD", "street-password-1"));
    let token = run(tongxin(&data).args(["user", "token", "nanjing"]))
        .trim()
        .to_string();
    assert!(token.starts_with("tx_"));
    let bad = tongxin(&data)
        .args(["user", "add", "x", "--role", "street_office", "--scope", "999999999"])
        .env("TONGXIN_PASSWORD", "long-enough-1")
        .output()
        .expect("run");
    assert!(!bad.status.success(), "an unknown division must be refused");

    let file = dir.path().join("units.csv");
    std::fs::write(&file, units_csv(50)).expect("write");
    run(tongxin(&data).args(["import"]).arg(&file).args(["--kind", "units"]));

    let (_server, url) = serve(&data);
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{url}/healthz"))
            .send()
            .await
            .expect("health")
            .text()
            .await
            .expect("text"),
        "ok"
    );
    let me: serde_json::Value = http
        .get(format!("{url}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "street_office");
    let units: serde_json::Value = http
        .get(format!("{url}/api/v1/units"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("units")
        .json()
        .await
        .expect("json");
    assert_eq!(units["total"], 50);

    // Coverage: the command line and the API give the same object for the street; the
    // imported units have no organisation yet, so all 50 are uncovered.
    let api: serde_json::Value = http
        .get(format!("{url}/api/v1/coverage/summary?division=310106012"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("summary")
        .json()
        .await
        .expect("json");
    let cli: serde_json::Value = serde_json::from_str(&run(tongxin(&data).args([
        "coverage",
        "--division",
        "310106012",
        "--json",
    ])))
    .expect("cli json");
    assert_eq!(api, cli);
    assert_eq!(
        (cli["units_total"].as_i64(), cli["units_uncovered"].as_i64()),
        (Some(50), Some(50))
    );
    assert_eq!(cli["org_coverage_rate"], 0.0);
    let other = http
        .get(format!("{url}/api/v1/coverage/summary?division=310106013"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("other street");
    assert_eq!(other.status(), reqwest::StatusCode::NOT_FOUND);
    assert!(run(tongxin(&data).args(["coverage", "check"])).contains("agree"));

    // A backup taken while the server runs is a complete store of its own.
    let copy = dir.path().join("copy.db");
    run(tongxin(&data).arg("backup").arg(&copy));
    let copy_dir = dir.path().join("restored");
    std::fs::create_dir_all(&copy_dir).expect("dir");
    std::fs::copy(&copy, copy_dir.join("tongxin.db")).expect("copy");
    let out = run(tongxin(&copy_dir)
        .args(["export", "units", "-o"])
        .arg(dir.path().join("u.xlsx")));
    assert!(out.contains("u.xlsx"));
    let bytes = std::fs::read(dir.path().join("u.xlsx")).expect("read");
    let t = tongxin_import::read_tables(&bytes, "u.xlsx", None).expect("export reads");
    assert_eq!(t[0].rows.len(), 50);
}

/// kill -9 in the middle of a large import: the steps it committed are undone (by
/// `imports --undo` here; by itself a minute later), nothing of it stays, and the store
/// opens and imports as before.
#[test]
fn a_killed_import_leaves_nothing_half_written() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    run(tongxin(&data).arg("migrate"));
    let file = dir.path().join("big.csv");
    std::fs::write(&file, units_csv(60_000)).expect("write");
    let mut child = tongxin(&data)
        .arg("import")
        .arg(&file)
        .args(["--kind", "units"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start import");
    let units = |name: &str| {
        let out = run(tongxin(&data)
            .args(["export", "units", "-o"])
            .arg(dir.path().join(name)));
        assert!(out.contains(name));
        let bytes = std::fs::read(dir.path().join(name)).expect("read");
        tongxin_import::read_tables(&bytes, name, None).expect("read")[0]
            .rows
            .len()
    };
    // Wait until the import has committed its first steps (others' writes go between
    // them, and readers see them), then kill it.
    let started = Instant::now();
    while !run(tongxin(&data).arg("imports")).contains("big.csv") {
        assert!(
            child.try_wait().expect("poll").is_none(),
            "the import finished before it could be killed; use a larger file"
        );
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the import never started writing"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("kill -9");
    child.wait().expect("reap");
    // …and are undone.
    let out = run(tongxin(&data).args(["imports", "--undo"]));
    assert!(out.contains("1 unfinished import(s) undone"), "{out}");
    assert_eq!(units("after.xlsx"), 0, "a killed import left rows behind");

    let small = dir.path().join("small.csv");
    std::fs::write(&small, units_csv(10)).expect("write");
    run(tongxin(&data).arg("import").arg(&small).args(["--kind", "units"]));
}

/// Starts `tongxin serve` on a database URL and returns it with its base URL.
fn serve_on(url: &str) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tongxin"))
        .args(["--database-url", url, "serve", "--listen", "127.0.0.1:0"])
        .env("TONGXIN_ADMIN_PASSWORD", "admin-password-1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().expect("server printed its address").expect("line");
        if let Some(u) = line.strip_prefix("Tongxin console: ") {
            break u.trim_end_matches('/').to_string();
        }
    };
    (Server(child), base)
}

/// Two servers on one PostgreSQL database: edits through one show at once in the
/// other's summary, also when both take edits at the same time.
#[tokio::test]
#[cfg_attr(
    missing_postgres,
    ignore = "needs TONGXIN_TEST_POSTGRES set to a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres"
)]
async fn two_servers_share_one_postgres_and_agree_on_coverage() {
    let admin = std::env::var("TONGXIN_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
        .expect("TONGXIN_TEST_POSTGRES: a PostgreSQL admin URL, e.g. postgres://postgres@127.0.0.1:5432/postgres");
    let name = format!("tx_test_{}", tongxin_store::accounts::new_token()[..16].to_lowercase());
    let url = tongxin_store::create_postgres_database(&admin, &name)
        .await
        .expect("database");
    let migrate = Command::new(env!("CARGO_BIN_EXE_tongxin"))
        .args(["--database-url", &url, "migrate"])
        .output()
        .expect("migrate");
    assert!(migrate.status.success());
    let (_a, a) = serve_on(&url);
    let (_b, b) = serve_on(&url);
    let token =
        run(Command::new(env!("CARGO_BIN_EXE_tongxin")).args(["--database-url", &url, "user", "token", "admin"]))
            .trim()
            .to_string();
    let http = reqwest::Client::new();
    let summary = |base: &str| {
        let req = http
            .get(format!("{base}/api/v1/coverage/summary?division=310106012"))
            .bearer_auth(&token);
        async move {
            req.send()
                .await
                .expect("summary")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let post = |base: &str, path: &str, body: serde_json::Value| {
        let req = http.post(format!("{base}{path}")).bearer_auth(&token).json(&body);
        async move {
            let r = req.send().await.expect("post");
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<serde_json::Value>().await.expect("json")
        }
    };

    // A unit through A is uncovered in B's figures; a branch through B covers it in A's.
    let unit = post(
        &a,
        "/api/v1/units",
        serde_json::json!({"name": "双机测试有限公司", "kind": "企业", "division": "310106012"}),
    )
    .await;
    let fb = summary(&b).await;
    assert_eq!(
        (fb["units_total"].as_i64(), fb["units_uncovered"].as_i64()),
        (Some(1), Some(1))
    );
    post(
        &b,
        "/api/v1/orgs",
        serde_json::json!({"name": "双机测试有限公司党支部", "kind": "党支部", "division": "310106012", "unit_ids": [unit["id"]]}),
    )
    .await;
    let fa = summary(&a).await;
    assert_eq!(
        (fa["units_org_covered"].as_i64(), fa["party_orgs"].as_i64()),
        (Some(1), Some(1))
    );
    assert_eq!(fa, summary(&b).await);

    // Both servers take twenty new units at once.
    let mut jobs = vec![];
    for i in 0..40 {
        let (http, token) = (http.clone(), token.clone());
        let base = if i % 2 == 0 { a.clone() } else { b.clone() };
        jobs.push(tokio::spawn(async move {
            let r = http
                .post(format!("{base}/api/v1/units"))
                .bearer_auth(&token)
                .json(&serde_json::json!({"name": format!("并发单位{i}"), "kind": "企业", "division": "310106012"}))
                .send()
                .await
                .expect("post");
            assert!(r.status().is_success(), "{}", r.status());
        }));
    }
    for j in jobs {
        j.await.expect("job");
    }
    let fa = summary(&a).await;
    assert_eq!(
        (fa["units_total"].as_i64(), fa["units_uncovered"].as_i64()),
        (Some(41), Some(40))
    );
    assert_eq!(fa, summary(&b).await);
    assert!(
        run(Command::new(env!("CARGO_BIN_EXE_tongxin")).args(["--database-url", &url, "coverage", "check"]))
            .contains("agree")
    );
}

/// `import --template KIND` writes a template that imports as it is; a refused file
/// prints its reason, never a stack trace, even with RUST_BACKTRACE=1.
#[test]
fn templates_and_clean_refusals() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    let template = dir.path().join("units-template.xlsx");
    run(tongxin(&data)
        .args(["import", "--template", "units", "-o"])
        .arg(&template));
    let bytes = std::fs::read(&template).expect("template");
    let t = tongxin_import::read_tables(&bytes, "t.xlsx", None).expect("reads");
    assert_eq!(t[0].kind, tongxin_import::Kind::Units);
    assert_eq!(t[0].rows.len(), 1, "the example row");

    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "单位名称,统一社会信用代码,所属街道\n甲,123,南京西路街道\n").expect("write");
    let out = tongxin(&data)
        .arg("import")
        .arg(&bad)
        .env("RUST_BACKTRACE", "1")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !err.contains("stack backtrace") && !err.contains("Stack backtrace"),
        "{err}"
    );
    assert!(err.contains("error:"), "{err}");
    assert!(dir.path().join("bad.errors.xlsx").exists());

    // `--errors` puts the error workbook where it is told, and says where.
    let chosen = dir.path().join("out").join("why.xlsx");
    std::fs::create_dir_all(chosen.parent().expect("folder")).expect("folder");
    let out = tongxin(&data)
        .arg("import")
        .arg(&bad)
        .arg("--errors")
        .arg(&chosen)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("why.xlsx"), "{err}");
    let wb = std::fs::read(&chosen).expect("the error workbook where asked");
    let back = tongxin_import::read_tables(&wb, "why.xlsx", Some(tongxin_import::Kind::Units)).expect("reads");
    assert!(
        back[0].grid.iter().any(|r| r.text(3) == "错误原因"),
        "no reasons column"
    );
}

/// The generated city written as an office's workbook (every reference by name, rows of
/// organisations in generation order, members on their own sheet) imports whole, and the
/// imported registry's coverage equals the one the generator loads directly.
#[test]
fn the_city_workbook_imports_to_the_same_figures() {
    let dir = tempfile::tempdir().expect("dir");
    let book = dir.path().join("city.xlsx");
    run(tongxin(&dir.path().join("gen"))
        .args(["demo", "--scale", "city", "--divide", "500", "--workbook"])
        .arg(&book));
    let report: serde_json::Value =
        serde_json::from_str(&run(tongxin(&dir.path().join("imported")).arg("import").arg(&book))).expect("report");
    assert_eq!(report["committed"], true, "{report}");
    assert!(report["errors"].as_array().is_some_and(|e| e.is_empty()), "{report}");
    let members: u64 = report["sheets"]
        .as_array()
        .expect("sheets")
        .iter()
        .filter(|s| s["kind"] == "members")
        .map(|s| s["created"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(members, 5_000);

    run(tongxin(&dir.path().join("direct")).args(["demo", "--scale", "city", "--divide", "500"]));
    let figures = |data: &str| -> serde_json::Value {
        serde_json::from_str(&run(tongxin(&dir.path().join(data)).args(["coverage", "--json"]))).expect("figures")
    };
    let imported = figures("imported");
    assert_eq!(imported, figures("direct"));
    assert_eq!(imported["units_total"], 1_000);
    // And the counters of the imported store agree with a plain recount.
    run(tongxin(&dir.path().join("imported")).args(["coverage", "check"]));
}

/// `tongxin alliance import`: an unknown unit refuses the file and names the unit and the
/// flag; with `--add-unknown-units` every row comes in; `alliance export` writes the lists.
#[tokio::test]
async fn alliance_lists_import_from_the_command_line() {
    use tongxin_domain::alliance::{ConferenceFields, MemberFields};
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data");
    let conference = {
        let s = tongxin_store::Store::open(&format!("sqlite://{}?mode=rwc", data.join("tongxin.db").display()))
            .await
            .expect("open");
        s.migrate().await.expect("migrate");
        s.ensure_builtin_divisions().await.expect("divisions");
        let sys = tongxin_store::Actor::system("test");
        let c = s
            .create_conference(
                &sys,
                &ConferenceFields::parse("黄浦区区域化党建联席会议", "310101", None, "").expect("c"),
                None,
            )
            .await
            .expect("conference");
        s.add_alliance_member(
            &sys,
            c.id,
            &tongxin_store::alliance::AllianceMemberInput {
                unit: None,
                name: Some("上海交通大学医学院附属瑞金医院".into()),
                fields: MemberFields::parse("医院", chrono::NaiveDate::from_ymd_opt(2014, 6, 30), None, None)
                    .expect("m"),
            },
        )
        .await
        .expect("member");
        c.id.0.to_string()
    };
    let file = dir.path().join("资源清单.csv");
    std::fs::write(
        &file,
        "资源名称,提供单位,服务对象\n专家义诊进社区,瑞金医院,社区居民\n法律咨询进楼宇,某律师事务所,楼宇白领\n",
    )
    .expect("write");
    let out = tongxin(&data)
        .args(["alliance", "import", "--conference", &conference])
        .arg(&file)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("某律师事务所") && err.contains("--add-unknown-units"),
        "{err}"
    );
    assert!(dir.path().join("资源清单.errors.xlsx").exists());
    let report = run(tongxin(&data)
        .args(["alliance", "import", "--add-unknown-units", "--conference", &conference])
        .arg(&file));
    let v: serde_json::Value = serde_json::from_str(&report).expect("json");
    assert_eq!(v["created"], 2, "{v}");
    assert_eq!(v["added_units"][0], "某律师事务所");
    let lists = dir.path().join("lists.xlsx");
    run(tongxin(&data)
        .args(["alliance", "export", "--conference", &conference, "-o"])
        .arg(&lists));
    let back = tongxin_import::read_lists_within(
        &std::fs::read(&lists).expect("lists"),
        "lists.xlsx",
        tongxin_import::Limits::UPLOAD,
    )
    .expect("reads back");
    assert_eq!(back.iter().map(|t| t.rows.len()).sum::<usize>(), 2);
}
