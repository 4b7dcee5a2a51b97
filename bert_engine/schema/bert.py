"""The model configuration: BERT's architecture hyper-parameters, validated.

Part of the torch-free schema (the models in `bert_engine.modeling` are built from it). Field
names are plain; `to_hf_dict` / `from_hf_dict` translate to and from the names used in
HuggingFace `config.json` files.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The standard BERT sizes (Turc et al. 2019 for the small ones, Devlin et al. 2018 for base/large):
# name -> (layers, hidden size, heads). The feed-forward size is always 4 x hidden.
SIZES: dict[str, tuple[int, int, int]] = {
    "tiny": (2, 128, 2),
    "mini": (4, 256, 4),
    "small": (4, 512, 8),
    "medium": (8, 512, 8),
    "base": (12, 768, 12),
    "large": (24, 1024, 16),
}


class BertConfig(BaseModel):
    """Architecture of a BERT model. Defaults are BERT-base with the original 30522-token vocab."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vocab_size: int = Field(30522, gt=0)
    hidden_size: int = Field(768, gt=0)
    num_layers: int = Field(12, gt=0)
    num_heads: int = Field(12, gt=0)
    intermediate_size: int = Field(3072, gt=0)
    hidden_dropout: float = Field(0.1, ge=0.0, lt=1.0)
    attention_dropout: float = Field(0.1, ge=0.0, lt=1.0)
    max_position_embeddings: int = Field(512, gt=0)
    type_vocab_size: int = Field(2, gt=0)
    layer_norm_eps: float = Field(1e-12, gt=0.0)
    initializer_range: float = Field(0.02, gt=0.0)
    pad_token_id: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _check_shapes(self) -> BertConfig:
        if self.hidden_size % self.num_heads != 0:
            raise ValueError(
                f"hidden_size ({self.hidden_size}) must be divisible by num_heads "
                f"({self.num_heads}); pick e.g. num_heads={_a_divisor(self.hidden_size)}"
            )
        if self.pad_token_id >= self.vocab_size:
            raise ValueError(
                f"pad_token_id ({self.pad_token_id}) must be smaller than vocab_size "
                f"({self.vocab_size})"
            )
        return self

    @property
    def head_size(self) -> int:
        return self.hidden_size // self.num_heads

    @classmethod
    def from_size(cls, name: str, **overrides: Any) -> BertConfig:
        """A standard size by name (tiny, mini, small, medium, base, large), with overrides."""
        if name not in SIZES:
            raise ValueError(f"unknown BERT size {name!r}; choose one of {', '.join(SIZES)}")
        layers, hidden, heads = SIZES[name]
        fields: dict[str, Any] = {
            "num_layers": layers,
            "hidden_size": hidden,
            "num_heads": heads,
            "intermediate_size": 4 * hidden,
        }
        fields.update(overrides)
        return cls(**fields)

    # --- HuggingFace config.json names -------------------------------------------------------
    def to_hf_dict(self) -> dict[str, Any]:
        return {
            "model_type": "bert",
            "vocab_size": self.vocab_size,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "intermediate_size": self.intermediate_size,
            "hidden_act": "gelu",
            "hidden_dropout_prob": self.hidden_dropout,
            "attention_probs_dropout_prob": self.attention_dropout,
            "max_position_embeddings": self.max_position_embeddings,
            "type_vocab_size": self.type_vocab_size,
            "layer_norm_eps": self.layer_norm_eps,
            "initializer_range": self.initializer_range,
            "pad_token_id": self.pad_token_id,
            "position_embedding_type": "absolute",
            "tie_word_embeddings": True,
        }

    @classmethod
    def from_hf_dict(cls, hf: dict[str, Any]) -> BertConfig:
        """Read a HuggingFace BERT `config.json` dict; refuse what this model cannot represent."""
        model_type = hf.get("model_type", "bert")
        if model_type != "bert":
            raise ValueError(f"config.json has model_type={model_type!r}; only 'bert' is supported")
        act = hf.get("hidden_act", "gelu")
        if act != "gelu":
            raise ValueError(f"config.json has hidden_act={act!r}; only exact 'gelu' is supported")
        pos = hf.get("position_embedding_type", "absolute")
        if pos != "absolute":
            raise ValueError(
                f"config.json has position_embedding_type={pos!r}; only 'absolute' is supported"
            )
        if hf.get("is_decoder", False):
            raise ValueError("config.json has is_decoder=true; only encoder BERT is supported")
        names = {
            "vocab_size": "vocab_size",
            "hidden_size": "hidden_size",
            "num_hidden_layers": "num_layers",
            "num_attention_heads": "num_heads",
            "intermediate_size": "intermediate_size",
            "hidden_dropout_prob": "hidden_dropout",
            "attention_probs_dropout_prob": "attention_dropout",
            "max_position_embeddings": "max_position_embeddings",
            "type_vocab_size": "type_vocab_size",
            "layer_norm_eps": "layer_norm_eps",
            "initializer_range": "initializer_range",
            "pad_token_id": "pad_token_id",
        }
        fields = {ours: hf[theirs] for theirs, ours in names.items() if hf.get(theirs) is not None}
        return cls(**fields)


def _a_divisor(n: int) -> int:
    """A head count that divides n, preferring head size 64 (BERT's choice)."""
    for heads in (n // 64, 16, 12, 8, 4, 2, 1):
        if heads > 0 and n % heads == 0:
            return heads
    return 1
