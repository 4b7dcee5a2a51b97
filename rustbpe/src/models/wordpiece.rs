//! WordPiece: greedy longest-match-first over the vocab; pieces after the first carry the
//! continuation prefix (`##`). A word longer than `max_input_chars_per_word` characters, or
//! one with an unmatched remainder, becomes a single `[UNK]`.

use super::Token;

#[derive(Debug, Clone)]
pub struct WordPiece {
    /// id -> token string.
    pub vocab: Vec<String>,
    pub unk_token: String,
    pub continuing_subword_prefix: String,
    pub max_input_chars_per_word: usize,
    // H-wp: add lookup tables here.
}

impl WordPiece {
    /// Errors (`Error::Format`/`Error::Invalid`) on duplicate tokens or an unk token missing from vocab.
    pub fn new(
        vocab: Vec<String>,
        unk_token: String,
        continuing_subword_prefix: String,
        max_input_chars_per_word: usize,
    ) -> crate::Result<Self> {
        let _ = (
            vocab,
            unk_token,
            continuing_subword_prefix,
            max_input_chars_per_word,
        );
        todo!("H-wp")
    }

    pub fn tokenize(&self, word: &str, out: &mut Vec<Token>) {
        let _ = (word, out);
        todo!("H-wp")
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        let _ = token;
        todo!("H-wp")
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(String::as_str)
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }
}
