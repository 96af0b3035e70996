//! The code validators and cell parsers: a value that parses is valid by its check
//! character, and parses again to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tongxin_domain::codes::{CreditCode, DivisionCode, Phone, ResidentId};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = CreditCode::parse(text) {
        assert_eq!(CreditCode::parse(&c.to_string()).ok(), Some(c));
    }
    if let Ok(r) = ResidentId::parse(text) {
        assert_eq!(
            ResidentId::parse(r.reveal()).ok().as_ref().map(|x| x.reveal()),
            Some(r.reveal())
        );
        let masked = r.masked();
        assert!(tongxin_domain::codes::masked_resident_id_parts(&masked).is_some());
    }
    if let Ok(d) = DivisionCode::parse(text) {
        assert_eq!(DivisionCode::parse(d.as_str()).ok(), Some(d));
    }
    let _ = Phone::parse(text);
    let _ = tongxin_import::parse_date(text);
    let _ = tongxin_import::parse_bool(text);
    let _ = tongxin_domain::registry::parse_count("employees", text);
    let _ = tongxin_domain::codes::is_partial_resident_id(text);
});
