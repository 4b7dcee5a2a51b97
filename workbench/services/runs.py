"""Runs for the UIs: list, curves, compare, export, TensorBoard, and the playgrounds
(classify, fill-mask) with a predictor cached per run. Any run directory works, whoever
started it: everything is read from the directory (`bert_engine.tracking`, `inference`)."""

from __future__ import annotations

import os
import shlex
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.services.run_meta import (
    LIVE,
    RenameResult,
    RunMeta,
    check_run_name,
    filter_runs,
    name_time,
    read_meta,
    refuse_live,
    rename_folder,
    timing,
    trash_folder,
    trashed,
    write_meta,
)
from workbench.services.workspace import Workspace, WorkspaceError, check_name

if TYPE_CHECKING:
    from workbench.services.manager import RunManager


@dataclass(frozen=True)
class RunInfo:
    """One run as every interface shows it. `run_id` is its folder name: the run's identity
    in the CLI, both UIs and on disk."""

    run_id: str
    path: Path
    name: str
    kind: str  # pretrain, finetune or unknown
    # starting, running, paused, stopping (this session's), finished, stopped, failed,
    # interrupted, unknown: see docs/tracking.md
    status: str
    step: int
    total_steps: int | None
    best: dict[str, float]  # metric -> best value
    last: dict[str, float]
    managed_id: str | None  # the RunManager id while this session trains it
    reason: str | None = None  # why it failed
    eval_metric: str | None = None  # the metric it picks its best checkpoint by
    best_value: float | None = None  # of eval_metric
    best_step: int | None = None
    test: dict[str, float] = field(default_factory=dict)  # final test-split metrics
    started: float | None = None  # POSIX time the run started (else was created)
    duration_s: float | None = None  # start to end; a live run's time so far
    tags: tuple[str, ...] = ()  # meta.json (services/run_meta.py)
    notes: str = ""

    @property
    def live(self) -> bool:
        return self.status in LIVE or self.managed_id is not None


def info_of(path: Path, state: Any = None, record: Any = None) -> RunInfo:
    """The `RunInfo` of one run folder (from its `tracking.RunRecord` when given); `state` (a
    manager `RunStatus`) is this session's live view of it, which wins while it is active."""
    from bert_engine.tracking import load_run

    record = record if record is not None else load_run(path)
    status = record.status
    active = state is not None and state.active
    if active:
        status = state.status
    started, duration = timing(record, active or status in LIVE)
    meta = read_meta(record.path)
    return RunInfo(
        run_id=record.run_id,
        path=record.path,
        name=record.name,
        kind=_kind(record.path),
        status=status,
        step=max(record.step, state.step if active else 0),
        total_steps=record.total_steps or (state.total_steps if active else None),
        best={k: v.get("value") for k, v in record.best.items() if isinstance(v, dict)},
        last=dict(record.last),
        managed_id=state.run_id if active else None,
        reason=record.reason if status == "failed" else None,
        eval_metric=record.eval_metric,
        best_value=record.best_value,
        best_step=record.best_step,
        test=dict(record.test),
        started=started,
        duration_s=duration,
        tags=meta.tags,
        notes=meta.notes,
    )


@dataclass
class Comparison:
    runs: list[str]
    # metric -> run id -> (steps, values): ready to overlay on one chart
    curves: dict[str, dict[str, tuple[list[int], list[float]]]]
    # "section.key" -> run id -> value, only for settings that differ between the runs
    config_diff: dict[str, dict[str, Any]]
    # metric -> run id -> {"last": ..., "best": ...}
    metrics: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)


@dataclass
class Classification:
    label: str
    probabilities: list[tuple[str, float]]  # most probable first
    tokens: list[str]


@dataclass
class MaskFill:
    position: int  # index in `tokens`
    candidates: list[tuple[str, float]]  # (token, probability), most probable first


@dataclass
class FillMaskOutput:
    tokens: list[str]
    masks: list[MaskFill]


class RunLibrary:
    def __init__(
        self, workspace: Workspace, manager: RunManager | None = None, max_predictors: int = 4
    ) -> None:
        self.workspace = workspace
        self.manager = manager
        self.max_predictors = max_predictors
        # run path -> ((checkpoint, mtime), Predictor), least recently used first
        self._predictors: OrderedDict[str, tuple[tuple[str, float], Any]] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ listing
    def path(self, run: str | Path) -> Path:
        """A run id (a folder name under the workspace's runs), or a `Path` to any run directory.

        Strings are always run ids (what a web form sends), so a crafted string cannot point
        the library at another folder; code that holds a path passes a `Path`."""
        if isinstance(run, Path):
            path = run
        else:
            path = self.workspace.path("runs", check_name(str(run), "run id"))
        if not path.is_dir():
            raise WorkspaceError(f"no run {str(run)!r} (looked for the folder {path})")
        return path.resolve()

    def list(self) -> list[RunInfo]:
        """Runs in the workspace, newest first, with live status for runs trained here."""
        from bert_engine.tracking import list_runs

        live = self._live()
        infos = [
            info_of(record.path, live.get(record.path.resolve()), record)
            # Confined, a link that leads out is skipped before anything in it is read.
            for record in list_runs(self.workspace.runs_dir, keep=self.workspace.sandbox.allows)
        ]
        # By start time (a renamed folder has no timestamp in its name), else the timestamp
        # in the name (a run that has not started yet).
        return sorted(infos, key=lambda r: r.started or name_time(r.run_id) or 0.0, reverse=True)

    def info(self, run: str | Path) -> RunInfo:
        """One run's `RunInfo` (status, step, best chosen metric, test scores)."""
        path = self.path(run)
        return info_of(path, self._live().get(path))

    def _live(self) -> dict[Path, Any]:
        """This session's newest view of each run folder it trains (or trained)."""
        live: dict[Path, Any] = {}
        if self.manager is not None:
            for status in self.manager.runs():
                if status.run_dir is not None:
                    live[status.run_dir.resolve()] = status
        return live

    # ------------------------------------------------------------------ organising
    @staticmethod
    def filter(runs: list[RunInfo], query: str | None) -> list[RunInfo]:
        """The runs matching `query` (words in id, name, kind, status, tags, notes; all must
        match; `tag:x`, `status:x`, `kind:x`): see `run_meta.matches`."""
        return filter_runs(runs, query)

    def set_meta(self, run: str | Path, tags: str | list[str], notes: str) -> RunMeta:
        """Store the run's tags (short words) and notes in its folder (meta.json)."""
        return write_meta(self.path(run), tags, notes)

    def meta(self, run: str | Path) -> RunMeta:
        return read_meta(self.path(run))

    def rename(self, run: str | Path, new_name: str) -> RenameResult:
        """Rename the run's folder (its identity) to `new_name`; refused while it is live, on a
        clash, or for an unsafe name. Other runs that name it are pointed at the new folder."""
        new_name = check_run_name(str(new_name))
        info = self.info(run)
        if info.run_id == new_name:
            raise WorkspaceError(f"the run is already named {new_name}")
        refuse_live(info, "rename")
        self._forget(info.path)
        return rename_folder(
            self.workspace.runs_dir, info.path, new_name, self.workspace.area("presets")
        )

    @property
    def trash_dir(self) -> Path:
        return self.workspace.root / "trash"

    def trash(self, run: str | Path) -> Path:
        """Move the run's folder to `<workspace>/trash/` (never deleted; `restore` brings it
        back); refused while it is live. Returns where it went."""
        info = self.info(run)
        refuse_live(info, "move to the trash")
        self._forget(info.path)
        return trash_folder(self.trash_dir, info.path)

    def trashed(self) -> list[str]:
        """Names of the runs in the trash."""
        return trashed(self.trash_dir)

    def restore(self, name: str) -> Path:
        """Move `trash/<name>` back into the runs folder (refused when a run has that name)."""
        name = check_name(str(name), "run name")
        source = self.trash_dir / name
        if not source.is_dir():
            raise WorkspaceError(f"there is no run {name!r} in the trash ({self.trash_dir})")
        self.workspace.ensure_inside(source)
        target = self.workspace.runs_dir / name
        if target.exists() or target.is_symlink():
            raise WorkspaceError(f"a run named {name} exists already; rename it first")
        os.rename(source, target)
        return target

    def _forget(self, path: Path) -> None:
        with self._lock:
            self._predictors.pop(str(path), None)

    def curves(self, run: str | Path) -> dict[str, tuple[list[int], list[float]]]:
        from bert_engine.tracking import read_curves

        return {k: (list(s), list(v)) for k, (s, v) in read_curves(self.path(run)).items()}

    def events(self, run: str | Path) -> list[Any]:
        from bert_engine.tracking import read_events

        return read_events(self.path(run))

    def compare(self, runs: list[str | Path]) -> Comparison:
        """Overlaid curves, differing settings and metrics of two or more runs."""
        from bert_engine.tracking import flatten_config, load_run, read_config

        if len(runs) < 2:
            raise WorkspaceError("pick at least two runs to compare")
        paths = [self.path(r) for r in runs]
        ids = [p.name for p in paths]
        if len(set(ids)) != len(ids):
            raise WorkspaceError("the same run is selected twice; pick different runs")
        configs = {i: flatten_config(read_config(p)) for i, p in zip(ids, paths, strict=True)}
        keys = sorted({k for c in configs.values() for k in c})
        diff = {
            k: {i: configs[i].get(k) for i in ids}
            for k in keys
            if len({repr(configs[i].get(k)) for i in ids}) > 1
        }
        curves: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
        metrics: dict[str, dict[str, dict[str, float | None]]] = {}
        for run_id, path in zip(ids, paths, strict=True):
            for metric, points in self.curves(path).items():
                curves.setdefault(metric, {})[run_id] = points
            record = load_run(path)
            for metric in set(record.last) | set(record.best):
                best = record.best.get(metric)
                metrics.setdefault(metric, {})[run_id] = {
                    "last": record.last.get(metric),
                    "best": best.get("value") if isinstance(best, dict) else None,
                }
        return Comparison(ids, curves, diff, metrics)

    # ------------------------------------------------------------------ export, tensorboard
    def export_hf(
        self, run: str | Path, name: str | None = None, *, overwrite: bool = False
    ) -> Path:
        """Write the run's best (else latest) model and its tokenizer as a HuggingFace folder
        under `<workspace>/exports/<name>` (default: the run id)."""
        from bert_engine.modeling.hf import export_hf

        path = self.path(run)
        folder = self.workspace.path("exports", check_name(name or path.name, "export name"))
        if folder.exists() and any(folder.iterdir()) and not overwrite:
            raise WorkspaceError(
                f"exports/{folder.name} already exists; choose another name or overwrite"
            )
        predictor = self.predictor(path)
        export_hf(predictor.model, folder, tokenizer=predictor.tokenizer)
        from bert_engine.model_card import write_model_card
        from workbench.services.use import step_of

        step = step_of(predictor.checkpoint) if predictor.checkpoint is not None else None
        write_model_card(folder, path, step=step, model_class=type(predictor.model).__name__)
        return folder

    def export_step(self, run: str | Path) -> int | None:
        """The step of the checkpoint `export_hf` writes (the best, else the latest)."""
        from bert_engine.inference import resolve_checkpoint
        from workbench.services.use import step_of

        return step_of(resolve_checkpoint(self.path(run)))

    def export_zip(
        self, run: str | Path, name: str | None = None, *, overwrite: bool = False
    ) -> Path:
        """`export_hf`, then that folder as one file to download: `exports/<name>.zip`, whose
        entries sit under `<name>/` (written to a temp file, then renamed)."""
        import os
        import tempfile
        import zipfile

        folder = self.export_hf(run, name, overwrite=overwrite)
        target = folder.with_name(folder.name + ".zip")
        fd, tmp = tempfile.mkstemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".part")
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in sorted(folder.rglob("*")):
                    if file.is_file():
                        archive.write(file, Path(folder.name) / file.relative_to(folder))
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        return target

    def tensorboard_command(self, run: str | Path | None = None, port: int = 6006) -> str:
        """The shell command that shows one run's (or every run's) scalars in TensorBoard."""
        logdir = self.path(run) / "tensorboard" if run is not None else self.workspace.runs_dir
        return f"tensorboard --logdir {shlex.quote(str(logdir))} --port {int(port)}"

    # ------------------------------------------------------------------ playgrounds
    def predictor(self, run: str | Path) -> Any:
        """The run's `Predictor` (cached; reloaded when a newer best/latest checkpoint exists)."""
        from bert_engine.inference import Predictor, resolve_checkpoint

        path = self.path(run)
        checkpoint = resolve_checkpoint(path)
        key = (str(checkpoint), (checkpoint / "model.safetensors").stat().st_mtime)
        with self._lock:
            cached = self._predictors.get(str(path))
            if cached is not None and cached[0] == key:
                self._predictors.move_to_end(str(path))
                return cached[1]
        predictor = Predictor.from_run(path, checkpoint=str(checkpoint))
        with self._lock:
            self._predictors[str(path)] = (key, predictor)
            self._predictors.move_to_end(str(path))
            while len(self._predictors) > self.max_predictors:  # bound the memory held
                self._predictors.popitem(last=False)
        return predictor

    def classify(self, run: str | Path, text: str, pair: str | None = None) -> Classification:
        predictor = self.predictor(run)
        result = predictor.classify([text], [pair] if pair is not None else None)[0]
        ranked = sorted(result.probabilities.items(), key=lambda kv: -kv[1])
        return Classification(result.label, ranked, list(result.tokens))

    def fill_mask(self, run: str | Path, text: str, top_k: int = 5) -> FillMaskOutput:
        predictor = self.predictor(run)
        result = predictor.fill_mask([text], top_k=top_k)[0]
        return FillMaskOutput(
            list(result.tokens),
            [
                MaskFill(m.position, [(c.token, c.probability) for c in m.candidates])
                for m in result.masks
            ],
        )

    def mask_token(self, run: str | Path) -> str:
        tok = self.predictor(run).tokenizer
        return tok.id_to_token(tok.mask_id) if tok.mask_id is not None else "[MASK]"


def has_checkpoint(run_dir: Path) -> bool:
    """Whether the run folder holds a complete checkpoint (something Try can load)."""
    from bert_engine.training.checkpoint import list_checkpoints

    return bool(list_checkpoints(run_dir / "checkpoints"))


def _kind(path: Path) -> str:
    if (path / "labels.json").is_file():
        return "finetune"
    if (path / "config.toml").is_file():
        return "pretrain"
    return "unknown"
