//! Roles and what each may do. Scope (where) is separate from role (what).

/// A role an account holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 系统管理员
    SystemAdmin,
    /// 区委组织部/社工部 (district office)
    DistrictOffice,
    /// 街道党工委 (street office)
    StreetOffice,
    /// 党群服务中心工作人员
    ServiceCentreStaff,
    /// 支部书记
    BranchSecretary,
    /// 成员单位联络员
    UnitLiaison,
    /// 党员
    Member,
}

/// Something an account may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See registry records in scope (personal data masked).
    ReadRegistry,
    /// Create, edit and archive carriers, units and organisations in scope.
    WriteRegistry,
    /// Create, edit and archive member records in scope.
    WriteMembers,
    /// Read a full resident ID or phone number (audited).
    RevealPersonalData,
    /// Import and export spreadsheets.
    ImportExport,
    /// Manage accounts and load divisions.
    Administer,
    /// Create accounts below one's own in one's territory, reset their passwords and
    /// disable them.
    ManageAccounts,
    /// Record service centres (党群服务中心) in one's territory: their rooms, hours and the
    /// organisations and units each serves.
    WriteCentres,
    /// Keep the regional alliance of one's territory: joint conferences, their member
    /// units and offices, plenaries, visits, liaisons.
    WriteAlliance,
    /// Take a coverage snapshot of every territory at once (it stands for the month in
    /// everyone's trend, so it is the district's call).
    TakeSnapshots,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::SystemAdmin,
        Role::DistrictOffice,
        Role::StreetOffice,
        Role::ServiceCentreStaff,
        Role::BranchSecretary,
        Role::UnitLiaison,
        Role::Member,
    ];

    pub fn code(&self) -> &'static str {
        match self {
            Role::SystemAdmin => "system_admin",
            Role::DistrictOffice => "district_office",
            Role::StreetOffice => "street_office",
            Role::ServiceCentreStaff => "service_centre_staff",
            Role::BranchSecretary => "branch_secretary",
            Role::UnitLiaison => "unit_liaison",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == s.trim())
    }

    /// The roles this role may give a new account: an administrator any; a district
    /// office the roles that work below it (streets, centres, secretaries, liaisons,
    /// members), never its own or an administrator's (brief §2: districts run their
    /// streets; accounts are made from above).
    pub fn may_grant(&self, other: Role) -> bool {
        match self {
            Role::SystemAdmin => true,
            Role::DistrictOffice => !matches!(other, Role::SystemAdmin | Role::DistrictOffice),
            _ => false,
        }
    }

    /// The permission matrix. Brief §2 (users) and §4a.8: an ordinary member sees only
    /// themselves and their own branch; personal data is revealed only to offices that
    /// keep the registry and to the member's branch secretary.
    pub fn may(&self, action: Action) -> bool {
        use Action::*;
        match self {
            Role::SystemAdmin => true,
            Role::DistrictOffice => !matches!(action, Administer),
            Role::StreetOffice => !matches!(action, Administer | TakeSnapshots | ManageAccounts),
            Role::BranchSecretary => {
                matches!(action, ReadRegistry | WriteMembers | RevealPersonalData)
            }
            // A member's account is scoped to their own branch: they see it and its
            // members, with personal data masked (brief §4a.8).
            Role::ServiceCentreStaff | Role::UnitLiaison | Role::Member => matches!(action, ReadRegistry),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.code()), Some(r));
        }
        assert!(Role::StreetOffice.may(Action::WriteRegistry));
        assert!(!Role::StreetOffice.may(Action::Administer));
        assert!(Role::DistrictOffice.may(Action::TakeSnapshots));
        assert!(!Role::StreetOffice.may(Action::TakeSnapshots));
        assert!(Role::Member.may(Action::ReadRegistry));
        assert!(Role::DistrictOffice.may(Action::ManageAccounts));
        assert!(!Role::StreetOffice.may(Action::ManageAccounts));
        assert!(Role::DistrictOffice.may_grant(Role::StreetOffice));
        assert!(!Role::DistrictOffice.may_grant(Role::DistrictOffice));
        assert!(!Role::StreetOffice.may_grant(Role::Member));
        assert!(!Role::Member.may(Action::RevealPersonalData));
        assert!(Role::StreetOffice.may(Action::WriteCentres));
        assert!(!Role::BranchSecretary.may(Action::WriteCentres));
        assert!(!Role::Member.may(Action::WriteCentres));
        assert!(Role::StreetOffice.may(Action::WriteAlliance));
        assert!(!Role::UnitLiaison.may(Action::WriteAlliance));
        assert!(!Role::BranchSecretary.may(Action::WriteAlliance));
    }
}
