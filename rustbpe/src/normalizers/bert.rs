//! BERT's normalizer, as HF `BertNormalizer`: clean control characters, put spaces around
//! CJK ideographs, lowercase, NFD + strip accents. Each step can be switched off.
//!
//! HF applies the steps one after another over the whole string; every step maps one
//! character to zero or more characters independently of its neighbours, so we run the
//! whole chain per character in one pass and record, for each output byte, the byte span
//! of the original character it came from (HF's alignments).

use super::Normalized;
pub(crate) mod classes;

use classes::{is_bert_control, is_bert_whitespace, is_chinese_char, is_nonspacing_mark};
use unicode_normalization::char::decompose_canonical;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BertNormalizer {
    pub clean_text: bool,
    pub handle_chinese_chars: bool,
    /// `None` follows `lowercase`, as in HF.
    pub strip_accents: Option<bool>,
    pub lowercase: bool,
}

impl Default for BertNormalizer {
    fn default() -> Self {
        BertNormalizer {
            clean_text: true,
            handle_chinese_chars: true,
            strip_accents: None,
            lowercase: true,
        }
    }
}

/// Output under construction: the text and one alignment per byte.
struct Builder {
    text: String,
    alignments: Vec<(u32, u32)>,
}

impl Builder {
    #[inline]
    fn push(&mut self, c: char, span: (u32, u32)) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.alignments.push(span);
        }
    }
}

impl BertNormalizer {
    /// Whether accents are stripped (HF: `strip_accents=None` follows `lowercase`).
    pub fn strips_accents(&self) -> bool {
        self.strip_accents.unwrap_or(self.lowercase)
    }

    pub fn normalize(&self, text: &str) -> Normalized {
        if text.is_ascii() && !(self.clean_text && text.bytes().any(is_removed_ascii)) {
            return self.normalize_ascii(text);
        }
        self.normalize_chars(text)
    }

    /// ASCII text where no byte is removed: every byte maps to one byte, so the alignment
    /// is the identity and needs no table (no CJK, nothing to decompose).
    fn normalize_ascii(&self, text: &str) -> Normalized {
        let mut out = text.to_owned();
        if self.lowercase {
            out.make_ascii_lowercase();
        }
        if self.clean_text && out.bytes().any(|b| matches!(b, b'\t' | b'\n' | b'\r')) {
            out = out.replace(['\t', '\n', '\r'], " ");
        }
        Normalized {
            text: out,
            alignments: None,
        }
    }

    /// The general path: any text, alignments kept unless nothing changed.
    fn normalize_chars(&self, text: &str) -> Normalized {
        let strip = self.strips_accents();
        let mut b = Builder {
            text: String::with_capacity(text.len() + text.len() / 4),
            alignments: Vec::with_capacity(text.len() + text.len() / 4),
        };
        let mut changed = false;
        for (pos, c) in text.char_indices() {
            let len = c.len_utf8();
            let span = (pos as u32, (pos + len) as u32);
            let before = b.text.len();
            let mut c = c;
            if self.clean_text {
                if c == '\0' || c == '\u{fffd}' || is_bert_control(c) {
                    changed = true;
                    continue;
                }
                if is_bert_whitespace(c) {
                    c = ' ';
                }
            }
            if self.handle_chinese_chars && is_chinese_char(c) {
                // HF inserts the spaces as new characters: the one before takes the alignment
                // of the previous output byte (or (0, 0) at the start), the one after the
                // ideograph's.
                let prev = b.alignments.last().copied().unwrap_or((0, 0));
                b.push(' ', prev);
                self.push_char(&mut b, c, span, strip);
                b.push(' ', span);
                changed = true;
                continue;
            }
            self.push_char(&mut b, c, span, strip);
            if !changed
                && (b.text.len() - before != len || b.text[before..] != text[pos..pos + len])
            {
                changed = true;
            }
        }
        if !changed {
            return Normalized {
                text: b.text,
                alignments: None,
            };
        }
        Normalized {
            text: b.text,
            alignments: Some(b.alignments),
        }
    }

    /// Strip accents (NFD, drop nonspacing marks) then lowercase one (cleaned) character.
    #[inline]
    fn push_char(&self, b: &mut Builder, c: char, span: (u32, u32), strip: bool) {
        if c.is_ascii() {
            b.push(
                if self.lowercase {
                    c.to_ascii_lowercase()
                } else {
                    c
                },
                span,
            );
        } else if strip {
            decompose_canonical(c, |d| {
                if !is_nonspacing_mark(d) {
                    self.push_lower(b, d, span);
                }
            });
        } else {
            self.push_lower(b, c, span);
        }
    }

    #[inline]
    fn push_lower(&self, b: &mut Builder, c: char, span: (u32, u32)) {
        if self.lowercase {
            for l in c.to_lowercase() {
                b.push(l, span);
            }
        } else {
            b.push(c, span);
        }
    }
}

/// ASCII bytes that `clean_text` removes: controls other than `\t`, `\n`, `\r` (and NUL).
#[inline]
fn is_removed_ascii(b: u8) -> bool {
    (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0x7f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(n: &BertNormalizer, s: &str) -> (String, Vec<(usize, usize)>) {
        let out = n.normalize(s);
        // The original span of every output character.
        let spans = out
            .text
            .char_indices()
            .map(|(i, c)| out.original_span(i, i + c.len_utf8()))
            .collect();
        (out.text, spans)
    }

    fn with(clean: bool, chinese: bool, strip: Option<bool>, lower: bool) -> BertNormalizer {
        BertNormalizer {
            clean_text: clean,
            handle_chinese_chars: chinese,
            strip_accents: strip,
            lowercase: lower,
        }
    }

    #[test]
    fn ascii_lowercase_and_whitespace_keep_identity_alignment() {
        let n = BertNormalizer::default();
        let out = n.normalize("Hello\tWORLD\r\n!");
        assert_eq!(out.text, "hello world  !");
        assert_eq!(out.alignments, None);
        let out = with(false, true, None, false).normalize("A\tb");
        assert_eq!(out.text, "A\tb");
    }

    #[test]
    fn control_characters_are_removed_with_alignments() {
        let n = BertNormalizer::default();
        // \x07 (bell), \x0b (vertical tab: a control, so removed, not a space), NUL, U+200B
        // (zero width space, Cf), U+FFFD, U+E000 (private use).
        let (text, spans) = norm(&n, "a\x07b\x0bc\0d\u{200b}e\u{fffd}f\u{e000}g");
        assert_eq!(text, "abcdefg");
        let starts: Vec<usize> = spans.iter().map(|s| s.0).collect();
        assert_eq!(starts, vec![0, 2, 4, 6, 10, 14, 18]);
        // No cleaning: kept as they are.
        let (text, _) = norm(&with(false, false, Some(false), false), "a\x07b\u{200b}");
        assert_eq!(text, "a\x07b\u{200b}");
    }

    #[test]
    fn unicode_whitespace_becomes_space() {
        let (text, spans) = norm(&BertNormalizer::default(), "a\u{a0}b\u{3000}c");
        assert_eq!(text, "a b c");
        assert_eq!(spans, vec![(0, 1), (1, 3), (3, 4), (4, 7), (7, 8)]);
    }

    #[test]
    fn accents_are_stripped_and_aligned_to_their_character() {
        let n = BertNormalizer::default();
        let (text, spans) = norm(&n, "Café Ñu");
        assert_eq!(text, "cafe nu");
        assert_eq!(
            spans,
            vec![(0, 1), (1, 2), (2, 3), (3, 5), (5, 6), (6, 8), (8, 9)]
        );
        // Already decomposed: the combining acute (U+0301) is dropped, 'e' keeps its span.
        let (text, spans) = norm(&n, "e\u{301}x");
        assert_eq!(text, "ex");
        assert_eq!(spans, vec![(0, 1), (3, 4)]);
        // strip_accents=None follows lowercase: no lowercase, no stripping.
        let (text, _) = norm(&with(true, true, None, false), "Café");
        assert_eq!(text, "Café");
        // Explicit strip without lowercasing.
        let (text, _) = norm(&with(true, true, Some(true), false), "Café");
        assert_eq!(text, "Cafe");
        // Explicit lowercase without stripping keeps the precomposed é.
        let (text, _) = norm(&with(true, true, Some(false), true), "CAFÉ");
        assert_eq!(text, "café");
    }

    #[test]
    fn multi_char_lowercase_maps_every_byte_to_the_source() {
        // 'İ' (U+0130, 2 bytes) lowercases to "i\u{307}" (3 bytes) when accents are kept.
        let (text, spans) = norm(&with(true, true, Some(false), true), "xİy");
        assert_eq!(text, "xi\u{307}y");
        assert_eq!(spans, vec![(0, 1), (1, 3), (1, 3), (3, 4)]);
        // With stripping, NFD gives 'I' + U+0307, the mark is dropped, then 'i'.
        let (text, spans) = norm(&BertNormalizer::default(), "xİy");
        assert_eq!(text, "xiy");
        assert_eq!(spans, vec![(0, 1), (1, 3), (3, 4)]);
    }

    #[test]
    fn chinese_characters_get_spaces() {
        let (text, spans) = norm(&BertNormalizer::default(), "a中b");
        assert_eq!(text, "a 中 b");
        assert_eq!(spans, vec![(0, 1), (0, 1), (1, 4), (1, 4), (4, 5)]);
        // At the start the leading space has the empty span (0, 0).
        let (text, spans) = norm(&BertNormalizer::default(), "中");
        assert_eq!(text, " 中 ");
        assert_eq!(spans, vec![(0, 0), (0, 3), (0, 3)]);
        // Hiragana and Hangul are not in the CJK ideograph blocks (NFD splits the Hangul
        // syllable into its three jamo, which all keep the syllable's span).
        let (text, spans) = norm(&BertNormalizer::default(), "ひら한");
        assert_eq!(text, "ひら\u{1112}\u{1161}\u{11ab}");
        assert_eq!(spans[2..], [(6, 9), (6, 9), (6, 9)]);
        // Switched off.
        let (text, _) = norm(&with(true, false, None, true), "a中b");
        assert_eq!(text, "a中b");
    }

    #[test]
    fn unchanged_non_ascii_text_has_identity_alignment() {
        let out = BertNormalizer::default().normalize("naïve");
        assert!(out.alignments.is_some());
        let out = with(true, true, Some(false), true).normalize("ひらがな ü");
        assert_eq!(out.text, "ひらがな ü");
        assert_eq!(out.alignments, None);
    }

    #[test]
    fn empty_and_fully_removed_text() {
        let n = BertNormalizer::default();
        assert_eq!(n.normalize("").text, "");
        assert_eq!(n.normalize("\x01\x02").text, "");
    }
}
