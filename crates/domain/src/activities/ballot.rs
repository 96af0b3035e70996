//! The ballot (抽签): at the window's close, the registrations in the order of their
//! keys, SHA-256 of the seed published when the activity opened, a colon and the
//! registration's number (`printf '%s:%s' "$SEED" 17 | sha256sum`), lowest first; the
//! first as many as there are places win, the rest wait in that order. Anyone with the
//! seed and the list of numbers draws the same result with any SHA-256 tool; no one can
//! steer it after the seed is published, since every number is known at the close.

use sha2::{Digest, Sha256};

/// A registration's key in the draw: SHA-256 of `seed:number`, in lower-case hex.
pub fn ballot_key(seed: &str, number: i64) -> String {
    let digest = Sha256::digest(format!("{seed}:{number}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The registrations `numbers` in the order the draw gives them (ties, which SHA-256
/// does not give in practice, by number).
pub fn ballot_order(seed: &str, numbers: &[i64]) -> Vec<i64> {
    let mut keyed: Vec<(String, i64)> = numbers.iter().map(|n| (ballot_key(seed, *n), *n)).collect();
    keyed.sort();
    keyed.dedup_by_key(|k| k.1);
    keyed.into_iter().map(|(_, n)| n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_key_is_plain_sha256_of_seed_and_number() {
        // printf 'abc:1' | sha256sum
        assert_eq!(
            ballot_key("abc", 1),
            "bfcf0b9cbe9d8208b2cddd9a01c31a9a60698a106a0e4fc1664233a15f16acec"
        );
        let numbers: Vec<i64> = (1..=50).collect();
        assert_ne!(
            ballot_order("a", &numbers),
            ballot_order("b", &numbers),
            "another seed, another draw"
        );
        assert_ne!(ballot_order("a", &numbers), numbers, "not the order of registration");
    }

    proptest! {
        /// The draw is a function of the seed and the numbers alone: the order they are
        /// given in does not change it, and every number is drawn once.
        #[test]
        fn the_draw_depends_on_the_seed_only(mut numbers in prop::collection::vec(1i64..100_000, 2..200), seed in "[a-f0-9]{32}") {
            let a = ballot_order(&seed, &numbers);
            numbers.reverse();
            prop_assert_eq!(&a, &ballot_order(&seed, &numbers));
            let mut sorted = a.clone();
            sorted.sort();
            numbers.sort();
            numbers.dedup();
            prop_assert_eq!(sorted, numbers);
        }
    }
}
