//! `Encoding`: ids, type ids, offsets (chars into the original text), special-tokens and
//! attention masks; pair assembly (`[CLS] A [SEP] B [SEP]`), longest-first truncation, padding.
//!
//! Truncation and padding follow HF `tokenizers` exactly (same lengths for the same inputs),
//! so that a model trained on our encodings sees what HF would give it.

use crate::{Error, Result};

/// One encoded sequence (or pair, after `Template::apply`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Encoding {
    pub ids: Vec<u32>,
    pub type_ids: Vec<u32>,
    /// `(start, end)` in characters of the original text of the token's own sequence
    /// (pair tokens index into the pair text); `(0, 0)` for added specials and padding.
    pub offsets: Vec<(u32, u32)>,
    pub special_tokens_mask: Vec<u8>,
    pub attention_mask: Vec<u8>,
}

impl Encoding {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.type_ids.clear();
        self.offsets.clear();
        self.special_tokens_mask.clear();
        self.attention_mask.clear();
    }

    /// Appends one token.
    pub fn push(&mut self, id: u32, type_id: u32, offsets: (u32, u32), special: bool) {
        self.ids.push(id);
        self.type_ids.push(type_id);
        self.offsets.push(offsets);
        self.special_tokens_mask.push(special as u8);
        self.attention_mask.push(1);
    }

    /// Keeps the first `len` tokens (HF: truncation direction right, stride 0).
    pub fn truncate(&mut self, len: usize) {
        self.ids.truncate(len);
        self.type_ids.truncate(len);
        self.offsets.truncate(len);
        self.special_tokens_mask.truncate(len);
        self.attention_mask.truncate(len);
    }

    fn set_type_id(&mut self, type_id: u32) {
        self.type_ids.iter_mut().for_each(|t| *t = type_id);
    }

    fn append(&mut self, other: &Encoding) {
        self.ids.extend_from_slice(&other.ids);
        self.type_ids.extend_from_slice(&other.type_ids);
        self.offsets.extend_from_slice(&other.offsets);
        self.special_tokens_mask
            .extend_from_slice(&other.special_tokens_mask);
        self.attention_mask.extend_from_slice(&other.attention_mask);
    }

    /// Pads on the right to `len` (no-op when already that long): pad id, type 0, offsets
    /// `(0, 0)`, special mask 1, attention 0, as HF.
    pub fn pad(&mut self, len: usize, pad_id: u32) {
        while self.ids.len() < len {
            self.ids.push(pad_id);
            self.type_ids.push(0);
            self.offsets.push((0, 0));
            self.special_tokens_mask.push(1);
            self.attention_mask.push(0);
        }
    }
}

/// Longest-first truncation of a sequence (and its pair) to `max_length` tokens in total,
/// HF's algorithm: the shorter sequence keeps as much as possible, both are cut to halves
/// when both are long.
pub fn truncate_longest_first(a: &mut Encoding, b: Option<&mut Encoding>, max_length: usize) {
    let Some(b) = b else {
        a.truncate(max_length);
        return;
    };
    let (la, lb) = (a.len(), b.len());
    if la + lb <= max_length {
        return;
    }
    let swap = la > lb;
    let mut n1 = la.min(lb);
    let mut n2 = if n1 > max_length {
        n1
    } else {
        n1.max(max_length - n1)
    };
    if n1 + n2 > max_length {
        n1 = max_length / 2;
        n2 = n1 + max_length % 2;
    }
    if swap {
        std::mem::swap(&mut n1, &mut n2);
    }
    a.truncate(n1);
    b.truncate(n2);
}

/// Which sequence a template piece stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seq {
    A,
    B,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Sequence {
        seq: Seq,
        type_id: u32,
    },
    Special {
        token: String,
        id: u32,
        type_id: u32,
    },
}

/// HF's `TemplateProcessing` (each special maps to exactly one id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub single: Vec<Piece>,
    pub pair: Vec<Piece>,
}

impl Template {
    /// BERT's template: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, B with type id 1.
    pub fn bert(cls: (&str, u32), sep: (&str, u32)) -> Self {
        let special = |(token, id): (&str, u32), type_id| Piece::Special {
            token: token.to_owned(),
            id,
            type_id,
        };
        Template {
            single: vec![
                special(cls, 0),
                Piece::Sequence {
                    seq: Seq::A,
                    type_id: 0,
                },
                special(sep, 0),
            ],
            pair: vec![
                special(cls, 0),
                Piece::Sequence {
                    seq: Seq::A,
                    type_id: 0,
                },
                special(sep, 0),
                Piece::Sequence {
                    seq: Seq::B,
                    type_id: 1,
                },
                special(sep, 1),
            ],
        }
    }

    /// Checks that each template names each of its sequences once (A; A and B for pairs).
    pub fn validate(&self) -> Result<()> {
        let count = |pieces: &[Piece], s: Seq| {
            pieces
                .iter()
                .filter(|p| matches!(p, Piece::Sequence { seq, .. } if *seq == s))
                .count()
        };
        if count(&self.single, Seq::A) != 1 || count(&self.single, Seq::B) != 0 {
            return Err(Error::Format(
                "the single template must hold $A exactly once and no $B".into(),
            ));
        }
        if count(&self.pair, Seq::A) != 1 || count(&self.pair, Seq::B) != 1 {
            return Err(Error::Format(
                "the pair template must hold $A and $B exactly once each".into(),
            ));
        }
        Ok(())
    }

    /// Number of special tokens the template adds.
    pub fn added_tokens(&self, is_pair: bool) -> usize {
        let pieces = if is_pair { &self.pair } else { &self.single };
        pieces
            .iter()
            .filter(|p| matches!(p, Piece::Special { .. }))
            .count()
    }

    /// Builds the final encoding from the sequence encodings. Without `add_special` the
    /// template still sets the type ids (as HF), but adds no special token.
    pub fn apply(
        &self,
        a: &mut Encoding,
        b: Option<&mut Encoding>,
        add_special: bool,
        out: &mut Encoding,
    ) {
        let pieces = if b.is_some() {
            &self.pair
        } else {
            &self.single
        };
        let mut b = b;
        for piece in pieces {
            match piece {
                Piece::Special { id, type_id, .. } => {
                    if add_special {
                        out.push(*id, *type_id, (0, 0), true)
                    }
                }
                Piece::Sequence {
                    seq: Seq::A,
                    type_id,
                } => {
                    a.set_type_id(*type_id);
                    out.append(a);
                }
                Piece::Sequence {
                    seq: Seq::B,
                    type_id,
                } => {
                    if let Some(b) = b.as_deref_mut() {
                        b.set_type_id(*type_id);
                        out.append(b);
                    }
                }
            }
        }
    }
}

/// Plain concatenation (no post-processor): type ids 0 for A, 1 for B (HF's default).
pub fn concat(a: &mut Encoding, b: Option<&mut Encoding>, out: &mut Encoding) {
    out.append(a);
    if let Some(b) = b {
        b.set_type_id(1);
        out.append(b);
    }
}

/// How to pad a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaddingLength {
    /// To the longest encoding of the batch.
    Longest,
    /// To this fixed length (longer encodings stay longer, as HF; truncate to avoid them).
    Fixed(usize),
}

/// Target length for a batch whose longest encoding has `longest` tokens.
pub fn padded_length(strategy: PaddingLength, longest: usize, multiple_of: Option<usize>) -> usize {
    let len = match strategy {
        PaddingLength::Longest => longest,
        PaddingLength::Fixed(n) => n.max(longest),
    };
    match multiple_of {
        Some(m) if m > 0 && len % m != 0 => len + m - len % m,
        _ => len,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(n: usize, base: u32) -> Encoding {
        let mut e = Encoding::default();
        for i in 0..n as u32 {
            e.push(base + i, 0, (i, i + 1), false);
        }
        e
    }

    #[test]
    fn longest_first_matches_hf_cases() {
        // (len a, len b, max) -> (kept a, kept b); worked out by hand from HF's algorithm.
        for (la, lb, max, ka, kb) in [
            (3, 10, 8, 3, 5),
            (10, 3, 8, 5, 3),
            (10, 10, 7, 3, 4),
            (2, 2, 8, 2, 2),
            (9, 1, 5, 4, 1),
            (6, 6, 0, 0, 0),
        ] {
            let (mut a, mut b) = (enc(la, 0), enc(lb, 100));
            truncate_longest_first(&mut a, Some(&mut b), max);
            assert_eq!((a.len(), b.len()), (ka, kb), "case {la} {lb} {max}");
        }
        let mut a = enc(5, 0);
        truncate_longest_first(&mut a, None, 3);
        assert_eq!(a.ids, vec![0, 1, 2]);
    }

    #[test]
    fn bert_template_and_padding() {
        let t = Template::bert(("[CLS]", 2), ("[SEP]", 3));
        t.validate().unwrap();
        assert_eq!((t.added_tokens(false), t.added_tokens(true)), (2, 3));
        let (mut a, mut b) = (enc(2, 10), enc(1, 20));
        let mut out = Encoding::default();
        t.apply(&mut a, Some(&mut b), true, &mut out);
        assert_eq!(out.ids, vec![2, 10, 11, 3, 20, 3]);
        assert_eq!(out.type_ids, vec![0, 0, 0, 0, 1, 1]);
        assert_eq!(out.special_tokens_mask, vec![1, 0, 0, 1, 0, 1]);
        assert_eq!(
            out.offsets,
            vec![(0, 0), (0, 1), (1, 2), (0, 0), (0, 1), (0, 0)]
        );
        out.pad(8, 0);
        assert_eq!(out.attention_mask, vec![1, 1, 1, 1, 1, 1, 0, 0]);
        assert_eq!(out.ids[6..], [0, 0]);
        assert_eq!(padded_length(PaddingLength::Longest, 6, Some(4)), 8);
        assert_eq!(padded_length(PaddingLength::Fixed(10), 6, None), 10);
        assert_eq!(padded_length(PaddingLength::Fixed(4), 6, Some(3)), 6);
    }
}
