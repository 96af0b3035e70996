//! The audit log: every write (before and after) and every read of a full personal-data
//! value. A record's change history is its audit entries.

use crate::entity::audit;
use crate::{Actor, Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

/// One audit entry as shown in a record's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    /// Records created in bulk share one entry: `entity_id` to `entity_id_last`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id_last: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<audit::Model> for AuditEntry {
    fn from(m: audit::Model) -> Self {
        AuditEntry {
            id: m.id,
            at: m.at,
            actor: m.actor,
            action: m.action,
            entity: m.entity,
            entity_id: m.entity_id,
            entity_id_last: m.entity_id_last,
            before: m.before,
            after: m.after,
        }
    }
}

/// Records an entry inside the caller's transaction, so the write and its audit entry
/// commit together or not at all. It only records: coverage follows a write from the
/// write's own [`crate::coverage::Touched`].
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<()> {
    audit::Entity::insert(audit::ActiveModel {
        at: Set(Utc::now()),
        account_id: Set(actor.account_id.map(|a| a.0)),
        actor: Set(actor.username.clone()),
        action: Set(action.into()),
        entity: Set(entity.into()),
        entity_id: Set(entity_id),
        entity_id_last: Set(None),
        before: Set(before),
        after: Set(after),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

impl Store {
    /// The history of one record, newest first. The caller must already have shown the
    /// record is in scope (the registry functions do).
    /// A record created by an import has its creation in the import's entry for the run
    /// of ids it belongs to (shown as this record's own).
    pub(crate) async fn history_of(&self, entity: &str, id: i64) -> Result<Vec<AuditEntry>> {
        let mut rows = audit::Entity::find()
            .filter(audit::Column::Entity.eq(entity))
            .filter(audit::Column::EntityId.eq(id))
            .filter(audit::Column::EntityIdLast.is_null())
            .order_by_desc(audit::Column::Id)
            .limit(200)
            .all(&self.read)
            .await?;
        // Runs are few (one per import and chunk): the index on the run's end finds them.
        let created = audit::Entity::find()
            .filter(audit::Column::Entity.eq(entity))
            .filter(audit::Column::EntityIdLast.gte(id))
            .filter(audit::Column::EntityId.lte(id))
            .all(&self.read)
            .await?;
        rows.extend(created.into_iter().map(|m| audit::Model {
            entity_id: Some(id),
            entity_id_last: None,
            ..m
        }));
        rows.sort_by_key(|m| std::cmp::Reverse(m.id));
        rows.truncate(200);
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// The newest audit entries: the whole store's, so system administrators only.
    pub async fn audit_recent(&self, actor: &Actor, limit: u64) -> Result<Vec<AuditEntry>> {
        actor.require(tongxin_domain::access::Action::Administer)?;
        let rows = audit::Entity::find()
            .order_by_desc(audit::Column::Id)
            .limit(limit)
            .all(&self.read)
            .await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Counts audit entries of an action (used by tests and health figures).
    pub async fn audit_count(&self, action: &str) -> Result<u64> {
        use sea_orm::PaginatorTrait;
        Ok(audit::Entity::find()
            .filter(audit::Column::Action.eq(action))
            .count(&self.read)
            .await?)
    }
}
