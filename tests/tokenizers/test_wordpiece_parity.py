"""WordPiece parity with HuggingFace `tokenizers` (the reference implementation).

Every check compares our output with HF's on the same input, so no expected value here is
computed by the code under test: the BERT normalizer and pre-tokenizer over every code point
of the assigned planes and over random mixed text (tokens and offsets), HF-trained tokenizers
loaded into ours, ours exported to HF, and the compression of vocabularies trained by both.
Generated text always runs; WikiText-2 valid runs when ../shared/data holds it.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from bert_engine.tokenizers import BERT_SPECIAL_TOKENS, Tokenizer, WordPieceTokenizer

hf = pytest.importorskip("tokenizers")

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("BERTBENCH_SHARED_DATA", REPO.parent / "shared" / "data"))

# The four corners of the BERT normalizer's switches (strip_accents None follows lowercase).
NORMALIZER_CONFIGS = [
    {"clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": True},
    {"clean_text": True, "handle_chinese_chars": True, "strip_accents": None, "lowercase": False},
    {"clean_text": True, "handle_chinese_chars": True, "strip_accents": False, "lowercase": True},
    {"clean_text": False, "handle_chinese_chars": False, "strip_accents": True, "lowercase": False},
]

# Characters that exercise every branch: accents (precomposed and combining, out of canonical
# order), multi-character lowercase (İ, ẞ), final sigma, CJK and compatibility ideographs,
# Hangul and kana, controls and format characters, odd whitespace, ASCII and Unicode
# punctuation, emoji with modifiers and joiners, fullwidth forms, spacing combining marks.
TRICKY = (
    "aAzZ09 éÉüÜñÑßİıΣσςΌΐǅǈﬁﬃＡｂ①Ⅻ½ẞ中文字日本語丽한국어ひらがなカタカナ"
    "。、「」!?.,;:-—–'\"()[]{}$€%&@#^*+=<>|\\/~`_\t\n\r\u00a0\u3000\u2028\u200b"
    "\x00\x07\x0b\x85\ufffd\ue000\u0301\u0327\u0308\u0316\u0345\u0344\u1df6\u0d3b"
    "😀🥰🫠👍🏽\u200d❤️🎉\U0001d165\U0001d15e\u302e\U00016ff0\ua9c0\u1b44\u0898\U00011938"
    "\u1734\u0f7f\u1e08\uf900\u2e43\u061d\u166d"
)


def hf_wordpiece_json(vocab: list[str], normalizer: dict[str, object]) -> str:
    """An HF tokenizer.json: BERT normalizer and pre-tokenizer, WordPiece over `vocab`
    (id = position, `[UNK]` first), no post-processor."""
    return json.dumps(
        {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {
                    "id": 0,
                    "content": "[UNK]",
                    "single_word": False,
                    "lstrip": False,
                    "rstrip": False,
                    "normalized": False,
                    "special": True,
                }
            ],
            "normalizer": {"type": "BertNormalizer", **normalizer},
            "pre_tokenizer": {"type": "BertPreTokenizer"},
            "post_processor": None,
            "decoder": None,
            "model": {
                "type": "WordPiece",
                "unk_token": "[UNK]",
                "continuing_subword_prefix": "##",
                "max_input_chars_per_word": 100,
                "vocab": {t: i for i, t in enumerate(vocab)},
            },
        },
        ensure_ascii=False,
    )


def char_level_pair(text: str, normalizer: dict[str, object]) -> tuple[Tokenizer, object]:
    """Ours and HF's tokenizer with a vocab of every character HF's normalizer outputs for
    `text` (alone and as `##` piece): each word splits into single characters, so tokens show
    the normalized text and offsets show where each character came from."""
    norm = hf.normalizers.BertNormalizer(**normalizer)
    chars = sorted(set(norm.normalize_str(text)) - {" "})
    vocab = ["[UNK]", *chars, *(f"##{c}" for c in chars)]
    text_json = hf_wordpiece_json(vocab, normalizer)
    return Tokenizer.from_json(text_json), hf.Tokenizer.from_str(text_json)


def assert_same_encoding(
    ours: Tokenizer, theirs: object, text: str, pair: str | None = None
) -> None:
    a = ours.encode(text, pair)
    b = theirs.encode(text, pair)  # type: ignore[attr-defined]
    context = (text[:200], pair and pair[:200])
    assert a.tokens == b.tokens, context
    assert a.ids == b.ids, context
    assert a.offsets == [tuple(o) for o in b.offsets], context
    assert a.type_ids == b.type_ids, context


def code_points(start: int, stop: int, stride: int) -> list[int]:
    return [c for c in range(start, stop, stride) if not 0xD800 <= c < 0xE000]


def code_point_text(points: list[int]) -> str:
    """Each code point between letters, one word each: 'a<c>b a<c>b ...' shows what the
    normalizer does to it and how the pre-tokenizer splits around it."""
    return " ".join(f"a{chr(c)}b" for c in points)


# Planes 0-3 (all scripts, symbols, emoji, CJK extensions) and the assigned part of plane 14.
CODE_POINT_BLOCKS = [(s, min(s + 0x8000, 0x40000)) for s in range(0, 0x40000, 0x8000)] + [
    (0xE0000, 0xE0200)
]


@pytest.mark.parametrize("index", range(len(NORMALIZER_CONFIGS)))
def test_every_code_point_normalizes_and_splits_as_hf(index: int) -> None:
    """The default configuration over every code point; to keep the suite fast, each other
    configuration over every 3rd code point (a different third each)."""
    config = NORMALIZER_CONFIGS[index]
    stride = 1 if index == 0 else 3
    for start, stop in CODE_POINT_BLOCKS:
        points = code_points(start + index % stride, stop, stride)
        text = code_point_text(points)
        ours, theirs = char_level_pair(text, config)
        a = ours.encode(text, add_special_tokens=False)
        b = theirs.encode(text, add_special_tokens=False)  # type: ignore[attr-defined]
        if a.tokens != b.tokens or a.offsets != [tuple(o) for o in b.offsets]:
            # Narrow down to the first differing code point for a readable failure.
            for c in points:
                assert_same_encoding(ours, theirs, f"a{chr(c)}b")
            pytest.fail(f"block {start:#x}-{stop:#x} differs in context only")


def random_texts(n: int, seed: int, alphabet: str = TRICKY, max_len: int = 40) -> Iterator[str]:
    rng = random.Random(seed)
    for _ in range(n):
        yield "".join(rng.choice(alphabet) for _ in range(rng.randint(0, max_len)))


@pytest.mark.parametrize("config", NORMALIZER_CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_random_mixed_text_tokens_and_offsets_match_hf(config: dict[str, object]) -> None:
    texts = list(random_texts(1500, seed=len(str(config))))
    ours, theirs = char_level_pair("".join(texts), config)
    for i, text in enumerate(texts):
        assert_same_encoding(ours, theirs, text, texts[i - 1] if i % 4 == 0 else None)


# --- trained tokenizers ---------------------------------------------------------------------

SYLLABLES = ["ka", "to", "re", "mi", "an", "ſt", "ber", "ing", "qu", "é", "ou", "ll", "zh", "ön"]
EXTRAS = [
    "中文",
    "日本語",
    "한국어",
    "😀",
    "🎉👍🏽",
    "naïve",
    "Café",
    "ÅNGSTRÖM",
    "İstanbul",
    "x\u0301y",
]


def generated_corpus(n: int, seed: int) -> list[str]:
    """Lines of Zipf-distributed made-up words in mixed case with accents, CJK, emoji, digits
    and punctuation, so that merges have real frequencies to learn from."""
    rng = random.Random(seed)
    words = [
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))) for _ in range(800)
    ] + EXTRAS
    weights = [1 / (rank + 1) for rank in range(len(words))]
    puncts = [".", ",", "!", "?", ";", "—", "«", "»", "(", ")", "'s", "\t", "  "]
    lines = []
    for _ in range(n):
        parts = []
        for w in rng.choices(words, weights, k=rng.randint(3, 20)):
            r = rng.random()
            w = w.capitalize() if r < 0.15 else w.upper() if r < 0.2 else w
            parts.append(w + (rng.choice(puncts) if rng.random() < 0.2 else ""))
            if rng.random() < 0.05:
                parts.append(str(rng.randint(0, 2030)))
        lines.append(" ".join(parts))
    return lines


def wikitext(name: str) -> list[str]:
    path = SHARED / "wikitext-2-raw" / name
    if not path.is_file():
        pytest.skip(f"{path} not present (set BERTBENCH_SHARED_DATA to the shared data folder)")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [line for line in f.read().split("\n") if line.strip()]


def hf_train_wordpiece(lines: list[str], vocab_size: int, lowercase: bool = True) -> object:
    """HF's WordPiece training with the same settings as `WordPieceTokenizer.train`."""
    tok = hf.Tokenizer(hf.models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = hf.normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = hf.pre_tokenizers.BertPreTokenizer()
    tok.post_processor = hf.processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    tok.decoder = hf.decoders.WordPiece(prefix="##")
    trainer = hf.trainers.WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        special_tokens=list(BERT_SPECIAL_TOKENS),
        limit_alphabet=1000,
        show_progress=False,
    )
    tok.train_from_iterator(lines, trainer)
    return tok


CASES = {
    "generated": lambda: (generated_corpus(3000, seed=7), list(random_texts(300, seed=8)), 2000),
    "wikitext": lambda: (wikitext("valid.txt.gz"), None, 8000),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hf_trained_wordpiece_loads_into_ours(case: str, tmp_path: Path) -> None:
    corpus, extra, vocab_size = CASES[case]()
    href = hf_train_wordpiece(corpus, vocab_size, lowercase=case != "generated")
    href.save(str(tmp_path / "tokenizer.json"))
    ours = WordPieceTokenizer.from_huggingface(tmp_path / "tokenizer.json")
    assert ours.get_vocab() == href.get_vocab()
    texts = corpus[:1500] + (extra or [])
    for i, text in enumerate(texts):
        assert_same_encoding(ours, href, text, texts[-i - 1] if i % 5 == 0 else None)
    # The same vocabulary as a BERT vocab.txt (default BERT settings: lowercase).
    href.model.save(str(tmp_path))
    from_txt = WordPieceTokenizer.from_huggingface(tmp_path / "vocab.txt", lowercase=True)
    lower = hf.Tokenizer.from_str(href.to_str())
    lower.normalizer = hf.normalizers.BertNormalizer(lowercase=True)
    for text in texts[:300]:
        assert_same_encoding(from_txt, lower, text)


@pytest.mark.parametrize("case", list(CASES))
def test_our_wordpiece_exported_encodes_identically_in_hf(case: str, tmp_path: Path) -> None:
    corpus, extra, vocab_size = CASES[case]()
    ours = WordPieceTokenizer.train(corpus, vocab_size=vocab_size)
    path = ours.save(tmp_path / "tokenizer.json")
    href = hf.Tokenizer.from_file(str(path))
    assert href.get_vocab() == ours.get_vocab()
    texts = corpus[:1500] + (extra or [])
    for i, text in enumerate(texts):
        assert_same_encoding(ours, href, text, texts[-i - 1] if i % 5 == 0 else None)
    batch = ours.encode_batch(texts, padding=None)
    assert batch.ids.tolist() == [i for e in href.encode_batch(texts) for i in e.ids]


@pytest.mark.parametrize("case", list(CASES))
def test_vocab_compresses_like_hf(case: str) -> None:
    corpus, _, vocab_size = CASES[case]()
    ours = WordPieceTokenizer.train(corpus, vocab_size=vocab_size)
    href = hf_train_wordpiece(corpus, vocab_size)
    assert ours.vocab_size == href.get_vocab_size()
    chars = sum(len(line) for line in corpus)
    ours_tokens = int(
        ours.encode_batch(corpus, add_special_tokens=False, padding=None).lengths.sum()
    )
    hf_tokens = sum(len(e.ids) for e in href.encode_batch(corpus, add_special_tokens=False))
    ratio = (ours_tokens / chars) / (hf_tokens / chars)
    assert abs(ratio - 1) <= 0.01, (ours_tokens, hf_tokens, chars)
    # Most of the vocabulary is shared; differences come only from ties between equally
    # frequent pairs, which HF breaks by its hash-map order.
    shared = len(set(ours.get_vocab()) & set(href.get_vocab()))
    assert shared >= 0.97 * href.get_vocab_size(), shared


def test_max_input_chars_and_unknown_words_match_hf() -> None:
    vocab = ["[UNK]", "a", "##a", "b", "##b", "é", "##é"]
    cfg = NORMALIZER_CONFIGS[2]
    text_json = hf_wordpiece_json(vocab, cfg)
    data = json.loads(text_json)
    data["model"]["max_input_chars_per_word"] = 5
    text_json = json.dumps(data, ensure_ascii=False)
    ours, theirs = Tokenizer.from_json(text_json), hf.Tokenizer.from_str(text_json)
    for text in ["ab", "abab", "ababa", "ababab", "ééééé", "éééééé", "abx ab", "xab", "ab!ba", ""]:
        assert_same_encoding(ours, theirs, text)
