"""RunsWatcher: notice cheaply that the runs folder changed, whoever changed it (this process,
the CLI, another UI), so run lists refresh by themselves.

    watcher = RunsWatcher(services.workspace.runs_dir)
    if watcher.poll():          # every second or two, from a timer or a worker thread
        refresh_the_list()

A poll lists the runs folder once and stats three small files per run (summary.json,
metrics.jsonl, heartbeat.json); for a run with a heartbeat it also checks that the owning
process still lives, so a killed run turns "interrupted" without anything writing a file. No
file is read, so polling a folder of hundreds of runs every second costs microseconds a run.
Several viewers share one watcher through `version` (bumped on every change): each keeps the
version it last drew and redraws when it differs.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

WATCHED = ("summary.json", "metrics.jsonl")
HEARTBEAT = "heartbeat.json"


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _owner_alive(path: Path) -> bool:
    from bert_engine.heartbeat import is_alive  # torch-free, small

    return is_alive(path.parent)


class RunsWatcher:
    """Tells whether anything a run list shows may have changed since the last poll."""

    def __init__(self, runs_dir: str | os.PathLike[str]) -> None:
        self.runs_dir = Path(runs_dir)
        self.version = 0
        self._lock = threading.Lock()
        # The state now: what changes after this (even before the first poll) is news.
        self._seen = self.signature()

    def signature(self) -> dict[str, Any]:
        found: dict[str, Any] = {}
        try:
            children = list(os.scandir(self.runs_dir))
        except OSError:
            return found
        for entry in children:
            if entry.name.startswith(".") or not entry.is_dir():
                continue
            folder = Path(entry.path)
            stamps = tuple(_stamp(folder / name) for name in WATCHED)
            beat = folder / HEARTBEAT
            # The heartbeat's own rewrites are not news; its appearing, going, or its
            # process dying is.
            live = _owner_alive(beat) if beat.exists() else None
            found[entry.name] = (stamps, live)
        return found

    def poll(self) -> bool:
        """True when the runs (their list, a summary, metrics, liveness) changed since the
        previous poll (or since the watcher was made)."""
        current = self.signature()
        with self._lock:
            changed = current != self._seen
            self._seen = current
            if changed:
                self.version += 1
        return changed
