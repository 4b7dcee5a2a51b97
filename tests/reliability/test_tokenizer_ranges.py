"""Every integer argument of the tokenizer API: in range it works (or fails with a ValueError that
says why), out of range it is a ValueError naming the valid range; never an OverflowError or an
allocation abort of the native module."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bert_engine.tokenizers import (
    ID_LIMIT,
    MAX_PAD_MULTIPLE,
    MAX_PADDED_CELLS,
    BpeTokenizer,
    Tokenizer,
    WordPieceTokenizer,
)

TEXTS = ["the quick brown fox jumps over the lazy dog", "hello world, hello again"] * 20
# Integers of every size, with the edges of the native types and of our ranges.
EDGES = [-(2**64), -(2**63), -(2**32), -1, 0, 1, 2, 299, 300, 2**31, ID_LIMIT, 2**32, 2**63, 2**64]
INTS = st.one_of(st.sampled_from(EDGES), st.integers(), st.integers(-1000, 1000))
RANGE = re.compile(r"must be in (-?\d+)\.\.(\d+)")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tokenizers() -> list[Tokenizer]:
    return [
        WordPieceTokenizer.train(TEXTS, vocab_size=300, min_frequency=1),
        BpeTokenizer.train(TEXTS, vocab_size=300, min_frequency=1),
    ]


def _out_of_range(exc: ValueError, value: int) -> bool:
    """True when the message names a range that `value` is outside of."""
    found = RANGE.search(str(exc))
    return found is not None and not int(found.group(1)) <= value <= int(found.group(2))


def test_decode_names_the_last_id(tokenizers: list[Tokenizer]) -> None:
    for tok in tokenizers:
        last = tok.vocab_size - 1
        assert tok.decode([last]) is not None
        with pytest.raises(ValueError, match=rf"the vocab has ids 0\.\.{last}$"):
            tok.decode([tok.vocab_size])


def test_the_issue_examples(tokenizers: list[Tokenizer]) -> None:
    tok = tokenizers[1]
    with pytest.raises(ValueError, match=r"max_length must be in 0\.\.4294967295"):
        tok.encode("hello", max_length=-1)
    with pytest.raises(ValueError, match=r"vocab_size must be in 0\.\.4294967295"):
        BpeTokenizer.train(TEXTS, vocab_size=-1)
    with pytest.raises(ValueError, match=rf"the vocab has ids 0\.\.{tok.vocab_size - 1}$"):
        tok.decode([2**64])


@FAST
@given(value=INTS)
def test_encode_max_length(tokenizers: list[Tokenizer], value: int) -> None:
    for tok in tokenizers:
        try:
            enc = tok.encode("hello world again", max_length=value)
        except ValueError as exc:
            # In range, only a length below the template's special tokens is refused.
            assert _out_of_range(exc, value) or (0 <= value < 2 and "special tokens" in str(exc))
        else:
            assert 0 <= value <= ID_LIMIT and len(enc) <= value


@FAST
@given(max_length=INTS, multiple=INTS)
def test_encode_batch_ints(tokenizers: list[Tokenizer], max_length: int, multiple: int) -> None:
    tok = tokenizers[0]
    try:
        batch = tok.encode_batch(["hello", "world"], max_length=max_length)
    except ValueError as exc:
        assert _out_of_range(exc, max_length) or "special tokens" in str(exc)
    else:
        assert int(batch.lengths.max()) <= max_length
    try:
        padded = tok.encode_batch(
            ["hello", "world"], padding="longest", pad_to_multiple_of=multiple
        )
    except ValueError as exc:
        assert _out_of_range(exc, multiple) or "cells" in str(exc)
    else:
        assert 1 <= multiple <= MAX_PAD_MULTIPLE and padded.input_ids.shape[1] % multiple == 0


def test_a_padded_batch_too_large_to_allocate_is_refused(tokenizers: list[Tokenizer]) -> None:
    tok = tokenizers[0]
    with pytest.raises(ValueError, match="exceeds .* cells"):
        tok.encode_batch(["a", "b"], max_length=MAX_PADDED_CELLS, padding="max_length")
    with pytest.raises(ValueError, match="exceeds .* cells"):
        tok.encode_batch(["a"] * 2000, padding="longest", pad_to_multiple_of=MAX_PAD_MULTIPLE)


@FAST
@given(value=INTS)
def test_decode_and_id_to_token(tokenizers: list[Tokenizer], value: int) -> None:
    for tok in tokenizers:
        if 0 <= value < tok.vocab_size:
            assert isinstance(tok.decode([value], skip_special_tokens=False), str)
            assert tok.id_to_token(value) is not None
            continue
        with pytest.raises(ValueError) as info:
            tok.decode([5, value])
        last = tok.vocab_size - 1
        assert _out_of_range(info.value, value) or f"ids 0..{last}" in str(info.value)
        if 0 <= value <= ID_LIMIT:
            assert tok.id_to_token(value) is None  # no token has that id
        else:
            with pytest.raises(ValueError, match=r"id must be in 0\.\.4294967295"):
                tok.id_to_token(value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(
        ["vocab_size", "min_frequency", "limit_alphabet", "max_input_chars_per_word"]
    ),
    value=INTS,
)
def test_training_ints(name: str, value: int) -> None:
    kinds: list[type[Tokenizer]] = [WordPieceTokenizer]
    if name in ("vocab_size", "min_frequency"):
        kinds.append(BpeTokenizer)
    for kind in kinds:
        args = {"vocab_size": 300, "min_frequency": 1, name: value}
        try:
            tok = kind.train(TEXTS[:4], **args)  # type: ignore[attr-defined]
        except ValueError as exc:
            assert _out_of_range(exc, value) or (name == "vocab_size" and "too small" in str(exc))
        else:
            assert 0 <= value <= ID_LIMIT and tok.vocab_size > 0


def test_non_integers_are_type_errors(tokenizers: list[Tokenizer]) -> None:
    tok = tokenizers[0]
    for bad in (1.5, "3", True):
        with pytest.raises(TypeError, match="max_length must be an integer or None"):
            tok.encode("hello", max_length=bad)  # type: ignore[arg-type]
