//! BERT's normalizer, as HF `BertNormalizer`: clean control characters, put spaces around
//! CJK ideographs, lowercase, NFD + strip accents. Each step can be switched off.

use super::Normalized;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BertNormalizer {
    pub clean_text: bool,
    pub handle_chinese_chars: bool,
    /// `None` follows `lowercase`, as in HF.
    pub strip_accents: Option<bool>,
    pub lowercase: bool,
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer {
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: None,
            lowercase: true,
        }
    }
}

impl BertNormalizer {
    pub fn normalize(&self, text: &str) -> Normalized {
        let _ = text;
        todo!("H-wp")
    }
}
