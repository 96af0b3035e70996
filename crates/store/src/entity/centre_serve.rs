//! Table `centre_serves`: an organisation or a unit a centre serves by name.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "centre_serves")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub centre_id: i64,
    pub org_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
