//! Selection (评选) in the store: calls with their criteria and judges, candidates
//! recommended by member units or offices, judges' scores, an office's moves with their
//! reasons, publication (the ranks frozen, the first `quota` selected) and the award at
//! a plenary. Generic over what is selected: projects of the conference, or party
//! organisations of its territory (百优支部).

use super::ConferenceRight;
use crate::entity::{
    account, alliance_call as call, alliance_call_criterion as criterion, alliance_call_judge as judge,
    alliance_conference as conf, alliance_nomination as nomination, alliance_plenary as plenary,
    alliance_plenary_item as item, alliance_project as project, alliance_score as score, party_org,
};
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::access::Role;
use tongxin_domain::alliance::{
    AllianceMemberId, CallFields, CallKind, CallStage, ConferenceId, Criterion, PlenaryId, PlenaryItemKind, ProjectId,
    Scored, check_score, move_reason, rank,
};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::Labelled;

/// A call as lists show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallSummary {
    pub id: i64,
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    /// `brand_project`, `key_project`, `excellent_branch`.
    pub kind: String,
    pub title: String,
    pub year: i32,
    pub quota: i32,
    pub scale: i32,
    /// `open` or `published`.
    pub stage: String,
    pub published_on: Option<NaiveDate>,
    pub candidates: usize,
    pub version: i64,
}

/// A criterion with its weight.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CriterionView {
    pub id: i64,
    pub name: String,
    pub weight: i32,
}

/// A candidate with its standing.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    pub id: i64,
    /// The project's or the organisation's name.
    pub name: String,
    pub project_id: Option<i64>,
    pub org_id: Option<i64>,
    /// The member unit that recommended it; none when an office did.
    pub recommended_by: Option<String>,
    pub reason: Option<String>,
    /// Weighted score, 0–100.
    pub total: f64,
    /// Judges who scored it.
    pub judges: usize,
    pub rank: u32,
    /// Where an office moved it and why.
    pub moved_to: Option<i32>,
    pub move_reason: Option<String>,
    /// Among the first `quota` when published.
    pub selected: bool,
    /// The caller's own scores of it, by criterion id (a judge's form shows them).
    pub my_scores: HashMap<i64, i32>,
}

/// A call with its criteria, judges and candidates in rank order.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CallView {
    pub summary: CallSummary,
    pub notes: Option<String>,
    pub criteria: Vec<CriterionView>,
    pub judges: Vec<String>,
    pub candidates: Vec<CandidateView>,
    /// The caller is one of its judges.
    pub is_judge: bool,
    /// "第N次全体会议" where the awards were handed out.
    pub awarded_at_number: Option<i32>,
}

fn audited(m: &call::Model) -> serde_json::Value {
    serde_json::json!({ "call": m.title, "kind": m.kind, "year": m.year, "quota": m.quota, "stage": m.stage })
}

impl Store {
    /// A call, its conference and the caller's right on it (not found when unseen).
    async fn call_and_conference<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: i64,
    ) -> Result<(call::Model, conf::Model, ConferenceRight)> {
        let m = call::Entity::find_by_id(id)
            .filter(call::Column::Archived.eq(false))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let c = conf::Entity::find_by_id(m.conference_id)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let right = self.right_on_conference(db, actor, &c).await?;
        if right == ConferenceRight::Public {
            return Err(StoreError::NotFound);
        }
        Ok((m, c, right))
    }

    /// A call in transaction `txn` for a write by an office, the conference locked (see
    /// [`Store::conference_for_write`]).
    async fn call_for_write(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &Actor,
        id: i64,
    ) -> Result<(call::Model, conf::Model)> {
        let m = call::Entity::find_by_id(id)
            .filter(call::Column::Archived.eq(false))
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        // Not found before forbidden: one who does not see it learns nothing.
        self.call_and_conference(txn, actor, id).await?;
        let c = self
            .conference_for_write(txn, actor, ConferenceId(m.conference_id))
            .await?;
        Ok((m, c))
    }

    /// Refuses unless the caller holds at least `need` on the call's conference (asked
    /// before a body is read).
    pub async fn check_call_right(&self, actor: &Actor, id: i64, need: ConferenceRight) -> Result<()> {
        let (_, _, right) = self.call_and_conference(&self.read, actor, id).await?;
        if right < need {
            return Err(StoreError::Forbidden);
        }
        Ok(())
    }

    /// Opens a call of conference `c` (an office) with its criteria. Audited.
    pub async fn create_call(&self, actor: &Actor, c: ConferenceId, f: &CallFields) -> Result<CallView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let now = Utc::now();
        let m = call::Entity::insert(call::ActiveModel {
            conference_id: Set(conf.id),
            kind: Set(f.kind.code().into()),
            title: Set(f.title.clone()),
            year: Set(f.year),
            quota: Set(i32::try_from(f.quota).unwrap_or(i32::MAX)),
            scale: Set(i32::try_from(f.scale).unwrap_or(100)),
            notes: Set(f.notes.clone()),
            stage: Set(CallStage::Open.code().into()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        criterion::Entity::insert_many(f.criteria.iter().enumerate().map(|(i, c)| criterion::ActiveModel {
            call_id: Set(m.id),
            position: Set(i32::try_from(i).unwrap_or(0)),
            name: Set(c.name.clone()),
            weight: Set(i32::try_from(c.weight).unwrap_or(0)),
            ..Default::default()
        }))
        .exec_without_returning(&txn)
        .await?;
        crate::audit::record(&txn, actor, "create", "call", Some(m.id), None, Some(audited(&m))).await?;
        txn.commit().await?;
        self.call_view(actor, m).await
    }

    /// The calls of a conference the caller sees, newest first.
    pub async fn list_calls(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<CallSummary>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let rows = call::Entity::find()
            .filter(call::Column::ConferenceId.eq(conf.id))
            .filter(call::Column::Archived.eq(false))
            .order_by_desc(call::Column::Year)
            .order_by_desc(call::Column::Id)
            .all(&self.read)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut counts: HashMap<i64, usize> = HashMap::new();
        if !ids.is_empty() {
            for n in nomination::Entity::find()
                .filter(nomination::Column::CallId.is_in(ids))
                .all(&self.read)
                .await?
            {
                *counts.entry(n.call_id).or_default() += 1;
            }
        }
        Ok(rows
            .into_iter()
            .map(|m| {
                let n = counts.get(&m.id).copied().unwrap_or(0);
                summary(m, n)
            })
            .collect())
    }

    /// One call with its candidates ranked.
    pub async fn get_call(&self, actor: &Actor, id: i64) -> Result<CallView> {
        let (m, _, _) = self.call_and_conference(&self.read, actor, id).await?;
        self.call_view(actor, m).await
    }

    /// Makes an office account of the conference's territory (a district or street
    /// office's) a judge of an open call. Audited.
    pub async fn add_judge(&self, actor: &Actor, id: i64, username: &str) -> Result<CallView> {
        let txn = self.begin().await?;
        let (m, _) = self.call_for_write(&txn, actor, id).await?;
        open(&m)?;
        let mut who = None;
        for role in [Role::DistrictOffice, Role::StreetOffice] {
            if let Some(a) = self.role_account_in(&txn, actor, username, role).await? {
                who = Some(a);
                break;
            }
        }
        let who = who.ok_or(StoreError::Reference { field: "username" })?;
        judge::Entity::insert(judge::ActiveModel {
            call_id: Set(m.id),
            account_id: Set(who),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await
        .map_err(crate::error::unique_as("username"))?;
        crate::audit::record(
            &txn,
            actor,
            "add_judge",
            "call",
            Some(m.id),
            None,
            Some(serde_json::json!({ "judge": username.trim() })),
        )
        .await?;
        txn.commit().await?;
        self.call_view(actor, m).await
    }

    /// Recommends (推荐) a candidate to an open call: a signed or closed project of the
    /// conference for a project call, a party organisation of its territory for a branch
    /// call. A liaison recommends in its unit's name; an office in its own or a member's.
    /// Each candidate once. Audited. Answers the candidate's id.
    pub async fn nominate(
        &self,
        actor: &Actor,
        id: i64,
        subject: i64,
        by: Option<AllianceMemberId>,
        reason: Option<String>,
    ) -> Result<i64> {
        let reason = tongxin_domain::registry::optional_text("reason", reason.as_deref().unwrap_or(""), 500)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let txn = self.begin().await?;
        let (m, c, right) = self.call_and_conference(&txn, actor, id).await?;
        if self.backend() == crate::Backend::Postgres {
            // Two recommendations of one candidate at once: one of them is refused.
            conf::Entity::find_by_id(c.id).lock_exclusive().one(&txn).await?;
        }
        open(&m)?;
        let by = match (right, by) {
            (ConferenceRight::Public | ConferenceRight::Read, _) => return Err(StoreError::Forbidden),
            (ConferenceRight::Office, None) => None,
            (_, Some(b)) => {
                let unit = self.member_of(&txn, &c, b).await.map_err(|_| StoreError::Reference {
                    field: "recommended_by",
                })?;
                if right == ConferenceRight::Liaison
                    && !self
                        .liaison_members(&txn, actor, Some(c.id))
                        .await?
                        .iter()
                        .any(|x| x.id == unit.id)
                {
                    return Err(StoreError::Forbidden);
                }
                Some(unit.id)
            }
            (ConferenceRight::Liaison, None) => {
                return Err(StoreError::Invalid(vec![DomainError::Required {
                    field: "recommended_by",
                }]));
            }
        };
        let kind = CallKind::parse_any(&m.kind).ok_or(StoreError::NotFound)?;
        let (project_id, org_id) = if kind.selects_projects() {
            let p = project::Entity::find_by_id(subject)
                .filter(project::Column::ConferenceId.eq(c.id))
                .filter(project::Column::Archived.eq(false))
                .one(&txn)
                .await?
                .ok_or(StoreError::Reference { field: "subject" })?;
            if p.stage == "open" {
                return Err(StoreError::ProjectStage { stage: "open" });
            }
            (Some(p.id), None)
        } else {
            let o = party_org::Entity::find_by_id(subject)
                .filter(party_org::Column::Archived.eq(false))
                .one(&txn)
                .await?
                .ok_or(StoreError::Reference { field: "subject" })?;
            let inside = DivisionCode::parse(&c.division_code)
                .ok()
                .zip(DivisionCode::parse(&o.division_code).ok())
                .is_some_and(|(cd, od)| cd.contains(&od));
            if !inside {
                return Err(StoreError::Reference { field: "subject" });
            }
            (None, Some(o.id))
        };
        let twice = nomination::Entity::find()
            .filter(nomination::Column::CallId.eq(m.id))
            .filter(match project_id {
                Some(p) => nomination::Column::ProjectId.eq(p),
                None => nomination::Column::OrgId.eq(org_id.unwrap_or(0)),
            })
            .one(&txn)
            .await?;
        if twice.is_some() {
            return Err(StoreError::Duplicate { field: "subject" });
        }
        let n = nomination::Entity::insert(nomination::ActiveModel {
            call_id: Set(m.id),
            project_id: Set(project_id),
            org_id: Set(org_id),
            recommended_by: Set(by),
            reason: Set(reason),
            selected: Set(false),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "nominate",
            "call",
            Some(m.id),
            None,
            Some(serde_json::json!({ "project_id": project_id, "org_id": org_id })),
        )
        .await?;
        txn.commit().await?;
        Ok(n.id)
    }

    /// A judge's scores of one candidate of an open call: (criterion id, score), each
    /// from 0 to the call's scale; a second scoring of a criterion replaces the first.
    pub async fn score(&self, actor: &Actor, id: i64, candidate: i64, scores: &[(i64, i64)]) -> Result<()> {
        let txn = self.begin().await?;
        let (m, _, _) = self.call_and_conference(&txn, actor, id).await?;
        let me = actor.account_id.ok_or(StoreError::Forbidden)?;
        judge::Entity::find()
            .filter(judge::Column::CallId.eq(m.id))
            .filter(judge::Column::AccountId.eq(me.0))
            .one(&txn)
            .await?
            .ok_or(StoreError::Forbidden)?;
        open(&m)?;
        let n = nomination::Entity::find_by_id(candidate)
            .filter(nomination::Column::CallId.eq(m.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::Reference { field: "candidate" })?;
        let criteria: Vec<i64> = criterion::Entity::find()
            .filter(criterion::Column::CallId.eq(m.id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let scale = u32::try_from(m.scale).unwrap_or(100);
        let mut checked = Vec::with_capacity(scores.len());
        for (cr, s) in scores {
            if !criteria.contains(cr) {
                return Err(StoreError::Reference { field: "criterion" });
            }
            checked.push((*cr, check_score(*s, scale).map_err(|e| StoreError::Invalid(vec![e]))?));
        }
        for (cr, s) in checked {
            score::Entity::delete_many()
                .filter(score::Column::NominationId.eq(n.id))
                .filter(score::Column::JudgeId.eq(me.0))
                .filter(score::Column::CriterionId.eq(cr))
                .exec(&txn)
                .await?;
            score::Entity::insert(score::ActiveModel {
                nomination_id: Set(n.id),
                judge_id: Set(me.0),
                criterion_id: Set(cr),
                score: Set(i32::try_from(s).unwrap_or(0)),
                scored_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
        }
        crate::audit::record(
            &txn,
            actor,
            "score",
            "call",
            Some(m.id),
            None,
            Some(serde_json::json!({ "candidate": n.id })),
        )
        .await?;
        txn.commit().await?;
        Ok(())
    }

    /// Moves a candidate of an open call to place `to` (none puts it back where its
    /// score puts it), with the reason (an office; audited with the reason).
    pub async fn move_candidate(
        &self,
        actor: &Actor,
        id: i64,
        candidate: i64,
        to: Option<u32>,
        reason: &str,
    ) -> Result<CallView> {
        let reason = move_reason(reason).map_err(|e| StoreError::Invalid(vec![e]))?;
        if to == Some(0) {
            return Err(StoreError::Invalid(vec![DomainError::OutOfRange { field: "moved_to" }]));
        }
        let txn = self.begin().await?;
        let (m, _) = self.call_for_write(&txn, actor, id).await?;
        open(&m)?;
        let before = nomination::Entity::find_by_id(candidate)
            .filter(nomination::Column::CallId.eq(m.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::Reference { field: "candidate" })?;
        nomination::Entity::update_many()
            .col_expr(
                nomination::Column::MovedTo,
                Expr::value(to.map(|t| i32::try_from(t).unwrap_or(i32::MAX))),
            )
            .col_expr(nomination::Column::MoveReason, Expr::value(reason.clone()))
            .filter(nomination::Column::Id.eq(before.id))
            .exec(&txn)
            .await?;
        crate::audit::record(
            &txn,
            actor,
            "move_candidate",
            "call",
            Some(m.id),
            Some(serde_json::json!({ "candidate": before.id, "moved_to": before.moved_to })),
            Some(serde_json::json!({ "candidate": before.id, "moved_to": to, "reason": reason })),
        )
        .await?;
        txn.commit().await?;
        self.call_view(actor, m).await
    }

    /// Publishes an open call's results (an office): each candidate's place and total are
    /// frozen, the first `quota` selected. Version-checked, audited.
    pub async fn publish_call(&self, actor: &Actor, id: i64, version: i64, on: NaiveDate) -> Result<CallView> {
        let txn = self.begin().await?;
        let (m, _) = self.call_for_write(&txn, actor, id).await?;
        if m.version != version {
            return Err(StoreError::Stale { current: m.version });
        }
        open(&m)?;
        let placed = self.ranking(&txn, &m).await?.placed;
        let quota = u32::try_from(m.quota).unwrap_or(0);
        for p in &placed {
            nomination::Entity::update_many()
                .col_expr(
                    nomination::Column::FinalRank,
                    Expr::value(i32::try_from(p.rank).unwrap_or(i32::MAX)),
                )
                .col_expr(nomination::Column::FinalTotal, Expr::value(p.total))
                .col_expr(nomination::Column::Selected, Expr::value(p.rank <= quota))
                .filter(nomination::Column::Id.eq(p.id))
                .exec(&txn)
                .await?;
        }
        call::Entity::update_many()
            .col_expr(call::Column::Stage, Expr::value(CallStage::Published.code()))
            .col_expr(call::Column::PublishedOn, Expr::value(on))
            .col_expr(call::Column::Version, Expr::col(call::Column::Version).add(1))
            .col_expr(call::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(call::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        let after = call::Entity::find_by_id(m.id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "publish",
            "call",
            Some(m.id),
            Some(audited(&m)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        self.call_view(actor, after).await
    }

    /// Records the awards of a published call as handed out at plenary `at` (奖杯 / 授牌):
    /// the plenary's record gains them. An office; audited.
    pub async fn award_call(&self, actor: &Actor, id: i64, at: PlenaryId) -> Result<CallView> {
        let txn = self.begin().await?;
        let (m, c) = self.call_for_write(&txn, actor, id).await?;
        if m.stage != CallStage::Published.code() {
            return Err(StoreError::CallStage { published: false });
        }
        let p = plenary::Entity::find_by_id(at.0)
            .filter(plenary::Column::ConferenceId.eq(c.id))
            .one(&txn)
            .await?
            .ok_or(StoreError::Reference { field: "plenary" })?;
        let selected = nomination::Entity::find()
            .filter(nomination::Column::CallId.eq(m.id))
            .filter(nomination::Column::Selected.eq(true))
            .order_by_asc(nomination::Column::FinalRank)
            .all(&txn)
            .await?;
        let names = self.candidate_names(&txn, &selected).await?;
        let list: Vec<String> = selected.iter().filter_map(|n| names.get(&n.id).cloned()).collect();
        item::Entity::insert(item::ActiveModel {
            plenary_id: Set(p.id),
            kind: Set(PlenaryItemKind::Award.code().into()),
            text: Set(format!("{}：{}", m.title, list.join("、"))
                .chars()
                .take(tongxin_domain::alliance::TEXT_MAX)
                .collect()),
            member_id: Set(None),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await?;
        call::Entity::update_many()
            .col_expr(call::Column::AwardedPlenaryId, Expr::value(p.id))
            .col_expr(call::Column::Version, Expr::col(call::Column::Version).add(1))
            .filter(call::Column::Id.eq(m.id))
            .exec(&txn)
            .await?;
        crate::audit::record(
            &txn,
            actor,
            "award",
            "call",
            Some(m.id),
            None,
            Some(serde_json::json!({ "plenary": p.number })),
        )
        .await?;
        let after = call::Entity::find_by_id(m.id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        txn.commit().await?;
        self.call_view(actor, after).await
    }

    /// The names of candidates: their project's title or their organisation's name.
    async fn candidate_names<C: ConnectionTrait>(
        &self,
        db: &C,
        rows: &[nomination::Model],
    ) -> Result<HashMap<i64, String>> {
        let projects: Vec<i64> = rows.iter().filter_map(|n| n.project_id).collect();
        let orgs: Vec<i64> = rows.iter().filter_map(|n| n.org_id).collect();
        let mut titles: HashMap<i64, String> = HashMap::new();
        if !projects.is_empty() {
            titles.extend(
                project::Entity::find()
                    .filter(project::Column::Id.is_in(projects))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|p| (p.id, p.title)),
            );
        }
        let mut org_names: HashMap<i64, String> = HashMap::new();
        if !orgs.is_empty() {
            org_names.extend(
                party_org::Entity::find()
                    .filter(party_org::Column::Id.is_in(orgs))
                    .all(db)
                    .await?
                    .into_iter()
                    .map(|o| (o.id, o.name)),
            );
        }
        Ok(rows
            .iter()
            .map(|n| {
                let name = match (n.project_id, n.org_id) {
                    (Some(p), _) => titles.get(&p).cloned(),
                    (_, Some(o)) => org_names.get(&o).cloned(),
                    _ => None,
                };
                (n.id, name.unwrap_or_default())
            })
            .collect())
    }

    /// The candidates of a call ranked now (published calls: as frozen), with the rows
    /// they were ranked from.
    async fn ranking<C: ConnectionTrait>(&self, db: &C, m: &call::Model) -> Result<Ranking> {
        let criteria = criterion::Entity::find()
            .filter(criterion::Column::CallId.eq(m.id))
            .order_by_asc(criterion::Column::Position)
            .all(db)
            .await?;
        let rows = nomination::Entity::find()
            .filter(nomination::Column::CallId.eq(m.id))
            .order_by_asc(nomination::Column::Id)
            .all(db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|n| n.id).collect();
        let scores = if ids.is_empty() {
            vec![]
        } else {
            score::Entity::find()
                .filter(score::Column::NominationId.is_in(ids))
                .all(db)
                .await?
        };
        let index_of: HashMap<i64, usize> = criteria.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        let scored: Vec<Scored> = rows
            .iter()
            .map(|n| Scored {
                id: n.id,
                scores: scores
                    .iter()
                    .filter(|s| s.nomination_id == n.id)
                    .filter_map(|s| {
                        index_of
                            .get(&s.criterion_id)
                            .map(|i| (s.judge_id, *i, u32::try_from(s.score).unwrap_or(0)))
                    })
                    .collect(),
                moved_to: n.moved_to.and_then(|t| u32::try_from(t).ok()),
            })
            .collect();
        let weights: Vec<Criterion> = criteria
            .iter()
            .map(|c| Criterion {
                name: c.name.clone(),
                weight: u32::try_from(c.weight).unwrap_or(0),
            })
            .collect();
        let mut placed = rank(&scored, &weights, u32::try_from(m.scale).unwrap_or(100));
        if m.stage == CallStage::Published.code() {
            // As published: the frozen places, whatever was scored after.
            for p in &mut placed {
                if let Some(n) = rows.iter().find(|n| n.id == p.id) {
                    p.rank = n.final_rank.and_then(|r| u32::try_from(r).ok()).unwrap_or(p.rank);
                    p.total = n.final_total.unwrap_or(p.total);
                }
            }
            placed.sort_by_key(|p| p.rank);
        }
        Ok(Ranking {
            criteria,
            rows,
            placed,
            scores,
        })
    }

    async fn call_view(&self, actor: &Actor, m: call::Model) -> Result<CallView> {
        let judges = judge::Entity::find()
            .filter(judge::Column::CallId.eq(m.id))
            .all(&self.read)
            .await?;
        let judge_names = if judges.is_empty() {
            vec![]
        } else {
            account::Entity::find()
                .filter(account::Column::Id.is_in(judges.iter().map(|j| j.account_id)))
                .order_by_asc(account::Column::Username)
                .all(&self.read)
                .await?
                .into_iter()
                .map(|a| a.username)
                .collect()
        };
        let me = actor.account_id.map(|a| a.0);
        let is_judge = me.is_some_and(|me| judges.iter().any(|j| j.account_id == me));
        let Ranking {
            criteria,
            rows,
            placed,
            scores,
        } = self.ranking(&self.read, &m).await?;
        let names = self.candidate_names(&self.read, &rows).await?;
        let recommenders = self.member_names(rows.iter().filter_map(|n| n.recommended_by)).await?;
        let candidates = placed
            .iter()
            .filter_map(|p| {
                let n = rows.iter().find(|n| n.id == p.id)?;
                Some(CandidateView {
                    id: n.id,
                    name: names.get(&n.id).cloned().unwrap_or_default(),
                    project_id: n.project_id,
                    org_id: n.org_id,
                    recommended_by: n.recommended_by.and_then(|b| recommenders.get(&b).cloned()),
                    reason: n.reason.clone(),
                    total: p.total,
                    judges: p.judges,
                    rank: p.rank,
                    moved_to: n.moved_to,
                    move_reason: n.move_reason.clone(),
                    selected: n.selected,
                    my_scores: scores
                        .iter()
                        .filter(|s| s.nomination_id == n.id && Some(s.judge_id) == me)
                        .map(|s| (s.criterion_id, s.score))
                        .collect(),
                })
            })
            .collect();
        let awarded_at_number = match m.awarded_plenary_id {
            Some(p) => plenary::Entity::find_by_id(p).one(&self.read).await?.map(|p| p.number),
            None => None,
        };
        Ok(CallView {
            notes: m.notes.clone(),
            criteria: criteria
                .into_iter()
                .map(|c| CriterionView {
                    id: c.id,
                    name: c.name,
                    weight: c.weight,
                })
                .collect(),
            judges: judge_names,
            is_judge,
            awarded_at_number,
            summary: summary(m, rows.len()),
            candidates,
        })
    }

    /// Projects of conference `c` that a project call may take: signed or closed.
    pub async fn nominable_projects(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<(ProjectId, String)>> {
        Ok(self
            .list_projects(actor, c, None)
            .await?
            .into_iter()
            .filter(|p| p.stage != "open")
            .map(|p| (p.id, p.title))
            .collect())
    }
}

/// A call's candidates ranked, with its criteria, nominations and scores.
struct Ranking {
    criteria: Vec<criterion::Model>,
    rows: Vec<nomination::Model>,
    placed: Vec<tongxin_domain::alliance::Placed>,
    scores: Vec<score::Model>,
}

fn open(m: &call::Model) -> Result<()> {
    if m.stage == CallStage::Open.code() {
        Ok(())
    } else {
        Err(StoreError::CallStage { published: true })
    }
}

fn summary(m: call::Model, candidates: usize) -> CallSummary {
    CallSummary {
        id: m.id,
        conference_id: ConferenceId(m.conference_id),
        kind: m.kind,
        title: m.title,
        year: m.year,
        quota: m.quota,
        scale: m.scale,
        stage: m.stage,
        published_on: m.published_on,
        candidates,
        version: m.version,
    }
}
