//! A territory's members in name order from an index. Members sit in a division through
//! their organisation, so a street office's member list used to walk the city's members
//! in name order looking for its organisations' (58 ms a page at city scale). Each member
//! row now carries its organisation's division code, kept by the database itself —
//! triggers on a member's insert or change of organisation and on an organisation's move
//! — so that no writer (console, API, import, generator) can leave it behind, and the
//! street and district indexes `(substr(division_code, 1, n), name_key, id)` answer
//! `substr(division_code, 1, n) = ?` in name order, as for carriers, units and
//! organisations (m0009).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// `members.division_code`, filled, kept by triggers and indexed by street and district.
pub(super) struct M0010MemberDivision;

impl MigrationName for M0010MemberDivision {
    fn name(&self) -> &str {
        "m0010_member_division"
    }
}

/// SQLite: after the row is written, copy the organisation's code into it.
const SQLITE_TRIGGERS: [&str; 3] = [
    "CREATE TRIGGER tg_members_division_insert AFTER INSERT ON members BEGIN \
       UPDATE members SET division_code = (SELECT division_code FROM party_orgs WHERE id = NEW.org_id) \
       WHERE id = NEW.id; END",
    "CREATE TRIGGER tg_members_division_org AFTER UPDATE OF org_id ON members BEGIN \
       UPDATE members SET division_code = (SELECT division_code FROM party_orgs WHERE id = NEW.org_id) \
       WHERE id = NEW.id; END",
    "CREATE TRIGGER tg_party_orgs_division AFTER UPDATE OF division_code ON party_orgs \
       WHEN OLD.division_code IS NOT NEW.division_code BEGIN \
       UPDATE members SET division_code = NEW.division_code WHERE org_id = NEW.id; END",
];

/// PostgreSQL: the member row takes the code before it is written; an organisation's
/// move rewrites its members'.
const POSTGRES_TRIGGERS: [&str; 4] = [
    "CREATE FUNCTION tx_member_division() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       NEW.division_code := (SELECT division_code FROM party_orgs WHERE id = NEW.org_id); \
       RETURN NEW; END $$",
    "CREATE TRIGGER tg_members_division BEFORE INSERT OR UPDATE OF org_id ON members \
       FOR EACH ROW EXECUTE FUNCTION tx_member_division()",
    "CREATE FUNCTION tx_org_division() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
       UPDATE members SET division_code = NEW.division_code WHERE org_id = NEW.id; \
       RETURN NULL; END $$",
    "CREATE TRIGGER tg_party_orgs_division AFTER UPDATE OF division_code ON party_orgs \
       FOR EACH ROW WHEN (OLD.division_code IS DISTINCT FROM NEW.division_code) \
       EXECUTE FUNCTION tx_org_division()",
];

#[async_trait::async_trait]
impl MigrationTrait for M0010MemberDivision {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        m.alter_table(
            Table::alter()
                .table("members")
                .add_column(string_null("division_code"))
                .to_owned(),
        )
        .await?;
        db.execute_unprepared(
            "UPDATE members SET division_code = \
             (SELECT division_code FROM party_orgs WHERE party_orgs.id = members.org_id)",
        )
        .await?;
        let triggers: &[&str] = match db.get_database_backend() {
            DbBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for t in triggers {
            db.execute_unprepared(t).await?;
        }
        for (level, n) in [("street", 9), ("district", 6)] {
            db.execute_unprepared(&format!(
                "CREATE INDEX ix_members_{level}_order ON members (substr(division_code, 1, {n}), name_key, id)"
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, _m: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "m0010_member_division cannot be reverted: restore a backup instead".into(),
        ))
    }
}
