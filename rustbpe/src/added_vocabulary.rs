//! Special (added) tokens: found first in the raw text (leftmost-longest, Aho-Corasick) and
//! kept atomic; the text between them goes through the normal pipeline.
//!
//! Semantics follow HF's `AddedVocabulary` for tokens with `normalized: false` (the BERT
//! specials): matching happens on the original text, `single_word` rejects matches glued
//! to word characters, `lstrip`/`rstrip` swallow neighbouring whitespace into the token.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::{Error, Result};

/// One added token, with HF's flags (as stored in `tokenizer.json`'s `added_tokens`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedToken {
    pub id: u32,
    pub content: String,
    pub single_word: bool,
    pub lstrip: bool,
    pub rstrip: bool,
    pub normalized: bool,
    pub special: bool,
}

impl AddedToken {
    /// A special token as bertbench trains them: atomic, matched on the raw text.
    pub fn special(id: u32, content: &str) -> Self {
        AddedToken {
            id,
            content: content.to_owned(),
            single_word: false,
            lstrip: false,
            rstrip: false,
            normalized: false,
            special: true,
        }
    }
}

/// A piece of the input: either plain text for the pipeline, or one added token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    Text { start: usize, end: usize },
    Added { id: u32, start: usize, end: usize },
}

/// Aho-Corasick over some of the tokens; `which[pattern]` is the token's index.
#[derive(Debug, Clone)]
struct Matcher {
    automaton: AhoCorasick,
    which: Vec<usize>,
}

impl Matcher {
    /// None when there is no (non-empty) pattern.
    fn build(patterns: Vec<(usize, String)>) -> Result<Option<Self>> {
        let patterns: Vec<(usize, String)> = patterns
            .into_iter()
            .filter(|(_, p)| !p.is_empty())
            .collect();
        if patterns.is_empty() {
            return Ok(None);
        }
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(patterns.iter().map(|(_, p)| p.as_bytes()))
            .map_err(|e| Error::Invalid(format!("cannot index the added tokens: {e}")))?;
        Ok(Some(Matcher {
            automaton,
            which: patterns.into_iter().map(|(i, _)| i).collect(),
        }))
    }
}

#[derive(Debug, Clone, Default)]
pub struct AddedVocabulary {
    /// In id order.
    tokens: Vec<AddedToken>,
    /// What `id_to_token` says for each token: its content, normalized for `normalized: true`
    /// tokens once `normalize_patterns` ran (HF does the same, and decodes that form).
    names: Vec<String>,
    /// Tokens with `normalized: false`, matched on the raw text.
    raw: Option<Matcher>,
    /// Tokens with `normalized: true`, matched (in their normalized form) on the normalized
    /// text between the raw matches, as HF does.
    normalized: Option<Matcher>,
}

impl AddedVocabulary {
    /// Errors (`Error::Format`) on an empty token or two tokens with the same content or id.
    pub fn new(mut tokens: Vec<AddedToken>) -> Result<Self> {
        tokens.sort_by_key(|t| t.id);
        for (i, t) in tokens.iter().enumerate() {
            if t.content.is_empty() {
                return Err(Error::Format(format!(
                    "added token with id {} is empty",
                    t.id
                )));
            }
            if let Some(prev) = tokens[..i]
                .iter()
                .find(|p| p.id == t.id || p.content == t.content)
            {
                return Err(Error::Format(format!(
                    "added tokens {:?} (id {}) and {:?} (id {}) clash: contents and ids must be unique",
                    prev.content, prev.id, t.content, t.id
                )));
            }
        }
        let patterns = |normalized: bool| -> Vec<(usize, String)> {
            tokens
                .iter()
                .enumerate()
                .filter(|(_, t)| t.normalized == normalized)
                .map(|(i, t)| (i, t.content.clone()))
                .collect()
        };
        let raw = Matcher::build(patterns(false))?;
        let normalized = Matcher::build(patterns(true))?;
        let names = tokens.iter().map(|t| t.content.clone()).collect();
        Ok(AddedVocabulary {
            tokens,
            names,
            raw,
            normalized,
        })
    }

    /// Matches the `normalized: true` tokens by their normalized form (HF normalizes the
    /// patterns with the tokenizer's normalizer).
    pub fn normalize_patterns(&mut self, normalize: impl Fn(&str) -> String) -> Result<()> {
        let mut patterns = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            if t.normalized {
                self.names[i] = normalize(&t.content);
                patterns.push((i, self.names[i].clone()));
            }
        }
        self.normalized = Matcher::build(patterns)?;
        Ok(())
    }

    /// The name `id_to_token` gives an added token (see `names`).
    pub fn name(&self, id: u32) -> Option<&str> {
        self.tokens
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| self.names[i].as_str())
    }

    /// Whether some tokens are matched on normalized text (`split_normalized` has work).
    pub fn has_normalized(&self) -> bool {
        self.normalized.is_some()
    }

    pub fn tokens(&self) -> &[AddedToken] {
        &self.tokens
    }

    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    pub fn get(&self, id: u32) -> Option<&AddedToken> {
        self.tokens
            .binary_search_by_key(&id, |t| t.id)
            .ok()
            .map(|i| &self.tokens[i])
    }

    pub fn token_to_id(&self, content: &str) -> Option<u32> {
        self.tokens
            .iter()
            .find(|t| t.content == content)
            .map(|t| t.id)
    }

    pub fn is_special(&self, id: u32) -> bool {
        self.get(id).is_some_and(|t| t.special)
    }

    /// Largest id + 1 (0 when empty).
    pub fn id_end(&self) -> usize {
        self.tokens.last().map_or(0, |t| t.id as usize + 1)
    }

    /// Splits raw `text` on the `normalized: false` tokens into segments covering it entirely
    /// (empty text: no segment).
    pub fn split(&self, text: &str, out: &mut Vec<Segment>) {
        self.split_with(self.raw.as_ref(), text, out)
    }

    /// Splits normalized `text` on the `normalized: true` tokens.
    pub fn split_normalized(&self, text: &str, out: &mut Vec<Segment>) {
        self.split_with(self.normalized.as_ref(), text, out)
    }

    fn split_with(&self, matcher: Option<&Matcher>, text: &str, out: &mut Vec<Segment>) {
        let Some(matcher) = matcher else {
            if !text.is_empty() {
                out.push(Segment::Text {
                    start: 0,
                    end: text.len(),
                });
            }
            return;
        };
        let mut done = 0;
        for m in matcher.automaton.find_iter(text) {
            let token = &self.tokens[matcher.which[m.pattern().as_usize()]];
            let (mut start, mut end) = (m.start(), m.end());
            if token.single_word {
                let glued_left = text[..start].chars().next_back().is_some_and(is_word_char);
                let glued_right = text[end..].chars().next().is_some_and(is_word_char);
                if glued_left || glued_right {
                    continue;
                }
            }
            if token.lstrip {
                let trimmed = text[..start].trim_end_matches(char::is_whitespace).len();
                // Spaces already taken by the previous match stay there.
                start = trimmed.max(done);
            }
            if token.rstrip {
                end = text.len() - text[end..].trim_start_matches(char::is_whitespace).len();
            }
            if start < done {
                // Only possible after an rstrip swallowed the start of this match.
                continue;
            }
            if done < start {
                out.push(Segment::Text {
                    start: done,
                    end: start,
                });
            }
            out.push(Segment::Added {
                id: token.id,
                start,
                end,
            });
            done = end;
        }
        if done < text.len() {
            out.push(Segment::Text {
                start: done,
                end: text.len(),
            });
        }
    }
}

/// `\w` of the regex crate that HF uses (alphanumeric, marks, connector punctuation).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab(tokens: &[&str]) -> AddedVocabulary {
        let list = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| AddedToken::special(i as u32, t))
            .collect();
        AddedVocabulary::new(list).unwrap()
    }

    fn pieces<'a>(v: &AddedVocabulary, text: &'a str) -> Vec<(Option<u32>, &'a str)> {
        let mut out = Vec::new();
        v.split(text, &mut out);
        out.iter()
            .map(|s| match *s {
                Segment::Text { start, end } => (None, &text[start..end]),
                Segment::Added { id, start, end } => (Some(id), &text[start..end]),
            })
            .collect()
    }

    #[test]
    fn specials_are_atomic_anywhere() {
        let v = vocab(&["[CLS]", "[SEP]", "[MASK]"]);
        assert_eq!(
            pieces(&v, "[CLS]a[MASK]b [SEP]"),
            vec![
                (Some(0), "[CLS]"),
                (None, "a"),
                (Some(2), "[MASK]"),
                (None, "b "),
                (Some(1), "[SEP]")
            ]
        );
        assert_eq!(pieces(&v, ""), vec![]);
        assert_eq!(pieces(&v, "plain"), vec![(None, "plain")]);
    }

    #[test]
    fn leftmost_longest_wins() {
        let v = vocab(&["<a>", "<a><b>", "b"]);
        assert_eq!(
            pieces(&v, "x<a><b>b"),
            vec![(None, "x"), (Some(1), "<a><b>"), (Some(2), "b")]
        );
    }

    #[test]
    fn strip_and_single_word_flags() {
        let mut mask = AddedToken::special(0, "<mask>");
        mask.lstrip = true;
        mask.rstrip = true;
        let mut word = AddedToken::special(1, "hi");
        word.single_word = true;
        let v = AddedVocabulary::new(vec![mask, word]).unwrap();
        assert_eq!(
            pieces(&v, "a  <mask> b"),
            vec![(None, "a"), (Some(0), "  <mask> "), (None, "b")]
        );
        assert_eq!(
            pieces(&v, "chip hi"),
            vec![(None, "chip "), (Some(1), "hi")]
        );
    }

    #[test]
    fn normalized_tokens_match_in_a_second_pass() {
        let mut day = AddedToken::special(1, "Day");
        day.normalized = true;
        day.special = false;
        let mut v = AddedVocabulary::new(vec![AddedToken::special(0, "[DAY]"), day]).unwrap();
        // Raw pass: only "[DAY]"; "Day" waits for the normalized text.
        assert_eq!(
            pieces(&v, "[DAY] Day"),
            vec![(Some(0), "[DAY]"), (None, " Day")]
        );
        v.normalize_patterns(|s| s.to_lowercase()).unwrap();
        let mut out = Vec::new();
        v.split_normalized("a day", &mut out);
        assert_eq!(
            (v.name(1), v.get(1).map(|t| t.content.as_str())),
            (Some("day"), Some("Day"))
        );
        assert_eq!(
            out,
            vec![
                Segment::Text { start: 0, end: 2 },
                Segment::Added {
                    id: 1,
                    start: 2,
                    end: 5
                }
            ]
        );
        // A pattern that normalizes to nothing never matches.
        v.normalize_patterns(|_| String::new()).unwrap();
        assert!(!v.has_normalized());
    }

    #[test]
    fn duplicates_are_rejected() {
        let err = AddedVocabulary::new(vec![
            AddedToken::special(0, "x"),
            AddedToken::special(1, "x"),
        ]);
        assert!(matches!(err, Err(Error::Format(m)) if m.contains("clash")));
    }
}
