"""Batching: dynamic padding to the batch's longest row (rounded up to a multiple of 8, which
tensor cores prefer), length bucketing, and the pre-training batch stream (collate + mask).

- ``pad_rows`` pads a list of id arrays into one ``[batch, length]`` array.
- ``PretrainingCollator`` turns ``PretrainingExample`` s into tensors and masks them.
- ``PretrainingBatches`` draws examples, groups rows of similar length (bucketing: a buffer of
  ``bucket_batches`` batches is sorted by length, cut into batches, and the batches are shuffled),
  and yields masked batches; it is exactly resumable through ``state_dict()``.
- ``LengthBucketSampler`` does the same bucketing for map-style datasets (fine-tuning).
- ``pretraining_batches(corpus, batch_size=...)`` wires examples, masker and collator together.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Sampler

from bert_engine.data.errors import DataError
from bert_engine.data.masking import MlmMasker
from bert_engine.data.pretraining import (
    PretrainingConfig,
    PretrainingExample,
    PretrainingExamples,
)
from bert_engine.data.shards import TokenizedCorpus


def padded_length(longest: int, multiple_of: int | None = 8) -> int:
    if not multiple_of or multiple_of <= 1:
        return longest
    return -(-longest // multiple_of) * multiple_of


def pad_rows(
    rows: Sequence[np.ndarray], pad_id: int, multiple_of: int | None = 8
) -> tuple[np.ndarray, np.ndarray]:
    """(ids int64 [B, L] padded with ``pad_id``, lengths int64 [B])."""
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    width = padded_length(int(lengths.max()) if len(rows) else 0, multiple_of)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
    return ids, lengths


def attention_mask_of(lengths: np.ndarray, width: int) -> np.ndarray:
    return (np.arange(width)[None, :] < lengths[:, None]).astype(np.int64)


class PretrainingCollator:
    """Examples -> ``input_ids, token_type_ids, attention_mask, labels`` (+
    ``next_sentence_label`` when the examples carry NSP labels), masked by ``masker``."""

    def __init__(self, pad_id: int, masker: MlmMasker, pad_to_multiple_of: int | None = 8):
        self.pad_id, self.masker, self.multiple_of = pad_id, masker, pad_to_multiple_of

    def __call__(
        self, examples: Sequence[PretrainingExample], generator: torch.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        if not examples:
            raise DataError("cannot collate an empty batch")
        ids, lengths = pad_rows([e.input_ids for e in examples], self.pad_id, self.multiple_of)
        width = ids.shape[1]
        positions = np.arange(width)[None, :]
        len_a = np.fromiter((e.len_a for e in examples), dtype=np.int64, count=len(examples))
        # Token type 1 from the end of segment A up to the end of the row (B and its [SEP]).
        types = ((positions >= len_a[:, None]) & (positions < lengths[:, None])).astype(np.int64)
        input_ids, labels = self.masker(torch.from_numpy(ids), generator)
        batch = {
            "input_ids": input_ids,
            "token_type_ids": torch.from_numpy(types),
            "attention_mask": torch.from_numpy(attention_mask_of(lengths, width)),
            "labels": labels,
        }
        nsp = [e.nsp_label for e in examples]
        if nsp[0] >= 0:
            batch["next_sentence_label"] = torch.tensor(nsp, dtype=torch.long)
        return batch


def bucketed_batches(
    lengths: Sequence[int] | np.ndarray, batch_size: int, rng: random.Random
) -> list[list[int]]:
    """Indices sorted by length, cut into batches, batches shuffled: rows in a batch have similar
    lengths (little padding) while the batch order stays random."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    batches = [order[i : i + batch_size].tolist() for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


class PretrainingBatches:
    """Masked pre-training batches from an example stream, with length bucketing.

    ``bucket_batches``: how many batches' worth of examples are sorted together (1 = no
    bucketing). The masks of batch ``n`` come from a generator seeded by ``(seed, n)``, so they are
    the same after a resume. ``state_dict()`` holds the example stream's state at the start of the
    current bucket and how many of its batches were yielded.
    """

    def __init__(
        self,
        examples: PretrainingExamples,
        collator: PretrainingCollator,
        batch_size: int,
        *,
        bucket_batches: int = 16,
        seed: int = 0,
    ) -> None:
        if batch_size < 1 or bucket_batches < 1:
            raise DataError("batch_size and bucket_batches must be >= 1")
        self.examples, self.collator = examples, collator
        self.batch_size, self.bucket_batches, self.seed = batch_size, bucket_batches, seed
        self._bucket_start = examples.state_dict()
        self._done_in_bucket = 0
        self._step = 0  # batches yielded so far (also the masking seed)

    def state_dict(self) -> dict[str, Any]:
        return {
            "examples": self._bucket_start,
            "done_in_bucket": self._done_in_bucket,
            "step": self._step,
            "batch_size": self.batch_size,
            "bucket_batches": self.bucket_batches,
            "seed": self.seed,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        for key in ("batch_size", "bucket_batches", "seed"):
            if state[key] != getattr(self, key):
                raise DataError(
                    f"cannot resume the batch stream: {key} was {state[key]} and is now "
                    f"{getattr(self, key)}"
                )
        self.examples.load_state_dict(state["examples"])
        self._bucket_start = state["examples"]
        self._done_in_bucket, self._step = state["done_in_bucket"], state["step"]

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        self.examples.load_state_dict(self._bucket_start)
        stream = iter(self.examples)
        size = self.batch_size * self.bucket_batches
        while True:
            bucket: list[PretrainingExample] = []
            for ex in stream:
                bucket.append(ex)
                if len(bucket) == size:
                    break
            if not bucket:
                return
            bucket_step = self._step - self._done_in_bucket
            rng = random.Random(f"{self.seed}/bucket/{bucket_step}")
            batches = bucketed_batches([len(e.input_ids) for e in bucket], self.batch_size, rng)
            for idx in batches[self._done_in_bucket :]:
                gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self._step)
                batch = self.collator([bucket[i] for i in idx], gen)
                self._step += 1
                self._done_in_bucket += 1
                yield batch
            self._bucket_start = self.examples.state_dict()
            self._done_in_bucket = 0


class LengthBucketSampler(Sampler[list[int]]):
    """Batch sampler for map-style datasets: similar lengths per batch, shuffled batch order,
    reseeded per epoch with ``set_epoch``."""

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_size: int,
        *,
        seed: int = 0,
        bucket_batches: int = 50,
        shuffle: bool = True,
    ) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size, self.seed, self.bucket_batches = batch_size, seed, bucket_batches
        self.shuffle, self.epoch = shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return -(-len(self.lengths) // self.batch_size)

    def __iter__(self) -> Iterator[list[int]]:
        n = len(self.lengths)
        if not self.shuffle:
            yield from (
                list(range(i, min(i + self.batch_size, n))) for i in range(0, n, self.batch_size)
            )
            return
        rng = random.Random(f"{self.seed}/{self.epoch}")
        order = list(range(n))
        rng.shuffle(order)
        size = self.batch_size * self.bucket_batches
        for start in range(0, n, size):
            chunk = order[start : start + size]
            for batch in bucketed_batches(self.lengths[chunk], self.batch_size, rng):
                yield [chunk[i] for i in batch]


def pretraining_batches(
    corpus: TokenizedCorpus,
    *,
    batch_size: int,
    max_seq_len: int = 128,
    nsp: bool = True,
    pack: bool = False,
    short_seq_prob: float = 0.1,
    mlm_probability: float = 0.15,
    whole_word_masking: bool = False,
    bucket_batches: int = 16,
    seed: int = 0,
    rank: int = 0,
    world_size: int = 1,
    epochs: int | None = None,
) -> PretrainingBatches:
    """The whole pre-training input pipeline over a shard cache, wired with the usual settings
    (what a trainer calls; each piece stays usable on its own)."""
    config = PretrainingConfig(
        max_seq_len=max_seq_len, short_seq_prob=short_seq_prob, nsp=nsp, pack=pack
    )
    examples = PretrainingExamples(
        corpus, config, seed=seed, rank=rank, world_size=world_size, epochs=epochs
    )
    masker = MlmMasker(
        corpus.vocab_size,
        corpus.special.mask,
        corpus.special.all,
        mlm_probability=mlm_probability,
        word_start=corpus.word_start if whole_word_masking else None,
    )
    collator = PretrainingCollator(corpus.special.pad, masker)
    return PretrainingBatches(
        examples, collator, batch_size, bucket_batches=1 if pack else bucket_batches, seed=seed
    )
