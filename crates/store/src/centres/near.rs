//! "Find my organisation, or a centre, near me" (就近找组织、找阵地): from a point (a
//! phone's location) or an address as typed, the nearest service centres and the
//! organisations that take members like the caller, each with its distance — "wherever
//! members work and live, the organisation covers" (brief §1).
//!
//! An address is placed by the registry itself, with no map service: the first centre
//! or carrier (building, park…) whose name or address holds the text, else the centre
//! of the first division whose name holds it. Traditional characters and full-width
//! digits are read as the registry writes them.
//!
//! Organisations that take members directly are branches, joint branches and general
//! branches (a committee leads branches; Party Constitution Art. 30). "Where I work":
//! those set up in a carrier (a building, a park), by the carrier's distance. "Where I
//! live": those of the streets of the nearest centres without a carrier, by the
//! distance of their street's centre. Names, kinds and places only: no secretary, no
//! members (the directory is what a door plate shows).

use super::CentreView;
use crate::entity::{carrier, centre, division, party_org};
use crate::{Actor, Result, Store, StoreError};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::DomainError;
use tongxin_domain::centres::Location;
use tongxin_domain::registry::{Labelled, OrgKind};

/// How far a search reaches.
pub const NEAR_KM: f64 = 10.0;
/// Centres and organisations a search returns at most.
pub const NEAR_CENTRES: usize = 5;
pub const NEAR_ORGS: usize = 10;
/// Digits of a street's (乡镇街道) division code.
const STREET_CODE_LEN: usize = 9;
/// Carriers measured at most (the nearest by the box, then by distance).
const CARRIERS_MEASURED: u64 = 2000;

/// Where the caller wants an organisation: where they work, where they live, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NearFor {
    Work,
    Live,
    Either,
}

impl NearFor {
    pub fn parse(s: &str) -> NearFor {
        match s.trim() {
            "work" | "工作地" => NearFor::Work,
            "live" | "居住地" => NearFor::Live,
            _ => NearFor::Either,
        }
    }
}

/// A centre near the caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearCentre {
    pub centre: CentreView,
    pub distance_km: f64,
}

/// An organisation near the caller.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearOrg {
    pub org_id: i64,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    /// The building or park it is set up in, if any.
    pub carrier_name: Option<String>,
    /// The centre to ask about joining (its street's).
    pub centre_id: Option<i64>,
    pub centre_name: Option<String>,
    pub distance_km: f64,
}

/// The answer: where the search stood, and what is near.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NearView {
    pub lng: f64,
    pub lat: f64,
    /// What the typed address was placed at (a centre's, a carrier's or a division's
    /// name); none for a point.
    pub placed_at: Option<String>,
    pub centres: Vec<NearCentre>,
    pub orgs: Vec<NearOrg>,
}

/// Rounded to 10 m: a distance shown, not a position.
fn km(d: f64) -> f64 {
    (d * 100.0).round() / 100.0
}

/// Where a search starts: a point (a phone's location) or an address as typed.
#[derive(Debug, Clone)]
pub enum Here {
    Point(Location),
    Address(String),
}

impl Store {
    /// What is near `here` (see [`Store::near`]), an address placed first.
    pub async fn find_near(&self, actor: &Actor, here: &Here, wanted: NearFor) -> Result<NearView> {
        match here {
            Here::Point(l) => self.near(actor, *l, wanted).await,
            Here::Address(text) => {
                let (l, placed) = self.place_address(text).await?;
                let mut v = self.near(actor, l, wanted).await?;
                v.placed_at = Some(placed);
                Ok(v)
            }
        }
    }

    /// Places an address typed by a person (see the module's note). Returns the point
    /// and what it was placed at.
    pub async fn place_address(&self, text: &str) -> Result<(Location, String)> {
        // As typed: full-width, Traditional (南京西路1號) read as the registry writes.
        let t = tongxin_import::to_simplified(&tongxin_domain::text::clean(text));
        let not_found = || StoreError::Invalid(vec![DomainError::UnknownValue { field: "address" }]);
        if t.chars().count() < 2 || t.chars().count() > 100 {
            return Err(not_found());
        }
        let at = |lng: Option<f64>, lat: Option<f64>| lng.zip(lat).and_then(|(x, y)| Location::parse(x, y).ok());
        let has = |c: centre::Column| c.contains(&t);
        if let Some(c) = centre::Entity::find()
            .filter(centre::Column::Archived.eq(false))
            .filter(centre::Column::Lng.is_not_null())
            .filter(
                Condition::any()
                    .add(has(centre::Column::Name))
                    .add(has(centre::Column::Address)),
            )
            .order_by_asc(centre::Column::Id)
            .one(&self.read)
            .await?
            && let Some(l) = at(c.lng, c.lat)
        {
            return Ok((l, c.name));
        }
        if let Some(c) = carrier::Entity::find()
            .filter(carrier::Column::Archived.eq(false))
            .filter(carrier::Column::Lng.is_not_null())
            .filter(
                Condition::any()
                    .add(carrier::Column::Name.contains(&t))
                    .add(carrier::Column::Address.contains(&t)),
            )
            .order_by_asc(carrier::Column::Id)
            .one(&self.read)
            .await?
            && let Some(l) = at(c.lng, c.lat)
        {
            return Ok((l, c.name));
        }
        // A division by name: its own centre (the street's, the district's).
        let divisions: Vec<(String, String)> = division::Entity::find()
            .select_only()
            .column(division::Column::Code)
            .column(division::Column::Name)
            .filter(division::Column::Name.contains(&t))
            .order_by_asc(division::Column::Code)
            .limit(20)
            .into_tuple()
            .all(&self.read)
            .await?;
        for (code, name) in divisions {
            if let Some(c) = centre::Entity::find()
                .filter(centre::Column::Archived.eq(false))
                .filter(centre::Column::DivisionCode.eq(&code))
                .filter(centre::Column::Lng.is_not_null())
                .order_by_asc(centre::Column::Id)
                .one(&self.read)
                .await?
                && let Some(l) = at(c.lng, c.lat)
            {
                return Ok((l, name));
            }
        }
        Err(not_found())
    }

    /// The centres and organisations near `here` (any signed-in account: a centre is a
    /// public place and the directory shows names only).
    pub async fn near(&self, _actor: &Actor, here: Location, wanted: NearFor) -> Result<NearView> {
        let (w, e, s, n) = here.around(NEAR_KM);
        let rows = centre::Entity::find()
            .filter(centre::Column::Archived.eq(false))
            .filter(centre::Column::Lng.between(w, e))
            .filter(centre::Column::Lat.between(s, n))
            .all(&self.read)
            .await?;
        let mut measured: Vec<(f64, centre::Model)> = rows
            .into_iter()
            .filter_map(|c| {
                let l = Location::parse(c.lng?, c.lat?).ok()?;
                Some((here.distance_km(&l), c))
            })
            .filter(|(d, _)| *d <= NEAR_KM)
            .collect();
        measured.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.id.cmp(&b.1.id)));
        // Each street's nearest centre, for the organisations of that street.
        let mut street_centre: HashMap<String, (f64, i64, String)> = HashMap::new();
        for (d, c) in &measured {
            street_centre
                .entry(c.division_code.clone())
                .or_insert((*d, c.id, c.name.clone()));
        }
        let nearest: Vec<(f64, centre::Model)> = measured.into_iter().take(NEAR_CENTRES).collect();
        let distances: HashMap<i64, f64> = nearest.iter().map(|(d, c)| (c.id, *d)).collect();
        let views = self.centre_views(nearest.into_iter().map(|(_, c)| c).collect()).await?;
        let centres = views
            .into_iter()
            .map(|c| NearCentre {
                distance_km: km(distances.get(&c.id.0).copied().unwrap_or_default()),
                centre: c,
            })
            .collect();

        let taking = [OrgKind::Branch, OrgKind::JointBranch, OrgKind::GeneralBranch].map(|k| k.code());
        let mut orgs: Vec<NearOrg> = vec![];
        if wanted != NearFor::Live {
            let carriers: Vec<carrier::Model> = carrier::Entity::find()
                .filter(carrier::Column::Archived.eq(false))
                .filter(carrier::Column::Lng.between(w, e))
                .filter(carrier::Column::Lat.between(s, n))
                .limit(CARRIERS_MEASURED)
                .all(&self.read)
                .await?;
            let mut by_carrier: HashMap<i64, (f64, String, String)> = HashMap::new();
            for c in carriers {
                if let Some(l) = c.lng.zip(c.lat).and_then(|(x, y)| Location::parse(x, y).ok()) {
                    let d = here.distance_km(&l);
                    if d <= NEAR_KM {
                        by_carrier.insert(c.id, (d, c.name, c.division_code));
                    }
                }
            }
            let ids: Vec<i64> = by_carrier.keys().copied().collect();
            for chunk in ids.chunks(500) {
                for o in party_org::Entity::find()
                    .filter(party_org::Column::Archived.eq(false))
                    .filter(party_org::Column::Kind.is_in(taking))
                    .filter(party_org::Column::CarrierId.is_in(chunk.to_vec()))
                    .all(&self.read)
                    .await?
                {
                    let Some((d, carrier_name, division)) = o.carrier_id.and_then(|c| by_carrier.get(&c)) else {
                        continue;
                    };
                    let centre = street_centre
                        .iter()
                        .filter(|(d, _)| d.len() >= STREET_CODE_LEN && division.starts_with(d.as_str()))
                        .map(|(_, c)| c)
                        .min_by(|a, b| a.0.total_cmp(&b.0));
                    orgs.push(near_org(&o, Some(carrier_name.clone()), centre, *d));
                }
            }
        }
        if wanted != NearFor::Work {
            // Streets (and the communities below them), not districts: a district's
            // centre would bring every branch of the district.
            let streets: Vec<&String> = street_centre.keys().filter(|d| d.len() >= STREET_CODE_LEN).collect();
            let mut within = Condition::any();
            for s in &streets {
                within = within.add(party_org::Column::DivisionCode.starts_with(s.as_str()));
            }
            let rows = if streets.is_empty() {
                vec![]
            } else {
                party_org::Entity::find()
                    .filter(party_org::Column::Archived.eq(false))
                    .filter(party_org::Column::Kind.is_in(taking))
                    .filter(party_org::Column::CarrierId.is_null())
                    .filter(within)
                    .order_by_asc(party_org::Column::Id)
                    .limit(NEAR_ORGS as u64 * 10)
                    .all(&self.read)
                    .await?
            };
            for o in rows {
                let c = streets
                    .iter()
                    .filter(|s| o.division_code.starts_with(s.as_str()))
                    .filter_map(|s| street_centre.get(*s))
                    .min_by(|a, b| a.0.total_cmp(&b.0));
                if let Some(c) = c {
                    orgs.push(near_org(&o, None, Some(c), c.0));
                }
            }
        }
        orgs.sort_by(|a, b| a.distance_km.total_cmp(&b.distance_km).then(a.org_id.cmp(&b.org_id)));
        orgs.truncate(NEAR_ORGS);
        Ok(NearView {
            lng: here.lng,
            lat: here.lat,
            placed_at: None,
            centres,
            orgs,
        })
    }
}

fn near_org(
    o: &party_org::Model,
    carrier_name: Option<String>,
    centre: Option<&(f64, i64, String)>,
    d: f64,
) -> NearOrg {
    NearOrg {
        org_id: o.id,
        name: o.name.clone(),
        kind: o.kind.clone(),
        kind_label: OrgKind::parse_any(&o.kind)
            .map(|k| k.label_zh().to_string())
            .unwrap_or_default(),
        carrier_name,
        centre_id: centre.map(|c| c.1),
        centre_name: centre.map(|c| c.2.clone()),
        distance_km: km(d),
    }
}
