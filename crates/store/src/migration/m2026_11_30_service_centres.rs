//! Party-mass service centres (党群服务中心), their rooms, and the organisations and units
//! each serves by name (beyond the centres of the divisions they lie in).

use super::{fk, index, record_columns};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// `centres`, `centre_rooms`, `centre_serves`, `centre_staff` (the service-centre staff
/// accounts that work at a centre).
pub(super) struct M0012ServiceCentres;

impl MigrationName for M0012ServiceCentres {
    fn name(&self) -> &str {
        "m0012_service_centres"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0012ServiceCentres {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let mut t = Table::create();
        t.table("centres")
            .col(big_pk_auto("id"))
            .col(string("name"))
            .col(string("level"))
            .col(string("division_code"))
            .col(string_null("address"))
            .col(double_null("lng"))
            .col(double_null("lat"))
            // The hours in their canonical form (`OpeningHours::to_zh`), read back on load.
            .col(string_null("hours"))
            .col(string_null("phone"))
            .foreign_key(&mut fk("centres", "division_code", "divisions", "code"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ux_centres_division_name",
            "centres",
            &["division_code", "name"],
            true,
        ))
        .await?;

        let mut t = Table::create();
        t.table("centre_rooms")
            .col(big_pk_auto("id"))
            .col(big_integer("centre_id"))
            .col(string("name"))
            .col(integer("capacity"))
            .foreign_key(&mut fk("centre_rooms", "centre_id", "centres", "id"));
        record_columns(&mut t);
        m.create_table(t.to_owned()).await?;
        m.create_index(index(
            "ux_centre_rooms_name",
            "centre_rooms",
            &["centre_id", "name"],
            true,
        ))
        .await?;

        m.create_table(
            Table::create()
                .table("centre_serves")
                .col(big_pk_auto("id"))
                .col(big_integer("centre_id"))
                .col(big_integer_null("org_id"))
                .col(big_integer_null("unit_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("centre_serves", "centre_id", "centres", "id"))
                .foreign_key(&mut fk("centre_serves", "org_id", "party_orgs", "id"))
                .foreign_key(&mut fk("centre_serves", "unit_id", "units", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_centre_serves_org",
            "centre_serves",
            &["centre_id", "org_id"],
            true,
        ))
        .await?;
        m.create_index(index(
            "ux_centre_serves_unit",
            "centre_serves",
            &["centre_id", "unit_id"],
            true,
        ))
        .await?;
        m.create_index(index("ix_centre_serves_org", "centre_serves", &["org_id"], false))
            .await?;
        m.create_index(index("ix_centre_serves_unit", "centre_serves", &["unit_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("centre_staff")
                .col(big_pk_auto("id"))
                .col(big_integer("centre_id"))
                .col(big_integer("account_id"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut fk("centre_staff", "centre_id", "centres", "id"))
                .foreign_key(&mut fk("centre_staff", "account_id", "accounts", "id"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            "ux_centre_staff",
            "centre_staff",
            &["centre_id", "account_id"],
            true,
        ))
        .await?;
        m.create_index(index("ix_centre_staff_account", "centre_staff", &["account_id"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["centre_staff", "centre_serves", "centre_rooms", "centres"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
