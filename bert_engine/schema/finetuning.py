"""The fine-tuning sections of a preset: `[classification]` (the labelled data) and
`[finetune]` (initialisation and recipe)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bert_engine.schema.common import PATH_RULE

EvalMetric = Literal["accuracy", "macro_f1", "loss"]


class ClassificationDataSettings(BaseModel):
    """Where the labelled examples come from and how they are tokenized and batched."""

    model_config = ConfigDict(extra="forbid")

    train: str = Field(
        min_length=1,
        description='Training file (.csv, .tsv or .jsonl, optionally .gz), or "demo" for the '
        "built-in task (bert_engine.data.demo_labels); with no validation or test file, those "
        "splits are carved out of it by a seeded stratified split. " + PATH_RULE,
    )
    validation: Path | None = Field(
        default=None,
        description="Validation file; default: split off the training file. " + PATH_RULE,
    )
    test: Path | None = Field(
        default=None,
        description="Test file; default: split off the training file (test_fraction). " + PATH_RULE,
    )
    validation_fraction: float = Field(
        default=0.1,
        gt=0.0,
        lt=1.0,
        description="Share of the training file held out for validation when no file is given.",
    )
    test_fraction: float = Field(
        default=0.0,
        ge=0.0,
        lt=1.0,
        description="Share of the training file held out for testing when no test file is "
        "given (0: no test evaluation).",
    )
    split_seed: int = Field(default=0, ge=0, description="Seed of the train/validation/test split.")
    format: Literal["auto", "csv", "tsv", "jsonl"] = Field(
        default="auto", description="File format; auto: from the file suffix."
    )
    text_column: str = Field(default="text", min_length=1, description="Column with the text.")
    text_pair_column: str | None = Field(
        default=None, description="Optional second text column (sentence pairs)."
    )
    label_column: str = Field(default="label", min_length=1, description="Column with the label.")
    max_seq_len: int = Field(
        default=128,
        ge=8,
        le=4096,
        description="Token limit per example including [CLS]/[SEP]; longer texts are truncated.",
    )
    batch_size: int = Field(default=32, ge=1, le=4096, description="Examples per batch.")

    @model_validator(mode="after")
    def _check(self) -> ClassificationDataSettings:
        if self.text_pair_column is not None and self.text_pair_column == self.text_column:
            raise ValueError("text_pair_column must differ from text_column")
        if self.label_column in (self.text_column, self.text_pair_column):
            raise ValueError("label_column must differ from the text columns")
        return self


class FinetuneSettings(BaseModel):
    """How the classifier is initialised and trained."""

    model_config = ConfigDict(extra="forbid")

    init: str = Field(
        default="random",
        min_length=1,
        description='"random" (a fresh BERT; needs a tokenizer), a pre-training run directory '
        "of ours (its best, else latest, checkpoint), a HuggingFace BERT checkpoint folder, or "
        '"hf:ORG/NAME" (a Hub model: downloaded when online, the cached copy offline).',
    )
    checkpoint: str | None = Field(
        default=None,
        description="For a pre-training run: which checkpoint (a step-* name or path); "
        "default: the best one, else the latest.",
    )
    tokenizer: str | None = Field(
        default=None,
        description="tokenizer.json / vocab.txt / folder; default: the one of the init run "
        "or HF folder. Required with init='random'.",
    )
    epochs: int = Field(default=3, ge=1, le=1000, description="Passes over the training data.")
    lr: float = Field(default=5e-5, gt=0.0, le=1.0, description="Peak learning rate (AdamW).")
    warmup_ratio: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Share of the steps with linear warm-up."
    )
    weight_decay: float = Field(default=0.01, ge=0.0, le=1.0, description="AdamW weight decay.")
    clip: float | None = Field(
        default=1.0, gt=0.0, description="Gradient norm clip; null/None: no clipping."
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=4096,
        description="Examples per optimizer step; default: the data section's batch_size.",
    )
    eval_metric: EvalMetric = Field(
        default="accuracy", description="Validation metric that picks the best model."
    )
    patience: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Early stopping: stop after this many epochs without improving eval_metric; "
        "None: never stop early.",
    )
    seed: int = Field(default=0, ge=0, description="Seed of initialisation, dropout and order.")
    device: str = Field(default="auto", description='"auto", "cpu", "cuda", "cuda:1", "mps".')
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        default="auto", description="Training precision (bf16/fp16 act on CUDA only)."
    )
    classifier_dropout: float = Field(
        default=0.1, ge=0.0, lt=1.0, description="Dropout before the classification layer."
    )
    pooling: Literal["cls", "mean"] = Field(
        default="cls",
        description='How a text becomes one vector for the classifier: "cls" (BERT\'s [CLS] '
        'state through the pooler; what HF BertForSequenceClassification does) or "mean" (the '
        "mean of the real tokens' final states, no pooler; Cramming's choice: an MLM-only "
        "pre-training never trains the pooler). See docs/finetuning.md for exporting it.",
    )
    keep_last: int = Field(default=1, ge=1, le=100, description="Newest checkpoints to keep.")
    reinit_layers: int = Field(
        default=0,
        ge=0,
        le=128,
        description="Re-initialise the top N encoder layers (and the pooler) of a pre-trained "
        "model before fine-tuning (Zhang et al. 2021, 'Revisiting few-sample BERT "
        "fine-tuning'). Helps when the top layers are specialised to the pre-training task, "
        "e.g. after a very short pre-training whose encoder has only learned to predict "
        "frequent tokens; the embeddings and lower layers are kept.",
    )
    ignore_memory_check: bool = Field(
        default=False,
        description="Start even when the memory estimate exceeds the device's free memory "
        "(see docs/training.md).",
    )


class AdaptSettings(BaseModel):
    """Task-adaptive pre-training (Gururangan et al. 2020, "Don't Stop Pretraining"): masked-LM
    on the texts of the classification training split, before fine-tuning. It starts from
    `finetune.init` (a pre-training run), or from random weights when that is "random"
    (self-pre-training, Krishna et al. 2022). Validation and test texts are never used."""

    model_config = ConfigDict(extra="forbid")

    steps: int = Field(default=500, ge=1, le=10**7, description="Optimizer steps of masked-LM.")
    max_minutes: float | None = Field(
        default=None,
        gt=0.0,
        le=10**6,
        description="Wall-clock budget in minutes (the schedule ends at it); empty: by steps.",
    )
    lr: float = Field(default=5e-4, gt=0.0, le=1.0, description="Peak learning rate (AdamW).")
    warmup_steps: int = Field(default=50, ge=0, le=10**7, description="Steps of linear warm-up.")
    mlm_probability: float = Field(
        default=0.15, gt=0.0, lt=1.0, description="Share of tokens masked for prediction."
    )
    batch_size: int = Field(default=32, ge=1, le=65536, description="Sequences per step.")
    held_out_fraction: float = Field(
        default=0.05,
        ge=0.0,
        lt=0.5,
        description="Share of the training texts held out to measure masked-LM loss.",
    )
    eval_every: int = Field(
        default=100, ge=0, le=10**9, description="Steps between evaluations (0: never)."
    )
    checkpoint_every: int = Field(
        default=100, ge=0, le=10**9, description="Steps between checkpoints (0: at the end)."
    )
