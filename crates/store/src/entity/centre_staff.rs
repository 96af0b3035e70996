//! Table `centre_staff`: the staff accounts that work at a centre.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "centre_staff")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub centre_id: i64,
    pub account_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
