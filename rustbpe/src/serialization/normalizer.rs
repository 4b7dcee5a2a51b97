//! `normalizer` of `tokenizer.json`: `BertNormalizer` or none.

use serde_json::{json, Value};

use super::reader::Reader;
use crate::normalizers::BertNormalizer;
use crate::Result;

pub(super) fn read(r: &Reader, v: &Value) -> Result<Option<BertNormalizer>> {
    let at = "normalizer";
    if v.is_null() {
        return Ok(None);
    }
    let o = r.obj(v, at)?;
    match r.type_of(o, at)? {
        "BertNormalizer" => {
            let strip_accents = match o.get("strip_accents") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(x) => {
                    return Err(r.err(format!(
                        "`normalizer.strip_accents` should be null or a boolean, found {x}"
                    )))
                }
            };
            Ok(Some(BertNormalizer {
                clean_text: r.flag(o, "clean_text", at, true)?,
                handle_chinese_chars: r.flag(o, "handle_chinese_chars", at, true)?,
                strip_accents,
                lowercase: r.flag(o, "lowercase", at, true)?,
            }))
        }
        "Sequence"
            if o.get("normalizers")
                .and_then(Value::as_array)
                .is_some_and(|a| a.is_empty()) =>
        {
            Ok(None)
        }
        other => Err(r.err(format!(
            "normalizer type '{other}' is not supported; bertbench supports BertNormalizer or none"
        ))),
    }
}

pub(super) fn write(normalizer: Option<&BertNormalizer>) -> Value {
    match normalizer {
        None => Value::Null,
        Some(n) => json!({
            "type": "BertNormalizer", "clean_text": n.clean_text, "handle_chinese_chars": n.handle_chinese_chars,
            "strip_accents": n.strip_accents, "lowercase": n.lowercase
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { source: "t.json" };

    #[test]
    fn bert_normalizer_round_trips_and_others_are_refused() {
        let n = BertNormalizer {
            strip_accents: Some(false),
            lowercase: false,
            ..BertNormalizer::default()
        };
        assert_eq!(read(&R, &write(Some(&n))).unwrap(), Some(n));
        let empty = json!({"type": "Sequence", "normalizers": []});
        assert_eq!(read(&R, &empty).unwrap(), None);
        let bad = json!({"type": "BertNormalizer", "strip_accents": "yes"});
        let err = read(&R, &bad).unwrap_err().to_string();
        assert!(
            err.contains("`normalizer.strip_accents` should be null or a boolean"),
            "{err}"
        );
        let nfc = json!({"type": "NFC"});
        let err = read(&R, &nfc).unwrap_err().to_string();
        assert!(
            err.contains("normalizer type 'NFC' is not supported"),
            "{err}"
        );
    }
}
