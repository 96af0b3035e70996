//! Typed ids: a `UnitId` cannot be passed where an `OrgId` is wanted.

macro_rules! id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub struct $name(pub i64);

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id!(/// Id of a carrier (载体).
    CarrierId);
id!(/// Id of a unit (单位).
    UnitId);
id!(/// Id of a party organisation (党组织).
    OrgId);
id!(/// Id of a member (党员).
    MemberId);
id!(/// Id of a party-building instructor (党建指导员).
    InstructorId);
id!(/// Id of a login account.
    AccountId);
id!(/// Id of a party-mass service centre (党群服务中心).
    CentreId);
id!(/// Id of a room of a service centre (活动室).
    RoomId);
id!(/// Id of a joint conference (区域化党建联席会议 / 党建联盟).
    ConferenceId);
id!(/// Id of a member unit of a joint conference (成员单位).
    AllianceMemberId);
id!(/// Id of a plenary meeting of a joint conference (全体会议).
    PlenaryId);
id!(/// Id of a project of a joint conference (项目).
    ProjectId);
id!(/// Id of a file kept for a project (附件).
    AttachmentId);
