//! Table `units`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The name as it sorts (`tongxin_domain::text::sort_key`): numbers by value.
    /// Not part of a record's history.
    #[serde(skip)]
    pub name_key: String,
    pub kind: String,
    pub credit_code: Option<String>,
    pub employees: Option<i64>,
    pub carrier_id: Option<i64>,
    pub division_code: String,
    pub address: Option<String>,
    pub instructor_id: Option<i64>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
