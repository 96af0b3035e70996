//! Table `members`.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "members")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The name as it sorts (`tongxin_domain::text::sort_key`): numbers by value.
    /// Not part of a record's history.
    #[serde(skip)]
    pub name_key: String,
    pub status: String,
    pub org_id: i64,
    /// The organisation's division code, kept by the database's triggers (migration
    /// m0010): lists read a territory's members in name order by it. Never written here.
    #[serde(skip)]
    pub division_code: Option<String>,
    pub work_unit_id: Option<i64>,
    #[serde(skip)]
    pub resident_id: String,
    #[serde(skip)]
    pub phone: Option<String>,
    pub joined_on: Option<Date>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
