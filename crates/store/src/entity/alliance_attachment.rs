//! Table `alliance_attachments`: files kept for projects (附件); the bytes are on disk.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "alliance_attachments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub conference_id: i64,
    pub project_id: i64,
    pub report_id: Option<i64>,
    pub purpose: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: i64,
    pub sha256: String,
    pub uploaded_by: Option<i64>,
    pub uploaded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
