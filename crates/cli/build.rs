//! Tells the tests which real parts this machine lacks, so that a test needing
//! PostgreSQL shows as ignored, with how to give it one, instead of passing. Under
//! `CI=true` nothing is ignored: a missing part fails the run.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(missing_postgres)");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=TONGXIN_TEST_POSTGRES");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let url = std::env::var("TONGXIN_TEST_POSTGRES").is_ok_and(|u| !u.is_empty());
    if !url && !ci {
        println!("cargo:rustc-cfg=missing_postgres");
    }
}
