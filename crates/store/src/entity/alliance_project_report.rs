//! Table `alliance_project_reports`: monthly progress reports (月度进展) of projects.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_project_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub project_id: i64,
    pub month: Date,
    pub progress: String,
    pub percent: i32,
    pub text: Option<String>,
    pub filed_by: Option<i64>,
    pub filed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
