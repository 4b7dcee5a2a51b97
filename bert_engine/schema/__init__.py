"""The preset schema: every settings model of an experiment, validated by pydantic.

Torch-free and workflow-free: importing it loads pydantic and nothing heavy, so listing and
validating presets, and drawing the UIs' forms, start fast. The workflows import the schema,
never the reverse. Loading, saving, `extends` and diffs of TOML files are in
`bert_engine.presets`, which re-exports these names.

| module | sections |
| --- | --- |
| `bert.py` | `BertConfig` (a model's architecture) and the standard `SIZES` |
| `pretraining.py` | `[tokenizer]`, `[model]`, `[data]`, `[pretrain]` |
| `finetuning.py` | `[classification]`, `[finetune]`, `[adapt]` |
| `preset.py` | `[tracking]` and `Preset`, the whole experiment |
"""

from bert_engine.schema.bert import SIZES, BertConfig
from bert_engine.schema.finetuning import (
    AdaptSettings,
    ClassificationDataSettings,
    EvalMetric,
    FinetuneSettings,
)
from bert_engine.schema.preset import Preset, TrackingSettings, drop_none
from bert_engine.schema.pretraining import (
    DataSettings,
    ModelSettings,
    PretrainSettings,
    TokenizerSettings,
)

__all__ = [
    "SIZES",
    "AdaptSettings",
    "BertConfig",
    "ClassificationDataSettings",
    "DataSettings",
    "EvalMetric",
    "FinetuneSettings",
    "ModelSettings",
    "Preset",
    "PretrainSettings",
    "TokenizerSettings",
    "TrackingSettings",
    "drop_none",
]
