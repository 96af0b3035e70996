//! Text normalisation shared by parsers: full-width to half-width, trimming.

/// Folds full-width ASCII forms (Ｕ+FF01..FF5E) to half-width and the ideographic
/// space to a plain space, as spreadsheets typed with a Chinese IME often contain them.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Half-width, upper case, with all white space removed: the canonical form of a code
/// as a person may have typed it (`９１３１０１０６ ｍａ…` → `91310106MA…`).
pub fn code_form(s: &str) -> String {
    // Most codes arrive already in their canonical form: no folding to do.
    if s.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()) {
        return s.to_owned();
    }
    to_half_width(s)
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

/// Trims and collapses white space (the ideographic space too), keeping every other
/// character as typed: names keep their full-width brackets (上海某某有限公司（北京）).
pub fn trim_spaces(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c == '\u{3000}')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Half width, trimmed, inner white space runs collapsed to one space: for codes, kinds
/// and other values compared by meaning.
pub fn clean(s: &str) -> String {
    if is_clean(s) {
        return s.to_owned();
    }
    to_half_width(s).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether [`clean`] would leave `s` as it is: no full-width form, no white space but
/// single inner spaces.
fn is_clean(s: &str) -> bool {
    let mut after_space = true;
    for c in s.chars() {
        let space = c == ' ';
        if (space && after_space) || (c.is_whitespace() && !space) || ('\u{FF01}'..='\u{FF5E}').contains(&c) {
            return false;
        }
        after_space = space;
    }
    !after_space || s.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width() {
        assert_eq!(code_form("９１３１ ａｂ"), "9131AB");
        assert_eq!(clean("  南京西路　 街道 "), "南京西路 街道");
        for s in [
            "",
            " ",
            "a b",
            "a  b",
            "a ",
            " a",
            "a\tb",
            "ａ",
            "企业",
            "a\u{3000}b",
            "91310106MA1",
        ] {
            assert_eq!(
                is_clean(s),
                to_half_width(s).split_whitespace().collect::<Vec<_>>().join(" ") == s,
                "{s:?}"
            );
            assert_eq!(
                clean(s),
                to_half_width(s).split_whitespace().collect::<Vec<_>>().join(" "),
                "{s:?}"
            );
        }
        assert_eq!(code_form("91310106MA1"), "91310106MA1");
    }
}
