//! Table `alliance_attendance`: member units present at a plenary.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_attendance")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plenary_id: i64,
    pub member_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
