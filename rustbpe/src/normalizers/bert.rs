//! BERT's normalizer, as HF `BertNormalizer`: clean control characters, put spaces around
//! CJK ideographs, NFD + strip accents, lowercase. Each step can be switched off.
//!
//! HF applies the steps one after another over the whole string, each rewriting the
//! alignments (for each output byte, the byte span of the original character it came from).
//! All steps but NFD map one character to zero or more characters on their own, so we run
//! the chain per character in one pass. NFD also reorders runs of combining marks; HF's
//! alignments then follow positions, not characters, and `Nfd` reproduces that.

use super::Normalized;
pub(crate) mod classes;

use classes::{
    hf_combining_class, hf_decomposes, is_bert_control, is_bert_whitespace, is_chinese_char,
    is_nonspacing_mark,
};
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
    lowercase: bool,
}

impl Builder {
    #[inline]
    fn push(&mut self, c: char, span: (u32, u32)) {
        self.text.push(c);
        for _ in 0..c.len_utf8() {
            self.alignments.push(span);
        }
    }

    /// Pushes `c` lowercased (the last step; a multi-character lowercase shares the span).
    #[inline]
    fn push_lower(&mut self, c: char, span: (u32, u32)) {
        if !self.lowercase {
            self.push(c, span);
        } else if c.is_ascii() {
            self.push(c.to_ascii_lowercase(), span);
        } else {
            for l in c.to_lowercase() {
                self.push(l, span);
            }
        }
    }
}

/// One character of the NFD output, waiting for its run of combining marks to be ordered.
#[derive(Clone, Copy)]
struct NfdItem {
    c: char,
    class: u8,
    /// The span of the source character for the first character of its decomposition
    /// (HF: replaces a character); `None` for the others (HF: inserted).
    source: Option<(u32, u32)>,
}

/// NFD + strip accents, emulating HF's alignments: the output is a sequence of segments
/// (a starter, then combining marks stably sorted by combining class); HF aligns each
/// "replacing" character of a segment to the next source character in original order and each
/// "inserted" one to the last source character used.
struct Nfd {
    segment: Vec<NfdItem>,
    sources: Vec<(u32, u32)>,
    last: (u32, u32),
}

impl Nfd {
    fn new() -> Self {
        Nfd {
            segment: Vec::new(),
            sources: Vec::new(),
            last: (0, 0),
        }
    }

    #[inline]
    fn push(&mut self, out: &mut Builder, item: NfdItem) {
        if item.class == 0 {
            self.flush(out);
        }
        self.segment.push(item);
    }

    /// Feeds one source character (already cleaned).
    #[inline]
    fn feed(&mut self, out: &mut Builder, c: char, span: (u32, u32)) {
        if c.is_ascii() {
            self.flush(out);
            self.last = span;
            out.push_lower(c, span);
            return;
        }
        if !hf_decomposes(c) {
            self.push(
                out,
                NfdItem {
                    c,
                    class: hf_combining_class(c),
                    source: Some(span),
                },
            );
            return;
        }
        let mut first = true;
        decompose_canonical(c, |d| {
            let source = if first { Some(span) } else { None };
            first = false;
            self.push(
                out,
                NfdItem {
                    c: d,
                    class: hf_combining_class(d),
                    source,
                },
            );
        });
    }

    /// Orders the pending segment, aligns it as HF does, drops nonspacing marks.
    fn flush(&mut self, out: &mut Builder) {
        if self.segment.is_empty() {
            return;
        }
        let marks_from = usize::from(self.segment[0].class == 0);
        let marks = &mut self.segment[marks_from..];
        if !marks.windows(2).all(|w| w[0].class <= w[1].class) {
            self.sources.clear();
            self.sources.extend(marks.iter().filter_map(|i| i.source));
            marks.sort_by_key(|i| i.class);
            let mut next = self.sources.iter();
            for item in marks.iter_mut().filter(|i| i.source.is_some()) {
                item.source = next.next().copied();
            }
        }
        for item in &self.segment {
            if let Some(span) = item.source {
                self.last = span;
            }
            if !is_nonspacing_mark(item.c) {
                out.push_lower(item.c, self.last);
            }
        }
        self.segment.clear();
    }
}

impl BertNormalizer {
    /// Whether accents are stripped (HF: `strip_accents=None` follows `lowercase`).
    pub fn strips_accents(&self) -> bool {
        self.strip_accents.unwrap_or(self.lowercase)
    }

    pub fn normalize(&self, text: &str) -> Normalized {
        self.normalize_ascii(text)
            .unwrap_or_else(|| self.normalize_chars(text))
    }

    /// How this configuration maps ASCII bytes (`REMOVED` for bytes that are dropped).
    fn ascii_map(&self) -> &'static [u8; 128] {
        &ASCII_MAPS[usize::from(self.clean_text) * 2 + usize::from(self.lowercase)]
    }

    /// The fast path: ASCII text where no byte is removed maps byte to byte, so the
    /// alignment is the identity (no CJK, nothing to decompose). `None` otherwise.
    fn normalize_ascii(&self, text: &str) -> Option<Normalized> {
        let map = self.ascii_map();
        let mut out = Vec::with_capacity(text.len());
        for &b in text.as_bytes() {
            let m = *map.get(usize::from(b))?;
            if m == REMOVED {
                return None;
            }
            out.push(m);
        }
        // ASCII in, ASCII out: always valid UTF-8.
        let text = String::from_utf8(out).ok()?;
        Some(Normalized {
            text,
            alignments: None,
        })
    }

    /// The general path: any text, alignments kept unless they are the identity.
    fn normalize_chars(&self, text: &str) -> Normalized {
        let map = self.ascii_map();
        let mut out = Builder {
            text: String::with_capacity(text.len() + text.len() / 4),
            alignments: Vec::with_capacity(text.len() + text.len() / 4),
            lowercase: self.lowercase,
        };
        let mut nfd = self.strips_accents().then(Nfd::new);
        let bytes = text.as_bytes();
        let mut pos = 0;
        while pos < bytes.len() {
            let b = bytes[pos];
            if b < 0x80 {
                // ASCII: one table lookup, no decomposition, a starter for NFD.
                let span = (pos as u32, pos as u32 + 1);
                pos += 1;
                let m = map[usize::from(b)];
                if m == REMOVED {
                    continue;
                }
                if let Some(nfd) = nfd.as_mut() {
                    nfd.flush(&mut out);
                    nfd.last = span;
                }
                out.push(char::from(m), span);
                continue;
            }
            let Some(mut c) = text[pos..].chars().next() else {
                break;
            };
            let span = (pos as u32, (pos + c.len_utf8()) as u32);
            pos += c.len_utf8();
            if self.clean_text {
                if c == '\u{fffd}' || is_bert_control(c) {
                    continue;
                }
                if is_bert_whitespace(c) {
                    c = ' ';
                }
            }
            let cjk = self.handle_chinese_chars && is_chinese_char(c);
            // HF (0.23) aligns both spaces around an ideograph to the ideograph.
            let mut emit = |ch: char| match nfd.as_mut() {
                Some(nfd) => nfd.feed(&mut out, ch, span),
                None => out.push_lower(ch, span),
            };
            if cjk {
                emit(' ');
                emit(c);
                emit(' ');
            } else {
                emit(c);
            }
        }
        if let Some(nfd) = nfd.as_mut() {
            nfd.flush(&mut out);
        }
        let alignments = (!is_identity(text, &out)).then_some(out.alignments);
        Normalized {
            text: out.text,
            alignments,
        }
    }
}

/// Marks an ASCII byte that `clean_text` removes.
const REMOVED: u8 = 0xff;

/// ASCII byte maps for (clean_text, lowercase) = index `clean * 2 + lower`.
const ASCII_MAPS: [[u8; 128]; 4] = [
    ascii_map(false, false),
    ascii_map(false, true),
    ascii_map(true, false),
    ascii_map(true, true),
];

/// `clean_text` removes the controls other than `\t`, `\n`, `\r` (NUL included) and turns
/// those three into spaces; `lowercase` lowercases A-Z.
const fn ascii_map(clean: bool, lower: bool) -> [u8; 128] {
    let mut map = [0u8; 128];
    let mut b = 0;
    while b < 128 {
        let byte = b as u8;
        map[b] = if clean && matches!(byte, b'\t' | b'\n' | b'\r') {
            b' '
        } else if clean && (byte < 0x20 || byte == 0x7f) {
            REMOVED
        } else if lower {
            byte.to_ascii_lowercase()
        } else {
            byte
        };
        b += 1;
    }
    map
}

/// Whether the output is the input with every byte aligned to its own character.
fn is_identity(text: &str, out: &Builder) -> bool {
    out.text == text
        && text.char_indices().all(|(pos, c)| {
            let span = (pos as u32, (pos + c.len_utf8()) as u32);
            out.alignments[pos..pos + c.len_utf8()]
                .iter()
                .all(|&a| a == span)
        })
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
    fn reordered_marks_align_by_position_as_hf() {
        // NFD sorts U+0316 (class 220) after U+1D165 (class 216, a spacing mark, kept): the
        // kept character takes the span of the first source position of the run (U+0316's).
        let n = with(false, false, Some(true), false);
        let (text, spans) = norm(&n, "x\u{316}\u{1d165}\u{345}y");
        assert_eq!(text, "x\u{1d165}y");
        assert_eq!(spans, vec![(0, 1), (1, 3), (9, 10)]);
        // Already in order: its own span.
        let (text, spans) = norm(&n, "x\u{1d165}\u{316}y");
        assert_eq!(text, "x\u{1d165}y");
        assert_eq!(spans, vec![(0, 1), (1, 5), (7, 8)]);
    }

    #[test]
    fn chinese_characters_get_spaces() {
        // Both spaces take the ideograph's span (as HF 0.23).
        let (text, spans) = norm(&BertNormalizer::default(), "a中b");
        assert_eq!(text, "a 中 b");
        assert_eq!(spans, vec![(0, 1), (1, 4), (1, 4), (1, 4), (4, 5)]);
        let (text, spans) = norm(&BertNormalizer::default(), "中");
        assert_eq!(text, " 中 ");
        assert_eq!(spans, vec![(0, 3), (0, 3), (0, 3)]);
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
