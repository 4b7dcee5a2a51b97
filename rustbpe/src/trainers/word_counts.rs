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
        use rayon::prelude::*;
        // A few chunks per thread: each counts into its own map (few maps to merge, and
        // enough chunks to balance the threads).
        let chunk = docs.len().div_ceil(4 * rayon::current_num_threads()).max(1);
        let batch = docs
            .par_chunks(chunk)
            .map(|chunk| {
                let mut map = FxHashMap::<String, u64>::default();
                for doc in chunk {
                    words(doc.as_ref(), &mut |w: &str| {
                        // Borrowed lookup first: most words are already counted, so the key
                        // is allocated only on first sight.
                        if let Some(c) = map.get_mut(w) {
                            *c += 1;
                        } else {
                            map.insert(w.to_owned(), 1);
                        }
                    });
                }
                map
            })
            .reduce(FxHashMap::default, merge_maps);
        if self.counts.is_empty() {
            self.counts = batch;
        } else {
            let own = std::mem::take(&mut self.counts);
            self.counts = merge_maps(own, batch);
        }
    }

    /// Adds the counts of `other`.
    pub fn merge(&mut self, other: WordCounts) {
        for (w, c) in other.counts {
            *self.counts.entry(w).or_insert(0) += c;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }
}

/// Adds the smaller map into the larger one.
fn merge_maps(a: FxHashMap<String, u64>, b: FxHashMap<String, u64>) -> FxHashMap<String, u64> {
    let (mut big, small) = if a.len() >= b.len() { (a, b) } else { (b, a) };
    for (w, c) in small {
        *big.entry(w).or_insert(0) += c;
    }
    big
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_spaces(doc: &str, sink: &mut dyn FnMut(&str)) {
        doc.split(' ').filter(|w| !w.is_empty()).for_each(sink);
    }

    #[test]
    fn counts_words_across_documents_and_batches() {
        let mut wc = WordCounts::default();
        let docs: Vec<String> = (0..1000).map(|i| format!("a b{} a", i % 3)).collect();
        wc.add_batch(&docs, split_spaces);
        assert_eq!(wc.counts["a"], 2000);
        assert_eq!(wc.counts["b0"], 334);
        assert_eq!(wc.counts["b1"], 333);
        assert_eq!(wc.counts.len(), 4);
        // A second batch adds to the first; documents are never joined ("a" + "c" != "ac").
        wc.add_batch(&["c", "a"], split_spaces);
        assert_eq!(wc.counts["a"], 2001);
        assert_eq!(wc.counts["c"], 1);
        assert!(!wc.counts.contains_key("ac"));
    }

    #[test]
    fn empty_batch_stays_empty() {
        let mut wc = WordCounts::default();
        wc.add_batch(&["", "   "], split_spaces);
        assert!(wc.is_empty());
    }
}
