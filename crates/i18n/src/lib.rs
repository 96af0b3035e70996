//! Translations: zh-CN by default, en on request. Text lives in `locales/*.yml`, one
//! set for every layer that speaks to people (the console, the API's error messages,
//! the error workbook of an import, the command line). A test fails when a key is in
//! one locale and not the other; the web layer's tests fail when an error code has no
//! message.

rust_i18n::i18n!("locales", fallback = "zh-CN");

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

    /// The text of `key` with its `%{n}` filled in.
    pub fn t_n(&self, key: &str, n: u64) -> String {
        rust_i18n::t!(key, locale = self.code(), n = n).into_owned()
    }
}

/// The message of an error code in a language (`error.<code>`).
pub fn error_message(code: tongxin_domain::ErrorCode, lang: Lang) -> String {
    lang.t(&format!("error.{}", code.as_str()))
}

#[cfg(test)]
mod tests {
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
