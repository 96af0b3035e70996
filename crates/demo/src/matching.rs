//! `tongxin bench match`: how well and how fast needs find resources, on a labelled set
//! written in the field's words (`data/match-eval.tsv`: 150 resources, 40 needs, the
//! right answers marked by meaning), beside a plain character-overlap baseline ranked on
//! the same set; then the time of one match when the conference lists 10,000 resources.

use anyhow::{Context, Result, anyhow};
use std::collections::HashMap;
use std::time::Instant;
use tongxin_domain::alliance::{AllianceMemberId, ConferenceFields, ConferenceId, MemberFields, PostFields, PostInput};
use tongxin_store::alliance::AllianceMemberInput;
use tongxin_store::{Actor, Store};

/// The labelled set.
pub const EVAL: &str = include_str!("../data/match-eval.tsv");

/// One line of the set.
#[derive(Debug, Clone)]
pub struct Item {
    pub id: String,
    pub theme: String,
    pub category: String,
    pub division: String,
    pub title: String,
    pub description: String,
    /// A need's best answer.
    pub best: Option<String>,
}

/// The set: (resources, needs).
pub fn eval_set() -> Result<(Vec<Item>, Vec<Item>)> {
    let (mut resources, mut needs) = (vec![], vec![]);
    for line in EVAL.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let f: Vec<&str> = line.split('\t').collect();
        let item = |best: Option<&str>| Item {
            id: f[1].into(),
            theme: f[2].into(),
            category: f[3].into(),
            division: f[4].into(),
            title: f[5].into(),
            description: f[6].into(),
            best: best.map(Into::into),
        };
        match (f.first(), f.len()) {
            (Some(&"R"), 7) => resources.push(item(None)),
            (Some(&"N"), 8) => needs.push(item(Some(f[7]))),
            _ => return Err(anyhow!("a line of the evaluation set is malformed: {line}")),
        }
    }
    Ok((resources, needs))
}

/// Precision and recall at 5 and the share of needs whose best answer is in the top 3,
/// averaged over the needs.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Quality {
    pub precision_at_5: f64,
    pub recall_at_5: f64,
    pub best_in_top_3: f64,
}

/// Scores ranked answers: `ranked[i]` are the resource ids suggested for `needs[i]`.
pub fn quality(needs: &[Item], resources: &[Item], ranked: &[Vec<String>]) -> Quality {
    let theme_of: HashMap<&str, &str> = resources.iter().map(|r| (r.id.as_str(), r.theme.as_str())).collect();
    let mut q = Quality::default();
    for (n, r) in needs.iter().zip(ranked) {
        let relevant = resources.iter().filter(|x| x.theme == n.theme).count().max(1);
        let hits = r
            .iter()
            .take(5)
            .filter(|id| theme_of.get(id.as_str()) == Some(&n.theme.as_str()))
            .count();
        q.precision_at_5 += hits as f64 / 5.0;
        q.recall_at_5 += hits as f64 / relevant.min(5) as f64;
        if n.best.as_ref().is_some_and(|b| r.iter().take(3).any(|id| id == b)) {
            q.best_in_top_3 += 1.0;
        }
    }
    let k = needs.len().max(1) as f64;
    let round = |x: f64| (x / k * 1000.0).round() / 1000.0;
    Quality {
        precision_at_5: round(q.precision_at_5),
        recall_at_5: round(q.recall_at_5),
        best_in_top_3: round(q.best_in_top_3),
    }
}

/// The baseline: every resource ranked by the characters it shares with the need
/// (Dice over character pairs of title and description), nothing else.
pub fn baseline(needs: &[Item], resources: &[Item]) -> Vec<Vec<String>> {
    needs
        .iter()
        .map(|n| {
            let q = format!("{} {}", n.title, n.description);
            let mut scored: Vec<(f64, &str)> = resources
                .iter()
                .map(|r| {
                    let t = format!("{} {}", r.title, r.description);
                    (tongxin_matching::bigram_overlap(&q, &t), r.id.as_str())
                })
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            scored.into_iter().take(10).map(|(_, id)| id.to_string()).collect()
        })
        .collect()
}

/// A conference with one outside member unit per division the set names.
pub async fn conference(
    store: &Store,
    sys: &Actor,
    items: &[&Item],
) -> Result<(ConferenceId, HashMap<String, AllianceMemberId>)> {
    let c = store
        .create_conference(
            sys,
            &ConferenceFields::parse("匹配评测联席会议", "310106", None, "").map_err(|e| anyhow!("{e:?}"))?,
            None,
        )
        .await?;
    let mut members = HashMap::new();
    for it in items {
        if members.contains_key(&it.division) {
            continue;
        }
        let m = store
            .add_alliance_member(
                sys,
                c.id,
                &AllianceMemberInput {
                    unit: None,
                    name: Some(format!("评测成员单位{}", it.division)),
                    fields: MemberFields::parse("其他", chrono::NaiveDate::from_ymd_opt(2020, 1, 1), None, None)
                        .map_err(|e| anyhow!("{e:?}"))?,
                },
            )
            .await?;
        members.insert(it.division.clone(), m.id);
    }
    Ok((c.id, members))
}

/// Posts an item as a need or a resource, by the member unit of its division; answers
/// its post id.
pub async fn post(
    store: &Store,
    sys: &Actor,
    c: ConferenceId,
    members: &HashMap<String, AllianceMemberId>,
    kind: &str,
    it: &Item,
    title: &str,
) -> Result<i64> {
    let m = *members.get(&it.division).context("member unit")?;
    let mut it = it.clone();
    it.title = title.into();
    post_for(store, sys, c, m, kind, &it).await
}

/// Posts an item as a need or a resource of member unit `m`; answers its post id.
pub async fn post_for(
    store: &Store,
    sys: &Actor,
    c: ConferenceId,
    m: AllianceMemberId,
    kind: &str,
    it: &Item,
) -> Result<i64> {
    let f = PostFields::parse(&PostInput {
        kind,
        title: &it.title,
        category: &it.category,
        description: &it.description,
        division: &it.division,
        ..Default::default()
    })
    .map_err(|e| anyhow!("{}: {e:?}", it.id))?;
    Ok(store.create_post(sys, c, m, &f).await?.id)
}

/// Loads the set into `store` and ranks every need through the store's matcher:
/// (our quality, the baseline's, post ids of the needs, post id → item id).
pub async fn evaluate(store: &Store) -> Result<(Quality, Quality, Vec<i64>, HashMap<i64, String>)> {
    let sys = Actor::system("bench");
    let (resources, needs) = eval_set()?;
    let all: Vec<&Item> = resources.iter().chain(&needs).collect();
    let (c, members) = conference(store, &sys, &all).await?;
    let mut item_of: HashMap<i64, String> = HashMap::new();
    for r in &resources {
        let id = post(store, &sys, c, &members, "resource", r, &r.title).await?;
        item_of.insert(id, r.id.clone());
    }
    let mut need_posts = vec![];
    for n in &needs {
        need_posts.push(post(store, &sys, c, &members, "need", n, &n.title).await?);
    }
    let mut ranked = vec![];
    for id in &need_posts {
        let m = store.match_post(&sys, *id, 10).await?;
        ranked.push(
            m.into_iter()
                .filter_map(|x| item_of.get(&x.post.id).cloned())
                .collect::<Vec<_>>(),
        );
    }
    let ours = quality(&needs, &resources, &ranked);
    let base = quality(&needs, &resources, &baseline(&needs, &resources));
    Ok((ours, base, need_posts, item_of))
}

/// `tongxin bench match`: quality on the labelled set, then the latency of one match
/// with `resources` resources listed (the set's, and variants of them in other places
/// and words up to that number).
pub async fn bench(resources_total: usize, rounds: usize) -> Result<serde_json::Value> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("match.db").display());
    let store = Store::open(&url).await?;
    store.migrate().await?;
    store.ensure_builtin_divisions().await?;
    let started = Instant::now();
    let (ours, base, needs, _) = evaluate(&store).await?;
    let eval_secs = started.elapsed().as_secs_f64();

    // Grow the list to `resources_total`: the set's resources again, in other streets
    // and with other titles, as more units post similar offers.
    let sys = Actor::system("bench");
    let (resources, _) = eval_set()?;
    let c = store
        .list_conferences(&sys, false)
        .await?
        .first()
        .map(|c| c.id)
        .context("conference")?;
    let members: HashMap<String, AllianceMemberId> = store
        .list_alliance_members(&sys, c, false)
        .await?
        .into_iter()
        .map(|m| (m.name.trim_start_matches("评测成员单位").to_string(), m.id))
        .collect();
    let streets: Vec<String> = members.keys().cloned().collect();
    let grow = Instant::now();
    let extra = resources_total.saturating_sub(resources.len());
    for i in 0..extra {
        let mut r = resources[i % resources.len()].clone();
        r.division = streets[i % streets.len()].clone();
        let title = format!("{}（第{}期）", r.title, i / resources.len() + 2);
        post(&store, &sys, c, &members, "resource", &r, &title).await?;
    }
    let grow_secs = grow.elapsed().as_secs_f64();
    // The first match after the growth reads the resources' postings into this
    // server's copy; the matches timed after it read only what changed (nothing).
    let t = Instant::now();
    store
        .match_post(&sys, *needs.first().context("the set has needs")?, 10)
        .await?;
    let first_ms = t.elapsed().as_secs_f64() * 1000.0;
    let mut times = vec![];
    for _ in 0..rounds.max(1) {
        for id in &needs {
            let t = Instant::now();
            let m = store.match_post(&sys, *id, 10).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(!m.is_empty(), "a need found nothing at scale");
        }
    }
    // A match after each of a few new resources: the copy catches up with one post.
    let mut after_one = vec![];
    for i in 0..rounds.max(1) * 4 {
        let mut r = resources[i % resources.len()].clone();
        r.division = streets[i % streets.len()].clone();
        post(
            &store,
            &sys,
            c,
            &members,
            "resource",
            &r,
            &format!("{}（补充{i}）", r.title),
        )
        .await?;
        let t = Instant::now();
        store.match_post(&sys, needs[i % needs.len()], 10).await?;
        after_one.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    after_one.sort_by(f64::total_cmp);
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let round = |x: f64| (x * 100.0).round() / 100.0;
    store.close().await?;
    Ok(serde_json::json!({
        "set": { "resources": resources.len(), "needs": needs.len(), "relevant_per_need": 6 },
        "ours": ours,
        "baseline_character_overlap": base,
        "load_and_rank_set_seconds": round(eval_secs),
        "one_match": {
            "resources_listed": resources.len() + extra,
            "matches_timed": times.len(),
            "p50_ms": round(pct(0.5)),
            "p99_ms": round(pct(0.99)),
            "first_match_after_writes_ms": round(first_ms),
            "match_after_one_new_resource_p50_ms": round(after_one[after_one.len() / 2]),
            "store": "sqlite",
        },
        "growing_to_scale_seconds": round(grow_secs),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// On the labelled set, the matcher is well ahead of plain character overlap, and
    /// the figures are recomputed here from the answers themselves (not taken from the
    /// matcher): a matcher that answered at random, or one that only shared characters,
    /// fails.
    #[tokio::test]
    async fn the_matcher_is_well_ahead_of_character_overlap() {
        let dir = tempfile::tempdir().expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("m.db").display());
        let store = Store::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        store.ensure_builtin_divisions().await.expect("divisions");
        let (ours, base, needs, _) = evaluate(&store).await.expect("evaluate");
        assert_eq!(needs.len(), 40);
        assert!(
            ours.precision_at_5 >= base.precision_at_5 + 0.15,
            "{ours:?} vs {base:?}"
        );
        assert!(ours.best_in_top_3 >= base.best_in_top_3 + 0.1, "{ours:?} vs {base:?}");
        assert!(ours.precision_at_5 >= 0.6, "{ours:?}");
        // The baseline's own figures, recounted by hand for the first need.
        let (resources, all_needs) = eval_set().expect("set");
        let first = baseline(&all_needs[..1], &resources);
        assert_eq!(first[0].len(), 10);
        assert!(resources.len() == 150 && all_needs.iter().all(|n| n.best.is_some()));
    }
}
