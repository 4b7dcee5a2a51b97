"""Tokenizers for BERT: byte-level BPE and WordPiece, trained and run by the Rust module.

A thin façade over ``bert_engine._rustbpe``: training, encoding and the ``tokenizer.json``
format all live in Rust; this module picks the corpus form, shapes batch results into numpy
arrays and writes files atomically. See docs/tokenizers.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

import numpy as np

from bert_engine import _rustbpe
from bert_engine._rustbpe import FormatError, TrainingCancelled
from bert_engine.errors import adopt
from bert_engine.files import atomic_write_text

__all__ = [
    "BERT_SPECIAL_TOKENS",
    "BatchEncoding",
    "BpeTokenizer",
    "Encoding",
    "FormatError",
    "Tokenizer",
    "TrainingCancelled",
    "WordPieceTokenizer",
    "load_tokenizer",
]

# The native module's errors join the family (PyO3 creates them with builtin bases only).
adopt(FormatError)
adopt(TrainingCancelled)

BERT_SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

PathLike = Union[str, "os.PathLike[str]"]
#: progress(stage, current, total): stages "count" (documents, or bytes when training from
#: files; total 0 when unknown) and "merge" (merges done of the target). Return False to cancel.
ProgressCallback = Callable[[str, int, int], Union[bool, None]]
Corpus = Union[PathLike, Iterable[str], Sequence[PathLike]]
Padding = Literal["longest", "max_length"]

T = TypeVar("T", bound="Tokenizer")

# Integer arguments are checked here, so that a bad value is a ValueError naming the valid
# range rather than the native module's OverflowError (or an allocation abort).
ID_LIMIT = 2**32 - 1  # ids are 32-bit in the native module
MAX_PAD_MULTIPLE = 65536
MAX_PADDED_CELLS = 2**26  # N x width of a padded batch (4 int64 arrays: 2 GiB)
_VOCAB_RANGE = re.compile(r"the vocab has ids 0\.\.(\d+)")


def check_int(name: str, value: object, low: int, high: int, *, optional: bool = False) -> Any:
    """`value` as an int when `low <= value <= high` (None passes when `optional`); a
    ValueError naming the valid range otherwise (a TypeError for a non-integer)."""
    if value is None and optional:
        return None
    number = _as_int(name, value, optional)
    if not low <= number <= high:
        none = " (or None)" if optional else ""
        raise ValueError(f"{name} must be in {low}..{high}{none}, got {number}")
    return number


def _as_int(name: str, value: object, optional: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        what = "an integer or None" if optional else "an integer"
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {value!r}")
    return int(value)


def _fix_id_range(exc: ValueError) -> ValueError:
    """The native message says "ids 0..N" for N ids; the last valid id is N - 1."""
    text = _VOCAB_RANGE.sub(lambda m: f"the vocab has ids 0..{int(m.group(1)) - 1}", str(exc))
    return ValueError(text)


@dataclass(frozen=True)
class Encoding:
    """One encoded text (or pair). Offsets are character offsets into the text the token came
    from (the pair text for the pair's tokens); ``(0, 0)`` for template specials."""

    ids: list[int]
    tokens: list[str]
    type_ids: list[int]
    offsets: list[tuple[int, int]]
    special_tokens_mask: list[int]
    attention_mask: list[int]

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class BatchEncoding:
    """A batch as numpy arrays.

    Padded (``padding`` given): ``input_ids``, ``attention_mask``, ``token_type_ids`` and
    ``special_tokens_mask`` are int64 ``[N, L]``. Unpadded: ``ids`` (uint32) and ``type_ids``
    (uint8) are flat, the sequences one after another. ``lengths`` ([N], int64, tokens before
    padding) is always set.
    """

    lengths: np.ndarray
    input_ids: np.ndarray | None = None
    attention_mask: np.ndarray | None = None
    token_type_ids: np.ndarray | None = None
    special_tokens_mask: np.ndarray | None = None
    ids: np.ndarray | None = None
    type_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, i: int) -> np.ndarray:
        """The ids of sequence ``i``, without padding."""
        n = int(self.lengths[i])
        if self.input_ids is not None:
            return self.input_ids[i, :n]
        assert self.ids is not None
        start = int(self.lengths[:i].sum()) if i >= 0 else int(self.lengths[: len(self) + i].sum())
        return self.ids[start : start + n]


def _check_padded_size(
    n: int, padding: str | None, max_length: int | None, multiple: int | None
) -> None:
    """Refuse a padded batch too large to allocate (the native module would abort)."""
    if padding is None:
        return
    width = max_length if padding == "max_length" and max_length is not None else 0
    if multiple:
        width = max(multiple, -(-width // multiple) * multiple)
    if n * width > MAX_PADDED_CELLS:
        raise ValueError(
            f"a padded batch of {n} texts x {width} tokens exceeds {MAX_PADDED_CELLS:,} "
            "cells; lower max_length or pad_to_multiple_of, or encode fewer texts at a time"
        )


def _check_training_ints(**values: int | None) -> None:
    """Training arguments: 0..2**32-1 each (limit_alphabet may be None)."""
    for name, value in values.items():
        check_int(name, value, 0, ID_LIMIT, optional=name == "limit_alphabet")


def _save_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def _corpus_files(corpus: Corpus) -> list[str] | None:
    """The files of a file corpus, or None when ``corpus`` is an iterable of documents.

    A single str or path is a file. A list or tuple is a list of files when every item is a
    ``Path``, or every item is a str naming an existing file; otherwise documents.
    """
    if isinstance(corpus, (str, os.PathLike)):
        path = os.fspath(corpus)
        if not os.path.isfile(path):
            raise FileNotFoundError(
                f"corpus file {path!r} not found; to train on a text, pass it in a list: [text]"
            )
        return [path]
    if isinstance(corpus, (list, tuple)) and corpus:
        if all(isinstance(p, os.PathLike) for p in corpus):
            paths = [os.fspath(p) for p in corpus]
            missing = [p for p in paths if not os.path.isfile(p)]
            if missing:
                raise FileNotFoundError(f"corpus file {missing[0]!r} not found")
            return paths
        if all(isinstance(p, str) and "\n" not in p and os.path.isfile(p) for p in corpus):
            return [str(p) for p in corpus]
    return None


def _corpus_args(corpus: Corpus) -> dict[str, object]:
    files = _corpus_files(corpus)
    if files is not None:
        return {"files": files}
    if isinstance(corpus, (bytes, bytearray)) or not isinstance(corpus, Iterable):
        raise TypeError(
            f"corpus should be an iterable of str or file path(s), got {type(corpus).__name__}"
        )
    return {"texts": corpus}


class Tokenizer:
    """Shared behaviour of both tokenizer kinds; ``Tokenizer.load`` returns the right one."""

    def __init__(self, native: _rustbpe.Tokenizer) -> None:
        self._native = native
        self._fingerprint: str | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(vocab_size={self.vocab_size})"

    def __reduce__(self) -> tuple[object, tuple[str]]:
        # Pickled as its tokenizer.json text (DataLoader workers under "spawn" need this).
        return (type(self).from_json, (self.to_json(),))

    # --- loading and saving -------------------------------------------------------------

    @staticmethod
    def _wrap(native: _rustbpe.Tokenizer) -> Tokenizer:
        if native.model_type == "BPE":
            return BpeTokenizer(native)
        return WordPieceTokenizer(native)

    @classmethod
    def _checked(cls: type[T], native: _rustbpe.Tokenizer, source: object) -> T:
        tok = Tokenizer._wrap(native)
        if not isinstance(tok, cls):
            raise FormatError(
                f"{source}: holds a {native.model_type} tokenizer, not a {cls.__name__}; "
                "use Tokenizer.load to accept either kind"
            )
        return tok

    @classmethod
    def load(cls: type[T], path: PathLike) -> T:
        """Loads a ``tokenizer.json`` (ours or HF's) or a folder holding one."""
        p = Path(path)
        if p.is_dir():
            p = p / "tokenizer.json"
        if not p.is_file():
            raise FileNotFoundError(f"tokenizer file {str(p)!r} not found")
        return cls._checked(_rustbpe.Tokenizer.from_file(str(p)), p)

    @classmethod
    def from_json(cls: type[T], text: str, source: str = "<string>") -> T:
        return cls._checked(_rustbpe.Tokenizer.from_json(text, source), source)

    @classmethod
    def from_huggingface(cls: type[T], path: PathLike, lowercase: bool | None = None) -> T:
        """Loads HF files: ``tokenizer.json``, a BERT ``vocab.txt``, or a folder holding either
        (``tokenizer.json`` preferred). For ``vocab.txt`` the casing comes from ``lowercase``,
        else from ``tokenizer_config.json``'s ``do_lower_case`` beside it, else True."""
        p = Path(path)
        if p.is_dir():
            candidates = [p / "tokenizer.json", p / "vocab.txt"]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise FileNotFoundError(f"{str(p)!r} holds neither tokenizer.json nor vocab.txt")
            p = found
        if not p.is_file():
            raise FileNotFoundError(f"tokenizer file {str(p)!r} not found")
        if p.suffix != ".txt":
            return cls._checked(_rustbpe.Tokenizer.from_file(str(p)), p)
        if lowercase is None:
            lowercase = True
            config = p.parent / "tokenizer_config.json"
            if config.is_file():
                try:
                    lowercase = bool(
                        json.loads(config.read_text("utf-8")).get("do_lower_case", True)
                    )
                except (ValueError, AttributeError) as e:
                    raise FormatError(f"{config}: not a valid tokenizer_config.json ({e})") from e
        return cls._checked(_rustbpe.Tokenizer.from_vocab_file(str(p), lowercase=lowercase), p)

    def to_json(self) -> str:
        """The canonical HF ``tokenizer.json`` text."""
        return self._native.to_json()

    def save(self, path: PathLike) -> Path:
        """Writes ``tokenizer.json`` atomically (``path`` may be a folder); returns the file."""
        p = Path(path)
        if p.is_dir():
            p = p / "tokenizer.json"
        _save_text(p, self.to_json())
        return p

    @property
    def fingerprint(self) -> str:
        """sha256 of the canonical ``tokenizer.json``: equal tokenizers, equal fingerprints."""
        if self._fingerprint is None:
            self._fingerprint = hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()
        return self._fingerprint

    # --- vocab --------------------------------------------------------------------------

    @property
    def model_type(self) -> str:
        return self._native.model_type

    @property
    def vocab_size(self) -> int:
        return self._native.vocab_size

    def token_to_id(self, token: str) -> int | None:
        return self._native.token_to_id(token)

    def id_to_token(self, id: int) -> str | None:
        """The token of `id`, or None when no token has it (`id` in 0..2**32-1)."""
        return self._native.id_to_token(check_int("id", id, 0, ID_LIMIT))

    def get_vocab(self) -> dict[str, int]:
        return self._native.get_vocab()

    @property
    def special_tokens(self) -> list[str]:
        return self._native.special_tokens()

    @property
    def pad_id(self) -> int | None:
        return self.token_to_id("[PAD]")

    @property
    def unk_id(self) -> int | None:
        return self.token_to_id("[UNK]")

    @property
    def cls_id(self) -> int | None:
        return self.token_to_id("[CLS]")

    @property
    def sep_id(self) -> int | None:
        return self.token_to_id("[SEP]")

    @property
    def mask_id(self) -> int | None:
        return self.token_to_id("[MASK]")

    # --- encoding -----------------------------------------------------------------------

    def encode(
        self,
        text: str,
        pair: str | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
    ) -> Encoding:
        """Encodes a text (and optional pair); ``max_length`` truncates longest-first,
        counting the special tokens."""
        max_length = check_int("max_length", max_length, 0, ID_LIMIT, optional=True)
        ids, tokens, type_ids, offsets, special, attention = self._native.encode(
            text, pair, add_special_tokens, max_length
        )
        return Encoding(ids, tokens, type_ids, offsets, special, attention)

    def encode_batch(
        self,
        texts: Sequence[str],
        pairs: Sequence[str] | None = None,
        add_special_tokens: bool = True,
        max_length: int | None = None,
        padding: Padding | None = None,
        pad_to_multiple_of: int | None = None,
    ) -> BatchEncoding:
        """Encodes many texts in parallel (GIL released). Same tokens as ``encode`` each."""
        max_length = check_int("max_length", max_length, 0, ID_LIMIT, optional=True)
        multiple = check_int(
            "pad_to_multiple_of", pad_to_multiple_of, 1, MAX_PAD_MULTIPLE, optional=True
        )
        if multiple is not None and padding is None:
            raise ValueError("pad_to_multiple_of needs padding ('longest' or 'max_length')")
        texts = list(texts)
        _check_padded_size(len(texts), padding, max_length, multiple)
        out = self._native.encode_batch(
            texts,
            None if pairs is None else list(pairs),
            add_special_tokens,
            max_length,
            padding,
            multiple,
            self.pad_id,
        )
        lengths = np.frombuffer(out["lengths"], dtype=np.int64)
        if padding is None:
            return BatchEncoding(
                lengths=lengths,
                ids=np.frombuffer(out["ids"], dtype=np.uint32),
                type_ids=np.frombuffer(out["token_type_ids"], dtype=np.uint8),
            )
        shape = (len(lengths), int(out["width"]))

        def grid(key: str) -> np.ndarray:
            return np.frombuffer(out[key], dtype=np.int64).reshape(shape)

        return BatchEncoding(
            lengths=lengths,
            input_ids=grid("input_ids"),
            attention_mask=grid("attention_mask"),
            token_type_ids=grid("token_type_ids"),
            special_tokens_mask=grid("special_tokens_mask"),
        )

    def decode(self, ids: Iterable[int], skip_special_tokens: bool = True) -> str:
        """The text of `ids` (each in 0..vocab_size-1); ValueError for an id with no token."""
        last = self.vocab_size - 1
        checked = [_as_int("id", i) for i in ids]
        for i in checked:
            if not 0 <= i <= last:
                raise ValueError(f"cannot decode id {i}: the vocab has ids 0..{last}")
        try:
            return self._native.decode(checked, skip_special_tokens)
        except ValueError as exc:  # an id inside the range that no token has
            raise _fix_id_range(exc) from None


class BpeTokenizer(Tokenizer):
    """Byte-level BPE (GPT-2 style): any text encodes, no unknown token."""

    @classmethod
    def train(
        cls,
        corpus: Corpus,
        vocab_size: int = 30522,
        min_frequency: int = 2,
        special_tokens: Sequence[str] = BERT_SPECIAL_TOKENS,
        pattern: Literal["gpt2", "gpt4"] = "gpt2",
        progress: ProgressCallback | None = None,
    ) -> BpeTokenizer:
        _check_training_ints(vocab_size=vocab_size, min_frequency=min_frequency)
        native = _rustbpe.Tokenizer.train_bpe(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=list(special_tokens),
            pattern=pattern,
            progress=progress,
            **_corpus_args(corpus),  # type: ignore[arg-type]
        )
        return cls(native)

    def merges(self) -> list[tuple[str, str]]:
        return self._native.merges()


class WordPieceTokenizer(Tokenizer):
    """BERT's WordPiece: BERT normalizer and pre-tokenizer, ``##`` continuation pieces."""

    @classmethod
    def train(
        cls,
        corpus: Corpus,
        vocab_size: int = 30522,
        min_frequency: int = 2,
        special_tokens: Sequence[str] = BERT_SPECIAL_TOKENS,
        limit_alphabet: int | None = 1000,
        lowercase: bool = True,
        strip_accents: bool | None = None,
        clean_text: bool = True,
        handle_chinese_chars: bool = True,
        max_input_chars_per_word: int = 100,
        progress: ProgressCallback | None = None,
    ) -> WordPieceTokenizer:
        _check_training_ints(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            limit_alphabet=limit_alphabet,
            max_input_chars_per_word=max_input_chars_per_word,
        )
        native = _rustbpe.Tokenizer.train_wordpiece(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=list(special_tokens),
            limit_alphabet=limit_alphabet,
            lowercase=lowercase,
            strip_accents=strip_accents,
            clean_text=clean_text,
            handle_chinese_chars=handle_chinese_chars,
            max_input_chars_per_word=max_input_chars_per_word,
            progress=progress,
            **_corpus_args(corpus),  # type: ignore[arg-type]
        )
        return cls(native)

    def save_vocab(self, path: PathLike) -> Path:
        """Writes a BERT ``vocab.txt`` atomically (``path`` may be a folder); returns the file.
        Raises ValueError for a token one line cannot hold (e.g. one with a newline)."""
        p = Path(path)
        if p.is_dir():
            p = p / "vocab.txt"
        _save_text(p, self._native.vocab_txt())
        return p


def load_tokenizer(path: PathLike) -> Tokenizer:
    """Loads any tokenizer bertbench supports: ``tokenizer.json``, ``vocab.txt``, or a folder."""
    p = Path(path)
    if p.suffix == ".txt" or (p.is_dir() and not (p / "tokenizer.json").is_file()):
        return Tokenizer.from_huggingface(p)
    return Tokenizer.load(p)
