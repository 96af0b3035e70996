//! Table `party_orgs`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "party_orgs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The name as it sorts (`tongxin_domain::text::sort_key`): numbers by value.
    /// Not part of a record's history.
    #[serde(skip)]
    pub name_key: String,
    pub kind: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub division_code: String,
    pub carrier_id: Option<i64>,
    pub secretary: Option<String>,
    pub founded_on: Option<Date>,
    pub term_ends_on: Option<Date>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
