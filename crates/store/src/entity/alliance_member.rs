//! Table `alliance_members`: member units of a joint conference (成员单位).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub unit_id: Option<i64>,
    pub name: String,
    pub kind: String,
    pub joined_on: Date,
    pub admitted_at: Option<i64>,
    pub plaque_on: Option<Date>,
    pub left_on: Option<Date>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
