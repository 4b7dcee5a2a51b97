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
