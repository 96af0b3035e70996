//! The header matcher: any text folds to a key (full width, Traditional, brackets) and
//! matches at most one field per kind.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let key = tongxin_import::header_key(text);
    for kind in tongxin_import::Kind::ALL {
        if let Some(f) = tongxin_import::Field::match_header(kind, &key) {
            assert!(kind.fields().contains(&f));
        }
    }
    let _ = tongxin_import::Kind::parse(text);
    let _ = tongxin_import::split_multi(text);
});
