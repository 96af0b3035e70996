//! What an import may refer to, read once from the read pool before anything is written:
//! divisions, carriers, units, organisations and instructors in the importer's scope,
//! the members the file names (in scope or not), and the credit codes the file names
//! that other territories hold. A dry run reads this and plans; it never waits for or
//! holds the store's writer.

use super::plan::{InstructorKey, Ref, RowFail, fail};
use crate::entity::{carrier, instructor, member, org_unit, party_org, unit, unit_link};
use crate::{Actor, Result, Store};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{HashMap, HashSet};
use tongxin_domain::ErrorCode;
use tongxin_domain::codes::{CreditCode, DivisionCode, ResidentId};
use tongxin_domain::registry::{Labelled, UnitLinkKind};
use tongxin_domain::scope::Scope;
use tongxin_import::{Field, Kind, Table};

/// Names are compared with white space collapsed, as people type them.
pub(crate) fn name_key(s: &str) -> String {
    tongxin_domain::text::trim_spaces(s)
}

#[derive(Default)]
pub(crate) struct Lookups {
    /// Division name → codes (several when the name repeats across streets).
    divisions: HashMap<String, Vec<String>>,
    codes: HashSet<String>,
    district_names: Vec<(String, String)>,
    /// Carriers by name: (id, division).
    pub carriers: HashMap<String, Vec<(i64, String)>>,
    pub carrier_models: HashMap<(String, String), carrier::Model>,
    pub units_by_code: HashMap<String, i64>,
    pub units_by_name: HashMap<String, Vec<(i64, String)>>,
    pub unit_models: HashMap<i64, unit::Model>,
    units_by_key: HashMap<(String, String), i64>,
    /// Credit codes in the file held by units outside the territory.
    pub codes_elsewhere: HashSet<String>,
    pub orgs_by_name: HashMap<String, Vec<(i64, String)>>,
    pub org_models_by_key: HashMap<(String, String), party_org::Model>,
    pub org_units: HashMap<i64, Vec<i64>>,
    /// Members the file names, by resident ID: the row, and whether it is in scope.
    pub members: HashMap<String, (member::Model, bool)>,
    pub instructors: HashMap<InstructorKey, i64>,
    /// Existing (headquarters, unit) links.
    pub hq_links: HashSet<(i64, i64)>,
}

/// One of several records of a name: the only one, or the one in (or above) the row's
/// division. `Err` when that still leaves several.
pub(crate) fn pick(candidates: &[(Ref, String)], division: Option<&str>) -> std::result::Result<Option<Ref>, ()> {
    match candidates {
        [] => Ok(None),
        [one] => Ok(Some(one.0)),
        _ => {
            let near: Vec<&(Ref, String)> = match division {
                Some(d) => candidates
                    .iter()
                    .filter(|(_, cd)| d.starts_with(cd.as_str()) || cd.starts_with(d))
                    .collect(),
                None => vec![],
            };
            if near.len() == 1 { Ok(Some(near[0].0)) } else { Err(()) }
        }
    }
}

/// Keys per lookup statement (sent as one value, see [`crate::rows::in_texts`]).
const CHUNK: usize = 20_000;
/// Ids per bound `IN (…)` list.
const IDS: usize = 500;

impl Lookups {
    pub fn unit_by_division_name(&self, division: &str, name: &str) -> Option<&unit::Model> {
        self.units_by_key
            .get(&(division.to_string(), name.to_string()))
            .and_then(|id| self.unit_models.get(id))
    }

    /// A division by code, or by name with or without the district in front; it must lie
    /// in the actor's scope. A path (`南京西路街道/某某居委会`, from a street column and a
    /// community column) resolves its last part within the parts before it.
    pub fn resolve_division(&self, actor: &Actor, raw: &str) -> std::result::Result<DivisionCode, RowFail> {
        let f = Some(Field::Division);
        let text = tongxin_domain::text::clean(raw).replace(' ', "");
        if text.is_empty() {
            return Err(fail(f, ErrorCode::Required, ""));
        }
        let mut within: Option<String> = None;
        let mut code: Option<String> = None;
        for part in text.split('/').filter(|p| !p.is_empty()) {
            let found: Vec<&String> = self
                .division_candidates(part)
                .map_err(|code| fail(f, code, part.to_string()))?
                .into_iter()
                .filter(|c| within.as_deref().is_none_or(|w| c.starts_with(w)))
                .collect();
            match found.as_slice() {
                [one] => {
                    within = Some((*one).clone());
                    code = Some((*one).clone());
                }
                [] => return Err(fail(f, ErrorCode::DivisionUnknown, part.to_string())),
                _ => return Err(fail(f, ErrorCode::DivisionAmbiguous, part.to_string())),
            }
        }
        let code = code
            .and_then(|c| DivisionCode::parse(&c).ok())
            .ok_or_else(|| fail(f, ErrorCode::DivisionUnknown, text.clone()))?;
        if !actor.scope.may_place_in(&code) {
            return Err(fail(f, ErrorCode::OutsideTerritory, code.to_string()));
        }
        Ok(code)
    }

    /// The known divisions a code or a name (with or without its district, 街道/镇/居委会
    /// left off) may mean.
    fn division_candidates(&self, text: &str) -> std::result::Result<Vec<&String>, ErrorCode> {
        if text.chars().all(|c| c.is_ascii_digit()) {
            let code = DivisionCode::parse(text).map_err(|_| ErrorCode::DivisionCodeInvalid)?;
            return Ok(self.codes.get(code.as_str()).into_iter().collect());
        }
        let mut within: Option<&str> = None;
        let mut name = text;
        for (dn, dc) in &self.district_names {
            if let Some(rest) = name.strip_prefix(dn.as_str())
                && !rest.is_empty()
            {
                name = rest;
                within = Some(dc);
                break;
            }
        }
        for candidate in [
            name.to_string(),
            format!("{name}街道"),
            format!("{name}镇"),
            format!("{name}居委会"),
            format!("{name}社区居委会"),
        ] {
            if let Some(codes) = self.divisions.get(&candidate) {
                let found: Vec<&String> = codes
                    .iter()
                    .filter(|c| within.is_none_or(|w| c.starts_with(w)))
                    .collect();
                if !found.is_empty() {
                    return Ok(found);
                }
            }
        }
        Ok(vec![])
    }
}

impl Store {
    /// Reads what an import of `tables` may refer to (the read pool only).
    pub(crate) async fn import_lookups(&self, actor: &Actor, tables: &[Table]) -> Result<Lookups> {
        let root = match &actor.scope {
            Scope::All => None,
            Scope::Within { division, .. } => division.clone(),
        };
        let mut lk = Lookups::default();
        let backend = self.read.get_database_backend();
        // Names of the scope's divisions, plus its ancestors' district names for prefixes.
        for (code, name) in self.division_names_within(root.as_ref()).await? {
            if code.len() == 6 {
                lk.district_names.push((name.clone(), code.clone()));
            }
            lk.codes.insert(code.clone());
            lk.divisions.entry(name).or_default().push(code);
        }
        if let Some(r) = &root {
            for d in self.division_path(r).await? {
                if d.code.len() == 6 && !lk.district_names.iter().any(|(_, c)| *c == d.code) {
                    lk.district_names.push((d.name.clone(), d.code.clone()));
                }
            }
        }
        let has = |k: Kind| tables.iter().any(|t| t.kind == k);

        for c in carrier::Entity::find()
            .filter(crate::registry::carriers_scope(actor))
            .filter(carrier::Column::Archived.eq(false))
            .all(&self.read)
            .await?
        {
            lk.carriers
                .entry(c.name.clone())
                .or_default()
                .push((c.id, c.division_code.clone()));
            lk.carrier_models.insert((c.division_code.clone(), c.name.clone()), c);
        }

        for u in unit::Entity::find()
            .filter(crate::registry::units_scope(actor))
            .all(&self.read)
            .await?
        {
            if let Some(c) = &u.credit_code {
                lk.units_by_code.insert(c.clone(), u.id);
            }
            lk.units_by_name
                .entry(u.name.clone())
                .or_default()
                .push((u.id, u.division_code.clone()));
            lk.units_by_key.insert((u.division_code.clone(), u.name.clone()), u.id);
            lk.unit_models.insert(u.id, u);
        }
        // Credit codes of the file held outside the territory (a unit is registered once).
        let codes: Vec<String> = tables
            .iter()
            .filter(|t| t.kind == Kind::Units)
            .flat_map(|t| &t.rows)
            .filter_map(|r| CreditCode::parse(r.get(Field::CreditCode)).ok())
            .map(|c| c.to_string())
            .filter(|c| !lk.units_by_code.contains_key(c))
            .collect();
        for chunk in codes.chunks(CHUNK) {
            for u in unit::Entity::find()
                .filter(crate::rows::in_texts(backend, "credit_code", chunk))
                .all(&self.read)
                .await?
            {
                lk.codes_elsewhere.extend(u.credit_code);
            }
        }

        for o in party_org::Entity::find()
            .filter(crate::registry::orgs_scope(actor))
            .all(&self.read)
            .await?
        {
            lk.orgs_by_name
                .entry(o.name.clone())
                .or_default()
                .push((o.id, o.division_code.clone()));
            lk.org_models_by_key
                .insert((o.division_code.clone(), o.name.clone()), o);
        }
        if has(Kind::Orgs) {
            // The units of the organisations in scope (only theirs are compared).
            let in_scope = Query::select()
                .column(party_org::Column::Id)
                .from(party_org::Entity)
                .cond_where(crate::registry::orgs_scope(actor))
                .to_owned();
            for l in org_unit::Entity::find()
                .filter(org_unit::Column::OrgId.in_subquery(in_scope))
                .all(&self.read)
                .await?
            {
                lk.org_units.entry(l.org_id).or_default().push(l.unit_id);
            }
        }

        if has(Kind::Members) {
            let ids: Vec<String> = tables
                .iter()
                .filter(|t| t.kind == Kind::Members)
                .flat_map(|t| &t.rows)
                .filter_map(|r| ResidentId::parse(r.get(Field::ResidentId)).ok())
                .map(|r| r.reveal().to_string())
                .collect();
            for chunk in ids.chunks(CHUNK) {
                let found = member::Entity::find()
                    .filter(crate::rows::in_texts(backend, "resident_id", chunk))
                    .all(&self.read)
                    .await?;
                let mut ours: HashSet<i64> = HashSet::new();
                for part in found.chunks(IDS) {
                    ours.extend(
                        member::Entity::find()
                            .select_only()
                            .column(member::Column::Id)
                            .filter(member::Column::Id.is_in(part.iter().map(|m| m.id).collect::<Vec<_>>()))
                            .filter(crate::registry::members_scope(actor))
                            .into_tuple::<i64>()
                            .all(&self.read)
                            .await?,
                    );
                }
                for m in found {
                    let mine = ours.contains(&m.id);
                    lk.members.insert(m.resident_id.clone(), (m, mine));
                }
            }
        }

        // Instructors by the rule of `refs::instructor`: those of the scope's division; an
        // account scoped to an organisation alone names none.
        let instructors_in_scope = match (&actor.scope, &root) {
            (Scope::All, _) => Some(instructor::Entity::find()),
            (Scope::Within { .. }, Some(d)) => {
                let (lo, hi) = d.subtree_range();
                Some(
                    instructor::Entity::find()
                        .filter(instructor::Column::DivisionCode.gte(lo))
                        .filter(instructor::Column::DivisionCode.lt(hi)),
                )
            }
            (Scope::Within { .. }, None) => None,
        };
        if has(Kind::Units) {
            let found = match instructors_in_scope {
                Some(q) => q.all(&self.read).await?,
                None => vec![],
            };
            for i in found {
                if let Ok(street) = DivisionCode::parse(&i.division_code) {
                    lk.instructors.insert(
                        InstructorKey {
                            name: name_key(&i.name),
                            street,
                        },
                        i.id,
                    );
                }
            }
            // Headquarters links from units in scope (a row names its headquarters among them).
            let in_scope = Query::select()
                .column(unit::Column::Id)
                .from(unit::Entity)
                .cond_where(crate::registry::units_scope(actor))
                .to_owned();
            for l in unit_link::Entity::find()
                .filter(unit_link::Column::Kind.eq(UnitLinkKind::HeadquartersOf.code()))
                .filter(unit_link::Column::UnitId.in_subquery(in_scope))
                .all(&self.read)
                .await?
            {
                lk.hq_links.insert((l.unit_id, l.other_unit_id));
            }
        }
        Ok(lk)
    }
}
