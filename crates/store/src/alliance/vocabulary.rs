//! An office's vocabulary (词表): lines of words that mean one thing in its conference's
//! lists (`老人 乐龄族 夕阳红`), beside the built-in ones. A line that names a word
//! already known extends that meaning; other lines are new meanings.
//!
//! Meanings are the conference's own: one office's lines never change another
//! conference's matches. Segmentation is shared: every line's words are added to the
//! one segmenter, so that a word is kept whole wherever it is written; the posts whose
//! text holds a word added or removed are segmented again in the same transaction as
//! the line, so their postings never lag. Each server rebuilds its segmenter when the
//! lines change (it compares their count and last id), so two servers on one
//! PostgreSQL agree.

use super::ConferenceRight;
use crate::entity::{account, alliance_post as post, alliance_vocabulary as line};
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use tongxin_domain::DomainError;
use tongxin_domain::alliance::ConferenceId;
use tongxin_matching::{Analyzer, Vocabulary, parse_line};

/// Most lines one request adds.
pub const LINES_MAX: usize = 200;

/// A line of a conference's vocabulary as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VocabularyLine {
    pub id: i64,
    pub words: Vec<String>,
    pub added_on: NaiveDate,
    pub added_by: Option<String>,
}

/// Which lines a segmenter was built from: their count and last id.
pub(crate) type Generation = (i64, Option<i64>);

/// A segmenter and the generation of the lines it was built from.
pub(crate) type KeptAnalyzer = (Generation, Arc<Analyzer>);

/// The lines of `text` as meanings, each refused line named by its number; blank
/// lines and `#` comments are skipped.
fn parse_lines(text: &str) -> std::result::Result<Vec<Vec<String>>, DomainError> {
    let mut out = vec![];
    for raw in text.lines() {
        let l = raw.split('#').next().unwrap_or("").trim();
        if l.is_empty() {
            continue;
        }
        match parse_line(l) {
            Some(m) => out.push(m.words),
            None => return Err(DomainError::NotAMeaning { field: "lines" }),
        }
    }
    if out.is_empty() {
        return Err(DomainError::Required { field: "lines" });
    }
    if out.len() > LINES_MAX {
        return Err(DomainError::OutOfRange { field: "lines" });
    }
    Ok(out)
}

impl Store {
    /// The lines of every conference, oldest first, and their generation.
    async fn all_lines(&self) -> Result<(Generation, Vec<String>)> {
        let rows: Vec<(i64, String)> = line::Entity::find()
            .select_only()
            .column(line::Column::Id)
            .column(line::Column::Words)
            .order_by_asc(line::Column::Id)
            .into_tuple()
            .all(&self.read)
            .await?;
        let generation = (i64::try_from(rows.len()).unwrap_or(i64::MAX), rows.last().map(|r| r.0));
        Ok((generation, rows.into_iter().map(|r| r.1).collect()))
    }

    /// The generation of the lines now: their count and last id, in one small read.
    async fn lines_generation(&self) -> Result<Generation> {
        let g: Option<(i64, Option<i64>)> = line::Entity::find()
            .select_only()
            .column_as(line::Column::Id.count(), "n")
            .column_as(line::Column::Id.max(), "last")
            .into_tuple()
            .one(&self.read)
            .await?;
        Ok(g.unwrap_or((0, None)))
    }

    /// The alliance's segmenter: the built-in vocabulary and every office's words, built
    /// off the async workers, again whenever the lines have changed.
    pub(crate) async fn analyzer(&self) -> Result<Arc<Analyzer>> {
        let now = self.lines_generation().await?;
        if let Some((g, a)) = self.analyzer.read().ok().and_then(|x| x.clone())
            && g == now
        {
            return Ok(a);
        }
        let (g, lines) = self.all_lines().await?;
        let a = build(lines).await?;
        if let Ok(mut slot) = self.analyzer.write() {
            *slot = Some((g, a.clone()));
        }
        Ok(a)
    }

    /// The meanings of conference `c`: the built-in ones and its offices' lines.
    pub(crate) async fn conference_vocabulary(&self, c: i64) -> Result<Vocabulary> {
        let lines: Vec<String> = line::Entity::find()
            .select_only()
            .column(line::Column::Words)
            .filter(line::Column::ConferenceId.eq(c))
            .order_by_asc(line::Column::Id)
            .into_tuple()
            .all(&self.read)
            .await?;
        let mut v = Vocabulary::built_in();
        for l in lines {
            v.add_lines(&l);
        }
        Ok(v)
    }

    /// A conference's own lines, oldest first.
    pub async fn list_vocabulary(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<VocabularyLine>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let rows = line::Entity::find()
            .filter(line::Column::ConferenceId.eq(conf.id))
            .order_by_asc(line::Column::Id)
            .all(&self.read)
            .await?;
        let names: HashMap<i64, String> = account::Entity::find()
            .filter(account::Column::Id.is_in(rows.iter().filter_map(|r| r.added_by)))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|a| (a.id, a.username))
            .collect();
        Ok(rows
            .into_iter()
            .map(|r| VocabularyLine {
                id: r.id,
                words: r.words.split(' ').map(str::to_string).collect(),
                added_on: r.added_at.date_naive(),
                added_by: r.added_by.and_then(|a| names.get(&a).cloned()),
            })
            .collect())
    }

    /// Adds lines to a conference's vocabulary (an office that keeps it): one meaning a
    /// line, two words or more. The posts that hold a new word are segmented again in
    /// the same transaction. Audited.
    pub async fn add_vocabulary(&self, actor: &Actor, c: ConferenceId, text: &str) -> Result<Vec<VocabularyLine>> {
        self.kept_conference(&self.read, actor, c, ConferenceRight::Office)
            .await?;
        let lines = parse_lines(text).map_err(|e| StoreError::Invalid(vec![e]))?;
        let joined: Vec<String> = lines.iter().map(|ws| ws.join(" ")).collect();
        let (_, mut all) = self.all_lines().await?;
        all.extend(joined.iter().cloned());
        let words: Vec<String> = lines.into_iter().flatten().collect();
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        for l in &joined {
            line::Entity::insert(line::ActiveModel {
                conference_id: Set(conf.id),
                words: Set(l.clone()),
                added_by: Set(actor.account_id.map(|a| a.0)),
                added_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let a = build(all).await?;
        self.resegment(&txn, &a, &words).await?;
        crate::audit::record(
            &txn,
            actor,
            "add_vocabulary",
            "conference",
            Some(conf.id),
            None,
            Some(serde_json::json!({ "lines": joined })),
        )
        .await?;
        txn.commit().await?;
        self.keep_analyzer(a).await;
        self.list_vocabulary(actor, c).await
    }

    /// Removes a line of a conference's vocabulary (an office that keeps it); the posts
    /// that hold one of its words are segmented again. Audited.
    pub async fn remove_vocabulary(&self, actor: &Actor, c: ConferenceId, id: i64) -> Result<()> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let gone = line::Entity::find_by_id(id)
            .filter(line::Column::ConferenceId.eq(conf.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        line::Entity::delete_by_id(gone.id).exec(&txn).await?;
        let all: Vec<String> = line::Entity::find()
            .select_only()
            .column(line::Column::Words)
            .order_by_asc(line::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?;
        let a = build(all).await?;
        let words: Vec<String> = gone.words.split(' ').map(str::to_string).collect();
        self.resegment(&txn, &a, &words).await?;
        crate::audit::record(
            &txn,
            actor,
            "remove_vocabulary",
            "conference",
            Some(conf.id),
            Some(serde_json::json!({ "line": gone.words })),
            None,
        )
        .await?;
        txn.commit().await?;
        self.keep_analyzer(a).await;
        Ok(())
    }

    /// Keeps the segmenter a change was written with, for the lines as they are now.
    async fn keep_analyzer(&self, a: Arc<Analyzer>) {
        if let Ok(g) = self.lines_generation().await
            && let Ok(mut slot) = self.analyzer.write()
        {
            *slot = Some((g, a));
        }
    }

    /// Segments again, with `a`, every post whose text holds one of `words`, and keeps
    /// its postings in `txn`.
    async fn resegment(&self, txn: &sea_orm::DatabaseTransaction, a: &Arc<Analyzer>, words: &[String]) -> Result<()> {
        let rows = post::Entity::find()
            .filter(post::Column::Archived.eq(false))
            .all(txn)
            .await?;
        let hit: Vec<post::Model> = rows
            .into_iter()
            .filter(|p| {
                let t = super::posts::post_text(p).to_lowercase();
                words.iter().any(|w| t.contains(w.as_str()))
            })
            .collect();
        let (a, texts) = (a.clone(), hit.iter().map(super::posts::post_text).collect::<Vec<_>>());
        let counted: Vec<Vec<(String, i32)>> =
            tokio::task::spawn_blocking(move || texts.iter().map(|t| super::posts::counted(a.words(t))).collect())
                .await
                .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        // Each conference's next generation, taken in the order of their ids (one lock
        // order whichever lines two offices save at once), before any post is written.
        let mut generations: std::collections::BTreeMap<i64, i64> = hit.iter().map(|p| (p.conference_id, 0)).collect();
        for (c, g) in generations.iter_mut() {
            *g = super::postings::next_words_generation(txn, *c).await?;
        }
        for (p, w) in hit.iter().zip(counted) {
            let generation = generations.get(&p.conference_id).copied().unwrap_or_default();
            let written = super::postings::Written { words: &w, generation };
            self.write_words(txn, p, written).await?;
            post::Entity::update_many()
                .col_expr(post::Column::Words, Expr::value(w.iter().map(|(_, n)| n).sum::<i32>()))
                .filter(post::Column::Id.eq(p.id))
                .exec(txn)
                .await?;
        }
        Ok(())
    }
}

/// A segmenter from the built-in vocabulary and `lines`, on the blocking pool.
async fn build(lines: Vec<String>) -> Result<Arc<Analyzer>> {
    tokio::task::spawn_blocking(move || {
        let mut v = Vocabulary::built_in();
        for l in &lines {
            v.add_lines(l);
        }
        Arc::new(Analyzer::new(v))
    })
    .await
    .map_err(|e| StoreError::Io(std::io::Error::other(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_meanings_or_refused() {
        assert_eq!(
            parse_lines("# 我们的说法\n老人、乐龄族，夕阳红\n\n骑手 跑腿小哥").expect("two lines"),
            vec![vec!["老人", "乐龄族", "夕阳红"], vec!["骑手", "跑腿小哥"]]
        );
        assert_eq!(
            parse_lines("老人 乐龄族\n孤单"),
            Err(DomainError::NotAMeaning { field: "lines" })
        );
        assert_eq!(parse_lines(" \n# x"), Err(DomainError::Required { field: "lines" }));
        let many = "甲乙 丙丁\n".repeat(LINES_MAX + 1);
        assert_eq!(parse_lines(&many), Err(DomainError::OutOfRange { field: "lines" }));
    }
}
