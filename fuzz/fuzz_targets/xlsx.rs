//! The .xlsx reader under the upload limits: any bytes give tables or a refusal, never a
//! crash, an allocation past the bounds or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: {
    // The reader turns a panic inside calamine into a refusal (catch_unwind); the
    // fuzzer's own hook would abort on it first. Panics anywhere else still abort.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}, |data: &[u8]| {
    // Every input is read as a workbook (the reader decides by content, not by name).
    let mut bytes = b"PK\x03\x04".to_vec();
    bytes.extend_from_slice(data.strip_prefix(b"PK\x03\x04").unwrap_or(data));
    let _ = tongxin_import::read_tables(&bytes, "fuzz.xlsx", None);
});
