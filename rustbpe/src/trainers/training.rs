//! Training a tokenizer in two steps: count the words of the documents (streamed, through
//! the normalizer and pre-tokenizer of the pipeline being trained), then learn the vocab.

use std::path::PathBuf;

use super::files::{read_lines, FILE_CHUNK};
use super::{BpeTrainer, ProgressFn, WordCounts, WordPieceTrainer};
use crate::normalizers::BertNormalizer;
use crate::pre_tokenizers::{BertPreTokenizer, ByteLevel, PreTokenizer, SplitPattern};
use crate::tokenizer::Tokenizer;
use crate::{Error, Result};

/// What to train, with the normalizer and pre-tokenizer the words are counted through.
#[derive(Debug, Clone)]
pub enum TrainerSpec {
    Bpe {
        trainer: BpeTrainer,
        pattern: SplitPattern,
    },
    WordPiece {
        trainer: WordPieceTrainer,
        normalizer: BertNormalizer,
    },
}

/// Training in two steps: feed documents (streamed, counted in parallel), then `finish`.
#[derive(Debug)]
pub struct Training {
    spec: TrainerSpec,
    normalizer: Option<BertNormalizer>,
    pre_tokenizer: PreTokenizer,
    pub counts: WordCounts,
    /// Documents (or lines) fed so far.
    pub documents: u64,
}

impl Training {
    pub fn new(spec: TrainerSpec) -> Self {
        let (normalizer, pre_tokenizer) = match &spec {
            TrainerSpec::Bpe { pattern, .. } => (
                None,
                PreTokenizer::ByteLevel(ByteLevel { pattern: *pattern }),
            ),
            TrainerSpec::WordPiece { normalizer, .. } => (
                Some(normalizer.clone()),
                PreTokenizer::Bert(BertPreTokenizer),
            ),
        };
        Training {
            spec,
            normalizer,
            pre_tokenizer,
            counts: WordCounts::default(),
            documents: 0,
        }
    }

    /// Counts the words of a batch of documents, in parallel.
    pub fn add_texts<S: AsRef<str> + Sync>(&mut self, docs: &[S]) {
        let normalizer = &self.normalizer;
        let pre_tokenizer = &self.pre_tokenizer;
        self.counts.add_batch(docs, |doc, sink| {
            let normalized;
            let text = match normalizer {
                Some(n) => {
                    normalized = n.normalize(doc);
                    normalized.text.as_str()
                }
                None => doc,
            };
            let mut words = Vec::new();
            pre_tokenizer.split(text, &mut words);
            for (s, e) in words {
                sink(&text[s..e]);
            }
        });
        self.documents += docs.len() as u64;
    }

    /// Counts the lines of UTF-8 text files, read in chunks (never whole). Reports progress
    /// in bytes ("count" stage). Invalid UTF-8 -> `Error::Data` naming the file and offset.
    pub fn add_files(&mut self, paths: &[PathBuf], progress: ProgressFn) -> Result<()> {
        read_lines(paths, FILE_CHUNK, progress, |lines| self.add_texts(lines))
    }

    /// Learns the vocab from the counted words and returns the finished tokenizer.
    pub fn finish(self, progress: ProgressFn) -> Result<Tokenizer> {
        if self.counts.is_empty() {
            return Err(Error::Data(format!(
                "the corpus has no words ({} documents seen); give non-empty text",
                self.documents
            )));
        }
        match self.spec {
            TrainerSpec::Bpe { trainer, pattern } => {
                let model = trainer.train(&self.counts, progress)?;
                Tokenizer::from_bpe(model, pattern, &trainer.special_tokens)
            }
            TrainerSpec::WordPiece {
                trainer,
                normalizer,
            } => {
                let model = trainer.train(&self.counts, progress)?;
                Tokenizer::from_wordpiece(model, normalizer, &trainer.special_tokens)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TrainerSpec {
        TrainerSpec::Bpe {
            trainer: BpeTrainer {
                vocab_size: 300,
                min_frequency: 1,
                special_tokens: vec!["[UNK]".into()],
            },
            pattern: SplitPattern::Gpt2,
        }
    }

    #[test]
    fn files_count_as_their_lines() {
        let dir = std::env::temp_dir().join(format!("rustbpe-training-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "héllo wörld\r\nnaïve 日本語 text\n\nlast line without newline";
        let path = dir.join("corpus.txt");
        std::fs::write(&path, text).unwrap();
        let mut lines = Training::new(spec());
        lines.add_texts(&text.lines().collect::<Vec<_>>());
        let mut file = Training::new(spec());
        file.add_files(&[path], &|_| true).unwrap();
        assert_eq!(file.counts.counts, lines.counts.counts);
        assert_eq!(file.documents, 4);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_empty_corpus_is_refused() {
        let mut t = Training::new(spec());
        t.add_texts(&["", ""]);
        let err = t.finish(&|_| true).unwrap_err();
        assert!(
            matches!(&err, Error::Data(m) if m.contains("2 documents")),
            "{err:?}"
        );
    }
}
