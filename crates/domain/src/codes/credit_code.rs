use super::CodeError;
use crate::text::code_form;
use std::fmt;

/// Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters from a
/// 31-character alphabet (no I, O, S, V, Z); characters 3–8 are the registering
/// division's code; the 18th is a check character (mod 31).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CreditCode(String);

/// GB 32100-2015 §4.1: the code alphabet, in value order.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100-2015 Annex B: weights of positions 1–17.
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

impl CreditCode {
    /// Parses a code as typed: full-width characters, lower case and spaces are accepted.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = code_form(input);
        if s.chars().count() != 18 {
            return Err(CodeError::CreditCodeLength);
        }
        let bytes = s.as_bytes();
        let mut sum = 0u32;
        for (i, &b) in bytes[..17].iter().enumerate() {
            let v = value(b).ok_or(CodeError::CreditCodeCharacter)?;
            sum += v * WEIGHTS[i];
        }
        // Characters 3–8: the administrative division code, digits only.
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(CodeError::CreditCodeCharacter);
        }
        let check = value(bytes[17]).ok_or(CodeError::CreditCodeCharacter)?;
        if check != Self::check_value(sum) {
            return Err(CodeError::CreditCodeCheck);
        }
        Ok(CreditCode(s))
    }

    fn check_value(sum: u32) -> u32 {
        (31 - sum % 31) % 31
    }

    /// Completes the first 17 characters with their check character. Used to make
    /// demo data and test fixtures; returns `None` when a character is not allowed.
    pub fn with_check(first17: &str) -> Option<Self> {
        let b = first17.as_bytes();
        if b.len() != 17 {
            return None;
        }
        let mut sum = 0;
        for (i, &c) in b.iter().enumerate() {
            sum += value(c)? * WEIGHTS[i];
        }
        let check = ALPHABET[Self::check_value(sum) as usize] as char;
        Self::parse(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CreditCode({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_real_shaped_codes() {
        // A published code (Huawei Technologies Co., Ltd.).
        assert!(CreditCode::parse("914403001922038216").is_ok());
        assert!(CreditCode::parse("９１４４０３００１９２２０３８２１６").is_ok());
        assert!(CreditCode::parse("91440300 1922038216").is_ok());
    }

    #[test]
    fn refuses_wrong_codes() {
        assert_eq!(CreditCode::parse("914403001922038217"), Err(CodeError::CreditCodeCheck));
        assert_eq!(CreditCode::parse("91440300192203821"), Err(CodeError::CreditCodeLength));
        assert_eq!(
            CreditCode::parse("9144030019220382IO"),
            Err(CodeError::CreditCodeCharacter)
        );
        assert_eq!(
            CreditCode::parse("91AB03001922038216").map(|_| ()).unwrap_err(),
            CodeError::CreditCodeCharacter
        );
    }

    #[test]
    fn lower_case_is_upper_cased() {
        let c = CreditCode::with_check("91310106MA1FL2AB3").expect("valid prefix");
        let lower = c.as_str().to_lowercase();
        assert_eq!(CreditCode::parse(&lower), Ok(c));
    }

    proptest! {
        #[test]
        fn every_completed_code_parses(body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{9}") {
            let code = CreditCode::with_check(&body).expect("alphabet only");
            prop_assert_eq!(CreditCode::parse(code.as_str()), Ok(code.clone()));
        }

        #[test]
        fn one_changed_character_is_caught(body in "[0-9ABCDEFGHJKLMNPQRTUWXY]{2}[0-9]{6}[0-9ABCDEFGHJKLMNPQRTUWXY]{9}", pos in 0usize..18, shift in 1usize..31) {
            let code = CreditCode::with_check(&body).expect("alphabet only");
            let mut b = code.as_str().as_bytes().to_vec();
            let v = value(b[pos]).expect("alphabet") as usize;
            b[pos] = ALPHABET[(v + shift) % 31];
            let changed = String::from_utf8(b).expect("ascii");
            prop_assert!(CreditCode::parse(&changed).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = CreditCode::parse(&s);
        }
    }
}
