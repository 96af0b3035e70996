//! Table `checkin_scans`: every scan at an activity's door, under its device's nonce (m0021).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "checkin_scans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub nonce: String,
    pub activity_id: i64,
    pub registration_id: Option<i64>,
    pub result: String,
    pub scanned_by: Option<i64>,
    pub scanned_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
