"""Small real models and data shared by the training tests (no mocks: they really train)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Output:
    loss: torch.Tensor
    logits: torch.Tensor
    metrics: dict[str, torch.Tensor] = field(default_factory=dict)


class TinyLM(nn.Module):
    """Embedding + LayerNorm + one transformer layer + tied output head: a token-copy model."""

    def __init__(self, vocab: int = 32, dim: int = 16, dropout: float = 0.1, tie: bool = True):
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, dim)
        self.embed_norm = nn.LayerNorm(dim)
        self.layer = nn.TransformerEncoderLayer(
            dim, nhead=2, dim_feedforward=32, dropout=dropout, batch_first=True
        )
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(dim, vocab)
        if tie:
            self.head.weight = self.embed.weight

    def forward(self, input_ids, attention_mask=None, labels=None, poison=None):
        hidden = self.dropout(self.embed_norm(self.embed(input_ids)))
        pad = None if attention_mask is None else attention_mask == 0
        hidden = self.layer(hidden, src_key_padding_mask=pad)
        logits = self.head(hidden)
        loss = F.cross_entropy(
            logits.reshape(-1, self.vocab), labels.reshape(-1), ignore_index=-100
        )
        if poison is not None:
            # Lets a test feed a batch that makes the loss NaN, as a diverging run would.
            loss = loss + poison.float().sum() * float("nan")
        valid = labels != -100
        accuracy = ((logits.argmax(-1) == labels) & valid).sum() / valid.sum()
        return Output(loss=loss, logits=logits, metrics={"accuracy": accuracy.detach()})


class RandomTokens:
    """Deterministic random copy-task batches with padding; resumable via state_dict()."""

    def __init__(
        self,
        seed: int = 0,
        n_batches: int = 6,
        batch_size: int = 4,
        seq_len: int = 8,
        vocab: int = 32,
        pad: bool = True,
    ):
        self.seed, self.n_batches, self.batch_size = seed, n_batches, batch_size
        self.seq_len, self.vocab, self.pad = seq_len, vocab, pad
        self.epoch = 0
        self.position = 0

    def batch(self, epoch: int, index: int) -> dict[str, torch.Tensor]:
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch * 1009 + index)
        ids = torch.randint(1, self.vocab, (self.batch_size, self.seq_len), generator=gen)
        if self.pad:
            lengths = torch.randint(2, self.seq_len + 1, (self.batch_size,), generator=gen)
        else:
            lengths = torch.full((self.batch_size,), self.seq_len)
        mask = (torch.arange(self.seq_len)[None, :] < lengths[:, None]).long()
        ids = ids * mask  # pad id 0
        labels = ids.masked_fill(mask == 0, -100)
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    def __iter__(self):
        for index in range(self.position, self.n_batches):
            self.position = index + 1
            yield self.batch(self.epoch, index)
        self.epoch += 1
        self.position = 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


class Recorder:
    """A listener keeping every event."""

    def __init__(self):
        self.events = []

    def __call__(self, event):
        self.events.append(event)

    def of(self, kind: str) -> list:
        return [e for e in self.events if e.kind == kind]

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]
