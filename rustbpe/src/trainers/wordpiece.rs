//! WordPiece trainer, as HF's WordPieceTrainer: learn merges with the `##` continuation
//! prefix on non-initial symbols, keep the resulting vocab, drop the merges.

use super::{ProgressFn, WordCounts};
use crate::models::WordPiece;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPieceTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
    pub limit_alphabet: Option<usize>,
    pub continuing_subword_prefix: String,
    pub unk_token: String,
    pub max_input_chars_per_word: usize,
}

impl WordPieceTrainer {
    pub fn train(&self, counts: &WordCounts, progress: ProgressFn) -> crate::Result<WordPiece> {
        let _ = (counts, progress);
        todo!("H-wp")
    }
}
