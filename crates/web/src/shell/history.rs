//! A record's history as people read it: a field-by-field diff with labels, the
//! operator's name and the action in the page's language; and category codes in words.

use crate::i18n::Lang;
use tongxin_store::audit::AuditEntry;

pub(crate) fn history_rows(lang: Lang, h: Vec<AuditEntry>) -> Vec<(String, String, String, String)> {
    h.into_iter()
        .map(|e| {
            let detail = match (&e.before, &e.after) {
                (Some(b), Some(a)) => changed_fields(lang, b, a),
                (None, Some(a)) => created_fields(lang, a),
                _ => String::new(),
            };
            // Every action has its words in `history.<action>`; one without shows as stored.
            let action = {
                let t = lang.t(&format!("history.{}", e.action));
                if t.starts_with("history.") { e.action.clone() } else { t }
            };
            (e.at.format("%Y-%m-%d %H:%M:%S").to_string(), e.actor, action, detail)
        })
        .collect()
}

/// The label of a stored field, in the page's language (its own name when it has none).
fn field_label(lang: Lang, key: &str) -> Option<String> {
    let label = match key {
        // Bookkeeping and internal keys: not shown to people.
        "id" | "version" | "created_at" | "updated_at" | "path" | "archived" | "unit_id" | "chair_id"
        | "admitted_at" => return None,
        "division_code" => "field.division",
        "carrier_id" => "field.carrier",
        "instructor_id" => "field.instructor",
        "parent_id" => "field.parent",
        "unit_ids" => "field.units",
        "org_id" => "field.org",
        "work_unit_id" => "field.work_unit",
        "other_unit_id" => "field.other_unit",
        "lng" => "field.lng",
        "lat" => "field.lat",
        "import" => "field.file",
        "level" => "centres.level",
        "hours" => "centres.hours",
        "room" => "centres.room_name",
        "capacity" => "centres.capacity",
        "staff" => "centres.staff",
        "unit" => "centres.serve_unit",
        // A key with a label of its own name (name, kind, address…), else the key.
        other => {
            let t = lang.t(&format!("field.{other}"));
            return Some(if t.contains("field.") { other.to_string() } else { t });
        }
    };
    Some(lang.t(label))
}

/// A category code (`branch`, `enterprise`) in the page's language; its stored label
/// where the locale has none.
pub(crate) fn kind_text(lang: Lang, code: &str, label: &str) -> String {
    let t = lang.t(&format!("kind.{code}"));
    if t.contains("kind.") { label.to_string() } else { t }
}

/// A stored value of `key` as a person reads it.
fn shown(lang: Lang, key: &str, v: Option<&serde_json::Value>) -> String {
    match (key, v) {
        ("kind" | "level" | "office", Some(serde_json::Value::String(code))) => kind_text(lang, code, code),
        _ => plain(lang, v),
    }
}

/// A stored value as a person reads it: text without quotes, yes/no, "—" for nothing.
fn plain(lang: Lang, v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => "—".into(),
        Some(serde_json::Value::String(s)) if s.is_empty() => "—".into(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Bool(b)) => lang.t(if *b { "ui.yes" } else { "ui.no" }),
        Some(serde_json::Value::Array(a)) => a.iter().map(|x| plain(lang, Some(x))).collect::<Vec<_>>().join("、"),
        Some(other) => other.to_string(),
    }
}

/// `label: before → after` for the fields an edit changed.
fn changed_fields(lang: Lang, b: &serde_json::Value, a: &serde_json::Value) -> String {
    let (Some(b), Some(a)) = (b.as_object(), a.as_object()) else {
        return String::new();
    };
    a.iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .filter_map(|(k, v)| {
            Some(format!(
                "{}: {} → {}",
                field_label(lang, k)?,
                shown(lang, k, b.get(k)),
                shown(lang, k, Some(v))
            ))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `label: value` for what a record was created with (the file, for an import's).
fn created_fields(lang: Lang, a: &serde_json::Value) -> String {
    let Some(a) = a.as_object() else {
        return String::new();
    };
    a.iter()
        .filter(|(_, v)| !v.is_null() && v.as_str() != Some(""))
        .filter_map(|(k, v)| Some(format!("{}: {}", field_label(lang, k)?, shown(lang, k, Some(v)))))
        .collect::<Vec<_>>()
        .join("\n")
}
