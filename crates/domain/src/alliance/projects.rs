//! Projects (项目清单) from claim to award: a project comes from a need, a resource, a
//! match of the two, or is written directly; member units claim it (认领), alone or
//! together; it is signed (签约), usually at a plenary or a summit; it reports its
//! progress every month; it closes with an evaluation (评估). Brief §1.4–1.5.

use super::{Category, TEXT_MAX};
use crate::DomainError;
use crate::codes::DivisionCode;
use crate::registry::{Errors, Labelled, optional_text, required_name};
use chrono::{Datelike, NaiveDate};

/// The day of the following month by which a month's progress report is due: reports
/// of March are due on 10 April. Offices ask for them "in the first ten days" (每月上旬).
pub const REPORT_DUE_DAY: u32 = 10;

/// Where a project came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectSource {
    /// Written directly (直接立项).
    Direct,
    /// From a need (由需求转化).
    Need,
    /// From a resource (由资源转化).
    Resource,
    /// From a need matched with a resource (供需对接).
    Match,
}

impl Labelled for ProjectSource {
    const ALL: &'static [Self] = &[Self::Direct, Self::Need, Self::Resource, Self::Match];
    fn code(&self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Need => "from_need",
            Self::Resource => "from_resource",
            Self::Match => "from_match",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Direct => "直接立项",
            Self::Need => "由需求转化",
            Self::Resource => "由资源转化",
            Self::Match => "供需对接",
        }
    }
}

impl ProjectSource {
    /// The source a project has that names this need and this resource.
    pub fn of(need: bool, resource: bool) -> Self {
        match (need, resource) {
            (true, true) => Self::Match,
            (true, false) => Self::Need,
            (false, true) => Self::Resource,
            (false, false) => Self::Direct,
        }
    }
}

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStage {
    /// Open to claims (待认领 / 认领中).
    Open,
    /// Signed and under way (已签约, 实施中): it reports monthly.
    Signed,
    /// Closed with its evaluation (已结项).
    Closed,
}

impl Labelled for ProjectStage {
    const ALL: &'static [Self] = &[Self::Open, Self::Signed, Self::Closed];
    fn code(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Signed => "signed",
            Self::Closed => "closed",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Open => "认领中",
            Self::Signed => "已签约",
            Self::Closed => "已结项",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Open => &["待认领", "未签约"],
            Self::Signed => &["实施中", "推进中"],
            Self::Closed => &["结项", "已完成", "完成"],
        }
    }
}

/// What a claiming unit does in the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimRole {
    /// 牵头单位: one per project.
    Lead,
    /// 参与单位
    Partner,
}

impl Labelled for ClaimRole {
    const ALL: &'static [Self] = &[Self::Lead, Self::Partner];
    fn code(&self) -> &'static str {
        match self {
            Self::Lead => "lead",
            Self::Partner => "partner",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Lead => "牵头单位",
            Self::Partner => "参与单位",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Lead => &["牵头", "主办"],
            Self::Partner => &["参与", "协办", "共建单位"],
        }
    }
}

/// The role a new claim takes: the one asked for, else lead when the project has none
/// yet. A second lead is refused: one unit answers for a project.
pub fn claim_role(asked: Option<ClaimRole>, has_lead: bool) -> Result<ClaimRole, DomainError> {
    match (asked, has_lead) {
        (Some(ClaimRole::Lead), true) => Err(DomainError::LeadTaken { field: "role" }),
        (Some(r), _) => Ok(r),
        (None, true) => Ok(ClaimRole::Partner),
        (None, false) => Ok(ClaimRole::Lead),
    }
}

/// A monthly progress status (进展情况).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Progress {
    /// 正常推进
    OnTrack,
    /// 存在风险
    AtRisk,
    /// 进度滞后
    Late,
    /// 已完成
    Done,
}

impl Labelled for Progress {
    const ALL: &'static [Self] = &[Self::OnTrack, Self::AtRisk, Self::Late, Self::Done];
    fn code(&self) -> &'static str {
        match self {
            Self::OnTrack => "on_track",
            Self::AtRisk => "at_risk",
            Self::Late => "late",
            Self::Done => "done",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::OnTrack => "正常推进",
            Self::AtRisk => "存在风险",
            Self::Late => "进度滞后",
            Self::Done => "已完成",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::OnTrack => &["正常", "按计划", "顺利推进"],
            Self::AtRisk => &["风险", "有风险"],
            Self::Late => &["滞后", "延期", "落后"],
            Self::Done => &["完成", "已完工"],
        }
    }
}

/// The grade a closed project is given (评估等次).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    Excellent,
    Good,
    Fair,
    Poor,
}

impl Labelled for Grade {
    const ALL: &'static [Self] = &[Self::Excellent, Self::Good, Self::Fair, Self::Poor];
    fn code(&self) -> &'static str {
        match self {
            Self::Excellent => "excellent",
            Self::Good => "good",
            Self::Fair => "fair",
            Self::Poor => "poor",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Excellent => "优秀",
            Self::Good => "良好",
            Self::Fair => "一般",
            Self::Poor => "较差",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Poor => &["差", "不合格"],
            Self::Fair => &["合格"],
            _ => &[],
        }
    }
}

/// A calendar month, the period of one progress report (stored as its first day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month(NaiveDate);

impl Month {
    /// The month a day falls in.
    pub fn of(d: NaiveDate) -> Self {
        Month(d.with_day(1).unwrap_or(d))
    }

    /// Parses `2026-03`, `2026-3`, `2026/03`, `2026年3月` or a day of the month.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = crate::text::code_form(raw);
        let s = s.trim_end_matches('月').replace(['年', '/', '.'], "-");
        let bad = DomainError::OutOfRange { field: "month" };
        if let Ok(d) = NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            return Ok(Month::of(d));
        }
        let (y, m) = s.split_once('-').ok_or(bad.clone())?;
        let (y, m): (i32, u32) = (y.parse().map_err(|_| bad.clone())?, m.parse().map_err(|_| bad.clone())?);
        if !(2000..=2100).contains(&y) {
            return Err(bad);
        }
        NaiveDate::from_ymd_opt(y, m, 1).map(Month).ok_or(bad)
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        self.0
    }

    /// The month after.
    pub fn next(self) -> Self {
        Month(self.0.checked_add_months(chrono::Months::new(1)).unwrap_or(self.0))
    }

    /// The day its report is due: the [`REPORT_DUE_DAY`]th of the following month.
    pub fn due_on(self) -> NaiveDate {
        let n = self.next().0;
        n.with_day(REPORT_DUE_DAY).unwrap_or(n)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.0.year(), self.0.month())
    }
}

/// The months a signed project owes a report for by `today`: from the month it was
/// signed in, each month whose due day has come, up to the month before it closed (the
/// evaluation reports its last month).
pub fn months_due(signed_on: NaiveDate, closed_on: Option<NaiveDate>, today: NaiveDate) -> Vec<Month> {
    let mut out = Vec::new();
    let mut m = Month::of(signed_on);
    let end = closed_on.map(Month::of);
    // A project runs for years at most; the bound keeps a wrong date from looping long.
    for _ in 0..240 {
        if m.due_on() > today || end.is_some_and(|e| m >= e) {
            break;
        }
        out.push(m);
        m = m.next();
    }
    out
}

/// The months owed by `today` and not reported (the flags the secretariat sees).
pub fn missed_months(
    signed_on: NaiveDate,
    closed_on: Option<NaiveDate>,
    today: NaiveDate,
    reported: &[Month],
) -> Vec<Month> {
    months_due(signed_on, closed_on, today)
        .into_iter()
        .filter(|m| !reported.contains(m))
        .collect()
}

/// The validated fields of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectFields {
    pub title: String,
    pub category: Option<Category>,
    pub description: Option<String>,
    /// Where it takes place.
    pub division: DivisionCode,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl ProjectFields {
    /// Validates a project; every field error at once.
    pub fn parse(
        title: &str,
        category: &str,
        description: &str,
        division: &str,
        starts_on: Option<NaiveDate>,
        ends_on: Option<NaiveDate>,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let title = e.take(required_name("title", title));
        let category = match crate::text::clean(category).as_str() {
            "" => Some(None),
            c => e.take(
                Category::parse_any(c)
                    .map(Some)
                    .ok_or(DomainError::UnknownValue { field: "category" }),
            ),
        };
        let description = e.take(optional_text("description", description, TEXT_MAX));
        let division = e.take(
            DivisionCode::parse(division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        if let (Some(s), Some(x)) = (starts_on, ends_on)
            && x < s
        {
            e.0.push(DomainError::OutOfOrder { field: "ends_on" });
        }
        match (title, category, description, division) {
            (Some(title), Some(category), Some(description), Some(division)) if e.0.is_empty() => Ok(ProjectFields {
                title,
                category,
                description,
                division,
                starts_on,
                ends_on,
            }),
            _ => Err(e.0),
        }
    }
}

/// A monthly progress report (月度进展).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportFields {
    pub month: Month,
    pub progress: Progress,
    /// How far along, 0–100.
    pub percent: u8,
    pub text: Option<String>,
}

impl ReportFields {
    /// Validates a report; every field error at once. A report says "done" only at 100%,
    /// and 100% is "done".
    pub fn parse(month: &str, progress: &str, percent: &str, text: &str) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let month = e.take(Month::parse(month));
        let progress = e.take(Progress::parse_any(progress).ok_or(DomainError::UnknownValue { field: "progress" }));
        let pct = crate::text::code_form(percent);
        let pct = pct.trim_end_matches('%');
        let percent = e.take(match pct.parse::<u8>() {
            Ok(p) if p <= 100 => Ok(p),
            _ if pct.is_empty() => Err(DomainError::Required { field: "percent" }),
            _ => Err(DomainError::OutOfRange { field: "percent" }),
        });
        if let (Some(pr), Some(pc)) = (progress, percent)
            && ((pr == Progress::Done) != (pc == 100))
        {
            e.0.push(DomainError::Inconsistent { field: "percent" });
        }
        let text = e.take(optional_text("text", text, TEXT_MAX));
        match (month, progress, percent, text) {
            (Some(month), Some(progress), Some(percent), Some(text)) if e.0.is_empty() => Ok(ReportFields {
                month,
                progress,
                percent,
                text,
            }),
            _ => Err(e.0),
        }
    }

    /// A report may be filed for a month from the signing month up to the current one.
    pub fn check_month(&self, signed_on: NaiveDate, today: NaiveDate) -> Result<(), DomainError> {
        if self.month < Month::of(signed_on) || self.month > Month::of(today) {
            return Err(DomainError::OutOfRange { field: "month" });
        }
        Ok(())
    }
}

/// What an attachment is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentPurpose {
    /// The signed agreement (签约文本).
    Signing,
    /// A photo of a monthly report (进展照片).
    Photo,
    /// Anything else a project keeps (其他材料).
    Other,
}

impl Labelled for AttachmentPurpose {
    const ALL: &'static [Self] = &[Self::Signing, Self::Photo, Self::Other];
    fn code(&self) -> &'static str {
        match self {
            Self::Signing => "signing",
            Self::Photo => "photo",
            Self::Other => "other_file",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Signing => "签约文本",
            Self::Photo => "照片",
            Self::Other => "其他材料",
        }
    }
}

/// Largest attachment accepted: a scanned agreement or a phone photo.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// The types an attachment may be, by what its bytes are (never by its name): a scan
/// or a photo, a PDF, a Word or a spreadsheet file.
pub const ATTACHMENT_TYPES: &[&str] = &[
    "application/pdf",
    "image/jpeg",
    "image/png",
    "image/webp",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
];

/// An attachment's type checked against what it is for: its content type, found by
/// the caller from its bytes (`None`: not a type we know). Photos are images.
pub fn check_attachment(
    purpose: AttachmentPurpose,
    size: usize,
    sniffed: Option<&str>,
) -> Result<&'static str, DomainError> {
    if size == 0 {
        return Err(DomainError::Required { field: "file" });
    }
    if size > ATTACHMENT_MAX_BYTES {
        return Err(DomainError::TooLarge { field: "file" });
    }
    let t = sniffed
        .and_then(|s| ATTACHMENT_TYPES.iter().copied().find(|t| *t == s))
        .ok_or(DomainError::TypeRefused { field: "file" })?;
    if purpose == AttachmentPurpose::Photo && !t.starts_with("image/") {
        return Err(DomainError::TypeRefused { field: "file" });
    }
    Ok(t)
}

/// A file name as kept and shown: its last path part, without control characters,
/// at most 100 characters (the bytes are what count; the name is a label).
pub fn file_label(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && *c != '"')
        .take(100)
        .collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("day")
    }

    #[test]
    fn months_are_read_as_offices_write_them() {
        for s in [
            "2026-03",
            "2026-3",
            "2026/03",
            "2026年3月",
            "2026.3",
            "2026-03-17",
            "２０２６年３月",
        ] {
            assert_eq!(Month::parse(s).map(|m| m.to_string()), Ok("2026-03".to_string()), "{s}");
        }
        for s in ["", "2026", "2026-13", "1999-01", "三月"] {
            assert!(Month::parse(s).is_err(), "{s}");
        }
        assert_eq!(Month::parse("2026-12").map(|m| m.due_on()), Ok(day("2027-01-10")));
    }

    #[test]
    fn reports_fall_due_on_the_tenth_of_the_next_month() {
        let signed = day("2026-03-20");
        // On 10 April March's report is due; on the 9th nothing is.
        assert!(months_due(signed, None, day("2026-04-09")).is_empty());
        assert_eq!(
            months_due(signed, None, day("2026-04-10")),
            vec![Month::parse("2026-03").expect("m")]
        );
        let due = months_due(signed, None, day("2026-07-01"));
        assert_eq!(
            due.iter().map(|m| m.to_string()).collect::<Vec<_>>(),
            ["2026-03", "2026-04", "2026-05"]
        );
        // Closed in June: June's report is the evaluation, May's is still owed.
        assert_eq!(months_due(signed, Some(day("2026-06-02")), day("2026-12-01")).len(), 3);
        let reported = [Month::parse("2026-04").expect("m")];
        assert_eq!(
            missed_months(signed, None, day("2026-07-01"), &reported)
                .iter()
                .map(|m| m.to_string())
                .collect::<Vec<_>>(),
            ["2026-03", "2026-05"]
        );
    }

    #[test]
    fn a_report_says_done_only_at_a_hundred() {
        assert!(ReportFields::parse("2026-03", "正常推进", "40%", "").is_ok());
        assert!(ReportFields::parse("2026-03", "已完成", "100", "").is_ok());
        assert_eq!(
            ReportFields::parse("2026-03", "done", "90", ""),
            Err(vec![DomainError::Inconsistent { field: "percent" }])
        );
        assert_eq!(
            ReportFields::parse("2026-03", "on_track", "100", ""),
            Err(vec![DomainError::Inconsistent { field: "percent" }])
        );
        let all = ReportFields::parse("", "maybe", "120", "").expect_err("three errors");
        assert_eq!(all.len(), 3);
        let r = ReportFields::parse("2026-03", "滞后", "10", "").expect("ok");
        assert!(r.check_month(day("2026-03-31"), day("2026-03-31")).is_ok());
        assert!(
            r.check_month(day("2026-04-01"), day("2026-05-01")).is_err(),
            "before signing"
        );
        assert!(
            r.check_month(day("2026-01-01"), day("2026-02-28")).is_err(),
            "in the future"
        );
    }

    #[test]
    fn one_lead_per_project() {
        assert_eq!(claim_role(None, false), Ok(ClaimRole::Lead));
        assert_eq!(claim_role(None, true), Ok(ClaimRole::Partner));
        assert_eq!(claim_role(Some(ClaimRole::Partner), false), Ok(ClaimRole::Partner));
        assert!(claim_role(Some(ClaimRole::Lead), true).is_err());
        assert_eq!(ProjectSource::of(true, true), ProjectSource::Match);
    }

    #[test]
    fn attachments_are_checked_by_what_they_are() {
        let pdf = Some("application/pdf");
        assert_eq!(
            check_attachment(AttachmentPurpose::Signing, 10, pdf),
            Ok("application/pdf")
        );
        assert!(
            check_attachment(AttachmentPurpose::Photo, 10, pdf).is_err(),
            "a photo is an image"
        );
        assert!(check_attachment(AttachmentPurpose::Other, 10, Some("application/x-executable")).is_err());
        assert!(check_attachment(AttachmentPurpose::Other, 10, None).is_err());
        assert!(check_attachment(AttachmentPurpose::Other, 0, pdf).is_err());
        assert_eq!(
            check_attachment(AttachmentPurpose::Other, ATTACHMENT_MAX_BYTES + 1, pdf),
            Err(DomainError::TooLarge { field: "file" })
        );
        assert_eq!(file_label("C:\\scans\\协议.pdf"), "协议.pdf");
        assert_eq!(file_label("../../etc/passwd"), "passwd");
        assert_eq!(file_label("a\"b\n.pdf"), "ab.pdf");
        assert_eq!(file_label(""), "file");
    }

    proptest! {
        /// Month::parse never panics, and what it accepts prints back to itself.
        #[test]
        fn months_round_trip(s in "\\PC{0,12}", y in 2000i32..2100, m in 1u32..13) {
            let _ = Month::parse(&s);
            let printed = format!("{y:04}-{m:02}");
            prop_assert_eq!(Month::parse(&printed).map(|x| x.to_string()), Ok(printed));
        }

        /// Every month owed falls between the signing and today, in order, each once.
        #[test]
        fn months_due_are_bounded(start in 0i64..3_000, span in 0i64..1_500) {
            let signed = day("2018-01-01") + chrono::Duration::days(start);
            let today = signed + chrono::Duration::days(span);
            let due = months_due(signed, None, today);
            prop_assert!(due.windows(2).all(|w| w[0] < w[1]));
            prop_assert!(due.iter().all(|m| *m >= Month::of(signed) && m.due_on() <= today));
        }
    }
}
