//! Needs (需求) and resources (资源) posted by member units, and matching them.
//!
//! Every write keeps the post's words (`alliance_post_words`, its postings) in the same
//! transaction, so a match reads what was committed. Segmentation is CPU work: it runs
//! on the blocking pool, never on the async workers.
//!
//! Why postings in our own tables rather than a search engine: the index must be the
//! store's (two servers on one PostgreSQL see one index; a tantivy folder would be one
//! server's), neither SQLite's FTS5 nor PostgreSQL's text search segments Chinese without
//! an extension, and the ranking (BM25 over the field's meanings, with category, place
//! and time signals) is the matching crate's, where it is tested. A match reads the
//! postings from this server's copy of them, kept up to date from these tables
//! (postings.rs), and the store only for the shortlist's signals and the suggestions.

use super::ConferenceRight;
use super::postings::{Written, next_words_generation};
use crate::entity::{alliance_conference as conf, alliance_post as post, alliance_post_word as word};
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::alliance::{AllianceMemberId, Category, ConferenceId, PostFields, PostInput, PostKind, match_text};
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::Labelled;
use tongxin_matching::{Candidate, Query, Reason, Signals, words_of_key_in};

/// Candidates ranked with every signal: the best this many by their text alone. The
/// other signals weigh 0.38 together, so a post further down by text rarely rises into
/// the first ten; the cut keeps one match's reads bounded at any list size.
const TEXT_SHORTLIST: usize = 300;
/// Most suggestions one match returns.
pub const MATCHES_MAX: usize = 50;

/// A need or a resource as the API and the console show it. The contact's phone is
/// masked (personal data).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PostView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    #[schema(value_type = i64)]
    pub member_id: AllianceMemberId,
    pub member_name: String,
    /// `need` or `resource`.
    pub kind: String,
    pub title: String,
    /// `health`, `finance`… (see the categories).
    pub category: Option<String>,
    pub category_label: Option<String>,
    pub description: Option<String>,
    pub division_code: String,
    pub division_name: String,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub people: Option<i32>,
    pub contact_name: Option<String>,
    /// Masked (`138****8000`).
    pub contact_phone: Option<String>,
    /// `open`, `matched`, `closed`.
    pub status: String,
    pub version: i64,
}

/// One suggestion: the post, its score (0..1) and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MatchView {
    pub post: PostView,
    pub score: f64,
    #[schema(value_type = Vec<Object>)]
    pub reasons: Vec<Reason>,
}

/// An edit of a post: what is `Some` changes (`Some("")` clears a text; dates
/// `Some(None)`). Checked whole.
#[derive(Debug, Clone, Default)]
pub struct PostPatch {
    pub title: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub division: Option<String>,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub starts_on: Option<Option<NaiveDate>>,
    pub ends_on: Option<Option<NaiveDate>>,
    pub people: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// `open` or `closed` (a post becomes `matched` when a project takes it).
    pub status: Option<String>,
}

pub(super) fn audited(m: &post::Model) -> serde_json::Value {
    serde_json::json!({
        "post": m.title,
        "kind": m.kind,
        "category": m.category,
        "division_code": m.division_code,
        "starts_on": m.starts_on,
        "ends_on": m.ends_on,
        "status": m.status,
        // Personal data is kept out of the log.
        "contact_phone": m.contact_phone.as_deref().map(|p| Phone::parse(p).map_or_else(|_| "***".into(), |p| p.masked())),
    })
}

/// A post's words with their counts.
pub(super) fn counted(words: Vec<String>) -> Vec<(String, i32)> {
    let mut out: Vec<(String, i32)> = Vec::new();
    for w in words {
        match out.iter_mut().find(|(x, _)| *x == w) {
            Some(e) => e.1 += 1,
            None => out.push((w, 1)),
        }
    }
    out
}

impl Store {
    /// Segments `text` on the blocking pool.
    async fn words_of(&self, text: String) -> Result<Vec<(String, i32)>> {
        let a = self.analyzer().await?;
        tokio::task::spawn_blocking(move || counted(a.words(&text)))
            .await
            .map_err(|e| StoreError::Io(std::io::Error::other(e)))
    }

    async fn post_views(&self, rows: Vec<post::Model>) -> Result<Vec<PostView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        let member_names = self.member_names(rows.iter().map(|r| r.member_id)).await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let category = m.category.as_deref().and_then(Category::parse_any);
                PostView {
                    id: m.id,
                    conference_id: ConferenceId(m.conference_id),
                    member_id: AllianceMemberId(m.member_id),
                    member_name: member_names.get(&m.member_id).cloned().unwrap_or_default(),
                    kind: m.kind,
                    title: m.title,
                    category_label: category.map(|c| c.label_zh().to_string()),
                    category: m.category,
                    description: m.description,
                    division_name: names.get(&m.division_code).cloned().unwrap_or_default(),
                    division_code: m.division_code,
                    place: m.place,
                    audience: m.audience,
                    starts_on: m.starts_on,
                    ends_on: m.ends_on,
                    people: m.people,
                    contact_name: m.contact_name,
                    contact_phone: m
                        .contact_phone
                        .as_deref()
                        .map(|p| Phone::parse(p).map_or_else(|_| "***".into(), |p| p.masked())),
                    status: m.status,
                    version: m.version,
                }
            })
            .collect())
    }

    /// Whether the caller may post for, or edit the posts of, member unit `m` of
    /// conference `c`: an office that keeps the conference, or the unit's own liaison.
    async fn may_post_for<C: ConnectionTrait>(&self, db: &C, actor: &Actor, c: &conf::Model, m: i64) -> Result<()> {
        match self.right_on_conference(db, actor, c).await? {
            ConferenceRight::Office => Ok(()),
            ConferenceRight::Liaison
                if self
                    .liaison_members(db, actor, Some(c.id))
                    .await?
                    .iter()
                    .any(|x| x.id == m) =>
            {
                Ok(())
            }
            _ => Err(StoreError::Forbidden),
        }
    }

    /// The place of a post lies in the conference's territory and is a known division.
    pub(super) async fn check_post_place(&self, c: &conf::Model, d: &DivisionCode) -> Result<()> {
        self.known_division(d).await?;
        if !DivisionCode::parse(&c.division_code).is_ok_and(|cd| cd.contains(d)) {
            return Err(StoreError::OutsideTerritory { field: "division" });
        }
        Ok(())
    }

    /// Posts a need or a resource for a member unit (its liaison, or an office that keeps
    /// the conference). Audited; the contact's phone is kept out of the log.
    pub async fn create_post(
        &self,
        actor: &Actor,
        c: ConferenceId,
        member_id: AllianceMemberId,
        f: &PostFields,
    ) -> Result<PostView> {
        let words = self.words_of(f.text()).await?;
        let txn = self.begin().await?;
        let conf = conf::Entity::find_by_id(c.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.right_on_conference(&txn, actor, &conf).await?;
        let m = self
            .member_of(&txn, &conf, member_id)
            .await
            .map_err(|_| StoreError::Reference { field: "member" })?;
        self.may_post_for(&txn, actor, &conf, m.id).await?;
        self.check_post_place(&conf, &f.division).await?;
        let generation = next_words_generation(&txn, conf.id).await?;
        let w = Written {
            words: &words,
            generation,
        };
        let p = self.insert_post(&txn, actor, conf.id, m.id, f, w).await?;
        txn.commit().await?;
        Ok(self.post_views(vec![p]).await?.remove(0))
    }

    /// Writes a new post and its words in the caller's transaction (rights and places
    /// checked before). Audited.
    pub(super) async fn insert_post(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &Actor,
        conference: i64,
        member: i64,
        f: &PostFields,
        w: Written<'_>,
    ) -> Result<post::Model> {
        let now = Utc::now();
        let p = post::Entity::insert(post::ActiveModel {
            conference_id: Set(conference),
            member_id: Set(member),
            kind: Set(f.kind.code().into()),
            title: Set(f.title.clone()),
            category: Set(f.category.map(|c| c.code().to_string())),
            description: Set(f.description.clone()),
            division_code: Set(f.division.to_string()),
            place: Set(f.place.clone()),
            audience: Set(f.audience.clone()),
            starts_on: Set(f.starts_on),
            ends_on: Set(f.ends_on),
            people: Set(f.people.map(|p| i32::try_from(p).unwrap_or(i32::MAX))),
            contact_name: Set(f.contact_name.clone()),
            contact_phone: Set(f.contact_phone.as_ref().map(|p| p.reveal().to_string())),
            status: Set("open".into()),
            words: Set(w.words.iter().map(|(_, n)| n).sum()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await?;
        self.write_words(txn, &p, w).await?;
        crate::audit::record(txn, actor, "create", "post", Some(p.id), None, Some(audited(&p))).await?;
        Ok(p)
    }

    /// Keeps `w` as post `p`'s postings, marked with its generation.
    pub(super) async fn write_words<C: ConnectionTrait>(&self, db: &C, p: &post::Model, w: Written<'_>) -> Result<()> {
        post::Entity::update_many()
            .col_expr(post::Column::WordsGeneration, Expr::value(w.generation))
            .filter(post::Column::Id.eq(p.id))
            .exec(db)
            .await?;
        word::Entity::delete_many()
            .filter(word::Column::PostId.eq(p.id))
            .exec(db)
            .await?;
        for chunk in w.words.chunks(500) {
            word::Entity::insert_many(chunk.iter().map(|(w, n)| word::ActiveModel {
                post_id: Set(p.id),
                conference_id: Set(p.conference_id),
                kind: Set(p.kind.clone()),
                word: Set(w.clone()),
                tf: Set(*n),
                ..Default::default()
            }))
            .exec_without_returning(db)
            .await?;
        }
        Ok(())
    }

    /// A post and its conference, when the caller sees the conference.
    async fn seen_post(&self, actor: &Actor, id: i64) -> Result<(post::Model, conf::Model)> {
        let p = post::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let c = conf::Entity::find_by_id(p.conference_id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        // Its lists are the conference's workings: not a party member's to read.
        if self.right_on_conference(&self.read, actor, &c).await? < ConferenceRight::Read {
            return Err(StoreError::NotFound);
        }
        Ok((p, c))
    }

    /// Refuses unless the caller may edit post `id` (its unit's liaison, or an office
    /// that keeps the conference): handlers ask before they read a body.
    pub async fn check_post_editable(&self, actor: &Actor, id: i64) -> Result<()> {
        let (p, c) = self.seen_post(actor, id).await?;
        self.may_post_for(&self.read, actor, &c, p.member_id).await
    }

    /// One post (not found when the caller does not see its conference).
    pub async fn get_post(&self, actor: &Actor, id: i64) -> Result<PostView> {
        let (p, _) = self.seen_post(actor, id).await?;
        Ok(self.post_views(vec![p]).await?.remove(0))
    }

    /// The posts of a conference the caller sees, newest first: of one kind, of one
    /// status, of one member unit, as asked.
    pub async fn list_posts(
        &self,
        actor: &Actor,
        c: ConferenceId,
        kind: Option<PostKind>,
        status: Option<&str>,
        member_id: Option<AllianceMemberId>,
    ) -> Result<Vec<PostView>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let mut q = post::Entity::find()
            .filter(post::Column::ConferenceId.eq(conf.id))
            .filter(post::Column::Archived.eq(false));
        if let Some(k) = kind {
            q = q.filter(post::Column::Kind.eq(k.code()));
        }
        if let Some(s) = status {
            q = q.filter(post::Column::Status.eq(s));
        }
        if let Some(m) = member_id {
            q = q.filter(post::Column::MemberId.eq(m.0));
        }
        let rows = q
            .order_by_desc(post::Column::CreatedAt)
            .order_by_desc(post::Column::Id)
            .limit(500)
            .all(&self.read)
            .await?;
        self.post_views(rows).await
    }

    /// Edits a post: only what `patch` names changes, checked whole, its words kept in
    /// step; version-checked, audited. Its liaison or an office that keeps the
    /// conference.
    pub async fn update_post(&self, actor: &Actor, id: i64, version: i64, patch: &PostPatch) -> Result<PostView> {
        let before = post::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let keep = |new: &Option<String>, old: Option<&str>| new.clone().unwrap_or_else(|| old.unwrap_or("").into());
        let people = patch
            .people
            .clone()
            .unwrap_or_else(|| before.people.map(|p| p.to_string()).unwrap_or_default());
        let f = PostFields::parse(&PostInput {
            kind: &before.kind,
            title: &keep(&patch.title, Some(&before.title)),
            category: &keep(&patch.category, before.category.as_deref()),
            description: &keep(&patch.description, before.description.as_deref()),
            division: &keep(&patch.division, Some(&before.division_code)),
            place: &keep(&patch.place, before.place.as_deref()),
            audience: &keep(&patch.audience, before.audience.as_deref()),
            starts_on: patch.starts_on.unwrap_or(before.starts_on),
            ends_on: patch.ends_on.unwrap_or(before.ends_on),
            people: &people,
            contact_name: &keep(&patch.contact_name, before.contact_name.as_deref()),
            contact_phone: &keep(&patch.contact_phone, before.contact_phone.as_deref()),
        })
        .map_err(StoreError::Invalid)?;
        let status = match patch.status.as_deref() {
            None => before.status.clone(),
            Some(s @ ("open" | "closed")) => s.to_string(),
            Some(_) => {
                return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::UnknownValue {
                    field: "status",
                }]));
            }
        };
        let words = self.words_of(f.text()).await?;
        let txn = self.begin().await?;
        let conf = conf::Entity::find_by_id(before.conference_id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.right_on_conference(&txn, actor, &conf).await?;
        self.may_post_for(&txn, actor, &conf, before.member_id).await?;
        let current = post::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if current.version != version {
            return Err(StoreError::Stale {
                current: current.version,
            });
        }
        if f.division.as_str() != current.division_code {
            self.check_post_place(&conf, &f.division).await?;
        }
        let generation = next_words_generation(&txn, conf.id).await?;
        let find = post::Entity::find_by_id(id);
        let res = post::Entity::update_many()
            .col_expr(post::Column::Title, Expr::value(f.title.clone()))
            .col_expr(
                post::Column::Category,
                Expr::value(f.category.map(|c| c.code().to_string())),
            )
            .col_expr(post::Column::Description, Expr::value(f.description.clone()))
            .col_expr(post::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(post::Column::Place, Expr::value(f.place.clone()))
            .col_expr(post::Column::Audience, Expr::value(f.audience.clone()))
            .col_expr(post::Column::StartsOn, Expr::value(f.starts_on))
            .col_expr(post::Column::EndsOn, Expr::value(f.ends_on))
            .col_expr(
                post::Column::People,
                Expr::value(f.people.map(|p| i32::try_from(p).unwrap_or(i32::MAX))),
            )
            .col_expr(post::Column::ContactName, Expr::value(f.contact_name.clone()))
            .col_expr(
                post::Column::ContactPhone,
                Expr::value(f.contact_phone.as_ref().map(|p| p.reveal().to_string())),
            )
            .col_expr(post::Column::Status, Expr::value(status))
            .col_expr(
                post::Column::Words,
                Expr::value(words.iter().map(|(_, n)| n).sum::<i32>()),
            )
            .col_expr(post::Column::Version, Expr::col(post::Column::Version).add(1))
            .col_expr(post::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(post::Column::Id.eq(id))
            .filter(post::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        let w = Written {
            words: &words,
            generation,
        };
        self.write_words(&txn, &after, w).await?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "post",
            Some(id),
            Some(audited(&current)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.post_views(vec![after]).await?.remove(0))
    }

    /// The posts of the other kind that could answer post `id` (resources for a need,
    /// needs for a resource), open ones of the same conference, best first, each with its
    /// score and reasons. At most `limit` (up to [`MATCHES_MAX`]).
    pub async fn match_post(&self, actor: &Actor, id: i64, limit: usize) -> Result<Vec<MatchView>> {
        self.matches_of(actor, id, None, limit).await
    }

    /// [`Store::match_post`] for a post that must be of `kind` (a need's matches asked
    /// for a resource's id are not found), from the one read of the post.
    pub async fn match_post_of_kind(
        &self,
        actor: &Actor,
        id: i64,
        kind: PostKind,
        limit: usize,
    ) -> Result<Vec<MatchView>> {
        self.matches_of(actor, id, Some(kind), limit).await
    }

    async fn matches_of(
        &self,
        actor: &Actor,
        id: i64,
        expect: Option<PostKind>,
        limit: usize,
    ) -> Result<Vec<MatchView>> {
        let (p, c) = self.seen_post(actor, id).await?;
        let kind = PostKind::parse_any(&p.kind).ok_or(StoreError::NotFound)?;
        if expect.is_some_and(|e| e != kind) {
            return Err(StoreError::NotFound);
        }
        let other = kind.other().code();
        let a = self.analyzer().await?;
        let v = self.conference_vocabulary(p.conference_id).await?;
        let index = self.postings(c.id, c.words_generation, other).await?;
        let text = post_text(&p);
        // Segmenting the query and scoring the index by text are CPU work: off the
        // async workers.
        let (keys, short) = tokio::task::spawn_blocking(move || {
            let keys = a.keys_in(&v, &text);
            let words: Vec<(String, Vec<String>)> =
                keys.iter().map(|(k, _)| (k.clone(), words_of_key_in(&v, k))).collect();
            let short = index.shortlist(&words, TEXT_SHORTLIST);
            (keys, short)
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        if keys.is_empty() || short.candidates.is_empty() {
            return Ok(vec![]);
        }
        // The signals beside the text, for the shortlist's open posts only: the columns
        // the ranking reads, not the whole rows.
        type Signalled = (
            i64,
            Option<String>,
            String,
            Option<NaiveDate>,
            Option<NaiveDate>,
            Option<i32>,
        );
        let ids: Vec<i64> = short.candidates.iter().map(|x| x.id).collect();
        let signals: HashMap<i64, Signalled> = post::Entity::find()
            .select_only()
            .column(post::Column::Id)
            .column(post::Column::Category)
            .column(post::Column::DivisionCode)
            .column(post::Column::StartsOn)
            .column(post::Column::EndsOn)
            .column(post::Column::People)
            .filter(post::Column::Id.is_in(ids))
            .filter(post::Column::Status.eq("open"))
            .filter(post::Column::Archived.eq(false))
            .into_tuple::<Signalled>()
            .all(&self.read)
            .await?
            .into_iter()
            .map(|r| (r.0, r))
            .collect();
        let candidates: Vec<Candidate> = short
            .candidates
            .into_iter()
            .filter_map(|x| {
                let (_, category, division, starts_on, ends_on, people) = signals.get(&x.id)?.clone();
                Some(Candidate {
                    category,
                    division: Some(division),
                    starts_on: starts_on.map(|d| d.to_string()),
                    ends_on: ends_on.map(|d| d.to_string()),
                    people: people.and_then(|n| u32::try_from(n).ok()),
                    ..x
                })
            })
            .collect();
        let query = Query {
            keys,
            category: p.category.clone(),
            division: Some(p.division_code.clone()),
            starts_on: p.starts_on.map(|d| d.to_string()),
            ends_on: p.ends_on.map(|d| d.to_string()),
            people: p.people.and_then(|n| u32::try_from(n).ok()),
        };
        let ranked = tongxin_matching::rank(
            &query,
            &candidates,
            short.docs,
            short.avg_len,
            &short.df,
            Signals::default(),
            limit.clamp(1, MATCHES_MAX),
        );
        // The whole rows of the suggestions only.
        let rows = post::Entity::find()
            .filter(post::Column::Id.is_in(ranked.iter().map(|r| r.id).collect::<Vec<_>>()))
            .all(&self.read)
            .await?;
        let mut by_id: HashMap<i64, post::Model> = rows.into_iter().map(|r| (r.id, r)).collect();
        let found: Vec<(post::Model, tongxin_matching::Ranked)> = ranked
            .into_iter()
            .filter_map(|r| Some((by_id.remove(&r.id)?, r)))
            .collect();
        let (ordered, ranked): (Vec<post::Model>, Vec<tongxin_matching::Ranked>) = found.into_iter().unzip();
        let views = self.post_views(ordered).await?;
        Ok(views
            .into_iter()
            .zip(ranked)
            .map(|(post, r)| MatchView {
                post,
                score: (r.score * 1000.0).round() / 1000.0,
                reasons: r.reasons,
            })
            .collect())
    }
}

/// The text a stored post is matched by (the same as [`PostFields::text`]).
pub(super) fn post_text(p: &post::Model) -> String {
    match_text(
        &p.title,
        p.category.as_deref().and_then(Category::parse_any),
        p.audience.as_deref(),
        p.description.as_deref(),
    )
}
