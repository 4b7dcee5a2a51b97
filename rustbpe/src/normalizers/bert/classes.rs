//! The character classes of HF's BERT normalizer and pre-tokenizer.
//!
//! HF takes whitespace from Rust's `char::is_whitespace` and the other classes from Unicode
//! general categories; we read the categories from `unicode-general-category`.

use unicode_general_category::{get_general_category, GeneralCategory as Gc};

/// Whitespace for BERT: Rust's `White_Space` (which includes `\t`, `\n`, `\r`).
#[inline]
pub(crate) fn is_bert_whitespace(c: char) -> bool {
    c.is_whitespace()
}

/// Removed by `clean_text`: categories Cc, Cf, Co (not Cn), except `\t`, `\n`, `\r`
/// (which are whitespace).
#[inline]
pub(crate) fn is_bert_control(c: char) -> bool {
    if c.is_ascii() {
        return (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || c == '\x7f';
    }
    matches!(
        get_general_category(c),
        Gc::Control | Gc::Format | Gc::PrivateUse | Gc::Surrogate
    )
}

/// Dropped after NFD when stripping accents: category Mn.
#[inline]
pub(crate) fn is_nonspacing_mark(c: char) -> bool {
    !c.is_ascii() && get_general_category(c) == Gc::NonspacingMark
}

/// Isolated by the pre-tokenizer: ASCII punctuation (which includes symbols such as `$`,
/// `+`, `^`) or any Unicode punctuation category (P*).
#[inline]
pub(crate) fn is_bert_punc(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(
        get_general_category(c),
        Gc::ConnectorPunctuation
            | Gc::DashPunctuation
            | Gc::OpenPunctuation
            | Gc::ClosePunctuation
            | Gc::InitialPunctuation
            | Gc::FinalPunctuation
            | Gc::OtherPunctuation
    )
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
