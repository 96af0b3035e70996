//! Accounts, login sessions and API tokens. Passwords are argon2id hashes; session and
//! API tokens are stored only as SHA-256 digests, so a copy of the database logs no one in.

use crate::entity::{account, api_token, party_org, session};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tongxin_domain::access::Role;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::AccountId;
use tongxin_domain::scope::Scope;

#[derive(Debug, Clone, Serialize)]
pub struct AccountView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub scope_division: Option<String>,
    pub scope_org_id: Option<i64>,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    pub member_id: Option<i64>,
}

fn view(m: account::Model) -> Result<AccountView> {
    Ok(AccountView {
        role: Role::parse(&m.role).ok_or(StoreError::NotFound)?,
        id: m.id,
        username: m.username,
        scope_division: m.scope_division,
        scope_org_id: m.scope_org_id,
        disabled: m.disabled,
        created_at: m.created_at,
        member_id: m.member_id,
    })
}

/// A random token of 32 bytes, hex-encoded.
pub fn new_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

pub(crate) fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Hashes a password on the blocking pool: argon2 is made to be slow, and an async
/// worker spent on it is one that cannot answer other requests.
async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h: PasswordHash| h.to_string())
            .map_err(|e| StoreError::BadFile(e.to_string()))
    })
    .await
    .map_err(|e| StoreError::BadFile(e.to_string()))?
}

/// Checks a password on the blocking pool (see [`hash_password`]).
async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_string(), hash.to_string());
    tokio::task::spawn_blocking(move || {
        hash.parse::<PasswordHash>()
            .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// A password to hand over once: 16 letters and digits that are easy to read aloud (no
/// 0/O, 1/l/I).
pub fn new_password() -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 10;

impl Store {
    /// Creates an account. Scope: a division code, an organisation id, or both; a system
    /// administrator needs neither.
    pub async fn create_account(
        &self,
        actor: &Actor,
        username: &str,
        password: &str,
        role: Role,
        scope_division: Option<&DivisionCode>,
        scope_org_id: Option<i64>,
    ) -> Result<AccountView> {
        actor.require(tongxin_domain::access::Action::ManageAccounts)?;
        // Accounts are made from above, within the maker's own territory.
        if !actor.role.may_grant(role) {
            return Err(StoreError::Forbidden);
        }
        let username = username.trim();
        if username.is_empty() || username.chars().count() > 64 || username.chars().any(char::is_whitespace) {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::UnknownValue {
                field: "username",
            }]));
        }
        if password.chars().count() < PASSWORD_MIN {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::TooLong {
                field: "password",
                max: PASSWORD_MIN,
            }]));
        }
        if role != Role::SystemAdmin && scope_division.is_none() && scope_org_id.is_none() {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                field: "scope",
            }]));
        }
        if let Some(d) = scope_division {
            self.known_division(d).await?;
            if !actor.scope.may_place_in(d) {
                return Err(StoreError::OutsideTerritory {
                    field: "scope_division",
                });
            }
        }
        if let Some(o) = scope_org_id {
            // An organisation the maker can see (the same rule as every reference).
            crate::registry::refs::org(&self.read, actor, tongxin_domain::registry::OrgId(o), "scope_org_id").await?;
        }
        let hash = hash_password(password).await?;
        let txn = self.begin().await?;
        let m = account::Entity::insert(account::ActiveModel {
            username: Set(username.to_string()),
            password_hash: Set(hash),
            role: Set(role.code().into()),
            scope_division: Set(scope_division.map(|d| d.to_string())),
            scope_org_id: Set(scope_org_id),
            disabled: Set(false),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique_as("username"))?;
        crate::audit::record(
            &txn,
            actor,
            "create",
            "account",
            Some(m.id),
            None,
            serde_json::to_value(&m).ok(),
        )
        .await?;
        txn.commit().await?;
        view(m)
    }

    /// Sets a new password (the command line's `user passwd`, and `serve` for `admin`).
    pub async fn set_password(&self, actor: &Actor, username: &str, password: &str) -> Result<()> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        if password.chars().count() < PASSWORD_MIN {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::TooLong {
                field: "password",
                max: PASSWORD_MIN,
            }]));
        }
        let m = self.account_by_name(username).await?.ok_or(StoreError::NotFound)?;
        self.replace_password(actor, m.id, password, "set_password").await
    }

    /// Stores a new password's hash, ends every session of the account (a new password
    /// ends them all) and records `action` (without the password).
    async fn replace_password(&self, actor: &Actor, id: i64, password: &str, action: &str) -> Result<()> {
        let hash = hash_password(password).await?;
        let txn = self.begin().await?;
        account::Entity::update(account::ActiveModel {
            id: Set(id),
            password_hash: Set(hash),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        session::Entity::delete_many()
            .filter(session::Column::AccountId.eq(id))
            .exec(&txn)
            .await?;
        crate::audit::record(&txn, actor, action, "account", Some(id), None, None).await?;
        txn.commit().await?;
        Ok(())
    }

    async fn account_by_name(&self, username: &str) -> Result<Option<account::Model>> {
        Ok(account::Entity::find()
            .filter(account::Column::Username.eq(username.trim()))
            .one(&self.read)
            .await?)
    }

    pub async fn account_exists(&self, username: &str) -> Result<bool> {
        Ok(self.account_by_name(username).await?.is_some())
    }

    /// Accounts the caller manages: every one for an administrator; for a district
    /// office, those below it whose scope lies in its territory.
    pub async fn list_accounts(&self, actor: &Actor) -> Result<Vec<AccountView>> {
        actor.require(tongxin_domain::access::Action::ManageAccounts)?;
        let all = account::Entity::find()
            .order_by_asc(account::Column::Username)
            .all(&self.read)
            .await?;
        let mut out = Vec::new();
        for m in all {
            if self.manages(actor, &m).await? {
                out.push(view(m)?);
            }
        }
        Ok(out)
    }

    /// True when `actor` manages the account `m`: it may grant its role, and its scope
    /// lies in the actor's territory (a division below the actor's, or an organisation
    /// the actor sees).
    async fn manages(&self, actor: &Actor, m: &account::Model) -> Result<bool> {
        let Some(role) = Role::parse(&m.role) else {
            return Ok(false);
        };
        if !actor.role.may(tongxin_domain::access::Action::ManageAccounts) || !actor.role.may_grant(role) {
            return Ok(false);
        }
        if matches!(actor.scope, Scope::All) {
            return Ok(true);
        }
        if m.scope_division.is_none() && m.scope_org_id.is_none() {
            return Ok(false);
        }
        if let Some(d) = &m.scope_division
            && !DivisionCode::parse(d).is_ok_and(|d| actor.scope.may_place_in(&d))
        {
            return Ok(false);
        }
        if let Some(o) = m.scope_org_id
            && crate::registry::refs::org(&self.read, actor, tongxin_domain::registry::OrgId(o), "scope_org_id")
                .await
                .is_err()
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// The id of an enabled account of `role` named `username` whose territory lies in
    /// the caller's (any other is `None`, said the same way): the service-centre staff
    /// put on a centre, the liaisons put on a member unit.
    pub(crate) async fn role_account_in<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        username: &str,
        role: Role,
    ) -> Result<Option<i64>> {
        let Some(m) = account::Entity::find()
            .filter(account::Column::Username.eq(username.trim()))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
        let in_territory = match (&actor.scope, m.scope_division.as_deref()) {
            (Scope::All, _) => true,
            (_, Some(d)) => DivisionCode::parse(d).is_ok_and(|d| actor.scope.may_place_in(&d)),
            (_, None) => false,
        };
        Ok((in_territory && !m.disabled && m.role == role.code()).then_some(m.id))
    }

    /// Usernames of accounts, by username.
    pub(crate) async fn usernames(&self, ids: &[i64]) -> Result<Vec<(i64, String)>> {
        Ok(account::Entity::find()
            .filter(account::Column::Id.is_in(ids.to_vec()))
            .order_by_asc(account::Column::Username)
            .all(&self.read)
            .await?
            .into_iter()
            .map(|m| (m.id, m.username))
            .collect())
    }

    /// An account the caller manages (any other is not found).
    async fn managed(&self, actor: &Actor, id: i64) -> Result<account::Model> {
        actor.require(tongxin_domain::access::Action::ManageAccounts)?;
        let m = account::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        if m.id == actor.account_id.map_or(-1, |a| a.0) || !self.manages(actor, &m).await? {
            return Err(StoreError::NotFound);
        }
        Ok(m)
    }

    pub async fn get_account(&self, actor: &Actor, id: i64) -> Result<AccountView> {
        view(self.managed(actor, id).await?)
    }

    /// What was done to a managed account, and by whom.
    pub async fn account_history(&self, actor: &Actor, id: i64) -> Result<Vec<crate::audit::AuditEntry>> {
        self.managed(actor, id).await?;
        self.history_of("account", id).await
    }

    /// Gives a managed account a new random password, shown once to the caller; every
    /// session of the account ends. Audited (without the password).
    pub async fn reset_password(&self, actor: &Actor, id: i64) -> Result<String> {
        let m = self.managed(actor, id).await?;
        let password = new_password();
        self.replace_password(actor, m.id, &password, "reset_password").await?;
        Ok(password)
    }

    /// Disables (or enables again) a managed account; disabling ends its sessions and
    /// its API tokens stop working. Audited.
    pub async fn set_account_disabled(&self, actor: &Actor, id: i64, disabled: bool) -> Result<AccountView> {
        let m = self.managed(actor, id).await?;
        let txn = self.begin().await?;
        let after = account::Entity::update(account::ActiveModel {
            id: Set(m.id),
            disabled: Set(disabled),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        if disabled {
            session::Entity::delete_many()
                .filter(session::Column::AccountId.eq(m.id))
                .exec(&txn)
                .await?;
        }
        crate::audit::record(
            &txn,
            actor,
            if disabled { "disable" } else { "enable" },
            "account",
            Some(m.id),
            Some(serde_json::json!({"disabled": m.disabled})),
            Some(serde_json::json!({"disabled": disabled})),
        )
        .await?;
        txn.commit().await?;
        view(after)
    }

    /// Links a member's account to its member record (in the caller's territory), for
    /// the member's own view.
    pub async fn link_member(
        &self,
        actor: &Actor,
        account: i64,
        member: tongxin_domain::registry::MemberId,
    ) -> Result<()> {
        let m = if matches!(actor.scope, Scope::All) && actor.role == Role::SystemAdmin {
            account::Entity::find_by_id(account)
                .one(&self.read)
                .await?
                .ok_or(StoreError::NotFound)?
        } else {
            self.managed(actor, account).await?
        };
        self.get_member(actor, member).await?;
        let txn = self.begin().await?;
        account::Entity::update(account::ActiveModel {
            id: Set(m.id),
            member_id: Set(Some(member.0)),
            ..Default::default()
        })
        .exec(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "link",
            "account",
            Some(m.id),
            None,
            Some(serde_json::json!({"member_id": member.0})),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// The caller's own member record (masked), when the account is a member's.
    pub async fn my_member(&self, actor: &Actor) -> Result<Option<crate::registry::MemberView>> {
        let Some(a) = actor.account_id else {
            return Ok(None);
        };
        let Some(m) = account::Entity::find_by_id(a.0).one(&self.read).await? else {
            return Ok(None);
        };
        match m.member_id {
            Some(id) => Ok(Some(
                self.get_member(actor, tongxin_domain::registry::MemberId(id)).await?,
            )),
            None => Ok(None),
        }
    }

    /// The actor an account acts as: its role and its scope.
    async fn actor_of(&self, m: &account::Model) -> Result<Actor> {
        let org_path = match m.scope_org_id {
            Some(o) => party_org::Entity::find_by_id(o).one(&self.read).await?.map(|o| o.path),
            None => None,
        };
        ActorRow {
            id: m.id,
            username: m.username.clone(),
            role: m.role.clone(),
            scope_division: m.scope_division.clone(),
            scope_org_id: m.scope_org_id,
            disabled: m.disabled,
            org_path,
            csrf_token: None,
            token_hash: None,
        }
        .actor()
    }

    /// Checks a password. Returns the actor, or `None` for a wrong name or password
    /// (the two are not told apart). A missing user still costs one hash.
    pub async fn verify_login(&self, username: &str, password: &str) -> Result<Option<Actor>> {
        let m = self.account_by_name(username).await?;
        match m {
            Some(m) => {
                let ok = verify_password(password, &m.password_hash).await;
                if ok && !m.disabled {
                    Ok(Some(self.actor_of(&m).await?))
                } else {
                    Ok(None)
                }
            }
            None => {
                let _ = verify_password(
                    password,
                    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Z5e9uMFwR1WkNdeWcM0aFD2c6oAZUoiPmgJGtfkMbSc",
                )
                .await;
                Ok(None)
            }
        }
    }

    /// Opens a login session; returns the session token and its CSRF token.
    pub async fn create_session(&self, actor: &Actor, ttl: Duration) -> Result<(String, String)> {
        let account_id = actor.account_id.ok_or(StoreError::NotFound)?;
        let token = new_token();
        let csrf = new_token();
        let now = Utc::now();
        session::Entity::delete_many()
            .filter(session::Column::ExpiresAt.lt(now))
            .exec(&self.write)
            .await?;
        session::Entity::insert(session::ActiveModel {
            token_hash: Set(digest(&token)),
            account_id: Set(account_id.0),
            csrf_token: Set(csrf.clone()),
            expires_at: Set(now + ttl),
        })
        .exec_without_returning(&self.write)
        .await?;
        Ok((token, csrf))
    }

    /// The actor and CSRF token of a live session.
    pub async fn session_actor(&self, token: &str) -> Result<Option<(Actor, String)>> {
        // One query, the session, its account and its organisation's path together:
        // every page a signed-in person opens pays for it.
        let q = actor_query()
            .inner_join(
                session::Entity,
                Expr::col((session::Entity, session::Column::AccountId)).equals((account::Entity, account::Column::Id)),
            )
            .and_where(Expr::col((session::Entity, session::Column::TokenHash)).eq(digest(token)))
            .and_where(Expr::col((session::Entity, session::Column::ExpiresAt)).gte(Utc::now()))
            .column((session::Entity, session::Column::CsrfToken))
            .expr_as(Expr::value(Option::<String>::None), Alias::new("token_hash"))
            .to_owned();
        match self.actor_row(&q).await? {
            Some(row) => {
                let csrf = row.csrf_token.clone().unwrap_or_default();
                Ok(Some((row.actor()?, csrf)))
            }
            None => Ok(None),
        }
    }

    /// The one account `q` ([`actor_query`] narrowed) finds, when it is not disabled.
    async fn actor_row(&self, q: &SelectStatement) -> Result<Option<ActorRow>> {
        let backend = self.read.get_database_backend();
        Ok(ActorRow::find_by_statement(backend.build(q))
            .one(&self.read)
            .await?
            .filter(|r| !r.disabled))
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        session::Entity::delete_by_id(digest(token)).exec(&self.write).await?;
        Ok(())
    }

    /// The actor an account acts as (an administrator's: the demo registers its member's
    /// account for an activity as that account would).
    pub async fn acting_as(&self, actor: &Actor, username: &str) -> Result<Actor> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let m = self.account_by_name(username).await?.ok_or(StoreError::NotFound)?;
        self.actor_of(&m).await
    }

    /// Issues an API token for an account (shown once; only its digest is kept).
    pub async fn create_api_token(&self, actor: &Actor, username: &str, name: &str) -> Result<String> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let m = self.account_by_name(username).await?.ok_or(StoreError::NotFound)?;
        let token = format!("tx_{}", new_token());
        let txn = self.begin().await?;
        api_token::Entity::insert(api_token::ActiveModel {
            account_id: Set(m.id),
            name: Set(name.to_string()),
            token_hash: Set(digest(&token)),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "create_token",
            "account",
            Some(m.id),
            None,
            Some(serde_json::json!({"name": name})),
        )
        .await?;
        txn.commit().await?;
        Ok(token)
    }

    /// The account an API token acts for, its organisation's path joined. Every API call
    /// that misses the server's cache pays for it, so the tokens asked for together are
    /// read with one query ([`crate::together`]).
    pub async fn token_actor(&self, token: &str) -> Result<Option<Actor>> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let store = self.clone();
        let row = crate::together::Together::wait(&self.token_reads, (digest(token), tx), rx, move |batch| {
            let store = store.clone();
            async move { store.read_tokens(batch).await }
        })
        .await
        .ok_or(StoreError::Busy)??;
        row.map(ActorRow::actor).transpose()
    }

    /// Reads the accounts of the tokens `batch` asks for (by digest), and answers each.
    async fn read_tokens(&self, batch: Vec<TokenRead>) {
        let digests: Vec<&str> = batch.iter().map(|(d, _)| d.as_str()).collect();
        let q = actor_query()
            .inner_join(
                api_token::Entity,
                Expr::col((api_token::Entity, api_token::Column::AccountId))
                    .equals((account::Entity, account::Column::Id)),
            )
            .and_where(Expr::col((api_token::Entity, api_token::Column::TokenHash)).is_in(digests))
            .expr_as(
                Expr::col((api_token::Entity, api_token::Column::TokenHash)),
                Alias::new("token_hash"),
            )
            .expr_as(Expr::value(Option::<String>::None), Alias::new("csrf_token"))
            .to_owned();
        let backend = self.read.get_database_backend();
        match ActorRow::find_by_statement(backend.build(&q)).all(&self.read).await {
            Ok(rows) => {
                let by_digest: std::collections::HashMap<String, ActorRow> = rows
                    .into_iter()
                    .filter(|r| !r.disabled)
                    .filter_map(|r| Some((r.token_hash.clone()?, r)))
                    .collect();
                // One token may be asked for by several callers at once.
                for (d, tx) in batch {
                    let _ = tx.send(Ok(by_digest.get(&d).cloned()));
                }
            }
            Err(e) => {
                let e = StoreError::from(e);
                tracing::warn!(error = %e, tokens = batch.len(), "reading API tokens");
                for (_, tx) in batch {
                    let _ = tx.send(Err(StoreError::Busy));
                }
            }
        }
    }
}

/// The settings key that lists a demo store's accounts.
const DEMO_ACCOUNTS: &str = "demo.accounts";

/// Most API tokens one query reads.
pub(crate) const TOKENS_READ_TOGETHER: usize = 500;

impl Store {
    /// Notes the demo accounts (names and roles; their passwords were printed once when
    /// they were made and are kept nowhere), so the login page of a demo store can say
    /// which accounts exist and where their passwords are.
    pub async fn note_demo_accounts(&self, actor: &Actor, accounts: &[(String, Role)]) -> Result<()> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let mut all = self.demo_accounts().await?;
        for (name, role) in accounts {
            if !all.iter().any(|(n, _)| n == name) {
                all.push((name.clone(), *role));
            }
        }
        let list: Vec<(String, &str)> = all.iter().map(|(n, r)| (n.clone(), r.code())).collect();
        let json = serde_json::to_string(&list).map_err(|e| StoreError::BadFile(e.to_string()))?;
        crate::coverage::set_setting(&self.write, DEMO_ACCOUNTS, Some(&json)).await
    }

    /// The demo accounts of this store (empty unless it holds the demo district).
    pub async fn demo_accounts(&self) -> Result<Vec<(String, Role)>> {
        let Some(json) = crate::coverage::setting(&self.read, DEMO_ACCOUNTS).await? else {
            return Ok(vec![]);
        };
        let list: Vec<(String, String)> = serde_json::from_str(&json).unwrap_or_default();
        Ok(list
            .into_iter()
            .filter_map(|(n, r)| Some((n, Role::parse(&r)?)))
            .collect())
    }
}

/// A password hash no password matches: accounts made in bulk act by API token only.
const NO_PASSWORD: &str = "!";

impl Store {
    /// Makes `n` member accounts named `{prefix}{i}` in `division`, each with an API
    /// token, for load tests (`tongxin bench register`): hashing 20,000 passwords would
    /// take minutes, so these accounts have none and sign in by token only. Written in
    /// batches, one audit entry for all. Returns the tokens in the order of the names.
    pub async fn bulk_member_accounts(
        &self,
        actor: &Actor,
        prefix: &str,
        n: usize,
        division: &DivisionCode,
    ) -> Result<Vec<String>> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        self.known_division(division).await?;
        let now = Utc::now();
        let mut tokens = Vec::with_capacity(n);
        let txn = self.begin().await?;
        // Rows per statement: below SQLite's limit of 32,766 bound values.
        const BATCH: usize = 1000;
        for start in (0..n).step_by(BATCH) {
            let names: Vec<String> = (start..(start + BATCH).min(n))
                .map(|i| format!("{prefix}{i}"))
                .collect();
            account::Entity::insert_many(names.iter().map(|name| account::ActiveModel {
                username: Set(name.clone()),
                password_hash: Set(NO_PASSWORD.into()),
                role: Set(Role::Member.code().into()),
                scope_division: Set(Some(division.as_str().into())),
                scope_org_id: Set(None),
                disabled: Set(false),
                created_at: Set(now),
                member_id: Set(None),
                ..Default::default()
            }))
            .exec_without_returning(&txn)
            .await
            .map_err(unique_as("username"))?;
            let ids: Vec<(i64, String)> = account::Entity::find()
                .filter(account::Column::Username.is_in(names.clone()))
                .all(&txn)
                .await?
                .into_iter()
                .map(|m| (m.id, m.username))
                .collect();
            let by_name: std::collections::HashMap<String, i64> = ids.into_iter().map(|(i, u)| (u, i)).collect();
            let mut rows = Vec::with_capacity(names.len());
            for name in &names {
                let token = format!("tx_{}", new_token());
                rows.push(api_token::ActiveModel {
                    account_id: Set(by_name.get(name).copied().ok_or(StoreError::NotFound)?),
                    name: Set("bulk".into()),
                    token_hash: Set(digest(&token)),
                    created_at: Set(now),
                    ..Default::default()
                });
                tokens.push(token);
            }
            api_token::Entity::insert_many(rows)
                .exec_without_returning(&txn)
                .await?;
        }
        crate::audit::record(
            &txn,
            actor,
            "bulk_member_accounts",
            "account",
            None,
            None,
            Some(serde_json::json!({"prefix": prefix, "count": n, "division": division.as_str()})),
        )
        .await?;
        txn.commit().await?;
        Ok(tokens)
    }
}

/// A token asked for (its digest) and where its account goes.
pub(crate) type TokenRead = (String, tokio::sync::oneshot::Sender<Result<Option<ActorRow>>>);

/// An account as a request acts for it, read with its organisation's path in one query.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct ActorRow {
    id: i64,
    username: String,
    role: String,
    scope_division: Option<String>,
    scope_org_id: Option<i64>,
    disabled: bool,
    org_path: Option<String>,
    /// A session's guard against cross-site requests (none for an API token).
    csrf_token: Option<String>,
    /// The digest of the API token it was read by (none for a session).
    token_hash: Option<String>,
}

impl ActorRow {
    /// The actor, as [`Store::actor_of`] makes it from the account and its
    /// organisation's path; `NotFound` when its organisation is gone.
    fn actor(self) -> Result<Actor> {
        let role = Role::parse(&self.role).ok_or(StoreError::NotFound)?;
        let scope = if role == Role::SystemAdmin && self.scope_division.is_none() && self.scope_org_id.is_none() {
            Scope::All
        } else {
            let division = self.scope_division.as_deref().and_then(|d| DivisionCode::parse(d).ok());
            let org = match self.scope_org_id {
                Some(_) => Some(
                    self.org_path
                        .as_deref()
                        .and_then(tongxin_domain::registry::OrgPath::from_stored)
                        .ok_or(StoreError::NotFound)?,
                ),
                None => None,
            };
            Scope::Within { division, org }
        };
        Ok(Actor {
            account_id: Some(AccountId(self.id)),
            username: self.username,
            role,
            scope,
        })
    }
}

/// The columns of an account that make its actor, with its organisation's path (left
/// joined): narrowed by a session or a token.
fn actor_query() -> SelectStatement {
    Query::select()
        .columns([
            (account::Entity, account::Column::Id),
            (account::Entity, account::Column::Username),
            (account::Entity, account::Column::Role),
            (account::Entity, account::Column::ScopeDivision),
            (account::Entity, account::Column::ScopeOrgId),
            (account::Entity, account::Column::Disabled),
        ])
        .expr_as(
            Expr::col((party_org::Entity, party_org::Column::Path)),
            Alias::new("org_path"),
        )
        .from(account::Entity)
        .left_join(
            party_org::Entity,
            Expr::col((party_org::Entity, party_org::Column::Id))
                .equals((account::Entity, account::Column::ScopeOrgId)),
        )
        .to_owned()
}
