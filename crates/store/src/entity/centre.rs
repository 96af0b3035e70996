//! Table `centres`: party-mass service centres (党群服务中心).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "centres")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub level: String,
    pub division_code: String,
    pub address: Option<String>,
    pub lng: Option<f64>,
    pub lat: Option<f64>,
    pub hours: Option<String>,
    pub phone: Option<String>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
