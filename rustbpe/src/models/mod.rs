//! Models turn one word into tokens: byte-level BPE (merges) or WordPiece (greedy
//! longest-match-first). Both keep id <-> token maps; token strings are the ones that
//! `tokenizer.json` stores (byte-level unicode for BPE, `##` pieces for WordPiece).

pub mod bpe;
pub mod wordpiece;

pub use bpe::Bpe;
pub use wordpiece::WordPiece;

/// One token of a word: its id and its byte span within the word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub id: u32,
    pub start: u32,
    pub end: u32,
}

#[derive(Debug, Clone)]
pub enum Model {
    Bpe(Bpe),
    WordPiece(WordPiece),
}

impl Model {
    /// Appends the tokens of `word` (a pre-tokenized word of normalized text) to `out`.
    pub fn tokenize(&self, word: &str, out: &mut Vec<Token>) {
        match self {
            Model::Bpe(m) => m.tokenize(word, out),
            Model::WordPiece(m) => m.tokenize(word, out),
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        match self {
            Model::Bpe(m) => m.token_to_id(token),
            Model::WordPiece(m) => m.token_to_id(token),
        }
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        match self {
            Model::Bpe(m) => m.id_to_token(id),
            Model::WordPiece(m) => m.id_to_token(id),
        }
    }

    /// Number of ids the model knows (ids are dense: 0..vocab_size).
    pub fn vocab_size(&self) -> usize {
        match self {
            Model::Bpe(m) => m.vocab_size(),
            Model::WordPiece(m) => m.vocab_size(),
        }
    }
}
