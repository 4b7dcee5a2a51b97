"""Multi-head self-attention with one fused QKV projection, and the attention output block.

Two layouts flow through the encoder:
  * padded:   x is [batch, length, hidden]; padding is hidden from attention by a key mask.
  * unpadded: x is [tokens, hidden] holding only real tokens of all sequences back to back;
              `Unpadded` says where each sequence starts. Linear layers then skip padding entirely,
              and attention runs per sequence (varlen flash attention or FlexAttention on CUDA,
              or pad -> SDPA -> unpad anywhere).
Both give BERT's math: softmax(q k^T / sqrt(head_size)) v over the real tokens of each sequence.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from bert_engine.schema.bert import BertConfig

BACKENDS: tuple[str, ...] = ("auto", "sdpa", "varlen", "flex")


@dataclass
class Unpadded:
    """Where the real tokens of a right-padded [batch, length] batch live once packed together."""

    indices: torch.Tensor  # [tokens] positions of real tokens in the flattened batch*length grid
    cu_seqlens: torch.Tensor  # [batch + 1] int32 start offsets of each sequence, then the total
    max_len: int  # longest sequence in the batch
    batch: int
    length: int
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_mask(cls, attention_mask: torch.Tensor) -> Unpadded:
        lengths = attention_mask.sum(dim=1, dtype=torch.int32)
        indices = attention_mask.flatten().nonzero().squeeze(1)
        cu_seqlens = F.pad(torch.cumsum(lengths, 0, dtype=torch.int32), (1, 0))
        batch, length = attention_mask.shape
        return cls(indices, cu_seqlens, int(lengths.max()), batch, length)

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """[batch, length, ...] -> [tokens, ...]"""
        return x.flatten(0, 1)[self.indices]

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        """[tokens, ...] -> [batch, length, ...] with zeros where padding was."""
        out = x.new_zeros(self.batch * self.length, *x.shape[1:])
        out = out.index_copy(0, self.indices, x)
        return out.view(self.batch, self.length, *x.shape[1:])

    def key_mask(self) -> torch.Tensor:
        """Boolean [batch, 1, 1, length] mask, True where a key is a real token."""
        if "key_mask" not in self._cache:
            device = self.indices.device
            mask = torch.zeros(self.batch * self.length, dtype=torch.bool, device=device)
            mask[self.indices] = True
            self._cache["key_mask"] = mask.view(self.batch, 1, 1, self.length)
        return self._cache["key_mask"]

    def prepare(self, backend: str) -> Unpadded:
        """Build the masks the layers will read, once per batch and outside compiled code."""
        self.key_mask()
        if backend == "flex":
            self.block_mask()
        return self

    def document_ids(self) -> torch.Tensor:
        """[tokens] index of the sequence each packed token belongs to."""
        if "doc" not in self._cache:
            lengths = (self.cu_seqlens[1:] - self.cu_seqlens[:-1]).long()
            batch = torch.arange(self.batch, device=lengths.device)
            self._cache["doc"] = torch.repeat_interleave(batch, lengths)
        return self._cache["doc"]

    def mask_mod(self) -> Any:
        """FlexAttention's mask function: a token attends to tokens of its own sequence only."""
        doc = self.document_ids()

        def same_sequence(b: Any, h: Any, q: Any, kv: Any) -> Any:
            return doc[q] == doc[kv]

        return same_sequence

    def block_mask(self) -> Any:
        if "block_mask" not in self._cache:
            from torch.nn.attention.flex_attention import create_block_mask

            total = int(self.indices.numel())
            device = str(self.indices.device)
            self._cache["block_mask"] = create_block_mask(
                self.mask_mod(), None, None, total, total, device=device
            )
        return self._cache["block_mask"]

    def document_mask(self) -> torch.Tensor:
        """The same mask as `block_mask`, dense: [tokens, tokens] (for checks and small inputs)."""
        pos = torch.arange(self.indices.numel(), device=self.indices.device)
        return self.mask_mod()(None, None, pos[:, None], pos[None, :])


def resolve_backend(backend: str, q: torch.Tensor, dropout_p: float) -> str:
    """Pick the unpadded attention kernel: varlen flash needs CUDA, half precision, no dropout."""
    if backend != "auto":
        if backend in ("varlen", "flex") and dropout_p > 0:
            raise ValueError(
                f"attention backend {backend!r} has no attention dropout; set "
                "attention_dropout=0 in the model config or use attention_backend='sdpa'"
            )
        if backend == "flex" and not _importable("torch.nn.attention.flex_attention"):
            raise ValueError(
                f"attention backend 'flex' needs FlexAttention (torch >= 2.5); torch "
                f"{torch.__version__} lacks it: upgrade torch or use attention_backend='auto'"
            )
        if backend == "flex" and not q.is_cuda and q.requires_grad:
            raise ValueError(
                "FlexAttention has no backward on CPU; train with attention_backend='sdpa' "
                "(or 'auto') on CPU and keep 'flex' for CUDA"
            )
        return backend
    half = q.dtype in (torch.float16, torch.bfloat16)
    if q.is_cuda and half and dropout_p == 0.0 and varlen_available():
        return "varlen"
    return "sdpa"


def varlen_available() -> bool:
    """torch's varlen flash attention (`torch.nn.attention.varlen`) arrived after torch 2.4, our
    lowest supported version; "auto" falls back to SDPA without it."""
    return _importable("torch.nn.attention.varlen")


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def unpadded_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    where: Unpadded,
    dropout_p: float,
    backend: str,
) -> torch.Tensor:
    """q, k, v: [tokens, heads, head_size] -> attention output [tokens, heads, head_size]."""
    kind = resolve_backend(backend, q, dropout_p)
    if kind == "varlen":
        if not varlen_available():
            raise ValueError(
                f"attention backend 'varlen' needs torch.nn.attention.varlen, which torch "
                f"{torch.__version__} lacks; upgrade torch or use attention_backend='auto'"
            )
        from torch.nn.attention.varlen import varlen_attn

        cu = where.cu_seqlens
        return varlen_attn(q, k, v, cu, cu, where.max_len, where.max_len)
    if kind == "flex":
        # FlexAttention sees one long "batch" of all tokens and a block-diagonal document mask.
        q, k, v = (t.transpose(0, 1).unsqueeze(0) for t in (q, k, v))  # [1, heads, tokens, d]
        out = _flex_attention(q.is_cuda)(q, k, v, block_mask=where.block_mask())
        return out.squeeze(0).transpose(0, 1)
    if kind != "sdpa":
        raise ValueError(f"unknown attention backend {backend!r}; choose one of {BACKENDS}")
    # Portable path: re-pad just q, k, v around the attention kernel.
    q, k, v = (where.pad(t).transpose(1, 2) for t in (q, k, v))  # [batch, heads, length, d]
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=where.key_mask(), dropout_p=dropout_p)
    return where.unpad(out.transpose(1, 2))


_COMPILED_FLEX: list[Any] = []


def _flex_attention(cuda: bool) -> Any:
    """FlexAttention is only fast compiled (one fused kernel); on CPU it runs eagerly (tests)."""
    from torch.nn.attention.flex_attention import flex_attention

    if not cuda:
        return flex_attention
    if not _COMPILED_FLEX:
        _COMPILED_FLEX.append(torch.compile(flex_attention, dynamic=True))
    return _COMPILED_FLEX[0]


class SelfAttention(nn.Module):
    """Multi-head self-attention. `qkv` holds query, key and value weights stacked in that order."""

    def __init__(self, config: BertConfig, backend: str = "auto") -> None:
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"unknown attention backend {backend!r}; choose one of {BACKENDS}")
        self.num_heads = config.num_heads
        self.head_size = config.head_size
        self.dropout = config.attention_dropout
        self.backend = backend
        self.qkv = nn.Linear(config.hidden_size, 3 * config.hidden_size)

    def forward(
        self,
        x: torch.Tensor,
        key_mask: torch.Tensor | None = None,
        unpadded: Unpadded | None = None,
    ) -> torch.Tensor:
        dropout_p = self.dropout if self.training else 0.0
        # One matmul for all three projections; split keeps each one's [.., heads, head_size]
        # layout a plain view (and its gradient a single concatenation).
        heads = (self.num_heads, self.head_size)
        q, k, v = (t.unflatten(-1, heads) for t in self.qkv(x).chunk(3, dim=-1))
        if unpadded is not None:  # x: [tokens, hidden]
            return unpadded_attention(q, k, v, unpadded, dropout_p, self.backend).flatten(-2)
        # x: [batch, length, hidden]; SDPA wants [batch, heads, length, head_size].
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        # SDPA scales by 1/sqrt(head_size), BERT's scaling; the boolean key mask drops padding.
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=key_mask, dropout_p=dropout_p)
        return out.transpose(1, 2).flatten(-2)

    def with_probabilities(
        self, x: torch.Tensor, key_mask: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The padded forward with the attention spelled out, for looking at it (no dropout;
        `forward` keeps the fused kernel for training): x [batch, length, hidden] ->
        (output [batch, length, hidden], probabilities [batch, heads, length, length])."""
        heads = (self.num_heads, self.head_size)
        q, k, v = (t.unflatten(-1, heads).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_size)
        if key_mask is not None:  # padding keys get no weight
            scores = scores.masked_fill(~key_mask, float("-inf"))
        probabilities = scores.softmax(dim=-1)
        return (probabilities @ v).transpose(1, 2).flatten(-2), probabilities


class AttentionOutput(nn.Module):
    """Project the heads back, dropout, add the residual, LayerNorm (post-LN as in BERT)."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.hidden_size)
        self.dropout = nn.Dropout(config.hidden_dropout)
        self.norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)

    def forward(self, attended: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.norm(residual + self.dropout(self.dense(attended)))
