//! WordPiece trainer, as HF's WordPieceTrainer: learn merges with the `##` continuation
//! prefix on non-initial symbols, keep the resulting vocab, drop the merges.

use super::{merges, MergeConfig, ProgressFn, WordCounts};
use crate::models::WordPiece;
use crate::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WordPieceTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
    pub limit_alphabet: Option<usize>,
    pub continuing_subword_prefix: String,
    pub unk_token: String,
    pub max_input_chars_per_word: usize,
}

impl WordPieceTrainer {
    pub fn train(&self, counts: &WordCounts, progress: ProgressFn) -> crate::Result<WordPiece> {
        // Checked first: the model cannot be built without its unknown token, and the
        // trainer only puts special tokens and corpus pieces in the vocab.
        if !self.special_tokens.contains(&self.unk_token) {
            return Err(Error::Invalid(format!(
                "the unknown token {:?} must be one of the special tokens {:?}",
                self.unk_token, self.special_tokens
            )));
        }
        let config = MergeConfig {
            vocab_size: self.vocab_size,
            min_frequency: self.min_frequency,
            special_tokens: self.special_tokens.clone(),
            limit_alphabet: self.limit_alphabet,
            initial_alphabet: Vec::new(),
            continuing_subword_prefix: Some(self.continuing_subword_prefix.clone()),
        };
        let learned = merges::train(counts, &config, &|word: &str| word.to_owned(), progress)?;
        WordPiece::new(
            learned.vocab,
            self.unk_token.clone(),
            self.continuing_subword_prefix.clone(),
            self.max_input_chars_per_word,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::Token;

    fn counts(words: &[(&str, u64)]) -> WordCounts {
        let mut c = WordCounts::default();
        for &(w, n) in words {
            c.counts.insert(w.to_owned(), n);
        }
        c
    }

    fn trainer(vocab_size: usize, min_frequency: u64) -> WordPieceTrainer {
        WordPieceTrainer {
            vocab_size,
            min_frequency,
            special_tokens: vec!["[PAD]".into(), "[UNK]".into()],
            limit_alphabet: None,
            continuing_subword_prefix: "##".into(),
            unk_token: "[UNK]".into(),
            max_input_chars_per_word: 100,
        }
    }

    fn always(_: crate::trainers::Progress) -> bool {
        true
    }

    fn pieces(m: &WordPiece, word: &str) -> Vec<String> {
        let mut out: Vec<Token> = Vec::new();
        m.tokenize(word, &mut out);
        out.iter()
            .map(|t| m.id_to_token(t.id).unwrap().to_owned())
            .collect()
    }

    // hug x10, pug x5, hugs x5 start as h ##u ##g / p ##u ##g / h ##u ##g ##s. Pair counts:
    // (##u,##g)=20, (h,##u)=15, then (h,##ug)=15; then (p,##ug)=5 ties (hug,##s)=5 and the
    // smaller ids win (p=4 < hug=11).
    const WORDS: [(&str, u64); 3] = [("hug", 10), ("pug", 5), ("hugs", 5)];

    #[test]
    fn learns_the_hand_computed_vocab() {
        let model = trainer(14, 0).train(&counts(&WORDS), &always).unwrap();
        let expected = [
            "[PAD]", "[UNK]", "g", "h", "p", "s", "u", "##g", "##s", "##u", "##ug", "hug", "pug",
            "hugs",
        ];
        assert_eq!(model.vocab, expected);
        assert_eq!(model.unk_id(), 1);
        assert_eq!(pieces(&model, "hugs"), ["hugs"]);
        assert_eq!(pieces(&model, "pugs"), ["pug", "##s"]);
        assert_eq!(pieces(&model, "gush"), ["[UNK]"]);
    }

    #[test]
    fn vocab_size_and_min_frequency_stop_the_merges() {
        let model = trainer(12, 0).train(&counts(&WORDS), &always).unwrap();
        assert_eq!(model.vocab[10..], ["##ug", "hug"]);
        let model = trainer(100, 6).train(&counts(&WORDS), &always).unwrap();
        assert_eq!(model.vocab.len(), 12);
        assert_eq!(pieces(&model, "pug"), ["p", "##ug"]);
    }

    #[test]
    fn unk_token_must_be_special() {
        let mut t = trainer(14, 0);
        t.unk_token = "<unk>".into();
        let err = t.train(&counts(&WORDS), &always).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)));
        assert!(err.to_string().contains("\"<unk>\""), "{err}");
    }

    #[test]
    fn cancelling_and_empty_corpus_are_errors() {
        let never = |_: crate::trainers::Progress| false;
        let err = trainer(14, 0).train(&counts(&WORDS), &never).unwrap_err();
        assert_eq!(err, Error::Cancelled);
        let err = trainer(14, 0)
            .train(&WordCounts::default(), &always)
            .unwrap_err();
        assert!(matches!(err, Error::Data(_)), "{err}");
    }
}
