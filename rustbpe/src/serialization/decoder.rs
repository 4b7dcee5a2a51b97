//! `decoder` of `tokenizer.json`: `ByteLevel`, `WordPiece` or none.

use serde_json::{json, Value};

use super::reader::Reader;
use crate::decoders::Decoder;
use crate::Result;

pub(super) fn read(r: &Reader, v: &Value) -> Result<Option<Decoder>> {
    let at = "decoder";
    if v.is_null() {
        return Ok(None);
    }
    let o = r.obj(v, at)?;
    match r.type_of(o, at)? {
        "ByteLevel" => Ok(Some(Decoder::ByteLevel)),
        "WordPiece" => Ok(Some(Decoder::WordPiece {
            prefix: match o.get("prefix") {
                None => "##".to_owned(),
                Some(_) => r.string(o, "prefix", at)?.to_owned(),
            },
            cleanup: r.flag(o, "cleanup", at, true)?,
        })),
        other => Err(r.err(format!(
            "decoder type '{other}' is not supported; bertbench supports ByteLevel and WordPiece"
        ))),
    }
}

pub(super) fn write(decoder: Option<&Decoder>) -> Value {
    match decoder {
        None => Value::Null,
        Some(Decoder::ByteLevel) => {
            json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})
        }
        Some(Decoder::WordPiece { prefix, cleanup }) => {
            json!({"type": "WordPiece", "prefix": prefix, "cleanup": cleanup})
        }
    }
}
