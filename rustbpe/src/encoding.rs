//! `Encoding`: ids, type ids, offsets (chars into the original text), special-tokens and
//! attention masks; longest-first truncation, padding. Pair assembly (`[CLS] A [SEP] B
//! [SEP]`) is the post-processor's (`processors`).
//!
//! Truncation and padding follow HF `tokenizers` exactly (same lengths for the same inputs),
//! so that a model trained on our encodings sees what HF would give it.

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

    pub(crate) fn set_type_id(&mut self, type_id: u32) {
        self.type_ids.iter_mut().for_each(|t| *t = type_id);
    }

    pub(crate) fn append(&mut self, other: &Encoding) {
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
    fn padding_goes_right_with_attention_zero() {
        let mut out = enc(3, 10);
        out.pad(5, 0);
        assert_eq!(out.ids, vec![10, 11, 12, 0, 0]);
        assert_eq!(out.attention_mask, vec![1, 1, 1, 0, 0]);
        assert_eq!(out.special_tokens_mask, vec![0, 0, 0, 1, 1]);
        assert_eq!(out.offsets[3..], [(0, 0), (0, 0)]);
        out.pad(2, 0);
        assert_eq!(out.len(), 5);
        assert_eq!(padded_length(PaddingLength::Longest, 6, Some(4)), 8);
        assert_eq!(padded_length(PaddingLength::Fixed(10), 6, None), 10);
        assert_eq!(padded_length(PaddingLength::Fixed(4), 6, Some(3)), 6);
    }
}
