//! Table `alliance_plenary_items`: resolutions, exchanges, awards and signings of a plenary.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_plenary_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub plenary_id: i64,
    pub kind: String,
    pub text: String,
    pub member_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
