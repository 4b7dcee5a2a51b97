//! Byte-level BPE: a word's UTF-8 bytes start as single-byte symbols and are merged by
//! rank (lowest first) until no known merge applies. Results are cached per word.

use super::Token;

#[derive(Debug, Clone)]
pub struct Bpe {
    /// id -> token string (byte-level unicode form, as in `tokenizer.json`).
    pub vocab: Vec<String>,
    /// Merges in rank order, as token ids `(left, right)`; the merged token is in `vocab`.
    pub merges: Vec<(u32, u32)>,
    // H-bpe: add lookup tables and the word cache here (the cache must be Sync: batch
    // encoding calls `tokenize` from many rayon threads).
}

impl Bpe {
    /// Builds a model from an id-ordered vocab and merges given as token strings.
    /// Errors (`Error::Format`) when a merge names unknown tokens or its result is not in vocab,
    /// or when the vocab has duplicates.
    pub fn new(vocab: Vec<String>, merges: Vec<(String, String)>) -> crate::Result<Self> {
        let _ = (vocab, merges);
        todo!("H-bpe")
    }

    pub fn tokenize(&self, word: &str, out: &mut Vec<Token>) {
        let _ = (word, out);
        todo!("H-bpe")
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        let _ = token;
        todo!("H-bpe")
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(String::as_str)
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Merges as token strings, in rank order (for `tokenizer.json`).
    pub fn merge_strings(&self) -> Vec<(String, String)> {
        self.merges
            .iter()
            .map(|&(a, b)| {
                (
                    self.vocab[a as usize].clone(),
                    self.vocab[b as usize].clone(),
                )
            })
            .collect()
    }
}
