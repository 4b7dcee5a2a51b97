"""TensorBoard as a child process of the workbench: started on 127.0.0.1 at a free port, its
address handed to the UI, stopped when the workbench closes. One at a time: starting another
logdir replaces it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from bert_engine.errors import BertbenchError


class TensorBoardError(BertbenchError, RuntimeError):
    """TensorBoard could not be started (not installed, exited at once)."""


@dataclass(frozen=True)
class TensorBoardInfo:
    logdir: Path
    url: str
    pid: int


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def command(logdir: Path, port: int) -> list[str]:
    """The tensorboard executable next to this Python (a venv), else the one on PATH."""
    local = Path(sys.executable).with_name("tensorboard")
    exe = str(local) if local.is_file() else shutil.which("tensorboard")
    if exe is None:
        raise TensorBoardError(
            "TensorBoard is not installed; install it (pip install tensorboard) and try again"
        )
    return [exe, "--logdir", str(logdir), "--host", "127.0.0.1", "--port", str(port)]


class TensorBoard:
    """Owns at most one TensorBoard process."""

    def __init__(self, log_file: Path) -> None:
        self.log_file = log_file  # its output, so it never draws over a TUI
        self._proc: subprocess.Popen[bytes] | None = None
        self._info: TensorBoardInfo | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> TensorBoardInfo | None:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return self._info
            return None

    def start(self, logdir: Path) -> TensorBoardInfo:
        """Serve `logdir` (the same one again: the running process)."""
        current = self.running
        if current is not None and current.logdir == logdir:
            return current
        self.stop()
        port = free_port()
        argv = command(logdir, port)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_file, "ab") as out:
            proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl+C in the terminal does not reach it
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
            )
        info = TensorBoardInfo(logdir, f"http://127.0.0.1:{port}/", proc.pid)
        with self._lock:
            self._proc, self._info = proc, info
        return info

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            proc, self._proc, self._info = self._proc, None, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
