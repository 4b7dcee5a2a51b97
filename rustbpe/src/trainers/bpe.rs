//! Byte-level BPE trainer: the merge learner over byte symbols (all 256 always in vocab).

use super::{MergeConfig, ProgressFn, WordCounts};
use crate::models::Bpe;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BpeTrainer {
    pub vocab_size: usize,
    pub min_frequency: u64,
    pub special_tokens: Vec<String>,
}

impl BpeTrainer {
    pub fn train(&self, counts: &WordCounts, progress: ProgressFn) -> crate::Result<Bpe> {
        let _ = (counts, progress, MergeConfig::clone);
        todo!("H-bpe")
    }
}
