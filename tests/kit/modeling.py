"""Helpers for the modeling tests: small configs, random batches, HF reference models."""

from __future__ import annotations

import torch

from bert_engine.modeling import BertConfig


def small_config(**overrides: object) -> BertConfig:
    fields: dict[str, object] = dict(
        vocab_size=97,
        hidden_size=32,
        num_layers=2,
        num_heads=4,
        intermediate_size=48,
        max_position_embeddings=40,
        type_vocab_size=2,
        layer_norm_eps=1e-12,
    )
    fields.update(overrides)
    return BertConfig(**fields)  # type: ignore[arg-type]


def make_batch(
    config: BertConfig, batch: int, length: int, *, padded: bool, seed: int = 0
) -> dict[str, torch.Tensor]:
    """Random ids with [CLS]-like first token, two segments, right padding of varied lengths."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, config.vocab_size, (batch, length), generator=g)
    ids[:, 0] = 2
    types = torch.zeros(batch, length, dtype=torch.long)
    mask = torch.ones(batch, length, dtype=torch.long)
    lengths = torch.full((batch,), length)
    if padded:
        lengths = torch.randint(2, length + 1, (batch,), generator=g)
        lengths[0] = length  # one full row, as a collator padding to the longest would give
    for row, n in enumerate(lengths.tolist()):
        types[row, n // 2 : n] = 1
        mask[row, n:] = 0
        ids[row, n:] = config.pad_token_id
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask}


def mlm_labels(batch: dict[str, torch.Tensor], seed: int = 0, rate: float = 0.3) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ids = batch["input_ids"]
    pick = (torch.rand(ids.shape, generator=g) < rate) & batch["attention_mask"].bool()
    pick[:, 1] = True  # at least one masked token per row
    return torch.where(pick, ids, torch.full_like(ids, -100))


def perturb_(model: torch.nn.Module, seed: int = 0) -> None:
    """Give every weight (biases, LayerNorm too) distinct random values so that a mis-mapped
    weight cannot hide behind BERT's zero/one initialisation."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn(p.shape, generator=g) * 0.05)
