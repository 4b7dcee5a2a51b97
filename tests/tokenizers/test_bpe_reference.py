"""Byte-level BPE training checked against a pure-Python reference trainer and against HF
`tokenizers`' BpeTrainer, on random small corpora; and byte-level round trips on arbitrary
Unicode text.
"""

from __future__ import annotations

import gzip
import json
import os
from collections import Counter
from pathlib import Path

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_bpe import (
    GPT2_PATTERN,
    byte_level,
    bytes_to_unicode,
    train_merges,
)

from bert_engine.tokenizers import BpeTokenizer

GPT4_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
PATTERNS = {"gpt2": GPT2_PATTERN, "gpt4": GPT4_PATTERN}
SPECIALS = ("<pad>", "<unk>", "<mask>")

# A small alphabet (so pairs repeat) mixing the pre-tokenizer's classes: ASCII and accented
# letters, CJK, digits (ASCII, Arabic-Indic), punctuation, apostrophes (contractions), emoji
# and several kinds of whitespace. All long-assigned characters, so every Unicode table agrees.
ALPHABET = "aabbcdeéñsStTlLrRv日本中 '''.,!-1234٣😀👍\t\u00a0\u3000"

corpora = st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=30), min_size=1, max_size=12)


def reference(
    docs: list[str], pattern: str, vocab_size: int, min_frequency: int
) -> tuple[list[str], list[tuple[str, str]]]:
    counts: Counter[str] = Counter()
    for doc in docs:
        for word in regex.findall(PATTERNS[pattern], doc):
            counts[byte_level(word)] += 1
    return train_merges(
        counts,
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIALS,
        initial_alphabet=bytes_to_unicode().values(),
    )


@pytest.mark.parametrize("pattern", ["gpt2", "gpt4"])
@given(docs=corpora, extra=st.integers(1, 80), min_frequency=st.integers(0, 3))
@settings(max_examples=40, deadline=None)
def test_merges_equal_reference_trainer(
    pattern: str, docs: list[str], extra: int, min_frequency: int
) -> None:
    vocab_size = len(SPECIALS) + 256 + extra
    tok = BpeTokenizer.train(
        docs,
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIALS,
        pattern=pattern,  # type: ignore[arg-type]
    )
    vocab, merges = reference(docs, pattern, vocab_size, min_frequency)
    assert tok.merges() == merges
    assert tok.get_vocab() == {token: i for i, token in enumerate(vocab)}


def hf_merges(
    docs: list[str], vocab_size: int, min_frequency: int, pattern: str = "gpt2"
) -> list[tuple[str, str]]:
    hf = pytest.importorskip("tokenizers")
    tok = hf.Tokenizer(hf.models.BPE())
    if pattern == "gpt2":
        tok.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    else:
        tok.pre_tokenizer = hf.pre_tokenizers.Sequence(
            [
                hf.pre_tokenizers.Split(hf.Regex(PATTERNS[pattern]), behavior="isolated"),
                hf.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    trainer = hf.trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIALS),
        initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(docs, trainer)
    merges = json.loads(tok.to_str())["model"]["merges"]
    # Newer versions store [left, right], older ones "left right" (byte-level tokens have no
    # spaces, so splitting is safe).
    return [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in merges]


@given(docs=corpora, extra=st.integers(1, 80), min_frequency=st.integers(0, 3))
@settings(max_examples=60, deadline=None)
def test_merges_equal_hf_bpe_trainer(docs: list[str], extra: int, min_frequency: int) -> None:
    vocab_size = len(SPECIALS) + 256 + extra
    tok = BpeTokenizer.train(
        docs, vocab_size=vocab_size, min_frequency=min_frequency, special_tokens=SPECIALS
    )
    assert tok.merges() == hf_merges(docs, vocab_size, min_frequency)


@pytest.mark.parametrize("pattern", ["gpt2", "gpt4"])
def test_wikitext_merges_equal_hf(pattern: str) -> None:
    # A real corpus (WikiText-2 valid, 3.7k lines): every merge in the same order as HF.
    repo = Path(__file__).resolve().parents[2]
    shared = Path(os.environ.get("BERTBENCH_SHARED_DATA", repo.parent / "shared" / "data"))
    path = shared / "wikitext-2-raw" / "valid.txt.gz"
    if not path.is_file():
        pytest.skip(f"{path} not present")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        lines = f.read().splitlines()
    tok = BpeTokenizer.train(
        lines, vocab_size=5000, min_frequency=2, special_tokens=SPECIALS, pattern=pattern
    )  # type: ignore[arg-type]
    assert tok.merges() == hf_merges(lines, 5000, 2, pattern)


def test_reference_trainer_by_hand() -> None:
    # The reference itself, on a case small enough to do on paper: "abab" x2, "ab" x1 ->
    # (a,b)=5 -> "ab"; then (ab,ab)=2 -> "abab"; then nothing left.
    vocab, merges = train_merges({"abab": 2, "ab": 1}, vocab_size=10)
    assert merges == [("a", "b"), ("ab", "ab")]
    assert vocab == ["a", "b", "ab", "abab"]
    # Ties go to the smallest ids: (a,b) and (c,d) both 1 -> (a,b) first.
    _, merges = train_merges({"ab": 1, "cd": 1}, vocab_size=5)
    assert merges == [("a", "b")]


@pytest.fixture(scope="module")
def trained() -> BpeTokenizer:
    docs = [
        "The quick brown fox jumps over the lazy dog.",
        "Ünïcödé text, 日本語のテキスト and emoji 😀👍 mixed with digits 12345.",
        "don't stop, it's fine; we'll see. Tabs\tand  spaces\u00a0too.",
    ] * 5
    return BpeTokenizer.train(docs, vocab_size=400, min_frequency=1, special_tokens=SPECIALS)


@pytest.mark.parametrize("pattern", ["gpt2", "gpt4"])
def test_byte_level_alphabet_always_complete(pattern: str) -> None:
    tok = BpeTokenizer.train(["ab ab"], vocab_size=300, special_tokens=SPECIALS, pattern=pattern)  # type: ignore[arg-type]
    vocab = tok.get_vocab()
    assert all(c in vocab for c in bytes_to_unicode().values())


@given(text=st.text())
@settings(max_examples=300, deadline=None)
def test_decode_inverts_encode_on_any_unicode(trained: BpeTokenizer, text: str) -> None:
    enc = trained.encode(text, add_special_tokens=False)
    assert trained.decode(enc.ids, skip_special_tokens=False) == text


def test_merge_result_equal_to_a_special_token_as_hf() -> None:
    # " ab" is the byte-level word "Ġab", which is also a special token here: the merge that
    # produces it reuses the special's id (the vocab does not grow), exactly as HF does.
    docs = ["x ab ab abc abd", "ab abc"]
    specials = ("<pad>", "Ġab")
    tok = BpeTokenizer.train(docs, vocab_size=300, min_frequency=1, special_tokens=specials)
    assert tok.merges() == [("a", "b"), ("Ġ", "ab"), ("Ġab", "c"), ("Ġab", "d")]
    assert tok.token_to_id("Ġab") == 1
    assert tok.vocab_size == len(specials) + 256 + 3
    hf = pytest.importorskip("tokenizers")
    ref = hf.Tokenizer(hf.models.BPE())
    ref.pre_tokenizer = hf.pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = hf.trainers.BpeTrainer(
        vocab_size=300,
        min_frequency=1,
        special_tokens=list(specials),
        initial_alphabet=hf.pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    ref.train_from_iterator(docs, trainer)
    assert ref.get_vocab() == tok.get_vocab()
