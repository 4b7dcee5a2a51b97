//! Byte-level pre-tokenization, as HF `ByteLevel` (add_prefix_space = false, use_regex):
//! the GPT-2 split pattern (default) or the GPT-4 (cl100k) pattern, matched by hand-written
//! scanners that give exactly the regex's splits, plus GPT-2's byte <-> unicode mapping.

/// The regex a byte-level pre-tokenizer splits with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SplitPattern {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    #[default]
    Gpt2,
    /// cl100k_base's pattern (case-insensitive contractions, numbers in groups of 1-3, ...).
    Gpt4,
}

impl SplitPattern {
    pub const GPT2_REGEX: &'static str =
        r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    pub const GPT4_REGEX: &'static str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    pub fn regex(&self) -> &'static str {
        match self {
            SplitPattern::Gpt2 => Self::GPT2_REGEX,
            SplitPattern::Gpt4 => Self::GPT4_REGEX,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteLevel {
    pub pattern: SplitPattern,
}

impl ByteLevel {
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        let _ = (text, out);
        todo!("H-bpe")
    }
}

/// GPT-2's table: byte -> printable unicode char (HF `bytes_char`).
pub fn bytes_to_unicode() -> [char; 256] {
    todo!("H-bpe")
}
