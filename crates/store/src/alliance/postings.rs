//! Each server's copy of a conference's postings: the words of its needs, and of its
//! resources, as an inverted index in memory ([`tongxin_matching::Index`]), so that a
//! match does not read the postings of every word of its meanings from the store (a
//! common word such as 社区 stands in most posts).
//!
//! The store stays the truth. Every transaction that writes posts' words first takes
//! the conference's next generation (`words_generation`, m0019) under the conference
//! row's lock, so generations are taken in commit order, and marks each post it writes
//! with it. A match reads the conference (it does so anyway, for the caller's right),
//! and when the copy is older than the conference's generation it reads back only the
//! posts marked since. Two servers on one PostgreSQL each catch up the same way.

use crate::entity::{alliance_conference as conf, alliance_post as post, alliance_post_word as word};
use crate::{Result, Store, StoreError};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashMap;
use std::sync::Arc;
use tongxin_matching::Index;

/// A server's copies: by conference and kind, the generation each reflects and its index.
pub(crate) type KeptPostings = HashMap<(i64, String), (i64, Arc<Index>)>;

/// More posts changed than this since a copy was taken: it is read again whole
/// rather than patched (an import of a whole list).
const PATCH_AT_MOST: usize = 500;

/// A post's words with their counts, and the generation of its conference's postings
/// they are written at (taken by [`next_words_generation`]).
#[derive(Clone, Copy)]
pub(super) struct Written<'a> {
    pub words: &'a [(String, i32)],
    pub generation: i64,
}

/// Takes conference `c`'s next postings generation in `db`. Its row stays locked until
/// the transaction ends, so generations are taken in the order their writes commit.
/// Called before the transaction touches any post row (one lock order: the conference,
/// then its posts).
pub(super) async fn next_words_generation<C: ConnectionTrait>(db: &C, c: i64) -> Result<i64> {
    conf::Entity::update_many()
        .col_expr(
            conf::Column::WordsGeneration,
            Expr::col(conf::Column::WordsGeneration).add(1),
        )
        .filter(conf::Column::Id.eq(c))
        .exec(db)
        .await?;
    conf::Entity::find_by_id(c)
        .select_only()
        .column(conf::Column::WordsGeneration)
        .into_tuple()
        .one(db)
        .await?
        .ok_or(StoreError::NotFound)
}

impl Store {
    /// The postings of conference `c`'s posts of `kind` as of the conference's generation
    /// `generation` (read before this call), from this server's copy, brought up to date.
    pub(super) async fn postings(&self, c: i64, generation: i64, kind: &str) -> Result<Arc<Index>> {
        let key = (c, kind.to_string());
        let kept = self.postings.read().ok().and_then(|m| m.get(&key).cloned());
        if let Some((g, ix)) = &kept
            && *g >= generation
        {
            return Ok(ix.clone());
        }
        let changed: Option<Vec<i64>> = match &kept {
            Some((g, _)) => Some(
                post::Entity::find()
                    .select_only()
                    .column(post::Column::Id)
                    .filter(post::Column::ConferenceId.eq(c))
                    .filter(post::Column::Kind.eq(kind))
                    .filter(post::Column::WordsGeneration.gt(*g))
                    .into_tuple()
                    .all(&self.read)
                    .await?,
            ),
            None => None,
        };
        let patch = changed.filter(|ids| ids.len() <= PATCH_AT_MOST);
        let mut rows = word::Entity::find()
            .select_only()
            .column(word::Column::PostId)
            .column(word::Column::Word)
            .column(word::Column::Tf)
            .filter(word::Column::ConferenceId.eq(c))
            .filter(word::Column::Kind.eq(kind));
        if let Some(ids) = &patch {
            rows = rows.filter(word::Column::PostId.is_in(ids.clone()));
        }
        let rows: Vec<(i64, String, i32)> = rows.into_tuple().all(&self.read).await?;
        let base = match (&patch, kept) {
            (Some(_), Some((_, ix))) => Some(ix),
            _ => None,
        };
        // Building or patching the index is CPU work: off the async workers.
        let ix = tokio::task::spawn_blocking(move || {
            let mut ix = base.map(|b| (*b).clone()).unwrap_or_default();
            for id in patch.iter().flatten() {
                ix.remove(*id);
            }
            let mut by_post: HashMap<i64, Vec<(String, u32)>> = HashMap::new();
            for (p, w, n) in rows {
                by_post.entry(p).or_default().push((w, u32::try_from(n).unwrap_or(0)));
            }
            for (p, words) in by_post {
                ix.put(p, words);
            }
            Arc::new(ix)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        if let Ok(mut m) = self.postings.write()
            && m.get(&key).is_none_or(|(g, _)| *g < generation)
        {
            m.insert(key, (generation, ix.clone()));
        }
        Ok(ix)
    }
}
