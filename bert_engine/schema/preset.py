"""The whole preset: `[tracking]` and `Preset`, which holds every section."""

from __future__ import annotations

from typing import Any

import tomli_w
from pydantic import BaseModel, Field, model_validator

from bert_engine.schema.bert import SIZES, BertConfig
from bert_engine.schema.common import STRICT
from bert_engine.schema.finetuning import (
    AdaptSettings,
    ClassificationDataSettings,
    FinetuneSettings,
)
from bert_engine.schema.pretraining import (
    DataSettings,
    ModelSettings,
    PretrainSettings,
    TokenizerSettings,
)


class TrackingSettings(BaseModel):
    """Where and how runs are recorded."""

    model_config = STRICT

    runs_dir: str = Field(
        "runs", description="Folder holding the run folders (relative to the working directory)."
    )
    run_name: str | None = Field(None, description="Run folder name prefix (default: preset name).")
    tensorboard: bool = Field(True, description="Also write TensorBoard scalars.")


class Preset(BaseModel):
    """A whole experiment: tokenizer, model, data, pre-training, fine-tuning, tracking."""

    model_config = STRICT

    name: str = Field("experiment", min_length=1, description="Short name of the experiment.")
    description: str = Field("", description="What the experiment is for.")
    extends: str | None = Field(
        None, description="A preset (file relative to this one, or a name) this one builds on."
    )
    tokenizer: TokenizerSettings = Field(default_factory=TokenizerSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    pretrain: PretrainSettings = Field(default_factory=PretrainSettings)
    finetune: FinetuneSettings | None = Field(
        None, description="Optional fine-tuning on a labelled dataset."
    )
    classification: ClassificationDataSettings | None = Field(
        None, description="The labelled dataset for fine-tuning."
    )
    adapt: AdaptSettings | None = Field(
        None,
        description="Optional task-adaptive pre-training on the classification training texts "
        "(`bertbench adapt`, or `bertbench finetune --adapt`).",
    )
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)

    @model_validator(mode="after")
    def _cross_checks(self) -> Preset:
        m, d, p, t = self.model, self.data, self.pretrain, self.tokenizer
        if d.max_seq_len > m.max_position_embeddings:
            raise ValueError(
                f"data.max_seq_len ({d.max_seq_len}) exceeds model.max_position_embeddings "
                f"({m.max_position_embeddings}); lower data.max_seq_len or raise the model's"
            )
        if p.warmup_steps > p.max_steps:
            raise ValueError(
                f"pretrain.warmup_steps ({p.warmup_steps}) exceeds pretrain.max_steps "
                f"({p.max_steps}); use at most {p.max_steps}"
            )
        if t.path is None and m.vocab_size is not None and m.vocab_size != t.vocab_size:
            raise ValueError(
                f"model.vocab_size ({m.vocab_size}) differs from tokenizer.vocab_size "
                f"({t.vocab_size}); leave model.vocab_size out to take the tokenizer's"
            )
        if d.pack and m.objective == "mlm+nsp":
            raise ValueError(
                'data.pack = true needs model.objective = "mlm" or "electra" (packed rows have '
                "no sentence pairs for next-sentence prediction)"
            )
        if self.adapt is not None and (self.finetune is None or self.classification is None):
            raise ValueError(
                "[adapt] needs [finetune] and [classification]: it adapts the model that "
                "finetune.init names to the classification training texts"
            )
        layers, hidden, heads = SIZES[m.size]
        hidden, heads = m.hidden_size or hidden, m.num_heads or heads
        if hidden % heads:
            divisors = [h for h in range(1, 65) if hidden % h == 0]
            raise ValueError(
                f"model.hidden_size ({hidden}) must be divisible by model.num_heads ({heads}); "
                f"possible head counts: {', '.join(map(str, divisors[-6:]))}"
            )
        return self

    # ---------------------------------------------------------------- conveniences
    def bert_config(self, vocab_size: int) -> BertConfig:
        return self.model.bert_config(vocab_size)

    def to_dict(self) -> dict[str, Any]:
        """Plain values in schema order, without unset optional values (TOML has no null)."""
        return drop_none(self.model_dump(mode="python"))

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())


def drop_none(value: Any) -> Any:
    """`value` without the None entries of its tables (TOML has no null)."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [drop_none(v) for v in value]
    return value
