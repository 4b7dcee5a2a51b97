//! Pre-tokenizers: split normalized text into words (byte spans); models never see text
//! across a word boundary.

pub mod bert;
pub mod byte_level;

pub use bert::BertPreTokenizer;
pub use byte_level::{ByteLevel, SplitPattern};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreTokenizer {
    ByteLevel(ByteLevel),
    Bert(BertPreTokenizer),
}

impl PreTokenizer {
    /// Appends the byte spans `(start, end)` of the words of `text` to `out`, in order.
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        match self {
            PreTokenizer::ByteLevel(p) => p.split(text, out),
            PreTokenizer::Bert(p) => p.split(text, out),
        }
    }
}
