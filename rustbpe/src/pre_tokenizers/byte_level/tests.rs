//! The scanners against the regexes themselves (fancy-regex, which uses the regex crate's
//! Unicode tables), on edge cases and many random strings.

use super::*;

fn regex_spans(re: &fancy_regex::Regex, text: &str) -> Vec<(usize, usize)> {
    re.find_iter(text)
        .map(|m| {
            let m = m.expect("regex ran");
            (m.start(), m.end())
        })
        .collect()
}

fn scanner_spans(pattern: SplitPattern, text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    ByteLevel { pattern }.split(text, &mut out);
    out
}

fn check(re: &fancy_regex::Regex, pattern: SplitPattern, text: &str) {
    let expected = regex_spans(re, text);
    let got = scanner_spans(pattern, text);
    if expected != got {
        let show = |spans: &[(usize, usize)]| -> Vec<String> {
            spans.iter().map(|&(s, e)| text[s..e].to_owned()).collect()
        };
        panic!(
            "{pattern:?} split of {text:?} differs from the regex:\n regex:   {:?}\n scanner: {:?}",
            show(&expected),
            show(&got)
        );
    }
}

const EDGE_CASES: &[&str] = &[
    "",
    " ",
    "  ",
    "a",
    "Hello world",
    "Hello  world  ",
    "don't DON'T I'm I'M we're WE'RE they've THEY'VE you'll YOU'LL he'd HE'D it's IT'S",
    "'s 't 're 've 'm 'll 'd 'S 'ſ ''s ?'s x'",
    "'",
    "''",
    "' s",
    "1234567 12 1 123456789 x1y22z333",
    " 123  456",
    "a1b2c3",
    "¹²³ ٣٤٥ ５６ Ⅻ ⅷ",
    "café naïve Ünïcödé ñ",
    "e\u{301}te\u{301}",
    "日本語のテキスト 中文 한국어",
    "emoji 😀👍🏽 👨‍👩‍👧 ❤️ done",
    "tabs\tand\nnewlines\r\nand\r\rmore\n\n\nend",
    "  \n  x",
    " \n\tx",
    "\n word",
    "...\n\nabc",
    "... \n",
    "((word )) ( word",
    "x\u{a0}y \u{a0}y\u{a0}\u{a0}z",
    "\u{3000}日本\u{3000}\u{3000}語",
    "a\u{2028}b\u{2029}c\u{85}d\u{200b}e",
    "\u{b}\u{c}\u{1c}\u{1d}\u{1e}\u{1f}",
    "end with spaces   ",
    "   start with spaces",
    "mixed \t \n \r\n x",
    "$100.00 (approx.) — \"quoted\" [brackets] {braces} <tags/>",
    "\u{fffd}\u{feff}bom",
    "Ǆemo ǅ ǆ",
];

fn pool() -> Vec<char> {
    let mut v: Vec<char> = "aZs tSTrReEvVmMlLdDkK09'''     \t\n\r\n.,!?-_()\""
        .chars()
        .collect();
    v.extend("éÉñÜßſK日本語中文한국😀👍\u{fe0f}\u{200d}\u{301}¹²٣５Ⅻ".chars());
    v.extend([
        '\u{a0}', '\u{3000}', '\u{2028}', '\u{85}', '\u{b}', '\u{c}', '\u{1c}', '\u{200b}',
    ]);
    v
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A random char from anywhere in Unicode (assigned or not), mostly from the BMP.
    fn any_char(&mut self) -> char {
        let max = if self.below(4) == 0 { 0x10ffff } else { 0xffff };
        loop {
            if let Some(c) = char::from_u32((self.next() % (max + 1)) as u32) {
                return c;
            }
        }
    }
}

fn random_strings(seed: u64, count: usize) -> Vec<String> {
    let pool = pool();
    let mut rng = Rng(seed);
    (0..count)
        .map(|_| {
            let len = rng.below(24);
            (0..len)
                .map(|_| {
                    if rng.below(8) == 0 {
                        rng.any_char()
                    } else {
                        pool[rng.below(pool.len())]
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn gpt2_scanner_equals_regex() {
    let re = fancy_regex::Regex::new(SplitPattern::GPT2_REGEX).unwrap();
    for text in EDGE_CASES {
        check(&re, SplitPattern::Gpt2, text);
    }
    for text in random_strings(0x9e37_79b9_7f4a_7c15, 20_000) {
        check(&re, SplitPattern::Gpt2, &text);
    }
}

#[test]
fn gpt4_scanner_equals_regex() {
    let re = fancy_regex::Regex::new(SplitPattern::GPT4_REGEX).unwrap();
    for text in EDGE_CASES {
        check(&re, SplitPattern::Gpt4, text);
    }
    for text in random_strings(0xdead_beef_cafe_f00d, 20_000) {
        check(&re, SplitPattern::Gpt4, &text);
    }
}

#[test]
fn every_unicode_scalar_classified_as_the_regex_does() {
    // The scanners' character classes against the regex crate's `\p{L}`, `\p{N}` and `\s`
    // (no lookaround, so fancy-regex hands these to the regex crate), over every plane that
    // has assigned characters (planes 4-13 are unassigned; 15-16 are private use: sampled).
    let all: String = (0..0x3_2400u32)
        .chain(0xe_0000..0xe_1000)
        .chain(0xf_0000..0xf_0100)
        .chain(0x10_ff00..=0x10_ffff)
        .filter_map(char::from_u32)
        .collect();
    for (class, pattern) in [
        (Class::Letter, r"\p{L}"),
        (Class::Number, r"\p{N}"),
        (Class::Space, r"\s"),
    ] {
        let re = fancy_regex::Regex::new(pattern).unwrap();
        let mut matched = std::collections::HashSet::new();
        for m in re.find_iter(&all) {
            matched.insert(m.unwrap().as_str().chars().next().unwrap());
        }
        for c in all.chars() {
            let ours = if c.is_ascii() {
                ASCII[c as usize]
            } else {
                classify(c)
            };
            assert_eq!(
                ours == class,
                matched.contains(&c),
                "U+{:04X} class {ours:?} vs regex {pattern}",
                c as u32
            );
        }
    }
}

#[test]
fn gpt2_splits_by_hand() {
    let text = "Hello world's  end\n";
    let words: Vec<&str> = scanner_spans(SplitPattern::Gpt2, text)
        .into_iter()
        .map(|(s, e)| &text[s..e])
        .collect();
    assert_eq!(words, ["Hello", " world", "'s", " ", " end", "\n"]);
}

#[test]
fn gpt4_splits_by_hand() {
    let text = "I'LL pay 12345!!\n\nok";
    let words: Vec<&str> = scanner_spans(SplitPattern::Gpt4, text)
        .into_iter()
        .map(|(s, e)| &text[s..e])
        .collect();
    assert_eq!(
        words,
        ["I", "'LL", " pay", " ", "123", "45", "!!\n\n", "ok"]
    );
}

#[test]
fn byte_map_is_gpt2s() {
    let table = bytes_to_unicode();
    // Printable bytes map to themselves, the others to U+0100.. in byte order.
    assert_eq!(table[b'A' as usize], 'A');
    assert_eq!(table[b'!' as usize], '!');
    assert_eq!(table[0xe9], 'é');
    assert_eq!(table[0], '\u{100}');
    assert_eq!(table[b' ' as usize], 'Ġ');
    assert_eq!(table[b'\n' as usize], 'Ċ');
    assert_eq!(table[0x7f], 'ġ');
    assert_eq!(table[0xad], 'Ń');
    let mut chars: Vec<char> = table.to_vec();
    chars.sort_unstable();
    chars.dedup();
    assert_eq!(chars.len(), 256, "the map is a bijection");
}

#[test]
fn byte_map_round_trips() {
    let table = bytes_to_unicode();
    let inverse = unicode_to_bytes();
    for b in 0..=255u8 {
        assert_eq!(inverse[table[b as usize] as usize], Some(b));
    }
    let text = "héllo 世界 😀\n\t";
    let mapped: String = text.bytes().map(|b| table[b as usize]).collect();
    let back: Vec<u8> = mapped
        .chars()
        .map(|c| inverse[c as usize].unwrap())
        .collect();
    assert_eq!(back, text.as_bytes());
}
