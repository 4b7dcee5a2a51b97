"""RunsWatcher: a run list refreshes when runs appear, change, end or die (any process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from workbench.services.watch import RunsWatcher


def _beat(run: Path, pid: int) -> None:
    record = {"pid": pid, "hostname": socket.gethostname(), "time": "2026-01-01T00:00:00+00:00"}
    (run / "heartbeat.json").write_text(json.dumps(record))


def test_changes_are_noticed_and_heartbeat_rewrites_are_not(tmp_path: Path) -> None:
    watcher = RunsWatcher(tmp_path / "runs")
    assert not watcher.poll()  # no folder yet, nothing changed
    run = tmp_path / "runs" / "tiny-20260101T000000Z"
    run.mkdir(parents=True)
    assert watcher.poll() and watcher.version == 1  # a run appeared
    assert not watcher.poll()
    (run / "summary.json").write_text('{"status": "running"}')
    assert watcher.poll()
    with (run / "metrics.jsonl").open("a") as fh:
        fh.write('{"event": "step", "step": 1}\n')
    assert watcher.poll()
    _beat(run, os.getpid())
    assert watcher.poll()  # it went live
    _beat(run, os.getpid())
    os.utime(run / "heartbeat.json", (1, 1))
    assert not watcher.poll()  # the heartbeat's own rewrites are not news
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    _beat(run, proc.pid)
    assert watcher.poll()  # its process died: the list must say interrupted
    (tmp_path / "runs" / ".device-cpu.lock").write_text("{}")
    assert not watcher.poll()  # device locks are not runs
    assert watcher.version == 5
