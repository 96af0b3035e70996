//! A plain list's total from the counters coverage keeps: no list counts a table to draw
//! its pager when the counters already know the number (one indexed read of the few
//! counters that sum to it, at any level). A list with a search, archived records, or a territory the
//! counters do not key (an organisation subtree) counts, bounded (`COUNT_LIMIT`).

use super::common::ListQuery;
use crate::{Actor, Result, Store};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::coverage::{ALL_DIVISIONS, metric};
use tongxin_domain::registry::{CarrierKind, Labelled, MemberStatus, OrgKind, UnitKind};
use tongxin_domain::scope::Scope;

/// Which list.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Listed {
    Carriers,
    Units,
    Orgs,
    Members,
}

impl Store {
    /// The total of a plain list (no search, no archived records, a kind or none) over a
    /// division territory, from the counters; `None` when they cannot say.
    pub(crate) async fn counted_total(&self, actor: &Actor, q: &ListQuery, what: Listed) -> Result<Option<u64>> {
        if q.search().is_some() || q.archived {
            return Ok(None);
        }
        let asked = match q.division.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            Some(d) => match DivisionCode::parse(d) {
                Ok(d) => Some(d),
                Err(_) => return Ok(None),
            },
            None => None,
        };
        // The list's territory: the account's division, narrowed by the filter.
        let key = match (&actor.scope, asked) {
            (Scope::All, None) => ALL_DIVISIONS.to_string(),
            (Scope::All, Some(d)) => d.to_string(),
            (
                Scope::Within {
                    division: Some(s),
                    org: None,
                },
                None,
            ) => s.to_string(),
            (
                Scope::Within {
                    division: Some(s),
                    org: None,
                },
                Some(d),
            ) if s.contains(&d) => d.to_string(),
            _ => return Ok(None),
        };
        let kind = q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
        // A kind the list does not know filters nothing (as the list itself does).
        let names = match what {
            Listed::Units => metric::units_listed(kind.and_then(UnitKind::parse_any)),
            Listed::Carriers => metric::carriers_listed(kind.and_then(CarrierKind::parse_any)),
            Listed::Orgs => metric::orgs_listed(kind.and_then(OrgKind::parse_any)),
            Listed::Members => metric::members_listed(kind.and_then(MemberStatus::parse_any)),
        };
        let n = self.tally_sum(&key, &names).await?;
        Ok(Some(u64::try_from(n).unwrap_or(0)))
    }
}
