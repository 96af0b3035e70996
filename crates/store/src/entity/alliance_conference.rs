//! Table `alliance_conferences`: joint conferences (联席会议 / 党建联盟).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_conferences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub division_code: String,
    pub parent_id: Option<i64>,
    pub founded_on: Option<Date>,
    pub mechanisms: Option<String>,
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
