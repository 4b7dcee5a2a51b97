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

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { source: "t.json" };

    #[test]
    fn decoders_round_trip_and_defaults_apply() {
        for d in [
            None,
            Some(Decoder::ByteLevel),
            Some(Decoder::WordPiece {
                prefix: "@@".into(),
                cleanup: false,
            }),
        ] {
            assert_eq!(read(&R, &write(d.as_ref())).unwrap(), d);
        }
        let bare = json!({"type": "WordPiece"});
        let expected = Decoder::WordPiece {
            prefix: "##".into(),
            cleanup: true,
        };
        assert_eq!(read(&R, &bare).unwrap(), Some(expected));
        let err = read(&R, &json!({"type": "Metaspace"}))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("decoder type 'Metaspace' is not supported"),
            "{err}"
        );
    }
}
