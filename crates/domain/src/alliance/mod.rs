//! The regional alliance (区域化党建): a district's or a street's joint conference
//! (区域化党建联席会议 / 党建联盟), its member units, the offices they hold in turn, its
//! plenary meetings (全体会议) and the visits (走访) its secretariat makes (brief §1.3);
//! the lists, projects and selection (§1.4); pairing (§1.5).

mod lists;
mod offices;
mod pairing;
mod plenary;
mod projects;
mod selection;

pub use lists::{Category, PostFields, PostInput, PostKind, match_text};
pub use offices::{Office, Term, chair_on, check_term};
pub use pairing::{PairActivityFields, PairFields, PairKind, idle_in, pair_active_on};
pub use plenary::{PlenaryFields, PlenaryItemKind, check_plenary_order, item_text};
pub use projects::{
    ATTACHMENT_MAX_BYTES, ATTACHMENT_TYPES, AttachmentPurpose, ClaimRole, Grade, Month, Progress, ProjectFields,
    ProjectSource, ProjectStage, REPORT_DUE_DAY, ReportFields, check_attachment, claim_role, file_label, missed_months,
    months_due,
};

pub use selection::{
    CRITERIA_MAX, CallFields, CallKind, CallStage, Criterion, Placed, SCALE_MAX, Scored, check_score, move_reason,
    parse_criteria, rank,
};

pub use crate::registry::{AllianceMemberId, AttachmentId, ConferenceId, PlenaryId, ProjectId};

use crate::DomainError;
use crate::codes::{DivisionCode, DivisionLevel};
use crate::registry::{Errors, Labelled, optional_text, required_name};
use chrono::NaiveDate;

/// Longest text of a conference's working mechanisms, an agenda or a plenary item.
pub const TEXT_MAX: usize = 2_000;

/// The validated fields of a joint conference.
#[derive(Debug, Clone, PartialEq)]
pub struct ConferenceFields {
    pub name: String,
    /// The district or street whose conference it is.
    pub division: DivisionCode,
    /// When it was founded (成立).
    pub founded_on: Option<NaiveDate>,
    /// Its working mechanisms as the office writes them (常任轮值、常态走访、常抓项目、长效认领).
    pub mechanisms: Option<String>,
}

impl ConferenceFields {
    /// Validates raw input; every field error at once. A conference belongs to a district
    /// or a street (a sub-conference of an area or an industry cluster sits in one too).
    pub fn parse(
        name: &str,
        division: &str,
        founded_on: Option<NaiveDate>,
        mechanisms: &str,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let name = e.take(required_name("name", name));
        let division = e.take(
            DivisionCode::parse(division)
                .map_err(|source| DomainError::InvalidCode {
                    field: "division",
                    source,
                })
                .and_then(|d| {
                    if matches!(d.level(), DivisionLevel::District | DivisionLevel::Street) {
                        Ok(d)
                    } else {
                        Err(DomainError::OutOfRange { field: "division" })
                    }
                }),
        );
        let mechanisms = e.take(optional_text("mechanisms", mechanisms, TEXT_MAX));
        match (name, division, mechanisms) {
            (Some(name), Some(division), Some(mechanisms)) if e.0.is_empty() => Ok(ConferenceFields {
                name,
                division,
                founded_on,
                mechanisms,
            }),
            _ => Err(e.0),
        }
    }
}

/// Kind of a member unit (成员单位类别). Huangpu's 66 are government bodies, state
/// firms, universities, hospitals, private firms and social organisations (brief §1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberKind {
    /// 党政机关
    Government,
    /// 国有企业（含驻区央企、市属国企）
    StateFirm,
    /// 高校
    University,
    /// 医院
    Hospital,
    /// 其他事业单位
    PublicInstitution,
    /// 非公企业
    PrivateFirm,
    /// 社会组织
    SocialOrganisation,
    /// 居民区、村
    Community,
    /// 其他
    Other,
}

impl Labelled for MemberKind {
    const ALL: &'static [Self] = &[
        Self::Government,
        Self::StateFirm,
        Self::University,
        Self::Hospital,
        Self::PublicInstitution,
        Self::PrivateFirm,
        Self::SocialOrganisation,
        Self::Community,
        Self::Other,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Government => "government",
            Self::StateFirm => "state_firm",
            Self::University => "university",
            Self::Hospital => "hospital",
            Self::PublicInstitution => "public_institution",
            Self::PrivateFirm => "private_firm",
            Self::SocialOrganisation => "social_organisation",
            Self::Community => "community",
            Self::Other => "other",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Government => "党政机关",
            Self::StateFirm => "国有企业",
            Self::University => "高校",
            Self::Hospital => "医院",
            Self::PublicInstitution => "事业单位",
            Self::PrivateFirm => "非公企业",
            Self::SocialOrganisation => "社会组织",
            Self::Community => "居村",
            Self::Other => "其他",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Government => &["机关", "政府机关", "区级机关", "委办局"],
            Self::StateFirm => &["国企", "央企", "驻区央企", "市属国企", "区属国企"],
            Self::University => &["大学", "高等院校", "学院"],
            Self::Hospital => &["医疗机构", "三甲医院"],
            Self::PublicInstitution => &["事业", "学校"],
            Self::PrivateFirm => &[
                "民营企业",
                "民企",
                "两新组织",
                "外资企业",
                "非公有制企业",
                "企业",
                "公司",
            ],
            Self::SocialOrganisation => &["社团", "协会", "商会", "民办非企业"],
            Self::Community => &["居委会", "居民区", "社区", "村委会", "村"],
            Self::Other => &[],
        }
    }
}

/// The validated fields of a member unit (成员单位) beyond the unit it is: its kind, when
/// it joined, when it was given its plaque (授牌) and when it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberFields {
    pub kind: MemberKind,
    pub joined_on: NaiveDate,
    pub plaque_on: Option<NaiveDate>,
    pub left_on: Option<NaiveDate>,
}

impl MemberFields {
    /// A member joins before it is given a plaque and before it leaves.
    pub fn parse(
        kind: &str,
        joined_on: Option<NaiveDate>,
        plaque_on: Option<NaiveDate>,
        left_on: Option<NaiveDate>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let kind = e.take(MemberKind::parse_any(kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let joined_on = e.take(joined_on.ok_or(DomainError::Required { field: "joined_on" }));
        if let Some(j) = joined_on {
            if plaque_on.is_some_and(|p| p < j) {
                e.0.push(DomainError::OutOfOrder { field: "plaque_on" });
            }
            if left_on.is_some_and(|l| l < j) {
                e.0.push(DomainError::OutOfOrder { field: "left_on" });
            }
        }
        match (kind, joined_on) {
            (Some(kind), Some(joined_on)) if e.0.is_empty() => Ok(MemberFields {
                kind,
                joined_on,
                plaque_on,
                left_on,
            }),
            _ => Err(e.0),
        }
    }

    /// A member on `day`: joined on or before it and not yet left.
    pub fn member_on(&self, day: NaiveDate) -> bool {
        member_on(self.joined_on, self.left_on, day)
    }
}

/// A unit that joined on `joined_on` and left on `left_on` (if it has) is a member on
/// `day` from the day it joined up to the day before it left.
pub fn member_on(joined_on: NaiveDate, left_on: Option<NaiveDate>, day: NaiveDate) -> bool {
    joined_on <= day && left_on.is_none_or(|l| day < l)
}

/// The name of an outside member unit (a municipal body, a central firm, a university
/// outside the district's registry), as the office writes it.
pub fn outside_name(raw: &str) -> Result<String, DomainError> {
    required_name("name", raw)
}

/// The validated fields of a visit (走访) to a member unit: "常态走访", the secretariat's
/// regular calls on its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitFields {
    pub visited_on: NaiveDate,
    /// Who went (names or offices, as written).
    pub visitors: String,
    pub notes: Option<String>,
}

impl VisitFields {
    pub fn parse(visited_on: Option<NaiveDate>, visitors: &str, notes: &str) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let visited_on = e.take(visited_on.ok_or(DomainError::Required { field: "visited_on" }));
        let visitors = e.take(required_name("visitors", visitors));
        let notes = e.take(optional_text("notes", notes, TEXT_MAX));
        match (visited_on, visitors, notes) {
            (Some(visited_on), Some(visitors), Some(notes)) if e.0.is_empty() => Ok(VisitFields {
                visited_on,
                visitors,
                notes,
            }),
            _ => Err(e.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    #[test]
    fn a_conference_belongs_to_a_district_or_a_street() {
        let c = ConferenceFields::parse("黄浦区区域化党建联席会议", "310101", day("2014-06-30"), "常任轮值")
            .expect("a district's");
        assert_eq!(c.division.as_str(), "310101");
        assert!(ConferenceFields::parse("某街道党建联盟", "310101002", None, "").is_ok());
        let e = ConferenceFields::parse("", "310101002001", None, "").expect_err("two errors");
        let fields: Vec<_> = e.iter().map(DomainError::field).collect();
        assert_eq!(fields, ["name", "division"]);
        assert!(ConferenceFields::parse("上海", "31", None, "").is_err());
    }

    #[test]
    fn members_join_before_plaques_and_leaving() {
        let m = MemberFields::parse("央企", day("2020-05-01"), day("2020-05-01"), None).expect("valid");
        assert_eq!(m.kind, MemberKind::StateFirm);
        assert!(m.member_on(day("2020-05-01").expect("day")));
        assert!(!m.member_on(day("2020-04-30").expect("day")));
        let e = MemberFields::parse("医院", day("2020-05-01"), day("2020-04-01"), day("2019-01-01"))
            .expect_err("out of order");
        let fields: Vec<_> = e.iter().map(DomainError::field).collect();
        assert_eq!(fields, ["plaque_on", "left_on"]);
        let e = MemberFields::parse("飞船", None, None, None).expect_err("two errors");
        assert_eq!(e.len(), 2);
        let left = MemberFields::parse("高校", day("2015-01-01"), None, day("2020-01-01")).expect("left");
        assert!(left.member_on(day("2019-12-31").expect("day")));
        assert!(
            !left.member_on(day("2020-01-01").expect("day")),
            "not a member from the day it left"
        );
    }

    #[test]
    fn visits_say_who_went() {
        assert!(VisitFields::parse(day("2025-03-01"), "秘书处 张三", "").is_ok());
        assert_eq!(VisitFields::parse(None, "", "").expect_err("two").len(), 2);
    }
}
