//! Projects (项目清单) from claim to award: written by an office from a need, a resource,
//! a match of the two or directly; claimed (认领) by member units, one lead and any
//! partners; signed (签约) at a plenary or elsewhere; reported on monthly, with the
//! months missed flagged to the secretariat; closed with an evaluation. Files (the
//! signed agreement, photos) are kept on disk beside the store, named by their SHA-256;
//! their rows say what each is and whose.

use super::ConferenceRight;
use crate::entity::{
    alliance_attachment as file, alliance_conference as conf, alliance_member as member, alliance_office as office,
    alliance_plenary as plenary, alliance_plenary_item as item, alliance_post as post, alliance_project as project,
    alliance_project_claim as claim, alliance_project_report as report,
};
use crate::error::unique_as;
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tongxin_domain::DomainError;
use tongxin_domain::alliance::{
    AllianceMemberId, AttachmentId, AttachmentPurpose, Category, ClaimRole, ConferenceId, Grade, Month, Office,
    PlenaryId, PlenaryItemKind, ProjectFields, ProjectId, ProjectSource, ProjectStage, ReportFields, check_attachment,
    claim_role, file_label, member_on, missed_months,
};
use tongxin_domain::registry::Labelled;

/// A project as lists show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectSummary {
    #[schema(value_type = i64)]
    pub id: ProjectId,
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    pub title: String,
    pub category: Option<String>,
    pub category_label: Option<String>,
    /// `open`, `signed`, `closed`.
    pub stage: String,
    pub stage_label: String,
    /// `direct`, `from_need`, `from_resource`, `from_match`.
    pub source: String,
    pub division_code: String,
    pub division_name: String,
    /// The lead unit's name, once claimed.
    pub lead: Option<String>,
    /// How many units claimed it.
    pub claim_count: usize,
    /// The member units that claimed it.
    #[schema(value_type = Vec<i64>)]
    pub claimed_by: Vec<AllianceMemberId>,
    /// The need it answers and the resource it uses, if any.
    pub need_post_id: Option<i64>,
    pub resource_post_id: Option<i64>,
    pub signed_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub grade: Option<String>,
    /// Months owed and not reported by today.
    pub missed: Vec<String>,
    pub version: i64,
}

/// A claim (认领) of a project by a member unit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    #[schema(value_type = i64)]
    pub member_id: AllianceMemberId,
    pub member_name: String,
    /// `lead` or `partner`.
    pub role: String,
    pub claimed_on: NaiveDate,
    pub note: Option<String>,
}

/// A monthly progress report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportView {
    pub id: i64,
    /// `2026-03`.
    pub month: String,
    /// `on_track`, `at_risk`, `late`, `done`.
    pub progress: String,
    pub percent: i32,
    pub text: Option<String>,
    pub filed_on: NaiveDate,
    /// Filed after its due day (the 10th of the next month).
    pub filed_late: bool,
    #[schema(value_type = Vec<i64>)]
    pub photos: Vec<AttachmentId>,
}

/// A file kept for a project.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttachmentView {
    #[schema(value_type = i64)]
    pub id: AttachmentId,
    /// `signing`, `photo`, `other_file`.
    pub purpose: String,
    pub file_name: String,
    pub content_type: String,
    pub bytes: i64,
    pub report_id: Option<i64>,
    pub uploaded_at: chrono::DateTime<Utc>,
}

/// A project with its claims, reports and files.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProjectView {
    /// Its title, stage, lead, dates and the months it has not reported, as in the list.
    pub summary: ProjectSummary,
    pub description: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    #[schema(value_type = Option<i64>)]
    pub signed_plenary_id: Option<PlenaryId>,
    /// "第10次全体会议" when signed at a plenary.
    pub signed_plenary_number: Option<i32>,
    pub signed_occasion: Option<String>,
    pub evaluation: Option<String>,
    pub claims: Vec<ClaimView>,
    pub reports: Vec<ReportView>,
    pub files: Vec<AttachmentView>,
}

/// A month a signed project has not reported, past its due day: the flag the
/// secretariat sees (逾期未报).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OverdueReport {
    #[schema(value_type = i64)]
    pub project_id: ProjectId,
    pub title: String,
    pub lead: Option<String>,
    pub month: String,
    pub due_on: NaiveDate,
}

/// A new project: its fields, and the need and the resource it comes from (if any).
#[derive(Debug, Clone)]
pub struct ProjectInput {
    pub fields: ProjectFields,
    pub need: Option<i64>,
    pub resource: Option<i64>,
}

/// What a project written from a need or a resource starts with: their title,
/// category, description, place and dates (the need's first), for a form to show or a
/// request to leave out.
#[derive(Debug, Clone, Default)]
pub struct ProjectDraft {
    pub need: Option<i64>,
    pub resource: Option<i64>,
    pub title: String,
    pub category: String,
    pub description: String,
    pub division: String,
    /// The division's name, for a picker to show.
    pub division_name: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl ProjectDraft {
    /// The project: what was sent, else the draft's; checked whole.
    pub fn fill(
        self,
        title: Option<String>,
        category: Option<String>,
        description: Option<String>,
        division: Option<String>,
        starts_on: Option<NaiveDate>,
        ends_on: Option<NaiveDate>,
    ) -> Result<ProjectInput> {
        let fields = ProjectFields::parse(
            &title.unwrap_or(self.title),
            &category.unwrap_or(self.category),
            &description.unwrap_or(self.description),
            &division.unwrap_or(self.division),
            starts_on.or(self.starts_on),
            ends_on.or(self.ends_on),
        )?;
        Ok(ProjectInput {
            fields,
            need: self.need,
            resource: self.resource,
        })
    }
}

/// An edit of a project: what is `Some` changes (`Some("")` clears a text; dates
/// `Some(None)`). Checked whole.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    pub title: Option<String>,
    pub category: Option<String>,
    pub description: Option<String>,
    pub division: Option<String>,
    pub starts_on: Option<Option<NaiveDate>>,
    pub ends_on: Option<Option<NaiveDate>>,
}

/// A signing (签约): at a plenary (its date is the signing's), or on a day and occasion
/// (年度峰会, 专题签约会).
#[derive(Debug, Clone, Default)]
pub struct Signing {
    pub plenary: Option<PlenaryId>,
    pub signed_on: Option<NaiveDate>,
    pub occasion: Option<String>,
}

/// An uploaded file, as received: what it is for, its name as sent, its bytes.
pub struct Upload {
    pub purpose: AttachmentPurpose,
    pub report: Option<i64>,
    pub name: String,
    pub bytes: Vec<u8>,
}

/// An upload checked and written to disk, waiting for the row that names it.
struct KeptFile {
    purpose: AttachmentPurpose,
    name: String,
    content_type: &'static str,
    sha256: String,
    size: usize,
}

/// An upload's type found from its bytes and checked against what it is for, and its
/// size: the content type it is kept as. The type is read from the first bytes only
/// (magic numbers), cheap enough to ask before a write that the file goes with.
fn check_upload(u: &Upload) -> Result<&'static str> {
    check_attachment(u.purpose, u.bytes.len(), infer::get(&u.bytes).map(|t| t.mime_type()))
        .map_err(|e| StoreError::Invalid(vec![e]))
}

fn audited(m: &project::Model) -> serde_json::Value {
    serde_json::json!({
        "project": m.title,
        "category": m.category,
        "division_code": m.division_code,
        "starts_on": m.starts_on,
        "ends_on": m.ends_on,
        "stage": m.stage,
        "signed_on": m.signed_on,
        "closed_on": m.closed_on,
        "grade": m.grade,
    })
}

fn stage_of(m: &project::Model) -> ProjectStage {
    ProjectStage::parse_any(&m.stage).unwrap_or(ProjectStage::Open)
}

/// Refuses unless the project is at `want`.
fn at_stage(m: &project::Model, want: ProjectStage) -> Result<()> {
    let s = stage_of(m);
    if s == want {
        Ok(())
    } else {
        Err(StoreError::ProjectStage { stage: s.code() })
    }
}

/// Where a file with this digest lies under `dir`: two levels of folders by its first
/// characters, so that no folder grows too large.
fn file_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(&sha[..2]).join(sha)
}

/// Writes `bytes` to `path` unless a file is there already (the same digest is the same
/// bytes): into a temporary file of the same folder first (`tempfile`, a name no other
/// upload holds), synced, then renamed, so a crash never leaves a half-written file under
/// a digest's name.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if path.exists() {
        return Ok(());
    }
    let dir = path.parent().ok_or_else(|| std::io::Error::other("no folder"))?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

impl Store {
    async fn project_and_conference<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        id: ProjectId,
    ) -> Result<(project::Model, conf::Model, ConferenceRight)> {
        let p = project::Entity::find_by_id(id.0)
            .filter(project::Column::Archived.eq(false))
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let c = conf::Entity::find_by_id(p.conference_id)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound)?;
        let right = self.right_on_conference(db, actor, &c).await?;
        // A party member reads the published list ([`Store::published_projects`]), not
        // a project's claims, reports and files.
        if right == ConferenceRight::Public {
            return Err(StoreError::NotFound);
        }
        Ok((p, c, right))
    }

    /// The member units of the project the caller may act for: all of them for an
    /// office, its own for a liaison.
    async fn acts_for<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        c: &conf::Model,
        right: ConferenceRight,
        m: i64,
    ) -> Result<()> {
        match right {
            ConferenceRight::Office => Ok(()),
            ConferenceRight::Liaison
                if self
                    .liaison_members(db, actor, Some(c.id))
                    .await?
                    .iter()
                    .any(|x| x.id == m) =>
            {
                Ok(())
            }
            _ => Err(StoreError::Forbidden),
        }
    }

    /// The posts a project comes from: of the conference, of the right kinds, open.
    async fn source_post<C: ConnectionTrait>(
        &self,
        db: &C,
        c: &conf::Model,
        id: Option<i64>,
        kind: &str,
        field: &'static str,
    ) -> Result<Option<post::Model>> {
        let Some(id) = id else { return Ok(None) };
        let p = post::Entity::find_by_id(id)
            .filter(post::Column::ConferenceId.eq(c.id))
            .filter(post::Column::Kind.eq(kind))
            .filter(post::Column::Archived.eq(false))
            .one(db)
            .await?
            .ok_or(StoreError::Reference { field })?;
        Ok(Some(p))
    }

    /// The draft of a project from need `need` and resource `resource` of conference `c`
    /// (either may be left out): not found when the caller does not see the conference,
    /// a reference error for a post that is not of it or not of that kind.
    pub async fn project_draft(
        &self,
        actor: &Actor,
        c: ConferenceId,
        need: Option<i64>,
        resource: Option<i64>,
    ) -> Result<ProjectDraft> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let n = self
            .source_post(&self.read, &conf, need, "need", "need_post_id")
            .await?;
        let r = self
            .source_post(&self.read, &conf, resource, "resource", "resource_post_id")
            .await?;
        let Some(first) = n.as_ref().or(r.as_ref()) else {
            return Ok(ProjectDraft::default());
        };
        let description = [n.as_ref(), r.as_ref()]
            .into_iter()
            .flatten()
            .map(|p| match &p.description {
                Some(d) => format!("{}：{}", p.title, d),
                None => p.title.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n")
            .chars()
            .take(tongxin_domain::alliance::TEXT_MAX)
            .collect();
        Ok(ProjectDraft {
            need,
            resource,
            title: first.title.clone(),
            category: first
                .category
                .clone()
                .or_else(|| r.as_ref().and_then(|r| r.category.clone()))
                .unwrap_or_default(),
            description,
            division_name: self
                .division_names(std::iter::once(first.division_code.clone()))
                .await?
                .remove(&first.division_code)
                .unwrap_or_default(),
            division: first.division_code.clone(),
            starts_on: first.starts_on,
            ends_on: first.ends_on,
        })
    }

    /// Refuses unless the caller holds at least `need` on the project's conference
    /// (handlers ask before they read a body).
    pub async fn check_project_right(&self, actor: &Actor, id: ProjectId, need: ConferenceRight) -> Result<()> {
        let (_, _, right) = self.project_and_conference(&self.read, actor, id).await?;
        if right < need {
            return Err(StoreError::Forbidden);
        }
        Ok(())
    }

    /// Writes a project for conference `c` (an office that keeps it), from the need and
    /// the resource named (which become `matched`) or directly. Audited.
    pub async fn create_project(&self, actor: &Actor, c: ConferenceId, input: &ProjectInput) -> Result<ProjectView> {
        let f = &input.fields;
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        self.check_post_place(&conf, &f.division).await?;
        let need = self
            .source_post(&txn, &conf, input.need, "need", "need_post_id")
            .await?;
        let resource = self
            .source_post(&txn, &conf, input.resource, "resource", "resource_post_id")
            .await?;
        let now = Utc::now();
        let p = project::Entity::insert(project::ActiveModel {
            conference_id: Set(conf.id),
            title: Set(f.title.clone()),
            category: Set(f.category.map(|c| c.code().to_string())),
            description: Set(f.description.clone()),
            division_code: Set(f.division.to_string()),
            starts_on: Set(f.starts_on),
            ends_on: Set(f.ends_on),
            source: Set(ProjectSource::of(need.is_some(), resource.is_some()).code().into()),
            need_post_id: Set(need.as_ref().map(|p| p.id)),
            resource_post_id: Set(resource.as_ref().map(|p| p.id)),
            stage: Set(ProjectStage::Open.code().into()),
            archived: Set(false),
            version: Set(1),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await?;
        let taken: Vec<i64> = need.iter().chain(resource.iter()).map(|p| p.id).collect();
        if !taken.is_empty() {
            post::Entity::update_many()
                .col_expr(post::Column::Status, Expr::value("matched"))
                .col_expr(post::Column::Version, Expr::col(post::Column::Version).add(1))
                .col_expr(post::Column::UpdatedAt, Expr::value(now))
                .filter(post::Column::Id.is_in(taken))
                .exec(&txn)
                .await?;
        }
        crate::audit::record(&txn, actor, "create", "project", Some(p.id), None, Some(audited(&p))).await?;
        txn.commit().await?;
        self.project_view(p).await
    }

    /// Edits a project's description (an office that keeps the conference): only what
    /// `patch` names changes, checked whole; version-checked, audited.
    pub async fn update_project(
        &self,
        actor: &Actor,
        id: ProjectId,
        version: i64,
        patch: &ProjectPatch,
    ) -> Result<ProjectView> {
        let txn = self.begin().await?;
        let (before, conf, right) = self.project_and_conference(&txn, actor, id).await?;
        if right < ConferenceRight::Office {
            return Err(StoreError::Forbidden);
        }
        if before.version != version {
            return Err(StoreError::Stale {
                current: before.version,
            });
        }
        let keep = |new: &Option<String>, old: Option<&str>| new.clone().unwrap_or_else(|| old.unwrap_or("").into());
        let f = ProjectFields::parse(
            &keep(&patch.title, Some(&before.title)),
            &keep(&patch.category, before.category.as_deref()),
            &keep(&patch.description, before.description.as_deref()),
            &keep(&patch.division, Some(&before.division_code)),
            patch.starts_on.unwrap_or(before.starts_on),
            patch.ends_on.unwrap_or(before.ends_on),
        )?;
        if f.division.as_str() != before.division_code {
            self.check_post_place(&conf, &f.division).await?;
        }
        let find = project::Entity::find_by_id(id.0);
        let res = project::Entity::update_many()
            .col_expr(project::Column::Title, Expr::value(f.title.clone()))
            .col_expr(
                project::Column::Category,
                Expr::value(f.category.map(|c| c.code().to_string())),
            )
            .col_expr(project::Column::Description, Expr::value(f.description.clone()))
            .col_expr(project::Column::DivisionCode, Expr::value(f.division.to_string()))
            .col_expr(project::Column::StartsOn, Expr::value(f.starts_on))
            .col_expr(project::Column::EndsOn, Expr::value(f.ends_on))
            .col_expr(project::Column::Version, Expr::col(project::Column::Version).add(1))
            .col_expr(project::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(project::Column::Id.eq(id.0))
            .filter(project::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "update",
            "project",
            Some(id.0),
            Some(audited(&before)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        self.project_view(after).await
    }

    /// Member unit `m` claims (认领) an open project: its liaison, or an office for any
    /// member. The unit must be a member today; the first claim leads unless another
    /// role is asked; a unit claims once. Audited.
    pub async fn claim_project(
        &self,
        actor: &Actor,
        id: ProjectId,
        m: AllianceMemberId,
        role: Option<ClaimRole>,
        note: Option<String>,
    ) -> Result<ProjectView> {
        let txn = self.begin().await?;
        if self.backend() == crate::Backend::Postgres {
            // Two claims at once must not both take the lead.
            project::Entity::find_by_id(id.0).lock_exclusive().one(&txn).await?;
        }
        let (p, conf, right) = self.project_and_conference(&txn, actor, id).await?;
        let unit = self
            .member_of(&txn, &conf, m)
            .await
            .map_err(|_| StoreError::Reference { field: "member" })?;
        self.acts_for(&txn, actor, &conf, right, unit.id).await?;
        at_stage(&p, ProjectStage::Open)?;
        let today = Utc::now().date_naive();
        if !member_on(unit.joined_on, unit.left_on, today) {
            return Err(StoreError::NotAMember { field: "member" });
        }
        let claims = claim::Entity::find()
            .filter(claim::Column::ProjectId.eq(p.id))
            .all(&txn)
            .await?;
        if claims.iter().any(|c| c.member_id == unit.id) {
            return Err(StoreError::Duplicate { field: "member" });
        }
        let has_lead = claims.iter().any(|c| c.role == ClaimRole::Lead.code());
        let role = claim_role(role, has_lead).map_err(|e| StoreError::Invalid(vec![e]))?;
        let note = tongxin_domain::registry::optional_text("note", note.as_deref().unwrap_or(""), 200)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        claim::Entity::insert(claim::ActiveModel {
            project_id: Set(p.id),
            member_id: Set(unit.id),
            role: Set(role.code().into()),
            claimed_on: Set(today),
            note: Set(note),
            created_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_without_returning(&txn)
        .await
        .map_err(unique_as("member"))?;
        crate::audit::record(
            &txn,
            actor,
            "claim",
            "project",
            Some(p.id),
            None,
            Some(serde_json::json!({ "member": unit.name, "role": role.code() })),
        )
        .await?;
        txn.commit().await?;
        self.project_view(p).await
    }

    /// Signs an open project (an office): the units that claimed it are its parties,
    /// and each must be a member on the day. At a plenary, the plenary's date is the
    /// signing's and its record gains the signing. Audited.
    pub async fn sign_project(&self, actor: &Actor, id: ProjectId, version: i64, s: &Signing) -> Result<ProjectView> {
        self.sign_project_with(actor, id, version, s, None).await
    }

    /// Signs a project as [`Store::sign_project`] does, with its agreement kept in the
    /// same transaction: the file is checked and written to disk first (rights are
    /// asked before), so a refused signing leaves no row naming it and a refused file
    /// leaves the project unsigned.
    pub async fn sign_project_with(
        &self,
        actor: &Actor,
        id: ProjectId,
        version: i64,
        s: &Signing,
        agreement: Option<Upload>,
    ) -> Result<ProjectView> {
        let occasion = tongxin_domain::registry::optional_text("occasion", s.occasion.as_deref().unwrap_or(""), 100)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let kept = match agreement {
            Some(up) => {
                let (p, _, right) = self.project_and_conference(&self.read, actor, id).await?;
                if right != ConferenceRight::Office {
                    return Err(StoreError::Forbidden);
                }
                at_stage(&p, ProjectStage::Open)?;
                Some(self.keep_file(up, Some(AttachmentPurpose::Signing)).await?)
            }
            None => None,
        };
        let txn = self.begin().await?;
        let p0 = project::Entity::find_by_id(id.0)
            .one(&txn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let conf = self
            .conference_for_write(&txn, actor, ConferenceId(p0.conference_id))
            .await?;
        let (p, _, _) = self.project_and_conference(&txn, actor, id).await?;
        if p.version != version {
            return Err(StoreError::Stale { current: p.version });
        }
        at_stage(&p, ProjectStage::Open)?;
        let at = match s.plenary {
            Some(pl) => Some(
                plenary::Entity::find_by_id(pl.0)
                    .filter(plenary::Column::ConferenceId.eq(conf.id))
                    .one(&txn)
                    .await?
                    .ok_or(StoreError::Reference { field: "plenary" })?,
            ),
            None => None,
        };
        let signed_on = match (&at, s.signed_on) {
            (Some(pl), Some(d)) if d != pl.held_on => {
                return Err(StoreError::Invalid(vec![DomainError::Inconsistent {
                    field: "signed_on",
                }]));
            }
            (Some(pl), _) => pl.held_on,
            (None, Some(d)) => d,
            (None, None) => return Err(StoreError::Invalid(vec![DomainError::Required { field: "signed_on" }])),
        };
        let claims = claim::Entity::find()
            .filter(claim::Column::ProjectId.eq(p.id))
            .all(&txn)
            .await?;
        if claims.is_empty() {
            return Err(StoreError::Unclaimed);
        }
        let parties = member::Entity::find()
            .filter(member::Column::Id.is_in(claims.iter().map(|c| c.member_id)))
            .all(&txn)
            .await?;
        if parties.iter().any(|m| !member_on(m.joined_on, m.left_on, signed_on)) {
            return Err(StoreError::NotAMember { field: "signed_on" });
        }
        let find = project::Entity::find_by_id(p.id);
        let res = project::Entity::update_many()
            .col_expr(project::Column::Stage, Expr::value(ProjectStage::Signed.code()))
            .col_expr(project::Column::SignedOn, Expr::value(signed_on))
            .col_expr(
                project::Column::SignedPlenaryId,
                Expr::value(at.as_ref().map(|pl| pl.id)),
            )
            .col_expr(project::Column::SignedOccasion, Expr::value(occasion.clone()))
            .col_expr(project::Column::Version, Expr::col(project::Column::Version).add(1))
            .col_expr(project::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(project::Column::Id.eq(p.id))
            .filter(project::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        if let Some(pl) = &at {
            let names = self.names_of_members(&parties).await?;
            let mut who: Vec<String> = claims.iter().filter_map(|c| names.get(&c.member_id).cloned()).collect();
            who.dedup();
            item::Entity::insert(item::ActiveModel {
                plenary_id: Set(pl.id),
                kind: Set(PlenaryItemKind::Signing.code().into()),
                text: Set(format!("{}（{}）", p.title, who.join("、"))),
                member_id: Set(None),
                created_at: Set(Utc::now()),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        if let Some(k) = kept {
            self.insert_file(&txn, actor, &after, k, None).await?;
        }
        crate::audit::record(
            &txn,
            actor,
            "sign",
            "project",
            Some(p.id),
            Some(audited(&p)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        self.project_view(after).await
    }

    /// Files a monthly report of a signed project: a liaison of a claiming unit, or an
    /// office. One report a month, for a month from the signing up to this one. Audited.
    pub async fn file_report(&self, actor: &Actor, id: ProjectId, r: &ReportFields) -> Result<ReportView> {
        self.report_filed_at(actor, id, r, Utc::now(), None).await
    }

    /// Files a report as [`Store::file_report`] does, with its photo kept in the same
    /// transaction (checked and written to disk first, rights asked before).
    pub async fn file_report_with(
        &self,
        actor: &Actor,
        id: ProjectId,
        r: &ReportFields,
        photo: Option<Upload>,
    ) -> Result<ReportView> {
        let kept = match photo {
            Some(up) => {
                let (p, c, right) = self.project_and_conference(&self.read, actor, id).await?;
                self.may_report(&self.read, actor, &c, right, &p).await?;
                at_stage(&p, ProjectStage::Signed)?;
                Some(self.keep_file(up, Some(AttachmentPurpose::Photo)).await?)
            }
            None => None,
        };
        self.report_filed_at(actor, id, r, Utc::now(), kept).await
    }

    /// Records a report kept on paper with the day it was filed (补录): the command
    /// line's and the demo's, never an account's (a person files today).
    pub async fn backfill_report(
        &self,
        actor: &Actor,
        id: ProjectId,
        r: &ReportFields,
        filed_on: NaiveDate,
    ) -> Result<ReportView> {
        if actor.account_id.is_some() {
            return Err(StoreError::Forbidden);
        }
        let at = filed_on
            .and_hms_opt(9, 0, 0)
            .map(|t| t.and_utc())
            .ok_or(StoreError::Invalid(vec![DomainError::OutOfRange { field: "filed_on" }]))?;
        self.report_filed_at(actor, id, r, at, None).await
    }

    async fn report_filed_at(
        &self,
        actor: &Actor,
        id: ProjectId,
        r: &ReportFields,
        now: chrono::DateTime<Utc>,
        photo: Option<KeptFile>,
    ) -> Result<ReportView> {
        let today = now.date_naive();
        let txn = self.begin().await?;
        let (p, conf, right) = self.project_and_conference(&txn, actor, id).await?;
        self.may_report(&txn, actor, &conf, right, &p).await?;
        at_stage(&p, ProjectStage::Signed)?;
        let signed_on = p.signed_on.ok_or(StoreError::ProjectStage { stage: "open" })?;
        r.check_month(signed_on, today)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let row = report::Entity::insert(report::ActiveModel {
            project_id: Set(p.id),
            month: Set(r.month.first_day()),
            progress: Set(r.progress.code().into()),
            percent: Set(i32::from(r.percent)),
            text: Set(r.text.clone()),
            filed_by: Set(actor.account_id.map(|a| a.0)),
            filed_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(&txn)
        .await
        .map_err(|e| match unique_as("month")(e) {
            StoreError::Duplicate { .. } => StoreError::Duplicate { field: "month" },
            other => other,
        })?;
        crate::audit::record(
            &txn,
            actor,
            "report",
            "project",
            Some(p.id),
            None,
            Some(serde_json::json!({ "month": r.month.to_string(), "progress": r.progress.code(), "percent": r.percent })),
        )
        .await?;
        let files = match photo {
            Some(k) => vec![AttachmentId(
                self.insert_file(&txn, actor, &p, k, Some(row.id)).await?.id,
            )],
            None => vec![],
        };
        txn.commit().await?;
        Ok(report_view(row, files))
    }

    /// Refuses unless the caller may report on (and attach files to) project `p`: an
    /// office, or a liaison of a unit that claimed it.
    async fn may_report<C: ConnectionTrait>(
        &self,
        db: &C,
        actor: &Actor,
        c: &conf::Model,
        right: ConferenceRight,
        p: &project::Model,
    ) -> Result<()> {
        if right == ConferenceRight::Office {
            return Ok(());
        }
        let mine: Vec<i64> = self
            .liaison_members(db, actor, Some(c.id))
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
        let claimed = claim::Entity::find()
            .filter(claim::Column::ProjectId.eq(p.id))
            .filter(claim::Column::MemberId.is_in(mine))
            .one(db)
            .await?;
        claimed.map(|_| ()).ok_or(StoreError::Forbidden)
    }

    /// Closes a signed project with its evaluation (an office): its grade and words, on
    /// a day not before its signing. Audited.
    pub async fn evaluate_project(
        &self,
        actor: &Actor,
        id: ProjectId,
        version: i64,
        grade: Grade,
        closed_on: NaiveDate,
        text: Option<String>,
    ) -> Result<ProjectView> {
        let text = tongxin_domain::registry::optional_text(
            "evaluation",
            text.as_deref().unwrap_or(""),
            tongxin_domain::alliance::TEXT_MAX,
        )
        .map_err(|e| StoreError::Invalid(vec![e]))?;
        let txn = self.begin().await?;
        let (p, _, right) = self.project_and_conference(&txn, actor, id).await?;
        if right < ConferenceRight::Office {
            return Err(StoreError::Forbidden);
        }
        if p.version != version {
            return Err(StoreError::Stale { current: p.version });
        }
        at_stage(&p, ProjectStage::Signed)?;
        if p.signed_on.is_some_and(|s| closed_on < s) {
            return Err(StoreError::Invalid(vec![DomainError::OutOfOrder {
                field: "closed_on",
            }]));
        }
        let find = project::Entity::find_by_id(p.id);
        let res = project::Entity::update_many()
            .col_expr(project::Column::Stage, Expr::value(ProjectStage::Closed.code()))
            .col_expr(project::Column::ClosedOn, Expr::value(closed_on))
            .col_expr(project::Column::Grade, Expr::value(grade.code()))
            .col_expr(project::Column::Evaluation, Expr::value(text))
            .col_expr(project::Column::Version, Expr::col(project::Column::Version).add(1))
            .col_expr(project::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(project::Column::Id.eq(p.id))
            .filter(project::Column::Version.eq(version))
            .exec(&txn)
            .await?;
        check_version(&txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(&txn).await?.ok_or(StoreError::NotFound)?;
        crate::audit::record(
            &txn,
            actor,
            "evaluate",
            "project",
            Some(p.id),
            Some(audited(&p)),
            Some(audited(&after)),
        )
        .await?;
        txn.commit().await?;
        self.project_view(after).await
    }

    /// Refuses unless the caller may attach files to project `id` (asked before an
    /// upload is read).
    pub async fn check_project_attachable(&self, actor: &Actor, id: ProjectId) -> Result<()> {
        let (p, c, right) = self.project_and_conference(&self.read, actor, id).await?;
        self.may_report(&self.read, actor, &c, right, &p).await
    }

    /// Keeps a file for a project (an office, or a liaison of a claiming unit): its type
    /// found from its bytes and checked against what it is for, its size bounded, the
    /// bytes written to disk (named by their SHA-256) before the row that names them is
    /// committed. A photo belongs to one of the project's reports. Audited.
    pub async fn add_attachment(&self, actor: &Actor, id: ProjectId, up: Upload) -> Result<AttachmentView> {
        let (p, c, right) = self.project_and_conference(&self.read, actor, id).await?;
        self.may_report(&self.read, actor, &c, right, &p).await?;
        let report = up.report;
        let kept = self.keep_file(up, None).await?;
        let txn = self.begin().await?;
        let (p, _, _) = self.project_and_conference(&txn, actor, id).await?;
        if let Some(r) = report {
            report::Entity::find_by_id(r)
                .filter(report::Column::ProjectId.eq(p.id))
                .one(&txn)
                .await?
                .ok_or(StoreError::Reference { field: "report_id" })?;
        } else if kept.purpose == AttachmentPurpose::Photo {
            return Err(StoreError::Invalid(vec![DomainError::Required { field: "report_id" }]));
        }
        let row = self.insert_file(&txn, actor, &p, kept, report).await?;
        txn.commit().await?;
        Ok(attachment_view(row))
    }

    /// Checks an upload (its type from its bytes against what it is for, its size) and
    /// writes it to disk under its SHA-256: CPU work and blocking I/O, off the async
    /// workers. `purpose` overrides the upload's own when the form it came with fixes it
    /// (an agreement with a signing, a photo with a report).
    async fn keep_file(&self, mut up: Upload, purpose: Option<AttachmentPurpose>) -> Result<KeptFile> {
        if let Some(p) = purpose {
            up.purpose = p;
        }
        let dir = self.files_dir();
        tokio::task::spawn_blocking(move || -> Result<KeptFile> {
            use sha2::Digest;
            let content_type = check_upload(&up)?;
            let sha256 = hex::encode(sha2::Sha256::digest(&up.bytes));
            write_file(&file_path(&dir, &sha256), &up.bytes)?;
            Ok(KeptFile {
                purpose: up.purpose,
                name: file_label(&up.name),
                content_type,
                sha256,
                size: up.bytes.len(),
            })
        })
        .await
        .map_err(|e| StoreError::Io(std::io::Error::other(e)))?
    }

    /// The row naming a kept file, in the caller's transaction. Audited.
    async fn insert_file(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &Actor,
        p: &project::Model,
        k: KeptFile,
        report: Option<i64>,
    ) -> Result<file::Model> {
        let row = file::Entity::insert(file::ActiveModel {
            conference_id: Set(p.conference_id),
            project_id: Set(p.id),
            report_id: Set(report),
            purpose: Set(k.purpose.code().into()),
            file_name: Set(k.name),
            content_type: Set(k.content_type.into()),
            bytes: Set(i64::try_from(k.size).unwrap_or(i64::MAX)),
            sha256: Set(k.sha256),
            uploaded_by: Set(actor.account_id.map(|a| a.0)),
            uploaded_at: Set(Utc::now()),
            ..Default::default()
        })
        .exec_with_returning(txn)
        .await?;
        crate::audit::record(
            txn,
            actor,
            "attach",
            "project",
            Some(p.id),
            None,
            Some(serde_json::json!({ "file": row.file_name, "purpose": row.purpose, "bytes": row.bytes })),
        )
        .await?;
        Ok(row)
    }

    /// A file of a project the caller sees, with its bytes read from disk.
    pub async fn read_attachment(&self, actor: &Actor, id: AttachmentId) -> Result<(AttachmentView, Vec<u8>)> {
        let row = file::Entity::find_by_id(id.0)
            .one(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        self.project_and_conference(&self.read, actor, ProjectId(row.project_id))
            .await?;
        let path = file_path(&self.files_dir(), &row.sha256);
        let bytes = tokio::fs::read(&path).await?;
        Ok((attachment_view(row), bytes))
    }

    /// One project the caller sees.
    pub async fn get_project(&self, actor: &Actor, id: ProjectId) -> Result<ProjectView> {
        let (p, _, _) = self.project_and_conference(&self.read, actor, id).await?;
        self.project_view(p).await
    }

    /// The projects of a conference the caller sees, newest first; of one stage if asked.
    pub async fn list_projects(
        &self,
        actor: &Actor,
        c: ConferenceId,
        stage: Option<ProjectStage>,
    ) -> Result<Vec<ProjectSummary>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let mut q = project::Entity::find()
            .filter(project::Column::ConferenceId.eq(conf.id))
            .filter(project::Column::Archived.eq(false));
        if let Some(s) = stage {
            q = q.filter(project::Column::Stage.eq(s.code()));
        }
        let rows = q
            .order_by_desc(project::Column::CreatedAt)
            .order_by_desc(project::Column::Id)
            .all(&self.read)
            .await?;
        self.project_summaries(rows, Utc::now().date_naive()).await
    }

    /// The project a post was turned into, if the caller sees it.
    pub async fn project_of_post(&self, actor: &Actor, post: i64) -> Result<Option<ProjectSummary>> {
        let v = self.get_post(actor, post).await?;
        let rows = project::Entity::find()
            .filter(project::Column::ConferenceId.eq(v.conference_id.0))
            .filter(project::Column::Archived.eq(false))
            .filter(
                sea_orm::Condition::any()
                    .add(project::Column::NeedPostId.eq(post))
                    .add(project::Column::ResourcePostId.eq(post)),
            )
            .order_by_desc(project::Column::Id)
            .limit(1)
            .all(&self.read)
            .await?;
        Ok(self.project_summaries(rows, Utc::now().date_naive()).await?.pop())
    }

    /// The projects conference `c` has signed or closed, newest signing first: what
    /// every reader of it may see, party members of its territory too.
    pub async fn published_projects(&self, actor: &Actor, c: ConferenceId) -> Result<Vec<ProjectSummary>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Public)
            .await?;
        let rows = project::Entity::find()
            .filter(project::Column::ConferenceId.eq(conf.id))
            .filter(project::Column::Archived.eq(false))
            .filter(project::Column::Stage.ne(ProjectStage::Open.code()))
            .order_by_desc(project::Column::SignedOn)
            .order_by_asc(project::Column::Id)
            .all(&self.read)
            .await?;
        self.project_summaries(rows, Utc::now().date_naive()).await
    }

    /// The months signed projects of conference `c` owe and have not reported by
    /// `today`, oldest first: the flags the secretariat works from. Offices of the
    /// conference and liaisons of the secretariat unit (秘书处单位) see them.
    pub async fn overdue_reports(
        &self,
        actor: &Actor,
        c: ConferenceId,
        today: NaiveDate,
    ) -> Result<Vec<OverdueReport>> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        if self.right_on_conference(&self.read, actor, &conf).await? < ConferenceRight::Office
            && !self.is_secretariat_liaison(actor, &conf, today).await?
        {
            return Err(StoreError::Forbidden);
        }
        let rows = project::Entity::find()
            .filter(project::Column::ConferenceId.eq(conf.id))
            .filter(project::Column::Archived.eq(false))
            .filter(project::Column::Stage.eq(ProjectStage::Signed.code()))
            .all(&self.read)
            .await?;
        let summaries = self.project_summaries(rows, today).await?;
        let mut out: Vec<OverdueReport> = summaries
            .into_iter()
            .flat_map(|s| {
                s.missed
                    .iter()
                    .filter_map(|m| Month::parse(m).ok())
                    .map(move |m| OverdueReport {
                        project_id: s.id,
                        title: s.title.clone(),
                        lead: s.lead.clone(),
                        month: m.to_string(),
                        due_on: m.due_on(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        out.sort_by(|a, b| a.due_on.cmp(&b.due_on).then(a.title.cmp(&b.title)));
        Ok(out)
    }

    /// True when the caller is a liaison of the unit that holds the secretariat today.
    pub(crate) async fn is_secretariat_liaison(
        &self,
        actor: &Actor,
        c: &conf::Model,
        today: NaiveDate,
    ) -> Result<bool> {
        let mine: Vec<i64> = self
            .liaison_members(&self.read, actor, Some(c.id))
            .await?
            .iter()
            .map(|m| m.id)
            .collect();
        if mine.is_empty() {
            return Ok(false);
        }
        let held = office::Entity::find()
            .filter(office::Column::ConferenceId.eq(c.id))
            .filter(office::Column::Office.eq(Office::Secretariat.code()))
            .filter(office::Column::MemberId.is_in(mine))
            .filter(office::Column::StartsOn.lte(today))
            .filter(
                sea_orm::Condition::any()
                    .add(office::Column::EndsOn.is_null())
                    .add(office::Column::EndsOn.gte(today)),
            )
            .one(&self.read)
            .await?;
        Ok(held.is_some())
    }

    async fn project_summaries(&self, rows: Vec<project::Model>, today: NaiveDate) -> Result<Vec<ProjectSummary>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let claims = if ids.is_empty() {
            vec![]
        } else {
            claim::Entity::find()
                .filter(claim::Column::ProjectId.is_in(ids.clone()))
                .all(&self.read)
                .await?
        };
        let months: Vec<(i64, NaiveDate)> = if ids.is_empty() {
            vec![]
        } else {
            report::Entity::find()
                .select_only()
                .column(report::Column::ProjectId)
                .column(report::Column::Month)
                .filter(report::Column::ProjectId.is_in(ids))
                .into_tuple()
                .all(&self.read)
                .await?
        };
        let mut reported: HashMap<i64, Vec<Month>> = HashMap::new();
        for (p, m) in months {
            reported.entry(p).or_default().push(Month::of(m));
        }
        let names = self.member_names(claims.iter().map(|c| c.member_id)).await?;
        let divisions = self
            .division_names(rows.iter().map(|r| r.division_code.clone()))
            .await?;
        Ok(rows
            .into_iter()
            .map(|m| {
                let mine: Vec<&claim::Model> = claims.iter().filter(|c| c.project_id == m.id).collect();
                let months = reported.get(&m.id).map(Vec::as_slice).unwrap_or(&[]);
                summarise(m, &mine, months, &names, &divisions, today)
            })
            .collect())
    }

    async fn project_view(&self, m: project::Model) -> Result<ProjectView> {
        let claims = claim::Entity::find()
            .filter(claim::Column::ProjectId.eq(m.id))
            .order_by_asc(claim::Column::Id)
            .all(&self.read)
            .await?;
        let names = self.member_names(claims.iter().map(|c| c.member_id)).await?;
        let reports = report::Entity::find()
            .filter(report::Column::ProjectId.eq(m.id))
            .order_by_desc(report::Column::Month)
            .all(&self.read)
            .await?;
        let files = file::Entity::find()
            .filter(file::Column::ProjectId.eq(m.id))
            .order_by_asc(file::Column::Id)
            .all(&self.read)
            .await?;
        let number = match m.signed_plenary_id {
            Some(pl) => plenary::Entity::find_by_id(pl).one(&self.read).await?.map(|p| p.number),
            None => None,
        };
        let divisions = self.division_names(std::iter::once(m.division_code.clone())).await?;
        let months: Vec<Month> = reports.iter().map(|r| Month::of(r.month)).collect();
        let summary = summarise(
            m.clone(),
            &claims.iter().collect::<Vec<_>>(),
            &months,
            &names,
            &divisions,
            Utc::now().date_naive(),
        );
        Ok(ProjectView {
            summary,
            description: m.description,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            signed_plenary_id: m.signed_plenary_id.map(PlenaryId),
            signed_plenary_number: number,
            signed_occasion: m.signed_occasion,
            evaluation: m.evaluation,
            claims: claims
                .into_iter()
                .map(|c| ClaimView {
                    member_id: AllianceMemberId(c.member_id),
                    member_name: names.get(&c.member_id).cloned().unwrap_or_default(),
                    role: c.role,
                    claimed_on: c.claimed_on,
                    note: c.note,
                })
                .collect(),
            reports: reports
                .into_iter()
                .map(|r| {
                    let photos = files
                        .iter()
                        .filter(|f| f.report_id == Some(r.id))
                        .map(|f| AttachmentId(f.id))
                        .collect();
                    report_view(r, photos)
                })
                .collect(),
            files: files.into_iter().map(attachment_view).collect(),
        })
    }

    /// Where attachments are kept.
    pub(crate) fn files_dir(&self) -> PathBuf {
        self.files_dir.as_ref().clone()
    }
}

/// A project's summary from its row, its claims, the months it reported, and the names
/// of members and divisions: its lead, its stage and the months it owes by `today`.
fn summarise(
    m: project::Model,
    mine: &[&claim::Model],
    reported: &[Month],
    names: &HashMap<i64, String>,
    divisions: &HashMap<String, String>,
    today: NaiveDate,
) -> ProjectSummary {
    let lead = mine
        .iter()
        .find(|c| c.role == ClaimRole::Lead.code())
        .and_then(|c| names.get(&c.member_id).cloned());
    let stage = stage_of(&m);
    let missed = match (stage, m.signed_on) {
        (ProjectStage::Open, _) | (_, None) => vec![],
        (_, Some(s)) => missed_months(s, m.closed_on, today, reported)
            .iter()
            .map(|x| x.to_string())
            .collect(),
    };
    let category = m.category.as_deref().and_then(Category::parse_any);
    ProjectSummary {
        id: ProjectId(m.id),
        conference_id: ConferenceId(m.conference_id),
        category_label: category.map(|c| c.label_zh().to_string()),
        category: m.category,
        stage: stage.code().into(),
        stage_label: stage.label_zh().into(),
        source: m.source,
        division_name: divisions.get(&m.division_code).cloned().unwrap_or_default(),
        division_code: m.division_code,
        lead,
        claim_count: mine.len(),
        claimed_by: mine.iter().map(|c| AllianceMemberId(c.member_id)).collect(),
        need_post_id: m.need_post_id,
        resource_post_id: m.resource_post_id,
        signed_on: m.signed_on,
        closed_on: m.closed_on,
        grade: m.grade,
        missed,
        version: m.version,
        title: m.title,
    }
}

fn report_view(r: report::Model, photos: Vec<AttachmentId>) -> ReportView {
    let month = Month::of(r.month);
    let filed_on = r.filed_at.date_naive();
    ReportView {
        id: r.id,
        month: month.to_string(),
        progress: r.progress,
        percent: r.percent,
        text: r.text,
        filed_on,
        filed_late: filed_on > month.due_on(),
        photos,
    }
}

fn attachment_view(f: file::Model) -> AttachmentView {
    AttachmentView {
        id: AttachmentId(f.id),
        purpose: f.purpose,
        file_name: f.file_name,
        content_type: f.content_type,
        bytes: f.bytes,
        report_id: f.report_id,
        uploaded_at: f.uploaded_at,
    }
}
