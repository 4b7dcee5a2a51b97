"""The encoder: a stack of post-LayerNorm transformer layers (attention, then feed-forward)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from bert_engine.schema.bert import BertConfig

from .attention import AttentionOutput, SelfAttention, Unpadded
from .feed_forward import FeedForward


class EncoderLayer(nn.Module):
    def __init__(self, config: BertConfig, attention_backend: str = "auto") -> None:
        super().__init__()
        self.attention = SelfAttention(config, attention_backend)
        self.attention_output = AttentionOutput(config)
        self.feed_forward = FeedForward(config)

    def forward(
        self,
        x: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        unpadded: Unpadded | None = None,
    ) -> torch.Tensor:
        x = self.attention_output(self.attention(x, key_mask, unpadded), x)
        return self.feed_forward(x)

    def with_probabilities(
        self, x: torch.Tensor, key_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward` in the padded layout, also returning the attention probabilities."""
        attended, probabilities = self.attention.with_probabilities(x, key_mask)
        return self.feed_forward(self.attention_output(attended, x)), probabilities


class Encoder(nn.Module):
    def __init__(self, config: BertConfig, attention_backend: str = "auto") -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            EncoderLayer(config, attention_backend) for _ in range(config.num_layers)
        )
        # Gradient checkpointing: keep only each layer's input in training and recompute the
        # rest during backward; trades about a third more compute for much less memory.
        self.gradient_checkpointing = False

    def forward(
        self,
        x: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        unpadded: Unpadded | None = None,
    ) -> torch.Tensor:
        for layer in self.layers:
            if self.gradient_checkpointing and self.training and torch.is_grad_enabled():
                x = checkpoint(layer, x, key_mask, unpadded, use_reentrant=False)
            else:
                x = layer(x, key_mask, unpadded)
        return x
