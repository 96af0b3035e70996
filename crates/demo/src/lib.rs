//! Demo data, the city generator and the benchmarks, apart from the server and the
//! command line that call them.
//!
//! - [`district`]: the demo district (静安区) imported through the same import as an
//!   office's files, with accounts for every role;
//! - [`centres`]: the demo district's service centres, rooms and stations;
//! - [`activities`]: its activities (sold out, a ballot, a waitlist, an online series
//!   of 8,000) and room bookings;
//! - [`alliance`]: the demo district's joint conference (66 member units, ten plenaries);
//! - [`projects`]: its projects, from matched needs to evaluations;
//! - [`city`]: a city-scale registry (millions of members) written straight into an
//!   empty store through [`tongxin_store::generate::UncheckedLoad`], whose name says it
//!   skips the import's checks (the generator makes valid rows by construction and a
//!   test reads them back through the validating parsers);
//! - [`matching`]: the labelled set of needs and resources and `tongxin bench match`;
//! - [`bench`]: `tongxin bench …`, each printing JSON.

pub mod activities;
pub mod alliance;
pub mod bench;
pub mod centres;
pub mod city;
pub mod district;
pub mod matching;
pub mod pairing;
pub mod progress;
pub mod projects;

/// A valid, unique credit code for generated data (`n` in base 31 after a Jing'an
/// prefix, with its check character).
pub fn demo_code(n: u32) -> String {
    const ALPHA: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut body = String::from("91310106MA");
    let mut x = n;
    for _ in 0..7 {
        body.push(ALPHA[(x % 31) as usize] as char);
        x /= 31;
    }
    tongxin_domain::codes::CreditCode::with_check(&body)
        .map(|c| c.to_string())
        .unwrap_or_default()
}
