//! Rebuilds the crate when a translation changes: `rust_i18n::i18n!` reads `locales/`
//! while compiling but does not tell cargo, so an edited `.yml` was left out of a build
//! until a source file changed too.

fn main() {
    println!("cargo:rerun-if-changed=locales");
    println!("cargo:rerun-if-changed=src");
}
