//! Table `alliance_nominations`: candidates recommended (推荐) to a call.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_nominations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub call_id: i64,
    pub project_id: Option<i64>,
    pub org_id: Option<i64>,
    pub recommended_by: Option<i64>,
    pub reason: Option<String>,
    pub moved_to: Option<i32>,
    pub move_reason: Option<String>,
    pub final_rank: Option<i32>,
    pub final_total: Option<f64>,
    pub selected: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
