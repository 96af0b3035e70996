//! Party members (党员) in the console. Personal data is masked on every page; a full
//! value is shown only on request, audited, on a page no cache keeps.

use super::record::{Detail, DetailView, Listed, RecordPages, day, kinds_of, opt};
use crate::i18n::Lang;
use crate::pickers::PickSpec;
use crate::registry::api::MemberBody;
use crate::shell::history::kind_text;
use crate::{ApiError, AppState};
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::registry::{MemberId, MemberStatus};
use tongxin_store::registry::{ListQuery, PickTarget};
use tongxin_store::{Actor, StoreError};

pub(crate) struct Members;

impl RecordPages for Members {
    const PATH: &'static str = "members";
    const WRITE: Action = Action::WriteMembers;
    const PERSONAL: bool = true;
    type Body = MemberBody;

    fn kinds(lang: Lang) -> Vec<(String, String)> {
        kinds_of::<MemberStatus>(lang)
    }

    fn columns() -> &'static [&'static str] {
        &[
            "field.name",
            "field.status",
            "field.resident_id",
            "field.org",
            "field.phone",
            "field.joined_on",
        ]
    }

    async fn list(state: &AppState, actor: &Actor, q: &ListQuery, lang: Lang) -> Result<Listed, ApiError> {
        let pg = state.store.list_members(actor, q).await?;
        Ok(Listed::of(pg, |m| {
            (
                m.id.0,
                vec![
                    m.name.clone(),
                    kind_text(lang, &m.status, &m.status_label),
                    m.resident_id_masked.clone(),
                    m.org_name.clone(),
                    opt(&m.phone_masked),
                    day(m.joined_on),
                ],
            )
        }))
    }

    async fn detail(state: &AppState, actor: &Actor, id: i64, v: &DetailView) -> Result<Detail, ApiError> {
        let s = &state.store;
        let t = |k: &str| v.t(k);
        let m = s.get_member(actor, MemberId(id)).await?;
        let (rid, phone) = match &v.revealed {
            Some((r, ph)) => (r.clone(), ph.clone().unwrap_or_default()),
            None => (m.resident_id_masked.clone(), opt(&m.phone_masked)),
        };
        Ok(Detail {
            props: vec![
                (t("field.status"), kind_text(v.lang, &m.status, &m.status_label), None),
                (t("field.resident_id"), rid, None),
                (t("field.phone"), phone, None),
                (t("field.org"), m.org_name.clone(), Some(format!("/orgs/{}", m.org_id))),
                (
                    t("field.work_unit"),
                    opt(&m.work_unit_name),
                    m.work_unit_id.map(|u| format!("/units/{u}")),
                ),
                (t("field.joined_on"), day(m.joined_on), None),
            ],
            sections: vec![],
            closing: vec![],
            history: s.member_history(actor, MemberId(id)).await?,
            name: m.name,
            version: m.version,
            archived: m.archived,
        })
    }

    fn fields() -> &'static [(&'static str, &'static str, bool)] {
        &[
            ("name", "field.name", false),
            ("status", "field.status", false),
            ("resident_id", "field.resident_id", false),
            ("phone", "field.phone", false),
            ("org_id", "field.org", false),
            ("work_unit_id", "field.work_unit", false),
            ("joined_on", "field.joined_on", false),
        ]
    }

    fn pickers() -> Vec<PickSpec> {
        vec![
            PickSpec::one("org_id", PickTarget::Org),
            PickSpec::one("work_unit_id", PickTarget::Unit),
        ]
    }

    /// The form shows the masked values: opening it reveals nothing (a link from another
    /// site could open it in a victim's name). A masked value sent back is no change; a
    /// new value replaces the old.
    async fn load(state: &AppState, actor: &Actor, id: i64) -> Result<HashMap<String, String>, ApiError> {
        let m = state.store.get_member(actor, MemberId(id)).await?;
        Ok(HashMap::from([
            ("name".into(), m.name),
            ("status".into(), m.status),
            ("resident_id".into(), m.resident_id_masked),
            ("phone".into(), m.phone_masked.unwrap_or_default()),
            ("org_id".into(), m.org_id.to_string()),
            (
                "work_unit_id".into(),
                m.work_unit_id.map(|c| c.to_string()).unwrap_or_default(),
            ),
            ("joined_on".into(), day(m.joined_on)),
            ("version".into(), m.version.to_string()),
        ]))
    }

    fn check(body: &MemberBody) -> Result<(), StoreError> {
        body.input().map(drop)
    }

    async fn create(state: &AppState, actor: &Actor, body: MemberBody) -> Result<i64, ApiError> {
        Ok(state.store.create_member(actor, body.input()?).await?.id.0)
    }

    async fn update(state: &AppState, actor: &Actor, id: i64, version: i64, body: MemberBody) -> Result<i64, ApiError> {
        Ok(state
            .store
            .update_member(actor, MemberId(id), version, &body.patch())
            .await?
            .id
            .0)
    }

    async fn archive(state: &AppState, actor: &Actor, id: i64, version: i64, archived: bool) -> Result<(), ApiError> {
        state
            .store
            .archive_member(actor, MemberId(id), version, archived)
            .await?;
        Ok(())
    }

    async fn reveal(state: &AppState, actor: &Actor, id: i64) -> Result<(String, Option<String>), ApiError> {
        let r = state.store.reveal_member(actor, MemberId(id)).await?;
        Ok((r.resident_id, r.phone))
    }
}
