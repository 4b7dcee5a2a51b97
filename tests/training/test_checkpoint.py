import json
import os
import pickle
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch
from kit.training import TinyLM
from safetensors import safe_open

from bert_engine.training import (
    CheckpointError,
    CheckpointManager,
    build_optimizer,
    build_scheduler,
    capture_rng_state,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    write_checkpoint,
)


def trained_model_and_optimizer(steps=2):
    torch.manual_seed(0)
    model = TinyLM(dropout=0.0)
    opt = build_optimizer(model, lr=1e-2)
    sched = build_scheduler(opt, total_steps=10, warmup_steps=2)
    for _ in range(steps):
        ids = torch.randint(1, 32, (2, 5))
        model(input_ids=ids, labels=ids).loss.backward()
        opt.step()
        sched.step()
        opt.zero_grad()
    return model, opt, sched


def save_some(directory, steps, **manager_kwargs):
    manager = CheckpointManager(directory, **manager_kwargs)
    model, opt, sched = trained_model_and_optimizer()
    for step in steps:
        manager.save(step, model, optimizer=opt, scheduler=sched, rng_state=capture_rng_state())
    return manager


def test_round_trip_restores_weights_optimizer_scheduler_and_tied_weights(tmp_path):
    model, opt, sched = trained_model_and_optimizer()
    path = write_checkpoint(
        tmp_path / "step-000002",
        model,
        step=2,
        optimizer=opt,
        scheduler=sched,
        data_state={"position": 7},
        trainer_state={"epoch": 1},
    )
    with safe_open(path / "model.safetensors", "pt") as f:
        keys = set(f.keys())
    # The tied head/embedding matrix is stored once.
    assert len({"embed.weight", "head.weight"} & keys) == 1

    torch.manual_seed(1)
    fresh = TinyLM(dropout=0.0)
    fresh_opt = build_optimizer(fresh, lr=1e-2)
    fresh_sched = build_scheduler(fresh_opt, total_steps=10, warmup_steps=2)
    loaded = load_checkpoint(path, fresh, optimizer=fresh_opt, scheduler=fresh_sched)
    assert loaded.step == 2 and loaded.trainer_state["epoch"] == 1
    assert loaded.data_state == {"position": 7} and loaded.rng_state is None
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert fresh.head.weight is fresh.embed.weight  # still tied after loading
    state_a, state_b = opt.state_dict()["state"], fresh_opt.state_dict()["state"]
    for key in state_a:
        assert torch.equal(state_a[key]["exp_avg"], state_b[key]["exp_avg"])
    assert fresh_sched.last_epoch == sched.last_epoch


def test_manager_keeps_the_last_k_and_the_best(tmp_path):
    manager = CheckpointManager(
        tmp_path, keep_last=2, best_metric="validation/loss", best_mode="min"
    )
    model, opt, _ = trained_model_and_optimizer(steps=1)
    losses = {1: 3.0, 2: 1.0, 3: 2.0, 4: 1.5, 5: 2.5}
    best_flags = {}
    for step, loss in losses.items():
        _, best_flags[step] = manager.save(
            step, model, optimizer=opt, metrics={"validation/loss": loss}
        )
    assert best_flags == {1: True, 2: True, 3: False, 4: False, 5: False}
    assert [c.step for c in manager.list()] == [2, 4, 5]
    assert manager.best()["checkpoint"].name == "step-000002"
    assert manager.best()["value"] == 1.0
    assert manager.latest().name == "step-000005"
    assert manager.list()[0].metrics == {"validation/loss": 1.0}


def test_max_mode_and_nan_metrics(tmp_path):
    manager = CheckpointManager(tmp_path, keep_last=1, best_metric="accuracy", best_mode="max")
    model, _, _ = trained_model_and_optimizer(steps=0)
    assert manager.save(1, model, metrics={"accuracy": 0.5})[1]
    assert not manager.save(2, model, metrics={"accuracy": float("nan")})[1]
    assert manager.save(3, model, metrics={"accuracy": 0.7})[1]
    assert not manager.save(4, model, metrics={"accuracy": 0.6})[1]
    assert [c.step for c in manager.list()] == [3, 4]


def test_resaving_a_step_replaces_it(tmp_path):
    manager = save_some(tmp_path, [1, 2])
    model = TinyLM()
    with torch.no_grad():
        model.embed.weight.fill_(0.25)
    manager.save(2, model)
    fresh = TinyLM()
    load_checkpoint(tmp_path / "step-000002", fresh)
    assert torch.all(fresh.embed.weight == 0.25)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_latest_pointer_falls_back_to_the_highest_complete_step(tmp_path):
    save_some(tmp_path, [1, 2, 3], keep_last=5)
    assert latest_checkpoint(tmp_path).name == "step-000003"
    (tmp_path / "latest").write_text("step-000099\n")  # points at nothing
    assert latest_checkpoint(tmp_path).name == "step-000003"
    (tmp_path / "latest").write_text("step-000002\n")
    assert latest_checkpoint(tmp_path).name == "step-000002"
    (tmp_path / ".tmp-step-000004-1-abc").mkdir()  # a partial write is never listed
    assert [c.step for c in list_checkpoints(tmp_path)] == [1, 2, 3]
    assert latest_checkpoint(tmp_path / "nothing-here") is None


def test_truncated_safetensors_names_the_file_and_the_previous_checkpoint(tmp_path):
    save_some(tmp_path, [1, 2], keep_last=5)
    weights = tmp_path / "step-000002" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(CheckpointError) as err:
        load_checkpoint(tmp_path / "step-000002", TinyLM())
    message = str(err.value)
    assert "model.safetensors" in message and "truncated" in message
    assert str(tmp_path / "step-000001") in message
    load_checkpoint(tmp_path / "step-000001", TinyLM())  # the suggested one works


def test_garbage_safetensors_without_a_size_record_is_still_a_clear_error(tmp_path):
    save_some(tmp_path, [1], keep_last=5)
    ckpt = tmp_path / "step-000001"
    (ckpt / "model.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    state = json.loads((ckpt / "trainer_state.json").read_text())
    state["files"].pop("model.safetensors")
    (ckpt / "trainer_state.json").write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match=r"model\.safetensors is not a valid safetensors"):
        load_checkpoint(ckpt, TinyLM())


def test_garbage_trainer_state_json(tmp_path):
    save_some(tmp_path, [1, 2], keep_last=5)
    (tmp_path / "step-000002" / "trainer_state.json").write_text("{garbage")
    with pytest.raises(
        CheckpointError, match=r"trainer_state\.json is not valid JSON.*step-000001"
    ):
        load_checkpoint(tmp_path / "step-000002", TinyLM())
    (tmp_path / "step-000002" / "trainer_state.json").write_text('{"no": "step"}')
    with pytest.raises(CheckpointError, match="no integer 'step'"):
        load_checkpoint(tmp_path / "step-000002")


def test_missing_and_corrupt_optimizer_files(tmp_path):
    save_some(tmp_path, [1], keep_last=5)
    ckpt = tmp_path / "step-000001"
    model, opt, _ = trained_model_and_optimizer(steps=0)
    size = (ckpt / "optimizer.pt").stat().st_size
    (ckpt / "optimizer.pt").write_bytes(os.urandom(size))
    with pytest.raises(CheckpointError, match=r"optimizer\.pt cannot be read"):
        load_checkpoint(ckpt, model, optimizer=opt)
    (ckpt / "optimizer.pt").unlink()
    with pytest.raises(CheckpointError, match=r"optimizer\.pt is missing.*start over"):
        load_checkpoint(ckpt, model, optimizer=opt)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_checkpoint(tmp_path / "step-000777", model)


def test_pickled_objects_are_refused(tmp_path):
    save_some(tmp_path, [1], keep_last=5)
    ckpt = tmp_path / "step-000001"
    # A pickle that would run code (os.system) if loaded without weights_only.
    payload = pickle.dumps({"x": os.system}, protocol=2)
    (ckpt / "rng.pt").write_bytes(payload)
    state = json.loads((ckpt / "trainer_state.json").read_text())
    state["files"]["rng.pt"] = len(payload)
    (ckpt / "trainer_state.json").write_text(json.dumps(state))
    with pytest.raises(CheckpointError, match=r"rng\.pt cannot be read"):
        load_checkpoint(ckpt)


def test_weights_from_another_architecture_are_refused(tmp_path):
    save_some(tmp_path, [1], keep_last=5)
    with pytest.raises(CheckpointError, match="does not fit this model"):
        load_checkpoint(tmp_path / "step-000001", TinyLM(dim=8))


WRITER = textwrap.dedent(
    """
    import sys, torch
    from torch import nn
    from bert_engine.training import CheckpointManager, capture_rng_state
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(512, 512), nn.LayerNorm(512), nn.Linear(512, 512))
    # Stands in for optimizer state (an optimizer would import torch._dynamo: slow to start).
    moments = {"exp_avg": torch.randn(512, 1024), "exp_avg_sq": torch.rand(512, 1024)}
    manager = CheckpointManager(sys.argv[1], keep_last=2)
    step = 0
    while True:
        step += 1
        with torch.no_grad():
            for p in model.parameters():
                p.fill_(float(step))
        print("begin", step, flush=True)
        manager.save(step, model, data_state=moments, rng_state=capture_rng_state())
        print("saved", step, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_sigkill_while_writing_leaves_the_previous_checkpoint_loadable(tmp_path):
    from torch import nn

    rng = random.Random(0)
    for attempt in range(2):
        directory = tmp_path / f"ckpt{attempt}"
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(directory)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            target = 3 + attempt
            for line in proc.stdout:
                if line.split() == ["begin", str(target)]:
                    break
            # Kill somewhere inside the write of checkpoint `target`.
            time.sleep(rng.uniform(0.0, 0.02))
            proc.send_signal(signal.SIGKILL)
        finally:
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL

        steps = [c.step for c in list_checkpoints(directory)]
        assert steps and max(steps) >= target - 1
        latest = latest_checkpoint(directory)
        assert latest is not None
        for info in list_checkpoints(directory):
            model = nn.Sequential(nn.Linear(512, 512), nn.LayerNorm(512), nn.Linear(512, 512))
            loaded = load_checkpoint(info.path, model)
            # Every listed checkpoint is complete and holds its own step's weights.
            assert all(torch.all(p == float(loaded.step)) for p in model.parameters())
            assert loaded.rng_state is not None and loaded.data_state["exp_avg"].shape == (
                512,
                1024,
            )
        # Re-opening the directory clears any half-written temporary directory.
        CheckpointManager(directory)
        assert not [p for p in directory.iterdir() if p.name.startswith(".")]
