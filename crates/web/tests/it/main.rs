//! One integration-test binary: each test spawns the real router on port 0 with its own
//! store (a SQLite file, or a fresh PostgreSQL database when TONGXIN_TEST_POSTGRES holds
//! an admin URL) and talks HTTP to it; the browser tests drive Debian's Chromium.

mod activities;
mod alliance;
mod alliance_projects;
mod api;
mod browser;
mod centres;
mod closing;
mod coverage;
mod edits;
mod import;
mod instructors;
mod office;
mod pickers;
mod roles;
mod security;

use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use tongxin_domain::access::Role;
use tongxin_domain::codes::{CreditCode, DivisionCode, ResidentId};
use tongxin_domain::registry::{CarrierFields, MemberFields, OrgFields, UnitFields};
use tongxin_store::registry::{ListQuery, MemberInput, OrgInput, UnitInput};
use tongxin_store::{Actor, Store};

pub const STREET_A: &str = "310106012"; // 南京西路街道
pub const STREET_B: &str = "310106013"; // 静安寺街道
pub const PASSWORD: &str = "correct-horse-42";

pub struct App {
    pub addr: SocketAddr,
    pub store: Store,
    /// The store's database, for a test that reaches it from outside the application.
    pub db_url: String,
    _dir: tempfile::TempDir,
}

impl App {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// Starts the application on a free port with an empty store and an `admin` account.
pub async fn spawn() -> App {
    spawn_with(tongxin_web::Options::default()).await
}

/// [`spawn`], set up as `o` says (trusted proxies, limits).
pub async fn spawn_with(o: tongxin_web::Options) -> App {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var("TONGXIN_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) {
        Some(admin) => {
            let name = format!("tx_test_{}", tongxin_store::accounts::new_token()[..16].to_lowercase());
            tongxin_store::create_postgres_database(&admin, &name)
                .await
                .expect("creating a PostgreSQL test database")
        }
        None => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
    };
    let store = Store::open(&url)
        .await
        .expect("open store")
        .with_files_dir(dir.path().join("files"));
    let db_url = url.clone();
    store.ensure_builtin_divisions().await.expect("divisions");
    store
        .create_account(&Actor::system("test"), "admin", PASSWORD, Role::SystemAdmin, None, None)
        .await
        .expect("admin");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let state = tongxin_web::AppState::with_options(store.clone(), o);
    tokio::spawn(async move {
        let _ = tongxin_web::serve(listener, state).await;
    });
    App {
        addr,
        store,
        db_url,
        _dir: dir,
    }
}

/// An HTTP client with a cookie jar, logged in as one account.
/// The HTML `http` gets at `url`.
pub async fn page_at(http: &reqwest::Client, url: String) -> String {
    http.get(url).send().await.expect("page").text().await.expect("text")
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub csrf: String,
}

impl Client {
    /// A new account of `role` (in `division`, or for `org`), logged in.
    pub async fn new_account(app: &App, name: &str, role: Role, division: Option<&str>, org: Option<i64>) -> Client {
        account(app, name, role, division, org).await;
        Client::login(app, name, PASSWORD).await
    }

    pub async fn login(app: &App, username: &str, password: &str) -> Client {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let r = http
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        assert_eq!(r.status(), StatusCode::OK, "login as {username}");
        let body: Value = r.json().await.expect("json");
        Client {
            http,
            base: app.url(""),
            csrf: body["csrf_token"].as_str().unwrap_or_default().to_string(),
        }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "post" => self.http.post(url),
            "put" => self.http.put(url),
            _ => self.http.get(url),
        }
        .header("x-csrf-token", &self.csrf);
        let req = match body {
            Some(b) => req.json(&b),
            None => req,
        };
        let r = req.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Sends `body` as it is, declared JSON (a malformed body, say); answers the status.
    pub async fn raw(&self, method: &str, path: &str, body: &str) -> StatusCode {
        let url = format!("{}{}", self.base, path);
        let req = match method {
            "put" => self.http.put(url),
            _ => self.http.post(url),
        };
        req.header("x-csrf-token", &self.csrf)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
            .status()
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call("get", path, None).await
    }

    /// The HTML of a console page at `path`, as this session sees it (its cookie, its
    /// language).
    pub async fn page(&self, path: &str) -> String {
        page_at(&self.http, format!("{}{path}", self.base)).await
    }

    /// Posts a console form with this session's CSRF token; the answer as it came
    /// (redirects are not followed).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut all = vec![("csrf", self.csrf.as_str())];
        all.extend_from_slice(fields);
        self.http
            .post(format!("{}{path}", self.base))
            .form(&all)
            .send()
            .await
            .expect("post a form")
    }

    /// Uploads files as one import (`query` such as `?kind=units`); answers the status
    /// and the JSON report (or the body as a string).
    pub async fn import(&self, query: &str, files: Vec<(String, Vec<u8>)>) -> (StatusCode, Value) {
        let mut form = reqwest::multipart::Form::new();
        for (name, bytes) in files {
            form = form.part("file", reqwest::multipart::Part::bytes(bytes).file_name(name));
        }
        let r = self
            .http
            .post(format!("{}/api/v1/import{query}", self.base))
            .header("x-csrf-token", &self.csrf)
            .multipart(form)
            .send()
            .await
            .expect("import");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

/// The records of one street, built through the store.
pub struct Street {
    pub code: &'static str,
    pub carrier: tongxin_domain::registry::CarrierId,
    pub unit: tongxin_domain::registry::UnitId,
    pub org: tongxin_domain::registry::OrgId,
    pub member: tongxin_domain::registry::MemberId,
}

static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

pub fn credit_code(n: u32) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("91310106MA2");
    let mut x = n;
    for _ in 0..6 {
        body.push(A[(x % 31) as usize] as char);
        x /= 31;
    }
    CreditCode::with_check(&body).expect("valid").to_string()
}

pub fn resident_id(n: u32) -> String {
    ResidentId::with_check(&format!("31010619800101{:03}", n % 1000))
        .expect("valid")
        .reveal()
        .to_string()
}

pub async fn street(app: &App, code: &'static str, tag: &str) -> Street {
    let sys = Actor::system("fixture");
    let s = &app.store;
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let carrier = s
        .create_carrier(
            &sys,
            CarrierFields::parse(&format!("{tag}大厦"), "楼宇", true, code, "某路1号", None).expect("carrier"),
        )
        .await
        .expect("carrier");
    let unit = s
        .create_unit(
            &sys,
            UnitInput {
                fields: UnitFields::parse(&format!("{tag}科技有限公司"), "企业", &credit_code(n), "30", code, "")
                    .expect("unit"),
                carrier_id: Some(carrier.id),
                instructor_id: None,
            },
        )
        .await
        .expect("unit");
    let org = s
        .create_org(
            &sys,
            OrgInput {
                fields: OrgFields::parse(&format!("{tag}科技有限公司党支部"), "党支部", code, "张三", None, None)
                    .expect("org"),
                parent_id: None,
                carrier_id: None,
                unit_ids: vec![unit.id],
            },
        )
        .await
        .expect("org");
    let member = s
        .create_member(
            &sys,
            MemberInput {
                fields: MemberFields::parse(&format!("{tag}党员"), "正式党员", &resident_id(n), "13800138000", None)
                    .expect("member"),
                org_id: org.id,
                work_unit_id: Some(unit.id),
            },
        )
        .await
        .expect("member");
    Street {
        code,
        carrier: carrier.id,
        unit: unit.id,
        org: org.id,
        member: member.id,
    }
}

pub async fn account(app: &App, name: &str, role: Role, division: Option<&str>, org: Option<i64>) {
    let d = division.map(|d| DivisionCode::parse(d).expect("code"));
    app.store
        .create_account(&Actor::system("fixture"), name, PASSWORD, role, d.as_ref(), org)
        .await
        .expect("account");
}

/// Everything a write could have changed, to check that a refused request changed nothing.
pub async fn snapshot(app: &App) -> Value {
    let sys = Actor::system("snapshot");
    let q = ListQuery {
        archived: true,
        per_page: Some(500),
        ..Default::default()
    };
    let s = &app.store;
    json!({
        "carriers": serde_json::to_value(s.list_carriers(&sys, &q).await.expect("list").items.iter().map(|c| (c.id, c.version)).collect::<Vec<_>>()).expect("json"),
        "units": serde_json::to_value(s.list_units(&sys, &q).await.expect("list").items.iter().map(|c| (c.id, c.version)).collect::<Vec<_>>()).expect("json"),
        "orgs": serde_json::to_value(s.list_orgs(&sys, &q).await.expect("list").items.iter().map(|c| (c.id, c.version)).collect::<Vec<_>>()).expect("json"),
        "members": serde_json::to_value(s.list_members(&sys, &q).await.expect("list").items.iter().map(|c| (c.id, c.version)).collect::<Vec<_>>()).expect("json"),
        "audit_writes": s.audit_count("create").await.expect("audit") + s.audit_count("update").await.expect("audit") + s.audit_count("import").await.expect("audit"),
    })
}

pub use tongxin_web::urlencode;

/// The fields of the console's record form as a browser would send them unchanged.
pub fn form_fields(html: &str) -> Vec<(String, String)> {
    let unescape = |s: &str| {
        s.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&#39;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        let end = tag[at..].find('"')?;
        Some(unescape(&tag[at..at + end]))
    };
    let form = &html[html.find("id=\"record-form\"").expect("a record form")..];
    let form = &form[..form.find("</form>").expect("form end")];
    let mut out = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find('<') {
        rest = &rest[i..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if tag.starts_with("<input") {
            let name = attr(tag, "name").unwrap_or_default();
            let checkbox = tag.contains("type=\"checkbox\"");
            if !name.is_empty() && (!checkbox || tag.contains(" checked")) {
                out.push((name, attr(tag, "value").unwrap_or_default()));
            }
        } else if tag.starts_with("<select") {
            let name = attr(tag, "name").unwrap_or_default();
            let body = &rest[..rest.find("</select>").unwrap_or(rest.len())];
            let chosen = body
                .split("<option")
                .find(|o| o.contains(" selected"))
                .and_then(|o| attr(&format!(" {}", o.trim_start()), "value"))
                .unwrap_or_default();
            out.push((name, chosen));
        }
        rest = &rest[end.min(rest.len())..];
        if rest.len() <= 1 {
            break;
        }
        rest = &rest[1..];
    }
    out
}

/// Where an answer redirects to (empty when it does not).
pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default()
        .to_string()
}
