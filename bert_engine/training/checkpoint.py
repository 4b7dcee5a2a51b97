"""Checkpoints: one directory per saved step, written whole or not at all.

Layout of `checkpoints/`:

    step-000123/
        model.safetensors     weights (safetensors: no pickle; tied weights stored once)
        optimizer.pt          optimizer.state_dict()        } torch.save of tensors and plain
        scheduler.pt          scheduler.state_dict()        } values, read back with
        rng.pt                all RNG states (seed.py)      } torch.load(weights_only=True)
        data_state.pt         the data iterator's position  } (never unpickles code)
        scaler.pt             fp16 GradScaler (only when used)
        trainer_state.json    step, metrics, counters, and the size of every file above
    latest                    name of the newest complete checkpoint (atomically replaced)
    best.json                 the best checkpoint by the chosen metric

A checkpoint is first written to a hidden temporary directory and renamed into place once
every file is on disk, so a crash (even SIGKILL) mid-write leaves the previous checkpoints
untouched and no half-written `step-*` directory.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from bert_engine.errors import BertbenchError
from bert_engine.files import (
    atomic_write_json,
    atomic_write_text,
    fsync_path,
    is_abandoned_temp,
    temp_sibling,
)
from bert_engine.safe_load import load_tensors

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
SCHEDULER_FILE = "scheduler.pt"
SCALER_FILE = "scaler.pt"
RNG_FILE = "rng.pt"
DATA_FILE = "data_state.pt"
STATE_FILE = "trainer_state.json"
LATEST_FILE = "latest"
BEST_FILE = "best.json"
_STEP_DIR = re.compile(r"^step-(\d+)$")


class CheckpointError(BertbenchError):
    """A checkpoint is missing, incomplete, corrupt or does not fit the model."""


def checkpoint_name(step: int) -> str:
    return f"step-{step:06d}"


def unwrap_model(model: nn.Module) -> nn.Module:
    """The bare model inside DistributedDataParallel / DataParallel / torch.compile wrappers."""
    while True:
        inner = getattr(model, "module", None)
        if isinstance(inner, nn.Module):
            model = inner
            continue
        inner = getattr(model, "_orig_mod", None)
        if isinstance(inner, nn.Module):
            model = inner
            continue
        return model


@dataclass
class CheckpointInfo:
    path: Path
    step: int
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class LoadedCheckpoint:
    """What `load_checkpoint` read besides the weights and optimizer/scheduler state."""

    path: Path
    step: int
    trainer_state: dict[str, Any]
    rng_state: dict[str, Any] | None
    data_state: Any


def _torch_save(obj: Any, path: Path) -> None:
    torch.save(obj, path)
    fsync_path(path)


def write_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module,
    *,
    step: int,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    rng_state: dict[str, Any] | None = None,
    data_state: Any = None,
    trainer_state: dict[str, Any] | None = None,
) -> Path:
    """Write a complete checkpoint at `path` atomically (replacing one already there)."""
    final = Path(path)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(final)
    tmp.mkdir()
    try:
        # save_model drops duplicate (tied) tensors and records them in the header metadata.
        save_model(unwrap_model(model), str(tmp / MODEL_FILE))
        fsync_path(tmp / MODEL_FILE)
        if optimizer is not None:
            _torch_save(optimizer.state_dict(), tmp / OPTIMIZER_FILE)
        if scheduler is not None:
            _torch_save(scheduler.state_dict(), tmp / SCHEDULER_FILE)
        if scaler is not None:
            _torch_save(scaler.state_dict(), tmp / SCALER_FILE)
        if rng_state is not None:
            _torch_save(rng_state, tmp / RNG_FILE)
        if data_state is not None:
            _torch_save(data_state, tmp / DATA_FILE)
        state = dict(trainer_state or {})
        state["format_version"] = FORMAT_VERSION
        state["step"] = step
        # Sizes let the loader tell "truncated" apart from "written by something else".
        state["files"] = {p.name: p.stat().st_size for p in sorted(tmp.iterdir())}
        atomic_write_json(tmp / STATE_FILE, _json_safe(state))
        fsync_path(tmp)
        if final.exists():
            # Directories cannot be renamed over non-empty ones: move the old one aside first.
            old = temp_sibling(final, "trash")
            os.replace(final, old)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
        fsync_path(final.parent)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    return value


def _hint(path: Path) -> str:
    """Suggest the newest complete checkpoint older than `path`, if there is one."""
    step_match = _STEP_DIR.match(path.name)
    if step_match is None or not path.parent.is_dir():
        return ""
    step = int(step_match.group(1))
    older = [c for c in list_checkpoints(path.parent) if c.step < step]
    if older:
        return f"; resume from the previous checkpoint instead: {resume_command(older[-1].path)}"
    return "; no earlier checkpoint exists, so the run has to start over"


def resume_command(checkpoint: Path) -> str:
    """How to continue from `checkpoint`: the CLI command when it belongs to a run folder,
    else its path."""
    run = checkpoint.parent.parent
    if checkpoint.parent.name != "checkpoints" or not (run / "config.toml").is_file():
        return str(checkpoint)
    verb = "finetune" if (run / "labels.json").is_file() else "pretrain"
    return f"bertbench {verb} --resume {shlex.quote(str(run))} --checkpoint {checkpoint.name}"


def resume_point(
    resume: str | os.PathLike[str], checkpoint: str | os.PathLike[str] | None = None
) -> tuple[Path, Path | None]:
    """(run folder, chosen checkpoint or None for the latest) from what a user gave:
    `resume` is a run folder or one of its checkpoint folders (`RUN/checkpoints/step-N`);
    `checkpoint` names a checkpoint of the run: `step-36`, `step-000036`, `36` or a path."""
    given = Path(resume)
    chosen: Path | None = None
    if _STEP_DIR.match(given.name) and given.parent.name == "checkpoints":
        run, chosen = given.parent.parent, given
    else:
        run = given
    if checkpoint is not None:
        text = str(checkpoint).strip()
        match = _STEP_DIR.match(Path(text).name) or re.fullmatch(r"(\d+)", text)
        if match is None:
            raise CheckpointError(
                f"--checkpoint {text!r} does not name a checkpoint; give one of the run's "
                f"folders in {run / 'checkpoints'}, e.g. step-000036 (or just 36)"
            )
        named = run / "checkpoints" / checkpoint_name(int(match.group(1)))
        if chosen is not None and chosen.resolve() != named.resolve():
            raise CheckpointError(
                f"--resume names the checkpoint {chosen.name} and --checkpoint {text}; give one"
            )
        chosen = named
    if chosen is not None and not chosen.is_dir():
        have = ", ".join(c.path.name for c in list_checkpoints(run / "checkpoints")) or "none"
        raise CheckpointError(
            f"no checkpoint {chosen.name} in {run / 'checkpoints'} (the run has: {have})"
        )
    return run, chosen


def read_trainer_state(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The parsed trainer_state.json of a checkpoint, with errors that name the file."""
    ckpt = Path(path)
    file = ckpt / STATE_FILE
    if not ckpt.is_dir():
        raise CheckpointError(f"checkpoint directory {ckpt} does not exist")
    if not file.is_file():
        raise CheckpointError(f"{file} is missing: the checkpoint is incomplete{_hint(ckpt)}")
    try:
        state = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{file} is not valid JSON ({exc}){_hint(ckpt)}") from exc
    if not isinstance(state, dict) or not isinstance(state.get("step"), int):
        raise CheckpointError(
            f"{file} does not look like a trainer state (no integer 'step'){_hint(ckpt)}"
        )
    return state


def _check_file(ckpt: Path, name: str, state: dict[str, Any], required: bool = True) -> Path | None:
    file = ckpt / name
    expected = state.get("files", {}).get(name)
    if not file.is_file():
        if required or expected is not None:
            raise CheckpointError(f"{file} is missing: the checkpoint is incomplete{_hint(ckpt)}")
        return None
    size = file.stat().st_size
    if expected is not None and size != expected:
        raise CheckpointError(
            f"{file} is {size} bytes but {expected} were written: the file is truncated or was "
            f"modified{_hint(ckpt)}"
        )
    return file


def _torch_load(file: Path, ckpt: Path, map_location: Any) -> Any:
    try:
        # weights_only: tensors and plain containers only, never arbitrary pickled objects.
        return load_tensors(file, map_location=map_location)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for bad files
        raise CheckpointError(f"{file} cannot be read ({exc}){_hint(ckpt)}") from exc


def load_checkpoint(
    path: str | os.PathLike[str],
    model: nn.Module | None = None,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: Any = None,
    scaler: Any = None,
    map_location: str | torch.device = "cpu",
    strict: bool = True,
) -> LoadedCheckpoint:
    """Load a checkpoint into the given objects; returns the rest (step, RNG, data state).

    Every failure is a CheckpointError that names the offending file and, when the checkpoint
    sits in a checkpoints directory, the previous checkpoint to fall back to.
    """
    ckpt = Path(path)
    state = read_trainer_state(ckpt)
    if model is not None:
        file = _check_file(ckpt, MODEL_FILE, state)
        assert file is not None
        device = str(next(unwrap_model(model).parameters(), torch.empty(0)).device)
        try:
            load_model(unwrap_model(model), str(file), strict=strict, device=device)
        except SafetensorError as exc:
            raise CheckpointError(
                f"{file} is not a valid safetensors file ({exc}){_hint(ckpt)}"
            ) from exc
        except RuntimeError as exc:
            raise CheckpointError(
                f"{file} does not fit this model — it was saved from a model with a different "
                f"architecture or configuration: {exc}"
            ) from exc
    for obj, name in (
        (optimizer, OPTIMIZER_FILE),
        (scheduler, SCHEDULER_FILE),
        (scaler, SCALER_FILE),
    ):
        if obj is None:
            continue
        file = _check_file(ckpt, name, state, required=name != SCALER_FILE)
        if file is None:
            log.warning("%s has no %s; the gradient scaler starts fresh", ckpt, name)
            continue
        loaded = _torch_load(file, ckpt, map_location)
        try:
            obj.load_state_dict(loaded)
        except (ValueError, KeyError, RuntimeError, TypeError) as exc:
            raise CheckpointError(
                f"{file} does not fit this {type(obj).__name__} (different parameters or "
                f"settings than when it was saved): {exc}"
            ) from exc
    rng_file = _check_file(ckpt, RNG_FILE, state, required=False)
    data_file = _check_file(ckpt, DATA_FILE, state, required=False)
    return LoadedCheckpoint(
        path=ckpt,
        step=state["step"],
        trainer_state=state,
        rng_state=_torch_load(rng_file, ckpt, "cpu") if rng_file else None,
        data_state=_torch_load(data_file, ckpt, "cpu") if data_file else None,
    )


def list_checkpoints(directory: str | os.PathLike[str]) -> list[CheckpointInfo]:
    """Complete checkpoints in `directory`, oldest first. Temporary/partial ones are skipped."""
    root = Path(directory)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        match = _STEP_DIR.match(child.name)
        if match is None or not (child / STATE_FILE).is_file():
            continue
        metrics: dict[str, float] = {}
        try:
            data = json.loads((child / STATE_FILE).read_text(encoding="utf-8"))
            metrics = dict(data.get("metrics") or {})
        except (OSError, ValueError, AttributeError, TypeError):
            pass  # listed anyway; loading it will report exactly what is wrong
        found.append(CheckpointInfo(path=child, step=int(match.group(1)), metrics=metrics))
    return sorted(found, key=lambda c: c.step)


def latest_checkpoint(directory: str | os.PathLike[str]) -> Path | None:
    """The checkpoint named by the `latest` pointer, else the highest complete step."""
    root = Path(directory)
    pointer = root / LATEST_FILE
    if pointer.is_file():
        name = pointer.read_text(encoding="utf-8").strip()
        if _STEP_DIR.match(name) and (root / name / STATE_FILE).is_file():
            return root / name
    checkpoints = list_checkpoints(root)
    return checkpoints[-1].path if checkpoints else None


def _is_better(value: float, best: float | None, mode: str) -> bool:
    if not math.isfinite(value):
        return False
    if best is None:
        return True
    return value < best if mode == "min" else value > best


class CheckpointManager:
    """Saves numbered checkpoints into one directory, keeping the newest K and the best one.

    `best_metric` names a key of the `metrics` passed to `save` (e.g. "validation/loss");
    `best_mode` is "min" or "max". Only one process may write to a directory at a time
    (rank 0 in distributed training).
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        keep_last: int = 3,
        best_metric: str | None = None,
        best_mode: str = "min",
    ) -> None:
        if keep_last < 1:
            raise ValueError(f"keep_last must be >= 1, got {keep_last}")
        if best_mode not in ("min", "max"):
            raise ValueError(f"best_mode must be 'min' or 'max', got {best_mode!r}")
        self.directory = Path(directory)
        self.keep_last = keep_last
        self.best_metric = best_metric
        self.best_mode = best_mode
        self.directory.mkdir(parents=True, exist_ok=True)
        self._remove_leftovers()

    def _remove_leftovers(self) -> None:
        # Temporary directories of a writer that was killed mid-checkpoint, and temporary files
        # of one killed while replacing a small file here (e.g. the `latest` pointer).
        for child in self.directory.iterdir():
            if child.name.startswith((".tmp-", ".trash-")) and child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            elif child.is_file() and is_abandoned_temp(child):
                child.unlink(missing_ok=True)

    def list(self) -> list[CheckpointInfo]:
        return list_checkpoints(self.directory)

    def latest(self) -> Path | None:
        return latest_checkpoint(self.directory)

    def best(self) -> dict[str, Any] | None:
        """The best checkpoint: {"checkpoint": path, "step", "metric", "value", "mode"}, or None."""
        file = self.directory / BEST_FILE
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        path = self.directory / str(data.get("name", ""))
        if not (path / STATE_FILE).is_file() or data.get("metric") != self.best_metric:
            return None
        data["checkpoint"] = path
        return data

    def save(
        self,
        step: int,
        model: nn.Module,
        *,
        optimizer: torch.optim.Optimizer | None = None,
        scheduler: Any = None,
        scaler: Any = None,
        rng_state: dict[str, Any] | None = None,
        data_state: Any = None,
        trainer_state: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
    ) -> tuple[Path, bool]:
        """Write checkpoint `step`, update `latest` (and `best`), prune. Returns (path, is_best)."""
        state = dict(trainer_state or {})
        state["metrics"] = dict(metrics or {})
        path = write_checkpoint(
            self.directory / checkpoint_name(step),
            model,
            step=step,
            optimizer=optimizer,
            scheduler=scheduler,
            scaler=scaler,
            rng_state=rng_state,
            data_state=data_state,
            trainer_state=state,
        )
        atomic_write_text(self.directory / LATEST_FILE, path.name + "\n")
        is_best = False
        if self.best_metric is not None and metrics and self.best_metric in metrics:
            value = float(metrics[self.best_metric])
            current = self.best()
            if _is_better(value, None if current is None else current["value"], self.best_mode):
                is_best = True
                atomic_write_json(
                    self.directory / BEST_FILE,
                    {
                        "name": path.name,
                        "step": step,
                        "metric": self.best_metric,
                        "value": value,
                        "mode": self.best_mode,
                    },
                )
        self.prune()
        return path, is_best

    def rewind(self, step: int) -> list[Path]:
        """Resuming from `step`: checkpoints after it belong to the abandoned attempt. They
        move to `abandoned/` (kept for a look, never pruned or resumed by mistake), `latest`
        names `step`, and `best` is picked again among the checkpoints left. Returns where
        the moved ones went."""
        later = [c for c in self.list() if c.step > step]
        moved = []
        for info in later:
            target = self.directory / "abandoned" / info.path.name
            target.parent.mkdir(exist_ok=True)
            if target.exists():
                target = temp_sibling(target, "again")
            os.replace(info.path, target)
            moved.append(target)
        if not moved:
            return moved
        current = self.directory / checkpoint_name(step)
        if (current / STATE_FILE).is_file():
            atomic_write_text(self.directory / LATEST_FILE, current.name + "\n")
        if self.best_metric is not None and self.best() is None:
            (self.directory / BEST_FILE).unlink(missing_ok=True)
            best: CheckpointInfo | None = None
            for info in self.list():
                value = info.metrics.get(self.best_metric)
                if isinstance(value, (int, float)) and _is_better(
                    float(value),
                    None if best is None else best.metrics[self.best_metric],
                    self.best_mode,
                ):
                    best = info
            if best is not None:
                atomic_write_json(
                    self.directory / BEST_FILE,
                    {
                        "name": best.path.name,
                        "step": best.step,
                        "metric": self.best_metric,
                        "value": float(best.metrics[self.best_metric]),
                        "mode": self.best_mode,
                    },
                )
        return moved

    def prune(self) -> None:
        """Delete all but the newest `keep_last` checkpoints, always keeping the best one."""
        checkpoints = self.list()
        keep = {c.path.name for c in checkpoints[-self.keep_last :]}
        best = self.best()
        if best is not None:
            keep.add(best["checkpoint"].name)
        for info in checkpoints:
            if info.path.name not in keep:
                # Rename first so a crash mid-delete never leaves a half-deleted step-* dir.
                trash = temp_sibling(info.path, "trash")
                os.replace(info.path, trash)
                shutil.rmtree(trash, ignore_errors=True)
