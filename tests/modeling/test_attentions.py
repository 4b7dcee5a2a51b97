"""`BertModel.attentions`: each layer's attention probabilities, from a separate pass that
spells the softmax out, checked against softmax(q k^T / sqrt(d)) computed here by hand from the
layer's own weights and the hidden states the fast (SDPA, unpadded) path produces."""

from __future__ import annotations

import math

import pytest
import torch
from kit.modeling import make_batch, perturb_, small_config

from bert_engine.modeling import BertModel


def reference(model: BertModel, batch: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    """softmax(q k^T / sqrt(head_size)) with padding keys masked, per layer, where each layer's
    input is the previous layer's output on the ordinary (padded SDPA) forward path."""
    ids, types, mask = batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]
    length = ids.shape[1]
    positions = torch.arange(length).expand_as(ids)
    x = model.embeddings(ids, types, positions)
    key_mask = mask.bool()[:, None, None, :]
    heads, size = model.config.num_heads, model.config.head_size
    found = []
    for layer in model.encoder.layers:
        q, k, _ = layer.attention.qkv(x).chunk(3, dim=-1)
        q = q.view(*q.shape[:2], heads, size).transpose(1, 2)
        k = k.view(*k.shape[:2], heads, size).transpose(1, 2)
        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(size)
        scores = scores.masked_fill(~key_mask, float("-inf"))
        found.append(torch.softmax(scores, dim=-1))
        x = layer(x, key_mask)  # the fast path's own output feeds the next layer
    return found


@pytest.mark.parametrize("unpad", [True, False])
def test_attentions_match_the_plain_softmax_and_the_fast_path(unpad: bool) -> None:
    config = small_config(num_layers=3)
    model = BertModel(config, unpad=unpad).eval()
    perturb_(model)
    batch = make_batch(config, 4, 12, padded=True)
    with torch.no_grad():
        found = model.attentions(**batch)
        expected = reference(model, batch)
        # The spelled-out pass ends where the fast path does: same final hidden states.
        fast = model.encode(**batch).padded()
        x = model.embeddings(
            batch["input_ids"],
            batch["token_type_ids"],
            torch.arange(12).expand_as(batch["input_ids"]),
        )
        for layer in model.encoder.layers:
            x, _ = layer.with_probabilities(x, batch["attention_mask"].bool()[:, None, None, :])
    assert len(found) == 3
    for got, want in zip(found, expected, strict=True):
        assert got.shape == (4, config.num_heads, 12, 12)
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
    real = batch["attention_mask"].bool()
    torch.testing.assert_close(x[real], fast[real], atol=1e-5, rtol=1e-4)
    for probabilities in found:
        # Every query's weights sum to 1 over the real keys; padding keys get exactly 0.
        sums = probabilities.sum(-1)
        torch.testing.assert_close(sums, torch.ones_like(sums))
        padding = ~real[:, None, None, :].expand_as(probabilities)
        assert bool((probabilities[padding] == 0).all())


def test_attentions_without_a_mask_attend_to_every_token() -> None:
    config = small_config()
    model = BertModel(config).eval()
    ids = torch.randint(5, config.vocab_size, (2, 7))
    with torch.no_grad():
        found = model.attentions(ids)
    assert [tuple(p.shape) for p in found] == [(2, config.num_heads, 7, 7)] * config.num_layers
    assert bool((found[0] > 0).all())
    with pytest.raises(ValueError):
        model.attentions(torch.full((1, 3), config.vocab_size))  # an id outside the vocabulary
