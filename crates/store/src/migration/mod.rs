//! One portable migration set for SQLite and PostgreSQL (sea-orm-migration's schema
//! builder emits each backend's dialect), one file per migration, named by the date it
//! was written and its purpose. Migrations are history: never edit one that has
//! shipped; add the next. Each keeps the name it shipped with (`m0001_registry`…),
//! which stores record as applied.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

mod m2026_11_23_coverage;
mod m2026_11_23_registry;
mod m2026_11_29_bulk_history;
mod m2026_11_30_account_member;
mod m2026_11_30_import_runs;
mod m2026_11_30_instructor_edits;
mod m2026_11_30_list_order;
mod m2026_11_30_member_division;
mod m2026_11_30_name_index;
mod m2026_11_30_natural_order;
mod m2026_11_30_service_centres;
mod m2026_11_30_territory_order;
mod m2026_12_01_activities;
mod m2026_12_01_alliance;
mod m2026_12_01_alliance_lists;
mod m2026_12_01_alliance_pairing;
mod m2026_12_01_alliance_projects;
mod m2026_12_01_alliance_selection;
mod m2026_12_01_alliance_vocabulary;
mod m2026_12_01_calendar_feeds;
mod m2026_12_01_checkin;
mod m2026_12_01_postings_generation;
mod m2026_12_01_room_bookings;
mod m2026_12_01_watched_minutes;
mod m2026_12_02_offer_expiry;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m2026_11_23_registry::M0001Registry),
            Box::new(m2026_11_23_coverage::M0002Coverage),
            Box::new(m2026_11_29_bulk_history::M0003BulkHistory),
            Box::new(m2026_11_30_import_runs::M0004ImportRuns),
            Box::new(m2026_11_30_instructor_edits::M0005InstructorEdits),
            Box::new(m2026_11_30_account_member::M0006AccountMember),
            Box::new(m2026_11_30_list_order::M0007ListOrder),
            Box::new(m2026_11_30_natural_order::M0008NaturalOrder),
            Box::new(m2026_11_30_territory_order::M0009TerritoryOrder),
            Box::new(m2026_11_30_member_division::M0010MemberDivision),
            Box::new(m2026_11_30_name_index::M0011NameIndex),
            Box::new(m2026_11_30_service_centres::M0012ServiceCentres),
            Box::new(m2026_12_01_alliance::M0013Alliance),
            Box::new(m2026_12_01_alliance_lists::M0014AllianceLists),
            Box::new(m2026_12_01_alliance_projects::M0015AllianceProjects),
            Box::new(m2026_12_01_alliance_selection::M0016AllianceSelection),
            Box::new(m2026_12_01_alliance_vocabulary::M0017AllianceVocabulary),
            Box::new(m2026_12_01_alliance_pairing::M0018AlliancePairing),
            Box::new(m2026_12_01_postings_generation::M0019PostingsGeneration),
            Box::new(m2026_12_01_activities::M0020Activities),
            Box::new(m2026_12_01_checkin::M0021Checkin),
            Box::new(m2026_12_01_room_bookings::M0022RoomBookings),
            Box::new(m2026_12_01_watched_minutes::M0023WatchedMinutes),
            Box::new(m2026_12_01_calendar_feeds::M0024CalendarFeeds),
            Box::new(m2026_12_02_offer_expiry::M0025OfferExpiry),
        ]
    }
}

pub(super) fn fk(
    from_table: &'static str,
    from_col: &'static str,
    to_table: &'static str,
    to_col: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

pub(super) fn index(
    name: &'static str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(*c);
    }
    if unique {
        i.unique();
    }
    i.to_owned()
}

/// Columns every registry record carries: archive flag, optimistic-lock version, times.
pub(super) fn record_columns(t: &mut TableCreateStatement) -> &mut TableCreateStatement {
    t.col(boolean("archived").default(false))
        .col(big_integer("version").default(1))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("updated_at"))
}
