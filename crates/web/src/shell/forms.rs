//! The inputs of the console's forms and how a refused save is shown beside them.

use crate::ApiError;
use crate::i18n::Lang;
use std::collections::HashMap;
use tongxin_store::registry::PickTarget;

/// One input of a record form.
pub struct FormField {
    pub(crate) name: &'static str,
    pub(crate) label: String,
    pub(crate) value: String,
    /// `checkbox`, `date`, `tel` or `text`.
    pub(crate) kind: &'static str,
    /// The keyboard a phone shows (`numeric` for counts, `text` in capitals for codes),
    /// or empty.
    pub(crate) inputmode: &'static str,
    pub(crate) options: Vec<(String, String)>,
    pub(crate) error: Option<String>,
    /// The picker of a reference field (`units` for `/pick/units`), or empty.
    pub(crate) pick: &'static str,
    /// A picker of several records (kept as checkboxes).
    pub(crate) many: bool,
    /// The id a single-record picker holds.
    pub(crate) chosen_id: String,
    /// (id, label) of the records a many-record picker holds.
    pub(crate) chosen: Vec<(String, String)>,
}

impl FormField {
    /// A single-record picker outside a record form (the pages that close gaps).
    pub(crate) fn picker(
        name: &'static str,
        label: String,
        target: PickTarget,
        value: String,
        chosen_id: String,
    ) -> Self {
        FormField {
            name,
            label,
            value,
            kind: "text",
            inputmode: "",
            options: vec![],
            error: None,
            pick: target.path(),
            many: false,
            chosen_id,
            chosen: vec![],
        }
    }
}

impl FormField {
    /// A single-record picker of a form shown again: what was typed in `values[name]`,
    /// the record chosen in `values[name__id]`, the refusal in `errors[name]`.
    pub(crate) fn picker_in(
        name: &'static str,
        label: String,
        target: PickTarget,
        values: &HashMap<String, String>,
        errors: &HashMap<String, String>,
    ) -> Self {
        let get = |k: &str| values.get(k).cloned().unwrap_or_default();
        let mut f = FormField::picker(name, label, target, get(name), get(&format!("{name}__id")));
        f.error = errors.get(name).cloned();
        f
    }
}

/// The input a field takes: a date picker for dates, a phone pad for phones, digits for
/// counts, capitals for codes that end in a letter.
pub(crate) fn input_of(name: &str, checkbox: bool) -> (&'static str, &'static str) {
    match name {
        _ if checkbox => ("checkbox", ""),
        "founded_on" | "term_ends_on" | "joined_on" => ("date", ""),
        "phone" => ("tel", "tel"),
        "employees" => ("text", "numeric"),
        // Codes that may end in a letter (X): the text keyboard, in capitals.
        "credit_code" | "resident_id" => ("text", "text"),
        _ => ("text", ""),
    }
}

/// Turns a refused save into messages beside the fields (and a flash for the rest).
pub(crate) fn form_errors(lang: Lang, e: &ApiError) -> (HashMap<String, String>, Option<String>) {
    let mut m = HashMap::new();
    for f in &e.fields {
        let msg = f.message(lang);
        let name = match f.field.as_str() {
            "location" => "address".to_string(),
            other => other.to_string(),
        };
        m.entry(name).or_insert(msg);
    }
    let flash = Some(e.message(lang));
    (m, flash)
}

/// The messages of a refused change by field, in the page's language; a refusal that
/// names no field is shown beside `fallback`.
pub(crate) fn field_messages(lang: Lang, e: &ApiError, fallback: &str) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = e.fields.iter().map(|f| (f.field.clone(), f.message(lang))).collect();
    if m.is_empty() {
        m.insert(fallback.into(), e.message(lang));
    }
    m
}

/// A console form sent by a signed-in account, its CSRF token checked: a handler that
/// takes one cannot forget the check. Without a session the sender goes to the login
/// page; a form that cannot be read, or a token that is missing or wrong, gets the
/// translated error page.
pub(crate) struct CheckedForm(pub crate::auth::Auth, pub HashMap<String, String>);

impl axum::extract::FromRequest<crate::AppState> for CheckedForm {
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        use axum::extract::FromRequestParts;
        let (mut parts, body) = req.into_parts();
        let crate::auth::PageAuth(a) = crate::auth::PageAuth::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let req = axum::extract::Request::from_parts(parts, body);
        let fields = match axum::Form::<HashMap<String, String>>::from_request(req, state).await {
            Ok(axum::Form(f)) => f,
            Err(_) => {
                let e = ApiError::new(tongxin_domain::ErrorCode::BadRequest);
                return Err(super::error_page(&headers, Some(&a), e));
            }
        };
        if let Err(e) = super::check_csrf(&a, fields.get("csrf")) {
            return Err(super::error_page(&headers, Some(&a), e));
        }
        Ok(CheckedForm(a, fields))
    }
}
