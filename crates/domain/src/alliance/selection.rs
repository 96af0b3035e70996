//! Selection (评选): a call (征集) for the year's brand projects (品牌项目), key projects
//! (重点项目) or excellent branches (百优支部); units recommend (推荐) candidates, judges
//! score them on criteria the office sets (weights, scale), the results are ranked, an
//! office may move a candidate with a recorded reason, and the results are published and
//! awarded. Kept generic: what is selected is a project or a party organisation.

use crate::DomainError;
use crate::registry::{Errors, Labelled, optional_text, required_name};

/// What a call selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// 品牌项目
    BrandProject,
    /// 年度重点项目
    KeyProject,
    /// 优秀党支部 (百优支部)
    ExcellentBranch,
}

impl Labelled for CallKind {
    const ALL: &'static [Self] = &[Self::BrandProject, Self::KeyProject, Self::ExcellentBranch];
    fn code(&self) -> &'static str {
        match self {
            Self::BrandProject => "brand_project",
            Self::KeyProject => "key_project",
            Self::ExcellentBranch => "excellent_branch",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::BrandProject => "品牌项目",
            Self::KeyProject => "重点项目",
            Self::ExcellentBranch => "优秀党支部",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::BrandProject => &["品牌", "十大品牌项目"],
            Self::KeyProject => &["重点", "年度重点项目"],
            Self::ExcellentBranch => &["百优支部", "优秀支部", "先进党支部"],
        }
    }
}

impl CallKind {
    /// What its candidates are: projects, or party organisations.
    pub fn selects_projects(&self) -> bool {
        !matches!(self, Self::ExcellentBranch)
    }
}

/// Where a call stands: taking recommendations and scores, then published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallStage {
    /// 征集评审中
    Open,
    /// 已公布
    Published,
}

impl Labelled for CallStage {
    const ALL: &'static [Self] = &[Self::Open, Self::Published];
    fn code(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Published => "published",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Open => "征集评审中",
            Self::Published => "已公布",
        }
    }
}

/// Most criteria a call has, and the longest scale.
pub const CRITERIA_MAX: usize = 12;
pub const SCALE_MAX: u32 = 100;

/// A criterion (评分指标) as validated: its name and its weight in percent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Criterion {
    pub name: String,
    pub weight: u32,
}

/// The validated fields of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFields {
    pub kind: CallKind,
    pub title: String,
    pub year: i32,
    /// How many are selected (十大: 10; 百优: 100).
    pub quota: u32,
    /// Judges score each criterion from 0 to this.
    pub scale: u32,
    pub criteria: Vec<Criterion>,
    pub notes: Option<String>,
}

impl CallFields {
    /// Validates a call; every field error at once. Criteria come as `名称:权重` lines
    /// (or `名称，权重`, `名称 30%`); their weights add up to 100.
    pub fn parse(
        kind: &str,
        title: &str,
        year: &str,
        quota: &str,
        scale: &str,
        criteria: &str,
        notes: &str,
    ) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let kind = e.take(CallKind::parse_any(kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let title = e.take(required_name("title", title));
        let number = |field: &'static str, raw: &str, lo: i64, hi: i64| -> Result<i64, DomainError> {
            let s = crate::text::code_form(raw);
            let s = s.trim_end_matches(['年', '个', '项', '分']);
            if s.is_empty() {
                return Err(DomainError::Required { field });
            }
            let n: i64 = s.parse().map_err(|_| DomainError::NotANumber { field })?;
            if (lo..=hi).contains(&n) {
                Ok(n)
            } else {
                Err(DomainError::OutOfRange { field })
            }
        };
        let year = e.take(number("year", year, 2000, 2100));
        let quota = e.take(number("quota", quota, 1, 1000));
        let scale = e.take(number("scale", scale, 1, i64::from(SCALE_MAX)));
        let criteria = e.take(parse_criteria(criteria));
        let notes = e.take(optional_text("notes", notes, super::TEXT_MAX));
        match (kind, title, year, quota, scale, criteria, notes) {
            (Some(kind), Some(title), Some(year), Some(quota), Some(scale), Some(criteria), Some(notes))
                if e.0.is_empty() =>
            {
                Ok(CallFields {
                    kind,
                    title,
                    year: year as i32,
                    quota: quota as u32,
                    scale: scale as u32,
                    criteria,
                    notes,
                })
            }
            _ => Err(e.0),
        }
    }
}

/// Criteria as an office writes them, one a line: `工作成效:40`, `创新性，30`,
/// `群众满意度 30%`. Names are distinct, weights positive and add up to 100.
pub fn parse_criteria(raw: &str) -> Result<Vec<Criterion>, DomainError> {
    let field = "criteria";
    let mut out: Vec<Criterion> = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let line = crate::text::code_form(line);
        let line = line.trim_end_matches('%').trim_end_matches('分');
        let cut = line
            .rfind(|c: char| !c.is_ascii_digit())
            .ok_or(DomainError::UnknownValue { field })?;
        let (name, weight) = line.split_at(cut + line[cut..].chars().next().map_or(1, char::len_utf8));
        let name = name.trim().trim_end_matches([':', ',', ' ', '：', '，', '、']).trim();
        let weight: u32 = weight.parse().map_err(|_| DomainError::NotANumber { field })?;
        if name.is_empty() || weight == 0 || out.iter().any(|c| c.name == name) {
            return Err(DomainError::UnknownValue { field });
        }
        out.push(Criterion {
            name: name.to_string(),
            weight,
        });
    }
    if out.is_empty() {
        return Err(DomainError::Required { field });
    }
    if out.len() > CRITERIA_MAX {
        return Err(DomainError::OutOfRange { field });
    }
    if out.iter().map(|c| c.weight).sum::<u32>() != 100 {
        return Err(DomainError::Inconsistent { field });
    }
    Ok(out)
}

/// A score given: 0 to the call's scale.
pub fn check_score(score: i64, scale: u32) -> Result<u32, DomainError> {
    u32::try_from(score)
        .ok()
        .filter(|s| *s <= scale)
        .ok_or(DomainError::OutOfRange { field: "score" })
}

/// One candidate's scores: by judge, by criterion (its index in the call's criteria).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scored {
    pub id: i64,
    /// (judge, criterion index, score)
    pub scores: Vec<(i64, usize, u32)>,
    /// The rank an office set, with its reason, if it moved the candidate.
    pub moved_to: Option<u32>,
}

/// A candidate's place in the results.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Placed {
    pub id: i64,
    /// Weighted score, 0–100: each criterion's mean over the judges who scored it, as a
    /// share of the scale, times its weight.
    pub total: f64,
    /// How many judges scored it (on at least one criterion).
    pub judges: usize,
    /// Its place, from 1.
    pub rank: u32,
    /// Moved by an office (the reason is kept with the candidate).
    pub moved: bool,
}

/// Ranks candidates: by weighted score (ties: the earlier recommended, i.e. the order
/// given), then each candidate an office moved is put at the place it set (in the order
/// of those places), the others keeping their order around it.
pub fn rank(candidates: &[Scored], criteria: &[Criterion], scale: u32) -> Vec<Placed> {
    let scale = f64::from(scale.max(1));
    let mut scored: Vec<Placed> = candidates
        .iter()
        .map(|c| {
            let mut total = 0.0;
            for (i, cr) in criteria.iter().enumerate() {
                let of: Vec<u32> = c
                    .scores
                    .iter()
                    .filter(|(_, k, _)| *k == i)
                    .map(|(_, _, s)| *s)
                    .collect();
                if !of.is_empty() {
                    let mean = f64::from(of.iter().sum::<u32>()) / of.len() as f64;
                    total += mean / scale * f64::from(cr.weight);
                }
            }
            let mut judges: Vec<i64> = c.scores.iter().map(|(j, _, _)| *j).collect();
            judges.sort_unstable();
            judges.dedup();
            Placed {
                id: c.id,
                total: (total * 100.0).round() / 100.0,
                judges: judges.len(),
                rank: 0,
                moved: false,
            }
        })
        .collect();
    // A stable sort keeps the order given among equal totals.
    scored.sort_by(|a, b| b.total.total_cmp(&a.total));
    let moved_to = |id: i64| candidates.iter().find(|c| c.id == id).and_then(|c| c.moved_to);
    let (mut moved, mut rest): (Vec<Placed>, Vec<Placed>) = scored.into_iter().partition(|p| moved_to(p.id).is_some());
    moved.sort_by_key(|p| moved_to(p.id).unwrap_or(u32::MAX));
    let mut out: Vec<Placed> = Vec::with_capacity(moved.len() + rest.len());
    let mut moved = moved.into_iter().peekable();
    rest.reverse();
    while moved.peek().is_some() || !rest.is_empty() {
        let place = out.len() as u32 + 1;
        let next = match moved.peek() {
            Some(m) if moved_to(m.id).is_some_and(|r| r <= place) || rest.is_empty() => moved.next(),
            _ => rest.pop(),
        };
        if let Some(mut p) = next {
            p.moved = moved_to(p.id).is_some();
            p.rank = place;
            out.push(p);
        }
    }
    out
}

/// The reason an office gives for moving a candidate: required, at most 500 characters.
pub fn move_reason(raw: &str) -> Result<String, DomainError> {
    optional_text("reason", raw, 500)?.ok_or(DomainError::Required { field: "reason" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn criteria() -> Vec<Criterion> {
        parse_criteria("工作成效:40\n创新性，30\n群众满意度 30%").expect("criteria")
    }

    #[test]
    fn criteria_are_read_as_offices_write_them() {
        let c = criteria();
        assert_eq!(
            c.iter().map(|c| (c.name.as_str(), c.weight)).collect::<Vec<_>>(),
            [("工作成效", 40), ("创新性", 30), ("群众满意度", 30)]
        );
        assert_eq!(parse_criteria("示范性：５０\n可持续性：５０").map(|c| c.len()), Ok(2));
        assert_eq!(
            parse_criteria("a:50\nb:40"),
            Err(DomainError::Inconsistent { field: "criteria" })
        );
        assert!(parse_criteria("a:50\na:50").is_err(), "names are distinct");
        assert!(parse_criteria("a:100\nb:0").is_err(), "weights are positive");
        assert!(parse_criteria("").is_err());
        assert!(parse_criteria("成效").is_err());
        let f = CallFields::parse(
            "品牌项目",
            "2025年度十大品牌项目",
            "2025年",
            "10",
            "100",
            "成效:60\n创新:40",
            "",
        )
        .expect("call");
        assert_eq!((f.kind, f.quota, f.scale), (CallKind::BrandProject, 10, 100));
        let e = CallFields::parse("奖杯", "", "1999", "0", "1000", "x:1", "").expect_err("all wrong");
        assert_eq!(e.len(), 6);
    }

    #[test]
    fn candidates_rank_by_weighted_mean_and_an_office_may_move_one() {
        let c = criteria();
        let s = |id: i64, rows: &[(i64, usize, u32)]| Scored {
            id,
            scores: rows.to_vec(),
            moved_to: None,
        };
        // Two judges; B is best on everything, A second, C scored by one judge only.
        let all = vec![
            s(
                1,
                &[(7, 0, 80), (7, 1, 70), (7, 2, 90), (8, 0, 60), (8, 1, 70), (8, 2, 70)],
            ),
            s(
                2,
                &[(7, 0, 90), (7, 1, 90), (7, 2, 90), (8, 0, 90), (8, 1, 90), (8, 2, 90)],
            ),
            s(3, &[(7, 0, 50), (7, 1, 50), (7, 2, 50)]),
            s(4, &[]),
        ];
        let r = rank(&all, &c, 100);
        assert_eq!(r.iter().map(|p| p.id).collect::<Vec<_>>(), [2, 1, 3, 4]);
        // A: 40×0.70 + 30×0.70 + 30×0.80 = 73.
        assert_eq!(r[1].total, 73.0);
        assert_eq!((r[1].judges, r[2].judges, r[3].judges), (2, 1, 0));
        // The office moves C to the top; the others keep their order below it.
        let mut moved = all.clone();
        moved[2].moved_to = Some(1);
        let r = rank(&moved, &c, 100);
        assert_eq!(
            r.iter().map(|p| (p.id, p.rank)).collect::<Vec<_>>(),
            [(3, 1), (2, 2), (1, 3), (4, 4)]
        );
        assert!(r[0].moved && !r[1].moved);
        // A place past the end puts it last.
        moved[2].moved_to = Some(99);
        assert_eq!(rank(&moved, &c, 100).last().map(|p| p.id), Some(3));
        assert_eq!(check_score(101, 100), Err(DomainError::OutOfRange { field: "score" }));
        assert_eq!(check_score(-1, 100), Err(DomainError::OutOfRange { field: "score" }));
        assert!(move_reason(" ").is_err());
    }

    proptest! {
        /// The results hold every candidate once, ranks 1..=n in order, and every moved
        /// candidate sits at its place when that place exists and no other took it.
        #[test]
        fn ranks_are_a_permutation(
            scores in proptest::collection::vec(proptest::collection::vec((0i64..3, 0usize..3, 0u32..=10), 0..6), 1..12),
            moves in proptest::collection::vec(proptest::option::of(1u32..15), 1..12),
        ) {
            let c = criteria();
            let all: Vec<Scored> = scores
                .iter()
                .enumerate()
                .map(|(i, s)| Scored { id: i as i64, scores: s.clone(), moved_to: moves.get(i).copied().flatten() })
                .collect();
            let r = rank(&all, &c, 10);
            let mut ids: Vec<i64> = r.iter().map(|p| p.id).collect();
            ids.sort_unstable();
            prop_assert_eq!(ids, (0..all.len() as i64).collect::<Vec<_>>());
            prop_assert!(r.iter().enumerate().all(|(i, p)| p.rank == i as u32 + 1));
            prop_assert!(r.iter().all(|p| (0.0..=100.0).contains(&p.total)));
            // Unmoved candidates keep their order by total.
            let unmoved: Vec<f64> = r.iter().filter(|p| !p.moved).map(|p| p.total).collect();
            prop_assert!(unmoved.windows(2).all(|w| w[0] >= w[1]));
        }
    }
}
