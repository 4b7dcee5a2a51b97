//! BERT's pre-tokenizer, as HF `BertPreTokenizer`: split on whitespace (dropped) and
//! isolate every punctuation character (kept as its own word).

use crate::normalizers::bert::classes::{is_bert_punc, is_bert_whitespace};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BertPreTokenizer;

/// Class of an ASCII byte: part of a word, whitespace (dropped) or punctuation (isolated).
const WORD: u8 = 0;
const SPACE: u8 = 1;
const PUNC: u8 = 2;

const ASCII_CLASS: [u8; 128] = {
    let mut class = [WORD; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        // Rust's `char::is_whitespace` for ASCII: space and \t \n \x0b \x0c \r.
        if byte == b' ' || (byte >= 0x09 && byte <= 0x0d) {
            class[b] = SPACE;
        } else if byte.is_ascii_punctuation() {
            class[b] = PUNC;
        }
        b += 1;
    }
    class
};

impl BertPreTokenizer {
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        let bytes = text.as_bytes();
        // Start of the current word, if one is open.
        let mut word: Option<usize> = None;
        let mut pos = 0;
        while pos < bytes.len() {
            let b = bytes[pos];
            // ASCII bytes are classified by table; others decode one char.
            let (len, class) = if b < 0x80 {
                (1, ASCII_CLASS[usize::from(b)])
            } else {
                let c = text[pos..].chars().next().unwrap_or_default();
                let class = if is_bert_whitespace(c) {
                    SPACE
                } else if is_bert_punc(c) {
                    PUNC
                } else {
                    WORD
                };
                (c.len_utf8(), class)
            };
            if class == WORD {
                word.get_or_insert(pos);
            } else {
                if let Some(start) = word.take() {
                    out.push((start, pos));
                }
                if class == PUNC {
                    out.push((pos, pos + len));
                }
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
