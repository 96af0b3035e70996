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

/// The key a name sorts by, so that numbers in names sort by their value: 第2党支部
/// before 第10党支部, 2号楼 before 10号楼, 第二党支部 before 第十党支部. Each run of
/// digits (ASCII or full width), and each run of Chinese numerals after 第, becomes its
/// count of digits (one character) followed by its digits without leading zeros; the
/// rest of the name is kept as written. Two names that differ keep different keys
/// apart from their zeros (`07` and `7` sort together), and a name without numbers is
/// its own key.
pub fn sort_key(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if let Some(d) = digit(c) {
            let mut digits = String::from(d);
            i += 1;
            while let Some(d) = chars.get(i).copied().and_then(digit) {
                digits.push(d);
                i += 1;
            }
            push_number(&mut out, &digits);
            continue;
        }
        out.push(c);
        i += 1;
        if c == '第' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| chinese_digit(*c).is_some() || "十百千".contains(*c))
            {
                i += 1;
            }
            if i > start {
                match chinese_number(&chars[start..i]) {
                    Some(v) => push_number(&mut out, &v.to_string()),
                    None => out.extend(&chars[start..i]),
                }
            }
        }
    }
    out
}

fn digit(c: char) -> Option<char> {
    match c {
        '0'..='9' => Some(c),
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
        _ => None,
    }
}

fn chinese_digit(c: char) -> Option<u64> {
    "〇一二三四五六七八九"
        .chars()
        .position(|d| d == c)
        .map(|p| p as u64)
        .or(match c {
            '零' => Some(0),
            '两' => Some(2),
            _ => None,
        })
}

/// A Chinese numeral below ten thousand (十二, 二十, 一百零五, 三〇五), or `None`.
fn chinese_number(run: &[char]) -> Option<u64> {
    if run.iter().all(|c| chinese_digit(*c).is_some()) {
        // Written digit by digit: 三〇五 = 305.
        return run
            .iter()
            .try_fold(0u64, |v, c| Some(v.checked_mul(10)? + chinese_digit(*c)?));
    }
    let (mut total, mut pending) = (0u64, None::<u64>);
    for c in run {
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            other => {
                pending = Some(chinese_digit(*other)?);
                continue;
            }
        };
        // 十二: a unit with no digit before it counts once.
        total += pending.take().unwrap_or(1) * unit;
    }
    Some(total + pending.unwrap_or(0))
}

/// A number as its digit count (one character) and its digits without leading zeros.
fn push_number(out: &mut String, digits: &str) {
    let digits = digits.trim_start_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    out.push(char::from_u32('0' as u32 + digits.len() as u32).unwrap_or('~'));
    out.push_str(digits);
}

/// The pairs of neighbouring characters (bigrams) of a text, white space left out and
/// ASCII letters lowercased, each once, in order. A text of two characters or more is part
/// of a name only if every pair of its own is among the name's: the store keeps the pairs
/// of every record's name (its name index, 名称索引) so that a search walks the names
/// holding one pair instead of every name. Chinese names need pairs: they have no spaces
/// between words, and two characters (科技, 物业) are a usual search.
pub fn bigrams(s: &str) -> Vec<String> {
    let chars: Vec<char> = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut out: Vec<String> = Vec::with_capacity(chars.len().saturating_sub(1));
    for w in chars.windows(2) {
        let g: String = w.iter().collect();
        if !out.contains(&g) {
            out.push(g);
        }
    }
    out
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

    #[test]
    fn numbers_in_names_sort_by_value() {
        let mut names = vec![
            "第10党支部",
            "第2党支部",
            "第十党支部",
            "第二党支部",
            "第十二党支部",
            "第一百零五党支部",
            "10号楼",
            "２号楼",
            "甲科技有限公司",
            "第1党支部",
        ];
        names.sort_by_key(|n| sort_key(n));
        // Equal keys (第2 and 第二) keep the order they came in.
        assert_eq!(
            names,
            [
                "２号楼",
                "10号楼",
                "甲科技有限公司",
                "第1党支部",
                "第2党支部",
                "第二党支部",
                "第10党支部",
                "第十党支部",
                "第十二党支部",
                "第一百零五党支部",
            ]
        );
        assert_eq!(sort_key("统一大厦"), "统一大厦");
        assert_eq!(chinese_number(&['二', '十']), Some(20));
        assert_eq!(chinese_number(&['三', '〇', '五']), Some(305));
    }

    proptest::proptest! {
        /// Numbers sort by value whatever surrounds them, and a name without digits is
        /// its own key.
        #[test]
        fn keys_order_numbers_by_value(a in 0u64..1_000_000, b in 0u64..1_000_000, pre in "[甲乙a-z]{0,3}", post in "[号楼支部]{0,3}") {
            let ka = sort_key(&format!("{pre}{a}{post}"));
            let kb = sort_key(&format!("{pre}{b}{post}"));
            proptest::prop_assert_eq!(ka.cmp(&kb), a.cmp(&b));
        }

        #[test]
        fn a_name_without_numbers_is_its_own_key(name in "[^0-9０-９第]{0,20}") {
            proptest::prop_assert_eq!(sort_key(&name), name);
        }
    }

    #[test]
    fn bigrams_of_a_name() {
        assert_eq!(bigrams("上海 科技Ab"), ["上海", "海科", "科技", "技a", "ab"]);
        assert_eq!(bigrams("哈哈哈"), ["哈哈"]);
        assert!(bigrams("科").is_empty());
    }

    proptest::proptest! {
        /// Every part of a name that a search's LIKE finds (ASCII letters in any case)
        /// holds only pairs the name's index holds: the index never hides a match.
        #[test]
        fn a_part_of_a_name_has_only_pairs_of_the_name(
            name in "[a-zA-Z 科技上海物业第一二十0-9（）]{0,16}",
            from in 0usize..16,
            len in 2usize..16,
        ) {
            let chars: Vec<char> = name.chars().collect();
            let from = from.min(chars.len());
            let to = (from + len).min(chars.len());
            let part: String = chars[from..to].iter().collect();
            let of_name = bigrams(&name);
            for g in bigrams(&part) {
                proptest::prop_assert!(of_name.contains(&g), "{g} of {part:?} not in {name:?}");
            }
            let upper = part.to_ascii_uppercase();
            for g in bigrams(&upper) {
                proptest::prop_assert!(of_name.contains(&g), "{g} of {upper:?} not in {name:?}");
            }
        }
    }
}
