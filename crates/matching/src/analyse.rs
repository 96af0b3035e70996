//! From a text to the words it is indexed by, and from words to the keys they are ranked
//! by (a word of the vocabulary ranks as its meaning).

use crate::vocabulary::Vocabulary;
use jieba_rs::Jieba;

/// Words that say nothing about what is needed or offered, in any list.
const STOP: &[&str] = &[
    "的", "和", "与", "及", "等", "为", "对", "在", "是", "了", "有", "我", "我们", "你", "您", "他们", "可", "可以",
    "能", "能够", "提供", "需要", "需求", "希望", "开展", "进行", "相关", "一些", "一次", "每月", "每周", "每年",
    "定期", "活动", "服务", "资源", "项目", "单位", "工作", "方面", "问题", "情况", "以及", "或", "并", "将", "由",
    "到", "从", "向", "给", "让", "把", "被", "其", "该", "本", "各", "之", "所", "个", "名", "位", "家", "次", "场",
    "人", "人次", "左右", "以上", "以下", "若干", "多", "少", "较", "很", "更", "也", "都", "还", "就", "又", "再",
    "上", "下", "中", "内", "外", "前", "后", "时", "时间", "年", "月", "日", "周", "天", "免费", "欢迎", "联系",
    "电话", "报名", "组织", "共同", "一起", "面向", "针对", "帮助", "支持", "推动", "加强", "提升", "促进", "落实",
    "做好", "积极", "主动", "更好", "有效",
];

/// Segments texts with jieba, the field's words added so that 新就业群体 or 健康筛查
/// stay whole, and maps words to ranking keys through the vocabulary.
pub struct Analyzer {
    jieba: Jieba,
    vocabulary: Vocabulary,
}

impl Analyzer {
    pub fn new(vocabulary: Vocabulary) -> Self {
        let mut jieba = Jieba::new();
        for w in vocabulary.words() {
            // A frequency high enough that a field word is kept whole.
            jieba.add_word(w, Some(50_000), None);
        }
        Analyzer { jieba, vocabulary }
    }

    pub fn vocabulary(&self) -> &Vocabulary {
        &self.vocabulary
    }

    /// The words a text is indexed by, in order, repeated as often as they occur:
    /// lower-cased, full-width folded, without punctuation, numbers and stop words. The
    /// search segmentation also yields the parts of long words (中小企业 → 中小, 企业,
    /// 中小企业), so that a part matches.
    pub fn words(&self, text: &str) -> Vec<String> {
        let folded = fold(text);
        self.jieba
            .cut_for_search(&folded, true)
            .into_iter()
            .map(|t| t.word.trim().to_string())
            .filter(|w| self.keeps(w))
            .collect()
    }

    fn keeps(&self, w: &str) -> bool {
        if w.is_empty() || STOP.contains(&w) {
            return false;
        }
        if !w.chars().any(|c| c.is_alphabetic()) {
            return false;
        }
        // One character says little unless it is a field word (贷).
        w.chars().count() > 1 || self.vocabulary.meaning_of(w).is_some()
    }

    /// The key a word is ranked by: its meaning (`~体检` for 义诊) or itself.
    pub fn key(&self, word: &str) -> String {
        key_in(&self.vocabulary, word)
    }

    /// The words a key stands for: every word of its meaning, or the word itself.
    pub fn words_of_key(&self, key: &str) -> Vec<String> {
        words_of_key_in(&self.vocabulary, key)
    }

    /// The distinct keys of a text, each with how often it occurs.
    pub fn keys(&self, text: &str) -> Vec<(String, u32)> {
        self.keys_in(&self.vocabulary, text)
    }

    /// [`Analyzer::keys`] with the meanings of `v` (one conference's: the built-in ones
    /// and its offices' lines), segmented by this analyser.
    pub fn keys_in(&self, v: &Vocabulary, text: &str) -> Vec<(String, u32)> {
        let mut out: Vec<(String, u32)> = Vec::new();
        for w in self.words(text) {
            let k = key_in(v, &w);
            match out.iter_mut().find(|(x, _)| *x == k) {
                Some(e) => e.1 += 1,
                None => out.push((k, 1)),
            }
        }
        out
    }
}

/// The key a word is ranked by in `v`.
fn key_in(v: &Vocabulary, word: &str) -> String {
    match v.meaning_of(word) {
        Some(m) => format!("~{}", m.name),
        None => word.to_string(),
    }
}

/// The words a key stands for in `v`: every word of its meaning, or the word itself.
pub fn words_of_key_in(v: &Vocabulary, key: &str) -> Vec<String> {
    match key.strip_prefix('~').and_then(|name| v.meaning_of(name)) {
        Some(m) => m.words.clone(),
        None => vec![key.to_string()],
    }
}

/// Lower case, full-width letters and digits folded to half width.
fn fold(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_words_stay_whole_and_mean_alike() {
        let a = Analyzer::new(Vocabulary::built_in());
        let need = a.keys("为辖区外卖小哥提供健康筛查");
        let offer = a.keys("三甲医院专家走进新就业群体驿站开展义诊");
        let shared: Vec<&String> = need
            .iter()
            .map(|(k, _)| k)
            .filter(|k| offer.iter().any(|(o, _)| o == *k))
            .collect();
        assert!(shared.contains(&&"~体检".to_string()), "{need:?} / {offer:?}");
        assert!(shared.contains(&&"~骑手".to_string()), "{need:?} / {offer:?}");
        assert!(a.words("的、和，与。").is_empty());
        assert_eq!(a.words_of_key("~贷款").first().map(String::as_str), Some("贷款"));
        assert_eq!(a.words("ＡＥＤ培训"), vec!["aed", "培训"]);
    }
}
