//! The CSV reader (UTF-8 or GB18030, quotes, ragged rows) and header detection, for each
//! forced kind and for detection by content.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    // The reader turns a panic inside calamine into a refusal (catch_unwind); the
    // fuzzer's own hook would abort on it first. Panics anywhere else still abort.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}, |data: &[u8]| {
    if data.starts_with(b"PK\x03\x04") || data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return;
    }
    let _ = tongxin_import::read_tables(data, "fuzz.csv", None);
    for kind in tongxin_import::Kind::ALL {
        let _ = tongxin_import::read_tables(data, "fuzz.csv", Some(kind));
    }
});
