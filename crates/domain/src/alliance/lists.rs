//! The three lists (三张清单): needs (需求清单) and resources (资源清单) posted by member
//! units, which the conference turns into projects (项目清单). Brief §1.4.

use super::TEXT_MAX;
use crate::DomainError;
use crate::codes::{DivisionCode, Phone};
use crate::registry::{ADDRESS_MAX, Errors, Labelled, optional_text, parse_count, required_name};
use chrono::NaiveDate;

/// Whether a post asks or offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostKind {
    /// 需求
    Need,
    /// 资源
    Resource,
}

impl Labelled for PostKind {
    const ALL: &'static [Self] = &[Self::Need, Self::Resource];
    fn code(&self) -> &'static str {
        match self {
            Self::Need => "need",
            Self::Resource => "resource",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Need => "需求",
            Self::Resource => "资源",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Need => &["需求清单", "求助"],
            Self::Resource => &["资源清单", "服务", "供给"],
        }
    }
}

impl PostKind {
    /// The kind a post of this kind is matched against.
    pub fn other(&self) -> PostKind {
        match self {
            Self::Need => Self::Resource,
            Self::Resource => Self::Need,
        }
    }
}

/// Category of a need or a resource. Offices label them inconsistently (健康服务 /
/// 卫生健康 / 医疗); every spelling they use is a synonym here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Health,
    Finance,
    Education,
    Venue,
    Elderly,
    Youth,
    Employment,
    Legal,
    Culture,
    Volunteering,
    Governance,
    NewWorkers,
    PartyBuilding,
    Livelihood,
    Business,
    Disability,
    Other,
}

impl Labelled for Category {
    const ALL: &'static [Self] = &[
        Self::Health,
        Self::Finance,
        Self::Education,
        Self::Venue,
        Self::Elderly,
        Self::Youth,
        Self::Employment,
        Self::Legal,
        Self::Culture,
        Self::Volunteering,
        Self::Governance,
        Self::NewWorkers,
        Self::PartyBuilding,
        Self::Livelihood,
        Self::Business,
        Self::Disability,
        Self::Other,
    ];
    fn code(&self) -> &'static str {
        match self {
            Self::Health => "health",
            Self::Finance => "finance",
            Self::Education => "education",
            Self::Venue => "venue",
            Self::Elderly => "elderly",
            Self::Youth => "youth",
            Self::Employment => "employment",
            Self::Legal => "legal",
            Self::Culture => "culture",
            Self::Volunteering => "volunteering",
            Self::Governance => "governance",
            Self::NewWorkers => "new_workers",
            Self::PartyBuilding => "party_building",
            Self::Livelihood => "livelihood",
            Self::Business => "business",
            Self::Disability => "disability",
            Self::Other => "other_category",
        }
    }
    fn label_zh(&self) -> &'static str {
        match self {
            Self::Health => "医疗健康",
            Self::Finance => "金融服务",
            Self::Education => "教育宣讲",
            Self::Venue => "场地阵地",
            Self::Elderly => "为老服务",
            Self::Youth => "青少年服务",
            Self::Employment => "就业创业",
            Self::Legal => "法律服务",
            Self::Culture => "文化体育",
            Self::Volunteering => "志愿公益",
            Self::Governance => "社区治理",
            Self::NewWorkers => "新就业群体",
            Self::PartyBuilding => "党建共建",
            Self::Livelihood => "便民服务",
            Self::Business => "企业服务",
            Self::Disability => "助残服务",
            Self::Other => "其他",
        }
    }
    fn synonyms(&self) -> &'static [&'static str] {
        match self {
            Self::Health => &[
                "健康",
                "健康服务",
                "卫生健康",
                "医疗卫生",
                "医疗",
                "卫生",
                "医疗服务",
                "健康医疗",
            ],
            Self::Finance => &["金融", "金融支持", "融资", "融资服务", "银行服务", "金融服务类"],
            Self::Education => &[
                "教育",
                "培训",
                "教育培训",
                "宣讲",
                "理论宣讲",
                "学习教育",
                "党课",
                "讲座",
            ],
            Self::Venue => &["场地", "阵地", "场地资源", "阵地共享", "空间", "场地共享"],
            Self::Elderly => &["养老", "为老", "助老", "敬老", "养老服务", "老年服务"],
            Self::Youth => &["儿童", "青少年", "未成年人", "托管", "青少年儿童"],
            Self::Employment => &["就业", "创业", "招聘", "人才", "就业服务"],
            Self::Legal => &["法律", "普法", "法治", "法律援助"],
            Self::Culture => &["文化", "文体", "体育", "文艺", "文化服务"],
            Self::Volunteering => &["志愿", "志愿服务", "公益", "慈善", "公益慈善"],
            Self::Governance => &["治理", "环境", "平安", "安全", "物业", "城市治理", "基层治理"],
            Self::NewWorkers => &["骑手", "快递", "新就业", "新就业群体服务", "两新"],
            Self::PartyBuilding => &["党建", "共建", "组织共建", "党建联建"],
            Self::Livelihood => &["便民", "民生", "生活服务", "便民服务类"],
            Self::Business => &["惠企", "营商", "营商环境", "政策服务", "税务", "政务服务", "企业"],
            Self::Disability => &["助残", "残疾人服务", "扶残", "残疾人"],
            Self::Other => &["其它", "综合"],
        }
    }
}

/// The validated fields of a need or a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostFields {
    pub kind: PostKind,
    pub title: String,
    pub category: Option<Category>,
    pub description: Option<String>,
    /// Where it is needed or offered.
    pub division: DivisionCode,
    pub place: Option<String>,
    /// Who it is for (老年居民, 楼宇白领, 外卖骑手…), as written.
    pub audience: Option<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    /// How many people it is for (a need) or can take (a resource).
    pub people: Option<u32>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<Phone>,
}

/// The raw input of a post, as a form, an API body or a spreadsheet row gives it.
#[derive(Debug, Clone, Default)]
pub struct PostInput<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub category: &'a str,
    pub description: &'a str,
    pub division: &'a str,
    pub place: &'a str,
    pub audience: &'a str,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub people: &'a str,
    pub contact_name: &'a str,
    pub contact_phone: &'a str,
}

impl PostFields {
    /// Validates a post; every field error at once.
    pub fn parse(i: &PostInput<'_>) -> Result<Self, Vec<DomainError>> {
        let mut e = Errors::default();
        let kind = e.take(PostKind::parse_any(i.kind).ok_or(DomainError::UnknownValue { field: "kind" }));
        let title = e.take(required_name("title", i.title));
        let category = match crate::text::clean(i.category).as_str() {
            "" => Some(None),
            c => e.take(
                Category::parse_any(c)
                    .map(Some)
                    .ok_or(DomainError::UnknownValue { field: "category" }),
            ),
        };
        let description = e.take(optional_text("description", i.description, TEXT_MAX));
        let division = e.take(
            DivisionCode::parse(i.division).map_err(|source| DomainError::InvalidCode {
                field: "division",
                source,
            }),
        );
        let place = e.take(optional_text("place", i.place, ADDRESS_MAX));
        let audience = e.take(optional_text("audience", i.audience, ADDRESS_MAX));
        if let (Some(s), Some(x)) = (i.starts_on, i.ends_on)
            && x < s
        {
            e.0.push(DomainError::OutOfOrder { field: "ends_on" });
        }
        let people = e.take(parse_count("people", i.people));
        let contact_name = e.take(optional_text("contact_name", i.contact_name, 50));
        let contact_phone = match i.contact_phone.trim() {
            "" => Some(None),
            p => e.take(Phone::parse(p).map(Some).map_err(|source| DomainError::InvalidCode {
                field: "contact_phone",
                source,
            })),
        };
        match (
            kind,
            title,
            category,
            description,
            division,
            place,
            audience,
            people,
            contact_name,
            contact_phone,
        ) {
            (
                Some(kind),
                Some(title),
                Some(category),
                Some(description),
                Some(division),
                Some(place),
                Some(audience),
                Some(people),
                Some(contact_name),
                Some(contact_phone),
            ) if e.0.is_empty() => Ok(PostFields {
                kind,
                title,
                category,
                description,
                division,
                place,
                audience,
                starts_on: i.starts_on,
                ends_on: i.ends_on,
                people,
                contact_name,
                contact_phone,
            }),
            _ => Err(e.0),
        }
    }

    /// The text a post is matched by (see [`match_text`]).
    pub fn text(&self) -> String {
        match_text(
            &self.title,
            self.category,
            self.audience.as_deref(),
            self.description.as_deref(),
        )
    }
}

/// The text a post is matched by: its title, its category in words, its audience and
/// its description, one per line. A new post and a stored one are read the same way.
pub fn match_text(
    title: &str,
    category: Option<Category>,
    audience: Option<&str>,
    description: Option<&str>,
) -> String {
    [Some(title), category.map(|c| c.label_zh()), audience, description]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_is_checked_whole() {
        let ok = PostFields::parse(&PostInput {
            kind: "需求",
            title: "为外卖小哥开展健康筛查",
            category: "卫生健康",
            division: "310106012",
            people: "200人",
            contact_phone: "13800138000",
            ..Default::default()
        })
        .expect("valid");
        assert_eq!(ok.category, Some(Category::Health));
        assert_eq!(ok.people, Some(200));
        let e = PostFields::parse(&PostInput {
            kind: "x",
            title: "",
            category: "天文",
            division: "火星",
            starts_on: NaiveDate::from_ymd_opt(2025, 3, 1),
            ends_on: NaiveDate::from_ymd_opt(2025, 2, 1),
            people: "许多",
            contact_phone: "12",
            ..Default::default()
        })
        .expect_err("every field");
        let fields: Vec<_> = e.iter().map(DomainError::field).collect();
        assert_eq!(
            fields,
            [
                "kind",
                "title",
                "category",
                "division",
                "ends_on",
                "people",
                "contact_phone"
            ]
        );
    }
}
