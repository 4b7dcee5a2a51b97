"""Run directories: where every run keeps its config, checkpoints, metrics and summary.

    runs/<name>-<UTC timestamp>/          e.g. runs/bert-tiny-20261125T183012Z/
        config.toml        the resolved experiment config (written by the caller via write_config)
        tokenizer.json     put there by the caller
        checkpoints/       see bert_engine.training.checkpoint
        metrics.jsonl      every event, one JSON object per line, appended and flushed
        tensorboard/       TensorBoard scalars (loss, lr, grad norm, throughput, eval metrics)
        summary.json       status, times, step, best and last metrics; replaced atomically

Any interface (CLI, TUI, web panel) can list, compare and read any run from these files
alone, whoever started it. A `Tracker` is just an event listener: the training loop does not
know it exists. A run whose process died without a final event is reported as "interrupted".
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import socket
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

import tomli_w

from bert_engine.errors import InputError
from bert_engine.files import atomic_write_json, atomic_write_text
from bert_engine.heartbeat import is_alive, pid_alive, read_heartbeat
from bert_engine.training.events import (
    TERMINAL_EVENTS,
    CheckpointEvent,
    EvalEvent,
    Event,
    ProbeEvent,
    StartedEvent,
    StepEvent,
    event_from_dict,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

log = logging.getLogger(__name__)

CONFIG_FILE = "config.toml"
METRICS_FILE = "metrics.jsonl"
SUMMARY_FILE = "summary.json"
CHECKPOINTS_DIR = "checkpoints"
TENSORBOARD_DIR = "tensorboard"
# What a run is, in the words every interface shows (see `run_state`).
STATUSES = (
    "starting",  # a live process prepares it (tokenizer, shards) or is resuming it
    "running",
    "paused",
    "finished",
    "stopped",  # stopped by the user; a checkpoint was written
    "failed",  # with the reason in summary.json
    "interrupted",  # its process died (killed, crashed, machine rebooted)
    "unknown",  # a folder with neither a summary nor a heartbeat
)
# Statuses summary.json may hold; "cancelled" was written before "stopped" existed.
_WRITTEN = ("running", "finished", "stopped", "failed", "cancelled")
_PRETRAIN_METRIC = "validation/loss"  # the pre-training workflow's best-checkpoint metric

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {
    f"{p}{i}" for p in ("COM", "LPT") for i in range(10)
}
_TIMESTAMP = re.compile(r"-(\d{8}T\d{6}Z)(?:-\d+)?$")


# ------------------------------------------------------------------------------------ names
def safe_name(name: str, max_length: int = 64) -> str:
    """A run name that is a valid directory name on Linux, macOS and Windows.

    Keeps letters (any script), digits, '-', '_' and '.'; everything else (path separators,
    spaces, `<>:"|?*`, control characters) becomes '-'. Leading dots (hidden files, '..') and
    trailing dots/spaces (dropped by Windows) are stripped; Windows device names such as CON
    or com1.txt get a trailing underscore. Never returns an empty string.
    """
    text = unicodedata.normalize("NFC", str(name))
    chars = [c if c.isalnum() or c in "-_." else "-" for c in text]
    cleaned = re.sub(r"-{2,}", "-", "".join(chars)).strip("-. ")
    cleaned = cleaned[:max_length].rstrip("-. ")
    if not cleaned:
        return "run"
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = cleaned.split(".")[0] + "_" + cleaned[len(cleaned.split(".")[0]) :]
    return cleaned


def utc_timestamp(when: datetime | None = None) -> str:
    """Compact, sortable, filename-safe UTC time: 20261125T183012Z."""
    when = when or datetime.now(timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _iso(ts: float | None = None, timespec: str = "seconds") -> str:
    when = datetime.fromtimestamp(time.time() if ts is None else ts, timezone.utc)
    return when.isoformat(timespec=timespec)


def _parse_iso(text: Any) -> float | None:
    try:
        return datetime.fromisoformat(str(text)).timestamp()
    except ValueError:
        return None


# ----------------------------------------------------------------------------- run folders
def create_run(
    root: str | os.PathLike[str],
    name: str,
    config: Mapping[str, Any] | None = None,
    when: datetime | None = None,
) -> Path:
    """Create `root/<safe name>-<UTC timestamp>/` (with checkpoints/) and write its config.

    Two runs started in the same second get `-2`, `-3`... suffixes instead of colliding.
    """
    base = Path(root)
    base.mkdir(parents=True, exist_ok=True)
    stem = f"{safe_name(name)}-{utc_timestamp(when)}"
    for attempt in range(1, 1000):
        run_dir = base / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            run_dir.mkdir()  # atomic claim: fails if another process took the name
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"could not find a free run directory name for {stem} in {base}")
    (run_dir / CHECKPOINTS_DIR).mkdir()
    if config is not None:
        write_config(run_dir, config)
    return run_dir


def _toml_ready(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        # TOML has no null: a None setting is left out (reading it back gives the default).
        return {
            str(k): _toml_ready(v, f"{where}.{k}" if where else str(k))
            for k, v in value.items()
            if v is not None
        }
    if isinstance(value, (list, tuple)):
        return [_toml_ready(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (str, int, float, bool, datetime)):
        return value
    raise ValueError(
        f"config value at {where!r} has type {type(value).__name__}, which TOML cannot store; "
        "convert it to a string, number, boolean, list or table first"
    )


def write_config(run_dir: str | os.PathLike[str], config: Mapping[str, Any]) -> Path:
    """Write the resolved config as `config.toml` (atomically)."""
    path = Path(run_dir) / CONFIG_FILE
    atomic_write_text(path, tomli_w.dumps(_toml_ready(config, "")))
    return path


def read_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The run's config.toml as a dict ({} when the run has none)."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid TOML: {exc}") from exc


def metric_mode(name: str) -> str:
    """Whether lower ('min') or higher ('max') is better, guessed from the metric's name."""
    lowered = name.lower()
    return "min" if any(k in lowered for k in ("loss", "perplexity", "ppl", "error")) else "max"


# -------------------------------------------------------------------------------- tracker
class Tracker:
    """Event listener that records a run into its directory.

    Writes metrics.jsonl (every event), TensorBoard scalars and summary.json. While a run is
    going, a heartbeat thread refreshes summary.json every `heartbeat_s` seconds, so other
    processes can tell a live (even paused) run from one whose process died.
    Use as a context manager, or call `close()` when done.
    """

    def __init__(
        self,
        run_dir: str | os.PathLike[str],
        *,
        tensorboard: bool = True,
        heartbeat_s: float = 15.0,
        summary_every_s: float = 5.0,
        metric_modes: Mapping[str, str] | None = None,
    ) -> None:
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.tensorboard = tensorboard
        self.heartbeat_s = heartbeat_s
        self.summary_every_s = summary_every_s
        self.metric_modes = dict(metric_modes or {})
        self._lock = threading.Lock()
        self._metrics: IO[str] | None = None
        self._writer: Any = None
        self._ended = False  # a terminal event came (and closed the files)
        self._heartbeat: threading.Thread | None = None
        self._stop_heartbeat = threading.Event()
        self._last_summary_write = 0.0
        self.summary: dict[str, Any] = self._initial_summary()

    def _initial_summary(self) -> dict[str, Any]:
        existing = read_summary(self.run_dir)  # resuming into an existing run keeps its history
        summary: dict[str, Any] = {
            "name": _name_of(self.run_dir),
            "run_id": self.run_dir.name,
            "status": "running",
            "created": _iso(),
            "started": None,
            "ended": None,
            "heartbeat": _iso(),
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "step": 0,
            "total_steps": None,
            "device": None,
            "reason": None,
            "best": {},
            "last": {},
            "last_checkpoint": None,
            "best_checkpoint": None,
            "elapsed_s": 0.0,
            "paused": False,
        }
        if existing:
            summary.update({k: v for k, v in existing.items() if k in summary})
            summary.update(status="running", pid=os.getpid(), hostname=socket.gethostname())
        return summary

    # ---- listener
    def __call__(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, StartedEvent):
                self._ended = False
                self._open(event)
            self._append(event)
            self._update(event)
            self._scalars(event)
            urgent = not isinstance(event, StepEvent)
            if urgent or time.monotonic() - self._last_summary_write >= self.summary_every_s:
                self._write_summary()
            if event.kind in TERMINAL_EVENTS:
                self._ended = True
                self._close_files()
        if event.kind in TERMINAL_EVENTS:
            self._stop_heartbeat_thread()

    def _open(self, event: StartedEvent) -> None:
        if event.resumed and self._metrics is None:
            # Events the interrupted attempt logged after the checkpoint are an abandoned
            # branch: drop them, so every step is in the file once and curves stay continuous.
            kept = cut_metrics(self.run_dir, event.step)
            self._rebuild_records(kept)
        if self._metrics is None:
            self._metrics = open(self.run_dir / METRICS_FILE, "a", encoding="utf-8")  # noqa: SIM115
        if self.tensorboard and self._writer is None:
            # On resume, drop TensorBoard points past the checkpoint (an abandoned branch).
            self._open_writer(purge_step=event.step + 1 if event.resumed else None)
        if self._heartbeat is None or not self._heartbeat.is_alive():
            self._stop_heartbeat.clear()
            self._heartbeat = threading.Thread(
                target=self._beat, name=f"heartbeat-{self.run_dir.name}", daemon=True
            )
            self._heartbeat.start()

    def _open_writer(self, purge_step: int | None = None) -> None:
        from torch.utils.tensorboard import SummaryWriter  # slow import: only when used

        self._writer = SummaryWriter(
            str(self.run_dir / TENSORBOARD_DIR), purge_step=purge_step, flush_secs=10
        )

    def _append(self, event: Event) -> None:
        if self._metrics is None:  # an event before `started`: still recorded
            self._metrics = open(self.run_dir / METRICS_FILE, "a", encoding="utf-8")  # noqa: SIM115
        self._metrics.write(event.to_json() + "\n")
        self._metrics.flush()

    def _update(self, event: Event) -> None:
        s = self.summary
        s["heartbeat"] = _iso(timespec="milliseconds")
        step = getattr(event, "step", None)
        # After the end, an evaluation of the best checkpoint (a fine-tune's test split) names
        # that checkpoint's step: the run's step stays where training ended.
        if isinstance(step, int) and not (self._ended and step < int(s.get("step") or 0)):
            s["step"] = step
        if isinstance(event, StartedEvent):
            s.update(status="running", total_steps=event.total_steps, device=event.device)
            s["started"] = s["started"] or _iso(event.time)
            s.update(ended=None, reason=None, pid=os.getpid())
        elif isinstance(event, StepEvent):
            values = {"train/loss": event.loss, "train/lr": event.lr}
            if event.grad_norm is not None:
                values["train/grad_norm"] = event.grad_norm
            if event.tokens_per_s is not None:
                values["train/tokens_per_s"] = event.tokens_per_s
            values.update({f"train/{k}": v for k, v in event.metrics.items()})
            self._record(values, event.step, best_of=("train/loss",))
            s["elapsed_s"] = event.elapsed_s
        elif isinstance(event, EvalEvent):
            values = {f"{event.split}/{k}": v for k, v in event.metrics.items()}
            self._record(values, event.step, best_of=tuple(values))
        elif event.kind in ("paused", "resumed"):
            s["paused"] = event.kind == "paused"
        elif isinstance(event, CheckpointEvent):
            s["last_checkpoint"] = event.path
            if event.is_best:
                s["best_checkpoint"] = event.path
        elif event.kind in TERMINAL_EVENTS:
            s["status"] = "stopped" if event.kind == "cancelled" else event.kind
            s["paused"] = False
            s["ended"] = _iso(event.time)
            s["reason"] = getattr(event, "reason", None)
            if getattr(event, "checkpoint", None):
                s["last_checkpoint"] = event.checkpoint

    def _rebuild_records(self, events: list[Event]) -> None:
        """Best and last values from the events kept after a cut (not the abandoned ones)."""
        self.summary["best"], self.summary["last"] = {}, {}
        for event in events:
            values = {k: v for k, v in event_scalars(event).items() if v is not None}
            if values:
                best_of = ("train/loss",) if isinstance(event, StepEvent) else tuple(values)
                self._record(values, event.step, best_of)

    def _record(self, values: Mapping[str, float], step: int, best_of: tuple[str, ...]) -> None:
        last, best = self.summary["last"], self.summary["best"]
        for name, value in values.items():
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                continue
            last[name] = value
            if name not in best_of:
                continue
            mode = self.metric_modes.get(name) or metric_mode(name)
            current = best.get(name)
            if current is None or (
                value < current["value"] if mode == "min" else value > current["value"]
            ):
                best[name] = {"value": value, "step": step, "mode": mode}

    def _scalars(self, event: Event) -> None:
        scalars = {
            k: v for k, v in event_scalars(event).items() if v is not None and math.isfinite(v)
        }
        if self._writer is None and scalars and self.tensorboard and self._ended:
            # An event after the terminal one (a fine-tuning run's test evaluation): the
            # terminal event closed the writer; reopen it so that TensorBoard has every curve
            # metrics.jsonl has. `close()` closes it again.
            self._open_writer()
        if self._writer is None:
            return
        for tag, value in scalars.items():
            self._writer.add_scalar(tag, value, event.step)
        if isinstance(event, ProbeEvent):
            self._writer.add_text("probes", probe_markdown(event), event.step)
        if isinstance(event, (EvalEvent, ProbeEvent)):
            self._writer.flush()

    def _write_summary(self) -> None:
        # Not fsynced: the rename keeps it consistent across crashes, and a summary that is a
        # few seconds old after a power cut is harmless (metrics.jsonl has every event).
        atomic_write_json(self.run_dir / SUMMARY_FILE, _json_safe(self.summary), durable=False)
        self._last_summary_write = time.monotonic()

    def _beat(self) -> None:
        while not self._stop_heartbeat.wait(self.heartbeat_s):
            with self._lock:
                if self.summary["status"] != "running":
                    return
                self.summary["heartbeat"] = _iso(timespec="milliseconds")
                try:
                    self._write_summary()
                except OSError as exc:  # a full disk must not kill the thread silently
                    log.warning("could not refresh %s: %s", self.run_dir / SUMMARY_FILE, exc)

    def _close_files(self) -> None:
        if self._metrics is not None:
            self._metrics.close()
            self._metrics = None
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _stop_heartbeat_thread(self) -> None:
        self._stop_heartbeat.set()
        thread = self._heartbeat
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._heartbeat = None

    def close(self) -> None:
        """Stop the heartbeat and close files. A run still 'running' stays so on disk: if the
        process then exits, `list_runs` reports it as interrupted."""
        self._stop_heartbeat_thread()
        with self._lock:
            self._write_summary()
            self._close_files()

    def __enter__(self) -> Tracker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


PROJECTOR_TOKENS = 5000  # TensorBoard's projector reads a TSV: a few thousand rows stay quick
PROJECTOR_TAG = "word_embeddings"


def write_projector(
    run_dir: str | Path,
    weights: Any,
    tokens: Sequence[str],
    step: int,
    limit: int = PROJECTOR_TOKENS,
) -> Path:
    """The input embeddings of the first `limit` tokens (a trained vocabulary's most frequent
    pieces come first) with their tokens as labels, for TensorBoard's projector tab
    (`SummaryWriter.add_embedding`); returns the TensorBoard folder."""
    from torch.utils.tensorboard import SummaryWriter  # slow import: only when used

    count = min(limit, len(tokens), int(weights.shape[0]))
    # One label per line of a TSV: whitespace inside a token would break the rows.
    labels = [" ".join(t.split()) or repr(t) for t in tokens[:count]]
    folder = Path(run_dir) / TENSORBOARD_DIR
    with SummaryWriter(str(folder)) as writer:
        writer.add_embedding(
            weights[:count].detach().float().cpu(),
            metadata=labels,
            tag=PROJECTOR_TAG,
            global_step=step,
        )
    return folder


def probe_markdown(event: ProbeEvent) -> str:
    """A probe event as a Markdown table (TensorBoard's Text tab renders it)."""
    rows = ["| sentence | true word | rank | top predictions |", "| --- | --- | ---: | --- |"]
    for probe in event.probes:
        top = ", ".join(f"`{token}` {p:.2f}" for token, p in probe["top"])
        text = str(probe["text"]).replace("|", "\\|")
        rank = "" if probe.get("rank") is None else str(probe["rank"])
        rows.append(f"| {text} | {probe.get('answer') or ''} | {rank} | {top} |")
    return "\n".join(rows)


def event_scalars(event: Event) -> dict[str, float | None]:
    """The curve points an event carries: 'train/loss', ... for a step, '<split>/<metric>' for
    an evaluation; none for other events. TensorBoard and `read_curves` both use these names."""
    if isinstance(event, StepEvent):
        values: dict[str, float | None] = {
            "train/loss": event.loss,
            "train/lr": event.lr,
            "train/grad_norm": event.grad_norm,
            "train/tokens_per_s": event.tokens_per_s,
            "train/examples_per_s": event.examples_per_s,
        }
        values.update({f"train/{k}": v for k, v in event.metrics.items()})
        return values
    if isinstance(event, EvalEvent):
        return {f"{event.split}/{k}": v for k, v in event.metrics.items()}
    return {}


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def _name_of(run_dir: Path) -> str:
    """The run name without its timestamp suffix."""
    return _TIMESTAMP.sub("", run_dir.name) or run_dir.name


# ------------------------------------------------------------------------------- runs API
def read_summary(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """summary.json as a dict ({} when missing or unreadable)."""
    try:
        data = json.loads((Path(run_dir) / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_status(
    summary: Mapping[str, Any],
    stale_after_s: float = 120.0,
    run_dir: str | os.PathLike[str] | None = None,
) -> str:
    """The status to show (one of `STATUSES`), from summary.json and, with `run_dir`, the
    run's heartbeat file.

    A live heartbeat (its process exists) makes the run starting (being prepared or resumed:
    the summary is not this process's yet), running or paused. Without one, a summary that
    still says running is interrupted when its process is gone (same host) or its own
    heartbeat is older than `stale_after_s` (another host); a leftover heartbeat of a dead
    process with no summary is interrupted too.
    """
    status = summary.get("status")
    beat = read_heartbeat(run_dir) if run_dir is not None else None
    if beat is not None and is_alive(run_dir):  # type: ignore[arg-type]
        # The summary is this attempt's when the live owner wrote it after taking the run;
        # otherwise (preparing, or an old attempt's summary while resuming) it is starting.
        written, since = _parse_iso(summary.get("heartbeat")), _parse_iso(beat.get("since"))
        mine = summary.get("pid") == beat.get("pid") and summary.get("hostname") == beat.get(
            "hostname"
        )
        if not (mine and written is not None and since is not None and written >= since):
            return "starting"
        if status == "running":
            return "paused" if summary.get("paused") else "running"
        return "stopped" if status == "cancelled" else str(status or "starting")
    if status not in _WRITTEN:
        return "interrupted" if beat is not None else "unknown"
    if status == "cancelled":
        return "stopped"
    if status != "running":
        return str(status)
    if beat is not None:  # the heartbeat's process is gone
        return "interrupted"
    pid = summary.get("pid")
    if summary.get("hostname") == socket.gethostname() and isinstance(pid, int):
        if not pid_alive(pid):
            return "interrupted"
    last = _parse_iso(summary.get("heartbeat"))
    if last is None or time.time() - last > stale_after_s:
        return "interrupted"
    return "paused" if summary.get("paused") else "running"


def record_failure(
    run_dir: str | os.PathLike[str], reason: str, before: Mapping[str, Any] | None = None
) -> None:
    """Mark a run failed with `reason` in its summary.json, unless the run's tracker already
    recorded how it ended since `before` (the summary when this attempt took the run)."""
    path = Path(run_dir)
    summary = read_summary(path)
    ended = summary.get("status") in ("finished", "stopped", "failed", "cancelled")
    if ended and before is not None and summary != dict(before):
        return
    summary.update(
        name=summary.get("name") or _name_of(path),
        run_id=path.name,
        status="failed",
        reason=reason,
        ended=_iso(),
        pid=os.getpid(),
        hostname=socket.gethostname(),
        paused=False,
    )
    atomic_write_json(path / SUMMARY_FILE, _json_safe(summary), durable=False)


def cut_metrics(run_dir: str | os.PathLike[str], step: int) -> list[Event]:
    """Cut metrics.jsonl back to `step` (a checkpoint being resumed): events after it, and
    unreadable lines (a line cut by a kill), are dropped; written to a temp file, then
    renamed over. Returns the events kept."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    kept_lines: list[str] = []
    kept: list[Event] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            try:
                event = event_from_dict(json.loads(line))
            except (ValueError, TypeError):
                continue
            at = getattr(event, "step", None)
            if isinstance(at, int) and at > step:
                continue
            kept.append(event)
            kept_lines.append(line if line.endswith("\n") else line + "\n")
    atomic_write_text(path, "".join(kept_lines))
    return kept


@dataclass
class RunRecord:
    path: Path
    run_id: str
    name: str
    status: str
    created: str | None = None
    started: str | None = None
    ended: str | None = None
    step: int = 0
    total_steps: int | None = None
    reason: str | None = None
    best: dict[str, Any] = field(default_factory=dict)
    last: dict[str, float] = field(default_factory=dict)
    last_checkpoint: str | None = None
    best_checkpoint: str | None = None
    # The metric the run picks its best checkpoint by ("validation/accuracy"), its best value
    # and step, and the final test-split metrics ({"test/accuracy": 0.9}) when it has them.
    eval_metric: str | None = None
    best_value: float | None = None
    best_step: int | None = None
    test: dict[str, float] = field(default_factory=dict)


def eval_metric_of(run_dir: str | os.PathLike[str]) -> str:
    """The metric a run chose for its best checkpoint: fine-tuning's `finetune.eval_metric`
    (from results.json, else config.toml), pre-training's validation loss."""
    path = Path(run_dir)
    if not (path / "labels.json").is_file():
        return _PRETRAIN_METRIC
    try:
        results = json.loads((path / "results.json").read_text(encoding="utf-8"))
        name = results.get("eval_metric") if isinstance(results, dict) else None
    except (OSError, ValueError):
        name = None
    if not name:
        try:
            name = (read_config(path).get("finetune") or {}).get("eval_metric")
        except ValueError:
            name = None
    return f"validation/{name or 'accuracy'}"


def load_run(run_dir: str | os.PathLike[str], stale_after_s: float = 120.0) -> RunRecord:
    path = Path(run_dir)
    summary = read_summary(path)
    best = dict(summary.get("best") or {})
    last = dict(summary.get("last") or {})
    metric = eval_metric_of(path)
    chosen = best.get(metric) if isinstance(best.get(metric), dict) else None
    return RunRecord(
        path=path,
        run_id=path.name,
        name=str(summary.get("name") or _name_of(path)),
        status=run_status(summary, stale_after_s, path),
        created=summary.get("created"),
        started=summary.get("started"),
        ended=summary.get("ended"),
        step=int(summary.get("step") or 0),
        total_steps=summary.get("total_steps"),
        reason=summary.get("reason"),
        best=best,
        last=last,
        last_checkpoint=summary.get("last_checkpoint"),
        best_checkpoint=summary.get("best_checkpoint"),
        eval_metric=metric,
        best_value=chosen.get("value") if chosen else None,
        best_step=chosen.get("step") if chosen else None,
        test={k: v for k, v in last.items() if k.startswith("test/")},
    )


def list_runs(
    root: str | os.PathLike[str],
    stale_after_s: float = 120.0,
    *,
    keep: Callable[[Path], bool] | None = None,
) -> list[RunRecord]:
    """Every run directory under `root`, newest first; `keep(path)`, when given, decides before
    anything inside a folder is read (the web panel skips links that lead out)."""
    base = Path(root)
    if not base.is_dir():
        return []
    records = []
    for child in base.iterdir():
        if keep is not None and not keep(child):
            continue
        if (
            child.is_dir()
            and not child.name.startswith(".")
            and (
                (child / SUMMARY_FILE).exists()
                or (child / CONFIG_FILE).exists()
                or (child / CHECKPOINTS_DIR).is_dir()
            )
        ):
            records.append(load_run(child, stale_after_s))

    # The UTC timestamp in the name sorts chronologically; ties by name.
    def key(r: RunRecord) -> tuple[str, str]:
        match = _TIMESTAMP.search(r.run_id)
        return (match.group(1) if match else "", r.run_id)

    return sorted(records, key=key, reverse=True)


def read_events(run_dir: str | os.PathLike[str]) -> list[Event]:
    """All events of metrics.jsonl. Unreadable lines (e.g. the last line of a run killed
    mid-write) are skipped with a warning instead of failing the whole file."""
    path = Path(run_dir) / METRICS_FILE
    if not path.is_file():
        return []
    events: list[Event] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                events.append(event_from_dict(json.loads(line)))
            except (ValueError, TypeError) as exc:
                log.warning("%s line %d skipped: %s", path, number, exc)
    return events


Curves = dict[str, tuple[list[int], list[float]]]


def read_curves(run_dir: str | os.PathLike[str]) -> Curves:
    """metric name -> (steps, values) from metrics.jsonl, e.g. 'train/loss', 'validation/accuracy'.

    When a run was resumed from an earlier checkpoint, points logged after that checkpoint by
    the interrupted attempt are dropped, so each curve is the trajectory the model really took.
    """
    points: dict[str, dict[int, float]] = {}
    for event in read_events(run_dir):
        if isinstance(event, StartedEvent) and event.resumed:
            for series in points.values():
                for step in [s for s in series if s > event.step]:
                    del series[step]
            continue
        for name, value in event_scalars(event).items():
            if value is not None:
                points.setdefault(name, {})[event.step] = float(value)
    curves: Curves = {}
    for name, series in points.items():
        steps = sorted(series)
        curves[name] = (steps, [series[s] for s in steps])
    return curves


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """{'model': {'hidden': 64}} -> {'model.hidden': 64}."""
    flat: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten_config(value, name + "."))
        else:
            flat[name] = value
    return flat


@dataclass
class RunComparison:
    a: RunRecord
    b: RunRecord
    # Only the settings that differ: key -> (value in a, value in b); None = not set there.
    config_diff: dict[str, tuple[Any, Any]]
    # metric -> {"a_last", "b_last", "a_best", "b_best"} (None where a run lacks it).
    metrics: dict[str, dict[str, float | None]]


def compare_runs(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> RunComparison:
    """Config differences and final / best metrics of two runs side by side."""
    for path in (a, b):
        if not Path(path).is_dir():
            raise FileNotFoundError(f"run directory {path} does not exist")
    flat_a, flat_b = flatten_config(read_config(a)), flatten_config(read_config(b))
    diff = {
        key: (flat_a.get(key), flat_b.get(key))
        for key in sorted(set(flat_a) | set(flat_b))
        if flat_a.get(key) != flat_b.get(key)
    }
    ra, rb = load_run(a), load_run(b)
    metrics: dict[str, dict[str, float | None]] = {}
    for name in sorted(set(ra.last) | set(rb.last) | set(ra.best) | set(rb.best)):
        metrics[name] = {
            "a_last": ra.last.get(name),
            "b_last": rb.last.get(name),
            "a_best": (ra.best.get(name) or {}).get("value"),
            "b_best": (rb.best.get(name) or {}).get("value"),
        }
    return RunComparison(a=ra, b=rb, config_diff=diff, metrics=metrics)
