"""A live run's heartbeat: `heartbeat.json` in its run folder, rewritten every few seconds by
the process that trains it and removed when that process lets go of the run.

    {"pid": 4242, "hostname": "box", "since": "2026-12-03T08:00:00.020+00:00",
     "time": "2026-12-03T08:00:05.120+00:00", "interval_s": 5}

`since` is when the process took the run: a summary.json written after it is this attempt's.

Any reader (the CLI's `runs list`, the TUI, the web panel, another machine sharing the disk)
tells a live run from a dead one with `is_alive`: same host, the process must exist; another
host, the file must be fresh. A file left behind by a killed process names a dead PID, so the
run reads as interrupted, never as running. The file exists from the moment a run folder is
claimed (tokenizer training, shard building, loading a checkpoint to resume), so a run being
prepared or resumed reads as starting, not as unknown or interrupted.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bert_engine.files import atomic_write_json

log = logging.getLogger(__name__)

HEARTBEAT_FILE = "heartbeat.json"
INTERVAL_S = 5.0
STALE_AFTER_S = 60.0  # for a heartbeat written on another host (no PID to check)


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists on this machine."""
    if os.name == "nt":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists, owned by someone else
    return True


def owner_alive(record: dict[str, Any], stale_after_s: float = STALE_AFTER_S) -> bool:
    """Whether the process a {pid, hostname, time} record names is alive: by PID on this host,
    by the record's age on another one."""
    pid = record.get("pid")
    if record.get("hostname") == socket.gethostname() and isinstance(pid, int):
        return pid_alive(pid)
    try:
        written = datetime.fromisoformat(str(record.get("time"))).timestamp()
    except ValueError:
        return False
    return time.time() - written <= stale_after_s


def read_heartbeat(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The run's heartbeat record, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(run_dir) / HEARTBEAT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_alive(run_dir: str | os.PathLike[str], stale_after_s: float = STALE_AFTER_S) -> bool:
    """Whether a live process holds the run now."""
    record = read_heartbeat(run_dir)
    return record is not None and owner_alive(record, stale_after_s)


class Heartbeat:
    """Writes `heartbeat.json` in `run_dir` now and every `interval_s` seconds from a daemon
    thread, until `close()` (which removes the file). Use as a context manager."""

    def __init__(self, run_dir: str | os.PathLike[str], interval_s: float = INTERVAL_S) -> None:
        self.path = Path(run_dir) / HEARTBEAT_FILE
        self.interval_s = interval_s
        self.since = _now_iso()
        self._stop = threading.Event()
        self._beat()
        self._thread = threading.Thread(
            target=self._loop, name=f"heartbeat-file-{Path(run_dir).name}", daemon=True
        )
        self._thread.start()

    def _beat(self) -> None:
        record = {
            "pid": os.getpid(),
            "hostname": socket.gethostname(),
            "since": self.since,
            "time": _now_iso(),
            "interval_s": self.interval_s,
        }
        try:
            atomic_write_json(self.path, record, durable=False)
        except OSError as exc:  # a full disk must not end the run; readers fall back
            log.warning("could not write %s: %s", self.path, exc)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self.path.parent.is_dir():
                self._beat()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
