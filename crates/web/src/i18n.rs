//! Translations: zh-CN by default, en on request. Text lives in `locales/*.yml`.

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub fn code(&self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Lang {
        if s.trim().to_ascii_lowercase().starts_with("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    pub fn other(&self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }

    pub fn t(&self, key: &str) -> String {
        rust_i18n::t!(key, locale = self.code()).into_owned()
    }
}

/// The message of an error code in a language (`error.<code>`).
pub fn error_message(code: &str, lang: Lang) -> String {
    lang.t(&format!("error.{code}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every stable error code has both translations.
    #[test]
    fn every_error_code_is_translated() {
        for code in crate::error::ALL_CODES {
            for lang in [Lang::ZhCn, Lang::En] {
                let m = error_message(code, lang);
                assert!(
                    !m.starts_with("error.") && !m.contains(&format!("{}.", lang.code())),
                    "{code} missing in {}",
                    lang.code()
                );
            }
            assert_ne!(error_message(code, Lang::ZhCn), error_message(code, Lang::En), "{code}");
        }
    }
}
