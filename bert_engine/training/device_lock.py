"""One training per device across processes: a lock file per device in the runs folder.

    <runs>/.device-cpu.lock     {"pid": 4242, "hostname": "box", "run": "tiny-2026...Z",
                                 "device": "cpu", "time": "2026-12-03T08:00:00+00:00"}

The CLI, the TUI and the web panel all train through the workflows (`run_pretraining`,
`finetune`), which take the lock for the device they train on, so two trainings of one
workspace never share a device by accident, whichever interface started them. A lock whose
owner died (same host: its PID is gone; another host: the run's heartbeat is stale) is taken
over. `allow_shared=True` (`--allow-shared-device`) trains anyway: the lock is taken when free
and ignored when held.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bert_engine.files import atomic_write_json
from bert_engine.heartbeat import is_alive, owner_alive, pid_alive
from bert_engine.training.loop import TrainingError


class DeviceBusyError(TrainingError):
    """Another live training of this workspace holds the device."""


def device_key(requested: str) -> str:
    """The device a run will use, as one comparable string ("cpu", "cuda:0", "mps")."""
    import torch

    from bert_engine.training.device import select_device

    device = select_device(requested)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    return str(device)


def lock_path(runs_dir: str | os.PathLike[str], device: str) -> Path:
    # A hidden file, not a folder: run lists skip it. ':' is not allowed on Windows ("cuda:0").
    return Path(runs_dir) / f".device-{device.replace(':', '-')}.lock"


def read_lock(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {}  # being written, or garbage: judged by its age below
    return data if isinstance(data, dict) else {}


def _is_stale(path: Path, record: dict[str, Any]) -> bool:
    """Whether the lock's owner is gone."""
    if not record:  # unreadable: a writer died between create and write, or one is writing
        try:
            return path.stat().st_mtime < datetime.now().timestamp() - 10
        except FileNotFoundError:
            return True
    pid = record.get("pid")
    if record.get("hostname") == socket.gethostname() and isinstance(pid, int):
        return not pid_alive(pid)
    # Another machine sharing the disk: trust the run's own heartbeat, else the lock's age.
    run = record.get("run")
    if isinstance(run, str) and run and (path.parent / run).is_dir():
        return not is_alive(path.parent / run)
    return not owner_alive(record)


def holder(runs_dir: str | os.PathLike[str], device: str) -> dict[str, Any] | None:
    """The live owner of the device's lock ({pid, hostname, run, ...}), or None when free."""
    path = lock_path(runs_dir, device)
    record = read_lock(path)
    if record is None or _is_stale(path, record):
        return None
    return record


def describe_holder(device: str, record: dict[str, Any]) -> str:
    run = record.get("run") or "a run"
    return (
        f"device {device} is busy: run {run} is training on it (process {record.get('pid')} "
        f"on {record.get('hostname')})"
    )


class DeviceLock:
    """The lock of one device in one runs folder; `acquire()` or use as a context manager."""

    def __init__(
        self,
        runs_dir: str | os.PathLike[str],
        device: str,
        run: str,
        *,
        allow_shared: bool = False,
    ) -> None:
        self.path = lock_path(runs_dir, device)
        self.device = device
        self.run = run
        self.allow_shared = allow_shared
        self.held = False

    def _record(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "run": self.run,
            "device": self.device,
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }

    def _create(self) -> bool:
        """Create the lock file if none exists (atomic: O_EXCL); True when it is ours."""
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(self._record(), fh)
        return True

    def _take_over(self, stale: dict[str, Any]) -> None:
        """Move a stale lock aside (a rename succeeds for one process only) and check it was
        the stale one, not a lock another process created in between; put that one back."""
        aside = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}")
        try:
            os.replace(self.path, aside)
        except FileNotFoundError:
            return  # someone else moved it first
        if read_lock(aside) != stale and stale:
            try:
                os.link(aside, self.path)  # a fresh lock: restore it (fails if another exists)
            except OSError:
                pass
        aside.unlink(missing_ok=True)

    def acquire(self) -> DeviceLock:
        """Take the lock, or raise DeviceBusyError naming the run that holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # a few rounds: another process may take over at the same time
            if self._create():
                self.held = True
                return self
            record = read_lock(self.path)
            if record is None:
                continue  # released in between
            if not _is_stale(self.path, record):
                if self.allow_shared:
                    return self  # trains alongside; the holder keeps the lock
                raise DeviceBusyError(
                    f"{describe_holder(self.device, record)}; wait for it or stop it, or pass "
                    "--allow-shared-device to train side by side (slower for both)"
                )
            self._take_over(record)
        raise DeviceBusyError(f"could not take the lock {self.path}; try again")

    def update(self, run: str) -> None:
        """Name the run folder once it exists."""
        self.run = run
        if self.held:
            atomic_write_json(self.path, self._record(), durable=False)

    def release(self) -> None:
        if not self.held:
            return
        self.held = False
        record = read_lock(self.path)
        if record and record.get("pid") == os.getpid() and record.get("run") == self.run:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> DeviceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
