"""Dynamic masked-language-model masking, applied per batch (a fresh pattern every time a sequence
is seen, as RoBERTa does, rather than BERT's masks fixed at preprocessing).

The BERT recipe: choose ``mlm_probability`` (15%) of the non-special tokens; of those, 80% become
``[MASK]``, 10% a random non-special token, 10% stay unchanged; labels are the original ids at the
chosen positions and ``-100`` elsewhere (the value PyTorch's cross-entropy ignores).

Whole-word masking chooses *words* instead of tokens, so all pieces of a word are masked
together. Which tokens start a word is a boolean lookup table over the vocabulary
(``word_start_table``), so the whole batch is handled with tensor operations, no Python loop.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import torch

from bert_engine.data.errors import DataError
from bert_engine.data.shards import word_start_table

__all__ = ["IGNORE_INDEX", "MlmMasker", "word_start_table"]

IGNORE_INDEX = -100


class MlmMasker:
    """Masks a batch of token ids. Deterministic for a given ``torch.Generator`` state."""

    def __init__(
        self,
        vocab_size: int,
        mask_id: int,
        special_ids: Iterable[int],
        mlm_probability: float = 0.15,
        mask_token_fraction: float = 0.8,
        random_token_fraction: float = 0.1,
        word_start: np.ndarray | None = None,
    ) -> None:
        if not 0.0 < mlm_probability < 1.0:
            raise DataError(f"mlm_probability must be in (0, 1), got {mlm_probability}")
        if mask_token_fraction < 0 or random_token_fraction < 0:
            raise DataError("mask_token_fraction and random_token_fraction must be >= 0")
        if mask_token_fraction + random_token_fraction > 1.0 + 1e-9:
            raise DataError(
                f"mask_token_fraction + random_token_fraction must be <= 1, got "
                f"{mask_token_fraction} + {random_token_fraction}"
            )
        special = torch.zeros(vocab_size, dtype=torch.bool)
        for i in special_ids:
            if 0 <= i < vocab_size:
                special[i] = True
        special[mask_id] = True
        self.special = special
        # Random replacements are drawn among the non-special tokens only.
        self.replacements = torch.nonzero(~special).flatten()
        if len(self.replacements) == 0:
            raise DataError("the vocabulary has no non-special token to mask")
        self.mask_id = mask_id
        self.mlm_probability = mlm_probability
        self.mask_token_fraction = mask_token_fraction
        self.random_token_fraction = random_token_fraction
        self.word_start: torch.Tensor | None = None
        if word_start is not None:
            if len(word_start) < vocab_size:
                raise DataError(
                    f"word_start table has {len(word_start)} entries for a vocabulary of "
                    f"{vocab_size}"
                )
            self.word_start = torch.from_numpy(np.asarray(word_start[:vocab_size], dtype=bool))

    def __call__(
        self, input_ids: torch.Tensor, generator: torch.Generator | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (masked input ids, labels); the input is not modified. Padding must use a
        special id (normally [PAD]) so it is never chosen."""
        ids = input_ids.long()
        special = _lookup(self.special, ids)
        if self.word_start is None:
            chosen = torch.rand(ids.shape, generator=generator) < self.mlm_probability
        else:
            chosen = self._choose_words(ids, special, generator)
        chosen &= ~special

        labels = torch.where(chosen, ids, torch.full_like(ids, IGNORE_INDEX))
        masked = ids.clone()
        action = torch.rand(ids.shape, generator=generator)
        to_mask = chosen & (action < self.mask_token_fraction)
        to_random = (
            chosen
            & (action >= self.mask_token_fraction)
            & (action < self.mask_token_fraction + self.random_token_fraction)
        )
        masked[to_mask] = self.mask_id
        n_random = int(to_random.sum())
        if n_random:
            pick = torch.randint(len(self.replacements), (n_random,), generator=generator)
            masked[to_random] = _lookup(self.replacements, pick)
        return masked.to(input_ids.dtype), labels

    def _choose_words(
        self, ids: torch.Tensor, special: torch.Tensor, generator: torch.Generator | None
    ) -> torch.Tensor:
        assert self.word_start is not None
        starts = _lookup(self.word_start, ids) | special
        # A token right after a special token ([CLS], [SEP]) starts a word even without a marker.
        starts[:, 1:] |= special[:, :-1]
        starts[:, 0] = True
        word_index = torch.cumsum(starts.long(), dim=1) - 1
        word_draw = torch.rand(ids.shape, generator=generator)  # one draw per possible word
        return torch.gather(word_draw, 1, word_index) < self.mlm_probability


def _lookup(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """``table[ids]``. On CPU through numpy: torch's gather kernels go multi-threaded even for a
    few thousand elements, and on a busy machine their thread hand-off costs ~100x the work."""
    if ids.device.type == "cpu" and table.device.type == "cpu":
        return torch.from_numpy(table.numpy()[ids.numpy()])
    return torch.take(table.to(ids.device), ids)
