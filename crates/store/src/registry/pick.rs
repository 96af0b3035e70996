//! Pickers: the records a reference field may name, found by what people type (a name,
//! part of one, or a name with its street), within the caller's territory. The console
//! never asks anyone for an internal id; this module is where a typed name becomes one.

use super::common::{contains, in_division};
use crate::entity::{carrier, division, instructor, party_org, unit};
use crate::{Actor, Result, Store};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::scope::Scope;

/// What a reference field points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickTarget {
    Division,
    Carrier,
    Unit,
    Org,
    Instructor,
}

impl PickTarget {
    /// The path segment of its picker (`/pick/units`).
    pub fn path(self) -> &'static str {
        match self {
            PickTarget::Division => "divisions",
            PickTarget::Carrier => "carriers",
            PickTarget::Unit => "units",
            PickTarget::Org => "orgs",
            PickTarget::Instructor => "instructors",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            PickTarget::Division,
            PickTarget::Carrier,
            PickTarget::Unit,
            PickTarget::Org,
            PickTarget::Instructor,
        ]
        .into_iter()
        .find(|t| t.path() == s)
    }
}

/// One record a picker offers: its id (a division's code), name and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Choice {
    pub id: String,
    pub name: String,
    /// The street (街道/镇) the record lies in; for a division, the division above it.
    pub place: String,
}

/// Between a name and its place in a label (`陆家嘴金融城大厦 · 陆家嘴街道`).
pub const PLACE_SEPARATOR: &str = " · ";

impl Choice {
    /// What the field shows and what, typed back, names this record again.
    pub fn label(&self) -> String {
        if self.place.is_empty() {
            self.name.clone()
        } else {
            format!("{}{PLACE_SEPARATOR}{}", self.name, self.place)
        }
    }
}

/// What a typed reference names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// Nothing was typed: the reference is cleared.
    Empty,
    One(Choice),
    /// No record of that name in the territory; records whose names contain it.
    NotFound(Vec<Choice>),
    /// Several records have that name: the caller must say which (name · street).
    Many(Vec<Choice>),
}

/// Most suggestions a picker shows at once.
pub const PICK_LIMIT: u64 = 12;

/// (id, name, division code) of a record a picker may offer.
type Row = (String, String, String);

impl Store {
    /// Records of `target` in the caller's territory whose name (or a division's code)
    /// contains `q`, shortest names first.
    pub async fn pick(&self, actor: &Actor, target: PickTarget, q: &str, limit: u64) -> Result<Vec<Choice>> {
        let q = tongxin_domain::text::clean(q);
        let rows = self
            .pick_rows(actor, target, Match::Contains(&q), Ord::min(limit, 100))
            .await?;
        self.choices(target, rows).await
    }

    /// The record `id` of `target`, if it lies in the caller's territory.
    pub async fn choice(&self, actor: &Actor, target: PickTarget, id: &str) -> Result<Option<Choice>> {
        let rows = self.pick_rows(actor, target, Match::Id(id), 1).await?;
        Ok(self.choices(target, rows).await?.into_iter().next())
    }

    /// What `text` names: `chosen` (the id a picker filled in) when the text is still
    /// its label, else the record whose name (or `name · street`, or a division's code)
    /// is exactly the text.
    pub async fn resolve_pick(
        &self,
        actor: &Actor,
        target: PickTarget,
        text: &str,
        chosen: Option<&str>,
    ) -> Result<Resolved> {
        let text = tongxin_domain::text::clean(text);
        if text.is_empty() {
            return Ok(Resolved::Empty);
        }
        if let Some(id) = chosen.map(str::trim).filter(|i| !i.is_empty())
            && let Some(c) = self.choice(actor, target, id).await?
            && (tongxin_domain::text::clean(&c.label()) == text || c.name == text)
        {
            return Ok(Resolved::One(c));
        }
        if target == PickTarget::Division
            && let Ok(code) = DivisionCode::parse(&text)
            && let Some(c) = self.choice(actor, target, code.as_str()).await?
        {
            return Ok(Resolved::One(c));
        }
        // The whole text as a name first (a name may hold the separator), then as
        // `name · street`.
        let rows = self.pick_rows(actor, target, Match::Exact(&text), 50).await?;
        let mut found = self.choices(target, rows).await?;
        let mut name = text.clone();
        if found.is_empty()
            && let Some((n, place)) = text.rsplit_once(PLACE_SEPARATOR.trim())
        {
            name = n.trim().to_string();
            let rows = self.pick_rows(actor, target, Match::Exact(&name), 50).await?;
            found = self.choices(target, rows).await?;
            found.retain(|c| c.place == place.trim());
        }
        Ok(match found.len() {
            1 => Resolved::One(found.remove(0)),
            0 => Resolved::NotFound(self.pick(actor, target, &name, 5).await?),
            _ => Resolved::Many(found),
        })
    }

    async fn pick_rows(&self, actor: &Actor, target: PickTarget, m: Match<'_>, limit: u64) -> Result<Vec<Row>> {
        fn shortest<E: EntityTrait>(sel: Select<E>, name: E::Column) -> Select<E> {
            sel.order_by_asc(Expr::expr(Func::char_length(Expr::col(name))))
                .order_by_asc(name)
        }
        let db = &self.read;
        Ok(match target {
            PickTarget::Unit => {
                let sel = unit::Entity::find()
                    .filter(super::units::scope(actor))
                    .filter(unit::Column::Archived.eq(false))
                    .filter(m.condition(unit::Column::Id, unit::Column::Name, None));
                shortest(sel, unit::Column::Name)
                    .select_only()
                    .column_as(Expr::col(unit::Column::Id).cast_as("text"), "id")
                    .columns([unit::Column::Name, unit::Column::DivisionCode])
                    .limit(limit)
                    .into_tuple()
                    .all(db)
                    .await?
            }
            PickTarget::Org => {
                let sel = party_org::Entity::find()
                    .filter(super::orgs::scope(actor))
                    .filter(party_org::Column::Archived.eq(false))
                    .filter(m.condition(party_org::Column::Id, party_org::Column::Name, None));
                shortest(sel, party_org::Column::Name)
                    .select_only()
                    .column_as(Expr::col(party_org::Column::Id).cast_as("text"), "id")
                    .columns([party_org::Column::Name, party_org::Column::DivisionCode])
                    .limit(limit)
                    .into_tuple()
                    .all(db)
                    .await?
            }
            PickTarget::Carrier => {
                let sel = carrier::Entity::find()
                    .filter(super::carriers::scope(actor))
                    .filter(carrier::Column::Archived.eq(false))
                    .filter(m.condition(carrier::Column::Id, carrier::Column::Name, None));
                shortest(sel, carrier::Column::Name)
                    .select_only()
                    .column_as(Expr::col(carrier::Column::Id).cast_as("text"), "id")
                    .columns([carrier::Column::Name, carrier::Column::DivisionCode])
                    .limit(limit)
                    .into_tuple()
                    .all(db)
                    .await?
            }
            PickTarget::Instructor => {
                // Instructors are kept per street, visible to accounts whose division
                // contains it (the rule `refs::instructor` applies on save).
                let mut sel = instructor::Entity::find().filter(m.condition(
                    instructor::Column::Id,
                    instructor::Column::Name,
                    None,
                ));
                if let Scope::Within { division, .. } = &actor.scope {
                    match division {
                        Some(d) => sel = sel.filter(in_division(instructor::Column::DivisionCode, d)),
                        None => return Ok(vec![]),
                    }
                }
                shortest(sel, instructor::Column::Name)
                    .select_only()
                    .column_as(Expr::col(instructor::Column::Id).cast_as("text"), "id")
                    .columns([instructor::Column::Name, instructor::Column::DivisionCode])
                    .limit(limit)
                    .into_tuple()
                    .all(db)
                    .await?
            }
            PickTarget::Division => {
                let mut sel = division::Entity::find().filter(m.condition(
                    division::Column::Code,
                    division::Column::Name,
                    Some(division::Column::Code),
                ));
                // Divisions are public names: one named by its code is found anywhere (the
                // store refuses a placement outside the territory, beside the field); a
                // search stays within the account's division territory.
                if let (Scope::Within { division: Some(d), .. }, false) = (&actor.scope, matches!(m, Match::Id(_))) {
                    sel = sel.filter(in_division(division::Column::Code, d));
                }
                // Streets before communities, then the shortest names.
                sel.order_by_asc(Expr::expr(Func::char_length(Expr::col(division::Column::Code))))
                    .order_by_asc(Expr::expr(Func::char_length(Expr::col(division::Column::Name))))
                    .order_by_asc(division::Column::Name)
                    .select_only()
                    .columns([division::Column::Code, division::Column::Name])
                    .column_as(Expr::col(division::Column::Code), "place")
                    .limit(limit)
                    .into_tuple()
                    .all(db)
                    .await?
            }
        })
    }

    /// Rows with the names of their places: a record's street, a division's parent.
    async fn choices(&self, target: PickTarget, rows: Vec<Row>) -> Result<Vec<Choice>> {
        let place_code = |code: &str| -> Option<String> {
            let code = DivisionCode::parse(code).ok()?;
            let place = match target {
                PickTarget::Division => code.parent()?,
                _ => code.street().unwrap_or(code),
            };
            Some(place.to_string())
        };
        let names: HashMap<String, String> = self
            .division_names(rows.iter().filter_map(|r| place_code(&r.2)))
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name, code)| Choice {
                place: place_code(&code)
                    .and_then(|p| names.get(&p).cloned())
                    .unwrap_or_default(),
                id,
                name,
            })
            .collect())
    }
}

/// How a picker query matches.
enum Match<'a> {
    Contains(&'a str),
    Exact(&'a str),
    Id(&'a str),
}

impl Match<'_> {
    /// The condition on a table's id and name (and a division's code, which a search
    /// may also match).
    fn condition<C: ColumnTrait>(&self, id: C, name: C, code: Option<C>) -> Condition {
        match self {
            Match::Contains("") => Condition::all(),
            Match::Contains(q) => {
                let c = Condition::any().add(contains(name, q));
                match code {
                    Some(code) => c.add(contains(code, q)),
                    None => c,
                }
            }
            Match::Exact(q) => Condition::all().add(name.eq(*q)),
            // A division's id is its code; other ids are numbers (a word is no id).
            Match::Id(i) if code.is_some() => Condition::all().add(id.eq(*i)),
            Match::Id(i) => match i.parse::<i64>() {
                Ok(n) => Condition::all().add(id.eq(n)),
                Err(_) => Condition::all().add(Expr::val(false)),
            },
        }
    }
}
