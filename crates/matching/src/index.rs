//! An inverted index of posts' words (their postings), as a server keeps one per
//! conference and kind: which posts hold a word and how often, and each post's length.
//!
//! A match asks it for the best posts by text alone (BM25 over the query's meanings,
//! without allocating per post), then ranks only those with every signal ([`crate::rank`]).
//! The store decides when a copy is stale; this is the data structure and its tests.

use crate::rank::{Candidate, bm25_part, idf};
use std::collections::HashMap;
use std::sync::Arc;

/// A post's words with their counts.
type Words = Vec<(Arc<str>, u32)>;

/// Posts' words with their counts, by post and by word.
#[derive(Debug, Clone, Default)]
pub struct Index {
    /// Each post's words with their counts (shared with `by_word`: a copy of the
    /// index, made when a server patches it, copies no text).
    /// Each post's length is kept beside them, summed once when the post is put.
    posts: HashMap<i64, (u32, Words)>,
    /// Each word's posts with its count in them.
    by_word: HashMap<Arc<str>, Vec<(i64, u32)>>,
    /// The sum of every post's length in words.
    total_len: u64,
}

/// The best posts by text for a query, and in how many posts each of its keys occurs.
#[derive(Debug, Clone, Default)]
pub struct Shortlist {
    /// Best first (ties by id), each with its counts of the query's keys and its
    /// length; the other fields are left for the caller to fill.
    pub candidates: Vec<Candidate>,
    /// In how many posts each key occurs (a key counts once per post, whichever of its
    /// words the post holds).
    pub df: HashMap<String, u32>,
    /// How many posts the index holds, and their mean length in words.
    pub docs: u32,
    pub avg_len: f64,
}

impl Index {
    /// Keeps `words` (with counts) as post `post`'s, replacing what it held.
    pub fn put(&mut self, post: i64, words: Vec<(String, u32)>) {
        self.remove(post);
        let mut kept = Vec::with_capacity(words.len());
        for (w, n) in words {
            let w: Arc<str> = match self.by_word.get_key_value(w.as_str()) {
                Some((k, _)) => k.clone(),
                None => Arc::from(w),
            };
            self.by_word.entry(w.clone()).or_default().push((post, n));
            self.total_len += u64::from(n);
            kept.push((w, n));
        }
        let len = kept.iter().map(|(_, n)| *n).sum();
        self.posts.insert(post, (len, kept));
    }

    /// Forgets post `post`.
    pub fn remove(&mut self, post: i64) {
        let Some((_, words)) = self.posts.remove(&post) else {
            return;
        };
        for (w, n) in words {
            self.total_len = self.total_len.saturating_sub(u64::from(n));
            if let Some(list) = self.by_word.get_mut(w.as_ref()) {
                list.retain(|(p, _)| *p != post);
                if list.is_empty() {
                    self.by_word.remove(w.as_ref());
                }
            }
        }
    }

    /// How many posts it holds.
    pub fn docs(&self) -> u32 {
        u32::try_from(self.posts.len()).unwrap_or(u32::MAX)
    }

    /// Their mean length in words (1 when empty).
    pub fn avg_len(&self) -> f64 {
        if self.posts.is_empty() {
            1.0
        } else {
            self.total_len as f64 / self.posts.len() as f64
        }
    }

    /// The best `limit` posts by text for a query of `keys`, each key with the words
    /// that mean it (`words_of_key_in`): BM25 as [`crate::rank`] scores the text, with
    /// each post's own length.
    pub fn shortlist(&self, keys: &[(String, Vec<String>)], limit: usize) -> Shortlist {
        let docs = self.docs().max(1);
        let avg_len = self.avg_len();
        // Per post, the count of each key (by its position in `keys`).
        let mut counts: HashMap<i64, Vec<u32>> = HashMap::new();
        for (i, (_, words)) in keys.iter().enumerate() {
            for w in words {
                for (p, n) in self.by_word.get(w.as_str()).into_iter().flatten() {
                    counts.entry(*p).or_insert_with(|| vec![0; keys.len()])[i] += n;
                }
            }
        }
        let mut df = vec![0u32; keys.len()];
        for c in counts.values() {
            for (d, n) in df.iter_mut().zip(c) {
                *d += u32::from(*n > 0);
            }
        }
        let weights: Vec<f64> = df.iter().map(|d| idf(docs, *d)).collect();
        let len_of = |p: &i64| -> u32 { self.posts.get(p).map_or(0, |(len, _)| *len) };
        let mut scored: Vec<(f64, i64)> = counts
            .iter()
            .map(|(p, c)| {
                let len = len_of(p);
                let s = c
                    .iter()
                    .zip(&weights)
                    .map(|(tf, w)| bm25_part(*w, *tf, len, avg_len))
                    .sum::<f64>();
                (s, *p)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(limit);
        let candidates = scored
            .into_iter()
            .map(|(_, p)| {
                let c = &counts[&p];
                Candidate {
                    id: p,
                    tf: keys
                        .iter()
                        .zip(c)
                        .filter(|(_, n)| **n > 0)
                        .map(|((k, _), n)| (k.clone(), *n))
                        .collect(),
                    len: len_of(&p),
                    ..Default::default()
                }
            })
            .collect();
        Shortlist {
            candidates,
            df: keys.iter().zip(df).map(|((k, _), d)| (k.clone(), d)).collect(),
            docs,
            avg_len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn words(ws: &[(&str, u32)]) -> Vec<(String, u32)> {
        ws.iter().map(|(w, n)| (w.to_string(), *n)).collect()
    }

    fn keys(ks: &[(&str, &[&str])]) -> Vec<(String, Vec<String>)> {
        ks.iter()
            .map(|(k, ws)| (k.to_string(), ws.iter().map(|w| w.to_string()).collect()))
            .collect()
    }

    #[test]
    fn synonyms_count_as_one_key_and_length_matters() {
        let mut ix = Index::default();
        ix.put(1, words(&[("体检", 1), ("社区", 1)]));
        ix.put(2, words(&[("义诊", 2), ("社区", 1), ("活动", 5), ("场地", 3)]));
        ix.put(3, words(&[("贷款", 1)]));
        let s = ix.shortlist(&keys(&[("~体检", &["体检", "义诊"])]), 10);
        assert_eq!(s.docs, 3);
        assert_eq!(s.df["~体检"], 2);
        assert!((s.avg_len - 14.0 / 3.0).abs() < 1e-9);
        // The short post holding it once beats the long one holding it twice.
        let ids: Vec<i64> = s.candidates.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 2]);
        assert_eq!(s.candidates[1].tf["~体检"], 2);
        assert_eq!(s.candidates[1].len, 11);
    }

    #[test]
    fn put_replaces_and_remove_forgets() {
        let mut ix = Index::default();
        ix.put(1, words(&[("体检", 1)]));
        ix.put(1, words(&[("贷款", 2)]));
        assert_eq!(ix.docs(), 1);
        assert!(ix.shortlist(&keys(&[("体检", &["体检"])]), 5).candidates.is_empty());
        assert_eq!(ix.shortlist(&keys(&[("贷款", &["贷款"])]), 5).candidates[0].len, 2);
        ix.remove(1);
        ix.remove(7);
        assert_eq!(ix.docs(), 0);
        assert_eq!(ix.avg_len(), 1.0);
        assert!(ix.by_word.is_empty());
    }

    proptest! {
        /// The shortlist holds the best posts by BM25 over the query's keys (written out
        /// again here: k1 = 1.2, b = 0.75), best first, and its counts,
        /// lengths and document frequencies are the posts' own.
        #[test]
        fn shortlist_is_the_best_by_bm25(
            posts in prop::collection::vec(prop::collection::vec((0usize..6, 1u32..4), 0..6), 1..30),
            limit in 1usize..10,
        ) {
            let vocab = ["体检", "义诊", "贷款", "融资", "场地", "社区"];
            let mut ix = Index::default();
            let mut all = vec![];
            for (i, ws) in posts.iter().enumerate() {
                let mut kept: Vec<(String, u32)> = vec![];
                for (w, n) in ws {
                    match kept.iter_mut().find(|(x, _)| x == vocab[*w]) {
                        Some(e) => e.1 += n,
                        None => kept.push((vocab[*w].to_string(), *n)),
                    }
                }
                all.push((i as i64, kept.clone()));
                ix.put(i as i64, kept);
            }
            let ks = keys(&[("~体检", &["体检", "义诊"]), ("~贷款", &["贷款", "融资"]), ("场地", &["场地"])]);
            let s = ix.shortlist(&ks, limit);
            // Every post's count of each key, by hand.
            let tf: Vec<(i64, Vec<u32>, u32)> = all.iter().map(|(id, ws)| {
                let c = ks.iter().map(|(_, kw)| ws.iter().filter(|(w, _)| kw.contains(w)).map(|(_, n)| n).sum()).collect();
                (*id, c, ws.iter().map(|(_, n)| n).sum())
            }).collect();
            let n = all.len() as f64;
            let avg = (tf.iter().map(|t| f64::from(t.2)).sum::<f64>() / n).max(1.0);
            let df: Vec<f64> = (0..ks.len()).map(|k| tf.iter().filter(|t| t.1[k] > 0).count() as f64).collect();
            let mut want: Vec<(f64, i64)> = tf.iter().filter(|t| t.1.iter().any(|c| *c > 0)).map(|(id, c, len)| {
                let s: f64 = c.iter().zip(&df).filter(|(c, _)| **c > 0).map(|(c, d)| {
                    let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                    let c = f64::from(*c);
                    idf * c * 2.2 / (c + 1.2 * (0.25 + 0.75 * f64::from(*len) / avg))
                }).sum();
                (s, *id)
            }).collect();
            let score_of: HashMap<i64, f64> = want.iter().map(|(s, id)| (*id, *s)).collect();
            want.sort_by(|a, b| b.0.total_cmp(&a.0));
            want.truncate(limit);
            // The same scores in the same order (ids may differ only between equal scores).
            prop_assert_eq!(s.candidates.len(), want.len());
            for (c, (w, _)) in s.candidates.iter().zip(&want) {
                prop_assert!((score_of[&c.id] - w).abs() < 1e-9, "{} scores {} where {} is due", c.id, score_of[&c.id], w);
            }
            for c in &s.candidates {
                let (_, counts, len) = tf.iter().find(|t| t.0 == c.id).expect("post");
                for (k, (name, _)) in ks.iter().enumerate() {
                    prop_assert_eq!(c.tf.get(name).copied().unwrap_or(0), counts[k]);
                }
                prop_assert_eq!(c.len, *len);
            }
            for (k, (name, _)) in ks.iter().enumerate() {
                prop_assert_eq!(f64::from(s.df[name]), df[k]);
            }
        }
    }
}
