//! WordPiece trainer, as HF's WordPieceTrainer: learn merges with the `##` continuation
//! prefix on non-initial symbols, keep the resulting vocab, drop the merges.

use super::{merges, MergeConfig, ProgressFn, WordCounts};
use crate::models::WordPiece;
use crate::Error;

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
        // Checked first: the model cannot be built without its unknown token, and the
        // trainer only puts special tokens and corpus pieces in the vocab.
        if !self.special_tokens.contains(&self.unk_token) {
            return Err(Error::Invalid(format!(
                "the unknown token {:?} must be one of the special tokens {:?}",
                self.unk_token, self.special_tokens
            )));
        }
        let config = MergeConfig {
            vocab_size: self.vocab_size,
            min_frequency: self.min_frequency,
            special_tokens: self.special_tokens.clone(),
            limit_alphabet: self.limit_alphabet,
            initial_alphabet: Vec::new(),
            continuing_subword_prefix: Some(self.continuing_subword_prefix.clone()),
        };
        let learned = merges::train(counts, &config, &|word: &str| word.to_owned(), progress)?;
        WordPiece::new(
            learned.vocab,
            self.unk_token.clone(),
            self.continuing_subword_prefix.clone(),
            self.max_input_chars_per_word,
        )
    }
}
