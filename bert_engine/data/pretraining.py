"""BERT pre-training examples from a tokenized corpus, deterministic and exactly resumable.

Segment pairs follow Google's ``create_pretraining_data.py``: consecutive sentences of a document
are gathered up to a target length (``max_seq_len - 3``, or with probability ``short_seq_prob`` a
random shorter one); the gathered chunk is cut at a random sentence into segment A and B. With
next-sentence prediction (NSP), B is the true continuation half of the time (label 0) and otherwise
a run of sentences from a *different* document (label 1), always different by construction.
Two changes from Google's script keep NSP at exactly 50% in expectation: a chunk holding a single
(long) sentence is cut inside the sentence when a true continuation is drawn, instead of being
forced to a random B; and the random document is drawn among the others, never the same one.

``nsp=False`` (MLM only) gives ``[CLS] A [SEP]`` with A as long as the target. ``pack=True``
(MLM only) concatenates documents, separated by ``[SEP]``, and cuts them into full rows, so no
padding is needed at all.

Order: each epoch permutes the documents (seeded by ``(seed, epoch)``) and cuts the permutation into
blocks of ``block_documents``; a block's examples are built and shuffled with a generator seeded by
``(seed, epoch, block)``. Block ``b`` goes to rank ``b % world_size``. The position
``(epoch, block, index)`` is the whole state: ``load_state_dict`` rebuilds one block and skips to
the index, so resuming yields exactly the examples an uninterrupted run would have.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bert_engine.data.errors import DataError
from bert_engine.data.shards import TokenizedCorpus


@dataclass(frozen=True)
class PretrainingConfig:
    max_seq_len: int = 128
    short_seq_prob: float = 0.1
    nsp: bool = True
    pack: bool = False
    block_documents: int = 512

    def check(self) -> None:
        if self.max_seq_len < 8:
            raise DataError(f"max_seq_len must be at least 8, got {self.max_seq_len}")
        if not 0.0 <= self.short_seq_prob <= 1.0:
            raise DataError(f"short_seq_prob must be in [0, 1], got {self.short_seq_prob}")
        if self.pack and self.nsp:
            raise DataError(
                "packing joins documents into full rows, which has no sentence pairs: "
                "use pack=True only with nsp=False (MLM only)"
            )
        if self.block_documents < 1:
            raise DataError("block_documents must be >= 1")


@dataclass(frozen=True)
class PretrainingExample:
    """``input_ids``: ``[CLS] A [SEP] (B [SEP])``; ``len_a``: length of ``[CLS] A [SEP]`` (token
    type 0), the rest is type 1; ``nsp_label``: 0 = B follows A, 1 = random B, -1 = no NSP."""

    input_ids: np.ndarray
    len_a: int
    nsp_label: int


# A segment is a token range inside one shard: (shard index, start, end).
_Range = tuple[int, int, int]


class PretrainingExamples:
    """An endless (or ``epochs``-long) iterator of examples with ``state_dict()`` for resume."""

    def __init__(
        self,
        corpus: TokenizedCorpus,
        config: PretrainingConfig | None = None,
        *,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        epochs: int | None = None,
    ) -> None:
        self.config = config or PretrainingConfig()
        self.config.check()
        if self.config.nsp and corpus.n_documents < 2:
            raise DataError(
                f"next-sentence prediction needs at least 2 documents for its random segments; "
                f"the corpus has {corpus.n_documents}. Use nsp=False or a corpus with more "
                "documents (check the document separator: blank lines or one per line)"
            )
        if not 0 <= rank < world_size:
            raise DataError(f"rank {rank} is outside world_size {world_size}")
        self.corpus = corpus
        self.seed, self.rank, self.world_size, self.epochs = seed, rank, world_size, epochs
        # Shard of each document, 4 bytes a document (a corpus may have many millions).
        counts = [sh.n_documents for sh in corpus.shards]
        self._doc_shard = np.repeat(np.arange(len(counts), dtype=np.int32), counts)
        self._doc_start = np.concatenate([[0], np.cumsum(counts)]).tolist()
        sp = corpus.special
        self._cls = np.asarray([sp.cls], dtype=np.int32)
        self._sep = np.asarray([sp.sep], dtype=np.int32)
        n_blocks = -(-corpus.n_documents // self.config.block_documents)
        if n_blocks <= rank:
            raise DataError(
                f"rank {rank} gets no data: the corpus has {n_blocks} block(s) of "
                f"{self.config.block_documents} documents for {world_size} ranks; "
                "lower block_documents"
            )
        self.epoch, self.block, self.index = 0, rank, 0

    # ---------------------------------------------------------------- state

    def state_dict(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "block": self.block,
            "index": self.index,
            "seed": self.seed,
            "rank": self.rank,
            "world_size": self.world_size,
            "config": asdict(self.config),
            "documents": self.corpus.n_documents,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mine = self.state_dict()
        for key in ("seed", "rank", "world_size", "config", "documents"):
            if state.get(key) != mine[key]:
                raise DataError(
                    f"cannot resume the example stream: {key} was {state.get(key)!r} and is now "
                    f"{mine[key]!r}; resume with the same corpus, seed and data settings"
                )
        self.epoch, self.block, self.index = state["epoch"], state["block"], state["index"]

    # ---------------------------------------------------------------- iteration

    def __iter__(self) -> Iterator[PretrainingExample]:
        n_docs = self.corpus.n_documents
        bd = self.config.block_documents
        while self.epochs is None or self.epoch < self.epochs:
            perm = np.random.default_rng([self.seed, self.epoch]).permutation(n_docs)
            while self.block * bd < n_docs:
                docs = perm[self.block * bd : (self.block + 1) * bd]
                examples = self.block_examples(self.epoch, self.block, docs)
                while self.index < len(examples):
                    ex = examples[self.index]
                    self.index += 1  # advanced before yielding: the state is "after this one"
                    yield ex
                self.block += self.world_size
                self.index = 0
            self.epoch += 1
            self.block = self.rank

    def block_examples(self, epoch: int, block: int, docs: np.ndarray) -> list[PretrainingExample]:
        rng = random.Random(f"{self.seed}/{epoch}/{block}")
        if self.config.pack:
            examples = self._packed(docs)
        else:
            examples = []
            for d in docs:
                examples.extend(self._document_examples(int(d), rng))
        rng.shuffle(examples)
        return examples

    # ---------------------------------------------------------------- building

    def _sentences(self, doc: int) -> tuple[int, list[int]]:
        """(shard index, token offsets of the document's sentences as a list: Python ints are
        much faster than numpy scalars in the per-sentence loop)."""
        i = int(self._doc_shard[doc])
        return i, self.corpus.shards[i].document_sentences(doc - self._doc_start[i]).tolist()

    def _tokens(self, r: _Range) -> np.ndarray:
        return self.corpus.shards[r[0]].tokens[r[1] : r[2]]

    def _example(self, a: _Range, b: _Range | None, label: int) -> PretrainingExample:
        parts = [self._cls, self._tokens(a), self._sep]
        if b is not None:
            parts += [self._tokens(b), self._sep]
        ids = np.concatenate(parts).astype(np.int32, copy=False)
        return PretrainingExample(ids, a[2] - a[1] + 2, label)

    def _document_examples(self, doc: int, rng: random.Random) -> list[PretrainingExample]:
        cfg = self.config
        shard, offs = self._sentences(doc)
        n_sent = len(offs) - 1
        max_tokens = cfg.max_seq_len - (3 if cfg.nsp else 2)
        target = max_tokens
        if rng.random() < cfg.short_seq_prob:
            target = rng.randint(2, max_tokens)
        out: list[PretrainingExample] = []
        i, chunk_start = 0, 0
        while i < n_sent:
            length = offs[i + 1] - offs[chunk_start]
            if i == n_sent - 1 or length >= target:
                start, end = offs[chunk_start], offs[i + 1]
                if not cfg.nsp:
                    out.append(
                        self._example((shard, start, min(end, start + max_tokens)), None, -1)
                    )
                else:
                    i = self._pair(doc, shard, offs, chunk_start, i, target, max_tokens, rng, out)
                chunk_start = i + 1
                target = max_tokens
                if rng.random() < cfg.short_seq_prob:
                    target = rng.randint(2, max_tokens)
            i += 1
        return out

    def _pair(
        self,
        doc: int,
        shard: int,
        offs: list[int],
        first: int,
        last: int,
        target: int,
        max_tokens: int,
        rng: random.Random,
        out: list[PretrainingExample],
    ) -> int:
        """Appends one NSP example from chunk sentences ``first..last``; returns the index of the
        last sentence used (unused sentences go back to the document, as in Google's code)."""
        n_chunk = last - first + 1
        a_end = first + (rng.randint(1, n_chunk - 1) if n_chunk >= 2 else 1)  # exclusive
        a = (shard, offs[first], offs[a_end])
        is_random = rng.random() < 0.5
        if not is_random and n_chunk == 1:
            length = a[2] - a[1]
            if length < 2:
                is_random = True
            else:  # one long sentence: its second part is still the true continuation
                cut = a[1] + rng.randint(1, length - 1)
                out.append(self._truncated(a[:2] + (cut,), (shard, cut, a[2]), 0, max_tokens, rng))
                return last
        if is_random:
            b = self._random_segment(doc, target - (a[2] - a[1]), rng)
            last = a_end - 1
        else:
            b = (shard, offs[a_end], offs[last + 1])
        out.append(self._truncated(a, b, int(is_random), max_tokens, rng))
        return last

    def _random_segment(self, doc: int, target: int, rng: random.Random) -> _Range:
        other = rng.randrange(self.corpus.n_documents - 1)
        other += other >= doc  # any document but this one
        shard, offs = self._sentences(other)
        n_sent = len(offs) - 1
        start = rng.randrange(n_sent)
        end = start + 1
        while end < n_sent and offs[end] - offs[start] < max(target, 1):
            end += 1
        return (shard, offs[start], offs[end])

    def _truncated(
        self, a: _Range, b: _Range, label: int, max_tokens: int, rng: random.Random
    ) -> PretrainingExample:
        """Trims the longer segment until both fit, from a random mix of front and back."""
        la, lb = a[2] - a[1], b[2] - b[1]
        excess = la + lb - max_tokens
        if excess > 0:
            cut_a, cut_b = _split_excess(la, lb, excess)
            a, b = _trim(a, cut_a, rng), _trim(b, cut_b, rng)
        return self._example(a, b, label)

    def _packed(self, docs: np.ndarray) -> list[PretrainingExample]:
        width = self.config.max_seq_len - 2
        parts: list[np.ndarray] = []
        for d in docs:
            shard, offs = self._sentences(int(d))
            parts += [self.corpus.shards[shard].tokens[offs[0] : offs[-1]], self._sep]
        stream = np.concatenate(parts[:-1]).astype(np.int32, copy=False)
        out = []
        for start in range(0, len(stream), width):
            body = stream[start : start + width]
            row = np.concatenate([self._cls, body, self._sep])
            out.append(PretrainingExample(row, len(row), -1))
        return out


def _split_excess(la: int, lb: int, excess: int) -> tuple[int, int]:
    """How many tokens Google's loop (trim the longer, B on ties) removes from A and from B."""
    first = min(abs(la - lb), excess)  # first the longer one down to the other's length
    rest = excess - first  # then alternately, B first: B takes the odd token
    cut_a = (first if la > lb else 0) + rest // 2
    return cut_a, excess - cut_a


def _trim(r: _Range, n: int, rng: random.Random) -> _Range:
    if n <= 0:
        return r
    front = rng.randint(0, n)
    return (r[0], r[1] + front, r[2] - (n - front))
