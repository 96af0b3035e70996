//! Table `alliance_posts`: needs (需求) and resources (资源) of member units.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_posts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub member_id: i64,
    pub kind: String,
    pub title: String,
    pub category: Option<String>,
    pub description: Option<String>,
    pub division_code: String,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub starts_on: Option<Date>,
    pub ends_on: Option<Date>,
    pub people: Option<i32>,
    pub contact_name: Option<String>,
    #[serde(skip)]
    pub contact_phone: Option<String>,
    pub status: String,
    pub words: i32,
    pub archived: bool,
    pub version: i64,
    /// The last generation of the conference's postings written here (m0019).
    pub words_generation: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
