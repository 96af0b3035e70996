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

    /// Every key path of a locale file (`ui.login`), read from its indentation (the
    /// files are plain `key: value` lines nested by two spaces).
    fn keys(yml: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut path: Vec<(usize, String)> = Vec::new();
        for line in yml.lines() {
            let body = line.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            let indent = line.len() - body.len();
            let Some((key, value)) = body.split_once(':') else {
                continue;
            };
            while path.last().is_some_and(|(i, _)| *i >= indent) {
                path.pop();
            }
            path.push((indent, key.trim().trim_matches('"').to_string()));
            if !value.trim().is_empty() {
                out.insert(path.iter().map(|(_, k)| k.as_str()).collect::<Vec<_>>().join("."));
            }
        }
        out
    }

    /// A text added in one language is added in the other: no key of one locale is
    /// missing from the other.
    #[test]
    fn both_locales_have_the_same_keys() {
        let zh = keys(include_str!("../locales/zh-CN.yml"));
        let en = keys(include_str!("../locales/en.yml"));
        assert!(zh.len() > 100, "the reader found {} keys", zh.len());
        let only_zh: Vec<&String> = zh.difference(&en).collect();
        let only_en: Vec<&String> = en.difference(&zh).collect();
        assert!(only_zh.is_empty(), "only in zh-CN: {only_zh:?}");
        assert!(only_en.is_empty(), "only in en: {only_en:?}");
    }
}
