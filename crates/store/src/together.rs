//! Work that arrives together is done together (成组处理): callers put their items in a
//! queue and wait for their answers; the first to find the turn free takes every item
//! waiting and hands them to one piece of work (one transaction, one query), then
//! whatever came meanwhile, until none waits. No task runs in the background between
//! turns, and nothing is kept anywhere but in the callers' memory while they wait: an
//! item waits only as long as its caller waits for its answer.
//!
//! Used by the group commit of registrations (activities/batch.rs) and by the reads of
//! API tokens (accounts.rs), where a crowd's requests each cost a statement and a
//! hand-off to the database's thread.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

/// A queue of items waiting to be served together, and the turn to serve them.
pub(crate) struct Together<T> {
    waiting: Mutex<Vec<T>>,
    turn: Arc<tokio::sync::Mutex<()>>,
    /// Most items one turn serves at once.
    max: usize,
}

impl<T> Together<T> {
    pub(crate) fn new(max: usize) -> Self {
        Together {
            waiting: Mutex::new(Vec::new()),
            turn: Arc::new(tokio::sync::Mutex::new(())),
            max: max.max(1),
        }
    }

    /// Takes the items waiting, the oldest first, at most `max`.
    fn next(&self) -> Vec<T> {
        match self.waiting.lock() {
            Ok(mut waiting) => {
                let n = waiting.len().min(self.max);
                waiting.drain(..n).collect()
            }
            Err(_) => Vec::new(),
        }
    }
}

impl<T: Send + 'static> Together<T> {
    /// Puts `item` (which carries the sender of `answer`) in the queue and waits for
    /// `answer`. When the turn is free, this caller takes every item waiting and serves
    /// them with `serve`, on a task of its own, so that a caller who goes away (its
    /// connection closed) takes no one else's item with it. `None` when the answer's
    /// sender was dropped unanswered.
    pub(crate) async fn wait<A, S, F>(
        queue: &Arc<Self>,
        item: T,
        mut answer: oneshot::Receiver<A>,
        serve: S,
    ) -> Option<A>
    where
        S: Fn(Vec<T>) -> F + Clone + Send + 'static,
        F: Future<Output = ()> + Send,
    {
        queue.waiting.lock().ok()?.push(item);
        loop {
            tokio::select! {
                biased;
                a = &mut answer => return a.ok(),
                turn = queue.turn.clone().lock_owned() => {
                    let batch = queue.next();
                    if batch.is_empty() {
                        // Ours went with an earlier turn, whose answer is on its way.
                        continue;
                    }
                    let serve = serve.clone();
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        let mut batch = batch;
                        while !batch.is_empty() {
                            serve(batch).await;
                            batch = queue.next();
                        }
                        drop(turn);
                    });
                }
            }
        }
    }
}
