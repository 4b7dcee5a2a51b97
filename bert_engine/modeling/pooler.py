"""The pooler: [CLS] final hidden state -> dense -> tanh (feeds NSP and classifiers)."""

from __future__ import annotations

import torch
from torch import nn

from bert_engine.schema.bert import BertConfig


class Pooler(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)

    def forward(self, cls_hidden: torch.Tensor) -> torch.Tensor:
        """cls_hidden: [batch, hidden], the hidden state of each sequence's first token."""
        return torch.tanh(self.dense(cls_hidden))
