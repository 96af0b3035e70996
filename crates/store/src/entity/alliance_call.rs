//! Table `alliance_calls`: calls (征集) of a joint conference: brand projects, key projects, excellent branches.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub kind: String,
    pub title: String,
    pub year: i32,
    pub quota: i32,
    pub scale: i32,
    pub notes: Option<String>,
    pub stage: String,
    pub published_on: Option<Date>,
    pub awarded_plenary_id: Option<i64>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
