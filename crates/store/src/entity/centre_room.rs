//! Table `centre_rooms`: the rooms of a service centre.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "centre_rooms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub centre_id: i64,
    pub name: String,
    pub capacity: i32,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
