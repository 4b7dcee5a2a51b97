//! `added_tokens` of `tokenizer.json`: HF's flags, as `AddedToken`s.

use serde_json::{json, Value};

use super::reader::{kind, Reader};
use crate::added_vocabulary::{AddedToken, AddedVocabulary};
use crate::Result;

/// Reads the `added_tokens` list (absent: none).
pub(super) fn read(r: &Reader, list: Option<&Value>) -> Result<AddedVocabulary> {
    let mut added = Vec::new();
    if let Some(list) = list {
        let list = list.as_array().ok_or_else(|| {
            r.err(format!(
                "`added_tokens` should be an array, found {}",
                kind(list)
            ))
        })?;
        for (i, t) in list.iter().enumerate() {
            added.push(added_token(r, t, &format!("added_tokens[{i}]"))?);
        }
    }
    AddedVocabulary::new(added).map_err(|e| r.err(e.to_string()))
}

fn added_token(r: &Reader, v: &Value, at: &str) -> Result<AddedToken> {
    let o = r.obj(v, at)?;
    let id = r.uint(o, "id", at)?;
    let id = u32::try_from(id).map_err(|_| r.err(format!("`{at}.id` {id} is too large")))?;
    Ok(AddedToken {
        id,
        content: r.string(o, "content", at)?.to_owned(),
        single_word: r.flag(o, "single_word", at, false)?,
        lstrip: r.flag(o, "lstrip", at, false)?,
        rstrip: r.flag(o, "rstrip", at, false)?,
        normalized: r.flag(o, "normalized", at, true)?,
        special: r.flag(o, "special", at, false)?,
    })
}

pub(super) fn write(added: &AddedVocabulary) -> Value {
    let tokens: Vec<Value> = added
        .tokens()
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "content": t.content, "single_word": t.single_word, "lstrip": t.lstrip,
                "rstrip": t.rstrip, "normalized": t.normalized, "special": t.special
            })
        })
        .collect();
    Value::Array(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { source: "t.json" };

    #[test]
    fn flags_default_as_hf_and_round_trip() {
        let list = json!([{"id": 7, "content": "<x>"}]);
        let added = read(&R, Some(&list)).unwrap();
        let t = &added.tokens()[0];
        // HF's defaults: normalized, not special, no stripping.
        assert!(t.normalized && !t.special && !t.lstrip && !t.rstrip && !t.single_word);
        assert_eq!(
            read(&R, Some(&write(&added))).unwrap().tokens(),
            added.tokens()
        );
        assert!(read(&R, None).unwrap().is_empty());
        let huge = json!([{"id": 1u64 << 40, "content": "<x>"}]);
        let err = read(&R, Some(&huge)).unwrap_err().to_string();
        assert!(
            err.contains("`added_tokens[0].id` 1099511627776 is too large"),
            "{err}"
        );
    }
}
