//! Post-processors (HF's `processors`): what happens to the model's tokens of a sequence (and
//! its pair) before they are returned: truncation, the template's specials and type ids, and
//! byte-level offset trimming.

pub mod byte_level;
pub mod template;

pub use template::{Piece, Seq, Template};

use crate::encoding::{truncate_longest_first, Encoding};
use crate::{Error, Result};

/// bertbench's post-processing: an optional template (`TemplateProcessing` or
/// `BertProcessing` in `tokenizer.json`) and optional `ByteLevel` offset trimming (HF's
/// `ByteLevel` processor, alone or in a `Sequence` with the template).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostProcessor {
    pub template: Option<Template>,
    /// `Some(add_prefix_space)` when offsets leave out a token's leading and trailing spaces
    /// (see `byte_level::trim_offsets`); None for no trimming.
    pub trim_offsets: Option<bool>,
}

impl PostProcessor {
    pub fn template(template: Option<Template>) -> Self {
        PostProcessor {
            template,
            trim_offsets: None,
        }
    }

    /// Truncates the sequences (longest-first, counting the specials the template adds) to
    /// `max_length`, then builds `out` with the template (or by plain concatenation).
    pub fn process(
        &self,
        a: &mut Encoding,
        b: Option<&mut Encoding>,
        add_special_tokens: bool,
        max_length: Option<usize>,
        out: &mut Encoding,
    ) -> Result<()> {
        let mut b = b;
        if let Some(max) = max_length {
            let added = match (&self.template, add_special_tokens) {
                (Some(t), true) => t.added_tokens(b.is_some()),
                _ => 0,
            };
            if max < added {
                return Err(Error::Invalid(format!(
                    "max_length {max} is smaller than the {added} special tokens the template adds"
                )));
            }
            truncate_longest_first(a, b.as_deref_mut(), max - added);
        }
        out.clear();
        match &self.template {
            Some(t) => t.apply(a, b, add_special_tokens, out),
            None => concat(a, b, out),
        }
        Ok(())
    }
}

/// Plain concatenation (no template): type ids 0 for A, 1 for B (HF's default).
pub fn concat(a: &mut Encoding, b: Option<&mut Encoding>, out: &mut Encoding) {
    out.append(a);
    if let Some(b) = b {
        b.set_type_id(1);
        out.append(b);
    }
}
