"""Task heads on the encoder: masked-LM, next-sentence prediction, sequence classification."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from bert_engine.schema.bert import BertConfig


class MaskedLMHead(nn.Module):
    """dense -> GELU -> LayerNorm, then a decoder tied to the word embeddings, plus a bias.

    The decoder weight is not a parameter here: the caller passes the word-embedding matrix, so
    the tie can never come undone (no duplicate tensor, nothing to re-tie after loading).
    """

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden: torch.Tensor, word_embeddings: torch.Tensor) -> torch.Tensor:
        h = self.norm(F.gelu(self.dense(hidden)))
        return F.linear(h, word_embeddings, self.bias)


class NextSentenceHead(nn.Module):
    """Pooled [CLS] -> 2 logits: 0 = B follows A, 1 = B is random (BERT's convention)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, 2)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.dense(pooled)


class ClassificationHead(nn.Module):
    """Pooled [CLS] -> dropout -> num_labels logits."""

    def __init__(self, config: BertConfig, num_labels: int, dropout: float | None = None) -> None:
        super().__init__()
        self.dropout = nn.Dropout(config.hidden_dropout if dropout is None else dropout)
        self.dense = nn.Linear(config.hidden_size, num_labels)

    def forward(self, pooled: torch.Tensor) -> torch.Tensor:
        return self.dense(self.dropout(pooled))
