//! HF `tokenizer.json` read/write (both ways, exact round trip) and WordPiece `vocab.txt`.
//!
//! Reading walks a `serde_json::Value` by hand rather than deriving: every unsupported or
//! malformed field gets a message naming the file, the field, what was expected and what
//! was found. Anything that would change encoding silently (BPE dropout, byte fallback,
//! other normalizers, ...) is refused rather than ignored.

use std::path::Path;

use serde_json::{json, Map, Value};

use crate::added_vocabulary::{AddedToken, AddedVocabulary};
use crate::decoders::Decoder;
use crate::models::{Bpe, Model, WordPiece};
use crate::normalizers::BertNormalizer;
use crate::pre_tokenizers::byte_level::bytes_to_unicode;
use crate::pre_tokenizers::{BertPreTokenizer, ByteLevel, PreTokenizer, SplitPattern};
use crate::processors::{Piece, PostProcessor, Seq, Template};
use crate::tokenizer::Tokenizer;
use crate::{Error, Result};

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
    Reader { source }.tokenizer(&root)
}

/// The canonical `tokenizer.json` text (pretty, HF's field order); HF loads it as is.
pub fn to_json_string(tok: &Tokenizer) -> String {
    let value = to_json(tok);
    // Serializing a Value built from strings and numbers cannot fail.
    serde_json::to_string_pretty(&value).unwrap_or_default()
}

pub fn to_json(tok: &Tokenizer) -> Value {
    let added: Vec<Value> = tok
        .added
        .tokens()
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "content": t.content, "single_word": t.single_word, "lstrip": t.lstrip,
                "rstrip": t.rstrip, "normalized": t.normalized, "special": t.special
            })
        })
        .collect();
    let normalizer = match &tok.normalizer {
        None => Value::Null,
        Some(n) => json!({
            "type": "BertNormalizer", "clean_text": n.clean_text, "handle_chinese_chars": n.handle_chinese_chars,
            "strip_accents": n.strip_accents, "lowercase": n.lowercase
        }),
    };
    let byte_level = |use_regex: bool| json!({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": use_regex});
    let pre_tokenizer = match &tok.pre_tokenizer {
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
    };
    let template = tok.post_processor.template.as_ref().map(template_json);
    let trim = tok.post_processor.trim_offsets.map(|add_prefix_space| {
        json!({"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": true, "use_regex": true})
    });
    let post_processor = match (trim, template) {
        (None, None) => Value::Null,
        (Some(p), None) | (None, Some(p)) => p,
        (Some(trim), Some(template)) => json!({"type": "Sequence", "processors": [trim, template]}),
    };
    let decoder = match &tok.decoder {
        None => Value::Null,
        Some(Decoder::ByteLevel) => {
            json!({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})
        }
        Some(Decoder::WordPiece { prefix, cleanup }) => {
            json!({"type": "WordPiece", "prefix": prefix, "cleanup": cleanup})
        }
    };
    let model = match &tok.model {
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
    };
    json!({
        "version": "1.0", "truncation": null, "padding": null, "added_tokens": added,
        "normalizer": normalizer, "pre_tokenizer": pre_tokenizer, "post_processor": post_processor,
        "decoder": decoder, "model": model
    })
}

fn vocab_json(vocab: &[String]) -> Value {
    let map: Map<String, Value> = vocab
        .iter()
        .enumerate()
        .map(|(i, t)| (t.clone(), json!(i)))
        .collect();
    Value::Object(map)
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

/// Walks the JSON with the file name at hand for messages.
struct Reader<'a> {
    source: &'a str,
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

type Obj = Map<String, Value>;

impl Reader<'_> {
    fn err(&self, msg: String) -> Error {
        Error::Format(format!("{}: {msg}", self.source))
    }

    fn obj<'v>(&self, v: &'v Value, at: &str) -> Result<&'v Obj> {
        v.as_object()
            .ok_or_else(|| self.err(format!("`{at}` should be an object, found {}", kind(v))))
    }

    fn field<'v>(&self, o: &'v Obj, key: &str, at: &str) -> Result<&'v Value> {
        o.get(key)
            .ok_or_else(|| self.err(format!("`{at}` has no `{key}` field")))
    }

    fn string<'v>(&self, o: &'v Obj, key: &str, at: &str) -> Result<&'v str> {
        let v = self.field(o, key, at)?;
        v.as_str().ok_or_else(|| {
            self.err(format!(
                "`{at}.{key}` should be a string, found {}",
                kind(v)
            ))
        })
    }

    /// A boolean that may be absent (then `default`).
    fn flag(&self, o: &Obj, key: &str, at: &str, default: bool) -> Result<bool> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(format!(
                "`{at}.{key}` should be true or false, found {}",
                kind(v)
            ))),
        }
    }

    fn uint(&self, o: &Obj, key: &str, at: &str) -> Result<u64> {
        let v = self.field(o, key, at)?;
        v.as_u64().ok_or_else(|| {
            self.err(format!(
                "`{at}.{key}` should be a non-negative integer, found {v}"
            ))
        })
    }

    fn type_of<'v>(&self, o: &'v Obj, at: &str) -> Result<&'v str> {
        self.string(o, "type", at)
    }

    /// Refuses a field that is set to anything but null / false / empty.
    fn unsupported_if_set(&self, o: &Obj, key: &str, at: &str, what: &str) -> Result<()> {
        match o.get(key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(()),
            Some(Value::String(s)) if s.is_empty() => Ok(()),
            Some(v) => Err(self.err(format!(
                "`{at}.{key}` is {v}: {what} is not supported by bertbench"
            ))),
        }
    }

    fn tokenizer(&self, root: &Value) -> Result<Tokenizer> {
        let root = self.obj(root, "(root)")?;
        let model_v = self.field(root, "model", "(root)")?;
        let model = self.model(self.obj(model_v, "model")?)?;
        let is_bpe = matches!(model, Model::Bpe(_));
        let normalizer = self.normalizer(root.get("normalizer").unwrap_or(&Value::Null))?;
        let pre_tokenizer =
            self.pre_tokenizer(root.get("pre_tokenizer").unwrap_or(&Value::Null), is_bpe)?;
        if is_bpe && normalizer.is_some() {
            return Err(
                self.err("a BertNormalizer with a BPE model is not supported by bertbench".into())
            );
        }
        let mut added = Vec::new();
        if let Some(list) = root.get("added_tokens") {
            let list = list.as_array().ok_or_else(|| {
                self.err(format!(
                    "`added_tokens` should be an array, found {}",
                    kind(list)
                ))
            })?;
            for (i, t) in list.iter().enumerate() {
                added.push(self.added_token(t, &format!("added_tokens[{i}]"))?);
            }
        }
        let added = AddedVocabulary::new(added).map_err(|e| self.err(e.to_string()))?;
        let mut trim_offsets = None;
        let template = self.post_processor(
            root.get("post_processor").unwrap_or(&Value::Null),
            &mut trim_offsets,
        )?;
        let post_processor = PostProcessor {
            template,
            trim_offsets,
        };
        let decoder = self.decoder(root.get("decoder").unwrap_or(&Value::Null))?;
        Tokenizer::new(
            added,
            normalizer,
            pre_tokenizer,
            model,
            post_processor,
            decoder,
        )
        .map_err(|e| self.err(e.to_string()))
    }

    fn added_token(&self, v: &Value, at: &str) -> Result<AddedToken> {
        let o = self.obj(v, at)?;
        let id = self.uint(o, "id", at)?;
        let id = u32::try_from(id).map_err(|_| self.err(format!("`{at}.id` {id} is too large")))?;
        Ok(AddedToken {
            id,
            content: self.string(o, "content", at)?.to_owned(),
            single_word: self.flag(o, "single_word", at, false)?,
            lstrip: self.flag(o, "lstrip", at, false)?,
            rstrip: self.flag(o, "rstrip", at, false)?,
            normalized: self.flag(o, "normalized", at, true)?,
            special: self.flag(o, "special", at, false)?,
        })
    }

    fn vocab(&self, o: &Obj, at: &str) -> Result<Vec<String>> {
        let v = self.field(o, "vocab", at)?;
        let map = v.as_object().ok_or_else(|| {
            self.err(format!(
                "`{at}.vocab` should be an object token -> id, found {}",
                kind(v)
            ))
        })?;
        let mut slots: Vec<Option<String>> = vec![None; map.len()];
        for (token, id) in map {
            let id = id.as_u64().ok_or_else(|| {
                self.err(format!(
                    "`{at}.vocab[{token:?}]` should be an integer id, found {id}"
                ))
            })?;
            let slot = slots.get_mut(id as usize).ok_or_else(|| {
                self.err(format!(
                    "`{at}.vocab` gives {token:?} id {id}, but ids must be 0..{} (one per token)",
                    map.len()
                ))
            })?;
            if let Some(other) = slot {
                return Err(self.err(format!(
                    "`{at}.vocab` gives id {id} to both {other:?} and {token:?}"
                )));
            }
            *slot = Some(token.clone());
        }
        // len == map.len() and no slot filled twice, so every slot is filled.
        Ok(slots.into_iter().map(Option::unwrap_or_default).collect())
    }

    fn model(&self, o: &Obj) -> Result<Model> {
        let at = "model";
        let ty = match o.get("type") {
            Some(v) => v.as_str().ok_or_else(|| {
                self.err(format!(
                    "`model.type` should be a string, found {}",
                    kind(v)
                ))
            })?,
            // Old files have untagged models: tell them apart as HF does, by their fields.
            None if o.contains_key("merges") => "BPE",
            None if o.contains_key("continuing_subword_prefix") => "WordPiece",
            None => {
                return Err(
                    self.err("`model` has no `type`; expected \"BPE\" or \"WordPiece\"".into())
                )
            }
        };
        match ty {
            "BPE" => {
                self.unsupported_if_set(o, "dropout", at, "BPE dropout")?;
                self.unsupported_if_set(o, "unk_token", at, "an unknown token in byte-level BPE")?;
                self.unsupported_if_set(
                    o,
                    "continuing_subword_prefix",
                    at,
                    "a continuing-subword prefix in BPE",
                )?;
                self.unsupported_if_set(o, "end_of_word_suffix", at, "an end-of-word suffix")?;
                self.unsupported_if_set(o, "byte_fallback", at, "byte_fallback")?;
                self.unsupported_if_set(o, "ignore_merges", at, "ignore_merges")?;
                let vocab = self.vocab(o, at)?;
                let merges = self.merges(o)?;
                let present: rustc_hash::FxHashSet<&str> =
                    vocab.iter().map(String::as_str).collect();
                for c in bytes_to_unicode() {
                    let mut buf = [0u8; 4];
                    if !present.contains(&*c.encode_utf8(&mut buf)) {
                        return Err(self.err(format!(
                            "the BPE vocab lacks the byte symbol {c:?}; bertbench loads byte-level BPE whose vocab \
                             holds all 256 byte symbols"
                        )));
                    }
                }
                Ok(Model::Bpe(
                    Bpe::new(vocab, merges).map_err(|e| self.err(e.to_string()))?,
                ))
            }
            "WordPiece" => {
                let vocab = self.vocab(o, at)?;
                let unk = self.string(o, "unk_token", at)?.to_owned();
                let prefix = self.string(o, "continuing_subword_prefix", at)?.to_owned();
                let max_chars = self.uint(o, "max_input_chars_per_word", at)? as usize;
                let m = WordPiece::new(vocab, unk, prefix, max_chars)
                    .map_err(|e| self.err(e.to_string()))?;
                Ok(Model::WordPiece(m))
            }
            other => Err(self.err(format!(
                "model type '{other}' is not supported; bertbench loads BPE and WordPiece"
            ))),
        }
    }

    fn merges(&self, o: &Obj) -> Result<Vec<(String, String)>> {
        let v = self.field(o, "merges", "model")?;
        let list = v.as_array().ok_or_else(|| {
            self.err(format!(
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
                            return Err(self.err(format!(
                                "`model.merges[{i}]` is {s:?}; expected two tokens separated by one space"
                            )))
                        }
                    }
                }
                Value::Array(p) => match p.as_slice() {
                    [Value::String(a), Value::String(b)] => (a.clone(), b.clone()),
                    _ => {
                        return Err(self.err(format!(
                            "`model.merges[{i}]` is {m}; expected a pair of token strings"
                        )))
                    }
                },
                _ => {
                    return Err(self.err(format!(
                        "`model.merges[{i}]` should be \"a b\" or [\"a\", \"b\"], found {}",
                        kind(m)
                    )))
                }
            };
            out.push(pair);
        }
        Ok(out)
    }

    fn normalizer(&self, v: &Value) -> Result<Option<BertNormalizer>> {
        let at = "normalizer";
        if v.is_null() {
            return Ok(None);
        }
        let o = self.obj(v, at)?;
        match self.type_of(o, at)? {
            "BertNormalizer" => {
                let strip_accents = match o.get("strip_accents") {
                    None | Some(Value::Null) => None,
                    Some(Value::Bool(b)) => Some(*b),
                    Some(x) => {
                        return Err(self.err(format!("`normalizer.strip_accents` should be null or a boolean, found {x}")))
                    }
                };
                Ok(Some(BertNormalizer {
                    clean_text: self.flag(o, "clean_text", at, true)?,
                    handle_chinese_chars: self.flag(o, "handle_chinese_chars", at, true)?,
                    strip_accents,
                    lowercase: self.flag(o, "lowercase", at, true)?,
                }))
            }
            "Sequence" if o.get("normalizers").and_then(Value::as_array).is_some_and(|a| a.is_empty()) => Ok(None),
            other => Err(self.err(format!(
                "normalizer type '{other}' is not supported; bertbench supports BertNormalizer or none"
            ))),
        }
    }

    fn pre_tokenizer(&self, v: &Value, is_bpe: bool) -> Result<PreTokenizer> {
        let at = "pre_tokenizer";
        let expected = if is_bpe {
            "ByteLevel (use_regex true), or Sequence[Split(GPT-2/GPT-4 regex, Isolated), ByteLevel(use_regex false)]"
        } else {
            "BertPreTokenizer"
        };
        let unsupported = |found: String| {
            self.err(format!("pre_tokenizer {found} is not supported with this model; bertbench expects {expected}"))
        };
        if v.is_null() {
            return Err(unsupported("null".into()));
        }
        let o = self.obj(v, at)?;
        let ty = self.type_of(o, at)?;
        match (ty, is_bpe) {
            ("BertPreTokenizer", false) => Ok(PreTokenizer::Bert(BertPreTokenizer)),
            ("ByteLevel", true) => {
                self.byte_level_options(o, at)?;
                if !self.flag(o, "use_regex", at, true)? {
                    return Err(unsupported(
                        "ByteLevel with use_regex=false and no Split before it".into(),
                    ));
                }
                Ok(PreTokenizer::ByteLevel(ByteLevel {
                    pattern: SplitPattern::Gpt2,
                }))
            }
            ("Sequence", true) => {
                let list = self.field(o, "pretokenizers", at)?;
                let steps: Vec<&Obj> = match list.as_array() {
                    Some(a) => a
                        .iter()
                        .map(|s| self.obj(s, "pre_tokenizer.pretokenizers[]"))
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
                let (split_ty, bl_ty) = (self.type_of(split, at)?, self.type_of(byte_level, at)?);
                if split_ty != "Split" || bl_ty != "ByteLevel" {
                    return Err(unsupported(format!("Sequence[{split_ty}, {bl_ty}]")));
                }
                let sat = "pre_tokenizer.pretokenizers[0]";
                let pattern_v = self.field(split, "pattern", sat)?;
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
                let behavior = self.string(split, "behavior", sat)?;
                if behavior != "Isolated" || self.flag(split, "invert", sat, false)? {
                    return Err(unsupported(format!(
                        "Split with behavior {behavior:?} / invert (expected Isolated)"
                    )));
                }
                let bat = "pre_tokenizer.pretokenizers[1]";
                self.byte_level_options(byte_level, bat)?;
                if self.flag(byte_level, "use_regex", bat, true)? {
                    return Err(unsupported(
                        "ByteLevel with use_regex=true after a Split".into(),
                    ));
                }
                Ok(PreTokenizer::ByteLevel(ByteLevel { pattern }))
            }
            (other, _) => Err(unsupported(format!("type '{other}'"))),
        }
    }

    fn byte_level_options(&self, o: &Obj, at: &str) -> Result<()> {
        if self.flag(o, "add_prefix_space", at, true)? {
            return Err(self.err(format!(
                "`{at}.add_prefix_space` is true: a ByteLevel pre-tokenizer that adds a prefix space is not \
                 supported by bertbench"
            )));
        }
        Ok(())
    }

    /// The template, if any; a `ByteLevel` processor that trims offsets sets `trim_offsets`
    /// to `Some(add_prefix_space)`.
    fn post_processor(
        &self,
        v: &Value,
        trim_offsets: &mut Option<bool>,
    ) -> Result<Option<Template>> {
        let at = "post_processor";
        if v.is_null() {
            return Ok(None);
        }
        let o = self.obj(v, at)?;
        match self.type_of(o, at)? {
            "TemplateProcessing" => self.template(o).map(Some),
            "BertProcessing" => {
                let pair = |key: &str| -> Result<(String, u32)> {
                    let p = self.field(o, key, at)?;
                    match p.as_array().map(Vec::as_slice) {
                        Some([Value::String(s), Value::Number(n)]) if n.as_u64().is_some_and(|n| n <= u32::MAX as u64) => {
                            Ok((s.clone(), n.as_u64().unwrap_or_default() as u32))
                        }
                        _ => Err(self.err(format!("`{at}.{key}` should be [token, id], found {p}"))),
                    }
                };
                let (cls, sep) = (pair("cls")?, pair("sep")?);
                Ok(Some(Template::bert((&cls.0, cls.1), (&sep.0, sep.1))))
            }
            "ByteLevel" => {
                if self.flag(o, "trim_offsets", at, true)? {
                    *trim_offsets = Some(self.flag(o, "add_prefix_space", at, true)?);
                }
                Ok(None)
            }
            "Sequence" => {
                let list = self.field(o, "processors", at)?;
                let list = list
                    .as_array()
                    .ok_or_else(|| self.err(format!("`{at}.processors` should be an array, found {}", kind(list))))?;
                let mut found = None;
                for p in list {
                    if let Some(t) = self.post_processor(p, trim_offsets)? {
                        if found.replace(t).is_some() {
                            return Err(self.err("post_processor Sequence holds two templates".into()));
                        }
                    }
                }
                Ok(found)
            }
            other => Err(self.err(format!(
                "post_processor type '{other}' is not supported; bertbench supports TemplateProcessing and BertProcessing"
            ))),
        }
    }

    fn template(&self, o: &Obj) -> Result<Template> {
        let at = "post_processor";
        let specials = self.obj(
            self.field(o, "special_tokens", at)?,
            "post_processor.special_tokens",
        )?;
        let pieces = |key: &str| -> Result<Vec<Piece>> {
            let list = self.field(o, key, at)?;
            let list = list.as_array().ok_or_else(|| {
                self.err(format!(
                    "`{at}.{key}` should be an array, found {}",
                    kind(list)
                ))
            })?;
            let mut out = Vec::new();
            for (i, p) in list.iter().enumerate() {
                let pat = format!("{at}.{key}[{i}]");
                let po = self.obj(p, &pat)?;
                if let Some(s) = po.get("Sequence") {
                    let s = self.obj(s, &pat)?;
                    let seq = match self.string(s, "id", &pat)? {
                        "A" => Seq::A,
                        "B" => Seq::B,
                        x => {
                            return Err(self.err(format!(
                                "`{pat}.Sequence.id` is {x:?}; expected \"A\" or \"B\""
                            )))
                        }
                    };
                    out.push(Piece::Sequence {
                        seq,
                        type_id: self.uint(s, "type_id", &pat)? as u32,
                    });
                } else if let Some(s) = po.get("SpecialToken") {
                    let s = self.obj(s, &pat)?;
                    let name = self.string(s, "id", &pat)?;
                    let sat = format!("{at}.special_tokens.{name}");
                    let def = self.obj(
                        self.field(specials, name, "post_processor.special_tokens")?,
                        &sat,
                    )?;
                    let ids = self.field(def, "ids", &sat)?;
                    let tokens = self.field(def, "tokens", &sat)?;
                    let (id, token) = match (ids.as_array().map(Vec::as_slice), tokens.as_array().map(Vec::as_slice)) {
                        (Some([id]), Some([Value::String(t)])) if id.as_u64().is_some_and(|n| n <= u32::MAX as u64) => {
                            (id.as_u64().unwrap_or_default() as u32, t.clone())
                        }
                        _ => {
                            return Err(self.err(format!(
                                "`{sat}` should map to exactly one id and token, found ids {ids} and tokens {tokens}"
                            )))
                        }
                    };
                    out.push(Piece::Special {
                        token,
                        id,
                        type_id: self.uint(s, "type_id", &pat)? as u32,
                    });
                } else {
                    return Err(self.err(format!(
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
        t.validate().map_err(|e| self.err(e.to_string()))?;
        Ok(t)
    }

    fn decoder(&self, v: &Value) -> Result<Option<Decoder>> {
        let at = "decoder";
        if v.is_null() {
            return Ok(None);
        }
        let o = self.obj(v, at)?;
        match self.type_of(o, at)? {
            "ByteLevel" => Ok(Some(Decoder::ByteLevel)),
            "WordPiece" => Ok(Some(Decoder::WordPiece {
                prefix: match o.get("prefix") {
                    None => "##".to_owned(),
                    Some(_) => self.string(o, "prefix", at)?.to_owned(),
                },
                cleanup: self.flag(o, "cleanup", at, true)?,
            })),
            other => Err(self.err(format!(
                "decoder type '{other}' is not supported; bertbench supports ByteLevel and WordPiece"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Bpe, WordPiece};

    fn with_odd_specials(base: &[&str]) -> Vec<String> {
        base.iter()
            .map(|s| s.to_string())
            .chain(["<a b>".into(), "x\ny".into()])
            .collect()
    }

    fn trained_like() -> Vec<Tokenizer> {
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
    fn merges_as_strings_load_too() {
        let tok = &trained_like()[1];
        let mut v = to_json(tok);
        v["model"]["merges"] = json!(["Ġ Ċ"]);
        let back = Reader { source: "t" }.tokenizer(&v).unwrap();
        assert_eq!(to_json_string(&back), to_json_string(tok));
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
