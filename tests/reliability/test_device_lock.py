"""One training per device across processes of a workspace (the device lock)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest
from kit.records import long_preset, run_cli, start_cli, stop, wait_for

from bert_engine.tracking import read_summary
from bert_engine.training.device_lock import DeviceBusyError, DeviceLock, holder, lock_path
from bert_engine.training.pretrain import run_pretraining
from workbench.services import RunBusyError, Services


def _dead_pid() -> int:
    proc = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        check=True,
    )
    return int(proc.stdout)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_a_second_training_is_refused_with_the_holders_name_and_a_dead_holder_is_taken_over(
    tmp_path,
):
    from bert_engine.presets import load_preset

    preset = long_preset(tmp_path, steps=100_000, every=1000)
    runs = tmp_path / "runs"
    log = tmp_path / "holder.log"
    proc = start_cli("pretrain", str(preset), "--quiet", log=log)
    try:
        first = wait_for(runs, proc, 2, log)
        record = holder(runs, "cpu")
        assert record is not None and record["run"] == first.name
        assert record["pid"] == proc.pid

        # Another CLI process: refused, naming the run that holds the device.
        second = run_cli("pretrain", str(preset), "--quiet")
        assert second.returncode == 2, second.stdout + second.stderr
        assert f"device cpu is busy: run {first.name}" in second.stderr
        assert "--allow-shared-device" in second.stderr and "Traceback" not in second.stderr
        assert [p.name for p in runs.iterdir() if p.name[0] != "."] == [first.name]

        # The UIs' service layer: refused at start, before any thread or folder.
        services = Services(tmp_path)
        with pytest.raises(RunBusyError, match=f"run {first.name} is training"):
            services.manager.start_pretraining(str(preset))
        assert services.manager.runs() == []

        # Explicitly shared: trains alongside (and leaves the holder's lock alone).
        shared = load_preset(str(preset), ["pretrain.max_steps=2", "pretrain.eval_every=0"])
        outcome = run_pretraining(shared, allow_shared_device=True)
        assert outcome.result.status == "finished"
        assert holder(runs, "cpu")["run"] == first.name

        # A run folder a live process holds is never trained by a second one, even shared.
        beat = json.loads((first / "heartbeat.json").read_text())
        (outcome.run_dir / "heartbeat.json").write_text(json.dumps(beat))
        with pytest.raises(DeviceBusyError, match=f"being trained by process {proc.pid}"):
            run_pretraining(None, resume=outcome.run_dir, allow_shared_device=True)
        assert read_summary(outcome.run_dir)["status"] == "finished"  # left as it was
    finally:
        stop(proc)  # SIGKILL: the lock file stays behind, naming a dead PID

    stale = json.loads(lock_path(runs, "cpu").read_text())
    assert stale["pid"] == proc.pid and holder(runs, "cpu") is None
    seen: list[dict] = []
    small = load_preset(str(preset), ["pretrain.max_steps=2", "pretrain.eval_every=0"])
    outcome = run_pretraining(small, listeners=[lambda e: seen.append(holder(runs, "cpu"))])
    assert outcome.result.status == "finished"
    assert {r["run"] for r in seen} == {outcome.run_dir.name}  # taken over by the new run
    assert not lock_path(runs, "cpu").exists()  # released at the end


def test_lock_of_a_dead_process_is_taken_over_and_a_live_one_refused(tmp_path):
    path = lock_path(tmp_path, "cuda:0")
    path.parent.mkdir(parents=True, exist_ok=True)
    import socket

    path.write_text(
        json.dumps({"pid": _dead_pid(), "hostname": socket.gethostname(), "run": "old-run"})
    )
    with DeviceLock(tmp_path, "cuda:0", "new-run") as lock:
        assert lock.held and json.loads(path.read_text())["run"] == "new-run"
        with pytest.raises(DeviceBusyError, match="device cuda:0 is busy: run new-run"):
            DeviceLock(tmp_path, "cuda:0", "third").acquire()
        shared = DeviceLock(tmp_path, "cuda:0", "third", allow_shared=True).acquire()
        assert not shared.held
    assert not path.exists()
    assert path.name == ".device-cuda-0.lock"  # no ':' in a file name (Windows)
