//! HF `tokenizer.json` read/write (both ways, exact round trip) and WordPiece `vocab.txt`.
//! One module per component of the file (`normalizer`, `pre_tokenizer`, `model`, `decoder`,
//! `post_processor`, `added_tokens`), each with its `read` and `write`; `reader` is the JSON
//! walker they share.
//!
//! Reading walks a `serde_json::Value` by hand rather than deriving: every unsupported or
//! malformed field gets a message naming the file, the field, what was expected and what
//! was found. Anything that would change encoding silently (BPE dropout, byte fallback,
//! other normalizers, ...) is refused rather than ignored.

mod added_tokens;
mod decoder;
mod model;
mod normalizer;
mod post_processor;
mod pre_tokenizer;
mod reader;
mod vocab_txt;

use std::path::Path;

use serde_json::{json, Value};

use crate::models::Model;
use crate::tokenizer::Tokenizer;
use crate::{Error, Result};
use reader::Reader;
pub use vocab_txt::{from_vocab_txt, to_vocab_txt};

/// Reads a `tokenizer.json` file.
pub fn from_file(path: &Path) -> Result<Tokenizer> {
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    let source = path.display().to_string();
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        Error::Format(format!(
            "{source}: not UTF-8 (invalid byte at offset {}); expected a HuggingFace tokenizer.json",
            e.valid_up_to()
        ))
    })?;
    from_json_str(text, &source)
}

/// Parses `tokenizer.json` text; `source` names it in error messages.
pub fn from_json_str(text: &str, source: &str) -> Result<Tokenizer> {
    let root: Value = serde_json::from_str(text).map_err(|e| {
        Error::Format(format!(
            "{source}: not valid JSON ({e}); expected a HuggingFace tokenizer.json"
        ))
    })?;
    tokenizer(&Reader { source }, &root)
}

/// The canonical `tokenizer.json` text (pretty, HF's field order); HF loads it as is.
pub fn to_json_string(tok: &Tokenizer) -> String {
    let value = to_json(tok);
    // Serializing a Value built from strings and numbers cannot fail.
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn to_json(tok: &Tokenizer) -> Value {
    json!({
        "version": "1.0", "truncation": null, "padding": null,
        "added_tokens": added_tokens::write(&tok.added),
        "normalizer": normalizer::write(tok.normalizer.as_ref()),
        "pre_tokenizer": pre_tokenizer::write(&tok.pre_tokenizer),
        "post_processor": post_processor::write(&tok.post_processor),
        "decoder": decoder::write(tok.decoder.as_ref()),
        "model": model::write(&tok.model)
    })
}

/// The whole file: each component by its reader, then the pipeline's own checks.
fn tokenizer(r: &Reader, root: &Value) -> Result<Tokenizer> {
    let root = r.obj(root, "(root)")?;
    let model_v = r.field(root, "model", "(root)")?;
    let model = model::read(r, r.obj(model_v, "model")?)?;
    let is_bpe = matches!(model, Model::Bpe(_));
    let normalizer = normalizer::read(r, root.get("normalizer").unwrap_or(&Value::Null))?;
    let pre_tokenizer =
        pre_tokenizer::read(r, root.get("pre_tokenizer").unwrap_or(&Value::Null), is_bpe)?;
    if is_bpe && normalizer.is_some() {
        return Err(r.err("a BertNormalizer with a BPE model is not supported by bertbench".into()));
    }
    let added = added_tokens::read(r, root.get("added_tokens"))?;
    let post_processor =
        post_processor::read(r, root.get("post_processor").unwrap_or(&Value::Null))?;
    let decoder = decoder::read(r, root.get("decoder").unwrap_or(&Value::Null))?;
    Tokenizer::new(
        added,
        normalizer,
        pre_tokenizer,
        model,
        post_processor,
        decoder,
    )
    .map_err(|e| r.err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Bpe, WordPiece};
    use crate::normalizers::BertNormalizer;
    use crate::pre_tokenizers::byte_level::bytes_to_unicode;
    use crate::pre_tokenizers::SplitPattern;

    fn with_odd_specials(base: &[&str]) -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain(["<a b>".into(), "x\ny".into()])
            .collect()
    }

    pub(super) fn trained_like() -> Vec<Tokenizer> {
        let specials = with_odd_specials(&["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
        let mut wp_vocab = specials.clone();
        wp_vocab.extend(["hello", "##s", "tab\tin"].map(String::from));
        let wp = WordPiece::new(wp_vocab, "[UNK]".into(), "##".into(), 100).unwrap();
        let mut bpe_vocab = specials.clone();
        bpe_vocab.extend(bytes_to_unicode().iter().map(|c| c.to_string()));
        bpe_vocab.push("ĠĊ".into());
        let bpe = Bpe::new(bpe_vocab, vec![("Ġ".into(), "Ċ".into())]).unwrap();
        vec![
            Tokenizer::from_wordpiece(wp, BertNormalizer::default(), &specials).unwrap(),
            Tokenizer::from_bpe(bpe.clone(), SplitPattern::Gpt2, &specials).unwrap(),
            Tokenizer::from_bpe(bpe, SplitPattern::Gpt4, &specials).unwrap(),
        ]
    }

    #[test]
    fn json_round_trip_is_exact() {
        for tok in trained_like() {
            let text = to_json_string(&tok);
            let back = from_json_str(&text, "test.json").unwrap();
            assert_eq!(to_json_string(&back), text);
            assert_eq!(back.vocab(), tok.vocab());
            for s in ["hello <a b> x\ny", "Hellos \n [CLS]tab\tin"] {
                assert_eq!(
                    back.encode(s, Some(s), true, None, true),
                    tok.encode(s, Some(s), true, None, true)
                );
            }
        }
    }

    #[test]
    fn errors_name_file_field_and_finding() {
        let tok = &trained_like()[0];
        let cases: Vec<(Value, &str)> = vec![
            (
                json!({"model": {"type": "Unigram", "vocab": []}}),
                "model type 'Unigram' is not supported; bertbench loads BPE and WordPiece",
            ),
            (
                json!([1, 2]),
                "`(root)` should be an object, found an array",
            ),
            (json!({"normalizer": null}), "`(root)` has no `model` field"),
        ];
        for (v, msg) in cases {
            let err = from_json_str(&v.to_string(), "f.json").unwrap_err();
            assert!(
                matches!(&err, Error::Format(m) if m.starts_with("f.json: ") && m.contains(msg)),
                "{err}"
            );
        }
        let mut v = to_json(tok);
        v["pre_tokenizer"] = json!({"type": "Whitespace"});
        let err = from_json_str(&v.to_string(), "f.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("pre_tokenizer type 'Whitespace'") && err.contains("BertPreTokenizer"),
            "{err}"
        );
        let err = from_json_str("{\"model\": ", "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("f.json: not valid JSON"), "{err}");
    }
}
