//! `model` of `tokenizer.json`: byte-level BPE (vocab and merges) or WordPiece.

use serde_json::{json, Map, Value};

use super::reader::{kind, Obj, Reader};
use crate::models::{Bpe, Model, WordPiece};
use crate::pre_tokenizers::byte_level::bytes_to_unicode;
use crate::Result;

pub(super) fn read(r: &Reader, o: &Obj) -> Result<Model> {
    let at = "model";
    let ty = match o.get("type") {
        Some(v) => v.as_str().ok_or_else(|| {
            r.err(format!(
                "`model.type` should be a string, found {}",
                kind(v)
            ))
        })?,
        // Old files have untagged models: tell them apart as HF does, by their fields.
        None if o.contains_key("merges") => "BPE",
        None if o.contains_key("continuing_subword_prefix") => "WordPiece",
        None => {
            return Err(r.err("`model` has no `type`; expected \"BPE\" or \"WordPiece\"".into()))
        }
    };
    match ty {
        "BPE" => {
            r.unsupported_if_set(o, "dropout", at, "BPE dropout")?;
            r.unsupported_if_set(o, "unk_token", at, "an unknown token in byte-level BPE")?;
            r.unsupported_if_set(
                o,
                "continuing_subword_prefix",
                at,
                "a continuing-subword prefix in BPE",
            )?;
            r.unsupported_if_set(o, "end_of_word_suffix", at, "an end-of-word suffix")?;
            r.unsupported_if_set(o, "byte_fallback", at, "byte_fallback")?;
            r.unsupported_if_set(o, "ignore_merges", at, "ignore_merges")?;
            let vocab = vocab(r, o, at)?;
            let merges = merges(r, o)?;
            let present: rustc_hash::FxHashSet<&str> = vocab.iter().map(String::as_str).collect();
            for c in bytes_to_unicode() {
                let mut buf = [0u8; 4];
                if !present.contains(&*c.encode_utf8(&mut buf)) {
                    return Err(r.err(format!(
                        "the BPE vocab lacks the byte symbol {c:?}; bertbench loads byte-level BPE whose vocab \
                         holds all 256 byte symbols"
                    )));
                }
            }
            Ok(Model::Bpe(
                Bpe::new(vocab, merges).map_err(|e| r.err(e.to_string()))?,
            ))
        }
        "WordPiece" => {
            let vocab = vocab(r, o, at)?;
            let unk = r.string(o, "unk_token", at)?.to_owned();
            let prefix = r.string(o, "continuing_subword_prefix", at)?.to_owned();
            let max_chars = r.uint(o, "max_input_chars_per_word", at)? as usize;
            let m =
                WordPiece::new(vocab, unk, prefix, max_chars).map_err(|e| r.err(e.to_string()))?;
            Ok(Model::WordPiece(m))
        }
        other => Err(r.err(format!(
            "model type '{other}' is not supported; bertbench loads BPE and WordPiece"
        ))),
    }
}

fn vocab(r: &Reader, o: &Obj, at: &str) -> Result<Vec<String>> {
    let v = r.field(o, "vocab", at)?;
    let map = v.as_object().ok_or_else(|| {
        r.err(format!(
            "`{at}.vocab` should be an object token -> id, found {}",
            kind(v)
        ))
    })?;
    let mut slots: Vec<Option<String>> = vec![None; map.len()];
    for (token, id) in map {
        let id = id.as_u64().ok_or_else(|| {
            r.err(format!(
                "`{at}.vocab[{token:?}]` should be an integer id, found {id}"
            ))
        })?;
        let slot = slots.get_mut(id as usize).ok_or_else(|| {
            r.err(format!(
                "`{at}.vocab` gives {token:?} id {id}, but ids must be 0..{} (one per token)",
                map.len()
            ))
        })?;
        if let Some(other) = slot {
            return Err(r.err(format!(
                "`{at}.vocab` gives id {id} to both {other:?} and {token:?}"
            )));
        }
        *slot = Some(token.clone());
    }
    // len == map.len() and no slot filled twice, so every slot is filled.
    Ok(slots.into_iter().map(Option::unwrap_or_default).collect())
}

fn merges(r: &Reader, o: &Obj) -> Result<Vec<(String, String)>> {
    let v = r.field(o, "merges", "model")?;
    let list = v.as_array().ok_or_else(|| {
        r.err(format!(
            "`model.merges` should be an array, found {}",
            kind(v)
        ))
    })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, m) in list.iter().enumerate() {
        let pair = match m {
            Value::String(s) => {
                let mut parts = s.split(' ');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(a), Some(b), None) => (a.to_owned(), b.to_owned()),
                    _ => {
                        return Err(r.err(format!(
                        "`model.merges[{i}]` is {s:?}; expected two tokens separated by one space"
                    )))
                    }
                }
            }
            Value::Array(p) => match p.as_slice() {
                [Value::String(a), Value::String(b)] => (a.clone(), b.clone()),
                _ => {
                    return Err(r.err(format!(
                        "`model.merges[{i}]` is {m}; expected a pair of token strings"
                    )))
                }
            },
            _ => {
                return Err(r.err(format!(
                    "`model.merges[{i}]` should be \"a b\" or [\"a\", \"b\"], found {}",
                    kind(m)
                )))
            }
        };
        out.push(pair);
    }
    Ok(out)
}

pub(super) fn write(model: &Model) -> Value {
    match model {
        Model::Bpe(m) => {
            let merges: Vec<Value> = m
                .merge_strings()
                .into_iter()
                .map(|(a, b)| json!([a, b]))
                .collect();
            json!({
                "type": "BPE", "dropout": null, "unk_token": null, "continuing_subword_prefix": null,
                "end_of_word_suffix": null, "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab_json(&m.vocab), "merges": merges
            })
        }
        Model::WordPiece(m) => json!({
            "type": "WordPiece", "unk_token": m.unk_token, "continuing_subword_prefix": m.continuing_subword_prefix,
            "max_input_chars_per_word": m.max_input_chars_per_word, "vocab": vocab_json(&m.vocab)
        }),
    }
}

fn vocab_json(vocab: &[String]) -> Value {
    let map: Map<String, Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::serialization::tests::trained_like;
    use crate::serialization::{from_json_str, to_json, to_json_string};

    #[test]
    fn merges_as_strings_load_too() {
        let tok = &trained_like()[1];
        let mut v = to_json(tok);
        v["model"]["merges"] = json!(["Ġ Ċ"]);
        let back = from_json_str(&v.to_string(), "t").unwrap();
        assert_eq!(to_json_string(&back), to_json_string(tok));
    }
}
