//! Tongxin storage: the only crate that speaks SQL.
//!
//! One code path for SQLite (embedded default) and PostgreSQL (a city or more), chosen
//! from the database URL. On SQLite there is one writer connection and a pool of
//! readers; write transactions begin `IMMEDIATE`. Every function that reads or writes
//! territory-owned records takes the caller's [`Actor`] (who and which subtree) and
//! filters in SQL; out of scope and not found are the same answer.

pub mod accounts;
pub mod activities;
pub mod alliance;
pub mod audit;
pub mod bulk;
pub mod centres;
pub mod coverage;
mod db;
pub mod divisions;
mod entity;
mod error;
mod fresh;
pub mod generate;
mod migration;
pub mod registry;
mod rows;
mod together;

pub use db::{Backend, Store, create_postgres_database, drop_postgres_database};
pub use error::StoreError;

use tongxin_domain::access::Role;
use tongxin_domain::registry::AccountId;
use tongxin_domain::scope::Scope;

/// Who is acting, with which role, over which territory. Every scoped store call takes
/// one, so a query without a scope cannot be written.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: Option<AccountId>,
    pub username: String,
    pub role: Role,
    pub scope: Scope,
}

impl Actor {
    /// The command line run by the operator of the machine: everything in scope.
    pub fn system(name: &str) -> Self {
        Actor {
            account_id: None,
            username: name.to_string(),
            role: Role::SystemAdmin,
            scope: Scope::All,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl Actor {
    /// Refuses unless the actor's role allows `action`.
    pub fn require(&self, action: tongxin_domain::access::Action) -> Result<()> {
        if self.role.may(action) {
            Ok(())
        } else {
            Err(StoreError::Forbidden)
        }
    }
}

/// Runs CPU-bound work (an import's plan: checking and resolving every row) without
/// holding an async worker that other requests need: on a multi-threaded runtime the
/// worker first hands its other tasks to the rest (`block_in_place`); on a
/// single-threaded one (a test's) it just runs.
pub(crate) fn cpu<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}
