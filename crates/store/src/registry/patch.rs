//! Edits as patches: each field `None` is left as stored. A field absent from a form,
//! a request or a sheet is never written (a street office that changed a unit's head
//! count once erased its instructor, because the form did not carry it). The patch is
//! laid over the stored row and the result validated as a new record would be.

use super::{MemberInput, OrgInput, UnitInput};
use crate::entity::{carrier, member, party_org, unit};
use crate::{Result, StoreError};
use chrono::NaiveDate;
use tongxin_domain::codes::{Phone, ResidentId};
use tongxin_domain::registry::{
    CarrierFields, CarrierId, InstructorId, Labelled, MemberFields, OrgFields, OrgId, UnitFields, UnitId,
};

/// An edit of a carrier.
#[derive(Debug, Clone, Default)]
pub struct CarrierPatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub is_key: Option<bool>,
    pub division: Option<String>,
    pub address: Option<String>,
    /// `Some(None)` clears the location.
    pub location: Option<Option<(f64, f64)>>,
}

/// An edit of a unit.
#[derive(Debug, Clone, Default)]
pub struct UnitPatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    /// `Some("")` clears the code.
    pub credit_code: Option<String>,
    /// As typed (`1,200人`); `Some("")` clears the count.
    pub employees: Option<String>,
    pub division: Option<String>,
    pub address: Option<String>,
    pub carrier_id: Option<Option<CarrierId>>,
    pub instructor_id: Option<Option<InstructorId>>,
}

/// An edit of a party organisation.
#[derive(Debug, Clone, Default)]
pub struct OrgPatch {
    pub name: Option<String>,
    pub kind: Option<String>,
    pub division: Option<String>,
    pub secretary: Option<String>,
    pub founded_on: Option<Option<NaiveDate>>,
    pub term_ends_on: Option<Option<NaiveDate>>,
    pub parent_id: Option<Option<OrgId>>,
    pub carrier_id: Option<Option<CarrierId>>,
    pub unit_ids: Option<Vec<UnitId>>,
}

/// An edit of a member. A resident ID or phone sent back in its masked form (as lists
/// and forms show it) is no change.
#[derive(Debug, Clone, Default)]
pub struct MemberPatch {
    pub name: Option<String>,
    pub status: Option<String>,
    pub resident_id: Option<String>,
    pub phone: Option<String>,
    pub joined_on: Option<Option<NaiveDate>>,
    pub org_id: Option<OrgId>,
    pub work_unit_id: Option<Option<UnitId>>,
}

fn or<'a>(new: &'a Option<String>, old: &'a str) -> &'a str {
    new.as_deref().unwrap_or(old)
}

impl CarrierPatch {
    pub(crate) fn over(&self, m: &carrier::Model) -> Result<CarrierFields> {
        let location = match self.location {
            Some(l) => l,
            None => m.lng.zip(m.lat),
        };
        Ok(CarrierFields::parse(
            or(&self.name, &m.name),
            or(&self.kind, &m.kind),
            self.is_key.unwrap_or(m.is_key),
            or(&self.division, &m.division_code),
            or(&self.address, m.address.as_deref().unwrap_or("")),
            location,
        )?)
    }
}

impl UnitPatch {
    pub(crate) fn over(&self, m: &unit::Model) -> Result<UnitInput> {
        let employees = m.employees.map(|e| e.to_string()).unwrap_or_default();
        let fields = UnitFields::parse(
            or(&self.name, &m.name),
            or(&self.kind, &m.kind),
            or(&self.credit_code, m.credit_code.as_deref().unwrap_or("")),
            or(&self.employees, &employees),
            or(&self.division, &m.division_code),
            or(&self.address, m.address.as_deref().unwrap_or("")),
        )?;
        Ok(UnitInput {
            fields,
            carrier_id: self.carrier_id.unwrap_or(m.carrier_id.map(CarrierId)),
            instructor_id: self.instructor_id.unwrap_or(m.instructor_id.map(InstructorId)),
        })
    }
}

impl OrgPatch {
    pub(crate) fn over(&self, m: &party_org::Model, unit_ids: Vec<UnitId>) -> Result<OrgInput> {
        let fields = OrgFields::parse(
            or(&self.name, &m.name),
            or(&self.kind, &m.kind),
            or(&self.division, &m.division_code),
            or(&self.secretary, m.secretary.as_deref().unwrap_or("")),
            self.founded_on.unwrap_or(m.founded_on),
            self.term_ends_on.unwrap_or(m.term_ends_on),
        )?;
        let mut units = self.unit_ids.clone().unwrap_or(unit_ids);
        units.sort_unstable();
        units.dedup();
        Ok(OrgInput {
            fields,
            parent_id: self.parent_id.unwrap_or(m.parent_id.map(OrgId)),
            carrier_id: self.carrier_id.unwrap_or(m.carrier_id.map(CarrierId)),
            unit_ids: units,
        })
    }
}

/// The value to validate: the stored one when the sent one is blank-equal to it or is
/// its masked form.
fn unless_masked<'a>(sent: &'a Option<String>, stored: &'a str, masked: &str) -> &'a str {
    match sent.as_deref() {
        Some(s) if tongxin_domain::text::code_form(s) != tongxin_domain::text::code_form(masked) => s,
        _ => stored,
    }
}

impl MemberPatch {
    pub(crate) fn over(&self, m: &member::Model) -> Result<MemberInput> {
        let id_masked = ResidentId::parse(&m.resident_id)
            .map(|r| r.masked())
            .unwrap_or_default();
        let stored_phone = m.phone.clone().unwrap_or_default();
        let phone_masked = Phone::parse(&stored_phone).map(|p| p.masked()).unwrap_or_default();
        let fields = MemberFields::parse(
            or(&self.name, &m.name),
            or(&self.status, &m.status),
            unless_masked(&self.resident_id, &m.resident_id, &id_masked),
            unless_masked(&self.phone, &stored_phone, &phone_masked),
            self.joined_on.unwrap_or(m.joined_on),
        )
        .map_err(StoreError::Invalid)?;
        Ok(MemberInput {
            fields,
            org_id: self.org_id.unwrap_or(OrgId(m.org_id)),
            work_unit_id: self.work_unit_id.unwrap_or(m.work_unit_id.map(UnitId)),
        })
    }
}

/// A patch that sets every field to the input's value (a whole record written back).
impl From<CarrierFields> for CarrierPatch {
    fn from(f: CarrierFields) -> Self {
        CarrierPatch {
            name: Some(f.name),
            kind: Some(f.kind.code().to_string()),
            is_key: Some(f.is_key),
            division: Some(f.division.to_string()),
            address: Some(f.address.unwrap_or_default()),
            location: Some(f.location),
        }
    }
}

impl From<UnitInput> for UnitPatch {
    fn from(i: UnitInput) -> Self {
        let f = i.fields;
        UnitPatch {
            name: Some(f.name),
            kind: Some(f.kind.code().to_string()),
            credit_code: Some(f.credit_code.map(|c| c.to_string()).unwrap_or_default()),
            employees: Some(f.employees.map(|e| e.to_string()).unwrap_or_default()),
            division: Some(f.division.to_string()),
            address: Some(f.address.unwrap_or_default()),
            carrier_id: Some(i.carrier_id),
            instructor_id: Some(i.instructor_id),
        }
    }
}

impl From<OrgInput> for OrgPatch {
    fn from(i: OrgInput) -> Self {
        let f = i.fields;
        OrgPatch {
            name: Some(f.name),
            kind: Some(f.kind.code().to_string()),
            division: Some(f.division.to_string()),
            secretary: Some(f.secretary.unwrap_or_default()),
            founded_on: Some(f.founded_on),
            term_ends_on: Some(f.term_ends_on),
            parent_id: Some(i.parent_id),
            carrier_id: Some(i.carrier_id),
            unit_ids: Some(i.unit_ids),
        }
    }
}

impl From<MemberInput> for MemberPatch {
    fn from(i: MemberInput) -> Self {
        let f = i.fields;
        MemberPatch {
            name: Some(f.name),
            status: Some(f.status.code().to_string()),
            resident_id: Some(f.resident_id.reveal().to_string()),
            phone: Some(f.phone.map(|p| p.reveal().to_string()).unwrap_or_default()),
            joined_on: Some(f.joined_on),
            org_id: Some(i.org_id),
            work_unit_id: Some(i.work_unit_id),
        }
    }
}
