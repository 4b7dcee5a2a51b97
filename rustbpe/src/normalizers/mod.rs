//! Normalizers: rewrite text before pre-tokenization, keeping a map back to the original
//! so that token offsets always point into the text the user gave.

pub mod bert;

pub use bert::BertNormalizer;

/// Text after normalization, with alignments back to the original text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub text: String,
    /// For each byte of `text`, the byte span `(start, end)` of the original character it
    /// came from. `None` means the text is unchanged (identity), the common fast path.
    pub alignments: Option<Vec<(u32, u32)>>,
}

impl Normalized {
    pub fn identity(text: &str) -> Self {
        Normalized {
            text: text.to_owned(),
            alignments: None,
        }
    }

    /// Maps a byte span of the normalized text to a byte span of the original text.
    pub fn original_span(&self, start: usize, end: usize) -> (usize, usize) {
        match &self.alignments {
            None => (start, end),
            Some(_) if start >= end => {
                let at = self.original_pos(start);
                (at, at)
            }
            Some(a) => (a[start].0 as usize, a[end - 1].1 as usize),
        }
    }

    fn original_pos(&self, pos: usize) -> usize {
        match &self.alignments {
            None => pos,
            Some(a) if pos < a.len() => a[pos].0 as usize,
            Some(a) => a.last().map_or(0, |x| x.1 as usize),
        }
    }
}
