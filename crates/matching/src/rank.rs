//! Ranking candidates for a post: BM25 over meanings, then the signals beside the text.
//!
//! BM25 (Robertson and Zaragoza, "The Probabilistic Relevance Framework: BM25 and
//! Beyond", 2009) with the usual k1 = 1.2, b = 0.75, over keys (a vocabulary word counts
//! as its meaning). The text's part is divided by what a post of mean length holding
//! each of the query's keys once scores (and capped at 1), so that it weighs against the
//! other signals the same way for a short need and a long one.

use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// How much each signal weighs in the final score (they sum to 1).
#[derive(Debug, Clone, Copy)]
pub struct Signals {
    pub text: f64,
    pub category: f64,
    pub place: f64,
    pub time: f64,
    pub capacity: f64,
}

impl Default for Signals {
    fn default() -> Self {
        Signals {
            text: 0.62,
            category: 0.18,
            place: 0.12,
            time: 0.04,
            capacity: 0.04,
        }
    }
}

/// The post being matched.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Its keys with their counts (`Analyzer::keys`).
    pub keys: Vec<(String, u32)>,
    /// Its category code (`health`…), if it has one.
    pub category: Option<String>,
    /// Its division code (a community, a street or a district).
    pub division: Option<String>,
    /// Its time frame, ISO dates (`2025-03-01`).
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    /// How many people it is for (a need) or can take (a resource).
    pub people: Option<u32>,
}

/// A post that might match, with its counts for the query's keys.
#[derive(Debug, Clone, Default)]
pub struct Candidate {
    pub id: i64,
    /// Occurrences of each of the query's keys in it.
    pub tf: HashMap<String, u32>,
    /// Its length in words.
    pub len: u32,
    pub category: Option<String>,
    pub division: Option<String>,
    pub starts_on: Option<String>,
    pub ends_on: Option<String>,
    pub people: Option<u32>,
}

/// Why a suggestion is made, each with its part of the score.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reason {
    /// `meaning` (shared meanings, `detail` names them), `category`, `place` (`detail`:
    /// `community`, `street`, `district`, `city`), `time` (`detail`: `overlaps`, `open`,
    /// `ended`), `capacity` (`detail`: `enough`, `short`).
    pub kind: &'static str,
    pub detail: String,
    pub weight: f64,
}

/// A ranked candidate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Ranked {
    pub id: i64,
    /// 0..1.
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// The weight of a key that occurs in `df` of `docs` documents.
pub(crate) fn idf(docs: u32, df: u32) -> f64 {
    let (n, df) = (f64::from(docs), f64::from(df));
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// A key's part of a document's BM25: its weight `idf`, its count `tf` in a document of
/// `len` words, when documents hold `avg_len` words on average.
pub(crate) fn bm25_part(idf: f64, tf: u32, len: u32, avg_len: f64) -> f64 {
    if tf == 0 {
        return 0.0;
    }
    let tf = f64::from(tf);
    let norm = K1 * (1.0 - B + B * f64::from(len) / avg_len.max(1.0));
    idf * tf * (K1 + 1.0) / (tf + norm)
}

/// How near two places are: the longest division prefix they share (a community's code
/// has 12 digits, a street's 9, a district's 6, a city's 4).
fn nearness(a: &str, b: &str) -> (f64, &'static str) {
    let shared = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let (la, lb) = (a.len(), b.len());
    let whole = |n: usize| shared >= n && la >= n && lb >= n;
    if whole(12) {
        (1.0, "community")
    } else if whole(9) {
        (0.8, "street")
    } else if whole(6) {
        (0.5, "district")
    } else if whole(4) {
        (0.2, "city")
    } else {
        (0.0, "")
    }
}

/// Ranks `candidates` for `query`: `docs` posts of the candidates' kind, `avg_len` their
/// mean length in words, `df` in how many of them each key occurs. The best `limit`,
/// best first; ties by id.
pub fn rank(
    query: &Query,
    candidates: &[Candidate],
    docs: u32,
    avg_len: f64,
    df: &HashMap<String, u32>,
    signals: Signals,
    limit: usize,
) -> Vec<Ranked> {
    let avg_len = avg_len.max(1.0);
    let weights: Vec<(&str, f64)> = query
        .keys
        .iter()
        .map(|(k, _)| (k.as_str(), idf(docs, df.get(k).copied().unwrap_or(0))))
        .collect();
    // A document of mean length holding each key once scores the whole text weight.
    let most: f64 = weights.iter().map(|(_, w)| w).sum::<f64>().max(f64::EPSILON);
    let mut out: Vec<Ranked> = candidates
        .iter()
        .map(|c| {
            let mut reasons = Vec::new();
            let mut bm25 = 0.0;
            let mut shared = Vec::new();
            for (k, w) in &weights {
                let tf = c.tf.get(*k).copied().unwrap_or(0);
                if tf > 0 {
                    bm25 += bm25_part(*w, tf, c.len, avg_len);
                    shared.push(k.trim_start_matches('~').to_string());
                }
            }
            let text = signals.text * (bm25 / most).min(1.0);
            if text > 0.0 {
                reasons.push(Reason {
                    kind: "meaning",
                    detail: shared.join("、"),
                    weight: text,
                });
            }
            if let (Some(a), Some(b)) = (&query.category, &c.category)
                && a == b
            {
                reasons.push(Reason {
                    kind: "category",
                    detail: a.clone(),
                    weight: signals.category,
                });
            }
            if let (Some(a), Some(b)) = (&query.division, &c.division) {
                let (near, what) = nearness(a, b);
                if near > 0.0 {
                    reasons.push(Reason {
                        kind: "place",
                        detail: what.into(),
                        weight: signals.place * near,
                    });
                }
            }
            let mut factor = 1.0;
            match time_fit(query, c) {
                Some(true) => reasons.push(Reason {
                    kind: "time",
                    detail: "overlaps".into(),
                    weight: signals.time,
                }),
                Some(false) => {
                    // Over before the other begins: shown last, said why.
                    factor = 0.5;
                    reasons.push(Reason {
                        kind: "time",
                        detail: "ended".into(),
                        weight: 0.0,
                    });
                }
                None => reasons.push(Reason {
                    kind: "time",
                    detail: "open".into(),
                    weight: signals.time / 2.0,
                }),
            }
            if let (Some(want), Some(can)) = (query.people, c.people) {
                let (enough, detail) = if can >= want { (1.0, "enough") } else { (0.0, "short") };
                reasons.push(Reason {
                    kind: "capacity",
                    detail: detail.into(),
                    weight: signals.capacity * enough,
                });
            } else {
                reasons.push(Reason {
                    kind: "capacity",
                    detail: "unknown".into(),
                    weight: signals.capacity / 2.0,
                });
            }
            let score = factor * reasons.iter().map(|r| r.weight).sum::<f64>();
            reasons.retain(|r| r.weight > 0.0 || r.detail == "ended" || r.detail == "short");
            Ranked {
                id: c.id,
                score,
                reasons,
            }
        })
        .filter(|r| r.reasons.iter().any(|x| x.kind == "meaning"))
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    out.truncate(limit);
    out
}

/// Whether the two time frames share a day: `None` when either is open-ended on the
/// side that matters.
fn time_fit(q: &Query, c: &Candidate) -> Option<bool> {
    let ends_before = |end: &Option<String>, start: &Option<String>| match (end, start) {
        (Some(e), Some(s)) => Some(e < s),
        _ => None,
    };
    match (
        ends_before(&c.ends_on, &q.starts_on),
        ends_before(&q.ends_on, &c.starts_on),
    ) {
        (Some(true), _) | (_, Some(true)) => Some(false),
        (Some(false), _) | (_, Some(false)) => Some(true),
        _ => None,
    }
}

/// The plain baseline: how many character pairs two texts share (Dice over character
/// bigrams, punctuation and spaces left out), 0..1.
pub fn bigram_overlap(a: &str, b: &str) -> f64 {
    let grams = |s: &str| -> Vec<(char, char)> {
        let cs: Vec<char> = s.chars().filter(|c| c.is_alphanumeric()).collect();
        let mut g: Vec<(char, char)> = cs.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.iter().filter(|g| y.binary_search(g).is_ok()).count();
    2.0 * shared as f64 / (x.len() + y.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cand(id: i64, keys: &[(&str, u32)], division: &str, category: &str) -> Candidate {
        Candidate {
            id,
            tf: keys.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
            len: 10,
            category: Some(category.into()),
            division: Some(division.into()),
            ..Default::default()
        }
    }

    #[test]
    fn meaning_then_category_then_place() {
        let q = Query {
            keys: vec![("~体检".into(), 1), ("~骑手".into(), 1)],
            category: Some("health".into()),
            division: Some("310106012".into()),
            ..Default::default()
        };
        let df = HashMap::from([("~体检".to_string(), 5), ("~骑手".to_string(), 3)]);
        let cs = [
            cand(1, &[("~体检", 1)], "310104003", "health"),
            cand(2, &[("~体检", 1), ("~骑手", 1)], "310104003", "finance"),
            cand(3, &[("~体检", 1)], "310106012", "health"),
            cand(4, &[], "310106012", "health"),
        ];
        let r = rank(&q, &cs, 100, 10.0, &df, Signals::default(), 10);
        let ids: Vec<i64> = r.iter().map(|x| x.id).collect();
        assert_eq!(ids, [2, 3, 1], "no shared meaning: not suggested");
        assert!(r[1].reasons.iter().any(|x| x.kind == "place" && x.detail == "street"));
        assert!(r[0].reasons[0].detail.contains("体检") && r[0].reasons[0].detail.contains("骑手"));
    }

    #[test]
    fn an_ended_offer_goes_last_and_says_why() {
        let q = Query {
            keys: vec![("~贷款".into(), 1)],
            starts_on: Some("2025-03-01".into()),
            ..Default::default()
        };
        let mut old = cand(1, &[("~贷款", 1)], "310106012", "finance");
        old.ends_on = Some("2024-12-31".into());
        let new = cand(2, &[("~贷款", 1)], "310106012", "finance");
        let r = rank(&q, &[old, new], 10, 10.0, &HashMap::new(), Signals::default(), 10);
        assert_eq!(r[0].id, 2);
        assert!(r[1].reasons.iter().any(|x| x.detail == "ended"));
    }

    #[test]
    fn places_by_shared_division() {
        assert_eq!(nearness("310106012001", "310106012001").1, "community");
        assert_eq!(nearness("310106012", "310106012").1, "street");
        assert_eq!(nearness("310106012001", "310106012003").1, "street");
        assert_eq!(nearness("310106012", "310106013").1, "district");
        assert_eq!(nearness("310106", "310104").1, "city");
        assert_eq!(nearness("310106", "320106").1, "");
    }

    proptest! {
        /// Scores stay in 0..1, are sorted, and the limit holds, whatever the counts.
        #[test]
        fn scores_are_bounded_and_sorted(tfs in proptest::collection::vec((0u32..5, 0u32..5, 1u32..200), 0..40), docs in 1u32..10_000) {
            let q = Query { keys: vec![("a".into(), 1), ("b".into(), 2)], ..Default::default() };
            let cs: Vec<Candidate> = tfs.iter().enumerate().map(|(i, (a, b, len))| Candidate {
                id: i as i64,
                tf: HashMap::from([("a".to_string(), *a), ("b".to_string(), *b)]),
                len: *len,
                ..Default::default()
            }).collect();
            let df = HashMap::from([("a".to_string(), docs.min(7)), ("b".to_string(), docs)]);
            let r = rank(&q, &cs, docs, 20.0, &df, Signals::default(), 5);
            prop_assert!(r.len() <= 5);
            prop_assert!(r.iter().all(|x| (0.0..=1.0 + 1e-9).contains(&x.score)));
            prop_assert!(r.windows(2).all(|w| w[0].score >= w[1].score));
        }
    }
}
