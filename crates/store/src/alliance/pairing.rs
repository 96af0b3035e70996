//! Pairing (结对共建): branches with branches, firms with residential communities and
//! villages (百企连百居百村), the activities each pair logs, and the gap list: the
//! communities and villages of the territory with no partner firm, the branches with no
//! pair, the pairs with nothing logged this year. The rules are the domain's
//! (`alliance::pairing`); every party must lie in the conference's territory and the
//! caller's.

use super::ConferenceRight;
use crate::entity::{alliance_pair as pair, alliance_pair_activity as activity};
use crate::entity::{division, party_org, unit};
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use tongxin_domain::alliance::{ConferenceId, PairActivityFields, PairFields, PairKind, idle_in, pair_active_on};
use tongxin_domain::codes::{DivisionCode, DivisionLevel};
use tongxin_domain::registry::{Labelled, OrgId, OrgKind, UnitId};

/// Most rows of one gap list shown at once (their count is always given).
pub const GAP_ROWS_MAX: usize = 500;

/// The parties of a new pair: two branches, or a firm and a community or village.
#[derive(Debug, Clone)]
pub struct PairInput {
    pub fields: PairFields,
    pub org_a: Option<OrgId>,
    pub org_b: Option<OrgId>,
    pub firm: Option<UnitId>,
    pub community: Option<DivisionCode>,
}

/// A pair as shown: its two parties by name, whether it is active today, what it did
/// this year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairView {
    pub id: i64,
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    /// `branches` or `firm_community`.
    pub kind: String,
    pub kind_label: String,
    /// The first branch, or the firm.
    pub first: String,
    /// The second branch, or the community or village.
    pub second: String,
    pub org_a_id: Option<i64>,
    pub org_b_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub community_code: Option<String>,
    pub started_on: NaiveDate,
    pub ended_on: Option<NaiveDate>,
    pub active: bool,
    pub note: Option<String>,
    pub activities_this_year: usize,
    pub last_activity: Option<NaiveDate>,
    pub version: i64,
}

/// What a pair did together.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairActivityView {
    pub id: i64,
    pub held_on: NaiveDate,
    pub title: String,
    pub notes: Option<String>,
    pub people: Option<i32>,
}

/// One row of a gap list: what lacks a partner, by name, with its place.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairingGapRow {
    /// A division code (a community or village) or an organisation id.
    pub id: String,
    pub name: String,
    pub division_name: String,
}

/// The pairing gaps of a conference's territory.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PairingGaps {
    pub year: i32,
    pub communities_without_firm: usize,
    pub communities: Vec<PairingGapRow>,
    pub branches_without_pair: usize,
    pub branches: Vec<PairingGapRow>,
    pub idle_pairs: Vec<PairView>,
}

impl Store {
    /// Sets up a pair (an office of the conference): two different branches, or a firm
    /// and a community or village, all in the conference's territory and the caller's.
    /// The same parties paired and active twice is a duplicate. Audited.
    pub async fn create_pair(&self, actor: &Actor, c: ConferenceId, input: &PairInput) -> Result<PairView> {
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        let territory = DivisionCode::parse(&conf.division_code).map_err(|_| StoreError::NotFound)?;
        let within = |code: &str, field: &'static str| -> Result<()> {
            match DivisionCode::parse(code) {
                Ok(d) if territory.contains(&d) => Ok(()),
                _ => Err(StoreError::OutsideTerritory { field }),
            }
        };
        let f = &input.fields;
        let (org_a, org_b, firm, community) = match f.kind {
            PairKind::Branches => {
                let (Some(a), Some(b)) = (input.org_a, input.org_b) else {
                    return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                        field: if input.org_a.is_none() { "org_a" } else { "org_b" },
                    }]));
                };
                if a == b {
                    return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Inconsistent {
                        field: "org_b",
                    }]));
                }
                let oa = crate::registry::refs::org(&txn, actor, a, "org_a").await?;
                let ob = crate::registry::refs::org(&txn, actor, b, "org_b").await?;
                within(&oa.division_code, "org_a")?;
                within(&ob.division_code, "org_b")?;
                let (lo, hi) = if oa.id < ob.id { (oa.id, ob.id) } else { (ob.id, oa.id) };
                (Some(lo), Some(hi), None, None)
            }
            PairKind::FirmCommunity => {
                let Some(u) = input.firm else {
                    return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                        field: "firm",
                    }]));
                };
                let Some(d) = &input.community else {
                    return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::Required {
                        field: "community",
                    }]));
                };
                let firm = crate::registry::refs::unit(&txn, actor, u, "firm").await?;
                within(&firm.division_code, "firm")?;
                if d.level() != DivisionLevel::Community {
                    return Err(StoreError::Reference { field: "community" });
                }
                within(d.as_str(), "community")?;
                if !actor.scope.may_place_in(d) {
                    return Err(StoreError::OutsideTerritory { field: "community" });
                }
                division::Entity::find_by_id(d.as_str())
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::Reference { field: "community" })?;
                (None, None, Some(firm.id), Some(d.to_string()))
            }
        };
        let same = pair::Entity::find()
            .filter(pair::Column::ConferenceId.eq(conf.id))
            .filter(pair::Column::Kind.eq(f.kind.code()))
            .filter(pair::Column::Archived.eq(false))
            .all(&txn)
            .await?
            .into_iter()
            .any(|p| {
                p.org_a_id == org_a
                    && p.org_b_id == org_b
                    && p.unit_id == firm
                    && p.community_code == community
                    && p.ended_on.is_none_or(|e| e >= f.started_on)
            });
        if same {
            return Err(StoreError::Duplicate { field: "pair" });
        }
        let now = Utc::now();
        let row = pair::Entity::insert(pair::ActiveModel {
            conference_id: Set(conf.id),
            kind: Set(f.kind.code().into()),
            org_a_id: Set(org_a),
            org_b_id: Set(org_b),
            unit_id: Set(firm),
            community_code: Set(community),
            started_on: Set(f.started_on),
            ended_on: Set(f.ended_on),
            note: Set(f.note.clone()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "add_pair",
            "conference",
            Some(conf.id),
            None,
            Some(serde_json::json!({ "pair": row.id, "kind": row.kind, "started_on": row.started_on })),
        )
        .await?;
        txn.commit().await?;
        Ok(self.pair_views(vec![row]).await?.remove(0))
    }

    /// Refuses unless the caller holds `need` on pair `id`'s conference (asked before a
    /// request's body is read).
    pub async fn check_pair_right(&self, actor: &Actor, id: i64, need: ConferenceRight) -> Result<()> {
        let p = pair::Entity::find_by_id(id)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.check_conference_right(actor, ConferenceId(p.conference_id), need)
            .await
    }

    /// Ends a pair on a day (an office of the conference). Version-checked, audited.
    pub async fn end_pair(&self, actor: &Actor, id: i64, version: i64, ended_on: NaiveDate) -> Result<PairView> {
        let txn = self.begin().await?;
        let p = pair::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.conference_for_write(&txn, actor, ConferenceId(p.conference_id))
            .await?;
        if ended_on < p.started_on {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfOrder {
                field: "ended_on",
            }]));
        }
        let find = pair::Entity::find_by_id(id);
        let res = pair::Entity::update_many()
            .col_expr(pair::Column::EndedOn, Expr::value(ended_on))
            .col_expr(pair::Column::Version, Expr::col(pair::Column::Version).add(1))
            .col_expr(pair::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(pair::Column::Id.eq(id))
            .filter(pair::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "end_pair",
            "conference",
            Some(p.conference_id),
            Some(serde_json::json!({ "pair": id, "ended_on": p.ended_on })),
            Some(serde_json::json!({ "pair": id, "ended_on": ended_on })),
        )
        .await?;
        txn.commit().await?;
        Ok(self.pair_views(vec![after]).await?.remove(0))
    }

    /// Logs what a pair did together (an office of the conference), on a day the pair
    /// was active. Audited.
    pub async fn log_pair_activity(&self, actor: &Actor, id: i64, f: &PairActivityFields) -> Result<PairActivityView> {
        let txn = self.begin().await?;
        let p = pair::Entity::find_by_id(id)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.conference_for_write(&txn, actor, ConferenceId(p.conference_id))
            .await?;
        if !pair_active_on(p.started_on, p.ended_on, f.held_on) {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfRange {
                field: "held_on",
            }]));
        }
        let row = activity::Entity::insert(activity::ActiveModel {
            pair_id: Set(p.id),
            held_on: Set(f.held_on),
            title: Set(f.title.clone()),
            notes: Set(f.notes.clone()),
            people: Set(f.people.map(|n| i32::try_from(n).unwrap_or(i32::MAX))),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor,
            "pair_activity",
            "conference",
            Some(p.conference_id),
            None,
            Some(serde_json::json!({ "pair": p.id, "held_on": f.held_on, "title": f.title })),
        )
        .await?;
        txn.commit().await?;
        Ok(activity_view(row))
    }

    /// A conference's pairs (of one kind if asked), active ones first, then by start.
    pub async fn list_pairs(&self, actor: &Actor, c: ConferenceId, kind: Option<PairKind>) -> Result<Vec<PairView>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let mut q = pair::Entity::find()
            .filter(pair::Column::ConferenceId.eq(conf.id))
            .filter(pair::Column::Archived.eq(false));
        if let Some(k) = kind {
            q = q.filter(pair::Column::Kind.eq(k.code()));
        }
        let rows = q
            .order_by_asc(pair::Column::StartedOn)
            .order_by_asc(pair::Column::Id)
            .all(&self.read)
            .await?;
        let mut v = self.pair_views(rows).await?;
        v.sort_by_key(|p| !p.active);
        Ok(v)
    }

    /// One pair the caller sees, with its activities, newest first.
    pub async fn get_pair(&self, actor: &Actor, id: i64) -> Result<(PairView, Vec<PairActivityView>)> {
        let p = pair::Entity::find_by_id(id)
            .filter(pair::Column::Archived.eq(false))
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.kept_conference(&self.read, actor, ConferenceId(p.conference_id), ConferenceRight::Read)
            .await?;
        let acts = activity::Entity::find()
            .filter(activity::Column::PairId.eq(p.id))
            .order_by_desc(activity::Column::HeldOn)
            .order_by_desc(activity::Column::Id)
            .all(&self.read)
            .await?;
        Ok((
            self.pair_views(vec![p]).await?.remove(0),
            acts.into_iter().map(activity_view).collect(),
        ))
    }

    /// The gap list of a conference's territory on `today`: communities and villages
    /// with no active partner firm, branches (党支部, 联合党支部) with no active pair, and
    /// active pairs with nothing logged this year.
    pub async fn pairing_gaps(&self, actor: &Actor, c: ConferenceId, today: NaiveDate) -> Result<PairingGaps> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let territory = DivisionCode::parse(&conf.division_code).map_err(|_| StoreError::NotFound)?;
        let (lo, hi) = territory.subtree_range();
        let pairs = pair::Entity::find()
            .filter(pair::Column::ConferenceId.eq(conf.id))
            .filter(pair::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let active: Vec<&pair::Model> = pairs
            .iter()
            .filter(|p| pair_active_on(p.started_on, p.ended_on, today))
            .collect();
        let partnered: HashSet<&str> = active.iter().filter_map(|p| p.community_code.as_deref()).collect();
        let paired: HashSet<i64> = active.iter().flat_map(|p| [p.org_a_id, p.org_b_id]).flatten().collect();
        let divisions = division::Entity::find()
            .filter(division::Column::Code.gte(lo.clone()))
            .filter(division::Column::Code.lt(hi.clone()))
            .all(&self.read)
            .await?;
        let names: HashMap<&str, &str> = divisions.iter().map(|d| (d.code.as_str(), d.name.as_str())).collect();
        let place = |code: &str| -> String {
            DivisionCode::parse(code)
                .ok()
                .and_then(|d| {
                    let street = if d.level() == DivisionLevel::Community {
                        d.parent()
                    } else {
                        Some(d)
                    };
                    street.and_then(|s| names.get(s.as_str()).map(|n| n.to_string()))
                })
                .unwrap_or_default()
        };
        let communities: Vec<PairingGapRow> = divisions
            .iter()
            .filter(|d| d.code.len() == 12 && !partnered.contains(d.code.as_str()))
            .map(|d| PairingGapRow {
                id: d.code.clone(),
                name: d.name.clone(),
                division_name: place(&d.code),
            })
            .collect();
        let branches: Vec<(i64, String, String)> = party_org::Entity::find()
            .select_only()
            .column(party_org::Column::Id)
            .column(party_org::Column::Name)
            .column(party_org::Column::DivisionCode)
            .filter(party_org::Column::Archived.eq(false))
            .filter(party_org::Column::Kind.is_in([OrgKind::Branch.code(), OrgKind::JointBranch.code()]))
            .filter(party_org::Column::DivisionCode.gte(lo))
            .filter(party_org::Column::DivisionCode.lt(hi))
            .filter(crate::registry::orgs::scope(actor))
            .order_by_asc(party_org::Column::NameKey)
            .into_tuple()
            .all(&self.read)
            .await?;
        let branches: Vec<PairingGapRow> = branches
            .into_iter()
            .filter(|(id, _, _)| !paired.contains(id))
            .map(|(id, name, code)| PairingGapRow {
                id: id.to_string(),
                name,
                division_name: place(&code),
            })
            .collect();
        let year = today.year();
        let held = self.activity_days(active.iter().map(|p| p.id)).await?;
        let idle: Vec<pair::Model> = active
            .iter()
            .filter(|p| {
                let days: Vec<NaiveDate> = held.iter().filter(|(i, _)| *i == p.id).map(|(_, d)| *d).collect();
                idle_in(year, today, p.started_on, p.ended_on, &days)
            })
            .map(|p| (*p).clone())
            .collect();
        Ok(PairingGaps {
            year,
            communities_without_firm: communities.len(),
            communities: communities.into_iter().take(GAP_ROWS_MAX).collect(),
            branches_without_pair: branches.len(),
            branches: branches.into_iter().take(GAP_ROWS_MAX).collect(),
            idle_pairs: self.pair_views_with(idle, &held).await?,
        })
    }

    /// Pairs as shown: the parties' names, today's state, this year's activities.
    async fn pair_views(&self, rows: Vec<pair::Model>) -> Result<Vec<PairView>> {
        let held = self.activity_days(rows.iter().map(|p| p.id)).await?;
        self.pair_views_with(rows, &held).await
    }

    /// The days each of the pairs `ids` did something: (pair, day).
    async fn activity_days(&self, ids: impl Iterator<Item = i64>) -> Result<Vec<(i64, NaiveDate)>> {
        Ok(activity::Entity::find()
            .select_only()
            .column(activity::Column::PairId)
            .column(activity::Column::HeldOn)
            .filter(activity::Column::PairId.is_in(ids))
            .into_tuple()
            .all(&self.read)
            .await?)
    }

    /// [`Store::pair_views`] with their activity days already read.
    async fn pair_views_with(&self, rows: Vec<pair::Model>, held: &[(i64, NaiveDate)]) -> Result<Vec<PairView>> {
        let orgs: Vec<i64> = rows.iter().flat_map(|p| [p.org_a_id, p.org_b_id]).flatten().collect();
        let org_names: HashMap<i64, String> = party_org::Entity::find()
            .filter(party_org::Column::Id.is_in(orgs))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let unit_names: HashMap<i64, String> = unit::Entity::find()
            .filter(unit::Column::Id.is_in(rows.iter().filter_map(|p| p.unit_id)))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        let community_names = self
            .division_names(rows.iter().filter_map(|p| p.community_code.clone()))
            .await?;
        let today = Utc::now().date_naive();
        Ok(rows
            .into_iter()
            .map(|p| {
                let kind = PairKind::parse_any(&p.kind).unwrap_or(PairKind::Branches);
                let name = |id: Option<i64>, names: &HashMap<i64, String>| {
                    id.and_then(|i| names.get(&i).cloned()).unwrap_or_default()
                };
                let (first, second) = match kind {
                    PairKind::Branches => (name(p.org_a_id, &org_names), name(p.org_b_id, &org_names)),
                    PairKind::FirmCommunity => (
                        name(p.unit_id, &unit_names),
                        p.community_code
                            .as_ref()
                            .and_then(|c| community_names.get(c).cloned())
                            .unwrap_or_default(),
                    ),
                };
                let days: Vec<NaiveDate> = held.iter().filter(|(i, _)| *i == p.id).map(|(_, d)| *d).collect();
                PairView {
                    id: p.id,
                    conference_id: ConferenceId(p.conference_id),
                    kind: kind.code().into(),
                    kind_label: kind.label_zh().into(),
                    first,
                    second,
                    org_a_id: p.org_a_id,
                    org_b_id: p.org_b_id,
                    unit_id: p.unit_id,
                    community_code: p.community_code,
                    started_on: p.started_on,
                    ended_on: p.ended_on,
                    active: pair_active_on(p.started_on, p.ended_on, today),
                    note: p.note,
                    activities_this_year: days.iter().filter(|d| d.year() == today.year()).count(),
                    last_activity: days.iter().max().copied(),
                    version: p.version,
                }
            })
            .collect())
    }
}

fn activity_view(a: activity::Model) -> PairActivityView {
    PairActivityView {
        id: a.id,
        held_on: a.held_on,
        title: a.title,
        notes: a.notes,
        people: a.people,
    }
}
