//! Decoders: turn tokens back into text (HF's `decoders`): byte-level (GPT-2's byte table)
//! or WordPiece (`##` pieces glued to the previous token).

pub mod byte_level;
pub mod wordpiece;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoder {
    /// Byte-level: token chars -> bytes (GPT-2 table), then UTF-8 (invalid bytes -> U+FFFD).
    ByteLevel,
    /// HF's WordPiece decoder: `##` pieces glued to the previous token, others after a space.
    WordPiece { prefix: String, cleanup: bool },
}

impl Decoder {
    pub fn decode(&self, tokens: &[&str]) -> String {
        match self {
            Decoder::ByteLevel => byte_level::decode(tokens),
            Decoder::WordPiece { prefix, cleanup } => wordpiece::decode(tokens, prefix, *cleanup),
        }
    }
}
