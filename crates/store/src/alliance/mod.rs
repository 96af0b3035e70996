//! The regional alliance (区域化党建) in the store: joint conferences, their member units
//! and the offices they hold, plenary meetings, visits and the liaison accounts of member
//! units.
//!
//! Who reads: an office whose division territory holds the conference, or lies inside
//! it (a street sees its district's conference, where its units sit beside the
//! district's); a liaison the conferences its unit belongs to. Anyone else gets "not
//! found", exactly as for an id that does not exist. Who writes: offices with
//! [`Action::WriteAlliance`] whose territory holds the conference's division.

mod import;
mod members;
mod offices;
mod pairing;
mod plenaries;
mod postings;
mod posts;
mod projects;
mod selection;
mod summary;
mod visits;
mod vocabulary;

pub use import::ListsImport;
pub use members::{AllianceMemberInput, AllianceMemberPatch, AllianceMemberView};
pub use offices::OfficeView;
pub use pairing::{GAP_ROWS_MAX, PairActivityView, PairInput, PairView, PairingGapRow, PairingGaps};
pub use plenaries::{Admission, PlenaryInput, PlenaryItemView, PlenaryPatch, PlenarySummary, PlenaryView};
pub(crate) use postings::KeptPostings;
pub use posts::{MATCHES_MAX, MatchView, PostPatch, PostView};
pub use projects::{
    AttachmentView, ClaimView, OverdueReport, ProjectDraft, ProjectInput, ProjectPatch, ProjectSummary, ProjectView,
    ReportView, Signing, Upload,
};
pub use selection::{CallSummary, CallView, CandidateView, CriterionView};
pub use summary::{AnnualSummary, ListFigures, SummaryCount, SummaryPlenary};
pub use tongxin_matching::Reason;
pub use visits::VisitView;
pub(crate) use vocabulary::KeptAnalyzer;
pub use vocabulary::{LINES_MAX, VocabularyLine};

use crate::entity::{alliance_conference as conf, alliance_liaison, alliance_member, alliance_plenary};
use crate::error::unique_as;
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::{Action, Role};
use tongxin_domain::alliance::{ConferenceFields, ConferenceId};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::scope::Scope;

/// A joint conference as the API and the console show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConferenceView {
    #[schema(value_type = i64)]
    pub id: ConferenceId,
    pub name: String,
    pub division_code: String,
    pub division_name: String,
    /// The conference it sits under (a sub-conference of an area or a cluster).
    #[schema(value_type = Option<i64>)]
    pub parent_id: Option<ConferenceId>,
    pub parent_name: Option<String>,
    pub founded_on: Option<NaiveDate>,
    pub mechanisms: Option<String>,
    /// Member units today (joined, not left).
    pub members: u64,
    /// Plenaries held so far.
    pub plenaries: u64,
    pub archived: bool,
    pub version: i64,
}

/// An edit of a conference: what is `Some` changes (`Some("")` clears the mechanisms,
/// `founded_on: Some(None)` the founding date). The result is checked whole.
#[derive(Debug, Clone, Default)]
pub struct ConferencePatch {
    pub name: Option<String>,
    pub division: Option<String>,
    pub founded_on: Option<Option<NaiveDate>>,
    pub mechanisms: Option<String>,
    pub archived: Option<bool>,
}

/// What an account may do with a conference, each level holding the one before: see
/// what it has published (a party member of its territory: its signed projects); read
/// it; post for its own member unit (a liaison); keep all of it (an office of its
/// territory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConferenceRight {
    Public,
    Read,
    Liaison,
    Office,
}

fn audited(m: &conf::Model) -> serde_json::Value {
    serde_json::json!({
        "name": m.name,
        "division_code": m.division_code,
        "parent_id": m.parent_id,
        "founded_on": m.founded_on,
        "mechanisms": m.mechanisms,
        "archived": m.archived,
    })
}

/// True when a division-scoped account sees a conference of `division`: its territory
/// holds it, or it lies inside the conference's division.
fn sees_division(scope: &Scope, division: &str) -> bool {
    match scope {
        Scope::All => true,
        Scope::Within { division: Some(d), .. } => {
            DivisionCode::parse(division).is_ok_and(|c| d.contains(&c) || c.contains(d))
        }
        Scope::Within { division: None, .. } => false,
    }
}

impl Store {
    /// The caller's right on conference `m`, or not found when it may not see it.
    async fn right_on_conference<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        m: &conf::Model,
    ) -> Result<ConferenceRight> {
        actor.require(Action::ReadRegistry)?;
        let office = actor.role.may(Action::WriteAlliance)
            && DivisionCode::parse(&m.division_code).is_ok_and(|d| actor.scope.may_place_in(&d));
        if office {
            return Ok(ConferenceRight::Office);
        }
        if !self.liaison_members(db, actor, Some(m.id)).await?.is_empty() {
            return Ok(ConferenceRight::Liaison);
        }
        if sees_division(&actor.scope, &m.division_code) {
            // A party member sees what the conference has published, not its workings
            // (its lists carry contacts; its records, who attended).
            if actor.role == Role::Member {
                return Ok(ConferenceRight::Public);
            }
            return Ok(ConferenceRight::Read);
        }
        Err(StoreError::NotFound)
    }

    /// The member units (ids) whose liaison the caller is, in one conference or in all.
    pub(crate) async fn liaison_members<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        conference: Option<i64>,
    ) -> Result<Vec<alliance_member::Model>> {
        let Some(a) = actor.account_id.filter(|_| actor.role == Role::UnitLiaison) else {
            return Ok(vec![]);
        };
        let ids: Vec<i64> = alliance_liaison::Entity::find()
            .filter(alliance_liaison::Column::AccountId.eq(a.0))
            .all(db)
            .await?
            .into_iter()
            .map(|l| l.member_id)
            .collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let mut q = alliance_member::Entity::find().filter(alliance_member::Column::Id.is_in(ids));
        if let Some(c) = conference {
            q = q.filter(alliance_member::Column::ConferenceId.eq(c));
        }
        Ok(q.all(db).await?)
    }

    /// The conference `id`, read in `db`, when the caller holds at least `need` on it:
    /// not found when it may not see it, forbidden when it sees it but may not do this.
    pub(crate) async fn kept_conference<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: ConferenceId,
        need: ConferenceRight,
    ) -> Result<conf::Model> {
        let m = conf::Entity::find_by_id(id.0)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        if self.right_on_conference(db, actor, &m).await? < need {
            return Err(StoreError::Forbidden);
        }
        Ok(m)
    }

    /// The conference `id` for a write by an office of its territory, locked for the
    /// rest of the transaction `txn`: the rules that read a conference's other records
    /// (one convener at a time, plenaries numbered in order) hold with two offices
    /// writing at once. SQLite's `BEGIN IMMEDIATE` already serialises writers; on
    /// PostgreSQL the conference's row is locked (`FOR UPDATE`).
    pub(crate) async fn conference_for_write(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &Actor,
        id: ConferenceId,
    ) -> Result<conf::Model> {
        if self.backend() == crate::Backend::Postgres {
            conf::Entity::find_by_id(id.0).lock_exclusive().one(txn).await?;
        }
        self.kept_conference(txn, actor, id, ConferenceRight::Office).await
    }

    /// What the caller may do with a conference (not found when it may not see it).
    pub async fn conference_right(&self, actor: &Actor, id: ConferenceId) -> Result<ConferenceRight> {
        let m = conf::Entity::find_by_id(id.0)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.right_on_conference(&self.read, actor, &m).await
    }

    /// Refuses unless the caller holds at least `need` on the conference. Handlers ask
    /// before they read a request's body.
    pub async fn check_conference_right(&self, actor: &Actor, id: ConferenceId, need: ConferenceRight) -> Result<()> {
        self.kept_conference(&self.read, actor, id, need).await.map(|_| ())
    }

    async fn conference_views(&self, rows: Vec<conf::Model>) -> Result<Vec<ConferenceView>> {
        let names = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        let parents: Vec<i64> = rows.iter().filter_map(|r| r.parent_id).collect();
        let parent_names: HashMap<i64, String> = if parents.is_empty() {
            HashMap::new()
        } else {
            conf::Entity::find()
                .filter(conf::Column::Id.is_in(parents))
                .all(&self.read)
                .await?
                .into_iter()
                .map(|p| (p.id, p.name))
                .collect()
        };
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let today = Utc::now().date_naive();
        // Two grouped counts for the whole list, never one per conference.
        let members: HashMap<i64, i64> = alliance_member::Entity::find()
            .select_only()
            .column(alliance_member::Column::ConferenceId)
            .column_as(alliance_member::Column::Id.count(), "n")
            .filter(alliance_member::Column::ConferenceId.is_in(ids.clone()))
            .filter(alliance_member::Column::JoinedOn.lte(today))
            .filter(
                sea_orm::Condition::any()
                    .add(alliance_member::Column::LeftOn.is_null())
                    .add(alliance_member::Column::LeftOn.gt(today)),
            )
            .group_by(alliance_member::Column::ConferenceId)
            .into_tuple::<(i64, i64)>()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        let plenaries: HashMap<i64, i64> = alliance_plenary::Entity::find()
            .select_only()
            .column(alliance_plenary::Column::ConferenceId)
            .column_as(alliance_plenary::Column::Id.count(), "n")
            .filter(alliance_plenary::Column::ConferenceId.is_in(ids))
            .filter(alliance_plenary::Column::HeldOn.lte(today))
            .group_by(alliance_plenary::Column::ConferenceId)
            .into_tuple::<(i64, i64)>()
            .all(&self.read)
            .await?
            .into_iter()
            .collect();
        let count =
            |h: &HashMap<i64, i64>, id: i64| h.get(&id).copied().and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        let out = rows
            .into_iter()
            .map(|m| ConferenceView {
                id: ConferenceId(m.id),
                division_name: names.get(&m.division_code).cloned().unwrap_or_default(),
                parent_id: m.parent_id.map(ConferenceId),
                parent_name: m.parent_id.and_then(|p| parent_names.get(&p).cloned()),
                members: count(&members, m.id),
                plenaries: count(&plenaries, m.id),
                name: m.name,
                division_code: m.division_code,
                founded_on: m.founded_on,
                mechanisms: m.mechanisms,
                archived: m.archived,
                version: m.version,
            })
            .collect();
        Ok(out)
    }

    /// The conferences the caller sees: those of its territory and above it, and those
    /// its unit belongs to (a liaison), by division then name.
    pub async fn list_conferences(&self, actor: &Actor, archived: bool) -> Result<Vec<ConferenceView>> {
        actor.require(Action::ReadRegistry)?;
        let mut q = conf::Entity::find().filter(conf::Column::Archived.eq(archived));
        match &actor.scope {
            Scope::All => {}
            Scope::Within { division, .. } => {
                let mut c = sea_orm::Condition::any();
                if let Some(d) = division {
                    c = c.add(crate::registry::in_division(conf::Column::DivisionCode, d));
                    let mut above = d.parent();
                    while let Some(a) = above {
                        c = c.add(conf::Column::DivisionCode.eq(a.as_str()));
                        above = a.parent();
                    }
                }
                let mine: Vec<i64> = self
                    .liaison_members(&self.read, actor, None)
                    .await?
                    .into_iter()
                    .map(|m| m.conference_id)
                    .collect();
                if !mine.is_empty() {
                    c = c.add(conf::Column::Id.is_in(mine));
                }
                if c.is_empty() {
                    return Ok(vec![]);
                }
                q = q.filter(c);
            }
        }
        let rows = q
            .order_by_asc(conf::Column::DivisionCode)
            .order_by_asc(conf::Column::Name)
            .all(&self.read)
            .await?;
        self.conference_views(rows).await
    }

    /// One conference (not found when the caller may not see it).
    pub async fn get_conference(&self, actor: &Actor, id: ConferenceId) -> Result<ConferenceView> {
        let m = self
            .kept_conference(&self.read, actor, id, ConferenceRight::Read)
            .await?;
        Ok(self.conference_views(vec![m]).await?.remove(0))
    }

    /// The sub-conferences directly under a conference the caller sees.
    pub async fn sub_conferences(&self, actor: &Actor, id: ConferenceId) -> Result<Vec<ConferenceView>> {
        self.kept_conference(&self.read, actor, id, ConferenceRight::Read)
            .await?;
        let rows = conf::Entity::find()
            .filter(conf::Column::ParentId.eq(id.0))
            .filter(conf::Column::Archived.eq(false))
            .order_by_asc(conf::Column::Name)
            .all(&self.read)
            .await?;
        let mut out = vec![];
        for r in rows {
            // A sub-conference of a district's may sit in a street the caller does not see.
            if self.right_on_conference(&self.read, actor, &r).await.is_ok() {
                out.push(r);
            }
        }
        self.conference_views(out).await
    }

    /// Records a conference in the caller's territory; a sub-conference names the one it
    /// sits under, whose division holds its own.
    pub async fn create_conference(
        &self,
        actor: &Actor,
        f: &ConferenceFields,
        parent: Option<ConferenceId>,
    ) -> Result<ConferenceView> {
        actor.require(Action::WriteAlliance)?;
        self.check_placement(actor, &f.division).await?;
        let txn = self.begin().await?;
        if let Some(p) = parent {
            self.check_parent(&txn, actor, p, &f.division, None).await?;
        }
        let now = Utc::now();
        let m = conf::Entity::insert(conf::ActiveModel {
            name: Set(f.name.clone()),
            division_code: Set(f.division.to_string()),
            parent_id: Set(parent.map(|p| p.0)),
            founded_on: Set(f.founded_on),
            mechanisms: Set(f.mechanisms.clone()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique_as("name"))?;
        crate::audit::record(&txn, actor, "create", "conference", Some(m.id), None, Some(audited(&m))).await?;
        txn.commit().await?;
        Ok(self.conference_views(vec![m]).await?.remove(0))
    }

    /// A parent conference the caller sees, whose division holds `division`, and that is
    /// not the conference itself or under it.
    async fn check_parent<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        parent: ConferenceId,
        division: &DivisionCode,
        this: Option<i64>,
    ) -> Result<()> {
        let bad = || StoreError::Reference { field: "parent" };
        let p = self
            .kept_conference(db, actor, parent, ConferenceRight::Read)
            .await
            .map_err(|_| bad())?;
        if !DivisionCode::parse(&p.division_code).is_ok_and(|d| d.contains(division)) {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfRange {
                field: "parent",
            }]));
        }
        // No conference sits under itself.
        let mut up = Some(p);
        while let Some(c) = up {
            if Some(c.id) == this {
                return Err(bad());
            }
            up = match c.parent_id {
                Some(pid) => conf::Entity::find_by_id(pid).one(db).await?,
                None => None,
            };
        }
        Ok(())
    }

    /// Edits a conference: only what `patch` names changes (version-checked, audited).
    pub async fn update_conference(
        &self,
        actor: &Actor,
        id: ConferenceId,
        version: i64,
        patch: &ConferencePatch,
    ) -> Result<ConferenceView> {
        let txn = self.begin().await?;
        let before = self.conference_for_write(&txn, actor, id).await?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let f = ConferenceFields::parse(
            patch.name.as_deref().unwrap_or(&before.name),
            patch.division.as_deref().unwrap_or(&before.division_code),
            patch.founded_on.unwrap_or(before.founded_on),
            patch
                .mechanisms
                .as_deref()
                .unwrap_or(before.mechanisms.as_deref().unwrap_or("")),
        )
        .map_err(StoreError::Invalid)?;
        if f.division.as_str() != before.division_code {
            self.check_placement(actor, &f.division).await?;
            if let Some(p) = before.parent_id {
                self.check_parent(&txn, actor, ConferenceId(p), &f.division, Some(before.id))
                    .await?;
            }
        }
        let find = conf::Entity::find_by_id(id.0);
        let res = conf::Entity::update_many()
            .col_expr(conf::Column::Name, Expr::value(f.name.clone()))
            .col_expr(conf::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(conf::Column::FoundedOn, Expr::value(f.founded_on))
            .col_expr(conf::Column::Mechanisms, Expr::value(f.mechanisms.clone()))
            .col_expr(
                conf::Column::Archived,
                Expr::value(patch.archived.unwrap_or(before.archived)),
            )
            .col_expr(conf::Column::Version, Expr::col(conf::Column::Version).add(1))
            .col_expr(conf::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(conf::Column::Id.eq(id.0))
            .filter(conf::Column::Version.eq(before.version))
            .exec(&txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "conference",
            Some(id.0),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(self.conference_views(vec![after]).await?.remove(0))
    }

    /// The history of a conference (its own record, its members', its plenaries'),
    /// newest first, for those who keep it.
    pub async fn conference_history(&self, actor: &Actor, id: ConferenceId) -> Result<Vec<crate::audit::AuditEntry>> {
        self.kept_conference(&self.read, actor, id, ConferenceRight::Office)
            .await?;
        self.history_of("conference", id.0).await
    }
}
