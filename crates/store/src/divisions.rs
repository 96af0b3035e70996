//! Administrative divisions (行政区划): Shanghai's built in, other regions loaded from a
//! CSV file of the same columns (`code,name,level,parent_code`).

use crate::entity::division;
use crate::{Result, Store, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use tongxin_domain::codes::{DivisionCode, DivisionLevel};

/// Shanghai's divisions, 2023 statistical codes (provenance in `data/README.md`).
const SHANGHAI_CSV: &str = include_str!("../data/divisions-shanghai.csv");

/// Rows per INSERT: 4 columns × 1,000 stays well under SQLite's 32,766 bound parameters.
const BATCH: usize = 1000;

#[derive(Debug, Clone, Serialize, PartialEq, utoipa::ToSchema)]
pub struct Division {
    pub code: String,
    pub name: String,
    pub level: DivisionLevel,
    pub parent_code: Option<String>,
}

impl From<division::Model> for Division {
    fn from(m: division::Model) -> Self {
        Division {
            level: DivisionLevel::parse(&m.level).unwrap_or(DivisionLevel::Community),
            code: m.code,
            name: m.name,
            parent_code: m.parent_code,
        }
    }
}

impl Store {
    /// Loads the built-in Shanghai divisions when the table is empty.
    pub async fn ensure_builtin_divisions(&self) -> Result<usize> {
        if division::Entity::find().count(&self.read).await? > 0 {
            return Ok(0);
        }
        self.load_divisions(SHANGHAI_CSV.as_bytes()).await
    }

    /// Loads divisions from CSV (`code,name,level,parent_code`, header required), in one
    /// transaction: a bad row loads nothing. Existing codes get the new name.
    pub async fn load_divisions<R: std::io::Read>(&self, reader: R) -> Result<usize> {
        let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(reader);
        let headers = rdr.headers().map_err(|e| StoreError::BadFile(e.to_string()))?.clone();
        let expected = ["code", "name", "level", "parent_code"];
        if headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}'))
            .collect::<Vec<_>>()
            != expected
        {
            return Err(StoreError::BadFile(format!(
                "expected the columns {}",
                expected.join(",")
            )));
        }
        let txn = self.begin().await?;
        let mut batch = Vec::with_capacity(BATCH);
        let mut n = 0;
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| StoreError::BadFile(format!("line {line}: {e}")))?;
            let code = DivisionCode::parse(&rec[0])
                .map_err(|_| StoreError::BadFile(format!("line {line}: bad code {}", &rec[0])))?;
            let level = DivisionLevel::parse(&rec[2])
                .filter(|l| l.code_len() == code.as_str().len())
                .ok_or_else(|| StoreError::BadFile(format!("line {line}: level {} does not fit code", &rec[2])))?;
            let parent = rec[3].trim();
            batch.push(division::ActiveModel {
                code: Set(code.to_string()),
                name: Set(rec[1].trim().to_string()),
                level: Set(level.as_str().into()),
                parent_code: Set((!parent.is_empty()).then(|| parent.to_string())),
            });
            n += 1;
            if batch.len() == BATCH {
                insert_batch(&txn, std::mem::take(&mut batch)).await?;
            }
        }
        insert_batch(&txn, batch).await?;
        txn.commit().await?;
        // Names may change with the table: lists read them afresh.
        if let Ok(mut kept) = self.division_names.write() {
            kept.1.clear();
        }
        Ok(n)
    }

    pub async fn division(&self, code: &str) -> Result<Option<Division>> {
        Ok(division::Entity::find_by_id(code.to_string())
            .one(&self.read)
            .await?
            .map(Into::into))
    }

    /// Checks that a code is in the division table.
    /// Whether a division exists (remembered once seen: divisions are never removed).
    pub async fn division_exists(&self, code: &DivisionCode) -> Result<bool> {
        if self.known_divisions.read().is_ok_and(|k| k.contains(code.as_str())) {
            return Ok(true);
        }
        let found = self.division(code.as_str()).await?.is_some();
        if found && let Ok(mut k) = self.known_divisions.write() {
            k.insert(code.to_string());
        }
        Ok(found)
    }

    pub async fn known_division(&self, code: &DivisionCode) -> Result<Division> {
        self.division(code.as_str())
            .await?
            .ok_or_else(|| StoreError::UnknownDivision(code.to_string()))
    }

    pub async fn division_children(&self, code: Option<&str>) -> Result<Vec<Division>> {
        let q = division::Entity::find();
        let q = match code {
            Some(c) => q.filter(division::Column::ParentCode.eq(c)),
            None => q.filter(division::Column::ParentCode.is_null()),
        };
        Ok(q.order_by_asc(division::Column::Code)
            .all(&self.read)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// The division and its ancestors, top first (for breadcrumbs).
    pub async fn division_path(&self, code: &DivisionCode) -> Result<Vec<Division>> {
        let mut codes = vec![code.clone()];
        while let Some(p) = codes.last().and_then(DivisionCode::parent) {
            codes.push(p);
        }
        let keys: Vec<String> = codes.iter().map(|c| c.to_string()).collect();
        let mut rows: Vec<Division> = division::Entity::find()
            .filter(division::Column::Code.is_in(keys))
            .all(&self.read)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        rows.sort_by_key(|d| d.code.len());
        Ok(rows)
    }

    /// Finds divisions by exact name, optionally only below `within`.
    pub async fn divisions_named(&self, name: &str, within: Option<&DivisionCode>) -> Result<Vec<Division>> {
        let mut q = division::Entity::find().filter(division::Column::Name.eq(name));
        if let Some(w) = within {
            let (lo, hi) = w.subtree_range();
            q = q
                .filter(division::Column::Code.gte(lo))
                .filter(division::Column::Code.lt(hi));
        }
        Ok(q.all(&self.read).await?.into_iter().map(Into::into).collect())
    }

    /// All divisions below (and including) `root`, as (code, name) pairs, for resolving
    /// names during an import without a query per row.
    pub async fn division_names_within(&self, root: Option<&DivisionCode>) -> Result<Vec<(String, String)>> {
        let mut q = division::Entity::find();
        if let Some(w) = root {
            let (lo, hi) = w.subtree_range();
            q = q
                .filter(division::Column::Code.gte(lo))
                .filter(division::Column::Code.lt(hi));
        }
        Ok(q.all(&self.read).await?.into_iter().map(|d| (d.code, d.name)).collect())
    }
}

async fn insert_batch(txn: &sea_orm::DatabaseTransaction, batch: Vec<division::ActiveModel>) -> Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    division::Entity::insert_many(batch)
        .on_conflict(
            OnConflict::column(division::Column::Code)
                .update_columns([
                    division::Column::Name,
                    division::Column::Level,
                    division::Column::ParentCode,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
    Ok(())
}
