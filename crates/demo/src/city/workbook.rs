//! The generated city as an office would bring it: one .xlsx in the import layout, every
//! reference by name (a unit's carrier and instructor, an organisation's parent, carrier
//! and units, a member's organisation and work unit). Sheets are written in constant
//! memory (rows go to temporary files as they come), so a city of 3 million rows is
//! written in a few hundred MB.

use super::Sink;
use anyhow::{Context, Result, bail};
use rust_xlsxwriter::{Workbook, Worksheet};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tongxin_domain::registry::Labelled;
use tongxin_import::{Field, Kind};
use tongxin_store::generate::{CarrierRow, InstructorRow, MemberRow, OrgRow, UnitRow};

/// Rows a sheet may hold below its header (Excel's limit is 1,048,576 rows in all).
const SHEET_ROWS: u32 = 1_000_000;

/// Where each kind's rows go and what their references are called.
pub(crate) struct CityWorkbook {
    path: PathBuf,
    book: Workbook,
    /// Sheet index and the next row, by kind; members move to a new sheet when one fills.
    sheets: HashMap<Kind, (usize, u32)>,
    member_sheets: usize,
    instructors: HashMap<i64, String>,
    carriers: HashMap<i64, String>,
    units: HashMap<i64, String>,
    orgs: HashMap<i64, String>,
}

impl CityWorkbook {
    pub fn create(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        Ok(CityWorkbook {
            path: path.to_path_buf(),
            book: Workbook::new(),
            sheets: HashMap::new(),
            member_sheets: 0,
            instructors: HashMap::new(),
            carriers: HashMap::new(),
            units: HashMap::new(),
            orgs: HashMap::new(),
        })
    }

    /// A new sheet for `kind` with its header row.
    fn open_sheet(&mut self, kind: Kind) -> Result<()> {
        let name = if kind == Kind::Members {
            self.member_sheets += 1;
            format!("{}{}", kind.sheet_name(), self.member_sheets)
        } else {
            kind.sheet_name().to_string()
        };
        let index = self.book.worksheets_mut().len();
        let ws = self.book.add_worksheet_with_constant_memory()?;
        ws.set_name(&name)?;
        for (c, f) in kind.fields().iter().enumerate() {
            ws.write_string(0, c as u16, f.header())?;
        }
        self.sheets.insert(kind, (index, 1));
        Ok(())
    }

    /// Writes one row of `kind`: its cells by field, empty ones left out.
    fn row(&mut self, kind: Kind, cells: &[(Field, &str)]) -> Result<()> {
        match self.sheets.get(&kind) {
            Some((_, next)) if *next <= SHEET_ROWS => {}
            Some(_) if kind != Kind::Members => bail!("more than {SHEET_ROWS} {} rows", kind.code()),
            _ => self.open_sheet(kind)?,
        }
        let Some((index, next)) = self.sheets.get_mut(&kind) else {
            bail!("no sheet for {}", kind.code())
        };
        let ws: &mut Worksheet = self.book.worksheet_from_index(*index)?;
        for (f, v) in cells.iter().filter(|(_, v)| !v.is_empty()) {
            let Some(c) = kind.fields().iter().position(|k| k == f) else {
                bail!("{} has no column {}", kind.code(), f.header())
            };
            ws.write_string(*next, c as u16, *v)?;
        }
        *next += 1;
        Ok(())
    }

    fn name(map: &HashMap<i64, String>, id: Option<i64>, what: &str) -> Result<String> {
        match id {
            None => Ok(String::new()),
            Some(id) => map
                .get(&id)
                .cloned()
                .with_context(|| format!("{what} {id} not written yet")),
        }
    }
}

fn date(d: Option<chrono::NaiveDate>) -> String {
    d.map(|d| d.format("%F").to_string()).unwrap_or_default()
}

impl Sink for CityWorkbook {
    async fn instructors(&mut self, rows: &[InstructorRow]) -> Result<()> {
        // Instructors are named in the units sheet; the import records them per street.
        self.instructors.extend(rows.iter().map(|r| (r.id, r.name.clone())));
        Ok(())
    }

    async fn carriers(&mut self, rows: &[CarrierRow]) -> Result<()> {
        for r in rows {
            self.carriers.insert(r.id, r.name.clone());
            self.row(
                Kind::Carriers,
                &[
                    (Field::CarrierName, &r.name),
                    (Field::CarrierKind, r.kind.label_zh()),
                    (Field::IsKey, if r.is_key { "是" } else { "否" }),
                    (Field::Division, r.division.as_str()),
                    (Field::Address, &r.address),
                ],
            )?;
        }
        Ok(())
    }

    async fn units(&mut self, rows: &[UnitRow]) -> Result<()> {
        for r in rows {
            self.units.insert(r.id, r.name.clone());
            let carrier = Self::name(&self.carriers, r.carrier_id, "carrier")?;
            let instructor = Self::name(&self.instructors, r.instructor_id, "instructor")?;
            let employees = r.employees.map(|e| e.to_string()).unwrap_or_default();
            self.row(
                Kind::Units,
                &[
                    (Field::UnitName, &r.name),
                    (Field::UnitKind, r.kind.label_zh()),
                    (Field::CreditCode, r.credit_code.as_deref().unwrap_or_default()),
                    (Field::Employees, &employees),
                    (Field::CarrierRef, &carrier),
                    (Field::Division, r.division.as_str()),
                    (Field::Instructor, &instructor),
                ],
            )?;
        }
        Ok(())
    }

    async fn orgs(&mut self, rows: &[OrgRow]) -> Result<()> {
        // Parents come first in the generator's order, but the import does not need them
        // to: the names are known before any row is written.
        self.orgs.extend(rows.iter().map(|r| (r.id, r.name.clone())));
        for r in rows {
            let parent = Self::name(&self.orgs, r.parent_id, "organisation")?;
            let carrier = Self::name(&self.carriers, r.carrier_id, "carrier")?;
            let units = r
                .unit_ids
                .iter()
                .map(|u| Self::name(&self.units, Some(*u), "unit"))
                .collect::<Result<Vec<_>>>()?
                .join("、");
            let (founded, ends) = (date(r.founded_on), date(r.term_ends_on));
            self.row(
                Kind::Orgs,
                &[
                    (Field::OrgName, &r.name),
                    (Field::OrgKind, r.kind.label_zh()),
                    (Field::ParentOrg, &parent),
                    (Field::OrgUnits, &units),
                    (Field::CarrierRef, &carrier),
                    (Field::Division, r.division.as_str()),
                    (Field::Secretary, r.secretary.as_deref().unwrap_or_default()),
                    (Field::FoundedOn, &founded),
                    (Field::TermEndsOn, &ends),
                ],
            )?;
        }
        Ok(())
    }

    async fn members(&mut self, rows: &[MemberRow]) -> Result<()> {
        for r in rows {
            let org = Self::name(&self.orgs, Some(r.org_id), "organisation")?;
            let unit = Self::name(&self.units, r.work_unit_id, "unit")?;
            let joined = date(r.joined_on);
            self.row(
                Kind::Members,
                &[
                    (Field::MemberName, &r.name),
                    (Field::MemberStatus, r.status.label_zh()),
                    (Field::ResidentId, &r.resident_id),
                    (Field::Phone, r.phone.as_deref().unwrap_or_default()),
                    (Field::OrgRef, &org),
                    (Field::WorkUnit, &unit),
                    (Field::JoinedOn, &joined),
                ],
            )?;
        }
        Ok(())
    }

    async fn finish(&mut self, _summary: serde_json::Value) -> Result<()> {
        let path = self.path.clone();
        self.book
            .save(&path)
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(())
    }
}
