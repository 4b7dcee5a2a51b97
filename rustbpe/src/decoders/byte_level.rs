//! HF's `ByteLevel` decoder: each token char is one byte of GPT-2's byte <-> unicode table.

use std::sync::OnceLock;

use crate::pre_tokenizers::byte_level::bytes_to_unicode;

/// Token chars -> bytes, then UTF-8 (invalid bytes -> U+FFFD, as HF).
pub fn decode(tokens: &[&str]) -> String {
    let table = char_to_byte();
    let mut bytes = Vec::new();
    for token in tokens {
        let start = bytes.len();
        let mut all_mapped = true;
        for c in token.chars() {
            match table.get(c as usize).copied().flatten() {
                Some(b) => bytes.push(b),
                None => {
                    all_mapped = false;
                    break;
                }
            }
        }
        // A token with a char outside the byte alphabet (an added token such as
        // "<my token>": the space is not a byte symbol) is emitted as its own
        // UTF-8, as HF does.
        if !all_mapped {
            bytes.truncate(start);
            bytes.extend_from_slice(token.as_bytes());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Inverse of GPT-2's byte -> char table, indexed by char code.
fn char_to_byte() -> &'static [Option<u8>] {
    static TABLE: OnceLock<Vec<Option<u8>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let forward = bytes_to_unicode();
        let size = forward.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut table = vec![None; size];
        for (b, &c) in forward.iter().enumerate() {
            table[c as usize] = Some(b as u8);
        }
        table
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_come_back_and_foreign_tokens_stay_as_they_are() {
        // "Ġ" is the space byte, "Ã" + "©" the two bytes of "é".
        assert_eq!(decode(&["hel", "lo", "Ġ", "Ã", "©"]), "hello é");
        // One byte of a two-byte character: invalid UTF-8, replaced.
        assert_eq!(decode(&["a", "Ã"]), "a\u{fffd}");
        // "<a b>" has a plain space (no byte symbol): kept as its own text.
        assert_eq!(decode(&["x", "<a b>", "Ġy"]), "x<a b> y");
    }
}
