//! A member's account knows its member record, for the member's own view.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `accounts.member_id`: the member record of a member's account (none for staff).
pub(super) struct M0006AccountMember;

impl MigrationName for M0006AccountMember {
    fn name(&self) -> &str {
        "m0006_account_member"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0006AccountMember {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table("accounts")
                .add_column(big_integer_null("member_id"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0006_account_member cannot be reverted: restore a backup instead".into(),
        ))
    }
}
