//! Party-mass service centres (党群服务中心): the places where members and residents
//! meet the party's work — a district's centre, each street's, and the stations in
//! buildings and parks (楼宇/园区党群服务站) — with their rooms, opening hours and the
//! organisations and units each serves. Activities and room bookings are held there.

mod booking;
mod hours;

pub use booking::{BOOK_AHEAD_DAYS, BOOKING_HOURS_MAX, BookingFields, BookingRefusal, PURPOSE_MAX, overlaps};
pub use hours::{HOURS_MAX, OpeningHours, RANGES_PER_DAY_MAX, Range};

use crate::DomainError;
use crate::codes::DivisionCode;
use crate::registry::{ADDRESS_MAX, Errors, Labelled, optional_text, required_name};

/// Level of a centre (党群服务中心/站 层级): the district's centre, a street's, or a station
/// in a building or a park (the "1+N+X" network of Shanghai's districts: one district
/// centre, a centre per street, stations where members work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreLevel {
    /// 区级党群服务中心
    District,
    /// 街道（乡镇）党群服务中心
    Street,
    /// 楼宇党群服务站
    BuildingStation,
    /// 园区党群服务站
    ParkStation,
}

impl Labelled for CentreLevel {
    const ALL: &'static [Self] = &[Self::District, Self::Street, Self::BuildingStation, Self::ParkStation];
    fn code(&self) -> &'static str {
        match self {
            Self::District => "district",
            Self::Street => "street",
            Self::BuildingStation => "building_station",
            Self::ParkStation => "park_station",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::District => "区级中心",
            Self::Street => "街道中心",
            Self::BuildingStation => "楼宇站点",
            Self::ParkStation => "园区站点",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::District => &["区级", "区党群服务中心", "区级党群服务中心"],
            Self::Street => &["街道", "街镇", "乡镇", "街道党群服务中心", "社区党群服务中心"],
            Self::BuildingStation => &["楼宇", "楼宇站", "楼宇党群服务站", "楼宇党建服务站"],
            Self::ParkStation => &["园区", "园区站", "园区党群服务站"],
        }
    }
}

impl CentreLevel {
    /// Which centre serves a place first when several do: the nearest to the member
    /// (a station before its street's centre before the district's).
    pub fn nearness(&self) -> u8 {
        match self {
            Self::BuildingStation | Self::ParkStation => 0,
            Self::Street => 1,
            Self::District => 2,
        }
    }
}

/// A point on the map (WGS-84), within China's extent: centres are found near a
/// member by it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Location {
    pub lng: f64,
    pub lat: f64,
}

impl Location {
    /// A point in China's extent (longitude 73–136° E, latitude 3–54° N).
    pub fn parse(lng: f64, lat: f64) -> Result<Location, DomainError> {
        if (73.0..=136.0).contains(&lng) && (3.0..=54.0).contains(&lat) {
            Ok(Location { lng, lat })
        } else {
            Err(DomainError::OutOfRange { field: "location" })
        }
    }

    /// The box around this point reaching `km` each way, as (west, east, south, north):
    /// a store narrows a search by it before measuring (a degree of latitude is 111.2
    /// km, one of longitude that times the latitude's cosine; 110 leaves a margin).
    pub fn around(&self, km: f64) -> (f64, f64, f64, f64) {
        let dlat = km / 110.0;
        let dlng = km / (110.0 * self.lat.to_radians().cos().max(0.1));
        (self.lng - dlng, self.lng + dlng, self.lat - dlat, self.lat + dlat)
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius).
    pub fn distance_km(&self, other: &Location) -> f64 {
        let (p1, p2) = (self.lat.to_radians(), other.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.lng - self.lng).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * 6371.0088 * a.sqrt().asin()
    }
}

/// The validated fields of a centre.
#[derive(Debug, Clone, PartialEq)]
pub struct CentreFields {
    pub name: String,
    pub level: CentreLevel,
    pub division: DivisionCode,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub hours: Option<OpeningHours>,
    pub phone: Option<crate::codes::Phone>,
}

impl CentreFields {
    /// Validates raw input; returns every field error at once. A district centre sits
    /// in a district, a street centre in a street (or below); a station anywhere.
    pub fn parse(
        name: &str,
        level: &str,
        division: &str,
        address: &str,
        location: Option<(f64, f64)>,
        hours: &str,
        phone: &str,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let level = e.take(CentreLevel::parse_any(level).ok_or(DomainError::UnknownValue { field: "level" }));
        let division = e.take(
            DivisionCode::parse(division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        let address = e.take(optional_text("address", address, ADDRESS_MAX));
        let location = match location {
            Some((lng, lat)) => e.take(Location::parse(lng, lat).map(Some)),
            None => Some(None),
        };
        let hours = e.take(OpeningHours::parse(hours));
        let phone = match phone.trim() {
            "" => Some(None),
            p => e.take(
                crate::codes::Phone::parse(p)
                    .map(Some)
                    .map_err(|source| DomainError::InvalidCode { field: "phone", source }),
            ),
        };
        if let (Some(level), Some(division)) = (&level, &division) {
            let fits = match level {
                CentreLevel::District => division.level() == crate::codes::DivisionLevel::District,
                CentreLevel::Street => division.level() >= crate::codes::DivisionLevel::Street,
                _ => division.level() >= crate::codes::DivisionLevel::District,
            };
            if !fits {
                e.0.push(DomainError::OutOfRange { field: "division" });
            }
        }
        match (name, level, division, address, location, hours, phone) {
            (Some(name), Some(level), Some(division), Some(address), Some(location), Some(hours), Some(phone))
                if e.0.is_empty() =>
            {
                Ok(CentreFields {
                    name,
                    level,
                    division,
                    address,
                    location,
                    hours,
                    phone,
                })
            }
            _ => Err(e.0),
        }
    }
}

/// Most people a room may be booked for.
pub const ROOM_CAPACITY_MAX: u32 = 5_000;

/// The validated fields of a room (活动室): 阅览角, 红色会客厅, a meeting room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomFields {
    pub name: String,
    /// How many people it holds (1 to [`ROOM_CAPACITY_MAX`]).
    pub capacity: u32,
}

impl RoomFields {
    pub fn parse(name: &str, capacity: &str) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let capacity = e.take(
            crate::text::clean(capacity)
                .trim_end_matches('人')
                .parse::<u32>()
                .map_err(|_| DomainError::NotANumber { field: "capacity" })
                .and_then(|c| {
                    if (1..=ROOM_CAPACITY_MAX).contains(&c) {
                        Ok(c)
                    } else {
                        Err(DomainError::OutOfRange { field: "capacity" })
                    }
                }),
        );
        match (name, capacity) {
            (Some(name), Some(capacity)) => Ok(RoomFields { name, capacity }),
            _ => Err(e.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Every point within `km` of a place lies in the box around it: a search
        /// narrowed by the box loses nothing near.
        #[test]
        fn the_box_holds_every_point_within_its_reach(lng in 73.0f64..136.0, lat in 3.0f64..54.0,
                                                      km in 0.1f64..20.0, bearing in 0.0f64..std::f64::consts::TAU, f in 0.0f64..1.0) {
            let here = Location { lng, lat };
            // A point at distance f·km on the bearing, by a small step on the sphere.
            let d = f * km / 6371.0088;
            let (p1, l1) = (lat.to_radians(), lng.to_radians());
            let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * bearing.cos()).asin();
            let l2 = l1 + (bearing.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
            let there = Location { lng: l2.to_degrees(), lat: p2.to_degrees() };
            proptest::prop_assume!(here.distance_km(&there) <= km * 0.999);
            let (w, e, s, n) = here.around(km);
            proptest::prop_assert!(w <= there.lng && there.lng <= e && s <= there.lat && there.lat <= n,
                "{there:?} outside {:?}", (w, e, s, n));
        }
    }

    #[test]
    fn a_centre_sits_at_its_level() {
        let ok = CentreFields::parse(
            "南京西路街道党群服务中心",
            "街道",
            "310106012",
            "某路1号",
            Some((121.45, 31.23)),
            "周一至周五 9:00-17:00",
            "",
        )
        .expect("valid");
        assert_eq!(ok.level, CentreLevel::Street);
        let e = CentreFields::parse("某中心", "区级", "310106012", "", Some((0.0, 0.0)), "周八", "123")
            .expect_err("three errors");
        let fields: Vec<_> = e.iter().map(DomainError::field).collect();
        assert_eq!(fields, ["location", "hours", "phone", "division"]);
        assert!(CentreFields::parse("", "", "x", "", None, "", "").is_err());
    }

    #[test]
    fn rooms_hold_people() {
        assert_eq!(RoomFields::parse("红色会客厅", "30人").expect("valid").capacity, 30);
        assert!(RoomFields::parse("阅览角", "0").is_err());
        assert!(RoomFields::parse("礼堂", "99999").is_err());
        assert!(RoomFields::parse("礼堂", "多").is_err());
    }

    #[test]
    fn distances_are_in_kilometres() {
        let tower = Location::parse(121.5055, 31.2335).expect("in China");
        let bund = Location::parse(121.4903, 31.2400).expect("in China");
        let d = tower.distance_km(&bund);
        assert!((1.4..1.8).contains(&d), "{d}");
        assert!(Location::parse(2.35, 48.85).is_err());
    }
}
