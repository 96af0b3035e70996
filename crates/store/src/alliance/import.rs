//! An alliance's lists (需求清单, 资源清单) from the spreadsheets offices keep: read by
//! the import crate (title rows, synonyms, Traditional headers, two unit columns), every
//! row checked before anything is written, then written in one transaction, or not at
//! all. Units are named as offices write them ("瑞金医院" for "上海交通大学医学院附属
//! 瑞金医院"): matched to the conference's member units by name, then by a name that
//! holds the other, then by a near spelling when one stands out. A unit that matches
//! none is never created silently: it is listed, and an office may confirm the list as
//! new member units (`add_unknown_units`): registry units of the territory by their
//! exact name, the others as outside organisations.
//!
//! A row whose unit already posted a post of that kind and title updates it, with only
//! the columns the sheet has: a column absent from the sheet leaves its field as it is.

use super::ConferenceRight;
use super::postings::Written;
use super::posts::audited;
use crate::bulk::RowError;
use crate::entity::{alliance_member as member, alliance_post as post, unit};
use crate::registry::check_version;
use crate::{Actor, Result, Store, StoreError};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use std::collections::HashMap;
use tongxin_domain::alliance::{ConferenceId, MemberFields, MemberKind, PostFields, PostInput, PostKind};
use tongxin_domain::codes::DivisionCode;
use tongxin_domain::registry::Labelled;
use tongxin_domain::{Coded, ErrorCode};
use tongxin_import::{Field, Kind, Table, TableRow, header_key, parse_date};

/// What an import of lists did, or would have done.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ListsImport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Units the file names that are not member units, as written (first line first).
    pub unknown_units: Vec<String>,
    /// Units this import made member units (with `add_unknown_units`).
    pub added_units: Vec<String>,
    pub errors: Vec<RowError>,
    /// True when the rows were written (no row had an error).
    pub committed: bool,
}

/// How a unit named in a file was found.
enum Unit {
    Member(i64),
    /// Named by no member unit: its name as written.
    Unknown(String),
}

/// A row checked: its post's fields, which unit posts it, the columns the sheet gave.
struct Checked {
    fields: PostFields,
    unit: Unit,
    columns: Vec<Field>,
}

/// The key a unit's name is compared by: half width, Simplified, lower case, without
/// spaces and bracketed remarks (`（黄浦）`).
fn unit_key(s: &str) -> String {
    header_key(s)
}

/// The member unit a name means: the same name; else the one name that holds it or that
/// it holds (at least four characters); else the nearest spelling, when it is near and
/// clearly nearer than the next.
fn find_member(name: &str, members: &[(i64, String)]) -> Option<i64> {
    let k = unit_key(name);
    if k.is_empty() {
        return None;
    }
    if let Some((id, _)) = members.iter().find(|(_, m)| *m == k) {
        return Some(*id);
    }
    let short = |a: &str| a.chars().count() < 4;
    let holding: Vec<i64> = members
        .iter()
        .filter(|(_, m)| !short(&k) && !short(m) && (m.contains(&k) || k.contains(m.as_str())))
        .map(|(id, _)| *id)
        .collect();
    if let [one] = holding.as_slice() {
        return Some(*one);
    }
    if !holding.is_empty() {
        return None;
    }
    let mut near: Vec<(f64, i64)> = members
        .iter()
        .map(|(id, m)| (tongxin_matching::bigram_overlap(&k, m), *id))
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    match near.as_slice() {
        [(best, id), rest @ ..] if *best >= 0.7 && rest.first().is_none_or(|(next, _)| best - next >= 0.15) => {
            Some(*id)
        }
        _ => None,
    }
}

/// The divisions of a conference's territory, by name, to find a row's division.
struct Places {
    codes: std::collections::HashSet<String>,
    by_name: HashMap<String, Vec<String>>,
    /// Districts (name, code): a name may begin with its district's.
    districts: Vec<(String, String)>,
}

impl Places {
    fn new(within: &[(String, String)]) -> Self {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        for (c, n) in within {
            by_name.entry(n.clone()).or_default().push(c.clone());
        }
        Places {
            codes: within.iter().map(|(c, _)| c.clone()).collect(),
            by_name,
            districts: within
                .iter()
                .filter(|(c, _)| c.len() == 6)
                .map(|(c, n)| (n.clone(), c.clone()))
                .collect(),
        }
    }

    /// A division by code or name (`外滩街道`, `外滩`, `黄浦区外滩街道`, a path
    /// `外滩街道/某居委会`); `None` when blank.
    fn find(&self, raw: &str) -> std::result::Result<Option<String>, (ErrorCode, String)> {
        let text = tongxin_domain::text::clean(raw).replace(' ', "");
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().all(|c| c.is_ascii_digit()) {
            let code = DivisionCode::parse(&text).map_err(|_| (ErrorCode::DivisionCodeInvalid, text.clone()))?;
            return if self.codes.contains(code.as_str()) {
                Ok(Some(code.to_string()))
            } else {
                Err((ErrorCode::OutsideTerritory, text))
            };
        }
        let mut at: Option<String> = None;
        for part in text.split('/').filter(|p| !p.is_empty()) {
            // 黄浦区外滩街道: the district's name in front narrows the search to it.
            let (name, inside) = self
                .districts
                .iter()
                .find_map(|(dn, dc)| {
                    part.strip_prefix(dn.as_str())
                        .filter(|r| !r.is_empty())
                        .map(|r| (r, Some(dc)))
                })
                .unwrap_or((part, None));
            let mut found: Vec<&String> = ["", "街道", "镇", "居委会", "社区居委会", "居民委员会"]
                .iter()
                .filter_map(|suffix| self.by_name.get(&format!("{name}{suffix}")))
                .flatten()
                .filter(|c| at.as_deref().is_none_or(|a| c.starts_with(a)))
                .filter(|c| inside.is_none_or(|d| c.starts_with(d.as_str())))
                .collect();
            found.dedup();
            match found.as_slice() {
                [one] => at = Some((*one).clone()),
                [] => return Err((ErrorCode::DivisionUnknown, part.to_string())),
                _ => return Err((ErrorCode::DivisionAmbiguous, part.to_string())),
            }
        }
        Ok(at)
    }
}

/// The column a post's field error is shown in.
fn column_of(field: &str) -> Option<Field> {
    Some(match field {
        "kind" => Field::PostKind,
        "title" => Field::PostTitle,
        "category" => Field::PostCategory,
        "description" => Field::PostDescription,
        "division" => Field::Division,
        "place" => Field::Place,
        "audience" => Field::Audience,
        "starts_on" => Field::StartsOn,
        "ends_on" => Field::EndsOn,
        "people" => Field::People,
        "contact_name" => Field::ContactName,
        "contact_phone" => Field::Phone,
        _ => return None,
    })
}

impl Store {
    /// Imports needs and resources read by [`tongxin_import::read_lists_within`] into
    /// conference `c` (an office that keeps it). Every row is checked first; with any
    /// row in error nothing is written and the report lists every error. Audited per post.
    pub async fn import_lists(
        &self,
        actor: &Actor,
        c: ConferenceId,
        tables: &[Table],
        add_unknown_units: bool,
    ) -> Result<ListsImport> {
        let conf = self
            .kept_conference(&self.read, actor, c, ConferenceRight::Office)
            .await?;
        let conf_code = DivisionCode::parse(&conf.division_code).map_err(|_| StoreError::NotFound)?;
        let rows = member::Entity::find()
            .filter(member::Column::ConferenceId.eq(conf.id))
            .filter(member::Column::Archived.eq(false))
            .all(&self.read)
            .await?;
        let names = self.names_of_members(&rows).await?;
        let today = Utc::now().date_naive();
        let current: Vec<&member::Model> = rows.iter().filter(|m| m.left_on.is_none_or(|l| l > today)).collect();
        let keys: Vec<(i64, String)> = current
            .iter()
            .map(|m| (m.id, unit_key(names.get(&m.id).map_or(m.name.as_str(), String::as_str))))
            .collect();
        // A registry member posts in its unit's division when the row names none.
        let unit_ids: Vec<i64> = current.iter().filter_map(|m| m.unit_id).collect();
        let unit_divisions: HashMap<i64, String> = unit::Entity::find()
            .filter(unit::Column::Id.is_in(unit_ids))
            .all(&self.read)
            .await?
            .into_iter()
            .map(|u| (u.id, u.division_code))
            .collect();
        let home_of = |m: i64| -> String {
            current
                .iter()
                .find(|x| x.id == m)
                .and_then(|x| x.unit_id)
                .and_then(|u| unit_divisions.get(&u).cloned())
                .unwrap_or_else(|| conf.division_code.clone())
        };
        let places = Places::new(&self.division_names_within(Some(&conf_code)).await?);

        let mut report = ListsImport::default();
        let mut checked: Vec<Checked> = vec![];
        let mut seen: HashMap<(String, String, String), usize> = HashMap::new();
        for t in tables {
            let kind_from_sheet = Kind::parse(&t.sheet).filter(|k| Kind::LISTS.contains(k));
            let has = |f: Field| t.columns.iter().any(|c| c.field == f);
            let columns: Vec<Field> = t.kind.fields().iter().copied().filter(|f| has(*f)).collect();
            for row in &t.rows {
                let mut errors: Vec<(Option<Field>, ErrorCode, String)> = vec![];
                if let Some(f) = row.over_long() {
                    errors.push((
                        Some(f),
                        ErrorCode::CellTooLong,
                        tongxin_import::EXCEL_MAX_CELL_CHARS.to_string(),
                    ));
                }
                let kind = match (row.get(Field::PostKind), kind_from_sheet) {
                    ("", Some(k)) => Some(if k == Kind::Needs {
                        PostKind::Need
                    } else {
                        PostKind::Resource
                    }),
                    ("", None) => {
                        errors.push((Some(Field::PostKind), ErrorCode::Required, String::new()));
                        None
                    }
                    (v, _) => {
                        let k = PostKind::parse_any(&tongxin_import::header_key(v)).or_else(|| PostKind::parse_any(v));
                        if k.is_none() {
                            errors.push((Some(Field::PostKind), ErrorCode::UnknownValue, v.to_string()));
                        }
                        k
                    }
                };
                let unit_text = row.get(Field::PostUnit);
                let unit = match unit_text
                    .split('、')
                    .filter(|u| !u.trim().is_empty())
                    .collect::<Vec<_>>()
                    .as_slice()
                {
                    [] => {
                        errors.push((Some(Field::PostUnit), ErrorCode::Required, String::new()));
                        None
                    }
                    [one] => Some(match find_member(one, &keys) {
                        Some(m) => Unit::Member(m),
                        None => Unit::Unknown(tongxin_domain::text::clean(one)),
                    }),
                    _ => {
                        errors.push((Some(Field::PostUnit), ErrorCode::Inconsistent, unit_text.to_string()));
                        None
                    }
                };
                if let Some(Unit::Unknown(n)) = &unit {
                    if !report.unknown_units.contains(n) {
                        report.unknown_units.push(n.clone());
                    }
                    if !add_unknown_units {
                        errors.push((Some(Field::PostUnit), ErrorCode::ReferenceInvalid, n.clone()));
                    }
                }
                let mut date = |f: Field| -> Option<NaiveDate> {
                    match parse_date(row.get(f)) {
                        Ok(d) => d,
                        Err(_) => {
                            errors.push((Some(f), ErrorCode::BadDate, row.get(f).to_string()));
                            None
                        }
                    }
                };
                let (starts_on, ends_on) = (date(Field::StartsOn), date(Field::EndsOn));
                let division = match places.find(row.get(Field::Division)) {
                    Ok(Some(d)) => d,
                    Ok(None) => match &unit {
                        Some(Unit::Member(m)) => home_of(*m),
                        _ => conf.division_code.clone(),
                    },
                    Err((code, detail)) => {
                        errors.push((Some(Field::Division), code, detail));
                        conf.division_code.clone()
                    }
                };
                // An exported sheet's phones are masked (138****8000): such a value keeps
                // the phone on record, and is no phone for a new post.
                let masked = row.get(Field::Phone).contains('*');
                let input = PostInput {
                    kind: kind.map_or("need", |k| k.code()),
                    title: row.get(Field::PostTitle),
                    category: row.get(Field::PostCategory),
                    description: row.get(Field::PostDescription),
                    division: &division,
                    place: row.get(Field::Place),
                    audience: row.get(Field::Audience),
                    starts_on,
                    ends_on,
                    people: row.get(Field::People),
                    contact_name: row.get(Field::ContactName),
                    contact_phone: if masked { "" } else { row.get(Field::Phone) },
                };
                let fields = match PostFields::parse(&input) {
                    Ok(f) => Some(f),
                    Err(es) => {
                        for e in es {
                            errors.push((column_of(e.field()), e.code(), String::new()));
                        }
                        None
                    }
                };
                // The same post twice in the file: the second is refused, naming the first.
                if let (Some(k), Some(u)) = (kind, &unit) {
                    let who = match u {
                        Unit::Member(m) => m.to_string(),
                        Unit::Unknown(n) => unit_key(n),
                    };
                    let key = (k.code().to_string(), who, unit_key(row.get(Field::PostTitle)));
                    match seen.get(&key) {
                        Some(first) => errors.push((None, ErrorCode::DuplicateRow, first.to_string())),
                        None => {
                            seen.insert(key, row.line);
                        }
                    }
                }
                match (fields, unit) {
                    (Some(fields), Some(unit)) if errors.is_empty() => checked.push(Checked {
                        fields,
                        unit,
                        columns: columns
                            .iter()
                            .copied()
                            .filter(|f| !(masked && *f == Field::Phone))
                            .collect(),
                    }),
                    _ => report
                        .errors
                        .extend(errors.into_iter().map(|(column, code, detail)| RowError {
                            sheet: t.sheet.clone(),
                            kind: t.kind.code(),
                            index: row.index,
                            line: row.line,
                            record: row_name(row),
                            column: column.map(|f| f.header()),
                            code,
                            detail,
                        })),
                }
            }
        }
        if !report.errors.is_empty() {
            return Ok(report);
        }

        // Segmentation is CPU work: off the async workers, before the writer is taken.
        let texts: Vec<String> = checked.iter().map(|c| c.fields.text()).collect();
        let a = self.analyzer().await?;
        let words: Vec<Vec<(String, i32)>> =
            tokio::task::spawn_blocking(move || texts.iter().map(|t| super::posts::counted(a.words(t))).collect())
                .await
                .map_err(|e| StoreError::Io(std::io::Error::other(e)))?;
        let txn = self.begin().await?;
        let conf = self.conference_for_write(&txn, actor, c).await?;
        // Units confirmed as new: a registry unit of the territory by its exact name, an
        // outside organisation otherwise.
        let mut added: HashMap<String, i64> = HashMap::new();
        if add_unknown_units && !report.unknown_units.is_empty() {
            let found = unit::Entity::find()
                .filter(unit::Column::Name.is_in(report.unknown_units.clone()))
                .filter(unit::Column::Archived.eq(false))
                .all(&txn)
                .await?;
            for n in &report.unknown_units {
                let here: Vec<&unit::Model> = found
                    .iter()
                    .filter(|u| {
                        &u.name == n && DivisionCode::parse(&u.division_code).is_ok_and(|d| conf_code.contains(&d))
                    })
                    .collect();
                let input = super::AllianceMemberInput {
                    unit: match here.as_slice() {
                        [one] => Some(tongxin_domain::registry::UnitId(one.id)),
                        _ => None,
                    },
                    name: Some(n.clone()),
                    fields: MemberFields::parse(MemberKind::Other.code(), Some(today), None, None)
                        .map_err(StoreError::Invalid)?,
                };
                let m = self.insert_member(&txn, actor, &conf, &input, None).await?;
                added.insert(n.clone(), m.id);
                report.added_units.push(n.clone());
            }
        }
        let generation = super::postings::next_words_generation(&txn, conf.id).await?;
        let existing = post::Entity::find()
            .filter(post::Column::ConferenceId.eq(conf.id))
            .filter(post::Column::Archived.eq(false))
            .all(&txn)
            .await?;
        for (ch, w) in checked.into_iter().zip(words) {
            let member = match &ch.unit {
                Unit::Member(m) => *m,
                Unit::Unknown(n) => *added.get(n).ok_or(StoreError::Reference { field: "unit" })?,
            };
            self.check_post_place(&conf, &ch.fields.division).await?;
            let before = existing.iter().find(|p| {
                p.member_id == member
                    && p.kind == ch.fields.kind.code()
                    && unit_key(&p.title) == unit_key(&ch.fields.title)
            });
            match before {
                None => {
                    let w = Written { words: &w, generation };
                    self.insert_post(&txn, actor, conf.id, member, &ch.fields, w).await?;
                    report.created += 1;
                }
                Some(b) => {
                    let w = Written { words: &w, generation };
                    if self.update_imported(&txn, actor, b, &ch, w).await? {
                        report.updated += 1;
                    } else {
                        report.unchanged += 1;
                    }
                }
            }
        }
        txn.commit().await?;
        report.committed = true;
        Ok(report)
    }

    /// Updates a post from a row: the fields of the sheet's columns; the others kept.
    /// False when nothing changed.
    async fn update_imported(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        actor: &Actor,
        b: &post::Model,
        ch: &Checked,
        w: Written<'_>,
    ) -> Result<bool> {
        let f = &ch.fields;
        let has = |x: Field| ch.columns.contains(&x);
        let text =
            |x: Field, new: &Option<String>, old: &Option<String>| if has(x) { new.clone() } else { old.clone() };
        let category = if has(Field::PostCategory) {
            f.category.map(|c| c.code().to_string())
        } else {
            b.category.clone()
        };
        let description = text(Field::PostDescription, &f.description, &b.description);
        let division = if has(Field::Division) {
            f.division.to_string()
        } else {
            b.division_code.clone()
        };
        let place = text(Field::Place, &f.place, &b.place);
        let audience = text(Field::Audience, &f.audience, &b.audience);
        let starts_on = if has(Field::StartsOn) { f.starts_on } else { b.starts_on };
        let ends_on = if has(Field::EndsOn) { f.ends_on } else { b.ends_on };
        let people = if has(Field::People) {
            f.people.map(|p| i32::try_from(p).unwrap_or(i32::MAX))
        } else {
            b.people
        };
        let contact_name = text(Field::ContactName, &f.contact_name, &b.contact_name);
        let contact_phone = if has(Field::Phone) {
            f.contact_phone.as_ref().map(|p| p.reveal().to_string())
        } else {
            b.contact_phone.clone()
        };
        let same = category == b.category
            && description == b.description
            && division == b.division_code
            && place == b.place
            && audience == b.audience
            && starts_on == b.starts_on
            && ends_on == b.ends_on
            && people == b.people
            && contact_name == b.contact_name
            && contact_phone == b.contact_phone;
        if same {
            return Ok(false);
        }
        let find = post::Entity::find_by_id(b.id);
        let res = post::Entity::update_many()
            .col_expr(post::Column::Category, Expr::value(category))
            .col_expr(post::Column::Description, Expr::value(description))
            .col_expr(post::Column::DivisionCode, Expr::value(division))
            .col_expr(post::Column::Place, Expr::value(place))
            .col_expr(post::Column::Audience, Expr::value(audience))
            .col_expr(post::Column::StartsOn, Expr::value(starts_on))
            .col_expr(post::Column::EndsOn, Expr::value(ends_on))
            .col_expr(post::Column::People, Expr::value(people))
            .col_expr(post::Column::ContactName, Expr::value(contact_name))
            .col_expr(post::Column::ContactPhone, Expr::value(contact_phone))
            .col_expr(
                post::Column::Words,
                Expr::value(w.words.iter().map(|(_, n)| n).sum::<i32>()),
            )
            .col_expr(post::Column::Version, Expr::col(post::Column::Version).add(1))
            .col_expr(post::Column::UpdatedAt, Expr::value(Utc::now()))
            .filter(post::Column::Id.eq(b.id))
            .filter(post::Column::Version.eq(b.version))
            .exec(txn)
            .await?;
        check_version(txn, res.rows_affected, find.clone(), |m| m.version).await?;
        let after = find.one(txn).await?.ok_or(StoreError::NotFound)?;
        self.write_words(txn, &after, w).await?;
        crate::audit::record(
            txn,
            actor,
            "update",
            "post",
            Some(b.id),
            Some(audited(b)),
            Some(audited(&after)),
        )
        .await?;
        Ok(true)
    }
}

/// The name a row gives its post (its title), for the error list.
fn row_name(row: &TableRow) -> String {
    row.get(Field::PostTitle).chars().take(100).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_found_as_offices_write_them() {
        let members: Vec<(i64, String)> = [
            (1, "上海交通大学医学院附属瑞金医院"),
            (2, "申城银行上海黄浦支行"),
            (3, "外滩街道某居民区"),
            (4, "区委组织部"),
        ]
        .into_iter()
        .map(|(i, n)| (i, unit_key(n)))
        .collect();
        assert_eq!(find_member("瑞金医院", &members), Some(1), "a name it holds");
        assert_eq!(find_member(" 區委組織部 ", &members), Some(4), "Traditional, spaces");
        assert_eq!(find_member("申城银行黄浦支行", &members), Some(2), "a near spelling");
        assert_eq!(find_member("某某科技有限公司", &members), None);
        assert_eq!(find_member("", &members), None);
    }

    #[test]
    fn divisions_by_name_code_or_path() {
        let within: Vec<(String, String)> = [
            ("310101", "黄浦区"),
            ("310101002", "外滩街道"),
            ("310101002001", "某居委会"),
            ("310101013", "南京东路街道"),
            ("310101013002", "某居委会"),
        ]
        .into_iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect();
        let places = Places::new(&within);
        let find = |s: &str| places.find(s);
        assert_eq!(find("外滩"), Ok(Some("310101002".into())));
        assert_eq!(find("外滩街道/某"), Ok(Some("310101002001".into())));
        assert_eq!(find("黄浦区外滩街道"), Ok(Some("310101002".into())));
        assert_eq!(find("310101013"), Ok(Some("310101013".into())));
        assert_eq!(find(""), Ok(None));
        assert_eq!(find("310104003").map_err(|e| e.0), Err(ErrorCode::OutsideTerritory));
        assert_eq!(find("火星").map_err(|e| e.0), Err(ErrorCode::DivisionUnknown));
        // A community's name in two streets: the street before it tells which.
        assert_eq!(find("某居委会").map_err(|e| e.0), Err(ErrorCode::DivisionAmbiguous));
        assert_eq!(find("南京东路/某居委会"), Ok(Some("310101013002".into())));
    }
}
