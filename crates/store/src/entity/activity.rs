//! Table `activities`: activities at service centres (m0020).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub centre_id: i64,
    pub division_code: String,
    pub title: String,
    pub kind: String,
    pub allocation: String,
    pub audience: String,
    pub place: Option<String>,
    pub description: Option<String>,
    pub online: bool,
    pub starts_at: DateTime,
    pub ends_at: DateTime,
    pub capacity: i32,
    pub taken: i32,
    pub opens_at: DateTime,
    pub closes_at: DateTime,
    pub per_person: i32,
    pub cancel_until: Option<DateTime>,
    pub waitlist: i32,
    pub waiting: i32,
    pub confirm_hours: i32,
    pub seed: String,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
