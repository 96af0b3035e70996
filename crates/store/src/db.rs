use crate::Result;
use crate::StoreError;
use crate::migration::Migrator;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::time::Duration;

/// Which engine the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A handle on the database: a writer and readers (the same pool on PostgreSQL), and
/// what this server keeps beside them. Cloned for every request and task that needs it,
/// so one reference count, not one per part.
#[derive(Clone)]
pub struct Store(pub(crate) std::sync::Arc<Kept>);

impl std::ops::Deref for Store {
    type Target = Kept;
    fn deref(&self) -> &Kept {
        &self.0
    }
}

/// What a [`Store`] handle holds.
#[derive(Clone)]
pub struct Kept {
    pub(crate) write: DatabaseConnection,
    pub(crate) read: DatabaseConnection,
    backend: Backend,
    /// Division codes known to exist. Divisions are only ever added, so a code seen once
    /// stays valid: hot paths skip the look-up.
    pub(crate) known_divisions: std::sync::Arc<std::sync::RwLock<std::collections::HashSet<String>>>,
    /// Division names lists show, kept for [`DIVISION_NAMES_FOR`]: every list page names
    /// its records' divisions, and a name changes only when a division table is loaded
    /// (which clears this server's copy at once; another server's within that time).
    pub(crate) division_names: std::sync::Arc<std::sync::RwLock<DivisionNames>>,
    /// The last write probe's answer (see [`Store::write_ready`]).
    write_probe: std::sync::Arc<std::sync::Mutex<Option<Probe>>>,
    /// A write probe is being renewed in the background.
    probing: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// How long a step of an import holds the writer before it commits.
    pub(crate) import_step: Duration,
    /// The alliance's segmenter (jieba with the field's words and every office's), and
    /// the vocabulary lines it was built from; built on first use, again when they change.
    pub(crate) analyzer: std::sync::Arc<std::sync::RwLock<Option<crate::alliance::KeptAnalyzer>>>,
    /// This server's copies of conferences' postings, brought up to date from the
    /// store when a match finds them older than their conference (alliance/postings.rs).
    pub(crate) postings: std::sync::Arc<std::sync::RwLock<crate::alliance::KeptPostings>>,
    /// Where files kept for records (a project's agreement, its photos) lie: beside the
    /// SQLite file, or where the server is told ([`Store::with_files_dir`]).
    pub(crate) files_dir: std::sync::Arc<std::path::PathBuf>,
    /// The key that signs check-in tickets, once read from the store and derived
    /// (activities/checkin.rs): every registration's answer signs with it.
    pub(crate) checkin_key: std::sync::Arc<std::sync::OnceLock<tongxin_domain::activities::TicketKey>>,
    /// Activities this server saw sold out, and when (activities/registrations.rs).
    pub(crate) sold_out: std::sync::Arc<crate::fresh::Fresh<()>>,
    /// Activities' terms of registration this server keeps a few seconds
    /// (activities/registrations.rs).
    pub(crate) terms: std::sync::Arc<crate::fresh::Fresh<std::sync::Arc<crate::activities::Terms>>>,
    /// Registrations waiting for the transaction that writes them together
    /// (activities/batch.rs).
    pub(crate) batcher: std::sync::Arc<crate::activities::batch::Batcher>,
    /// API tokens waiting to be read together (accounts.rs).
    pub(crate) token_reads: std::sync::Arc<crate::together::Together<crate::accounts::TokenRead>>,
}

/// How long a server keeps the division names it has read.
pub(crate) const DIVISION_NAMES_FOR: Duration = Duration::from_secs(60);

/// Division names by code, and since when they were read.
pub(crate) type DivisionNames = (std::time::Instant, std::collections::HashMap<String, String>);

/// When a write probe was taken, and `None` when the store could write, else why not.
type Probe = (std::time::Instant, Option<String>);

/// How long a write waits for the writer (SQLite) or for another write's locks
/// (PostgreSQL) before it is answered "busy" (503 with Retry-After).
const WRITER_WAIT: Duration = Duration::from_secs(8);

/// How long a write probe's answer stands: health checks come often, and each probe
/// takes the one writer.
const PROBE_FOR: Duration = Duration::from_secs(1);

/// SQLite's page cache per connection, as its `cache_size` pragma (negative: KiB).
pub(crate) const SQLITE_CACHE_SIZE: &str = "-65536";

fn sqlite_options(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .synchronous(SqliteSynchronous::Normal)
        // 64 MB of page cache (the default is 2 MB): a bulk write touches the pages of
        // every index of the tables it fills, and with the default they were written out
        // and read back again within one import. Pages are taken as used, not reserved.
        .pragma("cache_size", SQLITE_CACHE_SIZE)
        .create_if_missing(true)
}

/// The folder beside a SQLite file (`sqlite://data/tongxin.db?mode=rwc` → `data/files`).
fn files_beside(url: &str) -> std::path::PathBuf {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or("");
    match std::path::Path::new(path).parent() {
        Some(p) if !path.is_empty() && !path.starts_with(':') => p.join("files"),
        _ => std::env::temp_dir().join("tongxin-files"),
    }
}

impl Store {
    /// Closes the store's connections (a benchmark's, before its database is dropped).
    pub async fn close(self) -> Result<()> {
        // A clone of a connection shares its pool: closing it closes the pool.
        self.write.clone().close().await?;
        self.read.clone().close().await?;
        Ok(())
    }

    /// Connects to `url` (`sqlite://path` or `postgres://…`) and brings the schema up to
    /// date.
    pub async fn open(url: &str) -> Result<Store> {
        let store = Self::connect(url).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects without migrating.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let mut w = ConnectOptions::new(url);
            // One writer; a request waits for it a few seconds at most, then hears "busy,
            // try again" (503) instead of hanging.
            // A file on this machine: no connection to lose, so no ping before each query
            // (a round trip to the connection's thread that doubled a page's hand-offs).
            w.max_connections(1)
                .min_connections(1)
                .test_before_acquire(false)
                .sqlx_logging(false)
                .acquire_timeout(WRITER_WAIT);
            w.map_sqlx_sqlite_opts(sqlite_options);
            let write = Database::connect(w).await?;
            let mut r = ConnectOptions::new(url);
            r.max_connections(8)
                .min_connections(1)
                .test_before_acquire(false)
                .sqlx_logging(false);
            r.map_sqlx_sqlite_opts(|o| sqlite_options(o).read_only(true));
            let read = Database::connect(r).await?;
            Ok(Store(std::sync::Arc::new(Kept {
                write,
                read,
                backend: Backend::Sqlite,
                known_divisions: Default::default(),
                division_names: std::sync::Arc::new(std::sync::RwLock::new((
                    std::time::Instant::now(),
                    Default::default(),
                ))),
                write_probe: Default::default(),
                probing: Default::default(),
                import_step: crate::bulk::STEP,
                analyzer: Default::default(),
                postings: Default::default(),
                checkin_key: Default::default(),
                sold_out: std::sync::Arc::new(crate::fresh::Fresh::new(crate::activities::SOLD_OUT_FOR)),
                terms: std::sync::Arc::new(crate::fresh::Fresh::new(crate::activities::TERMS_FOR)),
                batcher: Default::default(),
                token_reads: std::sync::Arc::new(crate::together::Together::new(crate::accounts::TOKENS_READ_TOGETHER)),
                files_dir: std::sync::Arc::new(files_beside(url)),
            })))
        } else {
            let mut o = ConnectOptions::new(url);
            // A connection idle long enough for the server or a proxy to have dropped it is
            // pinged first; a busy one is not (a ping is a round trip before every query).
            o.max_connections(16)
                .test_before_acquire_if_idle_for(Duration::from_secs(30))
                .sqlx_logging(false)
                .acquire_timeout(Duration::from_secs(10));
            let db = Database::connect(o).await?;
            Ok(Store(std::sync::Arc::new(Kept {
                write: db.clone(),
                read: db,
                backend: Backend::Postgres,
                known_divisions: Default::default(),
                division_names: std::sync::Arc::new(std::sync::RwLock::new((
                    std::time::Instant::now(),
                    Default::default(),
                ))),
                write_probe: Default::default(),
                probing: Default::default(),
                import_step: crate::bulk::STEP,
                analyzer: Default::default(),
                postings: Default::default(),
                checkin_key: Default::default(),
                sold_out: std::sync::Arc::new(crate::fresh::Fresh::new(crate::activities::SOLD_OUT_FOR)),
                terms: std::sync::Arc::new(crate::fresh::Fresh::new(crate::activities::TERMS_FOR)),
                batcher: Default::default(),
                token_reads: std::sync::Arc::new(crate::together::Together::new(crate::accounts::TOKENS_READ_TOGETHER)),
                files_dir: std::sync::Arc::new(std::env::temp_dir().join("tongxin-files")),
            })))
        }
    }

    /// Keeps files under `dir` (the server's data folder): with PostgreSQL, every server
    /// on the database must be given the same folder (a shared volume).
    pub fn with_files_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        std::sync::Arc::make_mut(&mut self.0).files_dir = std::sync::Arc::new(dir.into());
        self
    }

    pub async fn migrate(&self) -> Result<()> {
        Migrator::up(&self.write, None).await?;
        self.rebuild_coverage_if_pending().await?;
        // Imports whose process died while writing them are undone (one that cannot be
        // is logged and left for `tongxin imports --undo`: the store still opens).
        if let Err(e) = self.recover_imports(crate::bulk::ORPHANED_AFTER).await {
            tracing::error!(error = %e, "an unfinished import could not be undone");
        }
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite, so a transaction that
    /// reads before it writes never fails to upgrade its lock.
    pub(crate) async fn begin(&self) -> Result<DatabaseTransaction> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self.write.begin_with_options(opts).await?;
        if self.backend == Backend::Postgres {
            // A write waits for another's locks (rows, the coverage refresh's advisory
            // lock) as long as SQLite's writer waits for its connection, then hears
            // "busy, try again" (503) instead of hanging.
            txn.execute_unprepared(&format!("SET LOCAL lock_timeout = '{}s'", WRITER_WAIT.as_secs()))
                .await?;
        }
        Ok(txn)
    }

    /// Writes a consistent copy of a live SQLite store to `dest` (`VACUUM INTO`, which
    /// reads one snapshot while writers go on).
    pub async fn backup(&self, dest: &std::path::Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(crate::StoreError::BadFile(
                "backup copies a SQLite store; use pg_dump for PostgreSQL".into(),
            ));
        }
        if dest.exists() {
            return Err(crate::StoreError::BadFile(format!("{} exists already", dest.display())));
        }
        let path = dest.to_string_lossy().replace('\'', "''");
        self.read.execute_unprepared(&format!("VACUUM INTO '{path}'")).await?;
        Ok(())
    }

    /// A trivial round trip to the database, for health checks.
    pub async fn ping(&self) -> Result<()> {
        self.read.ping().await?;
        Ok(())
    }

    /// Whether the store can take a write now: `Ok(true)`, `Ok(false)` when the writer is
    /// taken (a long write is running), an error when it cannot write at all. The last
    /// write probe's answer is given; one older than a second is renewed in the
    /// background, so a health check never waits for a probe (only the very first does).
    pub async fn write_ready(&self) -> Result<bool> {
        // SQLite's one writer: taken means busy, told at once (a health check never waits
        // behind an import).
        if self.write.get_database_backend() == sea_orm::DbBackend::Sqlite
            && self.write.get_sqlite_connection_pool().num_idle() == 0
        {
            return Ok(false);
        }
        let last = self.write_probe.lock().ok().and_then(|p| p.clone());
        let answer = match last {
            Some((at, why)) => {
                if at.elapsed() >= PROBE_FOR && !self.probing.swap(true, std::sync::atomic::Ordering::AcqRel) {
                    let me = self.clone();
                    tokio::spawn(async move {
                        me.renew_probe().await;
                        me.probing.store(false, std::sync::atomic::Ordering::Release);
                    });
                }
                why
            }
            None => match self.renew_probe().await {
                Some(why) => why,
                None => return Ok(false),
            },
        };
        match answer {
            None => Ok(true),
            Some(why) => Err(StoreError::Db(sea_orm::DbErr::Custom(why))),
        }
    }

    /// Takes a write probe and keeps its answer (`None`: the store could write; else why
    /// not); `None` when the writer was taken or slow (nothing learnt, nothing kept).
    async fn renew_probe(&self) -> Option<Option<String>> {
        let answer = match tokio::time::timeout(Duration::from_millis(200), self.probe_write()).await {
            Ok(Ok(())) => None,
            Ok(Err(StoreError::Busy)) | Err(_) => return None,
            Ok(Err(e)) => Some(e.to_string()),
        };
        if let Ok(mut p) = self.write_probe.lock() {
            *p = Some((std::time::Instant::now(), answer.clone()));
        }
        Some(answer)
    }

    /// Starts a write and takes it back: a read-only file or database, a standby, or a
    /// connection told to only read fails here where a ping would pass.
    pub(crate) async fn probe_write(&self) -> Result<()> {
        let txn = self.begin().await?;
        let tried = txn.execute_unprepared("DELETE FROM settings WHERE 1 = 0").await;
        txn.rollback().await?;
        tried?;
        Ok(())
    }
}

/// Creates an empty PostgreSQL database named `name` next to the one `admin_url` names,
/// and returns its URL (for tests and set-up scripts; `name` must be `[a-z0-9_]+`).
pub async fn create_postgres_database(admin_url: &str, name: &str) -> Result<String> {
    admin_statement(admin_url, name, "CREATE DATABASE").await
}

/// Drops a database made by [`create_postgres_database`] (a benchmark's, after its run),
/// ending its sessions first.
pub async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<()> {
    admin_statement(admin_url, name, "DROP DATABASE IF EXISTS").await?;
    Ok(())
}

/// Runs `verb name` (`CREATE DATABASE`, `DROP DATABASE`) as the administrator; answers the
/// database's URL.
async fn admin_statement(admin_url: &str, name: &str, verb: &str) -> Result<String> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(crate::StoreError::BadFile(format!("bad database name {name}")));
    }
    let base = admin_url.split('?').next().unwrap_or(admin_url);
    let cut = base
        .rfind('/')
        .filter(|i| *i > base.find("//").map_or(0, |j| j + 1))
        .unwrap_or(base.len());
    let mut o = ConnectOptions::new(admin_url);
    o.max_connections(1).sqlx_logging(false);
    let admin = Database::connect(o).await?;
    let with = if verb.starts_with("DROP") { " WITH (FORCE)" } else { "" };
    admin.execute_unprepared(&format!("{verb} {name}{with}")).await?;
    admin.close().await?;
    Ok(format!("{}/{name}", &base[..cut]))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// A store that cannot write is told apart from one that can, where a ping passes
    /// for both.
    #[tokio::test]
    async fn a_store_that_cannot_write_fails_its_probe() {
        let dir = tempfile::tempdir().expect("dir");
        let admin = std::env::var("TONGXIN_TEST_POSTGRES").ok().filter(|s| !s.is_empty());
        let (url, name) = match &admin {
            Some(admin) => {
                let name = format!("tx_store_{}", &crate::accounts::new_token()[..16]);
                (
                    crate::create_postgres_database(admin, &name).await.expect("database"),
                    name,
                )
            }
            None => (
                format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display()),
                String::new(),
            ),
        };
        let s = super::Store::open(&url).await.expect("open");
        s.probe_write().await.expect("a writable store");
        // The writer goes back to its pool on a task of its own.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(s.write_ready().await.expect("ready"));
        let s = match &admin {
            // One writer connection: told to only read, it cannot write.
            None => {
                use sea_orm::ConnectionTrait;
                s.write
                    .execute_unprepared("PRAGMA query_only = ON")
                    .await
                    .expect("query_only");
                s
            }
            // A database whose sessions only read (as on a standby).
            Some(admin) => {
                use sea_orm::ConnectionTrait;
                let a = sea_orm::Database::connect(admin.as_str()).await.expect("admin");
                a.execute_unprepared(&format!("ALTER DATABASE {name} SET default_transaction_read_only = on"))
                    .await
                    .expect("read only");
                s.close().await.expect("close");
                super::Store::connect(&url).await.expect("connect")
            }
        };
        s.ping().await.expect("a ping still passes");
        assert!(s.probe_write().await.is_err(), "the probe wrote to a read-only store");
        // Once the last answer has stood its time, the next check renews it in the
        // background; the one after tells.
        tokio::time::sleep(super::PROBE_FOR + Duration::from_millis(100)).await;
        let _ = s.write_ready().await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(s.write_ready().await.is_err(), "healthz would say ok");
    }
}
