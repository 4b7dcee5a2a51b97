//! Byte-level BPE: a word's UTF-8 bytes start as single-byte symbols and are merged by
//! rank (lowest first) until no known merge applies. Results are cached per word.

use std::cell::RefCell;
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
        let mut merge_ids = Vec::with_capacity(merges.len());
        for (rank, (left, right)) in merges.iter().enumerate() {
            let id = |token: &str| {
                ids.get(token).copied().ok_or_else(|| {
                    Error::Format(format!(
                        "BPE merge #{rank} ({left:?}, {right:?}) uses the token {token:?}, \
                         which is not in the vocab"
                    ))
                })
            };
            let (l, r) = (id(left)?, id(right)?);
            let merged = id(&format!("{left}{right}"))?;
            // Like HF, a pair listed twice keeps its last rank.
            ranks.insert(pack(l, r), (rank as u32, merged));
            merge_ids.push((l, r));
        }
        Ok(Bpe {
            vocab,
            merges: merge_ids,
            ids,
            byte_ids,
            ranks,
            cache: WordCache::default(),
        })
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
            let mut syms = cell.borrow_mut();
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
                let s = &mut syms[at];
                s.id = s.merged;
                s.end = right.end;
                (s.rank, s.merged) = (right.rank, right.merged);
                if at + 1 < syms.len() {
                    (syms[at].rank, syms[at].merged) = self.rank(syms[at].id, syms[at + 1].id);
                } else {
                    (syms[at].rank, syms[at].merged) = (NONE, NONE);
                }
                if at > 0 {
                    (syms[at - 1].rank, syms[at - 1].merged) =
                        self.rank(syms[at - 1].id, syms[at].id);
                }
            }
            out.extend(syms.iter().map(|s| Token {
                id: s.id,
                start: s.start,
                end: s.end,
            }));
        });
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

thread_local! {
    /// Reused symbol buffer: no allocation per word.
    static SCRATCH: RefCell<Vec<Sym>> = const { RefCell::new(Vec::new()) };
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
