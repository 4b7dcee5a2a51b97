"""Token embeddings: word + position + token type, then LayerNorm and dropout (as in BERT)."""

from __future__ import annotations

import torch
from torch import nn

from bert_engine.schema.bert import BertConfig


class Embeddings(nn.Module):
    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        # padding_idx keeps the [PAD] row at zero and out of the gradient, like HuggingFace BERT.
        self.word = nn.Embedding(config.vocab_size, config.hidden_size, config.pad_token_id)
        self.position = nn.Embedding(config.max_position_embeddings, config.hidden_size)
        self.token_type = nn.Embedding(config.type_vocab_size, config.hidden_size)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.hidden_dropout)

    def forward(
        self, input_ids: torch.Tensor, token_type_ids: torch.Tensor, position_ids: torch.Tensor
    ) -> torch.Tensor:
        """Any shape works ([batch, length] padded or [tokens] unpadded) as long as they match."""
        x = self.word(input_ids) + self.token_type(token_type_ids)
        x = x + self.position(position_ids)
        return self.dropout(self.norm(x))
