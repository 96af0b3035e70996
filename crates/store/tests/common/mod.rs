//! What the storage test binaries share.

use tongxin_domain::access::Role;
use tongxin_domain::codes::DivisionCode;
use tongxin_store::{Actor, Store};

/// A fresh store with Shanghai's divisions: a SQLite file in a temporary folder, or a
/// fresh PostgreSQL database when TONGXIN_TEST_POSTGRES holds an admin URL.
#[allow(dead_code)]
pub async fn store() -> (Store, tempfile::TempDir) {
    let (s, _, dir) = store_at().await;
    (s, dir)
}

/// [`store`], with the database's URL (for a test's own statements).
pub async fn store_at() -> (Store, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let url = match std::env::var("TONGXIN_TEST_POSTGRES").ok().filter(|s| !s.is_empty()) {
        Some(admin) => {
            let name = format!("tx_store_{}", &tongxin_store::accounts::new_token()[..16]);
            tongxin_store::create_postgres_database(&admin, &name)
                .await
                .expect("create database")
        }
        None => format!("sqlite://{}?mode=rwc", dir.path().join("s.db").display()),
    };
    let s = Store::open(&url)
        .await
        .expect("open")
        .with_files_dir(dir.path().join("files"));
    s.migrate().await.expect("migrating twice changes nothing");
    s.ensure_builtin_divisions().await.expect("divisions");
    (s, url, dir)
}

/// An account of `role` scoped to `division`, made by the system and logged in: the
/// actor its requests carry.
#[allow(dead_code)]
pub async fn account(s: &Store, name: &str, role: Role, division: &str) -> Actor {
    s.create_account(
        &Actor::system("t"),
        name,
        "a long enough password",
        role,
        Some(&DivisionCode::parse(division).expect("code")),
        None,
    )
    .await
    .expect("account");
    s.verify_login(name, "a long enough password")
        .await
        .expect("login")
        .expect("actor")
}
