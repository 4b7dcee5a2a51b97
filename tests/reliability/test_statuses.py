"""Statuses that say what happened, as every interface reads them from the run folder."""

from __future__ import annotations

import shutil
import signal
import threading

import pytest
from kit.records import long_preset, start_cli, stop, wait_for
from kit.services import wait_until

from bert_engine.heartbeat import HEARTBEAT_FILE
from bert_engine.tracking import list_runs, load_run, read_summary
from bert_engine.training import RunControl
from bert_engine.training.pretrain import run_pretraining


def _status(run) -> str:
    return load_run(run).status


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_then_resumed_paused_and_stopped(tmp_path):
    preset = long_preset(tmp_path, steps=100_000, every=20)
    log = tmp_path / "killed.log"
    proc = start_cli("pretrain", str(preset), "--quiet", log=log)
    try:
        run = wait_for(tmp_path / "runs", proc, 25, log)
        assert _status(run) == "running"  # a live heartbeat, not "unknown"
    finally:
        stop(proc)  # SIGKILL
    assert (run / HEARTBEAT_FILE).is_file()  # left behind, naming a dead process
    assert _status(run) == "interrupted"
    assert [r.status for r in list_runs(tmp_path / "runs")] == ["interrupted"]

    control = RunControl()
    seen: dict[str, str] = {}

    def listener(event: object) -> None:  # on the training thread, before the tracker
        kind = getattr(event, "kind", "")
        if kind == "started":
            seen["started"] = _status(run)
        elif kind == "step" and "paused" not in seen:
            seen["paused"] = "asked"
            control.pause()

    thread = threading.Thread(
        target=run_pretraining,
        args=(None,),
        kwargs={"resume": run, "control": control, "listeners": [listener]},
    )
    thread.start()
    try:
        wait_until(lambda: _status(run) == "paused", timeout=120)
        control.resume()
        wait_until(lambda: _status(run) == "running", timeout=120)
    finally:
        control.stop()
        thread.join(120)
    assert seen["started"] == "starting"  # being resumed: never "interrupted"
    assert _status(run) == "stopped"
    summary = read_summary(run)
    assert summary["status"] == "stopped" and summary["last_checkpoint"]
    assert not (run / HEARTBEAT_FILE).exists()


def test_preparing_is_starting_and_a_failure_is_failed_with_its_reason(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from bert_engine.presets import load_preset

    preset = long_preset(tmp_path, steps=2, every=2)
    seen: dict[str, str] = {}
    where: list = []

    def progress(stage: str, done: int, total: int) -> bool:
        if where and stage == "shards":
            seen.setdefault("shards", _status(where[0]))
        return True

    good = run_pretraining(load_preset(str(preset)), progress=progress, on_run_dir=where.append)
    assert good.result.status == "finished"
    assert seen == {"shards": "starting"}
    assert _status(good.run_dir) == "finished"

    # Weights with a NaN: the first step's loss is not finite, so the trainer fails the run.
    bad_weights = tmp_path / "bad" / "checkpoints" / "step-000002"
    shutil.copytree(good.run_dir / "checkpoints" / "step-000002", bad_weights)
    state = load_file(bad_weights / "model.safetensors")
    with safe_open(bad_weights / "model.safetensors", "pt") as f:
        metadata = f.metadata()
    name = next(k for k in state if "embeddings" in k and state[k].ndim == 1)
    state[name][0] = float("nan")
    save_file(state, bad_weights / "model.safetensors", metadata=metadata)
    failing = load_preset(str(preset), [f"pretrain.init_from={bad_weights}"])
    outcome = run_pretraining(failing)
    assert outcome.result.status == "failed"
    record = load_run(outcome.run_dir)
    assert record.status == "failed"
    assert record.reason and "loss is nan at step 1" in record.reason
