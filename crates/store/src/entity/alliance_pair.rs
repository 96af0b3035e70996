//! Table `alliance_pairs`: pairs (结对共建) of branches, or of a firm and a community.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_pairs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub kind: String,
    pub org_a_id: Option<i64>,
    pub org_b_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub community_code: Option<String>,
    pub started_on: Date,
    pub ended_on: Option<Date>,
    pub note: Option<String>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
