"""TensorBoard as a child process: served on 127.0.0.1 at the address given, stopped by close."""

from __future__ import annotations

import time
import urllib.request
from pathlib import Path

from workbench.services import Services


def test_tensorboard_serves_on_loopback_and_stops_with_the_services(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    logdir = services.workspace.runs_dir
    info = services.tensorboard.start(logdir)
    try:
        assert info.url.startswith("http://127.0.0.1:")
        assert services.tensorboard.start(logdir) == info  # the same logdir: the same process
        deadline = time.monotonic() + 120  # a safety limit: it imports TensorFlow's stubs
        while True:
            try:
                with urllib.request.urlopen(info.url, timeout=5) as reply:
                    assert reply.status == 200
                break
            except OSError:
                assert services.tensorboard.running is not None, "TensorBoard exited"
                assert time.monotonic() < deadline, "TensorBoard never answered"
                time.sleep(0.5)
    finally:
        services.close()
    assert services.tensorboard.running is None
    try:
        urllib.request.urlopen(info.url, timeout=5)
    except OSError:
        pass
    else:
        raise AssertionError("TensorBoard still answers after close()")
