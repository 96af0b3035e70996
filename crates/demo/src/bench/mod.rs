//! `tongxin bench …`: benchmarks that print JSON (never timed tests).

use anyhow::Result;
use clap::Subcommand;
use std::fmt::Write as _;
use std::time::Instant;
use tongxin_store::bulk::ImportMode;
use tongxin_store::{Actor, Store};

mod register;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Import rows per second for a units file in CSV and xlsx, beside parse-only time,
    /// on SQLite and (with `--postgres`) on PostgreSQL.
    Import {
        #[arg(long, default_value_t = 100_000)]
        rows: u32,
        /// An administrator's PostgreSQL URL: the bench also runs on a fresh database
        /// made there (and dropped after).
        #[arg(long, env = "TONGXIN_BENCH_POSTGRES")]
        postgres: Option<String>,
    },
    /// Coverage summary latency on a city-scale SQLite store, beside `/healthz` in the
    /// same run; generation time; the server's resident memory.
    Coverage {
        /// A folder holding a store generated earlier (`tongxin --data-dir DIR demo
        /// --scale city`) to reuse; by default a new one is generated in a temporary folder.
        #[arg(long)]
        store: Option<std::path::PathBuf>,
        /// Generate at 1/N of the city's size (for a quick run).
        #[arg(long, default_value_t = 1)]
        divide: usize,
        /// Requests per territory.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// List pages over HTTP on a city-scale SQLite store (first and deep pages of units,
    /// organisations and members, a name search, division filters) beside `/healthz`
    /// in the same run, each from concurrent clients.
    Lists {
        /// A folder holding a store generated earlier to reuse (as for `bench coverage`).
        #[arg(long)]
        store: Option<std::path::PathBuf>,
        /// Generate at 1/N of the city's size.
        #[arg(long, default_value_t = 1)]
        divide: usize,
        /// Concurrent clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Seconds per list.
        #[arg(long, default_value_t = 3.0)]
        seconds: f64,
        /// A PostgreSQL database URL to run on instead of SQLite: its store is used as it
        /// is when it holds a registry, else the city is generated into it first.
        #[arg(long)]
        postgres: Option<String>,
    },
    /// Registration at flash-sale grade (秒杀), over HTTP from this process to a server it
    /// starts, with `/healthz` at the same concurrency in the same run: (a) members
    /// register for a first-come activity with as many places, (b) as many more once it
    /// is full, (c) a race for few places; then SIGKILL in the middle of a run like (a)
    /// and a restart. Counts are recounted from the store (oversold, duplicates, lost).
    Register {
        /// Members in each of (a), (b) and (c) (at most 20,000: one list of an
        /// activity's registrations).
        #[arg(long, default_value_t = 20_000)]
        members: usize,
        /// Places in the race (c).
        #[arg(long, default_value_t = 1_000)]
        race_places: usize,
        /// Concurrent clients (HTTP connections).
        #[arg(long, default_value_t = 64)]
        clients: usize,
        /// An administrator's PostgreSQL URL: run on a fresh database made there (and
        /// dropped after) instead of SQLite.
        #[arg(long, env = "TONGXIN_BENCH_POSTGRES")]
        postgres: Option<String>,
    },
    /// Matching needs to resources: precision@5, recall@5 and "best answer in the top 3"
    /// on the labelled set beside a character-overlap baseline, then p50/p99 of one
    /// match with this many resources listed.
    Match {
        #[arg(long, default_value_t = 10_000)]
        resources: usize,
        /// Times each of the 40 needs is matched at scale.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
    },
}

fn units_csv(rows: u32, streets: &[String]) -> String {
    let mut s = String::from("单位名称,单位类型,统一社会信用代码,从业人数,所属区划,地址\n");
    for i in 0..rows {
        let code = crate::demo_code(i);
        let _ = writeln!(
            s,
            "基准测试企业{i}有限公司,企业,{code},{},{},某路{}号",
            10 + i % 90,
            streets[i as usize % streets.len()],
            i % 999
        );
    }
    s
}

pub async fn run(cmd: &BenchCommand) -> Result<()> {
    match cmd {
        BenchCommand::Register {
            members,
            race_places,
            clients,
            postgres,
        } => register::run(*members, *race_places, (*clients).max(1), postgres.as_deref()).await?,
        BenchCommand::Match { resources, rounds } => {
            let out = crate::matching::bench(*resources, *rounds).await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
        }
        BenchCommand::Coverage {
            store,
            divide,
            requests,
        } => coverage(store.as_deref(), *divide, *requests).await?,
        BenchCommand::Lists {
            store,
            divide,
            clients,
            seconds,
            postgres,
        } => {
            let on = match postgres {
                Some(url) => StoreAt::Postgres(url),
                None => StoreAt::Sqlite(store.as_deref()),
            };
            lists(on, *divide, (*clients).max(1), seconds.max(0.5)).await?
        }
        BenchCommand::Import { rows, postgres } => {
            let dir = std::env::temp_dir().join(format!("tongxin-bench-{}", std::process::id()));
            std::fs::create_dir_all(&dir)?;
            let mut backends = serde_json::Map::new();
            let mut names = vec!["sqlite"];
            if postgres.is_some() {
                names.push("postgres");
            }
            for backend in names {
                let mut results = serde_json::Map::new();
                for format in ["csv", "xlsx"] {
                    let made = match (backend, postgres) {
                        ("postgres", Some(admin)) => Some((admin, format!("tx_bench_{}_{format}", std::process::id()))),
                        _ => None,
                    };
                    let url = match &made {
                        Some((admin, name)) => tongxin_store::create_postgres_database(admin, name).await?,
                        _ => {
                            let db = dir.join(format!("{format}.db"));
                            let _ = std::fs::remove_file(&db);
                            format!("sqlite://{}?mode=rwc", db.display())
                        }
                    };
                    let store = Store::open(&url).await?;
                    store.ensure_builtin_divisions().await?;
                    let result = import_once(&store, *rows, format).await;
                    store.close().await?;
                    // Dropped at once: left behind, its tables' vacuum would run beside
                    // the next measurement.
                    if let Some((admin, name)) = &made {
                        tongxin_store::drop_postgres_database(admin, name).await?;
                    }
                    results.insert(format.into(), result?);
                }
                backends.insert(backend.into(), serde_json::Value::Object(results));
            }
            let _ = std::fs::remove_dir_all(&dir);
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "bench": "import",
                    "results": backends,
                    "peak_rss_mb": rss_mb(std::process::id(), "VmHWM:"),
                }))?
            );
        }
    }
    Ok(())
}

/// One timed import of `rows` units in `format` into an empty store.
async fn import_once(store: &Store, rows: u32, format: &str) -> Result<serde_json::Value> {
    let streets: Vec<String> = store
        .division_children(Some("310106"))
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let csv = units_csv(rows, &streets);
    let bytes = if format == "csv" {
        csv.into_bytes()
    } else {
        let t = tongxin_import::read_tables(csv.as_bytes(), "u.csv", Some(tongxin_import::Kind::Units))?;
        let rows: Vec<_> = t[0]
            .rows
            .iter()
            .map(|r| r.values().map(|(f, v)| (f, v.to_owned())).collect())
            .collect();
        tongxin_import::write_workbook(&[(tongxin_import::Kind::Units, rows)])?
    };
    let t0 = Instant::now();
    let tables = tongxin_import::read_tables(&bytes, &format!("units.{format}"), Some(tongxin_import::Kind::Units))?;
    let parse = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let report = store
        .import_tables(&Actor::system("bench"), &tables, ImportMode::default())
        .await?;
    let import = t1.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.committed && report.errors.is_empty(),
        "bench import failed: {:?}",
        report.errors.first()
    );
    Ok(serde_json::json!({
        "rows": rows,
        "file_bytes": bytes.len(),
        "parse_seconds": parse,
        "parse_rows_per_second": rows as f64 / parse,
        "import_seconds": import,
        "import_rows_per_second": rows as f64 / import,
        "total_rows_per_second": rows as f64 / (parse + import),
        "import_over_parse": parse / (parse + import),
    }))
}

/// The latency percentiles of a set of timings, in milliseconds.
fn percentiles(mut ms: Vec<f64>) -> serde_json::Value {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    serde_json::json!({"p50": at(0.5), "p90": at(0.9), "p99": at(0.99), "max": at(1.0), "n": ms.len()})
}

/// Kills the server when the bench ends, however it ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A city-scale store (generated, or reused from `reuse`), an API token for an
/// administrator, and the server serving it as a child process.
struct Served {
    server: Child,
    base: String,
    token: String,
    scale: crate::city::Scale,
    generation: Option<f64>,
    store_bytes: u64,
    dir: std::path::PathBuf,
    temporary: bool,
}

impl Served {
    fn cleanup(self) {
        drop(self.server);
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Where a bench's city store is.
enum StoreAt<'a> {
    /// A SQLite file in this folder (reused), or in a temporary one.
    Sqlite(Option<&'a std::path::Path>),
    /// A PostgreSQL database.
    Postgres(&'a str),
}

/// Starts `tongxin serve` as a child process on a free port, on the SQLite store in
/// `dir` or on the PostgreSQL database `postgres`; returns it and its base URL once it
/// listens.
fn spawn_server(dir: &std::path::Path, postgres: Option<&str>) -> Result<(Child, String)> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe()?);
    child.arg("--data-dir").arg(dir);
    if let Some(url) = postgres {
        child.arg("--database-url").arg(url);
    }
    let mut child = child
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        // The server opens the store the bench made, whatever this shell points at.
        .env_remove("TONGXIN_DATABASE_URL")
        .env_remove("TONGXIN_DATA_DIR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no server output"))?;
    let server = Child(child);
    let mut lines = std::io::BufReader::new(stdout).lines();
    let base = loop {
        let line = lines.next().ok_or_else(|| anyhow::anyhow!("the server stopped"))??;
        if let Some(u) = line.strip_prefix("Tongxin console: ") {
            break u.trim_end_matches('/').to_string();
        }
    };
    Ok((server, base))
}

async fn serve_city(at: StoreAt<'_>, divide: usize) -> Result<Served> {
    let temp = tempdir_for_bench()?;
    let (reuse, postgres) = match at {
        StoreAt::Sqlite(reuse) => (reuse, None),
        StoreAt::Postgres(url) => (None, Some(url)),
    };
    let dir = reuse.map_or_else(|| temp.clone(), std::path::Path::to_path_buf);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("tongxin.db");
    let url = match postgres {
        Some(url) => url.to_string(),
        None => format!("sqlite://{}?mode=rwc", db.display()),
    };
    let store = Store::open(&url).await?;
    store.ensure_builtin_divisions().await?;
    let scale = crate::city::Scale::CITY.divided(divide.max(1));
    let generation = if store.registry_is_empty().await? {
        let t = Instant::now();
        crate::city::generate(&store, scale, true).await?;
        Some(t.elapsed().as_secs_f64())
    } else {
        None
    };
    let system = Actor::system("bench");
    if !store.account_exists("bench").await? {
        let password = format!("bench-{}", tongxin_store::accounts::new_token());
        store
            .create_account(
                &system,
                "bench",
                &password,
                tongxin_domain::access::Role::SystemAdmin,
                None,
                None,
            )
            .await?;
    }
    let token = store.create_api_token(&system, "bench", "bench").await?;
    let store_bytes = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0);
    drop(store);

    let (server, base) = spawn_server(&dir, postgres)?;
    Ok(Served {
        server,
        base,
        token,
        scale,
        generation,
        store_bytes,
        temporary: reuse.is_none(),
        dir,
    })
}

async fn coverage(reuse: Option<&std::path::Path>, divide: usize, requests: usize) -> Result<()> {
    let served = serve_city(StoreAt::Sqlite(reuse), divide).await?;
    let (base, token, scale) = (served.base.clone(), served.token.clone(), served.scale);
    let http = reqwest::Client::new();
    let targets = [
        ("healthz", "/healthz".to_string()),
        // An authenticated call that reads nothing else: the floor of any API call.
        ("me", "/api/v1/me".to_string()),
        ("city", "/api/v1/coverage/summary?division=3101".to_string()),
        ("district", "/api/v1/coverage/summary?division=310106".to_string()),
        ("street", "/api/v1/coverage/summary?division=310106012".to_string()),
    ];
    let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(&token).send();
    for (_, path) in &targets {
        for _ in 0..50 {
            let r = get(path).await?;
            anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
            r.bytes().await?;
        }
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(requests); targets.len()];
    // Interleaved, so every target meets the same machine.
    for _ in 0..requests {
        for (i, (_, path)) in targets.iter().enumerate() {
            let t = Instant::now();
            let r = get(path).await?;
            r.bytes().await?;
            times[i].push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    // The price of exact counters: an edit (a new unit) refreshes facts and counters in
    // its own transaction; the next summary shows it.
    let mut edits = Vec::with_capacity(100);
    let before = http
        .get(format!("{base}/api/v1/coverage/summary?division=310106012"))
        .bearer_auth(&token)
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    let run = std::process::id();
    for i in 0..100 {
        let t = Instant::now();
        let r = http
            .post(format!("{base}/api/v1/units"))
            .bearer_auth(&token)
            .json(
                &serde_json::json!({"name": format!("基准编辑{run}单位{i}"), "kind": "企业", "division": "310106012"}),
            )
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "edit: {}", r.status());
        r.bytes().await?;
        edits.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let after = http
        .get(format!("{base}/api/v1/coverage/summary?division=310106012"))
        .bearer_auth(&token)
        .send()
        .await?
        .json::<serde_json::Value>()
        .await?;
    anyhow::ensure!(
        after["units_total"].as_i64() == before["units_total"].as_i64().map(|n| n + 100),
        "the summary did not follow the edits"
    );
    let pid = served.server.0.id();
    let rss = rss_mb(pid, "VmRSS:");
    let peak = rss_mb(pid, "VmHWM:");
    let mut latency = serde_json::Map::new();
    let mut p50 = std::collections::HashMap::new();
    for ((name, _), ms) in targets.iter().zip(times) {
        let p = percentiles(ms);
        p50.insert(*name, p["p50"].as_f64().unwrap_or(0.0));
        latency.insert((*name).into(), p);
    }
    let ratio = |n: &str| p50.get(n).copied().unwrap_or(0.0) / p50.get("healthz").copied().unwrap_or(1.0).max(1e-9);
    let out = serde_json::json!({
        "bench": "coverage",
        "backend": "sqlite",
        "scale": {"carriers": scale.carriers, "units": scale.units, "orgs": scale.orgs, "members": scale.members},
        "generation_seconds": served.generation,
        "store_bytes": served.store_bytes,
        "latency_ms": latency,
        "edit_create_unit_ms": percentiles(edits),
        "summary_p50_over_healthz_p50": {"city": ratio("city"), "district": ratio("district"), "street": ratio("street")},
        "server_rss_mb": rss,
        "server_peak_rss_mb": peak,
    });
    served.cleanup();
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// List pages over HTTP on a city-scale store: for each list, requests from `clients`
/// concurrent clients for `seconds`, `/healthz` measured the same way in the same run.
async fn lists(at: StoreAt<'_>, divide: usize, clients: usize, seconds: f64) -> Result<()> {
    let backend = match at {
        StoreAt::Sqlite(_) => "sqlite",
        StoreAt::Postgres(_) => "postgres",
    };
    let served = serve_city(at, divide).await?;
    let (base, token) = (served.base.clone(), served.token.clone());
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients * 2).build()?;
    let get = |path: String| {
        let r = http.get(format!("{base}{path}")).bearer_auth(&token).send();
        async move {
            let r = r.await?;
            anyhow::ensure!(r.status().is_success(), "{}", r.status());
            Ok::<_, anyhow::Error>(r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    // A deep page: the cursor of the page `depth` pages in, followed as a client does.
    let deep = |list: &'static str, depth: usize| {
        let get = &get;
        async move {
            let mut path = format!("/api/v1/{list}?per_page=50");
            for _ in 0..depth {
                let page = get(path.clone()).await?;
                match page["next_after"].as_str() {
                    Some(after) => path = format!("/api/v1/{list}?per_page=50&after={}", tongxin_web::urlencode(after)),
                    None => break,
                }
            }
            Ok::<_, anyhow::Error>(path)
        }
    };
    let street = "310106012";
    let targets: Vec<(&str, String)> = vec![
        ("healthz", "/healthz".to_string()),
        ("units_first", "/api/v1/units?per_page=50".into()),
        ("units_deep", deep("units", 100).await?),
        ("orgs_first", "/api/v1/orgs?per_page=50".into()),
        ("orgs_deep", deep("orgs", 100).await?),
        ("members_first", "/api/v1/members?per_page=50".into()),
        ("members_deep", deep("members", 100).await?),
        (
            "units_search",
            format!("/api/v1/units?per_page=50&q={}", tongxin_web::urlencode("科技")),
        ),
        ("units_division", format!("/api/v1/units?per_page=50&division={street}")),
        (
            "members_division",
            format!("/api/v1/members?per_page=50&division={street}"),
        ),
    ];
    let mut results = serde_json::Map::new();
    let mut rates = std::collections::HashMap::new();
    for (name, path) in &targets {
        // Warm up, then `clients` loops for `seconds`.
        for _ in 0..20 {
            get(path.clone()).await?;
        }
        let until = Instant::now() + std::time::Duration::from_secs_f64(seconds);
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (http, base, token, path) = (http.clone(), base.clone(), token.clone(), path.clone());
            tasks.push(tokio::spawn(async move {
                let mut ms = Vec::new();
                while Instant::now() < until {
                    let t = Instant::now();
                    let r = http.get(format!("{base}{path}")).bearer_auth(&token).send().await?;
                    anyhow::ensure!(r.status().is_success(), "{path}: {}", r.status());
                    r.bytes().await?;
                    ms.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                Ok::<_, anyhow::Error>(ms)
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await??);
        }
        let rate = all.len() as f64 / seconds;
        rates.insert(*name, rate);
        let mut p = percentiles(all);
        p["per_second"] = serde_json::json!(rate.round());
        p["path"] = serde_json::json!(path);
        results.insert((*name).into(), p);
    }
    let healthz = rates.get("healthz").copied().unwrap_or(1.0).max(1e-9);
    for (name, v) in results.iter_mut() {
        v["share_of_healthz_rate"] = serde_json::json!(rates.get(name.as_str()).copied().unwrap_or(0.0) / healthz);
    }
    let out = serde_json::json!({
        "bench": "lists",
        "backend": backend,
        "scale": {"carriers": served.scale.carriers, "units": served.scale.units, "orgs": served.scale.orgs, "members": served.scale.members},
        "clients": clients,
        "seconds_per_target": seconds,
        "generation_seconds": served.generation,
        "latency_ms": results,
    });
    served.cleanup();
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn tempdir_for_bench() -> Result<std::path::PathBuf> {
    Ok(std::env::temp_dir().join(format!("tongxin-bench-coverage-{}", std::process::id())))
}
