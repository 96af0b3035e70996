//! The rooms of a centre (活动室): 阅览角, 红色会客厅, meeting rooms, each holding so many
//! people. Bookings and activities are held in them.

use crate::entity::centre_room;
use crate::error::unique_as;
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::centres::RoomFields;
use tongxin_domain::registry::{CentreId, RoomId};

/// A room as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoomView {
    #[schema(value_type = i64)]
    pub id: RoomId,
    pub name: String,
    /// How many people it holds.
    pub capacity: u32,
    pub version: i64,
}

impl From<centre_room::Model> for RoomView {
    fn from(m: centre_room::Model) -> Self {
        RoomView {
            id: RoomId(m.id),
            name: m.name,
            capacity: u32::try_from(m.capacity).unwrap_or(0),
            version: m.version,
        }
    }
}

/// An edit of a room: what is `Some` changes; `archived: Some(true)` takes it out of use.
#[derive(Debug, Clone, Default)]
pub struct RoomPatch {
    pub name: Option<String>,
    pub capacity: Option<String>,
    pub archived: Option<bool>,
}

fn audited(m: &centre_room::Model) -> serde_json::Value {
    serde_json::json!({"room": m.name, "capacity": m.capacity, "archived": m.archived})
}

impl Store {
    /// The rooms in use of each centre, by name.
    pub(crate) async fn rooms_of(&self, centres: &[i64]) -> Result<HashMap<i64, Vec<RoomView>>> {
        let mut out: HashMap<i64, Vec<RoomView>> = HashMap::new();
        for chunk in centres.chunks(500) {
            let rows = centre_room::Entity::find()
                .filter(centre_room::Column::CentreId.is_in(chunk.to_vec()))
                .filter(centre_room::Column::Archived.eq(false))
                .order_by_asc(centre_room::Column::Name)
                .all(&self.read)
                .await?;
            for r in rows {
                out.entry(r.centre_id).or_default().push(r.into());
            }
        }
        Ok(out)
    }

    /// Adds a room to a centre (an office of its territory, or its staff; audited on
    /// the centre).
    pub async fn add_room(&self, actor: &Actor, id: CentreId, f: &RoomFields) -> Result<RoomView> {
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, super::CentreRight::Staff).await?;
        let now = Utc::now();
        let m = centre_room::Entity::insert(centre_room::ActiveModel {
            centre_id: Set(id.0),
            name: Set(f.name.clone()),
            capacity: Set(i32::try_from(f.capacity).unwrap_or(i32::MAX)),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(unique_as("name"))?;
        crate::audit::record(&txn, actor, "add_room", "centre", Some(id.0), None, Some(audited(&m))).await?;
        txn.commit().await?;
        Ok(m.into())
    }

    /// Edits a room of a centre: only what the patch holds changes (version-checked,
    /// audited on the centre).
    pub async fn update_room(
        &self,
        actor: &Actor,
        id: CentreId,
        room: RoomId,
        version: i64,
        patch: &RoomPatch,
    ) -> Result<RoomView> {
        let txn = self.begin().await?;
        self.kept_centre(&txn, actor, id, super::CentreRight::Staff).await?;
        let before = centre_room::Entity::find_by_id(room.0)
            .filter(centre_room::Column::CentreId.eq(id.0))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let f = RoomFields::parse(
            patch.name.as_deref().unwrap_or(&before.name),
            &patch.capacity.clone().unwrap_or_else(|| before.capacity.to_string()),
        )
        .map_err(StoreError::Invalid)?;
        let find = centre_room::Entity::find_by_id(room.0);
        let res = centre_room::Entity::update_many()
            .col_expr(centre_room::Column::Name, Expr::value(f.name))
            .col_expr(
                centre_room::Column::Capacity,
                Expr::value(i32::try_from(f.capacity).unwrap_or(i32::MAX)),
            )
            .col_expr(
                centre_room::Column::Archived,
                Expr::value(patch.archived.unwrap_or(before.archived)),
            )
            .col_expr(
                centre_room::Column::Version,
                Expr::col(centre_room::Column::Version).add(1),
            )
            .col_expr(centre_room::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(centre_room::Column::Id.eq(room.0))
            .filter(centre_room::Column::Version.eq(before.version))
            .exec(&txn)
            .await
            .map_err(unique_as("name"))?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update_room",
            "centre",
            Some(id.0),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        Ok(after.into())
    }
}
