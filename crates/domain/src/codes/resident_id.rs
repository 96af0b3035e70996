use super::CodeError;
use crate::text::code_form;
use chrono::NaiveDate;
use std::fmt;

/// Resident identity card number (公民身份号码), GB 11643-1999: 6-digit division,
/// 8-digit birth date, 3-digit sequence, check digit (ISO 7064 MOD 11-2, `X` for 10).
///
/// Personal data (PIPL): `Display` and `Debug` show only the masked form
/// (`3101********1234`); the full value is reached through [`ResidentId::reveal`],
/// which the storage layer calls only inside an audited read.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId(String);

/// GB 11643-1999 §8.2: weights 2^(17-i) mod 11.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECKS: &[u8; 11] = b"10X98765432";

/// The visible parts of a resident ID in its masked form exactly as shown
/// (`3101**********1234`: four characters, ten `*`, four), or `None` for anything else —
/// a pattern that shows more than the masked form is not a masked ID.
pub fn masked_resident_id_parts(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let visible = |c: &u8| c.is_ascii_digit() || *c == b'X';
    (b.len() == 18
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4..14].iter().all(|c| *c == b'*')
        && b[14..].iter().all(visible))
    .then(|| (&s[..4], &s[14..]))
}

/// True when a search text looks like a resident ID with some characters hidden but is
/// not the masked form: refused in URLs (it carries more than the masked form).
pub fn is_partial_resident_id(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b.contains(&b'*')
        && b.iter().all(|c| c.is_ascii_digit() || *c == b'X' || *c == b'*')
        && masked_resident_id_parts(s).is_none()
}

impl ResidentId {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = code_form(input);
        if s.chars().count() != 18 {
            return Err(CodeError::ResidentIdLength);
        }
        let b = s.as_bytes();
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(CodeError::ResidentIdCharacter);
        }
        let date = &s[6..14];
        NaiveDate::parse_from_str(date, "%Y%m%d").map_err(|_| CodeError::ResidentIdBirthDate)?;
        if b[17] != Self::check_char(&b[..17]) {
            return Err(CodeError::ResidentIdCheck);
        }
        Ok(ResidentId(s))
    }

    fn check_char(first17: &[u8]) -> u8 {
        let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        CHECKS[(sum % 11) as usize]
    }

    /// Completes 17 digits with their check digit (for demo data and fixtures).
    pub fn with_check(first17: &str) -> Option<Self> {
        let b = first17.as_bytes();
        if b.len() != 17 || !b.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let c = Self::check_char(b) as char;
        Self::parse(&format!("{first17}{c}")).ok()
    }

    /// The masked form shown in lists and exports: first 4 and last 4 characters.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }

    /// The full value. Callers must record an audit entry (PIPL; brief §7).
    pub fn reveal(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }
}

/// Keeps `head` and `tail` characters and stars the rest.
pub(crate) fn mask(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(chars.len() - head - tail));
    out.extend(&chars[chars.len() - tail..]);
    out
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_masked_form_as_shown_is_a_masked_id() {
        assert_eq!(masked_resident_id_parts("3101**********1234"), Some(("3101", "1234")));
        // One more digit shown: not the masked form (the review rebuilt IDs this way).
        assert_eq!(masked_resident_id_parts("31010*********1234"), None);
        assert_eq!(masked_resident_id_parts("3101**********123"), None);
        assert!(is_partial_resident_id("31010*********8640"));
        assert!(!is_partial_resident_id("3101**********8640"));
        assert!(!is_partial_resident_id("张三"));
    }
    use proptest::prelude::*;

    #[test]
    fn standard_example_parses() {
        // The worked example of GB 11643-1999.
        let id = ResidentId::parse("11010519491231002X").expect("valid");
        assert_eq!(id.masked(), "1101**********002X");
        assert_eq!(format!("{id}"), "1101**********002X");
        assert!(!format!("{id:?}").contains("19491231"));
        assert!(ResidentId::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn refuses_wrong_ids() {
        assert_eq!(ResidentId::parse("110105194912310021"), Err(CodeError::ResidentIdCheck));
        assert_eq!(
            ResidentId::parse("110105194913310021"),
            Err(CodeError::ResidentIdBirthDate)
        );
        assert_eq!(ResidentId::parse("1101051949123100"), Err(CodeError::ResidentIdLength));
        assert_eq!(
            ResidentId::parse("11010519491231002Y"),
            Err(CodeError::ResidentIdCharacter)
        );
    }

    proptest! {
        #[test]
        fn completed_ids_parse_and_mask(area in 110000u32..660000, days in 0i64..36000, seq in 0u32..1000) {
            let birth = NaiveDate::from_ymd_opt(1930, 1, 1).expect("date") + chrono::Duration::days(days);
            let body = format!("{area:06}{}{seq:03}", birth.format("%Y%m%d"));
            let id = ResidentId::with_check(&body).expect("digits");
            prop_assert_eq!(id.birth_date(), Some(birth));
            prop_assert!(!id.to_string().contains(&body[6..14]));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = ResidentId::parse(&s);
        }
    }
}
