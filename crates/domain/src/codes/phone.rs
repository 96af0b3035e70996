use super::CodeError;
use super::resident_id::mask;
use crate::text::code_form;
use std::fmt;

/// A phone number (personal data): mainland mobile (11 digits starting with 1) or a
/// landline with area code (`021-12345678`). Shown masked (`138****5678`).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let s = code_form(input).replace(['(', ')'], "");
        let s = s.strip_prefix("+86").unwrap_or(&s).to_string();
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CodeError::PhoneFormat);
        }
        let mobile = digits.len() == 11 && digits.starts_with('1');
        let landline = (10..=12).contains(&digits.len()) && digits.starts_with('0');
        let local = digits.len() == 8 && !digits.starts_with('0');
        if mobile || landline || local {
            Ok(Phone(digits))
        } else {
            Err(CodeError::PhoneFormat)
        }
    }

    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }

    /// A public number as it is dialled and printed: a landline with its area code apart
    /// (`021-62171234`, `0571-87654321`; 010 and 02x are three digits, the rest four,
    /// after the national numbering plan), a mobile as it is. For the telephones of
    /// offices and centres, never for a person's.
    pub fn dialled(&self) -> String {
        let d = &self.0;
        let area = match d.as_bytes() {
            [b'0', b'1' | b'2', ..] => 3,
            [b'0', ..] => 4,
            _ => return d.clone(),
        };
        format!("{}-{}", &d[..area], &d[area..])
    }

    /// The full value. Callers must record an audit entry.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_masks() {
        assert_eq!(Phone::parse("138 0013 8000").expect("mobile").masked(), "138****8000");
        assert_eq!(Phone::parse("+86 13800138000").expect("mobile").reveal(), "13800138000");
        assert!(Phone::parse("021-62471234").is_ok());
        assert_eq!(Phone::parse("02162471234").expect("landline").dialled(), "021-62471234");
        assert_eq!(
            Phone::parse("0571 8765 4321").expect("landline").dialled(),
            "0571-87654321"
        );
        assert_eq!(Phone::parse("13800138000").expect("mobile").dialled(), "13800138000");
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("abc").is_err());
    }
}
