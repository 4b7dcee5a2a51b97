//! HF's `TemplateProcessing` (and `BertProcessing`, which is BERT's template): specials
//! around the sequences and the type id of each part.

use crate::encoding::Encoding;
use crate::{Error, Result};

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
    fn bert_template() {
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
        // Without specials the template still sets the pair's type ids.
        let (mut a, mut b) = (enc(2, 10), enc(1, 20));
        let mut out = Encoding::default();
        t.apply(&mut a, Some(&mut b), false, &mut out);
        assert_eq!((out.ids, out.type_ids), (vec![10, 11, 20], vec![0, 0, 1]));
    }

    #[test]
    fn validate_wants_each_sequence_once() {
        let mut t = Template::bert(("[CLS]", 2), ("[SEP]", 3));
        t.pair
            .retain(|p| !matches!(p, Piece::Sequence { seq: Seq::B, .. }));
        assert!(matches!(t.validate(), Err(Error::Format(m)) if m.contains("$B")));
    }
}
