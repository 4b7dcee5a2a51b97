//! The character classes of HF's BERT normalizer and pre-tokenizer.
//!
//! HF takes whitespace from Rust's `char::is_whitespace` and the general categories from the
//! `unicode_categories` crate (Unicode 8 tables). We use that same crate rather than newer
//! tables: hundreds of characters encoded or re-categorised since (e.g. U+2E43.. dashes,
//! U+0890 Arabic format marks) would otherwise split or clean differently from HF.

use unicode_categories::UnicodeCategories;
use unicode_normalization::char::canonical_combining_class;

/// Whitespace for BERT: Rust's `White_Space` (which includes `\t`, `\n`, `\r`).
#[inline]
pub(crate) fn is_bert_whitespace(c: char) -> bool {
    c.is_whitespace()
}

/// Removed by `clean_text`: categories Cc, Cf, Co (unassigned code points are kept), except
/// `\t`, `\n`, `\r` (which are whitespace).
#[inline]
pub(crate) fn is_bert_control(c: char) -> bool {
    if c.is_ascii() {
        return (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\x7f';
    }
    c.is_other()
}

/// Dropped after NFD when stripping accents: category Mn.
#[inline]
pub(crate) fn is_nonspacing_mark(c: char) -> bool {
    !c.is_ascii() && c.is_mark_nonspacing()
}

/// Isolated by the pre-tokenizer: ASCII punctuation (which includes symbols such as `$`,
/// `+`, `^`) or any Unicode punctuation category (P*).
#[inline]
pub(crate) fn is_bert_punc(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    c.is_punctuation()
}

/// Characters with a canonical decomposition in current Unicode that HF's NFD (older
/// normalization tables) leaves whole: they were encoded after those tables (Unicode 13
/// Dives Akuru; Unicode 16 Todhri, Tulu-Tigalari, Gurung Khema and Kirat Rai).
const NOT_DECOMPOSED_BY_HF: [(u32, u32); 10] = [
    (0x105c9, 0x105c9),
    (0x105e4, 0x105e4),
    (0x11383, 0x11383),
    (0x11385, 0x11385),
    (0x1138e, 0x1138e),
    (0x11391, 0x11391),
    (0x113c5, 0x113c8),
    (0x11938, 0x11938),
    (0x16121, 0x16128),
    (0x16d68, 0x16d6a),
];

/// Whether NFD decomposes `c` in HF (true for all but the few newer characters above).
#[inline]
pub(crate) fn hf_decomposes(c: char) -> bool {
    let c = c as u32;
    c < 0x105c9
        || !NOT_DECOMPOSED_BY_HF
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// Combining marks that HF's NFD (Unicode 9 normalization tables) treats as starters
/// (class 0): they were encoded later, so HF never reorders them.
const HF_UNKNOWN_MARKS: [(u32, u32); 52] = [
    (0x5c8, 0x5c9),
    (0x7fd, 0x7fd),
    (0x897, 0x89f),
    (0x8ca, 0x8d3),
    (0x9fe, 0x9fe),
    (0xc3c, 0xc3c),
    (0xd3b, 0xd3c),
    (0xeba, 0xeba),
    (0x1715, 0x1715),
    (0x1abf, 0x1af0),
    (0x1df6, 0x1dfa),
    (0xa82c, 0xa82c),
    (0x10d24, 0x10d27),
    (0x10d69, 0x10d6d),
    (0x10eab, 0x10eac),
    (0x10ecb, 0x10ecf),
    (0x10ef0, 0x10efb),
    (0x10efd, 0x10eff),
    (0x10f46, 0x10f50),
    (0x10f82, 0x10f85),
    (0x11070, 0x11070),
    (0x1133b, 0x1133b),
    (0x113ce, 0x113d0),
    (0x1145e, 0x1145e),
    (0x11839, 0x1183a),
    (0x1193d, 0x1193e),
    (0x11943, 0x11943),
    (0x119e0, 0x119e0),
    (0x11a34, 0x11a34),
    (0x11a47, 0x11a47),
    (0x11a99, 0x11a99),
    (0x11d42, 0x11d42),
    (0x11d44, 0x11d45),
    (0x11d97, 0x11d97),
    (0x11f41, 0x11f42),
    (0x1612f, 0x1612f),
    (0x16ff0, 0x16ff1),
    (0x1d127, 0x1d128),
    (0x1d250, 0x1d252),
    (0x1d25b, 0x1d25c),
    (0x1d25f, 0x1d25f),
    (0x1d280, 0x1d281),
    (0x1e08f, 0x1e08f),
    (0x1e130, 0x1e136),
    (0x1e2ae, 0x1e2ae),
    (0x1e2ec, 0x1e2ef),
    (0x1e4ec, 0x1e4ef),
    (0x1e5ee, 0x1e5ef),
    (0x1e6e3, 0x1e6e3),
    (0x1e6e6, 0x1e6e6),
    (0x1e6ee, 0x1e6ef),
    (0x1e6f5, 0x1e6f5),
];

/// The canonical combining class as HF's NFD sees it (0 for marks newer than its tables).
#[inline]
pub(crate) fn hf_combining_class(c: char) -> u8 {
    let class = canonical_combining_class(c);
    let cp = c as u32;
    if class == 0 || cp < 0x5c8 {
        return class;
    }
    match HF_UNKNOWN_MARKS.binary_search_by(|&(lo, hi)| {
        if hi < cp {
            std::cmp::Ordering::Less
        } else if lo > cp {
            std::cmp::Ordering::Greater
        } else {
            std::cmp::Ordering::Equal
        }
    }) {
        Ok(_) => 0,
        Err(_) => class,
    }
}

/// The CJK ideograph blocks that get spaces around them (as HF and the original BERT).
#[inline]
pub(crate) fn is_chinese_char(c: char) -> bool {
    matches!(
        c as u32,
        0x4E00..=0x9FFF
            | 0x3400..=0x4DBF
            | 0x20000..=0x2A6DF
            | 0x2A700..=0x2B73F
            | 0x2B740..=0x2B81F
            | 0x2B920..=0x2CEAF
            | 0xF900..=0xFAFF
            | 0x2F800..=0x2FA1F
    )
}
