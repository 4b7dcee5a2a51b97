//! Byte-level BPE: a word's UTF-8 bytes start as single-byte symbols and are merged by
//! rank (lowest first) until no known merge applies. Results are cached per word.

use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hash::BuildHasher;
use std::sync::RwLock;

use rustc_hash::{FxBuildHasher, FxHashMap};

use super::Token;
use crate::pre_tokenizers::byte_level::bytes_to_unicode;
use crate::Error;

/// Marks a byte without a symbol in the vocab, or a pair without a merge.
const NONE: u32 = u32::MAX;

#[derive(Debug, Clone)]
pub struct Bpe {
    /// id -> token string (byte-level unicode form, as in `tokenizer.json`).
    pub vocab: Vec<String>,
    /// Merges in rank order, as token ids `(left, right)`; the merged token is in `vocab`.
    pub merges: Vec<(u32, u32)>,
    /// token string -> id.
    ids: FxHashMap<String, u32>,
    /// byte -> id of its single-byte symbol (`NONE` when the vocab lacks it).
    byte_ids: Box<[u32; 256]>,
    /// `left << 32 | right` -> (rank, merged id).
    ranks: FxHashMap<u64, (u32, u32)>,
    cache: WordCache,
}

impl Bpe {
    /// Builds a model from an id-ordered vocab and merges given as token strings.
    /// Errors (`Error::Format`) when a merge names unknown tokens or its result is not in vocab,
    /// or when the vocab has duplicates.
    pub fn new(vocab: Vec<String>, merges: Vec<(String, String)>) -> crate::Result<Self> {
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        ids.reserve(vocab.len());
        for (id, token) in vocab.iter().enumerate() {
            if let Some(first) = ids.insert(token.clone(), id as u32) {
                return Err(Error::Format(format!(
                    "BPE vocab has the token {token:?} twice (ids {first} and {id}); each token \
                     must appear once"
                )));
            }
        }
        let mut learned = Vec::with_capacity(merges.len());
        let mut merged = String::new();
        for (rank, (left, right)) in merges.iter().enumerate() {
            let id = |token: &str| {
                ids.get(token).copied().ok_or_else(|| {
                    Error::Format(format!(
                        "BPE merge #{rank} ({left:?}, {right:?}) uses the token {token:?}, \
                         which is not in the vocab"
                    ))
                })
            };
            merged.clear();
            merged.push_str(left);
            merged.push_str(right);
            learned.push((id(left)?, id(right)?, id(&merged)?));
        }
        Ok(Self::with_ids(vocab, ids, learned))
    }

    /// A model straight from a trainer, whose merges are valid by construction:
    /// `(left, right, merged)` ids.
    pub(crate) fn from_learned(vocab: Vec<String>, merges: Vec<(u32, u32, u32)>) -> Self {
        let ids = vocab
            .iter()
            .enumerate()
            .map(|(id, token)| (token.clone(), id as u32))
            .collect();
        Self::with_ids(vocab, ids, merges)
    }

    fn with_ids(
        vocab: Vec<String>,
        ids: FxHashMap<String, u32>,
        merges: Vec<(u32, u32, u32)>,
    ) -> Self {
        let table = bytes_to_unicode();
        let mut byte_ids = Box::new([NONE; 256]);
        for (b, c) in table.iter().enumerate() {
            byte_ids[b] = ids
                .get(c.encode_utf8(&mut [0; 4]) as &str)
                .copied()
                .unwrap_or(NONE);
        }
        let mut ranks = FxHashMap::default();
        ranks.reserve(merges.len());
        for (rank, &(l, r, merged)) in merges.iter().enumerate() {
            // Like HF, a pair listed twice keeps its last rank.
            ranks.insert(pack(l, r), (rank as u32, merged));
        }
        Bpe {
            vocab,
            merges: merges.iter().map(|&(l, r, _)| (l, r)).collect(),
            ids,
            byte_ids,
            ranks,
            cache: WordCache::default(),
        }
    }

    /// Appends the tokens of `word` (raw UTF-8 text, not byte-mapped) to `out`, with byte spans
    /// within the word. Bytes whose symbol is missing from the vocab (only possible with a
    /// foreign vocab) are skipped, and their neighbours may merge across them, as in HF.
    pub fn tokenize(&self, word: &str, out: &mut Vec<Token>) {
        if word.is_empty() {
            return;
        }
        if word.len() > CACHE_MAX_WORD_LEN {
            self.merge_word(word.as_bytes(), out);
            return;
        }
        let hash = FxBuildHasher.hash_one(word);
        if self.cache.get(hash, word, out) {
            return;
        }
        let start = out.len();
        self.merge_word(word.as_bytes(), out);
        self.cache.insert(hash, word, &out[start..]);
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token).copied()
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(String::as_str)
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    /// Merges as token strings, in rank order (for `tokenizer.json`).
    pub fn merge_strings(&self) -> Vec<(String, String)> {
        self.merges
            .iter()
            .map(|&(a, b)| {
                (
                    self.vocab[a as usize].clone(),
                    self.vocab[b as usize].clone(),
                )
            })
            .collect()
    }

    /// Empties the word cache (it also stops growing by itself when full).
    pub fn clear_cache(&self) {
        self.cache.clear();
    }

    fn rank(&self, left: u32, right: u32) -> (u32, u32) {
        self.ranks
            .get(&pack(left, right))
            .copied()
            .unwrap_or((NONE, NONE))
    }

    /// The BPE algorithm on one word: repeatedly merge the adjacent pair with the lowest rank
    /// (the leftmost one on ties), as HF and tiktoken do.
    fn merge_word(&self, bytes: &[u8], out: &mut Vec<Token>) {
        SCRATCH.with(|cell| {
            let scratch = &mut *cell.borrow_mut();
            let syms = &mut scratch.syms;
            syms.clear();
            for (i, &b) in bytes.iter().enumerate() {
                let id = self.byte_ids[b as usize];
                if id != NONE {
                    syms.push(Sym {
                        id,
                        start: i as u32,
                        end: i as u32 + 1,
                        rank: NONE,
                        merged: NONE,
                    });
                }
            }
            if syms.len() <= LINEAR_MAX_SYMBOLS {
                self.merge_linear(syms);
            } else {
                self.merge_heap(syms, &mut scratch.heap, &mut scratch.next);
            }
            out.extend(syms.iter().map(|s| Token {
                id: s.id,
                start: s.start,
                end: s.end,
            }));
        });
    }

    /// Short words: keep the rank of each adjacent pair, scan for the minimum, merge, update
    /// the two neighbouring ranks. Quadratic, but the fastest for a few dozen symbols.
    fn merge_linear(&self, syms: &mut Vec<Sym>) {
        // syms[i].rank / .merged describe the pair (syms[i], syms[i + 1]).
        for i in 0..syms.len().saturating_sub(1) {
            (syms[i].rank, syms[i].merged) = self.rank(syms[i].id, syms[i + 1].id);
        }
        loop {
            let mut best = NONE;
            let mut at = 0;
            for (i, s) in syms.iter().enumerate() {
                if s.rank < best {
                    best = s.rank;
                    at = i;
                }
            }
            if best == NONE {
                break;
            }
            let right = syms.remove(at + 1);
            let id = syms[at].merged;
            syms[at].id = id;
            syms[at].end = right.end;
            (syms[at].rank, syms[at].merged) = match syms.get(at + 1) {
                Some(next) => self.rank(id, next.id),
                None => (NONE, NONE),
            };
            if at > 0 {
                (syms[at - 1].rank, syms[at - 1].merged) = self.rank(syms[at - 1].id, syms[at].id);
            }
        }
    }

    /// Long words (e.g. a megabyte without spaces): a heap of (rank, position) over a linked
    /// list of symbols, O(n log n). Same order as `merge_linear`: lowest rank, then leftmost.
    fn merge_heap(
        &self,
        syms: &mut Vec<Sym>,
        heap: &mut BinaryHeap<Reverse<(u32, u32)>>,
        next: &mut Vec<u32>,
    ) {
        let n = syms.len();
        heap.clear();
        next.clear();
        next.extend((1..=n as u32).map(|i| if i as usize == n { NONE } else { i }));
        let mut prev: Vec<u32> = (0..n as u32).map(|i| i.wrapping_sub(1)).collect();
        prev[0] = NONE;
        for i in 0..n - 1 {
            let (rank, _) = self.rank(syms[i].id, syms[i + 1].id);
            if rank != NONE {
                heap.push(Reverse((rank, i as u32)));
            }
        }
        while let Some(Reverse((rank, pos))) = heap.pop() {
            let p = pos as usize;
            let q = next[p];
            // Skip entries made stale by earlier merges: removed symbol, no right neighbour,
            // or a different pair at this position now.
            if syms[p].id == NONE || q == NONE {
                continue;
            }
            let q = q as usize;
            let (r, merged) = self.rank(syms[p].id, syms[q].id);
            if r != rank {
                continue;
            }
            syms[p].id = merged;
            syms[p].end = syms[q].end;
            syms[q].id = NONE;
            next[p] = next[q];
            if next[p] != NONE {
                prev[next[p] as usize] = pos;
            }
            if prev[p] != NONE {
                let (r, _) = self.rank(syms[prev[p] as usize].id, merged);
                if r != NONE {
                    heap.push(Reverse((r, prev[p])));
                }
            }
            if next[p] != NONE {
                let (r, _) = self.rank(merged, syms[next[p] as usize].id);
                if r != NONE {
                    heap.push(Reverse((r, pos)));
                }
            }
        }
        syms.retain(|s| s.id != NONE);
    }
}

fn pack(left: u32, right: u32) -> u64 {
    (u64::from(left) << 32) | u64::from(right)
}

#[derive(Debug, Clone, Copy)]
struct Sym {
    id: u32,
    start: u32,
    end: u32,
    rank: u32,
    merged: u32,
}

/// Words with more symbols than this use the heap algorithm.
const LINEAR_MAX_SYMBOLS: usize = 64;

/// Per-thread buffers reused across words: no allocation per word.
#[derive(Default)]
struct Scratch {
    syms: Vec<Sym>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
    next: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Words longer than this (bytes) bypass the cache: they are rare and would bloat it.
const CACHE_MAX_WORD_LEN: usize = 48;
const CACHE_SHARDS: usize = 64;
const CACHE_SHARD_CAPACITY: usize = 2048;

type Shard = RwLock<FxHashMap<Box<str>, Box<[Token]>>>;

/// word -> tokens, shared by all threads: sharded by hash so that concurrent readers and
/// writers rarely meet on one lock. A full shard stops taking new words (the frequent words
/// come early and stay).
struct WordCache {
    shards: Box<[Shard]>,
}

impl Default for WordCache {
    fn default() -> Self {
        WordCache {
            shards: (0..CACHE_SHARDS).map(|_| RwLock::default()).collect(),
        }
    }
}

impl Clone for WordCache {
    /// A clone starts with an empty cache.
    fn clone(&self) -> Self {
        WordCache::default()
    }
}

impl std::fmt::Debug for WordCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len: usize = self
            .shards
            .iter()
            .map(|s| s.read().map(|m| m.len()).unwrap_or(0))
            .sum();
        write!(f, "WordCache({len} words)")
    }
}

impl WordCache {
    fn shard(&self, hash: u64) -> &Shard {
        &self.shards[(hash >> 58) as usize % CACHE_SHARDS]
    }

    /// Appends the cached tokens of `word` to `out`; false when not cached.
    fn get(&self, hash: u64, word: &str, out: &mut Vec<Token>) -> bool {
        let Ok(map) = self.shard(hash).read() else {
            return false;
        };
        match map.get(word) {
            Some(tokens) => {
                out.extend_from_slice(tokens);
                true
            }
            None => false,
        }
    }

    fn insert(&self, hash: u64, word: &str, tokens: &[Token]) {
        let Ok(mut map) = self.shard(hash).write() else {
            return;
        };
        if map.len() < CACHE_SHARD_CAPACITY {
            map.insert(word.into(), tokens.into());
        }
    }

    fn clear(&self) {
        for shard in self.shards.iter() {
            if let Ok(mut map) = shard.write() {
                map.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn byte_vocab() -> Vec<String> {
        bytes_to_unicode().iter().map(|c| c.to_string()).collect()
    }

    fn model(merges: &[(&str, &str)]) -> Bpe {
        let mut vocab = byte_vocab();
        for (a, b) in merges {
            vocab.push(format!("{a}{b}"));
        }
        let merges = merges
            .iter()
            .map(|&(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        Bpe::new(vocab, merges).unwrap()
    }

    fn tokens(m: &Bpe, word: &str) -> Vec<(String, u32, u32)> {
        let mut out = Vec::new();
        m.tokenize(word, &mut out);
        out.iter()
            .map(|t| (m.vocab[t.id as usize].clone(), t.start, t.end))
            .collect()
    }

    fn strings(m: &Bpe, word: &str) -> Vec<String> {
        tokens(m, word).into_iter().map(|t| t.0).collect()
    }

    #[test]
    fn merges_by_rank_not_in_list_order_per_position() {
        // Ranks: (b,c)=0, (a,b)=1, (a,bc)=2. "abc": b+c first (rank 0) -> a bc -> abc.
        // Applying the leftmost pair first would give "ab c" and no further merge.
        let m = model(&[("b", "c"), ("a", "b"), ("a", "bc")]);
        assert_eq!(strings(&m, "abc"), ["abc"]);
        // "abab": (a,b) rank 1 at positions 0 and 2; leftmost first, then the other.
        assert_eq!(strings(&m, "abab"), ["ab", "ab"]);
        // "cab": only (a,b).
        assert_eq!(strings(&m, "cab"), ["c", "ab"]);
    }

    #[test]
    fn ties_merge_leftmost_first() {
        // "aaa" with (a,a): leftmost pair merges first -> "aa a", not "a aa".
        let m = model(&[("a", "a")]);
        assert_eq!(
            tokens(&m, "aaa"),
            [("aa".to_owned(), 0, 2), ("a".to_owned(), 2, 3)]
        );
    }

    #[test]
    fn byte_spans_and_multibyte_chars() {
        // "é" is bytes C3 A9 -> symbols "Ã" "©"; merged, its span is 0..2 of the word.
        let m = model(&[("Ã", "©"), ("Ġ", "Ã©")]);
        assert_eq!(tokens(&m, " é"), [("ĠÃ©".to_owned(), 0, 3)]);
        // Unmerged bytes of a 4-byte emoji: four tokens of one byte each.
        let spans: Vec<(u32, u32)> = tokens(&m, "😀").iter().map(|t| (t.1, t.2)).collect();
        assert_eq!(spans, [(0, 1), (1, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn cached_and_uncached_results_agree() {
        let m = model(&[("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o")]);
        let first = tokens(&m, "hello");
        let second = tokens(&m, "hello");
        assert_eq!(first, second);
        assert_eq!(first, [("hello".to_owned(), 0, 5)]);
        let long = "hello".repeat(20);
        assert_eq!(strings(&m, &long), vec!["hello"; 20]);
        m.clear_cache();
        assert_eq!(tokens(&m, "hello"), first);
    }

    #[test]
    fn tokenize_from_many_threads() {
        use rayon::prelude::*;
        let m = model(&[("a", "b"), ("ab", "c")]);
        let words: Vec<String> = (0..5000).map(|i| format!("abc{}", i % 50)).collect();
        let results: Vec<Vec<(String, u32, u32)>> =
            words.par_iter().map(|w| tokens(&m, w)).collect();
        for (w, r) in words.iter().zip(&results) {
            assert_eq!(r[0], ("abc".to_owned(), 0, 3));
            assert_eq!(r.len(), w.len() - 2);
        }
    }

    #[test]
    fn long_words_merge_as_short_ones() {
        // The heap algorithm (long words) against the linear one on the same symbols: random
        // words over a small alphabet, a model with many overlapping merges.
        let mut merges: Vec<(String, String)> = Vec::new();
        let mut vocab = byte_vocab();
        let mut known: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut state = 0x1234_5678_9abc_def0u64;
        let mut rand = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        while merges.len() < 60 {
            let (a, b) = (
                known[rand(known.len())].clone(),
                known[rand(known.len())].clone(),
            );
            let ab = format!("{a}{b}");
            if ab.len() <= 6 && !vocab.contains(&ab) {
                vocab.push(ab.clone());
                known.push(ab);
                merges.push((a, b));
            }
        }
        let m = Bpe::new(vocab, merges).unwrap();
        for _ in 0..200 {
            let len = 1 + rand(300);
            let word: String = (0..len).map(|_| ['a', 'b', 'c'][rand(3)]).collect();
            let bytes = word.as_bytes();
            let mut linear: Vec<Sym> = bytes
                .iter()
                .enumerate()
                .map(|(i, &b)| Sym {
                    id: m.byte_ids[b as usize],
                    start: i as u32,
                    end: i as u32 + 1,
                    rank: NONE,
                    merged: NONE,
                })
                .collect();
            let mut heap = linear.clone();
            m.merge_linear(&mut linear);
            m.merge_heap(&mut heap, &mut BinaryHeap::new(), &mut Vec::new());
            let ids = |v: &[Sym]| v.iter().map(|s| (s.id, s.start, s.end)).collect::<Vec<_>>();
            assert_eq!(ids(&linear), ids(&heap), "word {word}");
        }
    }

    #[test]
    fn very_long_word() {
        // 200k symbols: the heap path (the linear one would take minutes).
        let m = model(&[("a", "a"), ("aa", "aa")]);
        let word = "a".repeat(200_001);
        let got = tokens(&m, &word);
        assert_eq!(got.len(), 50_001);
        assert!(got[..50_000].iter().all(|t| t.0 == "aaaa"));
        assert_eq!(got[50_000], ("a".to_owned(), 200_000, 200_001));
    }

    #[test]
    fn lookups() {
        let m = model(&[("a", "b")]);
        assert_eq!(m.vocab_size(), 257);
        assert_eq!(m.token_to_id("ab"), Some(256));
        assert_eq!(m.id_to_token(256), Some("ab"));
        assert_eq!(m.token_to_id("zz"), None);
        assert_eq!(m.merge_strings(), [("a".to_owned(), "b".to_owned())]);
    }

    #[test]
    fn errors_name_the_bad_entry() {
        let mut vocab = byte_vocab();
        vocab.push("a".into());
        let err = Bpe::new(vocab, vec![]).unwrap_err();
        assert!(
            matches!(&err, Error::Format(m) if m.contains("\"a\" twice")),
            "{err:?}"
        );

        let err = Bpe::new(byte_vocab(), vec![("a".into(), "b".into())]).unwrap_err();
        assert!(
            matches!(&err, Error::Format(m) if m.contains("\"ab\"")),
            "{err:?}"
        );

        let err = Bpe::new(byte_vocab(), vec![("a".into(), "zz".into())]).unwrap_err();
        assert!(
            matches!(&err, Error::Format(m) if m.contains("#0")),
            "{err:?}"
        );
    }

    #[test]
    fn missing_byte_symbols_are_skipped() {
        let vocab: Vec<String> = ["a", "b", "ab"].map(String::from).to_vec();
        let m = Bpe::new(vocab, vec![("a".into(), "b".into())]).unwrap();
        assert_eq!(tokens(&m, "axb"), [("ab".to_owned(), 0, 3)]);
        assert_eq!(tokens(&m, "xa"), [("a".to_owned(), 1, 2)]);
    }
}
