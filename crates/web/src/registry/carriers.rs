//! Carriers (载体: buildings, parks, business districts) in the console.

use super::record::{Detail, DetailView, Listed, RecordPages, Section, kinds_of, opt};
use crate::i18n::Lang;
use crate::registry::api::CarrierBody;
use crate::shell::history::kind_text;
use crate::{ApiError, AppState};
use std::collections::HashMap;
use tongxin_domain::registry::{CarrierId, CarrierKind};
use tongxin_store::registry::ListQuery;
use tongxin_store::{Actor, StoreError};

pub(crate) struct Carriers;

impl RecordPages for Carriers {
    const PATH: &'static str = "carriers";
    type Body = CarrierBody;

    fn kinds(lang: Lang) -> Vec<(String, String)> {
        kinds_of::<CarrierKind>(lang)
    }

    fn columns() -> &'static [&'static str] {
        &[
            "field.name",
            "field.kind",
            "field.division",
            "field.is_key",
            "field.address",
        ]
    }

    async fn list(state: &AppState, actor: &Actor, q: &ListQuery, lang: Lang) -> Result<Listed, ApiError> {
        let pg = state.store.list_carriers(actor, q).await?;
        Ok(Listed::of(pg, |c| {
            (
                c.id.0,
                vec![
                    c.name.clone(),
                    kind_text(lang, &c.kind, &c.kind_label),
                    c.division_name.clone(),
                    lang.t(if c.is_key { "ui.yes" } else { "ui.no" }),
                    opt(&c.address),
                ],
            )
        }))
    }

    async fn detail(state: &AppState, actor: &Actor, id: i64, v: &DetailView) -> Result<Detail, ApiError> {
        let s = &state.store;
        let c = s.get_carrier(actor, CarrierId(id)).await?;
        let few = ListQuery {
            per_page: Some(100),
            ..Default::default()
        };
        let units = s.units_of_carrier(actor, CarrierId(id), &few).await?;
        Ok(Detail {
            props: vec![
                (v.t("field.kind"), kind_text(v.lang, &c.kind, &c.kind_label), None),
                (
                    v.t("field.is_key"),
                    v.t(if c.is_key { "ui.yes" } else { "ui.no" }),
                    None,
                ),
                (
                    v.t("field.division"),
                    format!("{} ({})", c.division_name, c.division_code),
                    Some(format!("/divisions/{}", c.division_code)),
                ),
                (v.t("field.address"), opt(&c.address), None),
            ],
            sections: vec![Section {
                title: v.t("ui.units_of_carrier"),
                rows: units
                    .items
                    .iter()
                    .map(|u| {
                        (
                            u.name.clone(),
                            format!("/units/{}", u.id),
                            kind_text(v.lang, &u.kind, &u.kind_label),
                        )
                    })
                    .collect(),
            }],
            closing: vec![],
            history: s.carrier_history(actor, CarrierId(id)).await?,
            name: c.name,
            version: c.version,
            archived: c.archived,
        })
    }

    fn fields() -> &'static [(&'static str, &'static str, bool)] {
        &[
            ("name", "field.name", false),
            ("kind", "field.kind", false),
            ("is_key", "field.is_key", true),
            ("division", "field.division", false),
            ("address", "field.address", false),
        ]
    }

    async fn load(state: &AppState, actor: &Actor, id: i64) -> Result<HashMap<String, String>, ApiError> {
        let c = state.store.get_carrier(actor, CarrierId(id)).await?;
        Ok(HashMap::from([
            ("name".into(), c.name),
            ("kind".into(), c.kind),
            ("is_key".into(), c.is_key.to_string()),
            ("division".into(), c.division_code),
            ("address".into(), opt(&c.address)),
            ("version".into(), c.version.to_string()),
        ]))
    }

    fn check(body: &CarrierBody) -> Result<(), StoreError> {
        body.input().map(drop)
    }

    async fn create(state: &AppState, actor: &Actor, body: CarrierBody) -> Result<i64, ApiError> {
        Ok(state.store.create_carrier(actor, body.input()?).await?.id.0)
    }

    async fn update(
        state: &AppState,
        actor: &Actor,
        id: i64,
        version: i64,
        body: CarrierBody,
    ) -> Result<i64, ApiError> {
        Ok(state
            .store
            .update_carrier(actor, CarrierId(id), version, &body.patch())
            .await?
            .id
            .0)
    }

    async fn archive(state: &AppState, actor: &Actor, id: i64, version: i64, archived: bool) -> Result<(), ApiError> {
        state
            .store
            .archive_carrier(actor, CarrierId(id), version, archived)
            .await?;
        Ok(())
    }
}
