//! Bulk import of spreadsheet tables into the registry, in one transaction.
//!
//! Relations resolve by name within the importing account's scope, including records
//! created earlier in the same file. By default the import is all or nothing: any row
//! error rolls everything back. Natural keys (credit code, resident ID, division + name)
//! make a second import of the same file change nothing.

use crate::entity::{carrier, member, party_org, unit, unit_link};
use crate::registry::{MemberInput, OrgInput, UnitInput};
use crate::{Actor, Result, Store, StoreError};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::access::Action;
use tongxin_domain::codes::{DivisionCode, Phone};
use tongxin_domain::registry::{CarrierFields, Labelled, MemberFields, OrgFields, UnitFields, UnitLinkKind};
use tongxin_domain::scope::Scope;
use tongxin_domain::{DomainError, ErrorCode};
use tongxin_import::{Field, Kind, Table, TableRow, parse_bool, parse_date, split_multi};

/// How to run an import.
#[derive(Debug, Clone, Copy, Default)]
pub struct ImportMode {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Write the valid rows and report the others (instead of all or nothing).
    pub skip_invalid: bool,
}

/// A row that was refused: which sheet and line, which column, and why (a stable code
/// the caller translates, and a detail such as the value).
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    pub sheet: String,
    pub kind: &'static str,
    /// Index of the row in the sheet grid (for the error workbook).
    pub index: usize,
    /// Line number as Excel shows it.
    pub line: usize,
    pub column: Option<&'static str>,
    pub code: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SheetCounts {
    pub sheet: String,
    pub kind: &'static str,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
}

/// What an import did (or, for a dry run or a refused import, would have done).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub sheets: Vec<SheetCounts>,
    pub errors: Vec<RowError>,
    /// True when the changes were committed.
    pub committed: bool,
}

struct RowFail {
    column: Option<&'static str>,
    code: &'static str,
    detail: String,
}

type RowResult<T> = std::result::Result<T, RowFail>;

fn fail(column: Option<Field>, code: &'static str, detail: impl Into<String>) -> RowFail {
    RowFail {
        column: column.map(|f| f.header()),
        code,
        detail: detail.into(),
    }
}

/// The cell of a field when it holds something: an absent column or an empty cell leaves
/// the stored value as it is (an import never erases what it does not carry).
fn given(row: &TableRow, f: Field) -> Option<String> {
    Some(row.get(f)).filter(|v| !v.is_empty()).map(str::to_string)
}

/// A row that carries the version it was exported at may not overwrite a newer edit.
fn check_row_version(row: &TableRow, stored: i64) -> RowResult<()> {
    match row.get(Field::Version) {
        "" => Ok(()),
        v => match v.trim_end_matches(".0").parse::<i64>() {
            Ok(n) if n == stored => Ok(()),
            Ok(n) => Err(fail(
                Some(Field::Version),
                "registry.stale_edit",
                format!("{n} → {stored}"),
            )),
            Err(_) => Err(fail(Some(Field::Version), "validation.not_a_number", v)),
        },
    }
}

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

fn domain_fail(kind: Kind, errs: Vec<DomainError>) -> RowFail {
    let e = &errs[0];
    let detail = errs.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ");
    RowFail {
        column: field_of(kind, e.field()).map(|f| f.header()),
        code: e.code(),
        detail,
    }
}

fn store_fail(e: StoreError) -> RowFail {
    let column = match &e {
        StoreError::Duplicate { field } | StoreError::Reference { field } | StoreError::OutsideTerritory { field } => {
            Some(*field)
        }
        _ => None,
    };
    RowFail {
        column,
        code: e.code(),
        detail: e.to_string(),
    }
}

/// Name lookups built once per import and extended as rows are written.
#[derive(Default)]
struct Lookups {
    /// Division name → codes (several when the name repeats across streets).
    divisions: HashMap<String, Vec<String>>,
    district_names: Vec<(String, String)>,
    carriers: HashMap<String, Vec<(i64, String)>>,
    units_by_code: HashMap<String, i64>,
    units_by_name: HashMap<String, Vec<(i64, String)>>,
    orgs_by_name: HashMap<String, Vec<(i64, String)>>,
    /// Resident IDs found registered outside the territory: (ID, answered?). Audited
    /// once the import's transaction is over, answered or not.
    elsewhere: Vec<(tongxin_domain::codes::ResidentId, bool)>,
    /// "Registered elsewhere" answers this account had in the last hour before the import.
    elsewhere_used: Option<u64>,
}

impl Lookups {
    fn pick(candidates: Option<&Vec<(i64, String)>>, division: Option<&str>) -> std::result::Result<Option<i64>, ()> {
        let Some(c) = candidates else { return Ok(None) };
        if c.len() == 1 {
            return Ok(Some(c[0].0));
        }
        // Several of the same name: prefer the one in (or above) the row's division.
        let near: Vec<&(i64, String)> = match division {
            Some(d) => c
                .iter()
                .filter(|(_, cd)| d.starts_with(cd.as_str()) || cd.starts_with(d))
                .collect(),
            None => vec![],
        };
        if near.len() == 1 { Ok(Some(near[0].0)) } else { Err(()) }
    }
}

impl Store {
    /// Imports tables read by `tongxin_import::read_tables`.
    pub async fn import_tables(&self, actor: &Actor, tables: &[Table], mode: ImportMode) -> Result<ImportReport> {
        actor.require(Action::ImportExport)?;
        let mut lk = self.build_lookups(actor).await?;
        let txn = self.begin().await?;
        let mut report = ImportReport::default();
        // Coverage follows the whole import at once, before it commits.
        let (rows, dirty) = crate::coverage::deferring(async {
            for t in tables {
                let mut counts = SheetCounts {
                    sheet: t.sheet.clone(),
                    kind: t.kind.code(),
                    rows: t.rows.len(),
                    ..Default::default()
                };
                for row in &t.rows {
                    // Each row in a savepoint: with --skip-invalid a bad row leaves no trace.
                    let sp = txn.begin().await?;
                    let outcome = match row.over_long() {
                        // Excel holds 32,767 characters a cell; a longer value is a
                        // paste gone wrong, refused like any bad value.
                        Some(f) => Err(fail(
                            Some(f),
                            "import.cell_too_long",
                            tongxin_import::EXCEL_MAX_CELL_CHARS.to_string(),
                        )),
                        None => match t.kind {
                            Kind::Carriers => self.import_carrier(&sp, actor, &mut lk, row).await,
                            Kind::Units => self.import_unit(&sp, actor, &mut lk, row).await,
                            Kind::Orgs => self.import_org(&sp, actor, &mut lk, row).await,
                            Kind::Members => self.import_member(&sp, actor, &mut lk, row).await,
                        },
                    };
                    match outcome {
                        Ok(change) => {
                            sp.commit().await?;
                            match change {
                                Change::Created => counts.created += 1,
                                Change::Updated => counts.updated += 1,
                                Change::Unchanged => counts.unchanged += 1,
                            }
                        }
                        Err(f) => {
                            sp.rollback().await?;
                            counts.failed += 1;
                            report.errors.push(RowError {
                                sheet: t.sheet.clone(),
                                kind: t.kind.code(),
                                index: row.index,
                                line: row.line,
                                column: f.column,
                                code: f.code,
                                detail: f.detail,
                            });
                        }
                    }
                }
                report.sheets.push(counts);
            }
            Ok::<(), StoreError>(())
        })
        .await;
        rows?;
        let ok = report.errors.is_empty() || mode.skip_invalid;
        if ok && !mode.dry_run {
            crate::coverage::refresh(&txn, dirty).await?;
            crate::audit::record(
                &txn,
                actor,
                "import",
                "import",
                None,
                None,
                serde_json::to_value(&report.sheets).ok(),
            )
            .await?;
            txn.commit().await?;
            report.committed = true;
        } else {
            txn.rollback().await?;
        }
        // Each "registered elsewhere" answer (and each refused one) is audited, whatever
        // became of the import.
        for (id, _) in &lk.elsewhere {
            self.note_elsewhere(actor, id).await?;
        }
        Ok(report)
    }

    async fn build_lookups(&self, actor: &Actor) -> Result<Lookups> {
        let root = match &actor.scope {
            Scope::All => None,
            Scope::Within { division, .. } => division.clone(),
        };
        let mut lk = Lookups::default();
        // Names of the scope's divisions, plus its ancestors' district names for prefixes.
        for (code, name) in self.division_names_within(root.as_ref()).await? {
            if code.len() == 6 {
                lk.district_names.push((name.clone(), code.clone()));
            }
            lk.divisions.entry(name).or_default().push(code);
        }
        if let Some(r) = &root {
            for d in self.division_path(r).await? {
                if d.code.len() == 6 && !lk.district_names.iter().any(|(_, c)| *c == d.code) {
                    lk.district_names.push((d.name.clone(), d.code.clone()));
                }
            }
        }
        lk.carriers = self.carrier_ids_by_name(actor).await?;
        for u in unit::Entity::find()
            .filter(crate::registry::units_scope(actor))
            .all(&self.read)
            .await?
        {
            if let Some(c) = &u.credit_code {
                lk.units_by_code.insert(c.clone(), u.id);
            }
            lk.units_by_name
                .entry(u.name)
                .or_default()
                .push((u.id, u.division_code));
        }
        for o in party_org::Entity::find()
            .filter(crate::registry::orgs_scope(actor))
            .all(&self.read)
            .await?
        {
            lk.orgs_by_name.entry(o.name).or_default().push((o.id, o.division_code));
        }
        Ok(lk)
    }

    /// A division by code, or by name with or without the district in front; it must lie
    /// in the actor's scope. A path (`南京西路街道/某某居委会`, from a street column and a
    /// community column) resolves its last part within the parts before it.
    fn resolve_division(&self, actor: &Actor, lk: &Lookups, raw: &str) -> RowResult<DivisionCode> {
        let f = Some(Field::Division);
        let text = tongxin_domain::text::clean(raw).replace(' ', "");
        if text.is_empty() {
            return Err(fail(f, "validation.required", "division"));
        }
        let mut within: Option<String> = None;
        let mut code: Option<String> = None;
        for part in text.split('/').filter(|p| !p.is_empty()) {
            let found: Vec<&String> = Self::division_candidates(lk, part)
                .map_err(|code| fail(f, code, part.to_string()))?
                .into_iter()
                .filter(|c| within.as_deref().is_none_or(|w| c.starts_with(w)))
                .collect();
            match found.as_slice() {
                [one] => {
                    within = Some((*one).clone());
                    code = Some((*one).clone());
                }
                [] => return Err(fail(f, "registry.division.unknown", part.to_string())),
                _ => return Err(fail(f, "registry.division.ambiguous", part.to_string())),
            }
        }
        let code = code
            .and_then(|c| DivisionCode::parse(&c).ok())
            .ok_or_else(|| fail(f, "registry.division.unknown", text.clone()))?;
        if !actor.scope.may_place_in(&code) {
            return Err(fail(f, "registry.outside_territory", code.to_string()));
        }
        Ok(code)
    }

    /// The known divisions a code or a name (with or without its district, 街道/镇/居委会
    /// left off) may mean.
    fn division_candidates<'l>(lk: &'l Lookups, text: &str) -> std::result::Result<Vec<&'l String>, &'static str> {
        if text.chars().all(|c| c.is_ascii_digit()) {
            let code = DivisionCode::parse(text).map_err(|_| "registry.division.code_invalid")?;
            return Ok(lk
                .divisions
                .values()
                .flatten()
                .filter(|c| *c == code.as_str())
                .take(1)
                .collect());
        }
        let mut within: Option<&str> = None;
        let mut name = text;
        for (dn, dc) in &lk.district_names {
            if let Some(rest) = name.strip_prefix(dn.as_str())
                && !rest.is_empty()
            {
                name = rest;
                within = Some(dc);
                break;
            }
        }
        for candidate in [
            name.to_string(),
            format!("{name}街道"),
            format!("{name}镇"),
            format!("{name}居委会"),
            format!("{name}社区居委会"),
        ] {
            if let Some(codes) = lk.divisions.get(&candidate) {
                let found: Vec<&String> = codes
                    .iter()
                    .filter(|c| within.is_none_or(|w| c.starts_with(w)))
                    .collect();
                if !found.is_empty() {
                    return Ok(found);
                }
            }
        }
        Ok(vec![])
    }

    async fn import_carrier(
        &self,
        db: &DatabaseTransaction,
        actor: &Actor,
        lk: &mut Lookups,
        row: &TableRow,
    ) -> RowResult<Change> {
        let division = self.resolve_division(actor, lk, row.get(Field::Division))?;
        let is_key = parse_bool(row.get(Field::IsKey))
            .map_err(|_| fail(Some(Field::IsKey), "import.bad_bool", row.get(Field::IsKey)))?;
        let location = match (row.get(Field::Longitude), row.get(Field::Latitude)) {
            ("", "") => None,
            (lng, lat) => Some((
                lng.parse::<f64>()
                    .map_err(|_| fail(Some(Field::Longitude), "validation.out_of_range", lng))?,
                lat.parse::<f64>()
                    .map_err(|_| fail(Some(Field::Latitude), "validation.out_of_range", lat))?,
            )),
        };
        let f = CarrierFields::parse(
            row.get(Field::CarrierName),
            row.get(Field::CarrierKind),
            is_key.unwrap_or(false),
            division.as_str(),
            row.get(Field::Address),
            location,
        )
        .map_err(|e| domain_fail(Kind::Carriers, e))?;
        let existing = carrier::Entity::find()
            .filter(carrier::Column::DivisionCode.eq(division.as_str()))
            .filter(carrier::Column::Name.eq(f.name.as_str()))
            .one(db)
            .await
            .map_err(|e| store_fail(e.into()))?;
        match existing {
            Some(m) => {
                let patch = crate::registry::CarrierPatch {
                    name: None,
                    kind: given(row, Field::CarrierKind),
                    is_key,
                    division: None,
                    address: given(row, Field::Address),
                    location: location.map(Some),
                };
                let f = patch.over(&m).map_err(store_fail)?;
                let same = m.kind == f.kind.code()
                    && m.is_key == f.is_key
                    && m.address == f.address
                    && m.lng == f.location.map(|l| l.0)
                    && m.lat == f.location.map(|l| l.1);
                if same {
                    return Ok(Change::Unchanged);
                }
                check_row_version(row, m.version)?;
                self.update_carrier_in(db, actor, m, f).await.map_err(store_fail)?;
                Ok(Change::Updated)
            }
            None => {
                let name = f.name.clone();
                let m = self.insert_carrier_in(db, actor, f).await.map_err(store_fail)?;
                lk.carriers.entry(name).or_default().push((m.id, m.division_code));
                Ok(Change::Created)
            }
        }
    }

    async fn import_unit(
        &self,
        db: &DatabaseTransaction,
        actor: &Actor,
        lk: &mut Lookups,
        row: &TableRow,
    ) -> RowResult<Change> {
        let division = self.resolve_division(actor, lk, row.get(Field::Division))?;
        let kind = match row.get(Field::UnitKind) {
            "" => "enterprise",
            k => k,
        };
        let fields = UnitFields::parse(
            row.get(Field::UnitName),
            kind,
            row.get(Field::CreditCode),
            row.get(Field::Employees),
            division.as_str(),
            row.get(Field::Address),
        )
        .map_err(|e| domain_fail(Kind::Units, e))?;
        let carrier_id = match row.get(Field::CarrierRef) {
            "" => None,
            name => Some(
                Lookups::pick(
                    lk.carriers.get(&tongxin_domain::text::trim_spaces(name)),
                    Some(division.as_str()),
                )
                .map_err(|_| fail(Some(Field::CarrierRef), "registry.reference_ambiguous", name))?
                .ok_or_else(|| fail(Some(Field::CarrierRef), "registry.reference_invalid", name))?,
            ),
        };
        let instructor_id = match tongxin_domain::text::trim_spaces(row.get(Field::Instructor)) {
            n if n.is_empty() => None,
            name => {
                let phone = match row.get(Field::InstructorPhone) {
                    "" => None,
                    p => Some(
                        Phone::parse(p)
                            .map_err(|_| fail(Some(Field::InstructorPhone), "registry.phone_invalid", ""))?,
                    ),
                };
                // Instructors are kept per street (or the unit's own division above street level).
                let street = if division.as_str().len() > 9 {
                    DivisionCode::parse(&division.as_str()[..9]).unwrap_or(division.clone())
                } else {
                    division.clone()
                };
                Some(
                    crate::registry::ensure_instructor_in(db, actor, &name, phone, &street)
                        .await
                        .map_err(store_fail)?
                        .id,
                )
            }
        };
        let hq = match row.get(Field::Headquarters) {
            "" => None,
            name => Some(
                Lookups::pick(lk.units_by_name.get(&tongxin_domain::text::trim_spaces(name)), None)
                    .map_err(|_| fail(Some(Field::Headquarters), "registry.reference_ambiguous", name))?
                    .ok_or_else(|| fail(Some(Field::Headquarters), "registry.reference_invalid", name))?,
            ),
        };
        let existing_id = match &fields.credit_code {
            Some(c) => lk.units_by_code.get(c.as_str()).copied(),
            None => lk
                .units_by_name
                .get(&fields.name)
                .and_then(|v| v.iter().find(|(_, d)| *d == division.as_str()))
                .map(|(id, _)| *id),
        };
        let (id, change) = match existing_id {
            Some(id) => {
                let m = unit::Entity::find_by_id(id)
                    .one(db)
                    .await
                    .map_err(|e| store_fail(e.into()))?
                    .ok_or_else(|| store_fail(StoreError::NotFound))?;
                let patch = crate::registry::UnitPatch {
                    name: Some(fields.name.clone()),
                    kind: given(row, Field::UnitKind),
                    credit_code: given(row, Field::CreditCode),
                    employees: given(row, Field::Employees),
                    division: Some(division.to_string()),
                    address: given(row, Field::Address),
                    carrier_id: carrier_id.map(Some),
                    instructor_id: instructor_id.map(Some),
                };
                let input = patch.over(&m).map_err(store_fail)?;
                let f = &input.fields;
                let same = m.name == f.name
                    && m.kind == f.kind.code()
                    && m.employees == f.employees.map(i64::from)
                    && m.division_code == f.division.as_str()
                    && m.address == f.address
                    && m.carrier_id == input.carrier_id
                    && m.instructor_id == input.instructor_id;
                if !same {
                    check_row_version(row, m.version)?;
                    self.update_unit_in(db, actor, m, input).await.map_err(store_fail)?;
                }
                (id, if same { Change::Unchanged } else { Change::Updated })
            }
            None => {
                let input = UnitInput {
                    fields,
                    carrier_id,
                    instructor_id,
                };
                // A credit code held by a unit outside the actor's territory is a duplicate.
                let m = crate::registry::insert_unit_audited(db, actor, input)
                    .await
                    .map_err(store_fail)?;
                if let Some(c) = &m.credit_code {
                    lk.units_by_code.insert(c.clone(), m.id);
                }
                lk.units_by_name
                    .entry(m.name.clone())
                    .or_default()
                    .push((m.id, m.division_code.clone()));
                (m.id, Change::Created)
            }
        };
        if let Some(hq) = hq {
            let exists = unit_link::Entity::find()
                .filter(unit_link::Column::UnitId.eq(hq))
                .filter(unit_link::Column::OtherUnitId.eq(id))
                .filter(unit_link::Column::Kind.eq(UnitLinkKind::HeadquartersOf.code()))
                .one(db)
                .await
                .map_err(|e| store_fail(e.into()))?;
            if exists.is_none() && hq != id {
                unit_link::Entity::insert(unit_link::ActiveModel {
                    unit_id: sea_orm::ActiveValue::Set(hq),
                    kind: sea_orm::ActiveValue::Set(UnitLinkKind::HeadquartersOf.code().into()),
                    other_unit_id: sea_orm::ActiveValue::Set(id),
                    ..Default::default()
                })
                .exec_without_returning(db)
                .await
                .map_err(|e| store_fail(e.into()))?;
                return Ok(if matches!(change, Change::Unchanged) {
                    Change::Updated
                } else {
                    change
                });
            }
        }
        Ok(change)
    }

    async fn import_org(
        &self,
        db: &DatabaseTransaction,
        actor: &Actor,
        lk: &mut Lookups,
        row: &TableRow,
    ) -> RowResult<Change> {
        let division = self.resolve_division(actor, lk, row.get(Field::Division))?;
        let founded = parse_date(row.get(Field::FoundedOn))
            .map_err(|_| fail(Some(Field::FoundedOn), "import.bad_date", row.get(Field::FoundedOn)))?;
        let term = parse_date(row.get(Field::TermEndsOn))
            .map_err(|_| fail(Some(Field::TermEndsOn), "import.bad_date", row.get(Field::TermEndsOn)))?;
        let fields = OrgFields::parse(
            row.get(Field::OrgName),
            row.get(Field::OrgKind),
            division.as_str(),
            row.get(Field::Secretary),
            founded,
            term,
        )
        .map_err(|e| domain_fail(Kind::Orgs, e))?;
        let parent_id = match row.get(Field::ParentOrg) {
            "" => None,
            name => Some(
                Lookups::pick(
                    lk.orgs_by_name.get(&tongxin_domain::text::trim_spaces(name)),
                    Some(division.as_str()),
                )
                .map_err(|_| fail(Some(Field::ParentOrg), "registry.reference_ambiguous", name))?
                .ok_or_else(|| fail(Some(Field::ParentOrg), "registry.reference_invalid", name))?,
            ),
        };
        let carrier_id = match row.get(Field::CarrierRef) {
            "" => None,
            name => Some(
                Lookups::pick(
                    lk.carriers.get(&tongxin_domain::text::trim_spaces(name)),
                    Some(division.as_str()),
                )
                .map_err(|_| fail(Some(Field::CarrierRef), "registry.reference_ambiguous", name))?
                .ok_or_else(|| fail(Some(Field::CarrierRef), "registry.reference_invalid", name))?,
            ),
        };
        let mut unit_ids = Vec::new();
        for name in split_multi(row.get(Field::OrgUnits)) {
            let id = Lookups::pick(lk.units_by_name.get(&name), Some(division.as_str()))
                .map_err(|_| fail(Some(Field::OrgUnits), "registry.reference_ambiguous", name.clone()))?
                .ok_or_else(|| fail(Some(Field::OrgUnits), "registry.reference_invalid", name.clone()))?;
            unit_ids.push(id);
        }
        unit_ids.sort_unstable();
        unit_ids.dedup();
        let existing = party_org::Entity::find()
            .filter(party_org::Column::DivisionCode.eq(division.as_str()))
            .filter(party_org::Column::Name.eq(fields.name.as_str()))
            .one(db)
            .await
            .map_err(|e| store_fail(e.into()))?;
        match existing {
            Some(m) => {
                let mut have = crate::registry::org_unit_ids(db, m.id).await.map_err(store_fail)?;
                have.sort_unstable();
                let patch = crate::registry::OrgPatch {
                    name: None,
                    kind: given(row, Field::OrgKind),
                    division: None,
                    secretary: given(row, Field::Secretary),
                    founded_on: founded.map(Some),
                    term_ends_on: term.map(Some),
                    parent_id: parent_id.map(Some),
                    carrier_id: carrier_id.map(Some),
                    unit_ids: (!unit_ids.is_empty()).then_some(unit_ids),
                };
                let input = patch.over(&m, have.clone()).map_err(store_fail)?;
                let f = &input.fields;
                let same = m.kind == f.kind.code()
                    && m.parent_id == input.parent_id
                    && m.carrier_id == input.carrier_id
                    && m.secretary == f.secretary
                    && m.founded_on == f.founded_on
                    && m.term_ends_on == f.term_ends_on
                    && have == input.unit_ids;
                if same {
                    return Ok(Change::Unchanged);
                }
                check_row_version(row, m.version)?;
                self.update_org_in(db, actor, m, input).await.map_err(store_fail)?;
                Ok(Change::Updated)
            }
            None => {
                let input = OrgInput {
                    fields,
                    parent_id,
                    carrier_id,
                    unit_ids,
                };
                let parent = match input.parent_id {
                    Some(p) => party_org::Entity::find_by_id(p)
                        .one(db)
                        .await
                        .map_err(|e| store_fail(e.into()))?,
                    None => None,
                };
                let m = crate::registry::insert_org(db, &input, parent.as_ref())
                    .await
                    .map_err(store_fail)?;
                crate::audit::record(
                    db,
                    actor,
                    "create",
                    "party_org",
                    Some(m.id),
                    None,
                    serde_json::to_value(&m).ok(),
                )
                .await
                .map_err(store_fail)?;
                lk.orgs_by_name
                    .entry(m.name.clone())
                    .or_default()
                    .push((m.id, m.division_code.clone()));
                Ok(Change::Created)
            }
        }
    }

    async fn import_member(
        &self,
        db: &DatabaseTransaction,
        actor: &Actor,
        lk: &mut Lookups,
        row: &TableRow,
    ) -> RowResult<Change> {
        let joined = parse_date(row.get(Field::JoinedOn))
            .map_err(|_| fail(Some(Field::JoinedOn), "import.bad_date", row.get(Field::JoinedOn)))?;
        let fields = MemberFields::parse(
            row.get(Field::MemberName),
            row.get(Field::MemberStatus),
            row.get(Field::ResidentId),
            row.get(Field::Phone),
            joined,
        )
        .map_err(|e| domain_fail(Kind::Members, e))?;
        let org_name = tongxin_domain::text::trim_spaces(row.get(Field::OrgRef));
        let org_id = Lookups::pick(lk.orgs_by_name.get(&org_name), None)
            .map_err(|_| fail(Some(Field::OrgRef), "registry.reference_ambiguous", org_name.clone()))?
            .ok_or_else(|| fail(Some(Field::OrgRef), "registry.reference_invalid", org_name.clone()))?;
        let work_unit_id = match row.get(Field::WorkUnit) {
            "" => None,
            name => Some(
                Lookups::pick(lk.units_by_name.get(&tongxin_domain::text::trim_spaces(name)), None)
                    .map_err(|_| fail(Some(Field::WorkUnit), "registry.reference_ambiguous", name))?
                    .ok_or_else(|| fail(Some(Field::WorkUnit), "registry.reference_invalid", name))?,
            ),
        };
        let existing = member::Entity::find()
            .filter(member::Column::ResidentId.eq(fields.resident_id.reveal()))
            .one(db)
            .await
            .map_err(|e| store_fail(e.into()))?;
        match existing {
            Some(m) => {
                // A member recorded in another territory is not ours to move by import:
                // the row says so without saying where, within the account's allowance.
                let ours = member::Entity::find_by_id(m.id)
                    .filter(crate::registry::members_scope(actor))
                    .one(db)
                    .await
                    .map_err(|e| store_fail(e.into()))?
                    .is_some();
                if !ours {
                    let used = match lk.elsewhere_used {
                        Some(n) => n,
                        None => {
                            let n = self.elsewhere_answers(actor).await.map_err(store_fail)?;
                            lk.elsewhere_used = Some(n);
                            n
                        }
                    };
                    let answered = used + (lk.elsewhere.iter().filter(|(_, a)| *a).count() as u64)
                        < crate::registry::ELSEWHERE_CHECKS_PER_HOUR;
                    lk.elsewhere.push((fields.resident_id.clone(), answered));
                    let e = if answered {
                        StoreError::RegisteredElsewhere
                    } else {
                        StoreError::TooManyChecks
                    };
                    return Err(fail(Some(Field::ResidentId), e.code(), ""));
                }
                let patch = crate::registry::MemberPatch {
                    name: Some(fields.name.clone()),
                    status: Some(fields.status.code().to_string()),
                    resident_id: None,
                    phone: fields.phone.as_ref().map(|p| p.reveal().to_string()),
                    joined_on: fields.joined_on.map(Some),
                    org_id: Some(org_id),
                    work_unit_id: work_unit_id.map(Some),
                };
                let input = patch.over(&m).map_err(store_fail)?;
                let f = &input.fields;
                let same = m.name == f.name
                    && m.status == f.status.code()
                    && m.org_id == input.org_id
                    && m.work_unit_id == input.work_unit_id
                    && m.phone.as_deref() == f.phone.as_ref().map(|p| p.reveal())
                    && m.joined_on == f.joined_on;
                if same {
                    return Ok(Change::Unchanged);
                }
                check_row_version(row, m.version)?;
                self.update_member_in(db, actor, m, input).await.map_err(store_fail)?;
                Ok(Change::Updated)
            }
            None => {
                let input = MemberInput {
                    fields,
                    org_id,
                    work_unit_id,
                };
                let m = crate::registry::insert_member(db, input).await.map_err(store_fail)?;
                crate::audit::record(
                    db,
                    actor,
                    "create",
                    "member",
                    Some(m.id),
                    None,
                    crate::registry::member_json(&m),
                )
                .await
                .map_err(store_fail)?;
                Ok(Change::Created)
            }
        }
    }
}

enum Change {
    Created,
    Updated,
    Unchanged,
}
