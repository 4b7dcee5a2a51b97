//! Byte-level pre-tokenization, as HF `ByteLevel` (add_prefix_space = false, use_regex):
//! the GPT-2 split pattern (default) or the GPT-4 (cl100k) pattern, matched by hand-written
//! scanners that give exactly the regex's splits, plus GPT-2's byte <-> unicode mapping.

/// The regex a byte-level pre-tokenizer splits with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SplitPattern {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    #[default]
    Gpt2,
    /// cl100k_base's pattern (case-insensitive contractions, numbers in groups of 1-3, ...).
    Gpt4,
}

impl SplitPattern {
    pub const GPT2_REGEX: &'static str =
        r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    pub const GPT4_REGEX: &'static str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    pub fn regex(&self) -> &'static str {
        match self {
            SplitPattern::Gpt2 => Self::GPT2_REGEX,
            SplitPattern::Gpt4 => Self::GPT4_REGEX,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteLevel {
    pub pattern: SplitPattern,
}

impl ByteLevel {
    /// Appends the byte spans of the words of `text`: exactly the matches of the pattern's
    /// regex (they cover the text without gaps).
    pub fn split(&self, text: &str, out: &mut Vec<(usize, usize)>) {
        let s = Scanner { b: text.as_bytes() };
        let mut p = 0;
        while p < s.b.len() {
            let end = match self.pattern {
                SplitPattern::Gpt2 => s.gpt2(p),
                SplitPattern::Gpt4 => s.gpt4(p),
            };
            debug_assert!(end > p);
            out.push((p, end));
            p = end;
        }
    }
}

/// Character classes of the patterns: `\p{L}`, `\p{N}`, `\s` and everything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

const fn ascii_classes() -> [Class; 128] {
    let mut t = [Class::Other; 128];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_alphabetic() {
            Class::Letter
        } else if b.is_ascii_digit() {
            Class::Number
        } else if matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ') {
            // Unicode White_Space in ASCII (0x1c..0x1f are not, unlike `char::is_whitespace`
            // in some other libraries).
            Class::Space
        } else {
            Class::Other
        };
        i += 1;
    }
    t
}

static ASCII: [Class; 128] = ascii_classes();

/// The regex crate's `\s`: the Unicode White_Space property.
fn is_white_space(c: char) -> bool {
    matches!(
        c,
        '\t'..='\r'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

fn classify(c: char) -> Class {
    use unicode_general_category::{get_general_category, GeneralCategory as G};
    if is_white_space(c) {
        return Class::Space;
    }
    match get_general_category(c) {
        G::UppercaseLetter
        | G::LowercaseLetter
        | G::TitlecaseLetter
        | G::ModifierLetter
        | G::OtherLetter => Class::Letter,
        G::DecimalNumber | G::LetterNumber | G::OtherNumber => Class::Number,
        _ => Class::Other,
    }
}

/// Decodes the char starting at byte `p` of valid UTF-8 (`p` on a char boundary).
#[inline]
fn decode(b: &[u8], p: usize) -> (char, usize) {
    let b0 = b[p] as u32;
    let (c, len) = if b0 < 0xe0 {
        (((b0 & 0x1f) << 6) | (b[p + 1] as u32 & 0x3f), 2)
    } else if b0 < 0xf0 {
        (
            ((b0 & 0x0f) << 12) | ((b[p + 1] as u32 & 0x3f) << 6) | (b[p + 2] as u32 & 0x3f),
            3,
        )
    } else {
        (
            ((b0 & 0x07) << 18)
                | ((b[p + 1] as u32 & 0x3f) << 12)
                | ((b[p + 2] as u32 & 0x3f) << 6)
                | (b[p + 3] as u32 & 0x3f),
            4,
        )
    };
    // The input is a `&str`, so the bytes are valid UTF-8 and the value is a valid char.
    (char::from_u32(c).unwrap_or('\u{fffd}'), len)
}

struct Scanner<'a> {
    b: &'a [u8],
}

impl Scanner<'_> {
    /// Class and byte length of the char at `p` (`p < len`).
    #[inline]
    fn class(&self, p: usize) -> (Class, usize) {
        let b = self.b[p];
        if b < 0x80 {
            (ASCII[b as usize], 1)
        } else {
            let (c, len) = decode(self.b, p);
            (classify(c), len)
        }
    }

    /// Class of the char at `p`, `None` at the end.
    #[inline]
    fn class_at(&self, p: usize) -> Option<Class> {
        (p < self.b.len()).then(|| self.class(p).0)
    }

    /// End of the run of `class` chars starting at `p`.
    #[inline]
    fn run(&self, mut p: usize, class: Class) -> usize {
        let n = self.b.len();
        while p < n {
            let b = self.b[p];
            if b < 0x80 {
                if ASCII[b as usize] != class {
                    break;
                }
                p += 1;
            } else {
                let (c, len) = self.class(p);
                if c != class {
                    break;
                }
                p += len;
            }
        }
        p
    }

    /// A whitespace run from `p`: (end, start of its last char, end of its last `\r`/`\n`).
    fn space_run(&self, mut p: usize) -> (usize, usize, Option<usize>) {
        let (mut last, mut newline_end) = (p, None);
        while p < self.b.len() {
            let (c, len) = self.class(p);
            if c != Class::Space {
                break;
            }
            if matches!(self.b[p], b'\r' | b'\n') {
                newline_end = Some(p + 1);
            }
            last = p;
            p += len;
        }
        (p, last, newline_end)
    }

    /// `\s+(?!\S)|\s+` from `p` (a whitespace char): a run followed by a non-space char
    /// leaves its last char to start the next word.
    fn spaces(&self, p: usize) -> usize {
        let (end, last, _) = self.space_run(p);
        if end == self.b.len() || last == p {
            end
        } else {
            last
        }
    }

    /// Length of the contraction after the apostrophe at `p`, if any:
    /// `'s|'t|'re|'ve|'m|'ll|'d`, case-insensitively for GPT-4. Case-insensitive `s` also
    /// matches U+017F LATIN SMALL LETTER LONG S, as in the regex crate (Unicode simple case
    /// folding); the other letters have no non-ASCII case variants.
    fn contraction(&self, p: usize, ignore_case: bool) -> Option<usize> {
        let rest = &self.b[p + 1..];
        let lower = |i: usize| -> Option<u8> {
            let c = *rest.get(i)?;
            Some(if ignore_case {
                c.to_ascii_lowercase()
            } else {
                c
            })
        };
        match lower(0)? {
            b's' | b't' | b'm' | b'd' => Some(2),
            b'r' | b'v' if lower(1) == Some(b'e') => Some(3),
            b'l' if lower(1) == Some(b'l') => Some(3),
            0xc5 if ignore_case && rest.get(1) == Some(&0xbf) => Some(3),
            _ => None,
        }
    }

    /// One match of `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    /// starting at `p`; returns its end.
    fn gpt2(&self, p: usize) -> usize {
        let b = self.b[p];
        if b == b'\'' {
            if let Some(len) = self.contraction(p, false) {
                return p + len;
            }
        }
        let (class, len) = self.class(p);
        if b == b' ' {
            match self.class_at(p + 1) {
                Some(c @ (Class::Letter | Class::Number | Class::Other)) => {
                    return self.run(p + 1, c)
                }
                _ => return self.spaces(p),
            }
        }
        match class {
            Class::Space => self.spaces(p),
            c => self.run(p + len, c),
        }
    }

    /// One match of the GPT-4 pattern
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    /// starting at `p`; returns its end.
    fn gpt4(&self, p: usize) -> usize {
        let b = self.b[p];
        if b == b'\'' {
            if let Some(len) = self.contraction(p, true) {
                return p + len;
            }
        }
        let (class, len) = self.class(p);
        match class {
            Class::Letter => return self.run(p + len, Class::Letter),
            Class::Number => {
                let mut end = p + len;
                for _ in 0..2 {
                    match (end < self.b.len()).then(|| self.class(end)) {
                        Some((Class::Number, l)) => end += l,
                        _ => break,
                    }
                }
                return end;
            }
            _ => {}
        }
        // `[^\r\n\p{L}\p{N}]?\p{L}+`: one non-letter, non-digit char glued to a letter run.
        if b != b'\r' && b != b'\n' && self.class_at(p + len) == Some(Class::Letter) {
            return self.run(p + len, Class::Letter);
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let punct_start = if class == Class::Other {
            Some(p)
        } else if b == b' ' && self.class_at(p + 1) == Some(Class::Other) {
            Some(p + 1)
        } else {
            None
        };
        if let Some(q) = punct_start {
            let mut end = self.run(q, Class::Other);
            while end < self.b.len() && matches!(self.b[end], b'\r' | b'\n') {
                end += 1;
            }
            return end;
        }
        // Whitespace: `\s*[\r\n]+` ends after the run's last newline; else as GPT-2.
        match self.space_run(p) {
            (_, _, Some(newline_end)) => newline_end,
            _ => self.spaces(p),
        }
    }
}

/// GPT-2's table: byte -> printable unicode char (HF `bytes_char`): printable Latin-1 bytes
/// map to themselves, the others to U+0100 onwards in byte order.
pub fn bytes_to_unicode() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for (b, slot) in table.iter_mut().enumerate() {
        let printable = matches!(b, 0x21..=0x7e | 0xa1..=0xac | 0xae..=0xff);
        let code = if printable {
            b as u32
        } else {
            next += 1;
            next - 1
        };
        *slot = char::from_u32(code).expect("code points below 0x200 are valid chars");
    }
    table
}

/// The inverse of `bytes_to_unicode`, indexed by code point (all below 0x144).
pub fn unicode_to_bytes() -> [Option<u8>; 324] {
    let mut table = [None; 324];
    for (b, c) in bytes_to_unicode().into_iter().enumerate() {
        table[c as usize] = Some(b as u8);
    }
    table
}

#[cfg(test)]
mod tests;
