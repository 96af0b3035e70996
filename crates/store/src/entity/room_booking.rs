//! Table `room_bookings`: a room booked for a span of one day (m0022).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "room_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub room_id: i64,
    pub centre_id: i64,
    pub account_id: Option<i64>,
    pub booked_for: String,
    pub purpose: Option<String>,
    pub people: i32,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub status: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
