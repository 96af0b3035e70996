//! Planning an import: every row of every sheet checked and resolved against what the
//! registry holds (read once, in scope) and against the other rows of the same import,
//! whatever their order — a branch may come before its committee, a member before its
//! branch, a unit before its headquarters. Pure work on memory: no write, no lock.
//!
//! Each row ends as a record to create, an update, unchanged, or a list of every error
//! it has (not only the first). A row that refers to a row with errors fails too,
//! naming it; organisations whose parents form a cycle fail naming the rows.

use super::lookups::{Lookups, name_key, pick};
use crate::entity::{carrier, member, party_org, unit};
use crate::registry::{CarrierPatch, MemberPatch, OrgPatch, UnitPatch};
use crate::{Actor, StoreError};
use std::collections::{HashMap, HashSet};
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::{CarrierFields, Labelled, MemberFields, OrgFields, UnitFields};
use tongxin_domain::{Coded, DomainError, ErrorCode};
use tongxin_import::{Field, Kind, Table, TableRow, parse_bool, parse_date, split_multi};

/// A record an import refers to: one already stored, or one this import creates (an
/// index into the plan's list of new records of that kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Ref {
    Old(i64),
    New(usize),
}

/// Where a row stands: its table and its index among the table's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct RowId {
    pub table: usize,
    pub row: usize,
}

/// One error of a row: the column, a stable code, and the value at fault (data, never a
/// developer's message: the message is the code's, in the reader's language).
#[derive(Debug, Clone)]
pub(crate) struct RowFail {
    pub column: Option<&'static str>,
    pub code: ErrorCode,
    pub detail: String,
}

pub(crate) fn fail(column: Option<Field>, code: ErrorCode, detail: impl Into<String>) -> RowFail {
    RowFail {
        column: column.map(|f| f.header()),
        code,
        detail: detail.into(),
    }
}

/// What became of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    Created,
    Updated,
    Unchanged,
}

/// An instructor named in a units sheet: kept per street.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct InstructorKey {
    pub name: String,
    pub street: DivisionCode,
}

pub(crate) struct NewCarrier {
    pub row: RowId,
    pub fields: CarrierFields,
}

pub(crate) struct NewUnit {
    pub row: RowId,
    pub fields: UnitFields,
    pub carrier: Option<Ref>,
    pub instructor: Option<InstructorKey>,
}

pub(crate) struct NewOrg {
    pub row: RowId,
    pub fields: OrgFields,
    pub parent: Option<Ref>,
    pub carrier: Option<Ref>,
    pub units: Vec<Ref>,
}

/// A member to create: its row (whose fields are read again when it is written) and
/// what it refers to.
pub(crate) struct NewMember {
    pub row: RowId,
    pub org: Ref,
    pub work_unit: Option<Ref>,
}

/// An update of a stored record: its row as read, and the patch of the row's cells.
pub(crate) struct Update<M, P> {
    pub row: RowId,
    pub before: M,
    pub patch: P,
}

/// Updates refer by [`Ref`] too: a stored unit may move into a carrier this import
/// creates.
pub(crate) struct UnitUpdate {
    pub update: Update<unit::Model, UnitPatch>,
    pub carrier: Option<Ref>,
    pub instructor: Option<InstructorKey>,
}

pub(crate) struct OrgUpdate {
    pub update: Update<party_org::Model, OrgPatch>,
    pub parent: Option<Ref>,
    pub carrier: Option<Ref>,
    pub units: Option<Vec<Ref>>,
}

pub(crate) struct MemberUpdate {
    pub update: Update<member::Model, MemberPatch>,
    pub org: Ref,
    pub work_unit: Option<Ref>,
}

/// Everything an import would do.
#[derive(Default)]
pub(crate) struct Plan {
    pub carriers: Vec<NewCarrier>,
    pub carrier_updates: Vec<Update<carrier::Model, CarrierPatch>>,
    pub units: Vec<NewUnit>,
    pub unit_updates: Vec<UnitUpdate>,
    /// (headquarters, unit) links to add.
    pub links: Vec<(RowId, Ref, Ref)>,
    pub orgs: Vec<NewOrg>,
    pub org_updates: Vec<OrgUpdate>,
    pub members: Vec<NewMember>,
    pub member_updates: Vec<MemberUpdate>,
    /// Per row: its errors, or what it does.
    pub outcomes: Outcomes,
    /// Resident IDs registered outside the territory, met in this import, by row.
    pub elsewhere: Vec<(RowId, tongxin_domain::codes::ResidentId)>,
    /// The phone given for an instructor (the first row that gives one).
    pub instructor_phones: HashMap<InstructorKey, Phone>,
}

/// What became of a row, or its errors.
pub(crate) type Outcome = std::result::Result<Change, Vec<RowFail>>;

/// The outcome of every row, by table and row: a dense table sized once (a city's import
/// has millions of rows; a map of them cost several times as much, and twice that while
/// it grew).
#[derive(Default)]
pub(crate) struct Outcomes(Vec<Vec<Option<Outcome>>>);

impl Outcomes {
    fn sized(tables: &[Table]) -> Self {
        Outcomes(tables.iter().map(|t| vec![None; t.rows.len()]).collect())
    }

    pub fn get(&self, row: &RowId) -> Option<&Outcome> {
        self.0.get(row.table)?.get(row.row)?.as_ref()
    }

    pub fn get_mut(&mut self, row: &RowId) -> Option<&mut Outcome> {
        self.0.get_mut(row.table)?.get_mut(row.row)?.as_mut()
    }

    fn slot(&mut self, row: RowId) -> Option<&mut Option<Outcome>> {
        self.0.get_mut(row.table)?.get_mut(row.row)
    }

    pub fn insert(&mut self, row: RowId, o: Outcome) {
        if let Some(slot) = self.slot(row) {
            *slot = Some(o);
        }
    }

    /// Every row with an outcome, in the order of tables and rows.
    pub fn iter(&self) -> impl Iterator<Item = (RowId, &Outcome)> + '_ {
        self.0.iter().enumerate().flat_map(|(table, rows)| {
            rows.iter()
                .enumerate()
                .filter_map(move |(row, o)| o.as_ref().map(|o| (RowId { table, row }, o)))
        })
    }
}

impl Plan {
    fn failed(&mut self, row: RowId, f: Vec<RowFail>) {
        match self.outcomes.get_mut(&row) {
            Some(Err(have)) => have.extend(f),
            _ => {
                self.outcomes.insert(row, Err(f));
            }
        }
    }

    /// Refuses every new member from row `from` on (in the order of tables and rows) with
    /// `code`, on the resident ID.
    pub fn refuse_new_members_from(&mut self, from: RowId, code: ErrorCode) {
        let rows: Vec<RowId> = self
            .members
            .iter()
            .map(|m| m.row)
            .filter(|r| (r.table, r.row) >= (from.table, from.row))
            .collect();
        for row in rows {
            self.outcomes
                .insert(row, Err(vec![fail(Some(Field::ResidentId), code, "")]));
        }
    }

    fn ok(&mut self, row: RowId, c: Change) {
        if let Some(slot @ None) = self.outcomes.slot(row) {
            *slot = Some(Ok(c));
        }
    }

    pub fn has_errors(&self) -> bool {
        self.outcomes.iter().any(|(_, o)| o.is_err())
    }

    pub fn is_ok(&self, row: RowId) -> bool {
        matches!(self.outcomes.get(&row), Some(Ok(_)))
    }
}

/// Keeps errors from stopping at the first: each check adds what it finds.
#[derive(Default)]
struct Errors(Vec<RowFail>);

impl Errors {
    fn take<T>(&mut self, r: std::result::Result<T, RowFail>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    fn domain(&mut self, kind: Kind, row: &TableRow, errs: Vec<DomainError>) {
        for e in errs {
            let column = field_of(kind, e.field());
            let value = column.map(|f| row.get(f).to_string()).unwrap_or_default();
            self.0.push(RowFail {
                column: column.map(|f| f.header()),
                code: e.code(),
                detail: value,
            });
        }
    }
}

/// The sheet column a domain field is read from.
fn field_of(kind: Kind, name: &str) -> Option<Field> {
    use Field::*;
    Some(match (kind, name) {
        (Kind::Carriers, "name") => CarrierName,
        (Kind::Carriers, "kind") => CarrierKind,
        (Kind::Units, "name") => UnitName,
        (Kind::Units, "kind") => UnitKind,
        (Kind::Units, "credit_code") => CreditCode,
        (Kind::Units, "employees") => Employees,
        (Kind::Orgs, "name") => OrgName,
        (Kind::Orgs, "kind") => OrgKind,
        (Kind::Orgs, "secretary") => Secretary,
        (Kind::Orgs, "founded_on") => FoundedOn,
        (Kind::Orgs, "term_ends_on") => TermEndsOn,
        (Kind::Members, "name") => MemberName,
        (Kind::Members, "status") => MemberStatus,
        (Kind::Members, "resident_id") => ResidentId,
        (Kind::Members, "phone") => Phone,
        (Kind::Members, "joined_on") => JoinedOn,
        (_, "division") => Division,
        (_, "address") => Address,
        (_, "location") => Longitude,
        _ => return None,
    })
}

/// The cell of a field when it holds something: an absent column or an empty cell leaves
/// the stored value as it is (an import never erases what it does not carry).
fn given(row: &TableRow, f: Field) -> Option<String> {
    Some(row.get(f)).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A row that carries the version it was exported at may not overwrite a newer edit.
fn check_row_version(row: &TableRow, stored: i64) -> std::result::Result<(), RowFail> {
    match row.get(Field::Version) {
        "" => Ok(()),
        v => match v.trim_end_matches(".0").parse::<i64>() {
            Ok(n) if n == stored => Ok(()),
            Ok(n) => Err(fail(
                Some(Field::Version),
                ErrorCode::StaleEdit,
                format!("{n} → {stored}"),
            )),
            Err(_) => Err(fail(Some(Field::Version), ErrorCode::NotANumber, v)),
        },
    }
}

/// Names of the records this import creates, by kind: name → (index, division).
#[derive(Default)]
struct NewNames {
    carriers: HashMap<String, Vec<(Ref, String)>>,
    units: HashMap<String, Vec<(Ref, String)>>,
    orgs: HashMap<String, Vec<(Ref, String)>>,
}

/// Resolves a name among stored records and those this import creates.
fn resolve(
    old: Option<&Vec<(i64, String)>>,
    new: Option<&Vec<(Ref, String)>>,
    division: Option<&str>,
    field: Field,
    name: &str,
) -> std::result::Result<Ref, RowFail> {
    let mut all: Vec<(Ref, String)> = old
        .into_iter()
        .flatten()
        .map(|(id, d)| (Ref::Old(*id), d.clone()))
        .collect();
    all.extend(new.into_iter().flatten().cloned());
    pick(&all, division)
        .map_err(|_| fail(Some(field), ErrorCode::ReferenceAmbiguous, name))?
        .ok_or_else(|| fail(Some(field), ErrorCode::ReferenceInvalid, name))
}

/// An optional reference cell: empty is `None`; a name resolves or is an error of the row.
fn optional_ref(
    e: &mut Errors,
    row: &TableRow,
    field: Field,
    old: &HashMap<String, Vec<(i64, String)>>,
    new: &HashMap<String, Vec<(Ref, String)>>,
    near: Option<&str>,
) -> Option<Ref> {
    match row.get(field) {
        "" => None,
        name => {
            let key = name_key(name);
            e.take(resolve(old.get(&key), new.get(&key), near, field, name))
        }
    }
}

/// Plans every row of `tables`.
pub(crate) fn plan(actor: &Actor, lk: &Lookups, tables: &[Table]) -> Plan {
    // Room for every row up front: a city's import has millions, and a list or map that
    // grows by doubling holds both its old and new storage while it moves (and up to
    // twice what it needs after).
    let rows_of = |k: Kind| -> usize { tables.iter().filter(|t| t.kind == k).map(|t| t.rows.len()).sum() };
    let all_rows: usize = tables.iter().map(|t| t.rows.len()).sum();
    let mut p = Plan {
        outcomes: Outcomes::sized(tables),
        ..Default::default()
    };
    let mut names = NewNames::default();
    // Natural keys seen in this import, to refuse a record given twice: key → line.
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(all_rows);
    let mut seen_once = |key: String, row: &TableRow, field: Field| -> std::result::Result<(), RowFail> {
        match seen.get(&key) {
            Some(line) => Err(fail(Some(field), ErrorCode::DuplicateRow, line.to_string())),
            None => {
                seen.insert(key, row.line);
                Ok(())
            }
        }
    };

    // Pass 1, every kind: check each row on its own and register the names of the records
    // it creates, so that pass 2 resolves references in any order.
    p.carriers.reserve_exact(rows_of(Kind::Carriers));
    p.units.reserve_exact(rows_of(Kind::Units));
    p.orgs.reserve_exact(rows_of(Kind::Orgs));
    let mut units_pending = Vec::with_capacity(rows_of(Kind::Units));
    let mut orgs_pending = Vec::with_capacity(rows_of(Kind::Orgs));
    let mut members_pending = Vec::with_capacity(rows_of(Kind::Members));
    for (ti, t) in tables.iter().enumerate() {
        for (ri, row) in t.rows.iter().enumerate() {
            let id = RowId { table: ti, row: ri };
            if let Some(f) = row.over_long() {
                p.failed(
                    id,
                    vec![fail(
                        Some(f),
                        ErrorCode::CellTooLong,
                        tongxin_import::EXCEL_MAX_CELL_CHARS.to_string(),
                    )],
                );
                continue;
            }
            match t.kind {
                Kind::Carriers => plan_carrier(actor, lk, &mut p, &mut names, &mut seen_once, id, row),
                Kind::Units => {
                    if let Some(u) = check_unit(actor, lk, &mut p, &mut names, &mut seen_once, id, row) {
                        units_pending.push(u);
                    }
                }
                Kind::Orgs => {
                    if let Some(o) = check_org(actor, lk, &mut p, &mut names, &mut seen_once, id, row) {
                        orgs_pending.push(o);
                    }
                }
                Kind::Members => {
                    if let Some(m) = check_member(lk, &mut p, &mut seen_once, id, row) {
                        members_pending.push(m);
                    }
                }
                // An alliance's lists go through their conference's import: a row of
                // one given to the registry's is refused, never dropped.
                Kind::Needs | Kind::Resources | Kind::ViewerLog => {
                    p.failed(id, vec![fail(None, ErrorCode::NoHeader, t.sheet.clone())])
                }
            }
        }
    }
    // Rows refused on their own: their references are checked below too, so that every
    // error of a row is reported at once.
    let refused: Vec<RowId> = p
        .outcomes
        .iter()
        .filter(|(_, o)| o.is_err())
        .map(|(id, _)| id)
        .collect();
    // Pass 2: references, now that every name of the import is known.
    // Duplicates are found: the keys go before the references are resolved.
    drop(seen);
    p.members.reserve_exact(members_pending.len());
    for u in units_pending {
        resolve_unit(lk, &mut p, &names, tables, u);
    }
    for o in orgs_pending {
        resolve_org(lk, &mut p, &names, tables, o);
    }
    for m in members_pending {
        resolve_member(lk, &mut p, &names, tables, m);
    }
    for id in refused {
        let t = &tables[id.table];
        let row = &t.rows[id.row];
        let division = lk.resolve_division(actor, row.get(Field::Division)).ok();
        let more = reference_errors(lk, &names, t.kind, row, division.as_ref().map(|d| d.as_str()));
        p.failed(id, more);
    }
    parent_cycles(&mut p, tables);
    fail_dependants(&mut p, tables);
    p
}

/// The errors of a row's references alone (for a row already refused for other reasons).
fn reference_errors(
    lk: &Lookups,
    names: &NewNames,
    kind: Kind,
    row: &TableRow,
    division: Option<&str>,
) -> Vec<RowFail> {
    let mut e = Errors::default();
    let mut one = |field: Field,
                   old: &HashMap<String, Vec<(i64, String)>>,
                   new: &HashMap<String, Vec<(Ref, String)>>,
                   near: Option<&str>| {
        for name in match field {
            Field::OrgUnits => split_multi(row.get(field)),
            _ => Some(name_key(row.get(field)))
                .filter(|n| !n.is_empty())
                .into_iter()
                .collect(),
        } {
            e.take(resolve(old.get(&name), new.get(&name), near, field, &name));
        }
    };
    match kind {
        Kind::Carriers => {}
        Kind::Units => {
            one(Field::CarrierRef, &lk.carriers, &names.carriers, division);
            one(Field::Headquarters, &lk.units_by_name, &names.units, None);
        }
        Kind::Orgs => {
            one(Field::ParentOrg, &lk.orgs_by_name, &names.orgs, division);
            one(Field::CarrierRef, &lk.carriers, &names.carriers, division);
            one(Field::OrgUnits, &lk.units_by_name, &names.units, division);
        }
        Kind::Members => {
            one(Field::OrgRef, &lk.orgs_by_name, &names.orgs, None);
            one(Field::WorkUnit, &lk.units_by_name, &names.units, None);
        }
        Kind::Needs | Kind::Resources | Kind::ViewerLog => {}
    }
    e.0
}

fn plan_carrier(
    actor: &Actor,
    lk: &Lookups,
    p: &mut Plan,
    names: &mut NewNames,
    seen: &mut impl FnMut(String, &TableRow, Field) -> std::result::Result<(), RowFail>,
    id: RowId,
    row: &TableRow,
) {
    let mut e = Errors::default();
    let division = e.take(lk.resolve_division(actor, row.get(Field::Division)));
    let is_key = e.take(
        parse_bool(row.get(Field::IsKey))
            .map_err(|_| fail(Some(Field::IsKey), ErrorCode::BadBool, row.get(Field::IsKey))),
    );
    let location = match (row.get(Field::Longitude), row.get(Field::Latitude)) {
        ("", "") => Some(None),
        (lng, lat) => {
            let lng = e.take(
                lng.parse::<f64>()
                    .map_err(|_| fail(Some(Field::Longitude), ErrorCode::NotANumber, lng)),
            );
            let lat = e.take(
                lat.parse::<f64>()
                    .map_err(|_| fail(Some(Field::Latitude), ErrorCode::NotANumber, lat)),
            );
            lng.zip(lat).map(Some)
        }
    };
    let Some(division) = division else {
        return p.failed(id, e.0);
    };
    let fields = CarrierFields::parse(
        row.get(Field::CarrierName),
        row.get(Field::CarrierKind),
        is_key.flatten().unwrap_or(false),
        division.as_str(),
        row.get(Field::Address),
        location.flatten(),
    );
    let fields = match fields {
        Ok(f) => f,
        Err(errs) => {
            e.domain(Kind::Carriers, row, errs);
            return p.failed(id, e.0);
        }
    };
    e.take(seen(
        format!("carrier|{}|{}", division, fields.name),
        row,
        Field::CarrierName,
    ));
    if !e.0.is_empty() {
        return p.failed(id, e.0);
    }
    match lk.carrier_models.get(&(division.to_string(), fields.name.clone())) {
        Some(m) => {
            let patch = CarrierPatch {
                name: None,
                kind: given(row, Field::CarrierKind),
                is_key: is_key.flatten(),
                division: None,
                address: given(row, Field::Address),
                location: location.flatten().map(Some),
            };
            match patch.over(m) {
                Ok(f) => {
                    let same = m.kind == f.kind.code()
                        && m.is_key == f.is_key
                        && m.address == f.address
                        && m.lng == f.location.map(|l| l.0)
                        && m.lat == f.location.map(|l| l.1);
                    if same {
                        return p.ok(id, Change::Unchanged);
                    }
                    if let Err(v) = check_row_version(row, m.version) {
                        return p.failed(id, vec![v]);
                    }
                    p.carrier_updates.push(Update {
                        row: id,
                        before: m.clone(),
                        patch,
                    });
                    p.ok(id, Change::Updated);
                }
                Err(err) => p.failed(id, store_fails(Kind::Carriers, row, err)),
            }
        }
        None => {
            names
                .carriers
                .entry(fields.name.clone())
                .or_default()
                .push((Ref::New(p.carriers.len()), division.to_string()));
            p.carriers.push(NewCarrier { row: id, fields });
            p.ok(id, Change::Created);
        }
    }
}

fn store_fails(kind: Kind, row: &TableRow, e: StoreError) -> Vec<RowFail> {
    match e {
        StoreError::Invalid(errs) => {
            let mut out = Errors::default();
            out.domain(kind, row, errs);
            out.0
        }
        other => vec![RowFail {
            column: None,
            code: other.code(),
            detail: String::new(),
        }],
    }
}

/// A unit row checked on its own, waiting for its references.
struct PendingUnit {
    id: RowId,
    /// Its place among the new units, when it is one.
    fields: UnitFields,
    target: Target<unit::Model>,
    instructor: Option<InstructorKey>,
}

fn check_unit(
    actor: &Actor,
    lk: &Lookups,
    p: &mut Plan,
    names: &mut NewNames,
    seen: &mut impl FnMut(String, &TableRow, Field) -> std::result::Result<(), RowFail>,
    id: RowId,
    row: &TableRow,
) -> Option<PendingUnit> {
    let mut e = Errors::default();
    let division = e.take(lk.resolve_division(actor, row.get(Field::Division)));
    let kind = match row.get(Field::UnitKind) {
        "" => "enterprise",
        k => k,
    };
    let fields = UnitFields::parse(
        row.get(Field::UnitName),
        kind,
        row.get(Field::CreditCode),
        row.get(Field::Employees),
        division.as_ref().map(|d| d.as_str()).unwrap_or("310000"),
        row.get(Field::Address),
    );
    let fields = match fields {
        Ok(f) => Some(f),
        Err(errs) => {
            e.domain(
                Kind::Units,
                row,
                errs.into_iter().filter(|x| x.field() != "division").collect(),
            );
            None
        }
    };
    let instructor = match name_key(row.get(Field::Instructor)) {
        n if n.is_empty() => None,
        name => {
            if !row.get(Field::InstructorPhone).is_empty() && Phone::parse(row.get(Field::InstructorPhone)).is_err() {
                e.0.push(fail(
                    Some(Field::InstructorPhone),
                    ErrorCode::PhoneInvalid,
                    row.get(Field::InstructorPhone),
                ));
            }
            // Instructors are kept per street (or the unit's own division above it).
            division.as_ref().map(|d| InstructorKey {
                name,
                street: if d.as_str().len() > 9 {
                    DivisionCode::parse(&d.as_str()[..9]).unwrap_or(d.clone())
                } else {
                    d.clone()
                },
            })
        }
    };
    let (Some(division), Some(fields)) = (division, fields) else {
        p.failed(id, e.0);
        return None;
    };
    let key = match &fields.credit_code {
        Some(c) => format!("unit|{c}"),
        None => format!("unit|{}|{}", division, fields.name),
    };
    e.take(seen(key, row, Field::UnitName));
    // The stored unit this row is: by credit code, else by name in its division.
    let existing = match &fields.credit_code {
        Some(c) => match lk.units_by_code.get(c.as_str()) {
            Some(uid) => lk.unit_models.get(uid).cloned(),
            None if lk.codes_elsewhere.contains(c.as_str()) => {
                e.0.push(fail(Some(Field::CreditCode), ErrorCode::Duplicate, c.to_string()));
                None
            }
            None => {
                // A new code on a name its division already has: the same unit's code
                // cannot be told from another unit's.
                if let Some(other) = lk.unit_by_division_name(division.as_str(), &fields.name)
                    && other.credit_code.as_deref().is_some_and(|oc| oc != c.as_str())
                {
                    e.0.push(fail(Some(Field::UnitName), ErrorCode::Duplicate, fields.name.clone()));
                }
                lk.unit_by_division_name(division.as_str(), &fields.name)
                    .filter(|m| m.credit_code.is_none())
                    .cloned()
            }
        },
        None => lk.unit_by_division_name(division.as_str(), &fields.name).cloned(),
    };
    if !e.0.is_empty() {
        p.failed(id, e.0);
        return None;
    }
    let target = match existing {
        Some(m) => Target::Stored(Box::new(m)),
        None => {
            names
                .units
                .entry(fields.name.clone())
                .or_default()
                .push((Ref::New(p.units.len()), division.to_string()));
            // Reserved now, completed in pass 2.
            p.units.push(NewUnit {
                row: id,
                fields: fields.clone(),
                carrier: None,
                instructor: instructor.clone(),
            });
            Target::New(p.units.len() - 1)
        }
    };
    if let (Some(k), Ok(phone)) = (&instructor, Phone::parse(row.get(Field::InstructorPhone))) {
        p.instructor_phones.entry(k.clone()).or_insert(phone);
    }
    Some(PendingUnit {
        id,
        fields,
        target,
        instructor,
    })
}

fn resolve_unit(lk: &Lookups, p: &mut Plan, names: &NewNames, tables: &[Table], u: PendingUnit) {
    let row = &tables[u.id.table].rows[u.id.row];
    let mut e = Errors::default();
    let division = u.fields.division.as_str().to_string();
    let carrier = optional_ref(
        &mut e,
        row,
        Field::CarrierRef,
        &lk.carriers,
        &names.carriers,
        Some(&division),
    );
    let hq = optional_ref(&mut e, row, Field::Headquarters, &lk.units_by_name, &names.units, None);
    let me = match &u.target {
        Target::Stored(m) => Ref::Old(m.id),
        Target::New(i) => Ref::New(*i),
    };
    if hq == Some(me) {
        e.0.push(fail(
            Some(Field::Headquarters),
            ErrorCode::ReferenceInvalid,
            row.get(Field::Headquarters),
        ));
    }
    if !e.0.is_empty() {
        return p.failed(u.id, e.0);
    }
    let mut change = Change::Created;
    match u.target {
        Target::Stored(m) => {
            let patch = UnitPatch {
                name: Some(u.fields.name.clone()),
                kind: given(row, Field::UnitKind),
                credit_code: given(row, Field::CreditCode),
                employees: given(row, Field::Employees),
                division: Some(division.clone()),
                address: given(row, Field::Address),
                carrier_id: None,
                instructor_id: None,
            };
            match patch.over(&m) {
                Ok(input) => {
                    let f = &input.fields;
                    let carrier_same = carrier.is_none_or(|c| c == Ref::Old(m.carrier_id.unwrap_or(-1)));
                    let instructor_same = match &u.instructor {
                        None => true,
                        Some(k) => lk.instructors.get(k).is_some_and(|iid| Some(*iid) == m.instructor_id),
                    };
                    let same = m.name == f.name
                        && m.kind == f.kind.code()
                        && m.employees == f.employees.map(i64::from)
                        && m.division_code == f.division.as_str()
                        && m.address == f.address
                        && m.credit_code == f.credit_code.as_ref().map(|c| c.to_string())
                        && carrier_same
                        && instructor_same;
                    change = Change::Unchanged;
                    if !same {
                        if let Err(v) = check_row_version(row, m.version) {
                            return p.failed(u.id, vec![v]);
                        }
                        change = Change::Updated;
                        p.unit_updates.push(UnitUpdate {
                            update: Update {
                                row: u.id,
                                before: (*m).clone(),
                                patch,
                            },
                            carrier,
                            instructor: u.instructor,
                        });
                    }
                }
                Err(err) => return p.failed(u.id, store_fails(Kind::Units, row, err)),
            }
        }
        Target::New(i) => p.units[i].carrier = carrier,
    }
    if let Some(hq) = hq {
        let exists = matches!((hq, me), (Ref::Old(h), Ref::Old(o)) if lk.hq_links.contains(&(h, o)));
        if !exists {
            p.links.push((u.id, hq, me));
            if change == Change::Unchanged {
                change = Change::Updated;
            }
        }
    }
    p.ok(u.id, change);
}

/// What a checked row is: a stored record it matches, or the new record it reserved (an
/// index into the plan's new records of its kind).
enum Target<M> {
    /// A stored record the row updates (boxed: pending rows of a city's import are
    /// millions, and most are new).
    Stored(Box<M>),
    New(usize),
}

struct PendingOrg {
    id: RowId,
    fields: OrgFields,
    target: Target<party_org::Model>,
}

fn check_org(
    actor: &Actor,
    lk: &Lookups,
    p: &mut Plan,
    names: &mut NewNames,
    seen: &mut impl FnMut(String, &TableRow, Field) -> std::result::Result<(), RowFail>,
    id: RowId,
    row: &TableRow,
) -> Option<PendingOrg> {
    let mut e = Errors::default();
    let division = e.take(lk.resolve_division(actor, row.get(Field::Division)));
    let founded = e
        .take(
            parse_date(row.get(Field::FoundedOn))
                .map_err(|_| fail(Some(Field::FoundedOn), ErrorCode::BadDate, row.get(Field::FoundedOn))),
        )
        .flatten();
    let term = e
        .take(
            parse_date(row.get(Field::TermEndsOn))
                .map_err(|_| fail(Some(Field::TermEndsOn), ErrorCode::BadDate, row.get(Field::TermEndsOn))),
        )
        .flatten();
    let fields = match OrgFields::parse(
        row.get(Field::OrgName),
        row.get(Field::OrgKind),
        division.as_ref().map(|d| d.as_str()).unwrap_or("310000"),
        row.get(Field::Secretary),
        founded,
        term,
    ) {
        Ok(f) => Some(f),
        Err(errs) => {
            e.domain(
                Kind::Orgs,
                row,
                errs.into_iter().filter(|x| x.field() != "division").collect(),
            );
            None
        }
    };
    let (Some(division), Some(fields)) = (division, fields) else {
        p.failed(id, e.0);
        return None;
    };
    e.take(seen(format!("org|{}|{}", division, fields.name), row, Field::OrgName));
    if !e.0.is_empty() {
        p.failed(id, e.0);
        return None;
    }
    let existing = lk
        .org_models_by_key
        .get(&(division.to_string(), fields.name.clone()))
        .cloned();
    let target = match existing {
        Some(m) => Target::Stored(Box::new(m)),
        None => {
            names
                .orgs
                .entry(fields.name.clone())
                .or_default()
                .push((Ref::New(p.orgs.len()), division.to_string()));
            p.orgs.push(NewOrg {
                row: id,
                fields: fields.clone(),
                parent: None,
                carrier: None,
                units: vec![],
            });
            Target::New(p.orgs.len() - 1)
        }
    };
    Some(PendingOrg { id, fields, target })
}

fn resolve_org(lk: &Lookups, p: &mut Plan, names: &NewNames, tables: &[Table], o: PendingOrg) {
    let row = &tables[o.id.table].rows[o.id.row];
    let mut e = Errors::default();
    let division = o.fields.division.as_str().to_string();
    let parent = optional_ref(
        &mut e,
        row,
        Field::ParentOrg,
        &lk.orgs_by_name,
        &names.orgs,
        Some(&division),
    );
    let carrier = optional_ref(
        &mut e,
        row,
        Field::CarrierRef,
        &lk.carriers,
        &names.carriers,
        Some(&division),
    );
    let mut units = Vec::new();
    for name in split_multi(row.get(Field::OrgUnits)) {
        if let Some(r) = e.take(resolve(
            lk.units_by_name.get(&name),
            names.units.get(&name),
            Some(&division),
            Field::OrgUnits,
            &name,
        )) && !units.contains(&r)
        {
            units.push(r);
        }
    }
    if !e.0.is_empty() {
        return p.failed(o.id, e.0);
    }
    match o.target {
        Target::Stored(m) => {
            let mut have = lk.org_units.get(&m.id).cloned().unwrap_or_default();
            have.sort_unstable();
            let units_same = units.is_empty() || {
                let mut want: Vec<i64> = units
                    .iter()
                    .filter_map(|r| if let Ref::Old(i) = r { Some(*i) } else { None })
                    .collect();
                want.sort_unstable();
                want.len() == units.len() && want == have
            };
            let patch = OrgPatch {
                name: None,
                kind: given(row, Field::OrgKind),
                division: None,
                secretary: given(row, Field::Secretary),
                // A date given replaces the stored one; an empty cell keeps it.
                founded_on: o.fields.founded_on.map(Some),
                term_ends_on: o.fields.term_ends_on.map(Some),
                parent_id: None,
                carrier_id: None,
                unit_ids: None,
            };
            match patch.over(&m, have.iter().copied().map(tongxin_domain::registry::UnitId).collect()) {
                Ok(input) => {
                    let f = &input.fields;
                    let same = m.kind == f.kind.code()
                        && m.secretary == f.secretary
                        && m.founded_on == f.founded_on
                        && m.term_ends_on == f.term_ends_on
                        && parent.is_none_or(|r| r == Ref::Old(m.parent_id.unwrap_or(-1)))
                        && carrier.is_none_or(|r| r == Ref::Old(m.carrier_id.unwrap_or(-1)))
                        && units_same;
                    if same {
                        return p.ok(o.id, Change::Unchanged);
                    }
                    if let Err(v) = check_row_version(row, m.version) {
                        return p.failed(o.id, vec![v]);
                    }
                    p.org_updates.push(OrgUpdate {
                        update: Update {
                            row: o.id,
                            before: (*m).clone(),
                            patch,
                        },
                        parent,
                        carrier,
                        units: (!units.is_empty()).then_some(units),
                    });
                    p.ok(o.id, Change::Updated);
                }
                Err(err) => p.failed(o.id, store_fails(Kind::Orgs, row, err)),
            }
        }
        Target::New(i) => {
            let n = &mut p.orgs[i];
            n.parent = parent;
            n.carrier = carrier;
            n.units = units;
            p.ok(o.id, Change::Created);
        }
    }
}

struct PendingMember {
    id: RowId,
    /// The stored member the row updates (boxed, as [`Target::Stored`]), with the row's
    /// fields. A new member keeps no fields here: its row is read again when it is
    /// written (millions of members' fields held twice cost a city's import 400 MB).
    existing: Option<(Box<member::Model>, MemberFields)>,
}

/// A member's fields as a row gives them, or the errors of its cells.
pub(crate) fn member_fields(row: &TableRow) -> std::result::Result<MemberFields, Vec<RowFail>> {
    let mut e = Errors::default();
    let joined = e
        .take(
            parse_date(row.get(Field::JoinedOn))
                .map_err(|_| fail(Some(Field::JoinedOn), ErrorCode::BadDate, row.get(Field::JoinedOn))),
        )
        .flatten();
    match MemberFields::parse(
        row.get(Field::MemberName),
        row.get(Field::MemberStatus),
        row.get(Field::ResidentId),
        row.get(Field::Phone),
        joined,
    ) {
        Ok(f) if e.0.is_empty() => Ok(f),
        Ok(_) => Err(e.0),
        Err(errs) => {
            e.domain(Kind::Members, row, errs);
            Err(e.0)
        }
    }
}

fn check_member(
    lk: &Lookups,
    p: &mut Plan,
    seen: &mut impl FnMut(String, &TableRow, Field) -> std::result::Result<(), RowFail>,
    id: RowId,
    row: &TableRow,
) -> Option<PendingMember> {
    let mut e = Errors::default();
    let fields = match member_fields(row) {
        Ok(f) => f,
        Err(fails) => {
            p.failed(id, fails);
            return None;
        }
    };
    e.take(seen(
        format!("member|{}", fields.resident_id.reveal()),
        row,
        Field::ResidentId,
    ));
    let existing = match lk.members.get(fields.resident_id.reveal()) {
        Some((m, true)) => Some(Box::new(m.clone())),
        // Registered outside the territory: not ours to move by import; the row says so
        // without saying where.
        Some((_, false)) => {
            p.elsewhere.push((id, fields.resident_id.clone()));
            e.0.push(fail(Some(Field::ResidentId), ErrorCode::RegisteredElsewhere, ""));
            None
        }
        None => None,
    };
    if !e.0.is_empty() {
        p.failed(id, e.0);
        return None;
    }
    Some(PendingMember {
        id,
        existing: existing.map(|m| (m, fields)),
    })
}

fn resolve_member(lk: &Lookups, p: &mut Plan, names: &NewNames, tables: &[Table], m: PendingMember) {
    let row = &tables[m.id.table].rows[m.id.row];
    let mut e = Errors::default();
    let org_name = name_key(row.get(Field::OrgRef));
    let org = e.take(if org_name.is_empty() {
        Err(fail(Some(Field::OrgRef), ErrorCode::Required, ""))
    } else {
        resolve(
            lk.orgs_by_name.get(&org_name),
            names.orgs.get(&org_name),
            None,
            Field::OrgRef,
            &org_name,
        )
    });
    let work_unit = optional_ref(&mut e, row, Field::WorkUnit, &lk.units_by_name, &names.units, None);
    let Some(org) = org else {
        return p.failed(m.id, e.0);
    };
    if !e.0.is_empty() {
        return p.failed(m.id, e.0);
    }
    match m.existing {
        Some((before, fields)) => {
            let patch = MemberPatch {
                name: Some(fields.name.clone()),
                status: Some(fields.status.code().to_string()),
                resident_id: None,
                phone: fields.phone.as_ref().map(|ph| ph.reveal().to_string()),
                joined_on: fields.joined_on.map(Some),
                org_id: None,
                work_unit_id: None,
            };
            match patch.over(&before) {
                Ok(input) => {
                    let f = &input.fields;
                    let same = before.name == f.name
                        && before.status == f.status.code()
                        && org == Ref::Old(before.org_id)
                        && work_unit.is_none_or(|w| w == Ref::Old(before.work_unit_id.unwrap_or(-1)))
                        && before.phone.as_deref() == f.phone.as_ref().map(|ph| ph.reveal())
                        && before.joined_on == f.joined_on;
                    if same {
                        return p.ok(m.id, Change::Unchanged);
                    }
                    if let Err(v) = check_row_version(row, before.version) {
                        return p.failed(m.id, vec![v]);
                    }
                    p.member_updates.push(MemberUpdate {
                        update: Update {
                            row: m.id,
                            before: *before,
                            patch,
                        },
                        org,
                        work_unit,
                    });
                    p.ok(m.id, Change::Updated);
                }
                Err(err) => p.failed(m.id, store_fails(Kind::Members, row, err)),
            }
        }
        None => {
            p.members.push(NewMember {
                row: m.id,
                org,
                work_unit,
            });
            p.ok(m.id, Change::Created);
        }
    }
}

/// New organisations whose parents (through other new organisations) come back to
/// themselves: each fails, naming the lines of the cycle.
fn parent_cycles(p: &mut Plan, tables: &[Table]) {
    let mut in_cycle: Vec<(RowId, String)> = Vec::new();
    for start in 0..p.orgs.len() {
        let mut seen = HashSet::new();
        let mut at = start;
        let mut chain = vec![start];
        while let Some(Ref::New(next)) = p.orgs[at].parent {
            if next == start {
                let lines: Vec<String> = chain
                    .iter()
                    .map(|i| tables[p.orgs[*i].row.table].rows[p.orgs[*i].row.row].line.to_string())
                    .collect();
                in_cycle.push((p.orgs[start].row, lines.join("→")));
                break;
            }
            if !seen.insert(next) {
                break;
            }
            chain.push(next);
            at = next;
        }
    }
    for (row, lines) in in_cycle {
        p.failed(row, vec![fail(Some(Field::ParentOrg), ErrorCode::ParentCycle, lines)]);
    }
}

/// Rows that refer to a new record whose own row failed fail too, naming its line;
/// repeated until nothing changes (a member of a branch under a failed committee).
fn fail_dependants(p: &mut Plan, tables: &[Table]) {
    let line = |r: RowId| tables[r.table].rows[r.row].line;
    loop {
        let mut newly: Vec<(RowId, RowFail)> = Vec::new();
        let bad = |p: &Plan, r: Option<Ref>, rows: &dyn Fn(usize) -> RowId| -> Option<RowId> {
            match r {
                Some(Ref::New(i)) if !p.is_ok(rows(i)) => Some(rows(i)),
                _ => None,
            }
        };
        let carrier_row = |i: usize| p.carriers[i].row;
        let unit_row = |i: usize| p.units[i].row;
        let org_row = |i: usize| p.orgs[i].row;
        for u in &p.units {
            if p.is_ok(u.row)
                && let Some(r) = bad(p, u.carrier, &carrier_row)
            {
                newly.push((
                    u.row,
                    fail(
                        Some(Field::CarrierRef),
                        ErrorCode::DependsOnFailedRow,
                        line(r).to_string(),
                    ),
                ));
            }
        }
        for u in &p.unit_updates {
            if p.is_ok(u.update.row)
                && let Some(r) = bad(p, u.carrier, &carrier_row)
            {
                newly.push((
                    u.update.row,
                    fail(
                        Some(Field::CarrierRef),
                        ErrorCode::DependsOnFailedRow,
                        line(r).to_string(),
                    ),
                ));
            }
        }
        for (row, hq, me) in &p.links {
            if p.is_ok(*row)
                && let Some(r) = bad(p, Some(*hq), &unit_row).or(bad(p, Some(*me), &unit_row))
            {
                newly.push((
                    *row,
                    fail(
                        Some(Field::Headquarters),
                        ErrorCode::DependsOnFailedRow,
                        line(r).to_string(),
                    ),
                ));
            }
        }
        for o in &p.orgs {
            if !p.is_ok(o.row) {
                continue;
            }
            let r = bad(p, o.parent, &org_row)
                .map(|r| (Field::ParentOrg, r))
                .or(bad(p, o.carrier, &carrier_row).map(|r| (Field::CarrierRef, r)))
                .or(o
                    .units
                    .iter()
                    .find_map(|u| bad(p, Some(*u), &unit_row))
                    .map(|r| (Field::OrgUnits, r)));
            if let Some((f, r)) = r {
                newly.push((o.row, fail(Some(f), ErrorCode::DependsOnFailedRow, line(r).to_string())));
            }
        }
        for o in &p.org_updates {
            if !p.is_ok(o.update.row) {
                continue;
            }
            let r = bad(p, o.parent, &org_row)
                .map(|r| (Field::ParentOrg, r))
                .or(bad(p, o.carrier, &carrier_row).map(|r| (Field::CarrierRef, r)))
                .or(o
                    .units
                    .iter()
                    .flatten()
                    .find_map(|u| bad(p, Some(*u), &unit_row))
                    .map(|r| (Field::OrgUnits, r)));
            if let Some((f, r)) = r {
                newly.push((
                    o.update.row,
                    fail(Some(f), ErrorCode::DependsOnFailedRow, line(r).to_string()),
                ));
            }
        }
        for m in &p.members {
            if !p.is_ok(m.row) {
                continue;
            }
            let r = bad(p, Some(m.org), &org_row)
                .map(|r| (Field::OrgRef, r))
                .or(bad(p, m.work_unit, &unit_row).map(|r| (Field::WorkUnit, r)));
            if let Some((f, r)) = r {
                newly.push((m.row, fail(Some(f), ErrorCode::DependsOnFailedRow, line(r).to_string())));
            }
        }
        for m in &p.member_updates {
            if !p.is_ok(m.update.row) {
                continue;
            }
            let r = bad(p, Some(m.org), &org_row)
                .map(|r| (Field::OrgRef, r))
                .or(bad(p, m.work_unit, &unit_row).map(|r| (Field::WorkUnit, r)));
            if let Some((f, r)) = r {
                newly.push((
                    m.update.row,
                    fail(Some(f), ErrorCode::DependsOnFailedRow, line(r).to_string()),
                ));
            }
        }
        if newly.is_empty() {
            return;
        }
        for (row, f) in newly {
            p.outcomes.insert(row, Err(vec![f]));
        }
    }
}
