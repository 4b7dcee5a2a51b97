//! The merge learner shared by BPE and WordPiece: words are sequences of symbols with
//! counts; repeatedly merge the most frequent adjacent pair. Pair counts are updated
//! incrementally (only the words holding the merged pair change) from a priority queue
//! with lazy invalidation; ties break deterministically (see `train`).
//!
//! The semantics follow HF `tokenizers`' `BpeTrainer` so that, on the same word counts, the
//! learned merges are the same:
//! - vocab = special tokens, then the alphabet sorted by code point, then (with a
//!   continuing-subword prefix) the prefixed symbols, then one token per merge;
//! - the alphabet is `initial_alphabet` ∪ the characters seen; `limit_alphabet` keeps the most
//!   frequent ones (initial characters count as infinitely frequent), characters dropped from
//!   the alphabet are dropped from the words;
//! - a pair's count is the number of adjacent positions holding it, weighted by word count;
//! - the best pair has the highest count, ties go to the smallest `(left_id, right_id)`;
//! - the merged token is `left + right` with the prefix removed from `right`; merging inside a
//!   word goes left to right without overlaps.

use std::collections::BinaryHeap;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{Progress, ProgressFn, WordCounts};
use crate::Error;

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

/// A pair of symbol ids packed as `left << 32 | right`: ordering the packed value orders the
/// pairs lexicographically, which is the tie-break.
type Pair = u64;

fn pack(left: u32, right: u32) -> Pair {
    (u64::from(left) << 32) | u64::from(right)
}

fn unpack(pair: Pair) -> (u32, u32) {
    ((pair >> 32) as u32, pair as u32)
}

/// A queue entry: max-heap on count, then on the smallest pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    count: i64,
    pair: Pair,
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.count
            .cmp(&other.count)
            .then_with(|| other.pair.cmp(&self.pair))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The vocab under construction.
#[derive(Default)]
struct Vocab {
    tokens: Vec<String>,
    ids: FxHashMap<String, u32>,
}

impl Vocab {
    /// Id of `token`, adding it at the end when new.
    fn get_or_add(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(token.to_owned());
        self.ids.insert(token.to_owned(), id);
        id
    }
}

/// All words back to back in one array, each as `[len, count_lo, count_hi, symbols...]`; a
/// word is named by the offset of its header, so visiting a word touches one place in memory
/// (the merge loop is bound by these cache misses). A word shrinks in place when merged.
struct Words {
    data: Vec<u32>,
}

const HEADER: usize = 3;

/// `(len, count)` of the word at offset `o`.
#[inline]
fn header(data: &[u32], o: usize) -> (usize, i64) {
    let count = u64::from(data[o + 1]) | (u64::from(data[o + 2]) << 32);
    (data[o] as usize, count as i64)
}

/// Per-pair bookkeeping: current count and the words that may hold the pair (a superset:
/// a word can lose the pair without being removed from the list).
#[derive(Default)]
struct PairInfo {
    count: i64,
    words: Vec<u32>,
}

type Pairs = FxHashMap<Pair, PairInfo>;

/// Pushes `word` unless it is already the last one (words are visited in order).
fn push_word(list: &mut Vec<u32>, word: u32) {
    if list.last() != Some(&word) {
        list.push(word);
    }
}

/// The changes of one merge step, gathered in small (cache-hot) maps and applied to the
/// global pair table once per distinct pair.
#[derive(Default)]
struct Step {
    delta: FxHashMap<Pair, i64>,
    /// Pairs that gained occurrences (they hold the new token) -> the words holding them.
    gained: FxHashMap<Pair, Vec<u32>>,
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
    let learned = learn(counts, config, map_word, progress)?;
    let merges = learned
        .merges
        .iter()
        .map(|&(a, b, _)| {
            (
                learned.vocab[a as usize].clone(),
                learned.vocab[b as usize].clone(),
            )
        })
        .collect();
    Ok(MergeOutput {
        vocab: learned.vocab,
        merges,
    })
}

/// What `learn` returns: the vocab and the merges as ids `(left, right, merged)`.
pub(crate) struct Learned {
    pub vocab: Vec<String>,
    pub merges: Vec<(u32, u32, u32)>,
}

/// `train` without turning the merges into strings (the BPE trainer builds its model from
/// the ids directly).
pub(crate) fn learn(
    counts: &WordCounts,
    config: &MergeConfig,
    map_word: &(dyn Fn(&str) -> String + Sync),
    progress: ProgressFn,
) -> crate::Result<Learned> {
    let mapped = map_words(counts, map_word);
    if mapped.iter().all(|(w, _)| w.is_empty()) {
        return Err(Error::Data(
            "cannot train a tokenizer on an empty corpus: no words found; check the input \
             files/iterable"
                .into(),
        ));
    }

    let mut vocab = Vocab::default();
    for special in &config.special_tokens {
        vocab.get_or_add(special);
    }
    let n_specials = vocab.tokens.len();
    let alphabet = compute_alphabet(&mapped, config);
    for &c in &alphabet {
        vocab.get_or_add(c.encode_utf8(&mut [0; 4]));
    }
    if config.vocab_size < vocab.tokens.len() {
        return Err(Error::Invalid(format!(
            "vocab_size {} is too small: the {} special tokens and the {} alphabet characters \
             alone need {} ids; raise vocab_size to at least {}{}",
            config.vocab_size,
            n_specials,
            alphabet.len(),
            vocab.tokens.len(),
            vocab.tokens.len(),
            if config.limit_alphabet.is_some() {
                " or lower limit_alphabet"
            } else {
                ""
            },
        )));
    }

    let mut words = symbolize(&mapped, config, &mut vocab);
    drop(mapped);
    let mut pairs = count_pairs(&words);

    let mut queue: BinaryHeap<Entry> = pairs
        .iter()
        .filter(|&(_, info)| info.count > 0)
        .map(|(&pair, info)| Entry {
            count: info.count,
            pair,
        })
        .collect();
    let threshold = config.min_frequency.max(1) as i64;
    let prefix = config.continuing_subword_prefix.as_deref();

    let total = config.vocab_size.saturating_sub(vocab.tokens.len()) as u64;
    let report_every = (total / 100).max(1) as usize;
    let mut merges: Vec<(u32, u32, u32)> = Vec::new();
    let mut steps = [Step::default(), Step::default()];
    let mut new_pairs: Vec<Pair> = Vec::new();

    while vocab.tokens.len() < config.vocab_size {
        let Some(top) = queue.pop() else { break };
        let current = pairs.get(&top.pair).map_or(0, |p| p.count);
        if current != top.count {
            // Stale entry (the pair lost occurrences since it was queued): requeue it with its
            // real count. Counts of queued pairs only go down, so the max stays exact.
            if current >= threshold {
                queue.push(Entry {
                    count: current,
                    pair: top.pair,
                });
            }
            continue;
        }
        if top.count < threshold {
            break;
        }

        let (left, right) = unpack(top.pair);
        let new_token = merged_token(
            &vocab.tokens[left as usize],
            &vocab.tokens[right as usize],
            prefix,
        );
        let new_id = vocab.get_or_add(&new_token);
        merges.push((left, right, new_id));

        let mut holders = pairs.remove(&top.pair).map(|p| p.words).unwrap_or_default();
        if !holders.is_sorted() {
            // Only after a merge re-created a known token (lists appended): the parallel
            // split needs sorted offsets.
            holders.sort_unstable();
            holders.dedup();
        }
        merge_words(&mut words, &holders, (left, right, new_id), &mut steps);
        new_pairs.clear();
        for step in &mut steps {
            for (pair, delta) in step.delta.drain() {
                pairs.entry(pair).or_default().count += delta;
            }
            for (pair, list) in step.gained.drain() {
                let info = pairs.entry(pair).or_default();
                if info.words.is_empty() {
                    info.words = list;
                } else {
                    // The second half of a parallel step, or a merge that re-creates a known
                    // token: append (the lists stay sorted in the first case).
                    info.words.extend(list);
                }
                new_pairs.push(pair);
            }
        }
        new_pairs.sort_unstable();
        new_pairs.dedup();
        for &pair in &new_pairs {
            let count = pairs[&pair].count;
            if count >= threshold {
                queue.push(Entry { count, pair });
            }
        }

        if merges.len().is_multiple_of(report_every)
            && !progress(Progress {
                stage: "merge",
                current: merges.len() as u64,
                total,
            })
        {
            return Err(Error::Cancelled);
        }
    }
    if !progress(Progress {
        stage: "merge",
        current: merges.len() as u64,
        total: merges.len() as u64,
    }) {
        return Err(Error::Cancelled);
    }

    Ok(Learned {
        vocab: vocab.tokens,
        merges,
    })
}

/// The words through `map_word` (in parallel), with their counts.
fn map_words(
    counts: &WordCounts,
    map_word: &(dyn Fn(&str) -> String + Sync),
) -> Vec<(String, i64)> {
    use rayon::prelude::*;
    let entries: Vec<(&String, &u64)> = counts.counts.iter().collect();
    entries
        .par_iter()
        .with_min_len(1024)
        .map(|&(w, &c)| (map_word(w), c as i64))
        .collect()
}

/// `initial_alphabet` ∪ seen characters, limited to the `limit_alphabet` most frequent
/// (ties: smaller code point kept), sorted by code point.
fn compute_alphabet(words: &[(String, i64)], config: &MergeConfig) -> Vec<char> {
    let mut freq: FxHashMap<char, u64> = FxHashMap::default();
    for (word, count) in words {
        for c in word.chars() {
            let f = freq.entry(c).or_insert(0);
            *f = f.saturating_add(*count as u64);
        }
    }
    for &c in &config.initial_alphabet {
        freq.insert(c, u64::MAX);
    }
    let mut kept: Vec<(char, u64)> = freq.into_iter().collect();
    if let Some(limit) = config.limit_alphabet {
        if kept.len() > limit {
            kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            kept.truncate(limit);
        }
    }
    let mut alphabet: Vec<char> = kept.into_iter().map(|(c, _)| c).collect();
    alphabet.sort_unstable();
    alphabet
}

/// Turns each word into symbol ids. Characters outside the vocab (dropped by
/// `limit_alphabet`) are skipped; with a prefix, non-initial characters use the prefixed
/// symbol, added to the vocab in code point order (HF adds them in hash-map order).
fn symbolize(words: &[(String, i64)], config: &MergeConfig, vocab: &mut Vocab) -> Words {
    let mut initial: FxHashMap<char, u32> = FxHashMap::default();
    let mut lookup = |c: char, vocab: &Vocab| -> Option<u32> {
        if let Some(&id) = initial.get(&c) {
            return Some(id);
        }
        let id = *vocab.ids.get(c.encode_utf8(&mut [0; 4]) as &str)?;
        initial.insert(c, id);
        Some(id)
    };

    let mut continuing: FxHashMap<char, u32> = FxHashMap::default();
    if let Some(prefix) = &config.continuing_subword_prefix {
        let mut needed: FxHashSet<char> = FxHashSet::default();
        for (word, _) in words {
            for c in word.chars().skip(1) {
                if lookup(c, vocab).is_some() {
                    needed.insert(c);
                }
            }
        }
        let mut needed: Vec<char> = needed.into_iter().collect();
        needed.sort_unstable();
        for c in needed {
            let id = vocab.get_or_add(&format!("{prefix}{c}"));
            continuing.insert(c, id);
        }
    }

    let total_chars: usize = words.iter().map(|(w, _)| w.len() + HEADER).sum();
    let mut data: Vec<u32> = Vec::with_capacity(total_chars);
    for (word, count) in words {
        let o = data.len();
        let count = *count as u64;
        data.extend([0, count as u32, (count >> 32) as u32]);
        for (i, c) in word.chars().enumerate() {
            let Some(id) = lookup(c, vocab) else { continue };
            let id = if i > 0 && config.continuing_subword_prefix.is_some() {
                continuing[&c]
            } else {
                id
            };
            data.push(id);
        }
        let len = data.len() - o - HEADER;
        if len < 2 {
            // A single symbol never takes part in a pair.
            data.truncate(o);
            continue;
        }
        data[o] = len as u32;
    }
    Words { data }
}

/// Initial pair counts and holders (before any merge, words are laid out densely).
fn count_pairs(words: &Words) -> Pairs {
    let mut pairs = Pairs::default();
    let data = &words.data;
    let mut o = 0;
    while o < data.len() {
        let (len, count) = header(data, o);
        for win in data[o + HEADER..o + HEADER + len].windows(2) {
            let info = pairs.entry(pack(win[0], win[1])).or_default();
            info.count += count;
            push_word(&mut info.words, o as u32);
        }
        o += HEADER + len;
    }
    pairs
}

fn merged_token(left: &str, right: &str, prefix: Option<&str>) -> String {
    let right = match prefix {
        Some(p) => right.strip_prefix(p).unwrap_or(right),
        None => right,
    };
    let mut s = String::with_capacity(left.len() + right.len());
    s.push_str(left);
    s.push_str(right);
    s
}

/// Words fetched ahead of use in a merge step: the visits are random accesses into the word
/// array, and their cache misses are most of the merge loop's time.
const PREFETCH_AHEAD: usize = 8;

#[inline(always)]
fn prefetch(x: &u32) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults and the pointer comes from a reference.
    #[allow(unused_unsafe)]
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((x as *const u32).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

/// Below this many words to visit, a merge step runs on one thread.
const PARALLEL_MIN_WORDS: usize = 2048;

/// One merge step: merges `(left, right)` into `new_id` in every word of `holders` (sorted
/// word offsets), recording the count changes in `steps`. Large steps are split in two
/// halves of the word array, merged on two threads (the words are disjoint).
fn merge_words(words: &mut Words, holders: &[u32], merge: (u32, u32, u32), steps: &mut [Step; 2]) {
    let [first, second] = steps;
    if holders.len() < PARALLEL_MIN_WORDS || rayon::current_num_threads() < 2 {
        merge_range(&mut words.data, 0, holders, merge, first);
        return;
    }
    let k = holders.len() / 2;
    let split = holders[k] as usize;
    let (data_a, data_b) = words.data.split_at_mut(split);
    let (ha, hb) = holders.split_at(k);
    rayon::join(
        || merge_range(data_a, 0, ha, merge, first),
        || merge_range(data_b, split, hb, merge, second),
    );
}

/// `merge_word` over the words at `holders`, in a part of the word array that starts at
/// offset `base`.
fn merge_range(
    data: &mut [u32],
    base: usize,
    holders: &[u32],
    merge: (u32, u32, u32),
    step: &mut Step,
) {
    for (i, &w) in holders.iter().enumerate() {
        if let Some(&ahead) = holders.get(i + PREFETCH_AHEAD) {
            prefetch(&data[ahead as usize - base]);
        }
        let o = w as usize - base;
        let (len, count) = header(data, o);
        let syms = &mut data[o + HEADER..o + HEADER + len];
        data[o] = merge_word(syms, count, w, merge, step) as u32;
    }
}

/// Merges every `(left, right)` of one word (left to right, no overlaps), recording the
/// count changes of the neighbouring pairs in `step`; returns the new length. As in HF, the
/// merged pair itself is not counted down: it leaves the table.
fn merge_word(
    syms: &mut [u32],
    count: i64,
    w: u32,
    (left, right, new_id): (u32, u32, u32),
    step: &mut Step,
) -> usize {
    let n = syms.len();
    let merged = pack(left, right);
    let lose = |pair: Pair, step: &mut Step| {
        if pair != merged {
            *step.delta.entry(pair).or_insert(0) -= count;
        }
    };
    let gain = |pair: Pair, step: &mut Step| {
        *step.delta.entry(pair).or_insert(0) += count;
        push_word(step.gained.entry(pair).or_default(), w);
    };

    let (mut i, mut j) = (0, 0);
    while i < n {
        if i + 1 < n && syms[i] == left && syms[i + 1] == right {
            if j > 0 {
                let prev = syms[j - 1];
                lose(pack(prev, left), step);
                gain(pack(prev, new_id), step);
            }
            if i + 2 < n {
                let next = syms[i + 2];
                lose(pack(right, next), step);
                gain(pack(new_id, next), step);
            }
            syms[j] = new_id;
            i += 2;
        } else {
            syms[j] = syms[i];
            i += 1;
        }
        j += 1;
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(words: &[(&str, u64)]) -> WordCounts {
        let mut wc = WordCounts::default();
        for &(w, c) in words {
            *wc.counts.entry(w.to_owned()).or_insert(0) += c;
        }
        wc
    }

    fn config(vocab_size: usize) -> MergeConfig {
        MergeConfig {
            vocab_size,
            min_frequency: 0,
            special_tokens: vec![],
            limit_alphabet: None,
            initial_alphabet: vec![],
            continuing_subword_prefix: None,
        }
    }

    fn identity(w: &str) -> String {
        w.to_owned()
    }

    fn no_progress(_: Progress) -> bool {
        true
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|&(a, b)| (a.to_owned(), b.to_owned()))
            .collect()
    }

    #[test]
    fn hand_computed_merges() {
        // "aaab" x2, "ab" x3, "b" x1.
        // Counts: (a,a): 2 per "aaab" (positions 0-1 and 1-2) = 4; (a,b): 2 + 3 = 5.
        // 1st merge (a,b) -> "ab" (5). Words: "a a ab" x2, "ab" x3. Pairs: (a,a)=2, (a,ab)=2.
        // Tie at 2: ids a=0, b=1, ab=2: (0,0) < (0,2) -> merge (a,a) -> "aa" (id 3).
        // Words: "aa ab" x2 -> (aa,ab)=2 -> "aaab".
        let out = train(
            &counts(&[("aaab", 2), ("ab", 3), ("b", 1)]),
            &config(10),
            &identity,
            &no_progress,
        )
        .unwrap();
        assert_eq!(out.vocab, vec!["a", "b", "ab", "aa", "aaab"]);
        assert_eq!(out.merges, pairs(&[("a", "b"), ("a", "a"), ("aa", "ab")]));
    }

    #[test]
    fn same_result_as_hf_trainer_unit_test() {
        // The corpus and expectations of HF tokenizers' own `BpeTrainer` unit test
        // (tokenizers/src/models/bpe/trainer.rs, `test_train`).
        let wc = counts(&[
            ("roses", 1),
            ("are", 2),
            ("red", 1),
            ("voilets", 1),
            ("blue", 1),
            ("BERT", 1),
            ("is", 2),
            ("big", 1),
            ("and", 1),
            ("so", 1),
            ("GPT-2", 1),
        ]);
        let mut cfg = config(30000);
        cfg.min_frequency = 2;
        let out = train(&wc, &cfg, &identity, &no_progress).unwrap();
        let alphabet = "-2BEGPRTabdegilnorstuv".chars().map(String::from);
        let expected: Vec<String> = alphabet
            .chain(["re", "are", "is"].map(String::from))
            .collect();
        assert_eq!(out.vocab, expected);
        assert_eq!(out.merges, pairs(&[("r", "e"), ("a", "re"), ("i", "s")]));
    }

    #[test]
    fn overlapping_pairs_merge_left_to_right() {
        // "aaaaa" x1: (a,a) count 4 -> "aa aa a"; then (aa,aa)=1, (aa,a)=1; tie -> ids
        // a=0, aa=1: (1,0) < (1,1) -> "aa" + "a" = "aaa" -> "aa aaa"; then (aa,aaa) -> "aaaaa".
        let out = train(
            &counts(&[("aaaaa", 1)]),
            &config(10),
            &identity,
            &no_progress,
        )
        .unwrap();
        assert_eq!(out.merges, pairs(&[("a", "a"), ("aa", "a"), ("aa", "aaa")]));
        assert_eq!(out.vocab, vec!["a", "aa", "aaa", "aaaaa"]);
    }

    #[test]
    fn min_frequency_and_vocab_size_stop_training() {
        let wc = counts(&[("abc", 3), ("bd", 1)]);
        // (a,b)=3, (b,c)=3, (b,d)=1. min_frequency 2: ab (3), then (ab,c)=3 -> abc; (b,d)=1 stops.
        let mut cfg = config(100);
        cfg.min_frequency = 2;
        let out = train(&wc, &cfg, &identity, &no_progress).unwrap();
        assert_eq!(out.merges, pairs(&[("a", "b"), ("ab", "c")]));
        // vocab_size = alphabet (4) + 1 -> exactly one merge.
        let out = train(&wc, &config(5), &identity, &no_progress).unwrap();
        assert_eq!(out.merges, pairs(&[("a", "b")]));
        assert_eq!(out.vocab.len(), 5);
    }

    #[test]
    fn specials_first_then_sorted_alphabet() {
        let mut cfg = config(100);
        cfg.special_tokens = vec!["[PAD]".into(), "[UNK]".into(), "[PAD]".into()];
        cfg.initial_alphabet = vec!['z', 'é'];
        let out = train(&counts(&[("ba", 1)]), &cfg, &identity, &no_progress).unwrap();
        assert_eq!(out.vocab, vec!["[PAD]", "[UNK]", "a", "b", "z", "é", "ba"]);
    }

    #[test]
    fn limit_alphabet_keeps_most_frequent_and_drops_other_chars() {
        // Frequencies: a=5, b=5, c=1, d=1 -> limit 3 keeps a, b and (tie c/d) c.
        // "dab" loses its 'd': words "ab" x4 (from "ab" x3 + "dab" x1), "ca" x1.
        let mut cfg = config(100);
        cfg.limit_alphabet = Some(3);
        let out = train(
            &counts(&[("ab", 3), ("dab", 1), ("ca", 1), ("b", 1)]),
            &cfg,
            &identity,
            &no_progress,
        )
        .unwrap();
        assert_eq!(&out.vocab[..3], &["a", "b", "c"]);
        assert_eq!(out.merges, pairs(&[("a", "b"), ("c", "a")]));
    }

    #[test]
    fn continuing_prefix_symbols_and_merged_tokens() {
        // "abab" x2, "ba" x1. Alphabet a=0, b=1; prefixed (sorted) ##a=2, ##b=3.
        // Symbols: "a ##b ##a ##b" x2, "b ##a" x1.
        // Pairs: (a,##b)=2, (##b,##a)=2, (##a,##b)=2, (b,##a)=1. Tie at 2 -> smallest (0,3).
        // Merge 1: "a"+"##b" -> "ab" (4): "ab ##a ##b" x2: (ab,##a)=2, (##a,##b)=2.
        // Merge 2: tie (2,3) < (4,2) -> "##a"+"##b" -> "##ab" (5): "ab ##ab" x2.
        // Merge 3: (ab, ##ab)=2 -> "abab" (6). Then (b,##a)=1 -> "ba" (7).
        let mut cfg = config(100);
        cfg.continuing_subword_prefix = Some("##".into());
        let out = train(
            &counts(&[("abab", 2), ("ba", 1)]),
            &cfg,
            &identity,
            &no_progress,
        )
        .unwrap();
        assert_eq!(
            out.vocab,
            vec!["a", "b", "##a", "##b", "ab", "##ab", "abab", "ba"]
        );
        assert_eq!(
            out.merges,
            pairs(&[("a", "##b"), ("##a", "##b"), ("ab", "##ab"), ("b", "##a")])
        );
    }

    #[test]
    fn merge_result_equal_to_a_special_reuses_its_id() {
        // As HF: "a"+"b" = "ab" is already the special token 0; the merge is recorded, the
        // vocab does not grow, and the words now hold id 0. Then (ab,c)=1 -> "abc".
        let mut cfg = config(10);
        cfg.special_tokens = vec!["ab".into()];
        let out = train(
            &counts(&[("ab", 2), ("abc", 1)]),
            &cfg,
            &identity,
            &no_progress,
        )
        .unwrap();
        assert_eq!(out.vocab, vec!["ab", "a", "b", "c", "abc"]);
        assert_eq!(out.merges, pairs(&[("a", "b"), ("ab", "c")]));
    }

    #[test]
    fn map_word_is_applied_before_learning() {
        let upper = |w: &str| w.to_uppercase();
        let out = train(&counts(&[("ab", 2)]), &config(3), &upper, &no_progress).unwrap();
        assert_eq!(out.vocab, vec!["A", "B", "AB"]);
    }

    #[test]
    fn errors() {
        let err = train(&WordCounts::default(), &config(10), &identity, &no_progress).unwrap_err();
        assert!(
            matches!(&err, Error::Data(m) if m.contains("empty corpus")),
            "{err:?}"
        );

        let mut cfg = config(3);
        cfg.special_tokens = vec!["[PAD]".into()];
        let err = train(&counts(&[("abc", 1)]), &cfg, &identity, &no_progress).unwrap_err();
        match err {
            Error::Invalid(m) => {
                assert!(m.contains("vocab_size 3"), "{m}");
                assert!(m.contains("1 special tokens and the 3 alphabet"), "{m}");
            }
            other => panic!("unexpected {other:?}"),
        }

        let cancel = |_: Progress| false;
        let err = train(&counts(&[("abc", 1)]), &config(10), &identity, &cancel).unwrap_err();
        assert_eq!(err, Error::Cancelled);
    }

    #[test]
    fn progress_reports_merge_stage() {
        let seen = std::sync::Mutex::new(Vec::new());
        let record = |p: Progress| {
            seen.lock().unwrap().push(p);
            true
        };
        train(&counts(&[("abcd", 1)]), &config(7), &identity, &record).unwrap();
        let seen = seen.into_inner().unwrap();
        assert!(seen.iter().all(|p| p.stage == "merge"));
        assert_eq!(seen.last().map(|p| p.current), Some(3));
    }
}
