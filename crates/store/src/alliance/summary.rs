//! A conference's annual summary (年度工作总结数据): its member units by kind at the
//! year's end, the plenaries held and the units admitted, the needs, resources and
//! projects of the year by status, the matches turned into projects, the signings, the
//! pairs active and what they did. Read by the summary page, its workbook, the API and
//! the big screen's alliance panel.

use super::ConferenceRight;
use crate::entity::{
    alliance_member as member, alliance_pair as pair, alliance_pair_activity as activity, alliance_plenary as plenary,
    alliance_post as post, alliance_project as project,
};
use crate::{Actor, Result, Store};
use chrono::{NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tongxin_domain::alliance::{ConferenceId, MemberKind, PairKind, ProjectSource, ProjectStage, member_on};
use tongxin_domain::registry::Labelled;

/// A count under a code and its Chinese label (the page translates the code).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SummaryCount {
    pub code: String,
    pub label: String,
    pub count: usize,
}

/// The needs or the resources of a year: posted that year, and the status of those.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ListFigures {
    pub posted: usize,
    pub open: usize,
    pub matched: usize,
    pub closed: usize,
}

/// A plenary of the year.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SummaryPlenary {
    pub number: i32,
    pub held_on: NaiveDate,
}

/// A conference's year in figures.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AnnualSummary {
    #[schema(value_type = i64)]
    pub conference_id: ConferenceId,
    pub conference_name: String,
    pub year: i32,
    /// The day the figures stand at: the year's last day, or today in the current year.
    pub as_of: NaiveDate,
    pub members: usize,
    pub members_by_kind: Vec<SummaryCount>,
    pub plenaries: Vec<SummaryPlenary>,
    /// Units that joined during the year (admitted at a plenary or otherwise).
    pub admitted: usize,
    pub needs: ListFigures,
    pub resources: ListFigures,
    /// Projects written during the year, by the stage they are at now.
    pub projects_by_stage: Vec<SummaryCount>,
    /// Of them, written from a need matched with a resource.
    pub matches_to_projects: usize,
    /// Projects signed during the year.
    pub signings: usize,
    /// Pairs active at some time of the year, by kind.
    pub pairs_active: Vec<SummaryCount>,
    pub pair_activities: usize,
}

impl Store {
    /// The summary of conference `c` for `year` (a reader of the conference).
    pub async fn annual_summary(&self, actor: &Actor, c: ConferenceId, year: i32) -> Result<AnnualSummary> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Read)
            .await?;
        let today = Utc::now().date_naive();
        let bad = || crate::StoreError::Invalid(vec![tongxin_domain::DomainError::OutOfRange { field: "year" }]);
        let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(bad)?;
        let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(bad)?;
        if year < 1949 || first > today {
            return Err(bad());
        }
        let as_of = last.min(today);
        let in_year = |d: NaiveDate| first <= d && d <= as_of;

        let members = member::Entity::find()
            .filter(member::Column::ConferenceId.eq(conf.id))
            .filter(member::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let of_the_day: Vec<&member::Model> = members
            .iter()
            .filter(|m| member_on(m.joined_on, m.left_on, as_of))
            .collect();
        let members_by_kind = MemberKind::ALL
            .iter()
            .map(|k| SummaryCount {
                code: k.code().into(),
                label: k.label_zh().into(),
                count: of_the_day.iter().filter(|m| m.kind == k.code()).count(),
            })
            .filter(|x| x.count > 0)
            .collect();
        let plenaries: Vec<SummaryPlenary> = plenary::Entity::find()
            .filter(plenary::Column::ConferenceId.eq(conf.id))
            .order_by_asc(plenary::Column::Number)
            .all(&self.read)
            .await?
            .into_iter()
            .filter(|p| in_year(p.held_on))
            .map(|p| SummaryPlenary {
                number: p.number,
                held_on: p.held_on,
            })
            .collect();

        let posts = post::Entity::find()
            .filter(post::Column::ConferenceId.eq(conf.id))
            .filter(post::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let figures = |kind: &str| {
            let mut f = ListFigures::default();
            for p in posts
                .iter()
                .filter(|p| p.kind == kind && in_year(p.created_at.date_naive()))
            {
                f.posted += 1;
                match p.status.as_str() {
                    "matched" => f.matched += 1,
                    "closed" => f.closed += 1,
                    _ => f.open += 1,
                }
            }
            f
        };

        let projects = project::Entity::find()
            .filter(project::Column::ConferenceId.eq(conf.id))
            .filter(project::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let written: Vec<&project::Model> = projects
            .iter()
            .filter(|p| in_year(p.created_at.date_naive()) || p.signed_on.is_some_and(in_year))
            .collect();
        let projects_by_stage = ProjectStage::ALL
            .iter()
            .map(|s| SummaryCount {
                code: s.code().into(),
                label: s.label_zh().into(),
                count: written.iter().filter(|p| p.stage == s.code()).count(),
            })
            .collect();

        let pairs = pair::Entity::find()
            .filter(pair::Column::ConferenceId.eq(conf.id))
            .filter(pair::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let active: Vec<&pair::Model> = pairs
            .iter()
            .filter(|p| p.started_on <= as_of && p.ended_on.is_none_or(|e| e >= first))
            .collect();
        let pair_activities = activity::Entity::find()
            .filter(activity::Column::PairId.is_in(pairs.iter().map(|p| p.id)))
            .filter(activity::Column::HeldOn.gte(first))
            .filter(activity::Column::HeldOn.lte(as_of))
            .all(&self.read)
            .await?
            .len();

        Ok(AnnualSummary {
            conference_id: ConferenceId(conf.id),
            conference_name: conf.name,
            year,
            as_of,
            members: of_the_day.len(),
            members_by_kind,
            admitted: members.iter().filter(|m| in_year(m.joined_on)).count(),
            plenaries,
            needs: figures("need"),
            resources: figures("resource"),
            matches_to_projects: written
                .iter()
                .filter(|p| p.source == ProjectSource::Match.code())
                .count(),
            signings: projects.iter().filter(|p| p.signed_on.is_some_and(in_year)).count(),
            projects_by_stage,
            pairs_active: PairKind::ALL
                .iter()
                .map(|k| SummaryCount {
                    code: k.code().into(),
                    label: k.label_zh().into(),
                    count: active.iter().filter(|p| p.kind == k.code()).count(),
                })
                .collect(),
            pair_activities,
        })
    }
}
