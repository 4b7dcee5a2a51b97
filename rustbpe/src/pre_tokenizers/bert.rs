//! BERT's pre-tokenizer, as HF `BertPreTokenizer`: split on whitespace (dropped) and
//! isolate every punctuation character (kept as its own word).

use crate::normalizers::bert::classes::{is_bert_punc, is_bert_whitespace};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BertPreTokenizer;

impl BertPreTokenizer {
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        let bytes = text.as_bytes();
        // Start of the current word, if one is open.
        let mut word: Option<usize> = None;
        let mut pos = 0;
        while pos < bytes.len() {
            let b = bytes[pos];
            // ASCII bytes are classified without decoding; others decode one char.
            let (len, space, punc) = if b < 0x80 {
                (
                    1,
                    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c),
                    b.is_ascii_punctuation(),
                )
            } else {
                let c = text[pos..].chars().next().unwrap_or_default();
                (c.len_utf8(), is_bert_whitespace(c), is_bert_punc(c))
            };
            if space || punc {
                if let Some(start) = word.take() {
                    out.push((start, pos));
                }
                if punc {
                    out.push((pos, pos + len));
                }
            } else if word.is_none() {
                word = Some(pos);
            }
            pos += len;
        }
        if let Some(start) = word {
            out.push((start, bytes.len()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        BertPreTokenizer.split(text, &mut spans);
        spans.iter().map(|&(s, e)| &text[s..e]).collect()
    }

    #[test]
    fn splits_on_whitespace_and_isolates_punctuation() {
        assert_eq!(
            words("Hey friend!     How are you?!?"),
            vec!["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"]
        );
        let mut spans = Vec::new();
        BertPreTokenizer.split("a-b  c.", &mut spans);
        assert_eq!(spans, vec![(0, 1), (1, 2), (2, 3), (5, 6), (6, 7)]);
    }

    #[test]
    fn ascii_symbols_count_as_punctuation() {
        // `$`, `+`, `^`, `|`, `~` are symbols in Unicode but ASCII punctuation for BERT.
        assert_eq!(
            words("a$b+c^d|e~f"),
            vec!["a", "$", "b", "+", "c", "^", "d", "|", "e", "~", "f"]
        );
    }

    #[test]
    fn unicode_punctuation_and_whitespace() {
        // « » (Pi/Pf), — (Pd), 。(Po) are punctuation; € (Sc) and emoji are not.
        assert_eq!(
            words("«hi»—x。€5 😀!"),
            vec!["«", "hi", "»", "—", "x", "。", "€5", "😀", "!"]
        );
        // No-break space and ideographic space separate words.
        assert_eq!(
            words("a\u{a0}b\u{3000}c\u{2029}d"),
            vec!["a", "b", "c", "d"]
        );
    }

    #[test]
    fn empty_and_blank_text_give_no_words() {
        assert!(words("").is_empty());
        assert!(words(" \t\n ").is_empty());
    }
}
