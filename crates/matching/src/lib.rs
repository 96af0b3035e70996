//! Matching the alliance's needs (需求清单) and resources (资源清单) as offices write
//! them: Chinese word segmentation (jieba, with the field's words added), a vocabulary of
//! meanings that offices write in different words (体检 / 健康筛查 / 义诊, 贷款 / 融资 /
//! 资金周转…), BM25 ranking over those meanings, and the signals a person would weigh
//! beside the text: the category, the distance between the two places, the time frames
//! and the provider's capacity. Every suggestion carries its reasons.
//!
//! No I/O: the store keeps each post's words (its postings) and hands this crate the
//! counts; the ranking is here, where a test can reach it.

mod analyse;
mod index;
mod rank;
mod vocabulary;

pub use analyse::{Analyzer, words_of_key_in};
pub use index::{Index, Shortlist};
pub use rank::{Candidate, Query, Ranked, Reason, Signals, bigram_overlap, rank};
pub use vocabulary::{Meaning, Vocabulary, parse_line};
