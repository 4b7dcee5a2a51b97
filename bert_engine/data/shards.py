"""The pre-tokenized corpus cache: a corpus is split into sentences and tokenized once, in
parallel, into memory-mapped numpy shards that every later run reuses.

On disk, ``<cache>/shards/<key>/`` holds ``meta.json``, ``word_start.npy`` (which tokens start a
word, for whole-word masking) and one folder per shard with

- ``tokens.npy``: all token ids, flat (uint16 when the vocabulary fits, else uint32);
- ``sentence_offsets.npy``: int64 ``[n_sentences + 1]``, where each sentence starts in ``tokens``;
- ``document_offsets.npy``: int64 ``[n_documents + 1]``, where each document starts in sentences.

The key is a sha256 of the source's identity (paths, sizes, modification times, columns), the
tokenizer's fingerprint and the build settings, so a changed file or tokenizer builds a new cache
and anything else reuses the old one. The folder is written under a temporary name and renamed
into place, so a crash never leaves a half-written cache that looks complete.

Building streams: at most one shard (``shard_tokens`` tokens) plus the chunks in flight are held in
memory, so corpora larger than RAM are fine. Reading memory-maps the arrays (``mmap_mode="r"``).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bert_engine.data.demo import default_cache_dir
from bert_engine.data.errors import DataError
from bert_engine.data.sentences import split_sentences
from bert_engine.data.sources import CorpusSource

FORMAT_VERSION = 1
# progress(done, total) -> None or bool; returning False cancels the build (BuildCancelled).
Progress = Callable[[int, "int | None"], "bool | None"]


class BuildCancelled(DataError):
    """The progress callback returned False; nothing was written to the cache."""


class TokenizerLike(Protocol):
    """The part of ``bert_engine.tokenizers.Tokenizer`` the cache uses."""

    @property
    def fingerprint(self) -> str: ...
    @property
    def vocab_size(self) -> int: ...
    def get_vocab(self) -> dict[str, int]: ...
    def token_to_id(self, token: str) -> int | None: ...
    def encode_batch(self, texts: list[str], **kwargs: Any) -> Any: ...


@dataclass(frozen=True)
class Shard:
    tokens: np.ndarray
    sentence_offsets: np.ndarray
    document_offsets: np.ndarray

    @property
    def n_documents(self) -> int:
        return len(self.document_offsets) - 1

    def document_sentences(self, doc: int) -> np.ndarray:
        """Token offsets of the sentences of local document ``doc`` (``n_sentences + 1`` values)."""
        s0, s1 = self.document_offsets[doc], self.document_offsets[doc + 1]
        return self.sentence_offsets[s0 : s1 + 1]


@dataclass(frozen=True)
class SpecialIds:
    pad: int
    cls: int
    sep: int
    mask: int
    all: tuple[int, ...]


class TokenizedCorpus:
    """Documents of sentences of token ids, over one or more shards (memory-mapped or in RAM)."""

    def __init__(self, shards: Sequence[Shard], meta: dict[str, Any], word_start: np.ndarray):
        self.shards = list(shards)
        self.meta = meta
        self.word_start = word_start
        counts = [s.n_documents for s in self.shards]
        self._doc_starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        sp = meta["special"]
        self.special = SpecialIds(sp["pad"], sp["cls"], sp["sep"], sp["mask"], tuple(sp["all"]))
        self.vocab_size: int = meta["vocab_size"]
        self.path: Path | None = None

    @property
    def n_documents(self) -> int:
        return int(self._doc_starts[-1])

    @property
    def n_tokens(self) -> int:
        return sum(len(s.tokens) for s in self.shards)

    def locate(self, doc: int) -> tuple[Shard, int]:
        """(shard, local document index) of global document ``doc``."""
        i = int(np.searchsorted(self._doc_starts, doc, side="right")) - 1
        return self.shards[i], doc - int(self._doc_starts[i])

    def document_tokens(self, doc: int) -> list[np.ndarray]:
        """The sentences of a document as token-id arrays (for inspection and tests)."""
        shard, local = self.locate(doc)
        offs = shard.document_sentences(local)
        return [shard.tokens[a:b] for a, b in zip(offs[:-1], offs[1:], strict=True)]

    @classmethod
    def from_token_documents(
        cls,
        documents: Iterable[Sequence[Sequence[int]]],
        *,
        vocab_size: int,
        special: SpecialIds,
        word_start: np.ndarray | None = None,
    ) -> TokenizedCorpus:
        """An in-memory corpus from documents given as lists of sentences of token ids."""
        tokens: list[int] = []
        sent_offsets = [0]
        doc_offsets = [0]
        for doc in documents:
            for sent in doc:
                if len(sent):
                    tokens.extend(sent)
                    sent_offsets.append(len(tokens))
            if len(sent_offsets) - 1 > doc_offsets[-1]:
                doc_offsets.append(len(sent_offsets) - 1)
        shard = Shard(
            np.asarray(tokens, dtype=_token_dtype(vocab_size)),
            np.asarray(sent_offsets, dtype=np.int64),
            np.asarray(doc_offsets, dtype=np.int64),
        )
        meta = {"vocab_size": vocab_size, "special": _special_meta(special)}
        if word_start is None:
            word_start = np.ones(vocab_size, dtype=bool)
        return cls([shard], meta, word_start)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TokenizedCorpus:
        """Open a finished cache folder, memory-mapping its arrays."""
        root = Path(path)
        try:
            meta = json.loads((root / "meta.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as e:
            raise DataError(f"{root}: not a shard cache folder (meta.json unreadable: {e})") from e
        if meta.get("format") != FORMAT_VERSION:
            raise DataError(f"{root}: shard format {meta.get('format')}, expected {FORMAT_VERSION}")
        shards = []
        for info in meta["shards"]:
            d = root / info["name"]
            # np.asarray drops the np.memmap subclass (still file-backed): its __getitem__ is
            # several times slower than a plain array's, and the example builder slices a lot.
            shards.append(
                Shard(
                    *(
                        np.asarray(np.load(d / f"{name}.npy", mmap_mode="r", allow_pickle=False))
                        for name in ("tokens", "sentence_offsets", "document_offsets")
                    )
                )
            )
        word_start = np.load(root / "word_start.npy", allow_pickle=False)
        corpus = cls(shards, meta, word_start)
        corpus.path = root
        return corpus


def special_ids_of(tokenizer: TokenizerLike) -> SpecialIds:
    """[PAD]/[CLS]/[SEP]/[MASK] ids of a tokenizer; DataError naming what is missing."""
    ids = {name: getattr(tokenizer, f"{name}_id", None) for name in ("pad", "cls", "sep", "mask")}
    missing = [name for name, i in ids.items() if i is None]
    if missing:
        raise DataError(
            f"the tokenizer has no {', '.join(f'[{m.upper()}]' for m in missing)} token; "
            "BERT pre-training needs [PAD], [CLS], [SEP] and [MASK] (train it with "
            "special_tokens=BERT_SPECIAL_TOKENS)"
        )
    specials = getattr(tokenizer, "special_tokens", [])
    all_ids = {tokenizer.token_to_id(t) for t in specials} | set(ids.values())
    all_ids.discard(None)
    return SpecialIds(ids["pad"], ids["cls"], ids["sep"], ids["mask"], tuple(sorted(all_ids)))


def cache_key(source: CorpusSource, tokenizer: TokenizerLike, settings: dict[str, Any]) -> str:
    blob = json.dumps(
        {
            "format": FORMAT_VERSION,
            "source": source.describe(),
            "tokenizer": tokenizer.fingerprint,
            "settings": settings,
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def build_shards(
    source: CorpusSource,
    tokenizer: TokenizerLike,
    cache_dir: str | os.PathLike[str] | None = None,
    *,
    split_into_sentences: bool = True,
    shard_tokens: int = 1 << 24,
    chunk_documents: int = 512,
    workers: int | None = None,
    progress: Progress | None = None,
) -> TokenizedCorpus:
    """Tokenize ``source`` into a shard cache, or reuse the cache built for the same inputs.

    ``workers``: tokenizer processes (default: the CPU count, at most 8; 1 tokenizes in this
    process). ``progress(done, total)`` is called after each chunk, in the source's units;
    returning False cancels (``BuildCancelled``) and leaves the cache as it was.
    """
    settings = {"sentences": split_into_sentences, "splitter": 1}
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    final = root / "shards" / cache_key(source, tokenizer, settings)
    if (final / "meta.json").exists():
        return TokenizedCorpus.open(final)
    special = special_ids_of(tokenizer)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=final.name + ".tmp-"))
    try:
        meta = _write_shards(
            tmp,
            source,
            tokenizer,
            special,
            split_into_sentences,
            shard_tokens,
            chunk_documents,
            workers,
            progress,
        )
        meta["source"] = source.describe()
        meta["tokenizer_fingerprint"] = tokenizer.fingerprint
        meta["settings"] = settings
        np.save(tmp / "word_start.npy", word_start_table(tokenizer.get_vocab(), meta["vocab_size"]))
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:
            if not (final / "meta.json").exists():  # not a concurrent build that won the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return TokenizedCorpus.open(final)


def word_start_table(vocab: Mapping[str, int], vocab_size: int | None = None) -> np.ndarray:
    """bool[vocab_size]: True where a token begins a word.

    WordPiece marks continuation pieces with a ``##`` prefix; byte-level BPE marks a token that
    follows a space with ``Ġ`` (so a BPE token without it continues the previous word, except at
    the very start of a text, which the masker treats as a word start after [CLS]/[SEP]).
    The vocabulary style is detected from which marker it uses.
    """
    size = vocab_size if vocab_size is not None else max(vocab.values()) + 1
    table = np.ones(size, dtype=bool)
    is_bpe = any(tok.startswith("Ġ") for tok in vocab) and not any(
        tok.startswith("##") for tok in vocab
    )
    for tok, idx in vocab.items():
        if idx >= size:
            continue
        if is_bpe:
            table[idx] = tok.startswith("Ġ") or (tok.startswith("[") and tok.endswith("]"))
        else:
            table[idx] = not tok.startswith("##")
    return table


# ---------------------------------------------------------------- tokenizing


_worker_tokenizer: Any = None


def _init_worker(payload: bytes, path: str | None) -> None:
    global _worker_tokenizer
    if path is None:
        _worker_tokenizer = pickle.loads(payload)  # our own object, pickled by this process
    else:
        from bert_engine.tokenizers import load_tokenizer

        _worker_tokenizer = load_tokenizer(path)


def _worker_chunk(docs: list[str], split: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tokenize_documents(_worker_tokenizer, docs, split)


def tokenize_documents(
    tokenizer: TokenizerLike, docs: list[str], split: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(flat ids, sentence lengths, sentences per document) for a chunk of documents; empty
    sentences and documents without tokens are dropped."""
    sentences: list[str] = []
    counts = np.empty(len(docs), dtype=np.int64)
    for i, doc in enumerate(docs):
        sents = split_sentences(doc) if split else [ln for ln in doc.splitlines() if ln.strip()]
        counts[i] = len(sents)
        sentences.extend(sents)
    if not sentences:
        return np.empty(0, np.uint32), np.empty(0, np.int64), np.empty(0, np.int64)
    enc = tokenizer.encode_batch(sentences, add_special_tokens=False, padding=None)
    ids = np.asarray(_field(enc, "ids"), dtype=np.uint32)
    lengths = np.asarray(_field(enc, "lengths"), dtype=np.int64)
    keep = lengths > 0
    doc_of_sentence = np.repeat(np.arange(len(docs)), counts)
    counts = np.bincount(doc_of_sentence[keep], minlength=len(docs))
    return ids, lengths[keep], counts[counts > 0]


def _field(enc: Any, name: str) -> Any:
    return enc[name] if isinstance(enc, dict) else getattr(enc, name)


def _chunks(docs: Iterator[tuple[str, int]], size: int) -> Iterator[tuple[list[str], int]]:
    chunk: list[str] = []
    done = 0
    for doc, done in docs:
        chunk.append(doc)
        if len(chunk) == size:
            yield chunk, done
            chunk = []
    if chunk:
        yield chunk, done


def _tokenized_chunks(
    source: CorpusSource,
    tokenizer: TokenizerLike,
    split: bool,
    chunk_documents: int,
    workers: int,
    scratch: Path,
) -> Iterator[tuple[tuple[np.ndarray, np.ndarray, np.ndarray], int]]:
    chunks = _chunks(source.iter_with_progress(), chunk_documents)
    if workers <= 1:
        for docs, done in chunks:
            yield tokenize_documents(tokenizer, docs, split), done
        return
    try:
        payload, path = pickle.dumps(tokenizer), None
    except (TypeError, pickle.PicklingError, AttributeError):
        path = str(scratch / "tokenizer.json")
        tokenizer.save(path)  # type: ignore[attr-defined]
        payload = b""
    # spawn, not fork: forking a process whose Rust thread pool is running can deadlock.
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, ctx, initializer=_init_worker, initargs=(payload, path)
    ) as ex:
        pending: deque[tuple[Future[Any], int]] = deque()
        for docs, done in chunks:
            pending.append((ex.submit(_worker_chunk, docs, split), done))
            if len(pending) >= 2 * workers:  # bounded: the source is read as fast as it is used
                fut, d = pending.popleft()
                yield fut.result(), d
        while pending:
            fut, d = pending.popleft()
            yield fut.result(), d


def _write_shards(
    out: Path,
    source: CorpusSource,
    tokenizer: TokenizerLike,
    special: SpecialIds,
    split: bool,
    shard_tokens: int,
    chunk_documents: int,
    workers: int | None,
    progress: Progress | None,
) -> dict[str, Any]:
    vocab_size = int(tokenizer.vocab_size)
    dtype = _token_dtype(vocab_size)
    n_workers = workers if workers is not None else min(os.cpu_count() or 1, 8)
    total = source.total()
    shards_meta: list[dict[str, Any]] = []
    buf_ids: list[np.ndarray] = []
    buf_lens: list[np.ndarray] = []
    buf_counts: list[np.ndarray] = []
    buffered = 0

    def flush() -> None:
        nonlocal buffered
        if not buf_counts:
            return
        name = f"shard-{len(shards_meta):05d}"
        d = out / name
        d.mkdir()
        lens = np.concatenate(buf_lens)
        counts = np.concatenate(buf_counts)
        np.save(d / "tokens.npy", np.concatenate(buf_ids).astype(dtype))
        np.save(d / "sentence_offsets.npy", np.concatenate([[0], np.cumsum(lens)]).astype(np.int64))
        np.save(
            d / "document_offsets.npy", np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        )
        shards_meta.append(
            {"name": name, "documents": len(counts), "sentences": len(lens), "tokens": buffered}
        )
        buf_ids.clear(), buf_lens.clear(), buf_counts.clear()
        buffered = 0

    for (ids, lens, counts), done in _tokenized_chunks(
        source, tokenizer, split, chunk_documents, n_workers, out
    ):
        if len(ids) and int(ids.max()) >= vocab_size:
            raise DataError(f"token id {int(ids.max())} >= vocab_size {vocab_size}")
        if len(counts):
            buf_ids.append(ids)
            buf_lens.append(lens)
            buf_counts.append(counts)
            buffered += len(ids)
        if buffered >= shard_tokens:
            flush()
        if progress is not None and progress(done, total) is False:
            raise BuildCancelled(f"building the shard cache of {source.name()} was cancelled")
    flush()
    (out / "tokenizer.json").unlink(missing_ok=True)
    if not shards_meta:
        raise DataError(f"tokenizing {source.name()} produced no token at all")
    return {
        "format": FORMAT_VERSION,
        "vocab_size": vocab_size,
        "dtype": np.dtype(dtype).name,
        "special": _special_meta(special),
        "shards": shards_meta,
        "documents": sum(s["documents"] for s in shards_meta),
        "sentences": sum(s["sentences"] for s in shards_meta),
        "tokens": sum(s["tokens"] for s in shards_meta),
    }


def _token_dtype(vocab_size: int) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if vocab_size <= 65536 else np.uint32


def _special_meta(special: SpecialIds) -> dict[str, Any]:
    return {
        "pad": special.pad,
        "cls": special.cls,
        "sep": special.sep,
        "mask": special.mask,
        "all": list(special.all),
    }
