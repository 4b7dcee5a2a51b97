"""Position-wise feed-forward: dense -> exact GELU -> dense, dropout, residual, LayerNorm."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bert_engine.schema.bert import BertConfig


class FeedForward(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.hidden_size, config.intermediate_size)
        self.down = nn.Linear(config.intermediate_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.gelu(self.up(x))  # exact (erf) GELU, as in BERT; not the tanh approximation
        return self.norm(x + self.dropout(self.down(h)))
