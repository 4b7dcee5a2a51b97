import pytest
import torch
from kit.training import TinyLM
from torch import nn

from bert_engine.training import build_optimizer, parameter_groups, split_decay_parameters


class BertLayerNorm(nn.Module):
    """A hand-written norm, as some BERT ports have: recognised by its class name."""

    def __init__(self, dim):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))
        # A 2-D parameter in a norm (unusual) must still be excluded by module type.
        self.scale_table = nn.Parameter(torch.ones(2, dim))

    def forward(self, x):
        return x


def test_biases_and_norm_weights_are_excluded_from_decay():
    model = TinyLM()
    decay, no_decay = split_decay_parameters(model)
    assert "embed.weight" in decay  # embeddings decay, as in BERT
    assert "embed_norm.weight" in no_decay and "embed_norm.bias" in no_decay
    assert "layer.norm1.weight" in no_decay and "layer.linear1.bias" in no_decay
    assert "layer.linear1.weight" in decay
    assert "layer.self_attn.in_proj_weight" in decay
    # The output head is tied to the embedding: listed once, never twice.
    assert "head.weight" not in decay + no_decay
    assert "head.bias" in no_decay
    names = [n for n, _ in model.named_parameters()]
    assert sorted(decay + no_decay) == sorted(names)


def test_custom_norm_modules_are_recognised_by_name():
    model = nn.Sequential(nn.Linear(4, 4), BertLayerNorm(4))
    decay, no_decay = split_decay_parameters(model)
    assert decay == ["0.weight"]
    assert set(no_decay) == {"0.bias", "1.weight", "1.bias", "1.scale_table"}


def test_frozen_parameters_are_left_out():
    model = nn.Linear(3, 3)
    model.bias.requires_grad_(False)
    groups = parameter_groups(model, 0.1)
    assert len(groups) == 1 and groups[0]["params"][0] is model.weight


def test_adamw_decays_only_the_decay_group():
    """With zero gradients AdamW's only effect is decay: w <- w * (1 - lr * wd)."""
    model = nn.Sequential(nn.Linear(3, 3), nn.LayerNorm(3))
    with torch.no_grad():
        model[1].weight.fill_(2.0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = build_optimizer(model, lr=0.1, weight_decay=0.5)
    (sum(p.sum() for p in model.parameters()) * 0.0).backward()
    opt.step()
    after = dict(model.named_parameters())
    torch.testing.assert_close(after["0.weight"], before["0.weight"] * (1 - 0.1 * 0.5))
    for name in ("0.bias", "1.weight", "1.bias"):
        torch.testing.assert_close(after[name], before[name])


def test_bad_optimizer_arguments():
    with pytest.raises(ValueError, match="learning rate"):
        build_optimizer(nn.Linear(2, 2), lr=0.0)
    with pytest.raises(ValueError, match="weight_decay"):
        build_optimizer(nn.Linear(2, 2), lr=1e-3, weight_decay=-1)
    frozen = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match="no trainable parameters"):
        build_optimizer(frozen, lr=1e-3)
