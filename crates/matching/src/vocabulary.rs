//! The field's vocabulary: meanings and the words offices write them in.

use std::collections::HashMap;

/// The vocabulary shipped with the platform (`vocabulary.txt`): general field words.
const BUILT_IN: &str = include_str!("vocabulary.txt");

/// Longest word accepted in a vocabulary line.
pub const WORD_MAX: usize = 20;
/// Most words in one meaning.
pub const WORDS_PER_MEANING_MAX: usize = 60;

/// One meaning and its words; `name` is the first word, shown in reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meaning {
    pub name: String,
    pub words: Vec<String>,
}

/// Meanings by word. A word in two lines belongs to the first (lines are read in order:
/// the built-in ones, then each office's).
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    meanings: Vec<Meaning>,
    by_word: HashMap<String, usize>,
}

impl Vocabulary {
    /// The built-in vocabulary (parsed once per process; each caller gets its copy to
    /// extend).
    pub fn built_in() -> Self {
        static PARSED: std::sync::OnceLock<Vocabulary> = std::sync::OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut v = Vocabulary::default();
                v.add_lines(BUILT_IN);
                v
            })
            .clone()
    }

    /// Adds meanings, one per line (words separated by spaces, commas or 、; `#` starts a
    /// comment). Words too long and lines of one word are skipped. Returns how many
    /// meanings were added.
    pub fn add_lines(&mut self, text: &str) -> usize {
        let mut added = 0;
        for line in text.lines() {
            if let Some(m) = parse_line(line) {
                self.add(m);
                added += 1;
            }
        }
        added
    }

    /// Adds a meaning. A line that shares a word with a meaning already known extends
    /// that meaning (an office's `老人 乐龄族` adds 乐龄族 to the built-in 老人); its
    /// words of other meanings stay where they are.
    fn add(&mut self, m: Meaning) {
        let known = m.words.iter().find_map(|w| self.by_word.get(w).copied());
        let i = known.unwrap_or(self.meanings.len());
        if known.is_none() {
            self.meanings.push(Meaning {
                name: m.name.clone(),
                words: vec![],
            });
        }
        for w in m.words {
            if let std::collections::hash_map::Entry::Vacant(e) = self.by_word.entry(w.clone()) {
                e.insert(i);
                self.meanings[i].words.push(w);
            }
        }
    }

    /// The meaning a word belongs to.
    pub fn meaning_of(&self, word: &str) -> Option<&Meaning> {
        self.by_word.get(word).map(|&i| &self.meanings[i])
    }

    /// Every word of every meaning (for the segmenter's dictionary).
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.meanings.iter().flat_map(|m| m.words.iter().map(String::as_str))
    }

    pub fn len(&self) -> usize {
        self.meanings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.meanings.is_empty()
    }
}

/// One line of a vocabulary: its words, or none for a comment, a blank line, a line of
/// a single word.
pub fn parse_line(line: &str) -> Option<Meaning> {
    let line = line.split('#').next().unwrap_or("");
    let mut words: Vec<String> = Vec::new();
    for w in line.split([' ', '\t', ',', '，', '、', ';', '；', '/']) {
        let w = w.trim().to_lowercase();
        if w.is_empty() || w.chars().count() > WORD_MAX || words.contains(&w) {
            continue;
        }
        words.push(w);
    }
    if words.len() < 2 || words.len() > WORDS_PER_MEANING_MAX {
        return None;
    }
    Some(Meaning {
        name: words[0].clone(),
        words,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_words_mean_the_same() {
        let v = Vocabulary::built_in();
        let same = |a: &str, b: &str| {
            let (x, y) = (v.meaning_of(a), v.meaning_of(b));
            x.is_some() && x == y
        };
        // The pairs the issue names, offices' words for one thing.
        for (a, b) in [
            ("体检", "健康筛查"),
            ("体检", "义诊"),
            ("贷款", "融资"),
            ("贷款", "资金周转"),
            ("讲师", "宣讲"),
            ("讲师", "授课"),
            ("场地", "活动空间"),
            ("场地", "阵地"),
            ("老人", "长者"),
            ("老人", "银发"),
            ("骑手", "外卖小哥"),
            ("骑手", "新就业群体"),
        ] {
            assert!(same(a, b), "{a} / {b}");
        }
        assert!(!same("贷款", "体检"));
        assert!(v.len() > 40);
    }

    #[test]
    fn offices_add_lines() {
        let mut v = Vocabulary::built_in();
        assert_eq!(v.add_lines("# 注释\n\n孤单\n银发族、乐龄, 长青\n"), 1);
        assert_eq!(v.meaning_of("乐龄").map(|m| m.name.as_str()), Some("银发族"));
        assert!(parse_line(&"长".repeat(30)).is_none());
        // A line naming a known word extends its meaning, whatever the order of words.
        let before = v.meaning_of("老人").map(|m| m.words.len()).unwrap_or(0);
        assert_eq!(v.add_lines("乐龄族 老人 贷款"), 1);
        let old = v.meaning_of("老人").expect("built in");
        assert_eq!(old.words.len(), before + 1);
        assert_eq!(v.meaning_of("乐龄族"), Some(old));
        assert_ne!(v.meaning_of("贷款"), Some(old), "a word keeps its meaning");
    }
}
