//! What a server keeps in memory for a short while, by activity (its terms, its
//! sold-out mark): a value is given back only while younger than the map's time, and
//! the map holds at most [`FRESH_MAX`] of them.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Most values one map keeps: it holds the activities of the moment.
pub(crate) const FRESH_MAX: usize = 10_000;

/// Values by number, each kept for `ttl` after it was put.
pub(crate) struct Fresh<V> {
    map: RwLock<HashMap<i64, (V, Instant)>>,
    ttl: Duration,
}

impl<V: Clone> Fresh<V> {
    pub(crate) fn new(ttl: Duration) -> Self {
        Fresh {
            map: RwLock::new(HashMap::new()),
            ttl,
        }
    }

    /// The value kept for `id`, while fresh.
    pub(crate) fn get(&self, id: i64) -> Option<V> {
        let map = self.map.read().ok()?;
        map.get(&id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(v, _)| v.clone())
    }

    /// Keeps `v` for `id` from now. A full map first drops what is stale, and starts
    /// again when all of it is fresh, rather than grow.
    pub(crate) fn put(&self, id: i64, v: V) {
        if let Ok(mut map) = self.map.write() {
            if map.len() >= FRESH_MAX {
                map.retain(|_, (_, at)| at.elapsed() < self.ttl);
                if map.len() >= FRESH_MAX {
                    map.clear();
                }
            }
            map.insert(id, (v, Instant::now()));
        }
    }

    /// Forgets what is kept for `id`.
    pub(crate) fn forget(&self, id: i64) {
        if let Ok(mut map) = self.map.write() {
            map.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_given_while_fresh_and_the_map_stays_bounded() {
        let f = Fresh::new(Duration::from_secs(60));
        f.put(1, "a");
        assert_eq!(f.get(1), Some("a"));
        f.forget(1);
        assert_eq!(f.get(1), None);
        for i in 0..(FRESH_MAX as i64 + 5) {
            f.put(i, "x");
        }
        assert!(f.map.read().expect("map").len() <= FRESH_MAX);
        let stale = Fresh::new(Duration::ZERO);
        stale.put(1, "a");
        assert_eq!(stale.get(1), None);
    }
}
