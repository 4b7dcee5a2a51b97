//! `post_processor` of `tokenizer.json`: `TemplateProcessing` or `BertProcessing` (the
//! template), `ByteLevel` (offset trimming), a `Sequence` of those, or none.

use serde_json::{json, Map, Value};

use super::reader::{kind, Obj, Reader};
use crate::processors::{Piece, PostProcessor, Seq, Template};
use crate::Result;

/// Reads the post-processor (null: none).
pub(super) fn read(r: &Reader, v: &Value) -> Result<PostProcessor> {
    let mut trim_offsets = None;
    let template = processor(r, v, &mut trim_offsets)?;
    Ok(PostProcessor {
        template,
        trim_offsets,
    })
}

/// The template, if any; a `ByteLevel` processor that trims offsets sets `trim_offsets`
/// to `Some(add_prefix_space)`.
fn processor(r: &Reader, v: &Value, trim_offsets: &mut Option<bool>) -> Result<Option<Template>> {
    let at = "post_processor";
    if v.is_null() {
        return Ok(None);
    }
    let o = r.obj(v, at)?;
    match r.type_of(o, at)? {
        "TemplateProcessing" => template(r, o).map(Some),
        "BertProcessing" => {
            let pair = |key: &str| -> Result<(String, u32)> {
                let p = r.field(o, key, at)?;
                match p.as_array().map(Vec::as_slice) {
                    Some([Value::String(s), Value::Number(n)]) if n.as_u64().is_some_and(|n| n <= u32::MAX as u64) => {
                        Ok((s.clone(), n.as_u64().unwrap_or_default() as u32))
                    }
                    _ => Err(r.err(format!("`{at}.{key}` should be [token, id], found {p}"))),
                }
            };
            let (cls, sep) = (pair("cls")?, pair("sep")?);
            Ok(Some(Template::bert((&cls.0, cls.1), (&sep.0, sep.1))))
        }
        "ByteLevel" => {
            if r.flag(o, "trim_offsets", at, true)? {
                *trim_offsets = Some(r.flag(o, "add_prefix_space", at, true)?);
            }
            Ok(None)
        }
        "Sequence" => {
            let list = r.field(o, "processors", at)?;
            let list = list
                .as_array()
                .ok_or_else(|| r.err(format!("`{at}.processors` should be an array, found {}", kind(list))))?;
            let mut found = None;
            for p in list {
                if let Some(t) = processor(r, p, trim_offsets)? {
                    if found.replace(t).is_some() {
                        return Err(r.err("post_processor Sequence holds two templates".into()));
                    }
                }
            }
            Ok(found)
        }
        other => Err(r.err(format!(
            "post_processor type '{other}' is not supported; bertbench supports TemplateProcessing and BertProcessing"
        ))),
    }
}

fn template(r: &Reader, o: &Obj) -> Result<Template> {
    let at = "post_processor";
    let specials = r.obj(
        r.field(o, "special_tokens", at)?,
        "post_processor.special_tokens",
    )?;
    let pieces = |key: &str| -> Result<Vec<Piece>> {
        let list = r.field(o, key, at)?;
        let list = list.as_array().ok_or_else(|| {
            r.err(format!(
                "`{at}.{key}` should be an array, found {}",
                kind(list)
            ))
        })?;
        let mut out = Vec::new();
        for (i, p) in list.iter().enumerate() {
            let pat = format!("{at}.{key}[{i}]");
            let po = r.obj(p, &pat)?;
            if let Some(s) = po.get("Sequence") {
                let s = r.obj(s, &pat)?;
                let seq = match r.string(s, "id", &pat)? {
                    "A" => Seq::A,
                    "B" => Seq::B,
                    x => {
                        return Err(r.err(format!(
                            "`{pat}.Sequence.id` is {x:?}; expected \"A\" or \"B\""
                        )))
                    }
                };
                out.push(Piece::Sequence {
                    seq,
                    type_id: r.uint(s, "type_id", &pat)? as u32,
                });
            } else if let Some(s) = po.get("SpecialToken") {
                let s = r.obj(s, &pat)?;
                let name = r.string(s, "id", &pat)?;
                let sat = format!("{at}.special_tokens.{name}");
                let def = r.obj(
                    r.field(specials, name, "post_processor.special_tokens")?,
                    &sat,
                )?;
                let ids = r.field(def, "ids", &sat)?;
                let tokens = r.field(def, "tokens", &sat)?;
                let (id, token) = match (ids.as_array().map(Vec::as_slice), tokens.as_array().map(Vec::as_slice)) {
                    (Some([id]), Some([Value::String(t)])) if id.as_u64().is_some_and(|n| n <= u32::MAX as u64) => {
                        (id.as_u64().unwrap_or_default() as u32, t.clone())
                    }
                    _ => {
                        return Err(r.err(format!(
                            "`{sat}` should map to exactly one id and token, found ids {ids} and tokens {tokens}"
                        )))
                    }
                };
                out.push(Piece::Special {
                    token,
                    id,
                    type_id: r.uint(s, "type_id", &pat)? as u32,
                });
            } else {
                return Err(r.err(format!(
                    "`{pat}` should be a Sequence or a SpecialToken, found {p}"
                )));
            }
        }
        Ok(out)
    };
    let t = Template {
        single: pieces("single")?,
        pair: pieces("pair")?,
    };
    t.validate().map_err(|e| r.err(e.to_string()))?;
    Ok(t)
}

pub(super) fn write(post_processor: &PostProcessor) -> Value {
    let template = post_processor.template.as_ref().map(template_json);
    let trim = post_processor.trim_offsets.map(|add_prefix_space| {
        json!({"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": true, "use_regex": true})
    });
    match (trim, template) {
        (None, None) => Value::Null,
        (Some(p), None) | (None, Some(p)) => p,
        (Some(trim), Some(template)) => json!({"type": "Sequence", "processors": [trim, template]}),
    }
}

fn template_json(t: &Template) -> Value {
    let pieces = |pieces: &[Piece]| -> Vec<Value> {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Sequence { seq, type_id } => {
                    let id = if *seq == Seq::A { "A" } else { "B" };
                    json!({"Sequence": {"id": id, "type_id": type_id}})
                }
                Piece::Special { token, type_id, .. } => {
                    json!({"SpecialToken": {"id": token, "type_id": type_id}})
                }
            })
            .collect()
    };
    let mut specials = Map::new();
    for p in t.single.iter().chain(&t.pair) {
        if let Piece::Special { token, id, .. } = p {
            specials.insert(
                token.clone(),
                json!({"id": token, "ids": [id], "tokens": [token]}),
            );
        }
    }
    json!({
        "type": "TemplateProcessing", "single": pieces(&t.single), "pair": pieces(&t.pair),
        "special_tokens": specials
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const R: Reader = Reader { source: "t.json" };

    #[test]
    fn sequence_of_trimming_and_template_round_trips() {
        let p = PostProcessor {
            template: Some(Template::bert(("[CLS]", 2), ("[SEP]", 3))),
            trim_offsets: Some(false),
        };
        let v = write(&p);
        assert_eq!(v["type"], "Sequence");
        assert_eq!(read(&R, &v).unwrap(), p);
        assert_eq!(read(&R, &Value::Null).unwrap(), PostProcessor::default());
    }

    #[test]
    fn bert_processing_is_the_bert_template() {
        let v = json!({"type": "BertProcessing", "cls": ["[CLS]", 2], "sep": ["[SEP]", 3]});
        let p = read(&R, &v).unwrap();
        assert_eq!(p.template, Some(Template::bert(("[CLS]", 2), ("[SEP]", 3))));
        let bad = json!({"type": "BertProcessing", "cls": ["[CLS]"], "sep": ["[SEP]", 3]});
        let err = read(&R, &bad).unwrap_err().to_string();
        assert!(
            err.contains("`post_processor.cls` should be [token, id]"),
            "{err}"
        );
    }

    #[test]
    fn two_templates_and_unknown_types_are_refused() {
        let t = write(&PostProcessor::template(Some(Template::bert(
            ("[CLS]", 2),
            ("[SEP]", 3),
        ))));
        let twice = json!({"type": "Sequence", "processors": [t, t]});
        let err = read(&R, &twice).unwrap_err().to_string();
        assert!(err.contains("holds two templates"), "{err}");
        let roberta = json!({"type": "RobertaProcessing"});
        let err = read(&R, &roberta).unwrap_err().to_string();
        assert!(
            err.starts_with("t.json: post_processor type 'RobertaProcessing'"),
            "{err}"
        );
    }
}
