//! The columns of each sheet kind: canonical Chinese header first, then synonyms.

use crate::normalise::header_key;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Which registry records a sheet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// 载体
    Carriers,
    /// 单位
    Units,
    /// 党组织
    Orgs,
    /// 党员
    Members,
    /// 需求清单: an alliance's needs (not the registry's).
    Needs,
    /// 资源清单: an alliance's resources (not the registry's).
    Resources,
    /// 观看记录: a streaming platform's viewer log of an online lecture.
    ViewerLog,
}

impl Kind {
    /// The registry's kinds, in dependency order: a later kind refers to earlier ones by
    /// name.
    pub const ALL: [Kind; 4] = [Kind::Carriers, Kind::Units, Kind::Orgs, Kind::Members];

    /// An alliance's lists (三张清单: the needs and the resources; projects are written
    /// from them, never imported).
    pub const LISTS: [Kind; 2] = [Kind::Needs, Kind::Resources];

    /// Every kind a sheet may hold.
    const EVERY: [Kind; 7] = [
        Kind::Carriers,
        Kind::Units,
        Kind::Orgs,
        Kind::Members,
        Kind::Needs,
        Kind::Resources,
        Kind::ViewerLog,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Kind::Carriers => "carriers",
            Kind::Units => "units",
            Kind::Orgs => "orgs",
            Kind::Members => "members",
            Kind::Needs => "needs",
            Kind::Resources => "resources",
            Kind::ViewerLog => "viewer_log",
        }
    }

    /// The sheet name used in exports.
    pub fn sheet_name(&self) -> &'static str {
        match self {
            Kind::Carriers => "载体",
            Kind::Units => "单位",
            Kind::Orgs => "党组织",
            Kind::Members => "党员",
            Kind::Needs => "需求清单",
            Kind::Resources => "资源清单",
            Kind::ViewerLog => "观看记录",
        }
    }

    fn sheet_synonyms(&self) -> &'static [&'static str] {
        match self {
            Kind::Carriers => &["载体", "楼宇", "园区", "载体清单", "楼宇园区", "carriers"],
            Kind::Units => &["单位", "企业", "两新组织", "单位清单", "企业名录", "units"],
            Kind::Orgs => &["党组织", "组织", "党组织清单", "orgs", "organisations"],
            Kind::Members => &["党员", "党员名册", "党员信息", "members"],
            Kind::Needs => &[
                "需求清单",
                "需求",
                "需求表",
                "群众需求",
                "单位需求",
                "需求汇总",
                "needs",
            ],
            Kind::Resources => &[
                "资源清单",
                "资源",
                "资源表",
                "资源库",
                "可提供资源",
                "资源汇总",
                "resources",
            ],
            Kind::ViewerLog => &[
                "观看记录",
                "观看明细",
                "参会明细",
                "参会记录",
                "直播观看数据",
                "viewer log",
                "viewers",
            ],
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let k = header_key(s);
        Kind::EVERY
            .into_iter()
            .find(|kind| kind.code() == k || kind.sheet_synonyms().iter().any(|n| header_key(n) == k))
    }

    pub fn fields(&self) -> &'static [Field] {
        use Field::*;
        match self {
            Kind::Carriers => &[
                CarrierName,
                CarrierKind,
                IsKey,
                Division,
                Address,
                Longitude,
                Latitude,
                Version,
            ],
            Kind::Units => &[
                UnitName,
                UnitKind,
                CreditCode,
                Employees,
                CarrierRef,
                Division,
                Address,
                Instructor,
                InstructorPhone,
                Headquarters,
                Version,
            ],
            Kind::Orgs => &[
                OrgName, OrgKind, ParentOrg, OrgUnits, CarrierRef, Division, Secretary, FoundedOn, TermEndsOn, Version,
            ],
            Kind::Members => &[
                MemberName,
                MemberStatus,
                ResidentId,
                Phone,
                OrgRef,
                WorkUnit,
                JoinedOn,
                Version,
            ],
            Kind::Needs | Kind::Resources => &[
                PostKind,
                PostTitle,
                PostCategory,
                PostDescription,
                PostUnit,
                Division,
                Place,
                Audience,
                StartsOn,
                EndsOn,
                People,
                ContactName,
                Phone,
            ],
            Kind::ViewerLog => &[Viewer, Phone, JoinedAt, LeftAt],
        }
    }
}

/// A column the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    CarrierName,
    CarrierKind,
    IsKey,
    Division,
    Address,
    Longitude,
    Latitude,
    UnitName,
    UnitKind,
    CreditCode,
    Employees,
    CarrierRef,
    Instructor,
    InstructorPhone,
    Headquarters,
    OrgName,
    OrgKind,
    ParentOrg,
    OrgUnits,
    Secretary,
    FoundedOn,
    TermEndsOn,
    MemberName,
    MemberStatus,
    ResidentId,
    Phone,
    OrgRef,
    WorkUnit,
    JoinedOn,
    /// The record's version when it was exported (版本): an import that would overwrite
    /// a newer edit is refused row by row.
    Version,
    /// Need or resource (需求 / 资源), when one sheet holds both.
    PostKind,
    PostTitle,
    PostCategory,
    PostDescription,
    /// The member unit that posts it, named as the office writes it.
    PostUnit,
    Place,
    Audience,
    StartsOn,
    EndsOn,
    People,
    ContactName,
    /// Who watched, as the platform names them (a nickname, a name).
    Viewer,
    /// When they joined and left (a row per join: people drop out and come back).
    JoinedAt,
    LeftAt,
}

impl Field {
    /// The header written in exports and error workbooks.
    pub fn header(&self) -> &'static str {
        self.names()[0]
    }

    /// A column a sheet of `kind` must have.
    pub fn required_in(&self, kind: Kind) -> bool {
        match kind {
            // A post's division, when not given, is its unit's.
            Kind::Needs | Kind::Resources => matches!(self, Field::PostTitle | Field::PostUnit),
            Kind::ViewerLog => matches!(self, Field::Viewer | Field::JoinedAt | Field::LeftAt),
            _ => self.required(),
        }
    }

    /// A column the registry's sheets must have.
    pub fn required(&self) -> bool {
        use Field::*;
        matches!(
            self,
            CarrierName
                | CarrierKind
                | Division
                | UnitName
                | OrgName
                | OrgKind
                | MemberName
                | MemberStatus
                | ResidentId
                | OrgRef
        )
    }

    /// Header words that mean this column, canonical first.
    pub fn names(&self) -> &'static [&'static str] {
        use Field::*;
        match self {
            CarrierName => &["载体名称", "名称", "楼宇名称", "园区名称", "载体", "楼宇(园区)名称"],
            CarrierKind => &["载体类型", "类型", "类别", "载体类别"],
            IsKey => &["是否重点", "重点载体", "重点", "是否重点楼宇"],
            Division => &[
                "所属区划",
                "区划",
                "区划代码",
                "所属街道",
                "街道",
                "街镇",
                "所属街镇",
                "街道(镇)",
                "所属社区",
                "社区",
                "居委",
                "所在街道",
                "行政区划",
            ],
            Address => &["地址", "详细地址", "注册地址", "办公地址", "所在地址"],
            Longitude => &["经度"],
            Latitude => &["纬度"],
            UnitName => &["单位名称", "企业名称", "组织名称", "名称", "单位", "机构名称"],
            UnitKind => &["单位类型", "单位性质", "类型", "性质", "单位类别", "组织类型"],
            CreditCode => &[
                "统一社会信用代码",
                "信用代码",
                "社会信用代码",
                "统一信用代码",
                "统一代码",
            ],
            Employees => &["从业人数", "职工人数", "员工人数", "从业人员数", "人数", "从业人员"],
            CarrierRef => &[
                "所在载体",
                "所在楼宇",
                "所属楼宇",
                "楼宇",
                "所在园区",
                "园区",
                "载体",
                "所属载体",
            ],
            Instructor => &["党建指导员", "指导员", "党建指导员姓名"],
            InstructorPhone => &["指导员电话", "党建指导员电话", "指导员联系电话"],
            Headquarters => &["所属总部", "总部", "上级总部", "总部单位"],
            OrgName => &["党组织名称", "组织名称", "名称", "党组织"],
            OrgKind => &["组织类别", "党组织类别", "党组织类型", "类型", "类别", "组织类型"],
            ParentOrg => &["上级党组织", "上级组织", "隶属党组织", "上级党组织名称"],
            OrgUnits => &[
                "所属单位",
                "所在单位",
                "单位",
                "覆盖单位",
                "联建单位",
                "依托单位",
                "单位名称",
            ],
            Secretary => &["书记", "党组织书记", "支部书记", "书记姓名"],
            FoundedOn => &["成立日期", "成立时间", "建立时间", "组建时间"],
            TermEndsOn => &["届满日期", "换届日期", "任期届满", "届满时间", "任期届满日期"],
            MemberName => &["姓名", "党员姓名", "名字"],
            MemberStatus => &["党员类别", "人员类别", "类别", "党员类型", "党员状态"],
            ResidentId => &["公民身份号码", "身份证号", "身份证号码", "身份证", "证件号码"],
            Phone => &["联系电话", "手机号", "手机", "电话", "手机号码", "phone"],
            OrgRef => &["所在党组织", "党组织", "所属党组织", "党支部", "所在支部", "所在党支部"],
            WorkUnit => &["工作单位", "所在单位", "单位", "工作单位名称"],
            JoinedOn => &["入党日期", "入党时间", "入党年月"],
            Version => &["版本", "版本号", "version"],
            PostKind => &["清单类型", "类型", "需求或资源", "需求/资源", "类别（需求/资源）"],
            PostTitle => &[
                "名称",
                "标题",
                "需求名称",
                "资源名称",
                "清单名称",
                "项目名称",
                "需求项目",
                "资源项目",
                "服务项目",
            ],
            PostCategory => &[
                "类别",
                "分类",
                "领域",
                "服务类别",
                "需求类别",
                "资源类别",
                "所属领域",
                "类型",
            ],
            PostDescription => &[
                "具体内容",
                "内容",
                "描述",
                "详细内容",
                "需求内容",
                "资源内容",
                "需求描述",
                "资源描述",
                "具体需求",
                "服务内容",
                "说明",
                "简介",
            ],
            PostUnit => &[
                "单位",
                "单位名称",
                "发布单位",
                "需求单位",
                "提供单位",
                "资源提供单位",
                "需求提出单位",
                "成员单位",
                "责任单位",
            ],
            Place => &["地点", "服务地点", "活动地点", "地址", "场所", "实施地点"],
            Audience => &[
                "服务对象",
                "对象",
                "受益对象",
                "受众",
                "面向人群",
                "服务人群",
                "受益群体",
            ],
            StartsOn => &["开始日期", "开始时间", "起始日期", "起始时间"],
            EndsOn => &["结束日期", "截止日期", "结束时间", "截止时间", "有效期至"],
            People => &["人数", "规模", "服务人数", "可服务人数", "受益人数", "名额", "覆盖人数"],
            ContactName => &["联系人", "联系人姓名", "负责人", "对接人"],
            Viewer => &[
                "观看者",
                "用户昵称",
                "昵称",
                "参会者",
                "参会人",
                "用户名",
                "姓名",
                "观众",
                "who",
                "name",
                "user",
                "viewer",
            ],
            JoinedAt => &[
                "进入时间",
                "入会时间",
                "加入时间",
                "开始观看时间",
                "首次进入时间",
                "joined",
                "join time",
                "joined at",
            ],
            LeftAt => &[
                "离开时间",
                "离会时间",
                "退出时间",
                "结束观看时间",
                "最后离开时间",
                "left",
                "leave time",
                "left at",
            ],
        }
    }

    /// How the values of several columns feeding this field are joined, when that keeps
    /// their meaning: an organisation's units (所在单位 + 覆盖单位) are one list; a street
    /// and a community column are one path. `None`: two such columns are refused.
    pub fn merge_separator(&self) -> Option<&'static str> {
        match self {
            Field::OrgUnits => Some("、"),
            // 需求单位 and 提供单位 in one sheet of both: one of them is filled a row.
            Field::PostUnit => Some("、"),
            Field::Division => Some("/"),
            _ => None,
        }
    }

    /// Matches a normalised header (see [`header_key`]) to a field of `kind`; the most
    /// specific field wins when a word is shared (the canonical name beats a synonym).
    /// One look-up in a table built once, so header detection costs the same whatever
    /// the synonym lists hold.
    pub fn match_header(kind: Kind, key: &str) -> Option<Field> {
        if key.is_empty() {
            return None;
        }
        header_table().get(&(kind, key.to_string())).copied()
    }
}

/// (kind, header key) → field, with the rule of [`Field::match_header`] applied.
fn header_table() -> &'static HashMap<(Kind, String), Field> {
    static TABLE: OnceLock<HashMap<(Kind, String), Field>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut best: HashMap<(Kind, String), (usize, Field)> = HashMap::new();
        for kind in Kind::EVERY {
            for f in kind.fields() {
                for (rank, n) in f.names().iter().enumerate() {
                    let e = best.entry((kind, header_key(n))).or_insert((rank, *f));
                    if rank < e.0 {
                        *e = (rank, *f);
                    }
                }
            }
        }
        best.into_iter().map(|(k, (_, f))| (k, f)).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_and_variants_match() {
        assert_eq!(
            Field::match_header(Kind::Units, &header_key("企业名称")),
            Some(Field::UnitName)
        );
        assert_eq!(
            Field::match_header(Kind::Units, &header_key(" 统一社会信用代码（必填）")),
            Some(Field::CreditCode)
        );
        assert_eq!(
            Field::match_header(Kind::Units, &header_key("單位名稱")),
            Some(Field::UnitName)
        );
        assert_eq!(
            Field::match_header(Kind::Units, &header_key("所属街道")),
            Some(Field::Division)
        );
        assert_eq!(
            Field::match_header(Kind::Units, &header_key("*信用代码")),
            Some(Field::CreditCode)
        );
        assert_eq!(
            Field::match_header(Kind::Members, &header_key("身份證號")),
            Some(Field::ResidentId)
        );
        assert_eq!(Kind::parse("党员名册"), Some(Kind::Members));
    }
}
