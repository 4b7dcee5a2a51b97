//! WordPiece: greedy longest-match-first over the vocab; pieces after the first carry the
//! continuation prefix (`##`). A word longer than `max_input_chars_per_word` characters, or
//! one with an unmatched remainder, becomes a single `[UNK]`.

use super::Token;
use crate::Error;
use rustc_hash::FxHashMap;

#[derive(Debug, Clone)]
pub struct WordPiece {
    /// id -> token string.
    pub vocab: Vec<String>,
    pub unk_token: String,
    pub continuing_subword_prefix: String,
    pub max_input_chars_per_word: usize,
    /// token -> id.
    ids: PieceMap,
    /// For tokens that start with the prefix: the rest of the token -> id, so that a
    /// non-initial piece is looked up on a slice of the word with no string building.
    continuations: PieceMap,
    unk_id: u32,
}

/// String -> id map tuned for short keys: keys of up to 15 bytes are packed into one
/// integer (bytes + length), so a lookup hashes and compares a `u128` and follows no
/// pointer; longer keys go to a plain map. Also knows its longest key, since longer
/// candidates cannot match.
#[derive(Debug, Clone, Default)]
struct PieceMap {
    short: FxHashMap<u128, u32>,
    long: FxHashMap<String, u32>,
    max_len: usize,
}

impl PieceMap {
    /// The key as bytes 0..n of a `u128` with n in byte 15, for n <= 15. Built from a few
    /// overlapping fixed-size loads (overlapping bytes are equal, so OR-ing them is exact)
    /// rather than a variable-length copy.
    #[inline]
    fn pack(key: &str) -> Option<u128> {
        let b = key.as_bytes();
        let n = b.len();
        let bytes = if n >= 8 {
            if n > 15 {
                return None;
            }
            let lo = u64::from_le_bytes(b[..8].try_into().ok()?);
            let hi = u64::from_le_bytes(b[n - 8..].try_into().ok()?);
            u128::from(lo) | (u128::from(hi) << (8 * (n - 8)))
        } else if n >= 4 {
            let lo = u32::from_le_bytes(b[..4].try_into().ok()?);
            let hi = u32::from_le_bytes(b[n - 4..].try_into().ok()?);
            u128::from(lo) | (u128::from(hi) << (8 * (n - 4)))
        } else if n > 0 {
            // n = 1..3: bytes 0, n/2 and n-1 cover every position.
            u128::from(b[0])
                | (u128::from(b[n / 2]) << (8 * (n / 2)))
                | (u128::from(b[n - 1]) << (8 * (n - 1)))
        } else {
            0
        };
        Some(bytes | ((n as u128) << 120))
    }

    /// Inserts, returning the id already there for this key, if any.
    fn insert(&mut self, key: &str, id: u32) -> Option<u32> {
        self.max_len = self.max_len.max(key.len());
        match Self::pack(key) {
            Some(k) => self.short.insert(k, id),
            None => self.long.insert(key.to_owned(), id),
        }
    }

    #[inline]
    fn get(&self, key: &str) -> Option<u32> {
        match Self::pack(key) {
            Some(k) => self.short.get(&k).copied(),
            None => self.long.get(key).copied(),
        }
    }
}

impl WordPiece {
    /// Errors (`Error::Format`/`Error::Invalid`) on duplicate tokens or an unk token missing from vocab.
    pub fn new(
        vocab: Vec<String>,
        unk_token: String,
        continuing_subword_prefix: String,
        max_input_chars_per_word: usize,
    ) -> crate::Result<Self> {
        let mut ids = PieceMap::default();
        let mut continuations = PieceMap::default();
        for (id, token) in vocab.iter().enumerate() {
            let id = u32::try_from(id).map_err(|_| {
                Error::Invalid(format!(
                    "WordPiece vocabulary too large: {} tokens",
                    vocab.len()
                ))
            })?;
            if let Some(first) = ids.insert(token, id) {
                return Err(Error::Format(format!(
                    "WordPiece vocabulary has the token {token:?} twice (ids {first} and {id}); \
                     each token must appear exactly once"
                )));
            }
            if let Some(rest) = token.strip_prefix(continuing_subword_prefix.as_str()) {
                continuations.insert(rest, id);
            }
        }
        let unk_id = ids.get(&unk_token).ok_or_else(|| {
            Error::Invalid(format!(
                "the unknown token {unk_token:?} is not in the WordPiece vocabulary ({} tokens); \
                 add it to the vocabulary or name the unknown token it uses",
                vocab.len()
            ))
        })?;
        Ok(WordPiece {
            vocab,
            unk_token,
            continuing_subword_prefix,
            max_input_chars_per_word,
            ids,
            continuations,
            unk_id,
        })
    }

    pub fn unk_id(&self) -> u32 {
        self.unk_id
    }

    pub fn tokenize(&self, word: &str, out: &mut Vec<Token>) {
        if word.is_empty() {
            return;
        }
        let whole = Token {
            id: self.unk_id,
            start: 0,
            end: word.len() as u32,
        };
        // Bytes >= chars, so only long words need counting.
        if word.len() > self.max_input_chars_per_word
            && word.chars().count() > self.max_input_chars_per_word
        {
            out.push(whole);
            return;
        }
        let first = out.len();
        let mut start = 0;
        while start < word.len() {
            let table = if start == 0 {
                &self.ids
            } else {
                &self.continuations
            };
            let mut end = floor_char_boundary(word, (start + table.max_len).min(word.len()));
            let mut found = None;
            while end > start {
                if let Some(id) = table.get(&word[start..end]) {
                    found = Some(id);
                    break;
                }
                end = floor_char_boundary(word, end - 1);
            }
            match found {
                Some(id) => out.push(Token {
                    id,
                    start: start as u32,
                    end: end as u32,
                }),
                None => {
                    // Unmatched remainder: the whole word is unknown.
                    out.truncate(first);
                    out.push(whole);
                    return;
                }
            }
            start = end;
        }
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.ids.get(token)
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.vocab.get(id as usize).map(String::as_str)
    }

    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }
}

/// The largest char boundary of `s` at or below `i` (`str::floor_char_boundary` is unstable).
#[inline]
fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(tokens: &[&str], max_chars: usize) -> WordPiece {
        WordPiece::new(
            tokens.iter().map(|t| t.to_string()).collect(),
            "[UNK]".into(),
            "##".into(),
            max_chars,
        )
        .unwrap()
    }

    fn pieces(m: &WordPiece, word: &str) -> Vec<(String, u32, u32)> {
        let mut out = Vec::new();
        m.tokenize(word, &mut out);
        out.iter()
            .map(|t| (m.id_to_token(t.id).unwrap().to_owned(), t.start, t.end))
            .collect()
    }

    fn p(tok: &str, s: u32, e: u32) -> (String, u32, u32) {
        (tok.to_owned(), s, e)
    }

    #[test]
    fn greedy_longest_match_first() {
        let m = model(
            &["[UNK]", "a", "ab", "##b", "##bc", "##c", "##cd", "##d"],
            100,
        );
        // "ab" beats "a"; then "##cd" beats "##c".
        assert_eq!(pieces(&m, "abcd"), vec![p("ab", 0, 2), p("##cd", 2, 4)]);
        // Greedy, not optimal: "a" + "##bc" + "##d" after "ab" is not possible here.
        assert_eq!(pieces(&m, "abc"), vec![p("ab", 0, 2), p("##c", 2, 3)]);
        assert_eq!(pieces(&m, "a"), vec![p("a", 0, 1)]);
        let m = model(&["[UNK]", "a", "##b", "##bc", "##d"], 100);
        assert_eq!(
            pieces(&m, "abcd"),
            vec![p("a", 0, 1), p("##bc", 1, 3), p("##d", 3, 4)]
        );
    }

    #[test]
    fn unmatched_remainder_makes_the_whole_word_unknown() {
        let m = model(&["[UNK]", "ba", "##na"], 100);
        assert_eq!(
            pieces(&m, "banana"),
            vec![p("ba", 0, 2), p("##na", 2, 4), p("##na", 4, 6)]
        );
        // "na" is only a continuation, never a word start.
        assert_eq!(pieces(&m, "nanana"), vec![p("[UNK]", 0, 6)]);
        // Remainder "x" unmatched after two pieces: one [UNK] for the whole word.
        assert_eq!(pieces(&m, "banax"), vec![p("[UNK]", 0, 5)]);
    }

    #[test]
    fn too_long_words_count_characters_not_bytes() {
        let m = model(&["[UNK]", "é", "##é"], 3);
        // 3 chars (6 bytes) is within the limit.
        assert_eq!(
            pieces(&m, "ééé"),
            vec![p("é", 0, 2), p("##é", 2, 4), p("##é", 4, 6)]
        );
        assert_eq!(pieces(&m, "éééé"), vec![p("[UNK]", 0, 8)]);
    }

    #[test]
    fn multibyte_pieces_split_on_char_boundaries() {
        let m = model(&["[UNK]", "日", "##本", "##本語"], 100);
        assert_eq!(pieces(&m, "日本語"), vec![p("日", 0, 3), p("##本語", 3, 9)]);
        assert_eq!(pieces(&m, "日本"), vec![p("日", 0, 3), p("##本", 3, 6)]);
    }

    #[test]
    fn long_tokens_and_trailing_nul_bytes_are_distinct_keys() {
        // 15 bytes and less are packed into integers, longer ones are not: both must match,
        // and "a" must not match "a\0".
        let long = "abcdefghijklmnopqrstuvwxyz";
        let m = model(
            &[
                "[UNK]",
                long,
                "##\0",
                "a",
                "abcdefghijklmno",
                "##pqrstuvwxyz0123",
            ],
            100,
        );
        assert_eq!(pieces(&m, long), vec![p(long, 0, 26)]);
        // Greedy takes the 26-byte token first and never backtracks: "0123" is left over.
        assert_eq!(
            pieces(&m, "abcdefghijklmnopqrstuvwxyz0123"),
            vec![p("[UNK]", 0, 30)]
        );
        // A continuation longer than 15 bytes after a 15-byte (packed) initial piece.
        let m2 = model(&["[UNK]", "abcdefghijklmno", "##pqrstuvwxyz012345"], 100);
        assert_eq!(
            pieces(&m2, "abcdefghijklmnopqrstuvwxyz012345"),
            vec![
                p("abcdefghijklmno", 0, 15),
                p("##pqrstuvwxyz012345", 15, 32)
            ]
        );
        assert_eq!(pieces(&m, "a\0"), vec![p("a", 0, 1), p("##\0", 1, 2)]);
        assert_eq!(m.token_to_id("a\0"), None);
        assert_eq!(m.token_to_id("a"), Some(3));
    }

    #[test]
    fn piece_map_keys_of_every_length_are_distinct() {
        // Every prefix of a string (lengths 0..=20, across the packed/unpacked boundary and the
        // overlapping-load cases) finds its own id; the same prefix with any one byte changed
        // finds nothing.
        let text = "abcdefghijklmnopqrst";
        let mut map = PieceMap::default();
        for n in 0..=text.len() {
            assert_eq!(map.insert(&text[..n], n as u32), None);
        }
        for n in 0..=text.len() {
            assert_eq!(map.get(&text[..n]), Some(n as u32));
            for i in 0..n {
                let mut changed = text[..n].to_owned().into_bytes();
                changed[i] = b'Z';
                assert_eq!(
                    map.get(std::str::from_utf8(&changed).unwrap()),
                    None,
                    "{n} {i}"
                );
            }
        }
        assert_eq!(map.max_len, 20);
    }

    #[test]
    fn appends_after_existing_tokens() {
        let m = model(&["[UNK]", "a"], 100);
        let mut out = vec![Token {
            id: 0,
            start: 0,
            end: 0,
        }];
        m.tokenize("ax", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1],
            Token {
                id: 0,
                start: 0,
                end: 2
            }
        );
        m.tokenize("", &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn lookups() {
        let m = model(&["[UNK]", "a", "##a"], 100);
        assert_eq!(m.token_to_id("##a"), Some(2));
        assert_eq!(m.token_to_id("b"), None);
        assert_eq!(m.id_to_token(1), Some("a"));
        assert_eq!(m.id_to_token(3), None);
        assert_eq!(m.vocab_size(), 3);
        assert_eq!(m.unk_id(), 0);
    }

    #[test]
    fn duplicate_tokens_and_missing_unk_are_errors() {
        let err = WordPiece::new(
            vec!["[UNK]".into(), "a".into(), "a".into()],
            "[UNK]".into(),
            "##".into(),
            100,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::Format(_)));
        assert!(
            msg.contains("\"a\"") && msg.contains("ids 1 and 2"),
            "{msg}"
        );
        let err = WordPiece::new(vec!["a".into()], "[UNK]".into(), "##".into(), 100).unwrap_err();
        assert!(matches!(err, Error::Invalid(_)));
        assert!(err.to_string().contains("\"[UNK]\""), "{err}");
    }
}
