//! Table `alliance_projects`: projects (项目) of a joint conference.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_projects")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub title: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub division_code: String,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub source: String,
    pub need_post_id: Option<i64>,
    pub resource_post_id: Option<i64>,
    pub stage: String,
    pub signed_on: Option<Date>,
    pub signed_plenary_id: Option<i64>,
    pub signed_occasion: Option<String>,
    pub closed_on: Option<Date>,
    pub grade: Option<String>,
    pub evaluation: Option<String>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
