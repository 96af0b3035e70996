use super::common::{
    Beside, ListQuery, NameJoin, Named, Page, Scoped, Sorting, check_version, filter_opt, in_division_listed,
    named_one, not_archived, page_of, qualified, scope_condition,
};
use super::name_index::{Indexed, narrow};
use crate::audit::{self, AuditEntry};
use crate::entity::{member, party_org, unit};
use crate::error::unique_as;
use crate::{Actor, Result, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone, ResidentId};
use tongxin_domain::registry::{Labelled, MemberFields, MemberId, MemberStatus, OrgId, UnitId};

/// Input for creating or editing a member record.
#[derive(Debug, Clone)]
pub struct MemberInput {
    pub fields: MemberFields,
    pub org_id: OrgId,
    pub work_unit_id: Option<UnitId>,
}

/// A member as lists and detail pages show it: personal data masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MemberView {
    pub id: MemberId,
    pub name: String,
    pub status: String,
    pub status_label: String,
    pub org_id: OrgId,
    pub org_name: String,
    pub work_unit_id: Option<UnitId>,
    pub work_unit_name: Option<String>,
    pub resident_id_masked: String,
    pub phone_masked: Option<String>,
    pub joined_on: Option<NaiveDate>,
    pub archived: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The full personal data of a member, returned only by the audited reveal.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevealedMember {
    pub id: MemberId,
    pub resident_id: String,
    pub phone: Option<String>,
}

pub(crate) fn scope(actor: &Actor) -> Condition {
    scope_condition(
        actor,
        Scoped::ThroughOrg {
            org_id: member::Column::OrgId,
            division: member::Column::DivisionCode,
        },
    )
}

fn masked_id(raw: &str) -> String {
    ResidentId::parse(raw)
        .map(|r| r.masked())
        .unwrap_or_else(|_| "*".repeat(raw.chars().count()))
}

fn masked_phone(raw: &str) -> String {
    Phone::parse(raw)
        .map(|p| p.masked())
        .unwrap_or_else(|_| "*".repeat(raw.chars().count()))
}

/// The audit form of a member row: personal data masked (the audit log is no place for
/// full values either).
pub(crate) fn member_json(m: &member::Model) -> Option<serde_json::Value> {
    let mut v = serde_json::to_value(m).ok()?;
    let o = v.as_object_mut()?;
    o.insert("resident_id".into(), masked_id(&m.resident_id).into());
    o.insert("phone".into(), m.phone.as_deref().map(masked_phone).into());
    Some(v)
}

/// The names a member shows beside its fields: its organisation's and its work unit's.
pub(crate) fn names() -> Beside<member::Column> {
    Beside {
        names: vec![
            NameJoin::new(party_org::Entity, member::Column::OrgId),
            NameJoin::new(unit::Entity, member::Column::WorkUnitId),
        ],
        extra: None,
    }
}

/// Views of rows read with [`names`]: personal data masked.
fn member_views(rows: Vec<Named<member::Model>>) -> Vec<MemberView> {
    rows.into_iter()
        .map(
            |Named {
                 row: m,
                 names: [org_name, work_unit_name],
                 ..
             }| MemberView {
                status_label: MemberStatus::parse_any(&m.status)
                    .map(|k| k.label_zh())
                    .unwrap_or_default()
                    .to_string(),
                org_name: org_name.unwrap_or_default(),
                work_unit_name,
                resident_id_masked: masked_id(&m.resident_id),
                phone_masked: m.phone.as_deref().map(masked_phone),
                id: MemberId(m.id),
                name: m.name,
                status: m.status,
                org_id: OrgId(m.org_id),
                work_unit_id: m.work_unit_id.map(UnitId),
                joined_on: m.joined_on,
                archived: m.archived,
                version: m.version,
                created_at: m.created_at,
                updated_at: m.updated_at,
            },
        )
        .collect()
}

impl Store {
    /// One member's view, read by `find` with its names (one query).
    pub(crate) async fn member_view(&self, find: sea_orm::Select<member::Entity>) -> Result<MemberView> {
        let row = named_one(&self.read, find, &names()).await?;
        Ok(member_views(vec![row]).remove(0))
    }

    /// Lists members. Search matches a name, a full resident ID exactly, or a masked ID as
    /// shown on screen (`3101********1234`), never a partial ID typed to fish for others.
    pub async fn list_members(&self, actor: &Actor, q: &ListQuery) -> Result<Page<MemberView>> {
        actor.require(Action::ReadRegistry)?;
        let mut sel = member::Entity::find().filter(scope(actor));
        if let Some(d) = q.division.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let d = DivisionCode::parse(d).map_err(|_| StoreError::UnknownDivision(d.into()))?;
            sel = sel.filter(in_division_listed(member::Column::DivisionCode, &d));
        }
        if !q.archived {
            sel = sel.filter(not_archived(self.read.get_database_backend(), member::Column::Archived));
        }
        if let Some(k) = q.kind.as_deref().and_then(MemberStatus::parse_any) {
            sel = sel.filter(member::Column::Status.eq(k.code()));
        }
        let mut by_index = false;
        if let Some(s) = q.search() {
            match member_id_search(&s) {
                Some(by_id) => sel = sel.filter(by_id),
                None => {
                    (sel, by_index) = narrow(
                        &self.read,
                        Indexed::Members,
                        sel,
                        &s,
                        member::Column::Id,
                        member::Column::Name,
                    )
                    .await?;
                }
            }
        }
        let (col, desc) = q.sort_by(&["name", "created_at", "updated_at", "joined_on"]);
        let by_name = col == "name";
        let col = match col {
            "created_at" => member::Column::CreatedAt,
            "updated_at" => member::Column::UpdatedAt,
            "joined_on" => member::Column::JoinedOn,
            _ => member::Column::NameKey,
        };
        let known = self.counted_total(actor, q, super::totals::Listed::Members).await?;
        let (rows, page) = page_of(
            &self.read,
            sel,
            q,
            Sorting {
                col,
                desc,
                by_name,
                name_col: member::Column::NameKey,
                id_col: member::Column::Id,
                by_index,
            },
            &names(),
            |m| m.id,
            known,
        )
        .await?
        .take();
        Ok(page.with(member_views(rows)))
    }

    /// Members of one organisation.
    pub async fn members_of_org(&self, actor: &Actor, org_id: OrgId, q: &ListQuery) -> Result<Page<MemberView>> {
        self.get_org(actor, org_id).await?;
        let mut sel = member::Entity::find()
            .filter(scope(actor))
            .filter(member::Column::OrgId.eq(org_id.0));
        sel = filter_opt(
            sel,
            (!q.archived).then(|| not_archived(self.read.get_database_backend(), member::Column::Archived)),
        );
        let (rows, page) = page_of(
            &self.read,
            sel,
            q,
            Sorting {
                col: member::Column::NameKey,
                desc: false,
                by_name: true,
                name_col: member::Column::NameKey,
                id_col: member::Column::Id,
                by_index: false,
            },
            &names(),
            |m| m.id,
            None,
        )
        .await?
        .take();
        Ok(page.with(member_views(rows)))
    }

    pub(crate) async fn member_model<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: i64,
    ) -> Result<member::Model> {
        member::Entity::find_by_id(id)
            .filter(scope(actor))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)
    }

    pub async fn get_member(&self, actor: &Actor, id: MemberId) -> Result<MemberView> {
        actor.require(Action::ReadRegistry)?;
        self.member_view(member::Entity::find_by_id(id.0).filter(scope(actor)))
            .await
    }

    pub async fn member_history(&self, actor: &Actor, id: MemberId) -> Result<Vec<AuditEntry>> {
        self.get_member(actor, id).await?;
        self.history_of("member", id.0).await
    }

    /// The full resident ID and phone of a member. Every call is written to the audit log
    /// (PIPL; brief §7) before the value is returned.
    pub async fn reveal_member(&self, actor: &Actor, id: MemberId) -> Result<RevealedMember> {
        actor.require(Action::RevealPersonalData)?;
        let txn = self.begin().await?;
        let m = self.member_model(&txn, actor, id.0).await?;
        audit::record(
            &txn,
            actor,
            "reveal",
            "member",
            Some(id.0),
            None,
            Some(serde_json::json!({"fields": ["resident_id", "phone"]})),
        )
        .await?;
        txn.commit().await?;
        Ok(RevealedMember {
            id,
            resident_id: m.resident_id,
            phone: m.phone,
        })
    }

    /// Checks a member's organisation and work unit are in scope (on an edit, those that
    /// change).
    async fn check_member_refs<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        i: &MemberInput,
        before: Option<&member::Model>,
    ) -> Result<()> {
        if before.is_none_or(|b| b.org_id != i.org_id.0) {
            let org = super::refs::org(db, actor, i.org_id, "org_id").await?;
            if org.archived {
                return Err(StoreError::Reference { field: "org_id" });
            }
        }
        if let Some(u) = i.work_unit_id
            && before.is_none_or(|b| b.work_unit_id != Some(u.0))
        {
            super::refs::unit(db, actor, u, "work_unit_id").await?;
        }
        Ok(())
    }

    pub async fn create_member(&self, actor: &Actor, i: MemberInput) -> Result<MemberView> {
        actor.require(Action::WriteMembers)?;
        let txn = self.begin().await?;
        self.check_member_refs(&txn, actor, &i, None).await?;
        if let Err(e) = self.resident_id_answer(&txn, actor, &i.fields.resident_id).await {
            txn.rollback().await?;
            return Err(self.answer_elsewhere(actor, &i.fields.resident_id, e).await);
        }
        let m = insert_member(&txn, i).await?;
        crate::coverage::follow(&txn, crate::coverage::Touched::member(None, Some(&m))).await?;
        audit::record(&txn, actor, "create", "member", Some(m.id), None, member_json(&m)).await?;
        txn.commit().await?;
        self.member_view(member::Entity::find_by_id(m.id)).await
    }

    /// Edits a member. Moving a member to another organisation is one atomic change: the
    /// member is never in two organisations nor in none (brief §4a.6).
    pub async fn update_member(
        &self,
        actor: &Actor,
        id: MemberId,
        version: i64,
        patch: &super::MemberPatch,
    ) -> Result<MemberView> {
        actor.require(Action::WriteMembers)?;
        let txn = self.begin().await?;
        let id = id.0;
        let before = member::Entity::find_by_id(id)
            .filter(scope(actor))
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let i = patch.over(&before)?;
        self.check_member_refs(&txn, actor, &i, Some(&before)).await?;
        // A member keeping its own ID asks nothing about anyone else's.
        if before.resident_id != i.fields.resident_id.reveal()
            && let Err(e) = self.resident_id_answer(&txn, actor, &i.fields.resident_id).await
        {
            txn.rollback().await?;
            return Err(self.answer_elsewhere(actor, &i.fields.resident_id, e).await);
        }
        let after = self.update_member_in(&txn, actor, before, i).await?;
        txn.commit().await?;
        self.member_view(member::Entity::find_by_id(after.id)).await
    }

    /// Applies an edit to a row read in the same transaction (version-checked, audited).
    pub(crate) async fn update_member_in<C: ConnectionTrait>(
        &self,
        txn: &C,
        actor: &Actor,
        before: member::Model,
        i: MemberInput,
    ) -> Result<member::Model> {
        let id = before.id;
        let f = i.fields;
        let res = member::Entity::update_many()
            .col_expr(
                member::Column::NameKey,
                Expr::value(tongxin_domain::text::sort_key(&f.name)),
            )
            .col_expr(member::Column::Name, Expr::value(f.name))
            .col_expr(member::Column::Status, Expr::value(f.status.code()))
            .col_expr(member::Column::OrgId, Expr::value(i.org_id.0))
            .col_expr(member::Column::WorkUnitId, Expr::value(i.work_unit_id.map(i64::from)))
            .col_expr(member::Column::ResidentId, Expr::value(f.resident_id.reveal()))
            .col_expr(
                member::Column::Phone,
                Expr::value(f.phone.as_ref().map(|p| p.reveal().to_string())),
            )
            .col_expr(member::Column::JoinedOn, Expr::value(f.joined_on))
            .col_expr(member::Column::Version, Expr::col(member::Column::Version).add(1))
            .col_expr(member::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(member::Column::Id.eq(id))
            .filter(member::Column::Version.eq(before.version))
            .exec(txn)
            .await
            .map_err(unique_as("resident_id"))?;
        check_version(txn, res.rows_affected, member::Entity::find_by_id(id), |m| m.version).await?;
        let after = member::Entity::find_by_id(id)
            .one(txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        if after.name != before.name {
            super::name_index::rename(txn, Indexed::Members, id, &after.name, &after.name_key).await?;
        }
        crate::coverage::follow(txn, crate::coverage::Touched::member(Some(&before), Some(&after))).await?;
        audit::record(
            txn,
            actor,
            "update",
            "member",
            Some(id),
            member_json(&before),
            member_json(&after),
        )
        .await?;
        Ok(after)
    }

    pub async fn archive_member(
        &self,
        actor: &Actor,
        id: MemberId,
        version: i64,
        archived: bool,
    ) -> Result<MemberView> {
        let id = id.0;
        actor.require(Action::WriteMembers)?;
        let txn = self.begin().await?;
        let find = member::Entity::find_by_id(id).filter(scope(actor));
        let before = find.clone().one(&txn).await?.ok_or(StoreError::NotFound)?;
        let res = member::Entity::update_many()
            .col_expr(member::Column::Archived, Expr::value(archived))
            .col_expr(member::Column::Version, Expr::col(member::Column::Version).add(1))
            .col_expr(member::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(member::Column::Id.eq(id))
            .filter(member::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        let action = if archived { "archive" } else { "restore" };
        crate::coverage::follow(&txn, crate::coverage::Touched::member(Some(&before), Some(&after))).await?;
        audit::record(
            &txn,
            actor,
            action,
            "member",
            Some(id),
            member_json(&before),
            member_json(&after),
        )
        .await?;
        txn.commit().await?;
        self.member_view(member::Entity::find_by_id(after.id)).await
    }
}

/// Answers about a resident ID held outside the territory asked in one hour, per account.
pub const ELSEWHERE_CHECKS_PER_HOUR: u64 = 20;

impl Store {
    /// `Ok` when no other member holds the ID; `Duplicate` when one in the caller's
    /// territory does; `RegisteredElsewhere` when one outside it does.
    pub(crate) async fn resident_id_free<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: &ResidentId,
        self_id: Option<i64>,
    ) -> Result<()> {
        let Some(holder) = member::Entity::find()
            .filter(member::Column::ResidentId.eq(id.reveal()))
            .one(db)
            .await?
        else {
            return Ok(());
        };
        if Some(holder.id) == self_id {
            return Ok(());
        }
        let ours = member::Entity::find_by_id(holder.id)
            .filter(scope(actor))
            .one(db)
            .await?
            .is_some();
        Err(if ours {
            StoreError::Duplicate { field: "resident_id" }
        } else {
            StoreError::RegisteredElsewhere
        })
    }

    /// Whether an account may record `id` for a new holder (reads only; the caller turns
    /// a refusal into its answer with [`Store::answer_elsewhere`] once its own write
    /// transaction is gone): `Duplicate` when a member in its territory holds it,
    /// `RegisteredElsewhere` when one outside does. Past the hourly allowance every ID not
    /// held in the territory is refused alike (`TooManyChecks`), free or not: a refusal
    /// for IDs held elsewhere alone would itself be the answer.
    pub(crate) async fn resident_id_answer<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: &ResidentId,
    ) -> Result<()> {
        let found = self.resident_id_free(db, actor, id, None).await;
        if let Err(StoreError::Duplicate { .. }) = found {
            return found;
        }
        if self.elsewhere_answers(actor).await? >= ELSEWHERE_CHECKS_PER_HOUR {
            return Err(StoreError::TooManyChecks);
        }
        found
    }

    /// Turns a "registered elsewhere" finding into the answer an account may have: the
    /// answer is audited (masked ID), and past [`ELSEWHERE_CHECKS_PER_HOUR`] an account
    /// gets no answer at all, so nobody can sweep IDs to learn who is a party member.
    pub(crate) async fn answer_elsewhere(&self, actor: &Actor, id: &ResidentId, e: StoreError) -> StoreError {
        match e {
            StoreError::RegisteredElsewhere => match self.note_elsewhere(actor, id).await {
                Ok(true) => StoreError::RegisteredElsewhere,
                Ok(false) => StoreError::TooManyChecks,
                Err(db) => db,
            },
            // A refusal past the allowance is recorded too.
            StoreError::TooManyChecks => {
                match self
                    .note_elsewhere_answers(actor, &[id], ELSEWHERE_CHECKS_PER_HOUR)
                    .await
                {
                    Ok(_) => StoreError::TooManyChecks,
                    Err(db) => db,
                }
            }
            e => e,
        }
    }

    /// How many "registered elsewhere" answers this account had in the last hour.
    pub(crate) async fn elsewhere_answers(&self, actor: &Actor) -> Result<u64> {
        use crate::entity::audit as a;
        use sea_orm::PaginatorTrait;
        let since = Utc::now() - chrono::Duration::hours(1);
        let q = a::Entity::find()
            .filter(a::Column::Action.eq("member_elsewhere"))
            .filter(a::Column::At.gt(since));
        let q = match actor.account_id {
            Some(acc) => q.filter(a::Column::AccountId.eq(acc.0)),
            None => q.filter(a::Column::Actor.eq(actor.username.as_str())),
        };
        Ok(q.count(&self.read).await?)
    }

    /// Records one "registered elsewhere" answer; `false` when the account is over its
    /// hourly allowance (then nothing is answered).
    pub(crate) async fn note_elsewhere(&self, actor: &Actor, id: &ResidentId) -> Result<bool> {
        let used = self.elsewhere_answers(actor).await?;
        Ok(self.note_elsewhere_answers(actor, &[id], used).await?[0])
    }

    /// Records "registered elsewhere" answers in one transaction, given the `used` answers
    /// of the last hour: the first ones within the hourly allowance are answered, the
    /// rest refused (as the import decided them).
    pub(crate) async fn note_elsewhere_answers(
        &self,
        actor: &Actor,
        ids: &[&ResidentId],
        used: u64,
    ) -> Result<Vec<bool>> {
        let txn = self.begin().await?;
        let mut answered = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let yes = used + (i as u64) < ELSEWHERE_CHECKS_PER_HOUR;
            audit::record(
                &txn,
                actor,
                if yes {
                    "member_elsewhere"
                } else {
                    "member_elsewhere_refused"
                },
                "resident_id_check",
                None,
                None,
                Some(serde_json::json!({"resident_id": id.masked()})),
            )
            .await?;
            answered.push(yes);
        }
        txn.commit().await?;
        Ok(answered)
    }
}

/// Name contains, full ID equals, or the masked form exactly as lists show it
/// (`3101**********1234`). Nothing in between: a pattern that shows more than the masked
/// form would let a searcher rebuild an ID one guessed digit at a time.
/// A search by resident ID: a whole ID finds its member; a masked one as shown on screen
/// (`3101********1234`) the same set of people as the mask. `None`: the text is a name.
fn member_id_search(s: &str) -> Option<Condition> {
    let code = tongxin_domain::text::code_form(s);
    if let Ok(id) = ResidentId::parse(&code) {
        Some(member::Column::ResidentId.eq(id.reveal()).into())
    } else if let Some((head, tail)) = tongxin_domain::codes::masked_resident_id_parts(&code) {
        // Four characters, ten hidden, four: the same set of people as the masked form.
        let pattern = format!("{head}__________{tail}");
        Some(qualified(member::Column::ResidentId).like(pattern).into())
    } else {
        None
    }
}

pub(crate) async fn insert_member<C: ConnectionTrait>(db: &C, i: MemberInput) -> Result<member::Model> {
    let now = Utc::now();
    let f = i.fields;
    let m = member::Entity::insert(member::ActiveModel {
        name_key: Set(tongxin_domain::text::sort_key(&f.name)),
        name: Set(f.name),
        status: Set(f.status.code().into()),
        org_id: Set(i.org_id.0),
        work_unit_id: Set(i.work_unit_id.map(i64::from)),
        resident_id: Set(f.resident_id.reveal().to_string()),
        phone: Set(f.phone.map(|p| p.reveal().to_string())),
        joined_on: Set(f.joined_on),
        archived: Set(false),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .map_err(unique_as("resident_id"))?;
    super::name_index::put(db, Indexed::Members, &[(m.id, &m.name, &m.name_key)]).await?;
    Ok(m)
}
