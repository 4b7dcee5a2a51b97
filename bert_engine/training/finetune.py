"""Fine-tuning BERT for text classification: settings (imported by the preset schema) and the
workflow ``finetune(...)`` built on the generic Trainer, CheckpointManager and Tracker."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bert_engine.files import atomic_write_json
from bert_engine.training.early_stopping import EarlyStopping

log = logging.getLogger(__name__)

EvalMetric = Literal["accuracy", "macro_f1", "loss"]


class ClassificationDataSettings(BaseModel):
    """Where the labelled examples come from and how they are tokenized and batched."""

    model_config = ConfigDict(extra="forbid")

    train: str = Field(
        min_length=1,
        description='Training file (.csv, .tsv or .jsonl, optionally .gz), or "demo" for the '
        "built-in task (bert_engine.data.demo_labels); with no validation or test file, those "
        "splits are carved out of it by a seeded stratified split.",
    )
    validation: Path | None = Field(
        default=None, description="Validation file; default: split off the training file."
    )
    test: Path | None = Field(
        default=None, description="Test file; default: split off the training file (test_fraction)."
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
        "of ours (its best, else latest, checkpoint), or a HuggingFace BERT checkpoint folder.",
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


# ============================================================================ the workflow
RESULTS_FILE = "results.json"
EVAL_DIR = "evaluation"
DEFAULT_VOCAB = 8000  # tokenizer trained on the training texts when init="random" and none given


class FinetuneError(ValueError):
    """The fine-tuning setup cannot work (the message says what and how to fix it)."""


@dataclass
class FinetunePlan:
    """Everything ``finetune`` needs, whatever it was given (a preset, its path, or settings)."""

    data: ClassificationDataSettings
    settings: FinetuneSettings
    name: str = "finetune"
    runs_dir: Path = Path("runs")
    model: Any = None  # the preset's [model] table (ModelSettings) for a random init
    tokenizer: Any = None  # the preset's [tokenizer] table, to train one for a random init
    tensorboard: bool = True
    config: dict[str, Any] = field(default_factory=dict)  # written as the run's config.toml


def plan_of(
    preset_or_settings: Any,
    *,
    data: ClassificationDataSettings | None = None,
    overrides: Sequence[str] = (),
) -> FinetunePlan:
    """Normalises the accepted inputs: a ``Preset`` (with [finetune] and [classification]), a
    preset file or name, or ``FinetuneSettings`` plus ``data``."""
    if isinstance(preset_or_settings, (str, os.PathLike)):
        from bert_engine.presets import load_preset

        preset_or_settings = load_preset(preset_or_settings, overrides)
    if isinstance(preset_or_settings, FinetuneSettings):
        if data is None:
            raise FinetuneError("fine-tuning settings need data=ClassificationDataSettings(...)")
        config = {
            "name": "finetune",
            "classification": data.model_dump(mode="json", exclude_none=True),
            "finetune": preset_or_settings.model_dump(mode="json", exclude_none=True),
        }
        return FinetunePlan(data, preset_or_settings, config=config)
    preset = preset_or_settings
    ft = getattr(preset, "finetune", None)
    cls_data = data or getattr(preset, "classification", None)
    name = str(getattr(preset, "name", "finetune"))
    if ft is None or cls_data is None:
        missing = " and ".join(
            f"[{s}]" for s, v in (("finetune", ft), ("classification", cls_data)) if v is None
        )
        raise FinetuneError(
            f"preset {name!r} has no {missing} table; a fine-tuning preset needs both "
            "(see presets/classify-quickstart.toml)"
        )
    tracking = getattr(preset, "tracking", None)
    config = preset.to_dict() if hasattr(preset, "to_dict") else {}
    return FinetunePlan(
        data=cls_data,
        settings=ft,
        name=str(getattr(tracking, "run_name", None) or name),
        runs_dir=Path(getattr(tracking, "runs_dir", "runs")),
        model=getattr(preset, "model", None),
        tokenizer=getattr(preset, "tokenizer", None),
        tensorboard=bool(getattr(tracking, "tensorboard", True)),
        config=config,
    )


# ----------------------------------------------------------------------------- data
def load_splits(data: ClassificationDataSettings) -> Any:
    """Train / validation / test examples and the label vocabulary (from train only)."""
    from bert_engine.data.classification import Columns, load_classification
    from bert_engine.data.demo_labels import DEMO_TASK, demo_task_path

    def resolve(value: str | None) -> str | None:
        # "demo" is the built-in task; a preset loader may have made it absolute.
        if value is not None and Path(value).name == DEMO_TASK and not Path(value).exists():
            return str(demo_task_path())
        return value

    train = resolve(data.train)
    assert train is not None
    if data.format != "auto":
        for value in (train, data.validation, data.test):
            name = Path(value).name.lower().removesuffix(".gz") if value else ""
            if value and not name.endswith(f".{data.format}"):
                raise FinetuneError(
                    f"{value}: format = {data.format!r} but the file name does not end in "
                    f".{data.format}; rename it or use format = 'auto'"
                )
    return load_classification(
        train,
        resolve(data.validation),
        resolve(data.test),
        columns=Columns(text=data.text_column, pair=data.text_pair_column, label=data.label_column),
        validation_fraction=data.validation_fraction,
        test_fraction=data.test_fraction,
        seed=data.split_seed,
    )


class EpochBatches:
    """Length-bucketed, shuffled (reseeded per epoch) padded batches of a ClassificationDataset.

    Resumable: ``state_dict`` is (epoch, next batch), so a resumed run reads the same batches."""

    def __init__(self, dataset: Any, batch_size: int, pad_id: int, seed: int) -> None:
        from bert_engine.data.classification import ClassificationCollator
        from bert_engine.data.collate import LengthBucketSampler

        self.dataset = dataset
        self.sampler = LengthBucketSampler(dataset.lengths, batch_size, seed=seed)
        self.collate = ClassificationCollator(pad_id)
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        return len(self.sampler)

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:  # the same epoch again is a resume: keep the position
            self.epoch, self.position = epoch, 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.sampler.set_epoch(self.epoch)
        for i, indices in enumerate(self.sampler):
            if i < self.position:
                continue
            self.position = i + 1
            yield self.collate([self.dataset[j] for j in indices])
        self.epoch, self.position = self.epoch + 1, 0

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])


def ordered_batches(dataset: Any, batch_size: int, pad_id: int) -> list[dict[str, Any]]:
    """Evaluation batches in dataset order."""
    from bert_engine.data.classification import ClassificationCollator

    collate = ClassificationCollator(pad_id)
    return [
        collate([dataset[j] for j in range(i, min(i + batch_size, len(dataset)))])
        for i in range(0, len(dataset), batch_size)
    ]


# ----------------------------------------------------------------------------- metrics
def classification_metrics(
    labels: Sequence[int], predictions: Sequence[int], num_labels: int
) -> dict[str, Any]:
    """Accuracy, macro-F1 (over labels present in the truth or the predictions, as
    scikit-learn does) and the confusion matrix (rows: true label, columns: predicted)."""
    matrix = [[0] * num_labels for _ in range(num_labels)]
    for y, p in zip(labels, predictions, strict=True):
        matrix[y][p] += 1
    total = len(labels)
    correct = sum(matrix[i][i] for i in range(num_labels))
    f1s = []
    for k in range(num_labels):
        tp = matrix[k][k]
        predicted = sum(matrix[i][k] for i in range(num_labels))
        actual = sum(matrix[k])
        if predicted == 0 and actual == 0:
            continue
        precision = tp / predicted if predicted else 0.0
        recall = tp / actual if actual else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if tp else 0.0)
    return {
        "accuracy": correct / total if total else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "confusion_matrix": matrix,
    }


def evaluate_classifier(
    model: Any, batches: Iterable[Mapping[str, Any]], num_labels: int, device: Any = None
) -> dict[str, Any]:
    """Loss (mean over examples), accuracy, macro-F1, confusion matrix and the predictions.
    The caller sets eval mode and no_grad."""
    import torch

    device = device or next(model.parameters()).device
    total_loss, count = 0.0, 0
    truth: list[int] = []
    predicted: list[int] = []
    for batch in batches:
        batch = {k: v.to(device) for k, v in batch.items()}
        out = model(**batch)
        n = int(batch["labels"].shape[0])
        loss = torch.nn.functional.cross_entropy(
            out.logits.float(), batch["labels"], reduction="sum"
        )
        total_loss += float(loss)
        count += n
        truth += batch["labels"].tolist()
        predicted += out.logits.argmax(-1).tolist()
    metrics = classification_metrics(truth, predicted, num_labels)
    metrics["loss"] = total_loss / count if count else float("nan")
    metrics["examples"] = count
    metrics["predictions"] = predicted
    return metrics


def _report(metrics: Mapping[str, Any], labels: Sequence[str], split: str, step: int) -> dict:
    return {
        "split": split,
        "step": step,
        "loss": metrics["loss"],
        "accuracy": metrics["accuracy"],
        "macro_f1": metrics["macro_f1"],
        "examples": metrics["examples"],
        "labels": list(labels),
        "confusion_matrix": metrics["confusion_matrix"],
    }


# ----------------------------------------------------------------------------- initialisation
@dataclass
class Initialised:
    model: Any
    tokenizer: Any
    source: str  # "random", "run:<path>", "hf:<path>"
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    reinitialised: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.source == "random":
            return "initialised from random weights"
        text = f"loaded {len(self.loaded)} weights from {self.source}"
        if self.missing:
            text += f"; newly initialised: {', '.join(self.missing)}"
        if self.unused:
            text += f"; not used: {', '.join(self.unused)}"
        if self.reinitialised:
            text += f"; re-initialised: {', '.join(self.reinitialised)}"
        return text


def reinit_top_layers(model: Any, n: int) -> list[str]:
    """Gives the top `n` encoder layers and the pooler of a BertForSequenceClassification
    BERT's fresh initialisation; returns the parameter names touched."""
    from functools import partial

    from bert_engine.modeling.models import init_weights

    layers = model.bert.encoder.layers
    if n > len(layers):
        raise FinetuneError(
            f"reinit_layers = {n} but the model has only {len(layers)} encoder layers; use at "
            f"most {len(layers)}"
        )
    modules = [(f"bert.encoder.layers.{i}", layers[i]) for i in range(len(layers) - n, len(layers))]
    if model.bert.pooler is not None:
        modules.append(("bert.pooler", model.bert.pooler))
    names: list[str] = []
    for prefix, module in modules:
        module.apply(partial(init_weights, std=model.config.initializer_range))
        names += [f"{prefix}.{name}" for name, _ in module.named_parameters()]
    return names


def _is_hf_folder(path: Path) -> bool:
    return (path / "config.json").is_file() and any(
        (path / f).is_file() for f in ("model.safetensors", "pytorch_model.bin")
    )


def resolve_init(init: str, runs_dir: Path) -> tuple[str, Path | None]:
    """("random", None), ("run", path) or ("hf", path). A name that is not a path means the
    newest finished run of that preset name under ``runs_dir``."""
    if init == "random":
        return "random", None
    path = Path(os.path.expanduser(init))
    if path.is_dir():
        if (path / "checkpoints").is_dir():
            return "run", path
        if _is_hf_folder(path):
            return "hf", path
        raise FinetuneError(
            f"init = {init!r}: the folder is neither one of our runs (no checkpoints/) nor a "
            "HuggingFace BERT checkpoint (config.json + model.safetensors or pytorch_model.bin)"
        )
    if "/" not in init and os.sep not in init:
        from bert_engine.tracking import list_runs

        runs = [r for r in list_runs(runs_dir) if r.name == init] if runs_dir.is_dir() else []
        finished = [r for r in runs if r.status == "finished"] or runs
        for record in finished:  # newest first
            if (record.path / "checkpoints").is_dir():
                return "run", record.path
        raise FinetuneError(
            f"init = {init!r}: no run named {init!r} in {runs_dir}/; pre-train one first "
            f"(`bertbench pretrain {init}`), or give a run folder, a HuggingFace folder or "
            "'random'"
        )
    raise FinetuneError(f"init = {init!r}: no such folder")


def _classifier_weights_from_run(run: Path, checkpoint: str | None) -> tuple[Any, Any, Path, Any]:
    from bert_engine.inference import (
        read_bert_config,
        read_run_tokenizer,
        read_weights,
        require_run_dir,
        resolve_checkpoint,
    )

    require_run_dir(run)
    tokenizer = read_run_tokenizer(run)
    config = read_bert_config(run, tokenizer.vocab_size)
    ckpt = resolve_checkpoint(run, checkpoint)
    return tokenizer, config, ckpt, read_weights(ckpt)


def initialise(
    plan: FinetunePlan, labels: Sequence[str], train_texts: Sequence[str], tokenizer: Any = None
) -> Initialised:
    """Builds the classifier: from a pre-training run, a HF folder, or random weights."""
    from bert_engine.tokenizers import load_tokenizer

    s = plan.settings
    kind, path = resolve_init(s.init, plan.runs_dir)
    options = {"label_names": list(labels), "classifier_dropout": s.classifier_dropout}
    if tokenizer is None and s.tokenizer:
        tokenizer = load_tokenizer(s.tokenizer)
    init = _initialise(plan, kind, path, options, labels, train_texts, tokenizer)
    if s.reinit_layers and kind != "random":
        init.reinitialised = reinit_top_layers(init.model, s.reinit_layers)
    return init


def _initialise(
    plan: FinetunePlan,
    kind: str,
    path: Path | None,
    options: dict[str, Any],
    labels: Sequence[str],
    train_texts: Sequence[str],
    tokenizer: Any,
) -> Initialised:
    from bert_engine.modeling import BertConfig, BertForSequenceClassification
    from bert_engine.tokenizers import WordPieceTokenizer, load_tokenizer

    s = plan.settings
    if kind == "run":
        assert path is not None
        run_tok, config, ckpt, weights = _classifier_weights_from_run(path, s.checkpoint)
        if tokenizer is not None and tokenizer.get_vocab() != run_tok.get_vocab():
            raise FinetuneError(
                f"the tokenizer given differs from the one {path} was trained with; leave "
                "finetune.tokenizer out to use the run's"
            )
        model = BertForSequenceClassification(config, len(labels), **options)
        backbone = {k: v for k, v in weights.items() if k.startswith("bert.")}
        result = model.load_state_dict(backbone, strict=False)
        return Initialised(
            model,
            run_tok,
            f"run:{ckpt}",
            loaded=sorted(backbone),
            missing=sorted(result.missing_keys),
            unused=sorted(k for k in weights if not k.startswith("bert.")),
        )
    if kind == "hf":
        from bert_engine.modeling.hf import load_hf

        assert path is not None
        if tokenizer is None:
            try:
                tokenizer = WordPieceTokenizer.from_huggingface(path)
            except Exception as exc:  # the folder may hold a BPE tokenizer.json instead
                if not (path / "tokenizer.json").is_file():
                    raise FinetuneError(f"{path}: no usable tokenizer ({exc})") from exc
                tokenizer = load_tokenizer(path / "tokenizer.json")
        model, report = load_hf(
            path, BertForSequenceClassification, num_labels=len(labels), **options
        )
        # Report entries read "ours (HF theirs)": keep our parameter names.
        missing = sorted(name.split(" ")[0] for name in report.missing)
        loaded = [k for k in model.state_dict() if k not in set(missing)]
        return Initialised(model, tokenizer, f"hf:{path}", loaded, missing, list(report.unexpected))
    if tokenizer is None:
        tok_settings = plan.tokenizer
        vocab = int(getattr(tok_settings, "vocab_size", DEFAULT_VOCAB) or DEFAULT_VOCAB)
        tokenizer = WordPieceTokenizer.train(
            list(train_texts),
            vocab_size=min(vocab, 30522),
            min_frequency=int(getattr(tok_settings, "min_frequency", 2)),
            lowercase=bool(getattr(tok_settings, "lowercase", True)),
        )
    if isinstance(plan.model, BertConfig):
        config = plan.model.model_copy(update={"vocab_size": tokenizer.vocab_size})
    elif plan.model is not None and hasattr(plan.model, "bert_config"):
        config = plan.model.bert_config(tokenizer.vocab_size)
    else:
        config = BertConfig.from_size("tiny", vocab_size=tokenizer.vocab_size)
    return Initialised(
        BertForSequenceClassification(config, len(labels), **options), tokenizer, "random"
    )


# ----------------------------------------------------------------------------- finetune
def finetune(
    preset_or_settings: Any,
    *,
    data: ClassificationDataSettings | None = None,
    overrides: Sequence[str] = (),
    control: Any = None,
    listeners: Iterable[Callable[[Any], None]] = (),
    resume: str | os.PathLike[str] | None = None,
    tokenizer: Any = None,
    runs_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    model_config: Any = None,
    on_message: Callable[[str], None] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    allow_shared_device: bool = False,
) -> Path:
    """Fine-tunes a classifier and returns its run directory.

    Each epoch ends with a validation evaluation (loss, accuracy, macro-F1; confusion matrix in
    ``evaluation/``) and a checkpoint; the best by ``eval_metric`` is kept, training stops early
    after ``patience`` epochs without improvement, and the best model is evaluated on the test
    split. ``resume`` continues an interrupted fine-tuning run from its latest checkpoint (the
    settings come from its config.toml). Events go to ``listeners`` and the run's Tracker.

    ``preset_or_settings``: a ``Preset`` with [finetune] and [classification] tables, a preset
    name or file (``overrides``: ``key=value`` strings), or ``FinetuneSettings`` with ``data``.
    ``tokenizer`` and ``model_config`` (a ``BertConfig``) serve ``init="random"``;
    ``runs_dir`` / ``name`` override the preset's tracking settings; ``on_message`` receives
    human-readable notes (which weights were loaded, early stopping). ``checkpoint`` picks the
    checkpoint ``resume`` continues from (``step-36``; ``resume`` may also be a checkpoint
    folder). The device is locked for the runs folder while the run lives
    (``DeviceBusyError``) unless ``allow_shared_device``.
    """
    from bert_engine.training.guard import RunGuard

    with RunGuard(allow_shared=allow_shared_device, control=control) as guard:
        return _finetune(
            preset_or_settings,
            data=data,
            overrides=overrides,
            control=control,
            listeners=listeners,
            resume=resume,
            tokenizer=tokenizer,
            runs_dir=runs_dir,
            name=name,
            model_config=model_config,
            on_message=on_message,
            checkpoint=checkpoint,
            guard=guard,
        )


def _finetune(  # the body of `finetune`, inside its RunGuard (device lock, heartbeat)
    preset_or_settings: Any,
    *,
    data: ClassificationDataSettings | None,
    overrides: Sequence[str],
    control: Any,
    listeners: Iterable[Callable[[Any], None]],
    resume: str | os.PathLike[str] | None,
    tokenizer: Any,
    runs_dir: str | os.PathLike[str] | None,
    name: str | None,
    model_config: Any,
    on_message: Callable[[str], None] | None,
    checkpoint: str | os.PathLike[str] | None,
    guard: Any,
) -> Path:
    import torch

    from bert_engine.data.classification import LabelVocab, encode_examples
    from bert_engine.inference import BERT_CONFIG_FILE, LABELS_FILE, TOKENIZER_FILE
    from bert_engine.modeling import BertConfig, BertForSequenceClassification
    from bert_engine.tracking import Tracker, create_run, read_config
    from bert_engine.training import (
        CheckpointManager,
        EvalEvent,
        RunControl,
        Trainer,
        TrainerConfig,
        build_optimizer,
        build_scheduler,
        load_checkpoint,
        seed_everything,
    )

    say = on_message or log.info
    chosen = None
    if resume is not None:
        from bert_engine.training.checkpoint import resume_point

        run_dir, chosen = resume_point(resume, checkpoint)
        if not (run_dir / LABELS_FILE).is_file() or not (run_dir / "checkpoints").is_dir():
            raise FinetuneError(f"{run_dir} is not a fine-tuning run (no {LABELS_FILE})")
        if (run_dir / RESULTS_FILE).is_file() and read_results(run_dir)["status"] == "finished":
            raise FinetuneError(f"{run_dir} has already finished; there is nothing to resume")
        preset_or_settings = _plan_from_config(read_config(run_dir))
    plan = plan_of(preset_or_settings, data=data, overrides=overrides)
    if runs_dir is not None:
        plan.runs_dir = Path(runs_dir)
    if name is not None:
        plan.name = name
    if model_config is not None:  # a BertConfig (or ModelSettings) for a random init
        plan.model = model_config
    s, d = plan.settings, plan.data
    # The device lock before anything heavy; a resumed run's heartbeat from now on.
    guard.claim(plan.runs_dir if resume is None else run_dir.parent, s.device, plan.name)
    if resume is not None:
        guard.attach(run_dir)
    seed_everything(s.seed)
    splits = load_splits(d)
    if resume is not None:
        labels = LabelVocab.load(run_dir / LABELS_FILE)
        from bert_engine.inference import read_run_tokenizer

        tok = read_run_tokenizer(run_dir)
        config = BertConfig.model_validate_json((run_dir / BERT_CONFIG_FILE).read_text("utf-8"))
        model = BertForSequenceClassification(
            config, len(labels), label_names=labels.labels, classifier_dropout=s.classifier_dropout
        )
        init_text = f"resuming {run_dir}"
    else:
        labels = splits.labels
        init = initialise(plan, labels.labels, [e.text for e in splits.train], tokenizer)
        model, tok, init_text = init.model, init.tokenizer, init.describe()
        if init.source.startswith("run:"):
            plan.config.setdefault("finetune", {})["init"] = str(
                Path(init.source[4:]).parent.parent.resolve()
            )
        run_dir = create_run(plan.runs_dir, plan.name, plan.config or None)
        guard.attach(run_dir)
        tok.save(run_dir / TOKENIZER_FILE)
        labels.save(run_dir / LABELS_FILE)
        atomic_write_json(run_dir / BERT_CONFIG_FILE, model.config.model_dump(mode="json"))
        atomic_write_json(
            run_dir / "init.json",
            {
                "source": init.source,
                "loaded": init.loaded,
                "missing": init.missing,
                "unused": init.unused,
                "reinitialised": init.reinitialised,
            },
        )
    say(init_text)
    if tok.pad_id is None:
        raise FinetuneError("the tokenizer has no [PAD] token; it cannot batch texts")
    max_len = min(d.max_seq_len, model.config.max_position_embeddings)
    encoded = {
        split: encode_examples(examples, tok, labels, max_length=max_len)
        for split, examples in (
            ("train", splits.train),
            ("validation", splits.validation),
            ("test", splits.test),
        )
    }
    batch_size = s.batch_size or d.batch_size
    train = EpochBatches(encoded["train"], batch_size, tok.pad_id, seed=s.seed)
    validation = ordered_batches(encoded["validation"], batch_size, tok.pad_id)
    steps_per_epoch = len(train)
    total = steps_per_epoch * s.epochs
    optimizer = build_optimizer(model, lr=s.lr, weight_decay=s.weight_decay)
    scheduler = build_scheduler(
        optimizer, total_steps=total, warmup_steps=round(s.warmup_ratio * total), kind="linear"
    )
    mode = "min" if s.eval_metric == "loss" else "max"
    checkpoints = CheckpointManager(
        run_dir / "checkpoints",
        keep_last=s.keep_last,
        best_metric=f"validation/{s.eval_metric}",
        best_mode=mode,
    )
    holder: dict[str, Trainer] = {}
    eval_dir = run_dir / EVAL_DIR
    eval_dir.mkdir(exist_ok=True)

    def evaluate(m: Any) -> dict[str, float]:
        trainer = holder["trainer"]
        result = evaluate_classifier(m, validation, len(labels), trainer.device)
        atomic_write_json(
            eval_dir / f"validation-step-{trainer.step:06d}.json",
            _report(result, labels.labels, "validation", trainer.step),
            durable=False,
        )
        return {k: float(result[k]) for k in ("loss", "accuracy", "macro_f1")}

    trainer = Trainer(
        model,
        optimizer,
        train,
        TrainerConfig(
            total_steps=total,
            max_grad_norm=s.clip,
            log_every=max(1, min(10, steps_per_epoch)),
            eval_every=steps_per_epoch,
            checkpoint_every=steps_per_epoch,
            precision=s.precision,
        ),
        scheduler=scheduler,
        device=s.device,
        evaluate=evaluate,
        checkpoints=checkpoints,
        control=control or RunControl(),
        listeners=listeners,
        # The trainer ends the run as "finished" (reason "early_stopped") after `patience`
        # epochs without improvement; its counters travel in the checkpoints for resume.
        early_stopping=EarlyStopping(s.eval_metric, s.patience, mode),
    )
    holder["trainer"] = trainer
    if resume is not None:
        trainer.resume(chosen)
    with Tracker(run_dir, tensorboard=plan.tensorboard) as tracker:
        trainer.bus.add(tracker)
        outcome = trainer.run()
        stopped_early = outcome.reason == "early_stopped"
        if stopped_early:
            say(
                f"early stopping at epoch {outcome.step // steps_per_epoch}: validation "
                f"{s.eval_metric} did not improve for {s.patience} epoch(s)"
            )
        results: dict[str, Any] = {
            "status": outcome.status,
            "steps": outcome.step,
            "epochs": outcome.step / steps_per_epoch,
            "steps_per_epoch": steps_per_epoch,
            "stopped_early": stopped_early,
            "eval_metric": s.eval_metric,
            "init": init_text,
            "examples": {k: len(v) for k, v in encoded.items()},
        }
        best = checkpoints.best()
        if outcome.status == "finished" and best is not None:
            load_checkpoint(best["checkpoint"], trainer.model, map_location=trainer.device)
            results.update(
                best_checkpoint=best["checkpoint"].name,
                best_step=best["step"],
                best_value=best["value"],
            )
            if len(encoded["test"]):
                trainer.model.eval()
                with torch.no_grad():
                    test = evaluate_classifier(
                        trainer.model,
                        ordered_batches(encoded["test"], batch_size, tok.pad_id),
                        len(labels),
                        trainer.device,
                    )
                atomic_write_json(
                    eval_dir / "test.json", _report(test, labels.labels, "test", best["step"])
                )
                metrics = {k: float(test[k]) for k in ("loss", "accuracy", "macro_f1")}
                results["test"] = metrics
                trainer.bus.emit(EvalEvent(step=best["step"], metrics=metrics, split="test"))
        atomic_write_json(run_dir / RESULTS_FILE, _json_safe(results))
    return run_dir


def _json_safe(value: Any) -> Any:
    import math

    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _plan_from_config(config: Mapping[str, Any]) -> Any:
    """The preset (or bare settings) a run was started with, from its config.toml."""
    try:
        from bert_engine.presets import validate_preset

        return validate_preset(config)
    except ImportError:
        return _BareConfig(config)


class _BareConfig:
    """Stand-in for a Preset when the preset schema is not installed (bare settings runs)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.name = str(config.get("name", "finetune"))
        self.finetune = FinetuneSettings.model_validate(config.get("finetune", {}))
        self.classification = ClassificationDataSettings.model_validate(
            config.get("classification", {})
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "classification": self.classification.model_dump(mode="json", exclude_none=True),
            "finetune": self.finetune.model_dump(mode="json", exclude_none=True),
        }


def read_results(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``results.json`` of a finished fine-tuning run."""
    path = Path(run_dir) / RESULTS_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise FinetuneError(f"{path}: no fine-tuning results ({exc})") from exc
