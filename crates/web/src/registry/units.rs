//! Units (单位: enterprises, social organisations, public institutions) in the console.
//! A unit's page says where it stands in coverage and offers what closes its gap.

use super::record::{Detail, DetailView, Listed, RecordPages, Section, kinds_of, opt};
use crate::i18n::Lang;
use crate::pickers::PickSpec;
use crate::registry::api::UnitBody;
use crate::shell::history::kind_text;
use crate::{ApiError, AppState};
use std::collections::HashMap;
use tongxin_domain::coverage::CoverageStatus;
use tongxin_domain::registry::{UnitId, UnitKind};
use tongxin_store::coverage::UnitStanding;
use tongxin_store::registry::{ListQuery, PickTarget};
use tongxin_store::{Actor, StoreError};

pub(crate) struct Units;

/// Where a unit stands, in words: covered by what, or why not and what closes the gap.
fn standing_text(lang: Lang, st: Option<UnitStanding>) -> String {
    let Some(st) = st else {
        return "—".into();
    };
    let mut text = lang.t(&format!("coverage.why.{}", st.status.code()));
    // Party Constitution Art. 30: three or more full members set up their own.
    if st.qualifying && !st.own_org {
        text.push_str(&lang.t("coverage.why.should_set_up"));
    }
    text
}

impl RecordPages for Units {
    const PATH: &'static str = "units";
    const CHAIN: bool = true;
    type Body = UnitBody;

    fn kinds(lang: Lang) -> Vec<(String, String)> {
        kinds_of::<UnitKind>(lang)
    }

    fn columns() -> &'static [&'static str] {
        &[
            "field.name",
            "field.kind",
            "field.credit_code",
            "field.division",
            "field.carrier",
            "field.employees",
        ]
    }

    async fn list(state: &AppState, actor: &Actor, q: &ListQuery, lang: Lang) -> Result<Listed, ApiError> {
        let pg = state.store.list_units(actor, q).await?;
        Ok(Listed::of(pg, |u| {
            (
                u.id.0,
                vec![
                    u.name.clone(),
                    kind_text(lang, &u.kind, &u.kind_label),
                    opt(&u.credit_code),
                    u.division_name.clone(),
                    opt(&u.carrier_name),
                    u.employees.map(|e| e.to_string()).unwrap_or_default(),
                ],
            )
        }))
    }

    async fn detail(state: &AppState, actor: &Actor, id: i64, v: &DetailView) -> Result<Detail, ApiError> {
        let s = &state.store;
        let t = |k: &str| v.t(k);
        let u = s.get_unit(actor, UnitId(id)).await?;
        let standing = s.unit_standing(actor, UnitId(id)).await?;
        let closing = if v.writes && !u.archived {
            crate::coverage::closing::unit_actions(v.lang, id, standing, &v.here)
        } else {
            vec![]
        };
        let orgs = s.orgs_of_unit(actor, UnitId(id)).await?;
        let links = s.unit_links(actor, UnitId(id)).await?;
        let props = vec![
            (t("field.kind"), kind_text(v.lang, &u.kind, &u.kind_label), None),
            (
                t("coverage.standing"),
                standing_text(v.lang, standing),
                standing
                    .filter(|st| st.status == CoverageStatus::Uncovered || (st.qualifying && !st.own_org))
                    .map(|_| "/coverage".to_string()),
            ),
            (t("field.credit_code"), opt(&u.credit_code), None),
            (
                t("field.employees"),
                u.employees.map(|e| e.to_string()).unwrap_or_default(),
                None,
            ),
            (
                t("field.division"),
                format!("{} ({})", u.division_name, u.division_code),
                Some(format!("/divisions/{}", u.division_code)),
            ),
            (
                t("field.carrier"),
                opt(&u.carrier_name),
                u.carrier_id.map(|c| format!("/carriers/{c}")),
            ),
            (t("field.instructor"), opt(&u.instructor_name), None),
            (t("field.address"), opt(&u.address), None),
        ];
        let sections = vec![
            Section {
                title: t("ui.orgs_of_unit"),
                rows: orgs
                    .into_iter()
                    .map(|(oid, n, k)| {
                        (
                            n.unwrap_or_else(|| t("ui.org_outside_territory")),
                            oid.map(|o| format!("/orgs/{o}")).unwrap_or_default(),
                            kind_text(v.lang, &k, &k),
                        )
                    })
                    .collect(),
            },
            Section {
                title: t("ui.links"),
                rows: links
                    .into_iter()
                    .map(|l| {
                        (
                            l.other_unit_name.unwrap_or_else(|| t("ui.outside_territory")),
                            l.other_unit_id.map(|o| format!("/units/{o}")).unwrap_or_default(),
                            format!(
                                "{}{}",
                                if l.outgoing { "→ " } else { "← " },
                                kind_text(v.lang, &l.kind, &l.kind_label)
                            ),
                        )
                    })
                    .collect(),
            },
        ];
        Ok(Detail {
            props,
            sections,
            closing,
            history: s.unit_history(actor, UnitId(id)).await?,
            name: u.name,
            version: u.version,
            archived: u.archived,
        })
    }

    fn fields() -> &'static [(&'static str, &'static str, bool)] {
        &[
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("credit_code", "field.credit_code", false),
            ("employees", "field.employees", false),
            ("division", "field.division", false),
            ("carrier_id", "field.carrier", false),
            ("instructor_id", "field.instructor", false),
            ("address", "field.address", false),
        ]
    }

    fn pickers() -> Vec<PickSpec> {
        vec![
            PickSpec::one("carrier_id", PickTarget::Carrier),
            PickSpec::one("instructor_id", PickTarget::Instructor),
        ]
    }

    async fn load(state: &AppState, actor: &Actor, id: i64) -> Result<HashMap<String, String>, ApiError> {
        let u = state.store.get_unit(actor, UnitId(id)).await?;
        let id_of = |i: Option<i64>| i.map(|c| c.to_string()).unwrap_or_default();
        Ok(HashMap::from([
            ("name".into(), u.name),
            ("kind".into(), u.kind),
            ("credit_code".into(), opt(&u.credit_code)),
            (
                "employees".into(),
                u.employees.map(|e| e.to_string()).unwrap_or_default(),
            ),
            ("division".into(), u.division_code),
            ("carrier_id".into(), id_of(u.carrier_id.map(|c| c.0))),
            ("instructor_id".into(), id_of(u.instructor_id.map(|c| c.0))),
            ("address".into(), opt(&u.address)),
            ("version".into(), u.version.to_string()),
        ]))
    }

    fn check(body: &UnitBody) -> Result<(), StoreError> {
        body.input().map(drop)
    }

    async fn create(state: &AppState, actor: &Actor, body: UnitBody) -> Result<i64, ApiError> {
        Ok(state.store.create_unit(actor, body.input()?).await?.id.0)
    }

    async fn update(state: &AppState, actor: &Actor, id: i64, version: i64, body: UnitBody) -> Result<i64, ApiError> {
        Ok(state
            .store
            .update_unit(actor, UnitId(id), version, &body.patch())
            .await?
            .id
            .0)
    }

    async fn archive(state: &AppState, actor: &Actor, id: i64, version: i64, archived: bool) -> Result<(), ApiError> {
        state.store.archive_unit(actor, UnitId(id), version, archived).await?;
        Ok(())
    }
}
