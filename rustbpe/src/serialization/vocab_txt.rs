//! BERT's `vocab.txt` (one WordPiece token per line, id = line number), both ways.

use crate::models::{Model, WordPiece};
use crate::normalizers::BertNormalizer;
use crate::tokenizer::Tokenizer;
use crate::{Error, Result};

/// A WordPiece tokenizer from a BERT `vocab.txt` (one token per line, id = line number,
/// trailing whitespace trimmed as HF does), with BERT's pipeline around it.
pub fn from_vocab_txt(text: &str, source: &str, normalizer: BertNormalizer) -> Result<Tokenizer> {
    let mut vocab: Vec<String> = Vec::new();
    let mut seen = rustc_hash::FxHashMap::default();
    for (i, line) in text.lines().enumerate() {
        let token = line.trim_end().to_owned();
        if let Some(first) = seen.insert(token.clone(), i) {
            return Err(Error::Format(format!(
                "{source}: token {token:?} appears on lines {} and {}; a vocab.txt lists each token once",
                first + 1,
                i + 1
            )));
        }
        vocab.push(token);
    }
    if vocab.is_empty() {
        return Err(Error::Format(format!(
            "{source}: empty; expected a WordPiece vocab.txt (one token per line)"
        )));
    }
    let unk = "[UNK]";
    if !seen.contains_key(unk) {
        return Err(Error::Format(format!(
            "{source}: no {unk} token; a BERT vocab.txt needs one for unknown words"
        )));
    }
    let specials: Vec<String> = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        .iter()
        .filter(|s| seen.contains_key(**s))
        .map(|s| s.to_string())
        .collect();
    let model = WordPiece::new(vocab, unk.to_owned(), "##".to_owned(), 100)?;
    Tokenizer::from_wordpiece(model, normalizer, &specials)
}

/// The `vocab.txt` text of a WordPiece tokenizer. Tokens that a line cannot hold exactly
/// (newlines, trailing whitespace, empty) are an error naming the token and its id.
pub fn to_vocab_txt(tok: &Tokenizer) -> Result<String> {
    if !matches!(tok.model, Model::WordPiece(_)) {
        return Err(Error::Invalid(format!(
            "vocab.txt holds WordPiece vocabs only; this tokenizer's model is {}; save tokenizer.json instead",
            tok.model_type()
        )));
    }
    let mut out = String::new();
    for id in 0..tok.vocab_size() as u32 {
        let token = tok.vocab_entry(id).ok_or_else(|| {
            Error::Invalid(format!(
                "id {id} has no token; vocab.txt needs dense ids; save tokenizer.json instead"
            ))
        })?;
        let problem = if token.contains(['\n', '\r']) {
            Some("contains a newline")
        } else if token.is_empty() {
            Some("is empty")
        } else if token.trim_end() != token {
            Some("ends with whitespace, which readers trim")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Error::Invalid(format!(
                "token {token:?} (id {id}) {problem}, so vocab.txt (one token per line) cannot hold it; \
                 save tokenizer.json instead"
            )));
        }
        out.push_str(token);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serialization::tests::trained_like;

    #[test]
    fn vocab_txt_round_trip_and_refusals() {
        let tok = &trained_like()[0];
        let err = to_vocab_txt(tok).unwrap_err().to_string();
        assert!(
            err.contains("\"x\\ny\" (id 6)") && err.contains("tokenizer.json"),
            "{err}"
        );

        let text = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##s\r\n";
        let tok = from_vocab_txt(text, "vocab.txt", BertNormalizer::default()).unwrap();
        assert_eq!(tok.token_to_id("##s"), Some(6));
        assert_eq!(to_vocab_txt(&tok).unwrap(), text.replace("\r\n", "\n"));
        let dup = from_vocab_txt("[UNK]\na\na\n", "v.txt", BertNormalizer::default())
            .unwrap_err()
            .to_string();
        assert!(dup.contains("lines 2 and 3"), "{dup}");
    }
}
