//! Tells the tests which real parts this machine lacks, so that a browser test shows as
//! ignored, with how to get its part, instead of passing. Under `CI=true` nothing is
//! ignored: a missing part fails the run.

fn main() {
    println!("cargo:rustc-check-cfg=cfg(missing_chromium)");
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=CHROMEDRIVER");
    println!("cargo:rerun-if-env-changed=CHROMIUM");
    // Installing a package changes the folder's modification time.
    println!("cargo:rerun-if-changed=/usr/bin");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let present = std::path::Path::new(&driver).exists() && std::path::Path::new(&browser).exists();
    if !present && !ci {
        println!("cargo:rustc-cfg=missing_chromium");
    }
}
