//! `pre_tokenizer` of `tokenizer.json`: `BertPreTokenizer` (WordPiece), or byte-level with
//! the GPT-2 or GPT-4 split (BPE).

use serde_json::{json, Value};

use super::reader::{kind, Obj, Reader};
use crate::pre_tokenizers::{BertPreTokenizer, ByteLevel, PreTokenizer, SplitPattern};
use crate::Result;

pub(super) fn read(r: &Reader, v: &Value, is_bpe: bool) -> Result<PreTokenizer> {
    let at = "pre_tokenizer";
    let expected = if is_bpe {
        "ByteLevel (use_regex true), or Sequence[Split(GPT-2/GPT-4 regex, Isolated), ByteLevel(use_regex false)]"
    } else {
        "BertPreTokenizer"
    };
    let unsupported = |found: String| {
        r.err(format!(
            "pre_tokenizer {found} is not supported with this model; bertbench expects {expected}"
        ))
    };
    if v.is_null() {
        return Err(unsupported("null".into()));
    }
    let o = r.obj(v, at)?;
    let ty = r.type_of(o, at)?;
    match (ty, is_bpe) {
        ("BertPreTokenizer", false) => Ok(PreTokenizer::Bert(BertPreTokenizer)),
        ("ByteLevel", true) => {
            byte_level_options(r, o, at)?;
            if !r.flag(o, "use_regex", at, true)? {
                return Err(unsupported(
                    "ByteLevel with use_regex=false and no Split before it".into(),
                ));
            }
            Ok(PreTokenizer::ByteLevel(ByteLevel {
                pattern: SplitPattern::Gpt2,
            }))
        }
        ("Sequence", true) => {
            let list = r.field(o, "pretokenizers", at)?;
            let steps: Vec<&Obj> = match list.as_array() {
                Some(a) => a
                    .iter()
                    .map(|s| r.obj(s, "pre_tokenizer.pretokenizers[]"))
                    .collect::<Result<_>>()?,
                None => {
                    return Err(unsupported(format!(
                        "Sequence with `pretokenizers` {}",
                        kind(list)
                    )))
                }
            };
            let [split, byte_level] = steps.as_slice() else {
                return Err(unsupported(format!("Sequence of {} steps", steps.len())));
            };
            let (split_ty, bl_ty) = (r.type_of(split, at)?, r.type_of(byte_level, at)?);
            if split_ty != "Split" || bl_ty != "ByteLevel" {
                return Err(unsupported(format!("Sequence[{split_ty}, {bl_ty}]")));
            }
            let sat = "pre_tokenizer.pretokenizers[0]";
            let pattern_v = r.field(split, "pattern", sat)?;
            let regex = pattern_v
                .get("Regex")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    unsupported(format!(
                        "Split with pattern {pattern_v} (expected {{\"Regex\": ...}})"
                    ))
                })?;
            let pattern = match regex {
                r if r == SplitPattern::GPT2_REGEX => SplitPattern::Gpt2,
                r if r == SplitPattern::GPT4_REGEX => SplitPattern::Gpt4,
                r => {
                    return Err(unsupported(format!(
                        "Split with regex {r:?} (only the GPT-2 and GPT-4 patterns)"
                    )))
                }
            };
            let behavior = r.string(split, "behavior", sat)?;
            if behavior != "Isolated" || r.flag(split, "invert", sat, false)? {
                return Err(unsupported(format!(
                    "Split with behavior {behavior:?} / invert (expected Isolated)"
                )));
            }
            let bat = "pre_tokenizer.pretokenizers[1]";
            byte_level_options(r, byte_level, bat)?;
            if r.flag(byte_level, "use_regex", bat, true)? {
                return Err(unsupported(
                    "ByteLevel with use_regex=true after a Split".into(),
                ));
            }
            Ok(PreTokenizer::ByteLevel(ByteLevel { pattern }))
        }
        (other, _) => Err(unsupported(format!("type '{other}'"))),
    }
}

fn byte_level_options(r: &Reader, o: &Obj, at: &str) -> Result<()> {
    if r.flag(o, "add_prefix_space", at, true)? {
        return Err(r.err(format!(
            "`{at}.add_prefix_space` is true: a ByteLevel pre-tokenizer that adds a prefix space is not \
             supported by bertbench"
        )));
    }
    Ok(())
}

pub(super) fn write(pre_tokenizer: &PreTokenizer) -> Value {
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    match pre_tokenizer {
        PreTokenizer::Bert(_) => json!({"type": "BertPreTokenizer"}),
        PreTokenizer::ByteLevel(ByteLevel {
            pattern: SplitPattern::Gpt2,
        }) => byte_level(true),
        PreTokenizer::ByteLevel(ByteLevel { pattern }) => json!({
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": pattern.regex()}, "behavior": "Isolated", "invert": false},
                byte_level(false)
            ]
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { source: "t.json" };

    #[test]
    fn pre_tokenizers_round_trip_with_their_model() {
        let bert = PreTokenizer::Bert(BertPreTokenizer);
        assert_eq!(read(&R, &write(&bert), false).unwrap(), bert);
        for pattern in [SplitPattern::Gpt2, SplitPattern::Gpt4] {
            let p = PreTokenizer::ByteLevel(ByteLevel { pattern });
            assert_eq!(read(&R, &write(&p), true).unwrap(), p);
        }
        // Each model takes only its own pre-tokenizer.
        let err = read(&R, &write(&bert), true).unwrap_err().to_string();
        assert!(
            err.contains("pre_tokenizer type 'BertPreTokenizer' is not supported"),
            "{err}"
        );
    }

    #[test]
    fn byte_level_options_that_change_splits_are_refused() {
        let prefix = json!({"type": "ByteLevel", "add_prefix_space": true, "use_regex": true});
        let err = read(&R, &prefix, true).unwrap_err().to_string();
        assert!(
            err.contains("`pre_tokenizer.add_prefix_space` is true"),
            "{err}"
        );
        let no_regex = json!({"type": "ByteLevel", "add_prefix_space": false, "use_regex": false});
        let err = read(&R, &no_regex, true).unwrap_err().to_string();
        assert!(err.contains("use_regex=false and no Split"), "{err}");
        let mut seq = write(&PreTokenizer::ByteLevel(ByteLevel {
            pattern: SplitPattern::Gpt4,
        }));
        seq["pretokenizers"][0]["pattern"]["Regex"] = json!("\\s+");
        let err = read(&R, &seq, true).unwrap_err().to_string();
        assert!(err.contains("only the GPT-2 and GPT-4 patterns"), "{err}");
    }
}
