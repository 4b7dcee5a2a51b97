//! `Tokenizer`: the whole pipeline (added vocabulary, normalizer, pre-tokenizer, model,
//! post-processor, decoder), single and batch (rayon) encoding, decoding.

use rayon::prelude::*;

use crate::added_vocabulary::{AddedToken, AddedVocabulary, Segment};
use crate::decoders::Decoder;
use crate::encoding::Encoding;
use crate::models::{Model, Token};
use crate::normalizers::BertNormalizer;
use crate::pre_tokenizers::{BertPreTokenizer, ByteLevel, PreTokenizer, SplitPattern};
use crate::processors::{byte_level, Piece, PostProcessor, Template};
use crate::{Error, Result};

/// Reusable buffers for encoding (one per thread in batch encoding).
#[derive(Debug, Default)]
pub struct Scratch {
    segments: Vec<Segment>,
    inner: Vec<Segment>,
    words: Vec<(usize, usize)>,
    tokens: Vec<Token>,
    char_of_byte: Vec<u32>,
    a: Encoding,
    b: Encoding,
}

#[derive(Debug, Clone)]
pub struct Tokenizer {
    pub added: AddedVocabulary,
    pub normalizer: Option<BertNormalizer>,
    pub pre_tokenizer: PreTokenizer,
    pub model: Model,
    pub post_processor: PostProcessor,
    pub decoder: Option<Decoder>,
}

impl Tokenizer {
    /// Assembles a pipeline; checks that added tokens and template specials agree with the
    /// model's vocab (`Error::Format` otherwise).
    pub fn new(
        added: AddedVocabulary,
        normalizer: Option<BertNormalizer>,
        pre_tokenizer: PreTokenizer,
        model: Model,
        post_processor: PostProcessor,
        decoder: Option<Decoder>,
    ) -> Result<Self> {
        for t in added.tokens() {
            if let Some(id) = model.token_to_id(&t.content) {
                if id != t.id {
                    return Err(Error::Format(format!(
                        "added token {:?} has id {} but the model's vocab gives it id {id}",
                        t.content, t.id
                    )));
                }
            } else if (t.id as usize) < model.vocab_size() {
                return Err(Error::Format(format!(
                    "added token {:?} has id {}, which the model's vocab already gives to {:?}",
                    t.content,
                    t.id,
                    model.id_to_token(t.id).unwrap_or_default()
                )));
            }
        }
        let mut added = added;
        if let Some(n) = &normalizer {
            added.normalize_patterns(|s| n.normalize(s).text)?;
        }
        // Ids past the model's vocab must stay dense-ish: the vocab is listed id by id.
        let limit = model.vocab_size() + added.tokens().len();
        if let Some(t) = added.tokens().iter().find(|t| t.id as usize >= limit) {
            return Err(Error::Format(format!(
                "added token {:?} has id {}, past the {} ids of the vocab and added tokens",
                t.content, t.id, limit
            )));
        }
        let tokenizer = Tokenizer {
            added,
            normalizer,
            pre_tokenizer,
            model,
            post_processor,
            decoder,
        };
        if let Some(template) = &tokenizer.post_processor.template {
            template.validate()?;
            for piece in template.single.iter().chain(&template.pair) {
                if let Piece::Special { token, id, .. } = piece {
                    if tokenizer.vocab_entry(*id) != Some(token.as_str()) {
                        return Err(Error::Format(format!(
                            "post-processor special token {token:?} has id {id}, but the vocab gives that id to {:?}",
                            tokenizer.vocab_entry(*id)
                        )));
                    }
                }
            }
        }
        Ok(tokenizer)
    }

    /// The byte-level BPE pipeline bertbench trains: no normalizer, GPT-2/GPT-4 split,
    /// specials as added tokens, BERT template when `[CLS]` and `[SEP]` exist.
    pub fn from_bpe(
        model: crate::models::Bpe,
        pattern: SplitPattern,
        specials: &[String],
    ) -> Result<Self> {
        let model = Model::Bpe(model);
        let (added, template) = specials_and_template(&model, specials)?;
        let pre = PreTokenizer::ByteLevel(ByteLevel { pattern });
        let post = PostProcessor::template(template);
        Tokenizer::new(added, None, pre, model, post, Some(Decoder::ByteLevel))
    }

    /// The BERT WordPiece pipeline: BERT normalizer and pre-tokenizer, `##` decoder.
    pub fn from_wordpiece(
        model: crate::models::WordPiece,
        normalizer: BertNormalizer,
        specials: &[String],
    ) -> Result<Self> {
        let prefix = model.continuing_subword_prefix.clone();
        let model = Model::WordPiece(model);
        let (added, template) = specials_and_template(&model, specials)?;
        let pre = PreTokenizer::Bert(BertPreTokenizer);
        let decoder = Decoder::WordPiece {
            prefix,
            cleanup: true,
        };
        let post = PostProcessor::template(template);
        Tokenizer::new(added, Some(normalizer), pre, model, post, Some(decoder))
    }

    /// `"BPE"` or `"WordPiece"` (HF's model type names).
    pub fn model_type(&self) -> &'static str {
        match self.model {
            Model::Bpe(_) => "BPE",
            Model::WordPiece(_) => "WordPiece",
        }
    }

    /// Number of ids: model vocab plus added tokens beyond it.
    pub fn vocab_size(&self) -> usize {
        self.model.vocab_size().max(self.added.id_end())
    }

    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.added
            .token_to_id(token)
            .or_else(|| self.model.token_to_id(token))
    }

    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.added.name(id).or_else(|| self.model.id_to_token(id))
    }

    /// The vocab entry of `id`: like `id_to_token`, but an added token by its content even
    /// when it is matched in normalized form.
    pub fn vocab_entry(&self, id: u32) -> Option<&str> {
        self.added
            .get(id)
            .map(|t| t.content.as_str())
            .or_else(|| self.model.id_to_token(id))
    }

    /// All `(token, id)` pairs, in id order (added tokens by their content, as HF).
    pub fn vocab(&self) -> Vec<(&str, u32)> {
        (0..self.vocab_size() as u32)
            .filter_map(|id| self.vocab_entry(id).map(|t| (t, id)))
            .collect()
    }

    /// Encodes one text and an optional pair; `max_length` truncates longest-first, counting
    /// the specials the template adds. Offsets are computed only when `with_offsets`.
    pub fn encode(
        &self,
        text: &str,
        pair: Option<&str>,
        add_special_tokens: bool,
        max_length: Option<usize>,
        with_offsets: bool,
    ) -> Result<Encoding> {
        let mut scratch = Scratch::default();
        let mut out = Encoding::default();
        self.encode_into(
            text,
            pair,
            add_special_tokens,
            max_length,
            with_offsets,
            &mut scratch,
            &mut out,
        )?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn encode_into(
        &self,
        text: &str,
        pair: Option<&str>,
        add_special_tokens: bool,
        max_length: Option<usize>,
        with_offsets: bool,
        scratch: &mut Scratch,
        out: &mut Encoding,
    ) -> Result<()> {
        let mut a = std::mem::take(&mut scratch.a);
        let mut b = std::mem::take(&mut scratch.b);
        self.encode_sequence(text, 0, with_offsets, scratch, &mut a);
        if let Some(pair) = pair {
            self.encode_sequence(pair, 1, with_offsets, scratch, &mut b);
        }
        let result = self.post_processor.process(
            &mut a,
            pair.map(|_| &mut b),
            add_special_tokens,
            max_length,
            out,
        );
        scratch.a = a;
        scratch.b = b;
        result
    }

    /// Encodes one sequence (no specials from the template): added tokens, then normalizer,
    /// pre-tokenizer and model on the text between them.
    fn encode_sequence(
        &self,
        text: &str,
        type_id: u32,
        with_offsets: bool,
        scratch: &mut Scratch,
        out: &mut Encoding,
    ) {
        out.clear();
        let Scratch {
            segments,
            inner,
            words,
            tokens,
            char_of_byte,
            ..
        } = scratch;
        segments.clear();
        self.added.split(text, segments);
        for segment in segments.iter() {
            match *segment {
                Segment::Added { id, start, end } => {
                    out.push(id, type_id, (start as u32, end as u32), false)
                }
                Segment::Text { start, end } => {
                    let piece = &text[start..end];
                    let normalized = self.normalizer.as_ref().map(|n| n.normalize(piece));
                    let (norm_text, norm) = match &normalized {
                        Some(n) => (n.text.as_str(), Some(n)),
                        None => (piece, None),
                    };
                    let span = |s: usize, e: usize| {
                        let (s, e) = norm.map_or((s, e), |n| n.original_span(s, e));
                        ((start + s) as u32, (start + e) as u32)
                    };
                    if !self.added.has_normalized() {
                        self.encode_words(norm_text, 0, &span, type_id, words, tokens, out);
                        continue;
                    }
                    // Second pass, as HF: `normalized: true` tokens in the normalized text.
                    inner.clear();
                    self.added.split_normalized(norm_text, inner);
                    for sub in inner.iter() {
                        match *sub {
                            Segment::Added { id, start, end } => {
                                out.push(id, type_id, span(start, end), false)
                            }
                            Segment::Text { start, end } => self.encode_words(
                                &norm_text[start..end],
                                start,
                                &span,
                                type_id,
                                words,
                                tokens,
                                out,
                            ),
                        }
                    }
                }
            }
        }
        if with_offsets {
            if let Some(add_prefix_space) = self.post_processor.trim_offsets {
                byte_level::trim_offsets(text, add_prefix_space, &self.added, &self.model, out);
            }
            bytes_to_char_offsets(text, &mut out.offsets, char_of_byte);
        }
    }

    /// Pre-tokenizes and tokenizes `text`, which starts at byte `at` of the (normalized)
    /// segment; `span` maps segment byte spans to original byte offsets.
    #[allow(clippy::too_many_arguments)]
    fn encode_words(
        &self,
        text: &str,
        at: usize,
        span: &impl Fn(usize, usize) -> (u32, u32),
        type_id: u32,
        words: &mut Vec<(usize, usize)>,
        tokens: &mut Vec<Token>,
        out: &mut Encoding,
    ) {
        words.clear();
        self.pre_tokenizer.split(text, words);
        for &(ws, we) in words.iter() {
            tokens.clear();
            self.model.tokenize(&text[ws..we], tokens);
            for t in tokens.iter() {
                let base = at + ws;
                out.push(
                    t.id,
                    type_id,
                    span(base + t.start as usize, base + t.end as usize),
                    false,
                );
            }
        }
    }

    /// Encodes many texts (and pairs) in parallel; results in input order.
    pub fn encode_batch<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        pairs: Option<&[S]>,
        add_special_tokens: bool,
        max_length: Option<usize>,
        with_offsets: bool,
    ) -> Result<Vec<Encoding>> {
        check_pairs(texts, pairs)?;
        texts
            .par_iter()
            .enumerate()
            .map_init(Scratch::default, |scratch, (i, text)| {
                let mut out = Encoding::default();
                let pair = pairs.map(|p| p[i].as_ref());
                self.encode_into(
                    text.as_ref(),
                    pair,
                    add_special_tokens,
                    max_length,
                    with_offsets,
                    scratch,
                    &mut out,
                )?;
                Ok(out)
            })
            .collect()
    }

    /// Encodes many texts (and pairs) in parallel into flat buffers: the sequences one after
    /// another, no padding. Chunks of texts share buffers, so there is no allocation per text.
    pub fn encode_batch_flat<S: AsRef<str> + Sync>(
        &self,
        texts: &[S],
        pairs: Option<&[S]>,
        add_special_tokens: bool,
        max_length: Option<usize>,
    ) -> Result<FlatBatch> {
        check_pairs(texts, pairs)?;
        const CHUNK: usize = 64;
        let parts = texts
            .par_chunks(CHUNK)
            .enumerate()
            .map_init(
                || (Scratch::default(), Encoding::default()),
                |(scratch, out), (c, chunk)| {
                    let mut part = FlatBatch::default();
                    for (j, text) in chunk.iter().enumerate() {
                        let pair = pairs.map(|p| p[c * CHUNK + j].as_ref());
                        self.encode_into(
                            text.as_ref(),
                            pair,
                            add_special_tokens,
                            max_length,
                            false,
                            scratch,
                            out,
                        )?;
                        part.push(out);
                    }
                    Ok(part)
                },
            )
            .collect::<Result<Vec<FlatBatch>>>()?;
        let mut all = FlatBatch::default();
        let total = parts.iter().map(|p| p.ids.len()).sum();
        all.ids.reserve_exact(total);
        all.type_ids.reserve_exact(total);
        all.special_tokens_mask.reserve_exact(total);
        all.lengths.reserve_exact(texts.len());
        for p in parts {
            all.ids.extend_from_slice(&p.ids);
            all.type_ids.extend_from_slice(&p.type_ids);
            all.special_tokens_mask
                .extend_from_slice(&p.special_tokens_mask);
            all.lengths.extend_from_slice(&p.lengths);
        }
        Ok(all)
    }

    /// Ids -> text. Unknown ids are an error (`Error::Invalid`), not silently dropped.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> Result<String> {
        let mut tokens = Vec::with_capacity(ids.len());
        for &id in ids {
            let token = self.id_to_token(id).ok_or_else(|| {
                Error::Invalid(format!(
                    "cannot decode id {id}: the vocab has ids 0..{}",
                    self.vocab_size()
                ))
            })?;
            if skip_special_tokens && self.added.is_special(id) {
                continue;
            }
            tokens.push(token);
        }
        Ok(match &self.decoder {
            Some(d) => d.decode(&tokens),
            None => tokens.join(" "),
        })
    }

    /// The special (added) tokens, in id order.
    pub fn special_tokens(&self) -> Vec<&str> {
        self.added
            .tokens()
            .iter()
            .filter(|t| t.special)
            .map(|t| t.content.as_str())
            .collect()
    }
}

fn check_pairs<S>(texts: &[S], pairs: Option<&[S]>) -> Result<()> {
    match pairs {
        Some(p) if p.len() != texts.len() => Err(Error::Invalid(format!(
            "got {} texts but {} pairs; give one pair per text",
            texts.len(),
            p.len()
        ))),
        _ => Ok(()),
    }
}

/// A batch as flat buffers (no padding): the encodings one after another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlatBatch {
    pub lengths: Vec<u32>,
    pub ids: Vec<u32>,
    pub type_ids: Vec<u8>,
    pub special_tokens_mask: Vec<u8>,
}

impl FlatBatch {
    fn push(&mut self, e: &Encoding) {
        self.lengths.push(e.len() as u32);
        self.ids.extend_from_slice(&e.ids);
        self.type_ids.extend(e.type_ids.iter().map(|&t| t as u8));
        self.special_tokens_mask
            .extend_from_slice(&e.special_tokens_mask);
    }

    /// The `i`-th encoding's range in the flat buffers is `starts[i]..starts[i] + lengths[i]`.
    pub fn starts(&self) -> Vec<usize> {
        let mut at = 0;
        self.lengths
            .iter()
            .map(|&n| {
                let s = at;
                at += n as usize;
                s
            })
            .collect()
    }
}

/// Specials as added tokens (with their ids in the trained model) and the BERT template
/// when both `[CLS]` and `[SEP]` are among them.
fn specials_and_template(
    model: &Model,
    specials: &[String],
) -> Result<(AddedVocabulary, Option<Template>)> {
    let mut tokens = Vec::new();
    for s in specials {
        let id = model.token_to_id(s).ok_or_else(|| {
            Error::Invalid(format!(
                "special token {s:?} is missing from the trained vocab"
            ))
        })?;
        tokens.push(AddedToken::special(id, s));
    }
    let id = |s: &str| tokens.iter().find(|t| t.content == s).map(|t| t.id);
    let template = match (id("[CLS]"), id("[SEP]")) {
        (Some(cls), Some(sep)) => Some(Template::bert(("[CLS]", cls), ("[SEP]", sep))),
        _ => None,
    };
    Ok((AddedVocabulary::new(tokens)?, template))
}

/// Rewrites byte offsets into `text` as character offsets. A span that starts or ends inside
/// a multi-byte character widens to the whole character, as HF's byte-level offsets do.
fn bytes_to_char_offsets(text: &str, offsets: &mut [(u32, u32)], char_of_byte: &mut Vec<u32>) {
    if text.is_ascii() {
        return;
    }
    char_of_byte.clear();
    char_of_byte.resize(text.len() + 1, 0);
    let mut n = 0u32;
    for (i, c) in text.char_indices() {
        char_of_byte[i..i + c.len_utf8()].fill(n);
        n += 1;
    }
    char_of_byte[text.len()] = n;
    for o in offsets.iter_mut() {
        let (s, e) = (o.0 as usize, o.1 as usize);
        if s == 0 && e == 0 {
            continue;
        }
        // Spans come from our own stages and lie within the text; `get` keeps a bad one from
        // panicking across into Python (it would end up at the text's end).
        let at = |b: usize| char_of_byte.get(b).copied().unwrap_or(n);
        let start = at(s);
        let end = if e > s { (at(e - 1) + 1).min(n) } else { start };
        *o = (start, end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::{Bpe, WordPiece};
    use crate::pre_tokenizers::byte_level::bytes_to_unicode;

    const SPECIALS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    fn specials() -> Vec<String> {
        SPECIALS.iter().map(|s| s.to_string()).collect()
    }

    /// A hand-built WordPiece pipeline: ids 0-4 specials, then the listed pieces.
    pub(crate) fn wordpiece() -> Tokenizer {
        let mut vocab = specials();
        vocab.extend(["hello", "world", "##s", "!", "cafe", "un", "##able"].map(String::from));
        let model = WordPiece::new(vocab, "[UNK]".into(), "##".into(), 100).unwrap();
        Tokenizer::from_wordpiece(model, BertNormalizer::default(), &specials()).unwrap()
    }

    /// A hand-built byte-level BPE: specials, the 256 byte symbols, merges h+e, he+l, l+o.
    pub(crate) fn bpe() -> Tokenizer {
        let mut vocab = specials();
        vocab.extend(bytes_to_unicode().iter().map(|c| c.to_string()));
        vocab.extend(["he", "hel", "lo"].map(String::from));
        let merges =
            [("h", "e"), ("he", "l"), ("l", "o")].map(|(a, b)| (a.to_string(), b.to_string()));
        let model = Bpe::new(vocab, merges.to_vec()).unwrap();
        Tokenizer::from_bpe(model, SplitPattern::Gpt2, &specials()).unwrap()
    }

    fn tokens<'a>(tok: &'a Tokenizer, e: &Encoding) -> Vec<&'a str> {
        e.ids
            .iter()
            .map(|&id| tok.id_to_token(id).unwrap())
            .collect()
    }

    #[test]
    fn wordpiece_pipeline_with_offsets() {
        let tok = wordpiece();
        let text = "Hello Worlds! Café[MASK]unable x";
        let e = tok.encode(text, None, true, None, true).unwrap();
        assert_eq!(
            tokens(&tok, &e),
            [
                "[CLS]", "hello", "world", "##s", "!", "cafe", "[MASK]", "un", "##able", "[UNK]",
                "[SEP]"
            ]
        );
        let chars: Vec<char> = text.chars().collect();
        let slice = |(s, e): (u32, u32)| chars[s as usize..e as usize].iter().collect::<String>();
        let spans: Vec<String> = e.offsets.iter().map(|&o| slice(o)).collect();
        assert_eq!(
            spans,
            ["", "Hello", "World", "s", "!", "Café", "[MASK]", "un", "able", "x", ""]
        );
        assert_eq!(e.special_tokens_mask, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            tok.decode(&e.ids, true).unwrap(),
            "hello worlds! cafe unable"
        );
        assert_eq!(
            tok.decode(&e.ids, false).unwrap(),
            "[CLS] hello worlds! cafe [MASK] unable [UNK] [SEP]"
        );
    }

    #[test]
    fn pair_truncation_counts_the_specials() {
        let tok = wordpiece();
        let e = tok
            .encode(
                "hello world hello world",
                Some("cafe cafe cafe"),
                true,
                Some(7),
                false,
            )
            .unwrap();
        // 7 - 3 specials = 4 tokens: longest-first gives 2 + 2.
        assert_eq!(
            tokens(&tok, &e),
            ["[CLS]", "hello", "world", "[SEP]", "cafe", "cafe", "[SEP]"]
        );
        assert_eq!(e.type_ids, [0, 0, 0, 0, 1, 1, 1]);
        assert!(matches!(
            tok.encode("a", Some("b"), true, Some(2), false),
            Err(Error::Invalid(_))
        ));
        let plain = tok
            .encode("hello", Some("world"), false, Some(1), false)
            .unwrap();
        // Both 1 long, room for 1: HF keeps 1 / 2 = 0 of A and the rest of B.
        assert_eq!((plain.ids.len(), plain.type_ids.clone()), (1, vec![1]));
    }

    #[test]
    fn byte_level_offsets_widen_split_characters() {
        let tok = bpe();
        // "é" is two bytes with no merge: two tokens, both spanning the one character.
        let text = "hello é[SEP]";
        let e = tok.encode(text, None, false, None, true).unwrap();
        assert_eq!(tokens(&tok, &e), ["hel", "lo", "Ġ", "Ã", "©", "[SEP]"]);
        assert_eq!(e.offsets, [(0, 3), (3, 5), (5, 6), (6, 7), (6, 7), (7, 12)]);
        assert_eq!(tok.decode(&e.ids, false).unwrap(), text);
        assert_eq!(tok.decode(&e.ids[3..4], false).unwrap(), "\u{fffd}");
    }

    #[test]
    fn batch_equals_single() {
        let tok = bpe();
        let texts = ["hello", "", "hé hé [CLS]", "lo lo lo lo"];
        let batch = tok.encode_batch(&texts, None, true, Some(5), true).unwrap();
        for (t, b) in texts.iter().zip(&batch) {
            assert_eq!(*b, tok.encode(t, None, true, Some(5), true).unwrap());
        }
        let flat = tok.encode_batch_flat(&texts, None, true, Some(5)).unwrap();
        assert_eq!(
            flat.lengths,
            batch.iter().map(|e| e.len() as u32).collect::<Vec<_>>()
        );
        assert_eq!(
            flat.ids,
            batch.iter().flat_map(|e| e.ids.clone()).collect::<Vec<_>>()
        );
        let short = ["a"];
        assert!(matches!(
            tok.encode_batch(&texts, Some(&short[..]), true, None, false),
            Err(Error::Invalid(_))
        ));
    }

    #[test]
    fn flat_batch_spans_chunks_with_pairs() {
        let tok = wordpiece();
        let words = ["hello", "", "Café [SEP] worlds!", "unable x"];
        let texts: Vec<String> = (0..150).map(|i| words[i % 4].repeat(i % 7)).collect();
        let pairs: Vec<String> = texts.iter().rev().cloned().collect();
        let flat = tok
            .encode_batch_flat(&texts, Some(&pairs), true, Some(9))
            .unwrap();
        assert_eq!(flat.lengths.len(), texts.len());
        for (i, start) in flat.starts().into_iter().enumerate() {
            let one = tok
                .encode(&texts[i], Some(&pairs[i]), true, Some(9), false)
                .unwrap();
            let range = start..start + one.len();
            assert_eq!(flat.ids[range.clone()], one.ids);
            let types: Vec<u32> = flat.type_ids[range].iter().map(|&t| t as u32).collect();
            assert_eq!(types, one.type_ids);
        }
    }

    #[test]
    fn decode_rejects_unknown_ids() {
        let tok = wordpiece();
        let n = tok.vocab_size() as u32;
        assert!(
            matches!(tok.decode(&[n], true), Err(Error::Invalid(m)) if m.contains(&n.to_string()))
        );
    }

    #[test]
    fn added_tokens_must_agree_with_the_model() {
        let tok = wordpiece();
        let wrong = AddedVocabulary::new(vec![AddedToken::special(5, "[CLS]")]).unwrap();
        let err = Tokenizer::new(
            wrong,
            None,
            tok.pre_tokenizer.clone(),
            tok.model.clone(),
            PostProcessor::default(),
            None,
        );
        assert!(matches!(err, Err(Error::Format(m)) if m.contains("[CLS]")));
    }
}
