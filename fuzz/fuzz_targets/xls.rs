//! The .xls reader (compound file, BIFF records) under the upload limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fuzz_target!(init: {
    // The reader turns a panic inside calamine into a refusal (catch_unwind); the
    // fuzzer's own hook would abort on it first. Panics anywhere else still abort.
    std::panic::set_hook(Box::new(|info| eprintln!("{info}")));
}, |data: &[u8]| {
    let mut bytes = CFB.to_vec();
    bytes.extend_from_slice(data.strip_prefix(&CFB[..]).unwrap_or(data));
    let _ = tongxin_import::read_tables(&bytes, "fuzz.xls", None);
});
