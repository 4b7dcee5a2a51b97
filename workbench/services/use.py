""" "Use in a preset": which preset key a tokenizer, a run or a data file goes into, and with
which value, so both UIs put it there in one action.

Paths are written by the workspace rule: a path inside the workspace is written relative to
it (``tokenizers/wp-8k``), one outside stays absolute. The value is a form text, so the
preset form's own parsing and validation apply to it.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from workbench.services.workspace import Workspace


@dataclass(frozen=True)
class UseValue:
    """One form field to set: `key` (a dotted preset path) takes `value` (its form text)."""

    key: str
    value: str
    what: str  # for the notice: "tokenizer wp-8k", "run quickstart-…"


def workspace_path(workspace: Workspace, path: str | os.PathLike[str]) -> str:
    """`path` as a UI writes it: relative to the workspace when inside it, else absolute."""
    resolved = Path(path).expanduser().resolve()
    try:
        return resolved.relative_to(workspace.root).as_posix()
    except ValueError:
        return str(resolved)


def is_finetune(preset: Collection[str]) -> bool:
    """A fine-tuning preset (its table names, or the preset dict) has a [finetune] or
    [classification] table."""
    return "finetune" in preset or "classification" in preset


def tokenizer_value(
    workspace: Workspace, preset: Collection[str], path: Path, name: str
) -> UseValue:
    """A trained tokenizer: `finetune.tokenizer` in a fine-tuning preset, else
    `tokenizer.path` (which makes a pre-training load it instead of training one)."""
    key = "finetune.tokenizer" if is_finetune(preset) else "tokenizer.path"
    return UseValue(key, workspace_path(workspace, path), f"tokenizer {name}")


def run_value(workspace: Workspace, preset: Collection[str], path: Path) -> UseValue:
    """A run as the starting weights: `finetune.init` or `pretrain.init_from`."""
    key = "finetune.init" if is_finetune(preset) else "pretrain.init_from"
    return UseValue(key, workspace_path(workspace, path), f"run {path.name}")


def file_value(workspace: Workspace, preset: Collection[str], path: Path) -> UseValue:
    """A data file: the training CSV of a fine-tuning preset, the corpus of a pre-training."""
    key = "classification.train" if is_finetune(preset) else "data.source"
    return UseValue(key, workspace_path(workspace, path), f"file {path.name}")


@dataclass(frozen=True)
class InitCheck:
    """What a fine-tuning would start from: the run, its status, the checkpoint and its step.
    `warning` is set when the run did not finish (stopped, failed, interrupted…)."""

    run: Path
    status: str
    checkpoint: Path
    step: int | None
    warning: str | None


def check_init(init: str, runs_dir: Path, checkpoint: str | None = None) -> InitCheck | None:
    """The run `init` names and the checkpoint a fine-tuning would load from it; None when
    `init` is not one of our runs (random, a HuggingFace folder, or wrong: validation says)."""
    from bert_engine.errors import BertbenchError
    from bert_engine.inference import resolve_checkpoint
    from bert_engine.tracking import load_run
    from bert_engine.training.finetune import resolve_init

    try:
        kind, path = resolve_init(init, runs_dir)
        if kind != "run" or path is None:
            return None
        ckpt = resolve_checkpoint(path, checkpoint)
    except (BertbenchError, OSError, ValueError):
        return None
    status = load_run(path).status
    step = step_of(ckpt)
    warning = None
    if status != "finished":
        at = f"step {step}" if step is not None else ckpt.name
        warning = (
            f"{path.name} did not finish (it is {status}): fine-tuning starts from its "
            f"checkpoint at {at}"
        )
    return InitCheck(path, status, ckpt, step, warning)


def step_of(checkpoint: Path) -> int | None:
    """The step of a `step-000120` checkpoint folder."""
    _, _, digits = checkpoint.name.partition("step-")
    return int(digits) if digits.isdigit() else None
