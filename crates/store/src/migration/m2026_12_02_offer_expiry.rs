//! Offers from the waitlist found by when they expire, so the server's sweep
//! (`Store::settle_expired_offers`, every half minute) reads only those due, not every
//! registration.

use super::index;
use sea_orm_migration::prelude::*;

pub(super) struct M0025OfferExpiry;

impl MigrationName for M0025OfferExpiry {
    fn name(&self) -> &str {
        "m0025_offer_expiry"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for M0025OfferExpiry {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(index(
            "ix_activity_registrations_offer",
            "activity_registrations",
            &["status", "offer_expires_at"],
            false,
        ))
        .await
    }
}
