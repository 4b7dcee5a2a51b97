"""What a fine-tuning run is given, normalised into one `FinetunePlan`: a preset (object, name
or file) with `[finetune]` and `[classification]` tables, or bare `FinetuneSettings` plus data."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bert_engine.errors import BertbenchError
from bert_engine.presets import Preset, load_preset
from bert_engine.schema import (
    BertConfig,
    ClassificationDataSettings,
    FinetuneSettings,
    ModelSettings,
    TokenizerSettings,
)


class FinetuneError(BertbenchError, ValueError):
    """The fine-tuning setup cannot work (the message says what and how to fix it)."""


# What `finetune` accepts: a preset (object, name or file) or bare settings (with `data`).
FinetuneSource = Preset | FinetuneSettings | str | os.PathLike[str]


@dataclass
class FinetunePlan:
    """Everything ``finetune`` needs, whatever it was given (a preset, its path, or settings)."""

    data: ClassificationDataSettings
    settings: FinetuneSettings
    name: str = "finetune"
    runs_dir: Path = Path("runs")
    # For a random init: the architecture (a preset's [model] table, or a BertConfig) and the
    # [tokenizer] table a tokenizer is trained with; None: the defaults (tiny, 8000 tokens).
    model: ModelSettings | BertConfig | None = None
    tokenizer: TokenizerSettings | None = None
    tensorboard: bool = True
    config: dict[str, Any] = field(default_factory=dict)  # written as the run's config.toml


def plan_of(
    source: FinetuneSource | None,
    *,
    data: ClassificationDataSettings | None = None,
    overrides: Sequence[str] = (),
) -> FinetunePlan:
    """Normalises the accepted inputs: a ``Preset`` (with [finetune] and [classification]), a
    preset file or name, or ``FinetuneSettings`` plus ``data``."""
    if source is None:
        raise FinetuneError(
            "fine-tuning needs a preset (a name, a file or a Preset), FinetuneSettings with "
            "data=, or resume= a run folder"
        )
    if isinstance(source, (str, os.PathLike)):
        source = load_preset(source, overrides)
    if isinstance(source, FinetuneSettings):
        if data is None:
            raise FinetuneError("fine-tuning settings need data=ClassificationDataSettings(...)")
        config = {
            "name": "finetune",
            "classification": data.model_dump(mode="json", exclude_none=True),
            "finetune": source.model_dump(mode="json", exclude_none=True),
        }
        return FinetunePlan(data, source, config=config)
    preset = source
    ft, cls_data = preset.finetune, data or preset.classification
    if ft is None or cls_data is None:
        missing = " and ".join(
            f"[{s}]" for s, v in (("finetune", ft), ("classification", cls_data)) if v is None
        )
        raise FinetuneError(
            f"preset {preset.name!r} has no {missing} table; a fine-tuning preset needs both "
            "(see presets/classify-quickstart.toml)"
        )
    tracking = preset.tracking
    return FinetunePlan(
        data=cls_data,
        settings=ft,
        name=tracking.run_name or preset.name,
        runs_dir=Path(tracking.runs_dir),
        model=preset.model,
        tokenizer=preset.tokenizer,
        tensorboard=tracking.tensorboard,
        config=preset.to_dict(),
    )
