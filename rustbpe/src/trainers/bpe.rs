//! Byte-level BPE trainer: the merge learner over byte symbols (all 256 always in vocab).

use super::{merges, MergeConfig, ProgressFn, WordCounts};
use crate::models::Bpe;
use crate::pre_tokenizers::byte_level::bytes_to_unicode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpeTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
}

impl BpeTrainer {
    pub fn train(&self, counts: &WordCounts, progress: ProgressFn) -> crate::Result<Bpe> {
        let table = bytes_to_unicode();
        let config = MergeConfig {
            vocab_size: self.vocab_size,
            min_frequency: self.min_frequency,
            special_tokens: self.special_tokens.clone(),
            limit_alphabet: None,
            // All 256 byte symbols, seen or not (HF `ByteLevel.alphabet()`).
            initial_alphabet: table.to_vec(),
            continuing_subword_prefix: None,
        };
        let to_symbols =
            |word: &str| -> String { word.bytes().map(|b| table[b as usize]).collect() };
        let learned = merges::learn(counts, &config, &to_symbols, progress)?;
        Ok(Bpe::from_learned(learned.vocab, learned.merges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pre_tokenizers::ByteLevel;
    use crate::trainers::Progress;
    use crate::Error;

    fn no_progress(_: Progress) -> bool {
        true
    }

    fn trainer(vocab_size: usize) -> BpeTrainer {
        BpeTrainer {
            vocab_size,
            min_frequency: 2,
            special_tokens: vec!["<pad>".into(), "<unk>".into()],
        }
    }

    fn count(docs: &[&str]) -> WordCounts {
        let mut wc = WordCounts::default();
        let pre = ByteLevel::default();
        wc.add_batch(docs, |doc, sink| {
            let mut spans = Vec::new();
            pre.split(doc, &mut spans);
            for (s, e) in spans {
                sink(&doc[s..e]);
            }
        });
        wc
    }

    #[test]
    fn vocab_is_specials_then_all_bytes_then_merges() {
        // Words: "low" x2, " low" x2, " lower" x1 (GPT-2 split keeps the leading space).
        // Byte symbols: ' ' -> 'Ġ'. Pairs: (l,o)=5, (o,w)=5, (Ġ,l)=3, (w,e)=1, (e,r)=1.
        // Ties at 5 go to the smaller id pair: ids follow code points, 'l' < 'o' -> (l,o) first.
        // Then (lo,w)=5 -> "low"; then (Ġ,low)=3 -> "Ġlow"; (Ġlow,e)=1 < min_frequency 2.
        let wc = count(&["low low lower", "low low"]);
        let bpe = trainer(1000).train(&wc, &no_progress).unwrap();
        assert_eq!(&bpe.vocab[..2], ["<pad>", "<unk>"]);
        let table = bytes_to_unicode();
        let mut alphabet: Vec<char> = table.to_vec();
        alphabet.sort_unstable();
        let alphabet: Vec<String> = alphabet.iter().map(|c| c.to_string()).collect();
        assert_eq!(&bpe.vocab[2..258], &alphabet[..]);
        assert_eq!(&bpe.vocab[258..], ["lo", "low", "Ġlow"]);
        let merges: Vec<(String, String)> = [("l", "o"), ("lo", "w"), ("Ġ", "low")]
            .iter()
            .map(|&(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(bpe.merge_strings(), merges);
    }

    #[test]
    fn too_small_vocab_names_both_numbers() {
        let err = trainer(100)
            .train(&count(&["abc"]), &no_progress)
            .unwrap_err();
        match err {
            Error::Invalid(m) => assert!(m.contains("vocab_size 100") && m.contains("258"), "{m}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
