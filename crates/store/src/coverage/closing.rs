//! Closing gaps where they are shown: the joint branches an uncovered unit could join,
//! joining one, and recording a committee's new term (换届). Each goes through the
//! registry's own write (scope, version, audit, coverage in the same transaction).

use crate::entity::{org_unit, party_org, unit};
use crate::registry::{OrgPatch, OrgView};
use crate::{Actor, Result, Store, StoreError};
use chrono::NaiveDate;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, DivisionLevel};
use tongxin_domain::registry::{Labelled, OrgId, OrgKind, UnitId};

/// How close a joint branch is to a unit: nearest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Nearness {
    /// It already takes in a unit of the same carrier (building, park), or belongs to it.
    SameCarrier,
    /// It is placed in the unit's street.
    SameStreet,
    /// Elsewhere in the unit's district.
    SameDistrict,
}

impl Nearness {
    pub fn code(self) -> &'static str {
        match self {
            Nearness::SameCarrier => "same_carrier",
            Nearness::SameStreet => "same_street",
            Nearness::SameDistrict => "same_district",
        }
    }
}

/// A joint branch (联合党支部) a unit could join.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JointBranchOffer {
    pub org_id: OrgId,
    pub name: String,
    pub division_name: String,
    /// Units it covers now.
    pub units: u64,
    /// Units it may still take under the joint-branch rule.
    pub room: u64,
    pub nearness: Nearness,
}

/// Joint branches a suggestion looks through in a district at most.
const CANDIDATES: u64 = 2000;

impl Store {
    /// Joint branches in the caller's territory that could take `unit_id` under the
    /// unit limit (Branch Work Regulations Art. 4: generally five units), nearest first:
    /// same carrier, same street, same district; then the emptier; then by name.
    pub async fn joint_branch_offers(
        &self,
        actor: &Actor,
        unit_id: UnitId,
        limit: usize,
    ) -> Result<Vec<JointBranchOffer>> {
        actor.require(Action::WriteRegistry)?;
        let u = self.get_unit(actor, unit_id).await?;
        let rules = super::rules(&self.read).await?;
        let code = DivisionCode::parse(&u.division_code).map_err(|_| StoreError::NotFound)?;
        let street = code.street();
        let mut district = code.clone();
        while district.level() > DivisionLevel::District {
            match district.parent() {
                Some(p) => district = p,
                None => break,
            }
        }
        let (lo, hi) = district.subtree_range();
        let orgs: Vec<(i64, String, String, Option<i64>)> = party_org::Entity::find()
            .filter(crate::registry::orgs_scope(actor))
            .filter(party_org::Column::Kind.eq(OrgKind::JointBranch.code()))
            .filter(party_org::Column::Archived.eq(false))
            .filter(party_org::Column::DivisionCode.gte(lo))
            .filter(party_org::Column::DivisionCode.lt(hi))
            .order_by_asc(party_org::Column::Id)
            .select_only()
            .columns([
                party_org::Column::Id,
                party_org::Column::Name,
                party_org::Column::DivisionCode,
                party_org::Column::CarrierId,
            ])
            .limit(CANDIDATES)
            .into_tuple()
            .all(&self.read)
            .await?;
        // The units each covers, with their carriers.
        let mut covered: Vec<(i64, i64)> = Vec::new();
        for chunk in orgs.chunks(500) {
            let ids: Vec<i64> = chunk.iter().map(|o| o.0).collect();
            covered.extend(
                org_unit::Entity::find()
                    .filter(org_unit::Column::OrgId.is_in(ids))
                    .select_only()
                    .columns([org_unit::Column::OrgId, org_unit::Column::UnitId])
                    .into_tuple::<(i64, i64)>()
                    .all(&self.read)
                    .await?,
            );
        }
        let mut carriers: HashMap<i64, Option<i64>> = HashMap::new();
        let unit_ids: Vec<i64> = covered.iter().map(|c| c.1).collect();
        for chunk in unit_ids.chunks(500) {
            carriers.extend(
                unit::Entity::find()
                    .filter(unit::Column::Id.is_in(chunk.to_vec()))
                    .select_only()
                    .columns([unit::Column::Id, unit::Column::CarrierId])
                    .into_tuple::<(i64, Option<i64>)>()
                    .all(&self.read)
                    .await?,
            );
        }
        // Per branch: the carriers of its units; a branch the unit is in already is no
        // offer.
        let mut units: HashMap<i64, Vec<Option<i64>>> = HashMap::new();
        let mut holding: std::collections::HashSet<i64> = std::collections::HashSet::new();
        for (org, unit) in covered {
            if unit == unit_id.0 {
                holding.insert(org);
            }
            units
                .entry(org)
                .or_default()
                .push(carriers.get(&unit).copied().flatten());
        }
        let names = self.division_names(orgs.iter().map(|o| o.2.clone())).await?;
        let carrier = u.carrier_id.map(|c| c.0);
        let mut offers: Vec<JointBranchOffer> = orgs
            .into_iter()
            .filter_map(|(id, name, division, org_carrier)| {
                if holding.contains(&id) {
                    return None;
                }
                let theirs = units.get(&id).cloned().unwrap_or_default();
                let count = theirs.len() as u64;
                if !rules.joint_branch_has_room(count) {
                    return None;
                }
                let same_carrier = carrier.is_some() && (org_carrier == carrier || theirs.contains(&carrier));
                let same_street = street
                    .as_ref()
                    .is_some_and(|s| DivisionCode::parse(&division).is_ok_and(|d| s.contains(&d)));
                Some(JointBranchOffer {
                    org_id: OrgId(id),
                    name,
                    division_name: names.get(&division).cloned().unwrap_or_default(),
                    units: count,
                    room: u64::from(rules.joint_branch_max_units) - count,
                    nearness: if same_carrier {
                        Nearness::SameCarrier
                    } else if same_street {
                        Nearness::SameStreet
                    } else {
                        Nearness::SameDistrict
                    },
                })
            })
            .collect();
        offers.sort_by(|a, b| (a.nearness, a.units, &a.name).cmp(&(b.nearness, b.units, &b.name)));
        offers.truncate(limit);
        Ok(offers)
    }

    /// Adds `unit_id` to the joint branch `org_id`, when the branch has room under the
    /// unit limit; answers the branch as it now is.
    pub async fn join_joint_branch(&self, actor: &Actor, unit_id: UnitId, org_id: OrgId) -> Result<OrgView> {
        actor.require(Action::WriteRegistry)?;
        self.get_unit(actor, unit_id).await?;
        let org = self.get_org(actor, org_id).await?;
        if OrgKind::parse_any(&org.kind) != Some(OrgKind::JointBranch) {
            return Err(StoreError::Reference { field: "org_id" });
        }
        if org.unit_ids.contains(&unit_id) {
            return Ok(org);
        }
        let rules = super::rules(&self.read).await?;
        if !rules.joint_branch_has_room(org.unit_ids.len() as u64) {
            return Err(StoreError::JointBranchFull {
                max: rules.joint_branch_max_units,
            });
        }
        let mut ids = org.unit_ids.clone();
        ids.push(unit_id);
        let patch = OrgPatch {
            unit_ids: Some(ids),
            ..Default::default()
        };
        self.update_org(actor, org_id, org.version, &patch).await
    }

    /// Records a committee's new term (换届): elected on `elected_on`, ending on
    /// `term_ends_on` (by default the rule's term, [`Self::term_end_of`]).
    pub async fn renew_term(
        &self,
        actor: &Actor,
        org_id: OrgId,
        version: i64,
        elected_on: NaiveDate,
        term_ends_on: NaiveDate,
    ) -> Result<OrgView> {
        actor.require(Action::WriteRegistry)?;
        if term_ends_on <= elected_on {
            return Err(StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfRange {
                field: "term_ends_on",
            }]));
        }
        let patch = OrgPatch {
            term_ends_on: Some(Some(term_ends_on)),
            ..Default::default()
        };
        self.update_org(actor, org_id, version, &patch).await
    }

    /// When a term of the organisation `org` begun on `elected_on` ends by the rules: a
    /// community or village organisation (placed in a 居委会/村委会) serves the longer term.
    pub async fn term_end_of(&self, actor: &Actor, org: OrgId, elected_on: NaiveDate) -> Result<NaiveDate> {
        let o = self.get_org(actor, org).await?;
        let rules = super::rules(&self.read).await?;
        let in_community = DivisionCode::parse(&o.division_code).is_ok_and(|d| d.level() == DivisionLevel::Community);
        Ok(rules.term_end(elected_on, in_community))
    }
}
