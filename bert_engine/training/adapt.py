"""Task-adaptive pre-training: masked-LM on a classification task's own training texts.

Gururangan et al. (2020) continue MLM on the task's unlabelled text before fine-tuning;
Krishna et al. (2022) show that pre-training on the downstream data alone (from random
weights) rivals much larger corpora. Both are one thing here: a preset's `[adapt]` section,
started from `finetune.init` (a pre-training run, or "random").

An adaptation is an ordinary pre-training run (curves, checkpoints, resume, export) whose
preset is derived from the fine-tuning preset by `adaptation_preset`:

- the corpus is the texts (and text pairs) of the classification *training* split, one per
  line, written to `<runs_dir>/.adapt/`; the validation and test texts are never read (a
  separate test file is not even opened);
- the tokenizer, architecture and weights are the init run's (its tokenizer.json, its
  `[model]`, `pretrain.init_from` = the run); from "random", the preset's `[tokenizer]`
  (trained on that corpus unless it names a file) and `[model]`;
- the objective is masked-LM alone (single texts have no sentence pairs), rows are packed,
  the length is `classification.max_seq_len`.

A fine-tune then starts from the adapted run (`finetune.init` = its folder, which
`bertbench finetune --adapt` sets), and its `init.json` names the adapted checkpoint.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from bert_engine.files import atomic_write_text
from bert_engine.presets import Preset, PresetError
from bert_engine.schema import AdaptSettings, ClassificationDataSettings, FinetuneSettings
from bert_engine.training.control import RunControl
from bert_engine.training.events import Listener

if TYPE_CHECKING:
    from bert_engine.training.pretrain import PretrainOutcome

log = logging.getLogger(__name__)

ADAPT_DIR = ".adapt"  # under the runs folder: the corpora adaptations train on


def training_texts(preset: Preset) -> list[str]:
    """The texts of the classification training split (pairs as their own lines), exactly as
    fine-tuning splits them; the test split is never read."""
    from bert_engine.training.finetune.data import load_splits

    data = preset.classification
    if data is None:
        raise PresetError("[adapt] needs a [classification] section (the task's texts)")
    if data.test is not None:
        # A separate test file does not change the train split: leave it unopened.
        data = data.model_copy(update={"test": None, "test_fraction": 0.0})
    splits = load_splits(data)
    lines: list[str] = []
    for example in splits.train:
        for text in (example.text, example.text_pair):
            if text:
                lines.append(" ".join(text.split()))  # one text per line: no inner newlines
    if not lines:
        raise PresetError(f"{data.train}: the training split has no texts to adapt on")
    return lines


def write_corpus(preset: Preset, lines: list[str]) -> Path:
    """The adaptation corpus, one text per line, named by its content (a rerun reuses it)."""
    text = "\n".join(lines) + "\n"
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    folder = Path(preset.tracking.runs_dir) / ADAPT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{preset.name}-{digest}.txt"
    if not path.is_file():
        atomic_write_text(path, text)
    return path


def require_sections(
    preset: Preset,
) -> tuple[AdaptSettings, FinetuneSettings, ClassificationDataSettings]:
    a, f, c = preset.adapt, preset.finetune, preset.classification
    if a is None or f is None or c is None:
        raise PresetError(
            f"preset {preset.name!r} has no [adapt] section (with [finetune] and "
            "[classification]); add one, e.g. [adapt] steps = 500"
        )
    return a, f, c


def adaptation_preset(preset: Preset, corpus: Path) -> Preset:
    """The pre-training preset of `preset`'s adaptation on `corpus`."""
    from bert_engine.training.finetune.init import resolve_init
    from bert_engine.training.pretrain import load_run_preset

    a, f, c = require_sections(preset)
    kind, source = resolve_init(f.init, Path(preset.tracking.runs_dir))
    base = preset.model_dump(mode="python", exclude={"adapt", "finetune", "classification"})
    if kind == "run":
        assert source is not None
        origin = load_run_preset(source)
        base["tokenizer"] = {"path": str((source / "tokenizer.json").resolve())}
        base["model"] = origin.model.model_dump(mode="python")
        init_from: str | None = str(source.resolve())
    elif kind == "hf":
        raise PresetError(
            f"finetune.init = {f.init!r} is a HuggingFace folder; adaptation starts from one "
            'of our pre-training runs or from "random" (self-pre-training)'
        )
    else:
        init_from = None
    max_len = min(c.max_seq_len, base["model"]["max_position_embeddings"])
    base["model"]["objective"] = "mlm"
    base["name"] = f"{preset.name}-adapt"
    base["description"] = f"task-adaptive pre-training of {preset.name} (from {f.init})"
    base["extends"] = None
    base["data"] = {
        "source": str(corpus.resolve()),
        "doc_mode": "line",
        "max_seq_len": max_len,
        "mlm_probability": a.mlm_probability,
        "pack": True,
        "batch_size": a.batch_size,
        "held_out_fraction": a.held_out_fraction,
        "cache_dir": preset.data.cache_dir,
    }
    base["pretrain"] = {
        "max_steps": a.steps,
        "max_minutes": a.max_minutes,
        "lr": a.lr,
        "warmup_steps": min(a.warmup_steps, a.steps),
        "eval_every": a.eval_every if a.held_out_fraction > 0 else 0,
        "checkpoint_every": a.checkpoint_every,
        "seed": f.seed,
        "device": f.device,
        "precision": f.precision,
        "init_from": init_from,
    }
    tracking = dict(base["tracking"])
    tracking["run_name"] = f"{tracking.get('run_name') or preset.name}-adapt"
    base["tracking"] = tracking
    from bert_engine.schema.preset import drop_none

    try:
        return Preset.model_validate(drop_none(base))
    except ValueError as exc:
        raise PresetError(f"[adapt] of {preset.name!r} gives no valid pre-training: {exc}") from exc


def run_adaptation(
    preset: Preset,
    *,
    control: RunControl | None = None,
    listeners: Iterable[Listener] = (),
    progress: Callable[[str, int, int], bool | None] | None = None,
    on_run_dir: Callable[[Path], None] | None = None,
    allow_shared_device: bool = False,
) -> PretrainOutcome:
    """Adapt `preset`'s init model to its classification training texts; returns the
    `PretrainOutcome` of the adaptation run (`.run_dir`, `.result`)."""
    from bert_engine.training.pretrain import run_pretraining

    require_sections(preset)
    corpus = write_corpus(preset, training_texts(preset))
    adapted = adaptation_preset(preset, corpus)
    log.info("adapting %s on %s", preset.name, corpus)
    return run_pretraining(
        adapted,
        control=control,
        listeners=listeners,
        progress=progress,
        on_run_dir=on_run_dir,
        allow_shared_device=allow_shared_device,
    )
