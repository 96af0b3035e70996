//! Party organisations (党组织) in the console. An organisation's page counts its units
//! against the 5-unit rule and its members against the 50-member rule, and offers the
//! renewal of a term that is due.

use super::record::{Detail, DetailView, Listed, NewQuery, RecordPages, Section, day, kinds_of, opt};
use crate::i18n::Lang;
use crate::pickers::PickSpec;
use crate::registry::api::OrgBody;
use crate::shell::history::kind_text;
use crate::{ApiError, AppState};
use std::collections::HashMap;
use tongxin_domain::registry::{OrgId, OrgKind, UnitId};
use tongxin_store::registry::{ListQuery, PickTarget};
use tongxin_store::{Actor, StoreError};

pub(crate) struct Orgs;

/// A count against the limit a rule sets for it (`3 / 5`), and a note when over it
/// (Branch Work Regulations Art. 4: a joint branch covers five units at most, a branch
/// has fifty members at most); the bare count where no limit applies.
fn against(lang: Lang, n: u64, limit: Option<u32>) -> String {
    match limit {
        Some(max) if n > u64::from(max) => format!("{n} / {max}{}", lang.t("coverage.over_limit_note")),
        Some(max) => format!("{n} / {max}"),
        None => n.to_string(),
    }
}

impl RecordPages for Orgs {
    const PATH: &'static str = "orgs";
    type Body = OrgBody;

    fn kinds(lang: Lang) -> Vec<(String, String)> {
        kinds_of::<OrgKind>(lang)
    }

    fn columns() -> &'static [&'static str] {
        &[
            "field.name",
            "field.kind",
            "field.division",
            "field.parent",
            "field.secretary",
            "field.term_ends_on",
        ]
    }

    async fn list(state: &AppState, actor: &Actor, q: &ListQuery, lang: Lang) -> Result<Listed, ApiError> {
        let pg = state.store.list_orgs(actor, q).await?;
        Ok(Listed::of(pg, |o| {
            (
                o.id.0,
                vec![
                    o.name.clone(),
                    kind_text(lang, &o.kind, &o.kind_label),
                    o.division_name.clone(),
                    opt(&o.parent_name),
                    opt(&o.secretary),
                    day(o.term_ends_on),
                ],
            )
        }))
    }

    async fn detail(state: &AppState, actor: &Actor, id: i64, v: &DetailView) -> Result<Detail, ApiError> {
        let s = &state.store;
        let t = |k: &str| v.t(k);
        let o = s.get_org(actor, OrgId(id)).await?;
        let rules = s.coverage_rules().await?;
        let closing = if v.writes && !o.archived {
            let due = rules
                .renewal(o.term_ends_on, chrono::Local::now().date_naive())
                .is_some();
            crate::coverage::closing::org_actions(v.lang, id, due, &v.here)
        } else {
            vec![]
        };
        let few = ListQuery {
            per_page: Some(100),
            ..Default::default()
        };
        let members = s.members_of_org(actor, OrgId(id), &few).await?;
        let props = vec![
            (t("field.kind"), kind_text(v.lang, &o.kind, &o.kind_label), None),
            (
                t("field.parent"),
                opt(&o.parent_name),
                o.parent_id.map(|p| format!("/orgs/{p}")),
            ),
            (
                t("field.division"),
                format!("{} ({})", o.division_name, o.division_code),
                Some(format!("/divisions/{}", o.division_code)),
            ),
            (
                t("field.carrier"),
                opt(&o.carrier_name),
                o.carrier_id.map(|c| format!("/carriers/{c}")),
            ),
            (t("field.units"), o.unit_names.join("、"), None),
            (
                t("coverage.org_units"),
                against(
                    v.lang,
                    o.unit_ids.len() as u64,
                    (o.kind == "joint_branch").then_some(rules.joint_branch_max_units),
                ),
                None,
            ),
            (
                t("coverage.org_members"),
                against(
                    v.lang,
                    members.total,
                    matches!(o.kind.as_str(), "branch" | "joint_branch").then_some(rules.branch_max_members),
                ),
                None,
            ),
            (t("field.secretary"), opt(&o.secretary), None),
            (t("field.founded_on"), day(o.founded_on), None),
            (t("field.term_ends_on"), day(o.term_ends_on), None),
        ];
        let sections = vec![Section {
            title: t("ui.members_of_org"),
            rows: members
                .items
                .iter()
                .map(|m| {
                    (
                        m.name.clone(),
                        format!("/members/{}", m.id),
                        kind_text(v.lang, &m.status, &m.status_label),
                    )
                })
                .collect(),
        }];
        Ok(Detail {
            props,
            sections,
            closing,
            history: s.org_history(actor, OrgId(id)).await?,
            name: o.name,
            version: o.version,
            archived: o.archived,
        })
    }

    fn fields() -> &'static [(&'static str, &'static str, bool)] {
        &[
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("division", "field.division", false),
            ("parent_id", "field.parent", false),
            ("unit_ids", "field.units", false),
            ("carrier_id", "field.carrier", false),
            ("secretary", "field.secretary", false),
            ("founded_on", "field.founded_on", false),
            ("term_ends_on", "field.term_ends_on", false),
        ]
    }

    fn pickers() -> Vec<PickSpec> {
        vec![
            PickSpec::one("parent_id", PickTarget::Org),
            PickSpec::many("unit_ids", PickTarget::Unit),
            PickSpec::one("carrier_id", PickTarget::Carrier),
        ]
    }

    async fn load(state: &AppState, actor: &Actor, id: i64) -> Result<HashMap<String, String>, ApiError> {
        let o = state.store.get_org(actor, OrgId(id)).await?;
        let unit_ids = o.unit_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        Ok(HashMap::from([
            ("name".into(), o.name),
            ("kind".into(), o.kind),
            ("division".into(), o.division_code),
            (
                "parent_id".into(),
                o.parent_id.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("unit_ids".into(), unit_ids),
            (
                "carrier_id".into(),
                o.carrier_id.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("secretary".into(), opt(&o.secretary)),
            ("founded_on".into(), day(o.founded_on)),
            ("term_ends_on".into(), day(o.term_ends_on)),
            ("version".into(), o.version.to_string()),
        ]))
    }

    /// The founding form of a unit's own organisation (closing its gap): named after the
    /// unit, a branch, in its place, covering it, in its carrier.
    async fn prefill(
        state: &AppState,
        actor: &Actor,
        q: &NewQuery,
        values: &mut HashMap<String, String>,
    ) -> Result<(), ApiError> {
        let Some(unit) = q.unit else {
            return Ok(());
        };
        let u = state.store.get_unit(actor, UnitId(unit)).await?;
        values.insert("name".into(), format!("{}党支部", u.name));
        values.insert("kind".into(), "branch".into());
        values.insert("division".into(), u.division_code.clone());
        values.insert("unit_ids".into(), u.id.to_string());
        if let Some(c) = u.carrier_id {
            values.insert("carrier_id".into(), c.to_string());
        }
        Ok(())
    }

    fn check(body: &OrgBody) -> Result<(), StoreError> {
        body.input().map(drop)
    }

    async fn create(state: &AppState, actor: &Actor, body: OrgBody) -> Result<i64, ApiError> {
        Ok(state.store.create_org(actor, body.input()?).await?.id.0)
    }

    async fn update(state: &AppState, actor: &Actor, id: i64, version: i64, body: OrgBody) -> Result<i64, ApiError> {
        Ok(state
            .store
            .update_org(actor, OrgId(id), version, &body.patch())
            .await?
            .id
            .0)
    }

    async fn archive(state: &AppState, actor: &Actor, id: i64, version: i64, archived: bool) -> Result<(), ApiError> {
        state.store.archive_org(actor, OrgId(id), version, archived).await?;
        Ok(())
    }
}
