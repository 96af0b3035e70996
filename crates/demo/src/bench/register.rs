//! `tongxin bench register`: the flash sale (秒杀) over real HTTP, from this process to
//! a server started as a child process, with `/healthz` measured the same way in the
//! same run:
//!
//! - (a) `members` distinct members register for a first-come activity with as many
//!   places: accepted answers per second;
//! - (b) as many more register once it is full: "sold out" answers per second;
//! - (c) the first `members` race for `race_places` places: exactly that many accepted;
//! - then the server is killed (SIGKILL) in the middle of a run like (a) and started
//!   again: every registration answered "registered" must be in the store, none twice.
//!
//! The counts (accepted, sold out, oversold, duplicates) are recounted from the
//! registrations the server lists afterwards, not taken from the answers alone.

use super::{percentiles, spawn_server};
use anyhow::{Context, Result, ensure};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use tongxin_domain::access::Role;
use tongxin_domain::centres::CentreFields;
use tongxin_domain::codes::DivisionCode;
use tongxin_store::{Actor, Store};

/// The street the bench's centre and members are in (南京西路街道).
const STREET: &str = "310106012";

/// What one request came back with: its HTTP status (0 when the connection failed),
/// its time, and for an accepted registration its id.
struct Outcome {
    status: u16,
    ms: f64,
    id: Option<i64>,
}

/// Where the bench's store is, and how to drop it after.
struct BenchStore {
    dir: std::path::PathBuf,
    postgres: Option<(String, String, String)>,
}

impl BenchStore {
    async fn make(postgres_admin: Option<&str>) -> Result<(BenchStore, String)> {
        let dir = std::env::temp_dir().join(format!("tongxin-bench-register-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        let (url, postgres) = match postgres_admin {
            Some(admin) => {
                let name = format!("tx_bench_register_{}", std::process::id());
                let url = tongxin_store::create_postgres_database(admin, &name).await?;
                (url.clone(), Some((admin.to_string(), name, url)))
            }
            None => (format!("sqlite://{}?mode=rwc", dir.join("tongxin.db").display()), None),
        };
        Ok((BenchStore { dir, postgres }, url))
    }

    fn postgres_url(&self) -> Option<&str> {
        self.postgres.as_ref().map(|(_, _, url)| url.as_str())
    }

    async fn drop_all(self) -> Result<()> {
        if let Some((admin, name, _)) = &self.postgres {
            tongxin_store::drop_postgres_database(admin, name).await?;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

/// The bench's accounts: an administrator's token and `2 × members` members' tokens.
struct Accounts {
    admin: String,
    members: Vec<String>,
    centre: i64,
}

async fn prepare(url: &str, members: usize) -> Result<Accounts> {
    let store = Store::open(url).await?;
    store.ensure_builtin_divisions().await?;
    let system = Actor::system("bench");
    let password = format!("bench-{}", tongxin_store::accounts::new_token());
    store
        .create_account(&system, "bench", &password, Role::SystemAdmin, None, None)
        .await?;
    let admin = store.create_api_token(&system, "bench", "bench").await?;
    let street = DivisionCode::parse(STREET).map_err(|e| anyhow::anyhow!("{e}"))?;
    let members = store
        .bulk_member_accounts(&system, "bench_member_", 2 * members, &street)
        .await?;
    let centre = CentreFields::parse(
        "南京西路街道党群服务中心",
        "street",
        STREET,
        "南京西路1号",
        Some((121.455, 31.228)),
        "每天 9:00-21:00",
        "021-62170000",
    )
    .map_err(|e| anyhow::anyhow!("bench centre: {e:?}"))?;
    let centre = store.create_centre(&system, &centre).await?.id.0;
    store.close().await?;
    Ok(Accounts { admin, members, centre })
}

/// China Standard Time `hours` from now, as offices write it.
fn china_time(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours) + chrono::Duration::hours(8))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Publishes a first-come activity for members with `capacity` places, open now.
async fn publish(http: &reqwest::Client, base: &str, a: &Accounts, title: &str, capacity: usize) -> Result<i64> {
    let r = http
        .post(format!("{base}/api/v1/centres/{}/activities", a.centre))
        .bearer_auth(&a.admin)
        .json(&serde_json::json!({
            "title": title, "kind": "lecture", "audience": "members", "allocation": "first_come",
            "capacity": capacity.to_string(), "place": "三楼报告厅",
            "starts_at": china_time(48), "ends_at": china_time(50),
            "opens_at": china_time(-1), "closes_at": china_time(24),
        }))
        .send()
        .await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    ensure!(status.is_success(), "publishing {title}: {status} {body}");
    body["id"].as_i64().context("activity id")
}

/// Sends `n` requests from `clients` concurrent clients, request `i` made by `make(i)`;
/// stops early when `stop` says so. Returns the outcomes and the wall time in seconds.
async fn drive(
    n: usize,
    clients: usize,
    make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>,
    stop: Option<Arc<std::sync::atomic::AtomicBool>>,
) -> (Vec<Outcome>, f64) {
    let next = Arc::new(AtomicUsize::new(0));
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for _ in 0..clients {
        let (next, make, stop) = (next.clone(), make.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                if stop.as_ref().is_some_and(|s| s.load(Ordering::Relaxed)) {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let (status, id) = match make(i).send().await {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let id = if status == 201 {
                            r.json::<serde_json::Value>().await.ok().and_then(|b| b["id"].as_i64())
                        } else {
                            let _ = r.bytes().await;
                            None
                        };
                        (status, id)
                    }
                    Err(_) => (0, None),
                };
                out.push(Outcome {
                    status,
                    ms: t.elapsed().as_secs_f64() * 1000.0,
                    id,
                });
            }
            out
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        if let Ok(o) = t.await {
            all.extend(o);
        }
    }
    (all, t0.elapsed().as_secs_f64())
}

/// A phase's figures: its rate of the answers that matter, their latencies, and the
/// count of every status.
fn figures(outcomes: &[Outcome], seconds: f64, wanted: u16) -> serde_json::Value {
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for o in outcomes {
        *by_status.entry(o.status).or_default() += 1;
    }
    let ms: Vec<f64> = outcomes.iter().filter(|o| o.status == wanted).map(|o| o.ms).collect();
    let n = ms.len();
    serde_json::json!({
        "answers": n,
        "per_second": (n as f64 / seconds).round(),
        "all_answers_per_second": (outcomes.len() as f64 / seconds).round(),
        "seconds": seconds,
        "latency_ms": if n > 0 { percentiles(ms) } else { serde_json::Value::Null },
        "statuses": by_status
            .iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect::<serde_json::Map<_, _>>(),
    })
}

/// Registrations of an activity as the server lists them: (id, name, status, places).
async fn listed(http: &reqwest::Client, base: &str, admin: &str, id: i64) -> Result<Vec<(i64, String, String, i64)>> {
    let r = http
        .get(format!("{base}/api/v1/activities/{id}/registrations"))
        .bearer_auth(admin)
        .send()
        .await?;
    ensure!(r.status().is_success(), "listing registrations: {}", r.status());
    let rows: Vec<serde_json::Value> = r.json().await?;
    Ok(rows
        .iter()
        .map(|v| {
            (
                v["id"].as_i64().unwrap_or(0),
                v["name"].as_str().unwrap_or("").to_string(),
                v["status"].as_str().unwrap_or("").to_string(),
                v["places"].as_i64().unwrap_or(0),
            )
        })
        .collect())
}

/// The recount of an activity from its listed registrations: places taken, oversold
/// places, people registered twice, and answered registrations missing from the store.
async fn recount(
    http: &reqwest::Client,
    base: &str,
    admin: &str,
    id: i64,
    capacity: usize,
    answered: &[Outcome],
) -> Result<serde_json::Value> {
    let rows = listed(http, base, admin, id).await?;
    let held: Vec<_> = rows.iter().filter(|r| r.2 == "registered").collect();
    let taken: i64 = held.iter().map(|r| r.3).sum();
    let people: HashSet<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let kept: HashSet<i64> = held.iter().map(|r| r.0).collect();
    let accepted: Vec<i64> = answered.iter().filter_map(|o| o.id).collect();
    let missing = accepted.iter().filter(|i| !kept.contains(i)).count();
    Ok(serde_json::json!({
        "capacity": capacity,
        "registered_in_store": held.len(),
        "places_taken": taken,
        "oversold": (taken - capacity as i64).max(0),
        "duplicates": rows.len() - people.len(),
        "answered_registered": accepted.len(),
        "answered_but_missing": missing,
    }))
}

/// One run on one store: SQLite in a temporary folder, or a fresh PostgreSQL database
/// made under `postgres_admin` (dropped after).
pub async fn run(members: usize, race_places: usize, clients: usize, postgres_admin: Option<&str>) -> Result<()> {
    let members = members.clamp(
        race_places.max(1),
        tongxin_store::activities::REGISTRATIONS_MAX as usize,
    );
    let (at, url) = BenchStore::make(postgres_admin).await?;
    let result = run_on(&at, &url, members, race_places, clients).await;
    at.drop_all().await?;
    let out = result?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

async fn run_on(
    at: &BenchStore,
    url: &str,
    members: usize,
    race_places: usize,
    clients: usize,
) -> Result<serde_json::Value> {
    let t = Instant::now();
    let accounts = Arc::new(prepare(url, members).await?);
    let setup_seconds = t.elapsed().as_secs_f64();
    let (server, base) = spawn_server(&at.dir, at.postgres_url())?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients * 2).build()?;
    let first = publish(&http, &base, &accounts, "秒杀：先到先得", members).await?;
    let race = publish(&http, &base, &accounts, "秒杀：千人名额", race_places).await?;
    let killed = publish(&http, &base, &accounts, "秒杀：断电", members).await?;

    let register = |activity: i64, offset: usize| -> Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync> {
        let (http, base, accounts) = (http.clone(), base.clone(), accounts.clone());
        Arc::new(move |i| {
            http.post(format!("{base}/api/v1/activities/{activity}/registrations"))
                .bearer_auth(&accounts.members[offset + i])
                .json(&serde_json::json!({"places": 1}))
        })
    };
    let healthz: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync> = {
        let (http, base) = (http.clone(), base.clone());
        Arc::new(move |_| http.get(format!("{base}/healthz")))
    };
    // Warm up: connections, the server's caches.
    let _ = drive(2000, clients, healthz.clone(), None).await;

    let (h, h_s) = drive(members, clients, healthz.clone(), None).await;
    let healthz_fig = figures(&h, h_s, 200);
    let (a, a_s) = drive(members, clients, register(first, 0), None).await;
    let a_fig = figures(&a, a_s, 201);
    let (b, b_s) = drive(members, clients, register(first, members), None).await;
    let b_fig = figures(&b, b_s, 409);
    let (c, c_s) = drive(members, clients, register(race, 0), None).await;
    let c_fig = figures(&c, c_s, 201);
    // /healthz again after: the machine may have changed during the run.
    let (h2, h2_s) = drive(members, clients, healthz.clone(), None).await;
    let healthz_after = figures(&h2, h2_s, 200);

    let first_count = recount(&http, &base, &accounts.admin, first, members, &a).await?;
    let race_count = recount(&http, &base, &accounts.admin, race, race_places, &c).await?;

    // SIGKILL in the middle of a run like (a): a third of the way through, by (a)'s time.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = tokio::spawn(drive(members, clients, register(killed, members), Some(stop.clone())));
    let mut server = server;
    tokio::time::sleep(std::time::Duration::from_secs_f64(a_s / 3.0)).await;
    let killed_while_running = !load.is_finished();
    server.0.kill()?;
    let _ = server.0.wait();
    stop.store(true, Ordering::Relaxed);
    let (k, _) = load.await?;
    drop(server);
    let (server, base) = spawn_server(&at.dir, at.postgres_url())?;
    let kill_count = recount(&http, &base, &accounts.admin, killed, members, &k).await?;
    drop(server);

    let rate = |v: &serde_json::Value| v["per_second"].as_f64().unwrap_or(0.0);
    let healthz_rate = rate(&healthz_fig).max(rate(&healthz_after)).max(1.0);
    Ok(serde_json::json!({
        "bench": "register",
        "backend": if at.postgres.is_some() { "postgres" } else { "sqlite" },
        "clients": clients,
        "members": members,
        "setup_seconds": setup_seconds,
        "healthz": healthz_fig,
        "healthz_after": healthz_after,
        "a_first_come_accepted": a_fig,
        "b_sold_out": b_fig,
        "c_race": c_fig,
        "a_share_of_healthz_rate": rate(&a_fig) / healthz_rate,
        "b_share_of_healthz_rate": rate(&b_fig) / healthz_rate,
        "recount_a": first_count,
        "recount_c": race_count,
        "kill_9": {
            "killed_while_running": killed_while_running,
            "answers": k.len(),
            "connection_failures": k.iter().filter(|o| o.status == 0).count(),
            "after_restart": kill_count,
        },
    }))
}
