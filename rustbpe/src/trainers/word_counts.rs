//! Word frequencies: the only thing the merge learner needs from the corpus. Documents are
//! streamed in batches and counted in parallel (rayon map-reduce); the corpus is never
//! concatenated.

use rustc_hash::FxHashMap;

#[derive(Debug, Clone, Default)]
pub struct WordCounts {
    /// word (normalized, pre-tokenized, not byte-mapped) -> count
    pub counts: FxHashMap<String, u64>,
}

impl WordCounts {
    /// Counts the words of a batch of documents in parallel. `words` splits one document into
    /// its words (normalize + pre-tokenize) and calls the sink for each.
    pub fn add_batch<S, F>(&mut self, docs: &[S], words: F)
    where
        S: AsRef<str> + Sync,
        F: Fn(&str, &mut dyn FnMut(&str)) + Sync,
    {
        let _ = (docs, words);
        todo!("H-bpe")
    }

    pub fn merge(&mut self, other: WordCounts) {
        for (w, c) in other.counts {
            *self.counts.entry(w).or_insert(0) += c;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}
