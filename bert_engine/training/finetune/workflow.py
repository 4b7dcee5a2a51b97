"""The fine-tuning workflow: `finetune(...)`, built on the generic Trainer, CheckpointManager
and Tracker, and `read_results` of a finished run."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bert_engine.files import atomic_write_json
from bert_engine.presets import validate_preset
from bert_engine.schema import BertConfig, ClassificationDataSettings, ModelSettings
from bert_engine.training.early_stopping import EarlyStopping
from bert_engine.training.finetune.analysis import ANALYSIS_KEY, analyse, write_files
from bert_engine.training.finetune.data import (
    EpochBatches,
    evaluate_classifier,
    load_splits,
    metrics_report,
    ordered_batches,
)
from bert_engine.training.finetune.init import initialise
from bert_engine.training.finetune.plan import FinetuneError, FinetuneSource, plan_of

if TYPE_CHECKING:
    from torch import nn

    from bert_engine.tokenizers import Tokenizer
    from bert_engine.training.control import RunControl
    from bert_engine.training.events import Listener
    from bert_engine.training.guard import RunGuard

log = logging.getLogger(__name__)

RESULTS_FILE = "results.json"
EVAL_DIR = "evaluation"


def finetune(
    preset_or_settings: FinetuneSource | None,
    *,
    data: ClassificationDataSettings | None = None,
    overrides: Sequence[str] = (),
    control: RunControl | None = None,
    listeners: Iterable[Listener] = (),
    resume: str | os.PathLike[str] | None = None,
    tokenizer: Tokenizer | None = None,
    runs_dir: str | os.PathLike[str] | None = None,
    name: str | None = None,
    model_config: BertConfig | ModelSettings | None = None,
    on_message: Callable[[str], None] | None = None,
    on_run_dir: Callable[[Path], None] | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    allow_shared_device: bool = False,
) -> Path:
    """Fine-tunes a classifier and returns its run directory.

    Each epoch ends with a validation evaluation (loss, accuracy, macro-F1; confusion matrix in
    ``evaluation/``) and a checkpoint; the best by ``eval_metric`` is kept, training stops early
    after ``patience`` epochs without improvement, and the best model is evaluated on the test
    split. The best model's error analysis (confusion matrix, per-class precision / recall /
    F1, the misclassified examples) of the validation and test splits goes into summary.json's
    ``analysis`` and ``errors-<split>.jsonl`` (see ``analysis.py``). ``resume`` continues an
    interrupted fine-tuning run from its latest checkpoint (the settings come from its
    config.toml). Events go to ``listeners`` and the run's Tracker.

    ``preset_or_settings``: a ``Preset`` with [finetune] and [classification] tables, a preset
    name or file (``overrides``: ``key=value`` strings), or ``FinetuneSettings`` with ``data``.
    ``tokenizer`` and ``model_config`` (a ``BertConfig``) serve ``init="random"``;
    ``runs_dir`` / ``name`` override the preset's tracking settings; ``on_message`` receives
    human-readable notes (which weights were loaded, early stopping); ``on_run_dir`` is called
    with the run directory as soon as it exists (before training), as in ``run_pretraining``.
    ``checkpoint`` picks the checkpoint ``resume`` continues from (``step-36``; ``resume`` may
    also be a checkpoint folder). The device is locked for the runs folder while the run lives
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
            on_run_dir=on_run_dir,
            checkpoint=checkpoint,
            guard=guard,
        )


def _finetune(  # the body of `finetune`, inside its RunGuard (device lock, heartbeat)
    preset_or_settings: FinetuneSource | None,
    *,
    data: ClassificationDataSettings | None,
    overrides: Sequence[str],
    control: RunControl | None,
    listeners: Iterable[Listener],
    resume: str | os.PathLike[str] | None,
    tokenizer: Tokenizer | None,
    runs_dir: str | os.PathLike[str] | None,
    name: str | None,
    model_config: BertConfig | ModelSettings | None,
    on_message: Callable[[str], None] | None,
    on_run_dir: Callable[[Path], None] | None,
    checkpoint: str | os.PathLike[str] | None,
    guard: RunGuard,
) -> Path:
    from bert_engine.data.classification import LabelVocab, encode_examples
    from bert_engine.inference import (
        BERT_CONFIG_FILE,
        CLASSIFIER_FILE,
        LABELS_FILE,
        TOKENIZER_FILE,
        read_pooling,
    )
    from bert_engine.modeling import BertForSequenceClassification
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
        preset_or_settings = validate_preset(read_config(run_dir))  # as it was started
    plan = plan_of(preset_or_settings, data=data, overrides=overrides)
    if runs_dir is not None:
        plan.runs_dir = Path(runs_dir)
    if name is not None:
        plan.name = name
    if model_config is not None:  # for a random init
        plan.model = model_config
    from bert_engine.training.memory import check_finetune_memory

    check_finetune_memory(plan, resume)  # before any model or data is allocated
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
            config,
            len(labels),
            label_names=labels.labels,
            classifier_dropout=s.classifier_dropout,
            pooling=read_pooling(run_dir),  # as it was started
        )
        init_text = f"resuming {run_dir}"
    else:
        labels = splits.labels
        init = initialise(plan, labels.labels, [e.text for e in splits.train], tokenizer)
        model, tok, init_text = init.model, init.tokenizer, init.describe()
        origin: dict[str, Any] = {}
        if init.source.startswith("run:"):
            ckpt = Path(init.source[4:])
            plan.config.setdefault("finetune", {})["init"] = str(ckpt.parent.parent.resolve())
            origin = init_origin(ckpt)
            if origin["init_status"] != "finished":
                # A stopped/failed pre-training is usable, but say so (issue: it was silent).
                say(
                    f"warning: the init run {origin['init_run']} did not finish (it is "
                    f"{origin['init_status']}); fine-tuning from its checkpoint at step "
                    f"{origin['init_step']}"
                )
        run_dir = create_run(plan.runs_dir, plan.name, plan.config or None)
        guard.attach(run_dir)
        tok.save(run_dir / TOKENIZER_FILE)
        labels.save(run_dir / LABELS_FILE)
        atomic_write_json(run_dir / BERT_CONFIG_FILE, model.config.model_dump(mode="json"))
        atomic_write_json(run_dir / CLASSIFIER_FILE, {"pooling": model.pooling})
        atomic_write_json(
            run_dir / "init.json",
            {
                "source": init.source,
                "loaded": init.loaded,
                "missing": init.missing,
                "unused": init.unused,
                "reinitialised": init.reinitialised,
                **origin,
            },
        )
    if on_run_dir is not None:
        on_run_dir(run_dir)
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

    def evaluate(m: nn.Module) -> dict[str, float]:
        trainer = holder["trainer"]
        result = evaluate_classifier(m, validation, len(labels), trainer.device)
        atomic_write_json(
            eval_dir / f"validation-step-{trainer.step:06d}.json",
            metrics_report(result, labels.labels, "validation", trainer.step),
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
            # Error analysis of the best model: validation, then test (read only here).
            analyses = {
                split: analyse(
                    trainer.model,
                    encoded[split],
                    examples,
                    labels.labels,
                    tok,
                    split=split,
                    batch_size=batch_size,
                    device=trainer.device,
                    step=best["step"],
                    checkpoint=best["checkpoint"].name,
                )
                for split, examples in (("validation", splits.validation), ("test", splits.test))
                if len(encoded[split])
            }
            tracker.summary[ANALYSIS_KEY] = {
                split: write_files(run_dir, a) for split, a in analyses.items()
            }
            if "test" in analyses:
                test = analyses["test"].metrics
                atomic_write_json(
                    eval_dir / "test.json",
                    metrics_report(test, labels.labels, "test", best["step"]),
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


def read_results(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``results.json`` of a finished fine-tuning run."""
    path = Path(run_dir) / RESULTS_FILE
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        raise FinetuneError(f"{path}: no fine-tuning results ({exc})") from exc


def init_origin(ckpt: Path) -> dict[str, Any]:
    """The run a checkpoint belongs to, its status and the checkpoint's step (for init.json)."""
    from bert_engine.tracking import load_run

    run = ckpt.parent.parent
    digits = ckpt.name.partition("step-")[2]
    return {
        "init_run": run.name,
        "init_status": load_run(run).status,
        "init_step": int(digits) if digits.isdigit() else None,
    }
