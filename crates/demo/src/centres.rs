//! The demo district's party-mass service centres (党群服务中心): the district's centre,
//! one per street, and a station in each of the first key buildings serving the units
//! there, each with rooms and hours as offices write them. The demo's centre-staff
//! account works at the first street's centre.

use anyhow::Result;
use tongxin_domain::centres::{CentreFields, RoomFields};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, Store};

/// Building stations made in the demo.
const STATIONS: u64 = 3;

/// Records the demo's centres when the store has none.
pub async fn ensure_centres(store: &Store, system: &Actor, district: &str) -> Result<()> {
    if !store.list_centres(system, false).await?.is_empty() || !store.list_centres(system, true).await?.is_empty() {
        return Ok(());
    }
    let district_name = store
        .division(district)
        .await?
        .map(|d| d.name)
        .unwrap_or_else(|| district.into());
    // Around the middle of Jing'an; each street's centre a little apart.
    let (lng, lat) = (121.448, 31.229);
    let centre = |name: &str, level: &str, division: &str, address: &str, at: (f64, f64), hours: &str| {
        CentreFields::parse(name, level, division, address, Some(at), hours, "021-62170000")
            .map_err(|e| anyhow::anyhow!("demo centre {name}: {e:?}"))
    };
    let c = store
        .create_centre(
            system,
            &centre(
                &format!("{district_name}党群服务中心"),
                "district",
                district,
                "常德路1号",
                (lng, lat),
                "每天 9:00-21:00",
            )?,
        )
        .await?;
    for (room, n) in [("报告厅", "200"), ("红色会客厅", "30"), ("阅览角", "20")] {
        store.add_room(system, c.id, &room_fields(room, n)?).await?;
    }
    let streets = store.division_children(Some(district)).await?;
    let mut first_street_centre = None;
    for (i, s) in streets.iter().enumerate() {
        let step = i as f64 * 0.004;
        let c = store
            .create_centre(
                system,
                &centre(
                    &format!("{}党群服务中心", s.name),
                    "street",
                    &s.code,
                    &format!("{}{}号", s.name.trim_end_matches("街道"), 10 + i),
                    (lng - 0.02 + step, lat - 0.015 + step / 2.0),
                    "周一至周五 9:00-17:00；周六 9:00-12:00",
                )?,
            )
            .await?;
        for (room, n) in [("多功能厅", "60"), ("会议室", "20")] {
            store.add_room(system, c.id, &room_fields(room, n)?).await?;
        }
        first_street_centre.get_or_insert(c.id);
    }
    // Stations in key buildings, serving the units in them.
    let buildings = store
        .list_carriers(
            system,
            &ListQuery {
                kind: Some("building".into()),
                per_page: Some(STATIONS),
                ..Default::default()
            },
        )
        .await?;
    let mut first_station = None;
    for b in buildings.items {
        let c = store
            .create_centre(
                system,
                &centre(
                    &format!("{}楼宇党群服务站", b.name),
                    "building_station",
                    &b.division_code,
                    b.address.as_deref().unwrap_or(""),
                    (b.lng.unwrap_or(lng), b.lat.unwrap_or(lat)),
                    "工作日 8:30-11:30、13:00-18:00",
                )?,
            )
            .await?;
        store.add_room(system, c.id, &room_fields("党员活动室", "25")?).await?;
        first_station.get_or_insert(c.id);
        let units = store
            .units_of_carrier(
                system,
                b.id,
                &ListQuery {
                    per_page: Some(20),
                    ..Default::default()
                },
            )
            .await?;
        for u in units.items {
            store.serve_unit(system, c.id, u.id).await?;
        }
    }
    if let Some(c) = first_street_centre
        && store.account_exists("centre").await?
    {
        store.add_centre_staff(system, c, "centre").await?;
    }
    if let Some(c) = first_street_centre {
        crate::activities::ensure_activities(store, system, c, first_station).await?;
    }
    Ok(())
}

fn room_fields(name: &str, capacity: &str) -> Result<RoomFields> {
    RoomFields::parse(name, capacity).map_err(|e| anyhow::anyhow!("demo room {name}: {e:?}"))
}
