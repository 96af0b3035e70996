//! Table `activity_registrations`: who registered for an activity (m0020).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "activity_registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    #[serde(skip)]
    pub person_key: String,
    pub account_id: Option<i64>,
    pub name: String,
    #[serde(skip)]
    pub phone: Option<String>,
    pub places: i32,
    pub status: String,
    pub offer_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
    /// When its ticket was first scanned at the door (m0021).
    pub checked_in_at: Option<DateTimeUtc>,
    /// Minutes watched online, from a viewer log (m0023).
    pub watched_minutes: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
