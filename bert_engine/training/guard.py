"""What a workflow holds while it trains a run: the device lock and the run's heartbeat.

    with RunGuard(allow_shared=False) as guard:
        guard.claim(runs_dir, "cpu", "tiny")     # before the run folder exists: refusal is cheap
        run_dir = create_run(...)
        guard.attach(run_dir)                    # heartbeat.json from now on; the lock names it
        ...                                      # prepare, train

On leaving, the heartbeat file is removed and the lock released. A workflow that fails
outside the trainer (a corrupt checkpoint while resuming, a bad corpus) records the failure
and its reason in the run's summary.json, so every interface lists the run as failed with the
reason rather than as interrupted.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

from bert_engine.heartbeat import Heartbeat, owner_alive, read_heartbeat
from bert_engine.training.device_lock import DeviceBusyError, DeviceLock, device_key


class RunGuard:
    def __init__(self, *, allow_shared: bool = False, control: Any = None) -> None:
        self.allow_shared = allow_shared
        self.control = control  # a stop asked during preparation is not a failure
        self.lock: DeviceLock | None = None
        self.heartbeat: Heartbeat | None = None
        self.run_dir: Path | None = None
        self._summary: dict[str, Any] = {}  # the run's summary when this attempt took it

    def claim(self, runs_dir: str | os.PathLike[str], device: str, run: str) -> None:
        """Take the lock of `device` ("auto" is resolved) in `runs_dir`, or raise
        DeviceBusyError naming the run that holds it."""
        self.lock = DeviceLock(runs_dir, device_key(device), run, allow_shared=self.allow_shared)
        self.lock.acquire()

    def attach(self, run_dir: str | os.PathLike[str]) -> None:
        """The run folder exists: beat in it and name it in the lock."""
        from bert_engine.tracking import read_summary

        path = Path(run_dir)
        beat = read_heartbeat(path)
        mine = beat is not None and (beat.get("pid"), beat.get("hostname")) == (
            os.getpid(),
            socket.gethostname(),
        )
        if beat is not None and not mine and owner_alive(beat):
            raise DeviceBusyError(
                f"run {path.name} is being trained by process {beat.get('pid')} on "
                f"{beat.get('hostname')}; stop it there first (two trainings of one run folder "
                "would overwrite each other's checkpoints)"
            )
        self.run_dir = path
        self._summary = read_summary(self.run_dir)
        if self.lock is not None:
            self.lock.update(self.run_dir.name)
        if self.heartbeat is None:
            self.heartbeat = Heartbeat(self.run_dir)

    def detach(self) -> None:
        """Let go of the run folder (before deleting a run that never trained)."""
        if self.heartbeat is not None:
            self.heartbeat.close()
            self.heartbeat = None
        self.run_dir = None

    def __enter__(self) -> RunGuard:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            stopping = self.control is not None and bool(getattr(self.control, "should_stop", 0))
            failed = isinstance(exc, Exception) and not stopping
            if failed and self.run_dir is not None and self.run_dir.is_dir():
                from bert_engine.tracking import record_failure

                record_failure(self.run_dir, str(exc) or type(exc).__name__, self._summary)
        finally:
            if self.heartbeat is not None:
                self.heartbeat.close()
            if self.lock is not None:
                self.lock.release()
