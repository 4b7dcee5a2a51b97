//! The merge learner shared by BPE and WordPiece: words are sequences of symbols with
//! counts; repeatedly merge the most frequent adjacent pair. Pair counts are updated
//! incrementally (only the words holding the merged pair change) from a priority queue
//! with lazy invalidation; ties break deterministically (see `train`).

use super::{ProgressFn, WordCounts};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeConfig {
    /// Target size of the final vocab, special tokens included.
    pub vocab_size: usize,
    /// Pairs seen fewer times than this are never merged.
    pub min_frequency: u64,
    /// Put first in the vocab, in this order (ids 0..n).
    pub special_tokens: Vec<String>,
    /// Keep at most this many initial characters (the most frequent), as HF.
    pub limit_alphabet: Option<usize>,
    /// Characters always in the alphabet (the 256 byte symbols for byte-level BPE).
    pub initial_alphabet: Vec<char>,
    /// Prefix for non-initial symbols of a word (`##` for WordPiece).
    pub continuing_subword_prefix: Option<String>,
}

/// The learned vocab (id order: specials, alphabet, then one token per merge) and merges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutput {
    pub vocab: Vec<String>,
    pub merges: Vec<(String, String)>,
}

/// Learns merges. `map_word` turns a counted word into its initial symbol characters
/// (identity for WordPiece, bytes -> unicode for byte-level BPE).
/// Errors: `Error::Data` on an empty corpus; `Error::Invalid` when `vocab_size` is smaller than
/// specials + alphabet; `Error::Cancelled` when `progress` returns false.
pub fn train(
    counts: &WordCounts,
    config: &MergeConfig,
    map_word: &(dyn Fn(&str) -> String + Sync),
    progress: ProgressFn,
) -> crate::Result<MergeOutput> {
    let _ = (counts, config, map_word, progress);
    todo!("H-bpe")
}
