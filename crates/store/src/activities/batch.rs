//! Group commit of registrations (报名的成组提交): the registrations that arrive while
//! one transaction is being written go together into the next, a few statements for all
//! of them, and each caller is answered only once that transaction has committed.
//!
//! A flash sale sends thousands of registrations a second for one activity. Written one
//! transaction each, they pass one at a time through SQLite's single writer (or
//! PostgreSQL's lock on the activity's row and its WAL flush), several round trips each.
//! Together they cost what one does. Nothing is kept anywhere but in the database: a
//! registration waits in this server's memory only as long as its caller waits for its
//! answer, and is answered "registered" only after the commit that holds it (durable
//! before the answer, as one transaction each was). When a batch cannot be written as a
//! whole, each of its registrations is written on its own, as before.
//!
//! No task runs in the background: the first caller to find the writer free takes every
//! registration waiting and writes them (leader and followers).

use super::registrations::{ENDED, Terms, refused};
use crate::entity::{activity, activity_registration as reg};
use crate::{Result, Store, StoreError};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryTrait,
};
use std::collections::{BTreeMap, HashMap, HashSet};
use tokio::sync::oneshot;
use tongxin_domain::activities::{Allocation, Refusal};

/// Most registrations one transaction writes: within every engine's limit of bound
/// values (a row has nine), and a transaction short enough for others to get a turn.
pub const BATCH_MAX: usize = 1_000;

/// A registration to write: who, for what, and where its answer goes.
pub(crate) struct Pending {
    pub activity: i64,
    pub person_key: String,
    pub account: Option<i64>,
    pub name: String,
    pub phone: Option<String>,
    pub places: i32,
    /// Where its answer goes: set when it is handed to [`Store::register_batched`].
    pub reply: Option<oneshot::Sender<Result<reg::Model>>>,
}

impl Pending {
    fn answer(&mut self, r: Result<reg::Model>) {
        if let Some(tx) = self.reply.take() {
            // A caller gone (its connection closed) finds its registration in the store.
            let _ = tx.send(r);
        }
    }
}

/// The registrations waiting for a transaction, and the turn to write one.
pub(crate) struct Batcher {
    queue: std::sync::Arc<crate::together::Together<Pending>>,
    /// Transactions that wrote registrations together, and how many they wrote.
    batches: std::sync::atomic::AtomicU64,
    written: std::sync::atomic::AtomicU64,
}

impl Default for Batcher {
    fn default() -> Self {
        Batcher {
            queue: std::sync::Arc::new(crate::together::Together::new(BATCH_MAX)),
            batches: Default::default(),
            written: Default::default(),
        }
    }
}

/// What a registration becomes, decided under the activity's lock.
struct Planned {
    index: usize,
    status: &'static str,
    revive: bool,
}

impl Store {
    /// How many transactions of several registrations this server has written, and how
    /// many registrations they held (refusals included): the group commit at work.
    pub fn registration_batches(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.batcher.batches.load(Relaxed), self.batcher.written.load(Relaxed))
    }

    /// Writes one registration with those that arrive with it, and answers with it as
    /// committed: `registered`, `waitlisted` or `entered`, or why not (sold out, already
    /// registered, or the activity's terms as committed refuse it). The caller may have
    /// refused early already, from the terms its server keeps.
    pub(crate) async fn register_batched(&self, mut pending: Pending) -> Result<reg::Model> {
        let (tx, rx) = oneshot::channel();
        pending.reply = Some(tx);
        let store = self.clone();
        crate::together::Together::wait(&self.batcher.queue, pending, rx, move |batch| {
            let store = store.clone();
            async move { store.write_batch(batch).await }
        })
        .await
        .ok_or(StoreError::Busy)?
    }

    /// Writes `batch` in one transaction and answers each; when that fails, writes each
    /// on its own.
    async fn write_batch(&self, mut batch: Vec<Pending>) {
        match self.try_batch(&batch).await {
            Ok((answers, sold_out)) => {
                use std::sync::atomic::Ordering::Relaxed;
                self.batcher.batches.fetch_add(1, Relaxed);
                self.batcher.written.fetch_add(batch.len() as u64, Relaxed);
                for (p, a) in batch.iter_mut().zip(answers) {
                    p.answer(a);
                }
                for id in sold_out {
                    self.sold_out_now(id);
                }
            }
            Err(_) => {
                // Each on its own: one's fault (its row refused by the unique key)
                // costs no one else theirs.
                for p in &mut batch {
                    let r = match self.try_batch(std::slice::from_ref(p)).await {
                        Ok((mut answers, sold_out)) => {
                            for id in sold_out {
                                self.sold_out_now(id);
                            }
                            answers.pop().unwrap_or(Err(StoreError::Busy))
                        }
                        Err(e) => Err(e),
                    };
                    p.answer(r);
                }
            }
        }
    }

    /// One transaction for all of `batch`: per activity (in the order of their numbers,
    /// so two servers lock them in the same order), the activity's row is locked, who
    /// holds a registration already is read, places are given in the order the
    /// registrations came, and the rows are written with one statement. Returns each
    /// one's answer, and the activities found sold out.
    async fn try_batch(&self, batch: &[Pending]) -> Result<(Vec<Result<reg::Model>>, Vec<i64>)> {
        let mut answers: Vec<Option<Result<reg::Model>>> = std::iter::repeat_with(|| None).take(batch.len()).collect();
        let mut by_activity: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, p) in batch.iter().enumerate() {
            by_activity.entry(p.activity).or_default().push(i);
        }
        let txn = self.begin().await?;
        let now = Utc::now();
        let at = super::now();
        let mut sold_out = Vec::new();
        for (id, indexes) in by_activity {
            let Some(a) = lock_activity(&txn, id).await? else {
                for i in indexes {
                    answers[i] = Some(Err(StoreError::NotFound));
                }
                continue;
            };
            // The terms asked again of the row as committed: a server's kept copy of
            // them refuses early, never admits.
            let terms = Terms::of(&a);
            let first_come = terms.allocation == Allocation::FirstCome;
            let keys: Vec<&str> = indexes.iter().map(|&i| batch[i].person_key.as_str()).collect();
            let held: HashMap<String, String> = reg::Entity::find()
                .filter(reg::Column::ActivityId.eq(id))
                .filter(reg::Column::PersonKey.is_in(keys))
                .all(&txn)
                .await?
                .into_iter()
                .map(|r| (r.person_key, r.status))
                .collect();
            let (mut taken, mut waiting) = (a.taken, a.waiting);
            let mut seen = HashSet::new();
            let mut planned = Vec::new();
            for i in indexes {
                let p = &batch[i];
                if let Err(e) = terms.admit(p.account.is_some(), p.places, at) {
                    answers[i] = Some(Err(e));
                    continue;
                }
                let before = held.get(&p.person_key);
                if !seen.insert(p.person_key.as_str()) || before.is_some_and(|s| !ENDED.contains(&s.as_str())) {
                    answers[i] = Some(Err(refused(Refusal::AlreadyRegistered)));
                    continue;
                }
                let status = if !first_come {
                    "entered"
                } else if taken.saturating_add(p.places) <= a.capacity {
                    taken += p.places;
                    "registered"
                } else if waiting < a.waitlist {
                    waiting += 1;
                    "waitlisted"
                } else {
                    answers[i] = Some(Err(refused(Refusal::SoldOut)));
                    continue;
                };
                planned.push(Planned {
                    index: i,
                    status,
                    revive: before.is_some(),
                });
            }
            if (taken, waiting) != (a.taken, a.waiting) {
                activity::Entity::update_many()
                    .col_expr(activity::Column::Taken, Expr::value(taken))
                    .col_expr(activity::Column::Waiting, Expr::value(waiting))
                    .filter(activity::Column::Id.eq(id))
                    .exec(&txn)
                    .await?;
            }
            if taken >= a.capacity && a.waitlist == 0 {
                sold_out.push(id);
            }
            let written: HashMap<String, reg::Model> = write_planned(&txn, batch, &planned, id, now)
                .await?
                .into_iter()
                .map(|r| (r.person_key.clone(), r))
                .collect();
            for p in &planned {
                let row = written
                    .get(&batch[p.index].person_key)
                    .filter(|r| r.status == p.status)
                    .cloned()
                    // Not as written: the batch is undone and each is written alone.
                    .ok_or(StoreError::Busy)?;
                answers[p.index] = Some(Ok(row));
            }
        }
        txn.commit().await?;
        let answers = answers
            .into_iter()
            .map(|a| a.unwrap_or(Err(StoreError::Busy)))
            .collect();
        Ok((answers, sold_out))
    }
}

/// Locks activity `id`'s row for the rest of `txn` (a row lock on PostgreSQL; SQLite's
/// transaction holds the writer already) and reads it; none when it is gone or archived.
async fn lock_activity(txn: &DatabaseTransaction, id: i64) -> Result<Option<activity::Model>> {
    activity::Entity::update_many()
        .col_expr(activity::Column::Taken, Expr::col(activity::Column::Taken))
        .filter(activity::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(activity::Entity::find_by_id(id).one(txn).await?.filter(|a| !a.archived))
}

/// Writes the registrations `planned` of activity `id`, and returns the rows as written
/// (`RETURNING`, no read after): one statement for the new ones (the unique key refuses
/// a second of a person: then the whole is undone); a registration cancelled, or whose
/// offer expired, comes back at the end of any line (the line goes by `created_at`).
async fn write_planned(
    txn: &DatabaseTransaction,
    batch: &[Pending],
    planned: &[Planned],
    id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<reg::Model>> {
    let backend = txn.get_database_backend();
    let mut written = Vec::with_capacity(planned.len());
    let mut rows = Vec::new();
    for plan in planned {
        let p = &batch[plan.index];
        if plan.revive {
            let mut q = reg::Entity::update_many()
                .col_expr(reg::Column::Status, Expr::value(plan.status))
                .col_expr(reg::Column::Places, Expr::value(p.places))
                .col_expr(reg::Column::Name, Expr::value(p.name.clone()))
                .col_expr(reg::Column::CreatedAt, Expr::value(now))
                .col_expr(reg::Column::CancelledAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(reg::Column::CheckedInAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(reg::Column::OfferExpiresAt, Expr::value(Option::<DateTime<Utc>>::None))
                .filter(reg::Column::ActivityId.eq(id))
                .filter(reg::Column::PersonKey.eq(&p.person_key))
                .filter(reg::Column::Status.is_in(ENDED))
                .into_query();
            q.returning_all();
            written.extend(reg::Entity::find().from_raw_sql(backend.build(&q)).all(txn).await?);
        } else {
            rows.push(reg::ActiveModel {
                activity_id: Set(id),
                person_key: Set(p.person_key.clone()),
                account_id: Set(p.account),
                name: Set(p.name.clone()),
                phone: Set(p.phone.clone()),
                places: Set(p.places),
                status: Set(plan.status.into()),
                created_at: Set(now),
                ..Default::default()
            });
        }
    }
    let expected = rows.len();
    if expected > 0 {
        let mut q = reg::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([reg::Column::ActivityId, reg::Column::PersonKey])
                    .do_nothing()
                    .to_owned(),
            )
            .into_query();
        q.returning_all();
        let inserted = reg::Entity::find().from_raw_sql(backend.build(&q)).all(txn).await?;
        if inserted.len() != expected {
            return Err(refused(Refusal::AlreadyRegistered));
        }
        written.extend(inserted);
    }
    Ok(written)
}
