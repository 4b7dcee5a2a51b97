import json
import math
import random
import threading

import numpy as np
import pytest
import torch
from kit.training import RandomTokens, Recorder, TinyLM

from bert_engine.training import (
    CheckpointManager,
    RunControl,
    Trainer,
    TrainerConfig,
    TrainingError,
    build_optimizer,
    build_scheduler,
    load_checkpoint,
    seed_everything,
)

TOTAL = 12


def make_trainer(tmp_path, *, seed=0, control=None, listeners=(), evaluate=None, data=None, **cfg):
    seed_everything(seed)
    model = TinyLM(dropout=0.2)
    optimizer = build_optimizer(model, lr=5e-3, weight_decay=0.01)
    total = cfg.pop("total_steps", TOTAL)
    scheduler = build_scheduler(optimizer, total_steps=total, warmup_steps=3)
    config = TrainerConfig(total_steps=total, **cfg)
    manager = CheckpointManager(tmp_path / "checkpoints", keep_last=2)
    return Trainer(
        model,
        optimizer,
        data if data is not None else RandomTokens(seed=1, n_batches=5),
        config,
        scheduler=scheduler,
        device="cpu",
        evaluate=evaluate,
        checkpoints=manager,
        control=control,
        listeners=listeners,
    )


def losses(recorder):
    return {e.step: e.loss for e in recorder.of("step")}


def scramble_global_rngs():
    torch.manual_seed(12345)
    random.seed(12345)
    np.random.seed(12345)


def test_training_lowers_the_loss_and_emits_events_in_order(tmp_path):
    rec = Recorder()
    trainer = make_trainer(tmp_path / "a", listeners=[rec], total_steps=40)
    result = trainer.run()
    assert result.status == "finished" and result.step == 40
    steps = rec.of("step")
    assert [e.step for e in steps] == list(range(1, 41))
    first = sum(e.loss for e in steps[:5]) / 5
    last = sum(e.loss for e in steps[-5:]) / 5
    assert last < first * 0.8
    kinds = rec.kinds()
    assert kinds[0] == "started" and kinds[-1] == "finished"
    assert kinds[-2] == "checkpoint"  # the final checkpoint precedes "finished"
    assert rec.of("finished")[0].checkpoint.endswith("step-000040")
    # The model's extra metrics are averaged and reported.
    assert all(0.0 <= e.metrics["accuracy"] <= 1.0 for e in steps)
    assert steps[-1].eta_s == 0.0 and steps[0].eta_s > 0


def test_lr_in_events_follows_the_schedule(tmp_path):
    rec = Recorder()
    make_trainer(tmp_path, listeners=[rec]).run()
    lrs = [e.lr for e in rec.of("step")]
    # warmup 3 steps to the peak 5e-3, then linear decay towards 0 at TOTAL.
    expected = [5e-3 * (s + 1) / 3 for s in range(3)] + [
        5e-3 * (1 - (s - 3) / (TOTAL - 3)) for s in range(3, TOTAL)
    ]
    assert lrs == pytest.approx(expected, rel=1e-6)


def test_tokens_and_examples_are_counted_from_the_attention_mask(tmp_path):
    rec = Recorder()
    data = RandomTokens(seed=3, n_batches=4)
    trainer = make_trainer(tmp_path, listeners=[rec], data=data, total_steps=6, grad_accum_steps=2)
    trainer.run()
    # 12 micro-batches: three epochs of four batches each.
    expected_tokens = sum(
        int(data.batch(e, i)["attention_mask"].sum()) for e in range(3) for i in range(4)
    )
    assert trainer.tokens_seen == expected_tokens
    assert trainer.examples_seen == 12 * 4
    assert trainer.epoch == 2  # epochs 0, 1 and 2, counted from 0
    assert all(e.tokens_per_s > 0 and e.examples_per_s > 0 for e in rec.of("step"))


def test_resumed_run_follows_the_uninterrupted_trajectory(tmp_path):
    full = Recorder()
    reference = make_trainer(tmp_path / "full", listeners=[full], grad_accum_steps=2)
    reference.run()

    # Same run, stopped after step 5 (a Stop button pressed while step 5 is reported).
    control = RunControl()
    part = Recorder()

    def stop_at_five(event):
        if event.kind == "step" and event.step == 5:
            control.stop()

    first = make_trainer(
        tmp_path / "split", control=control, listeners=[part, stop_at_five], grad_accum_steps=2
    )
    result = first.run()
    assert result.status == "cancelled" and result.step == 5
    assert part.kinds()[-2:] == ["checkpoint", "cancelled"]
    assert result.checkpoint.name == "step-000005"

    # Fresh objects, differently initialised, with the global generators disturbed.
    rest = Recorder()
    second = make_trainer(tmp_path / "split", seed=99, listeners=[rest], grad_accum_steps=2)
    scramble_global_rngs()
    second.resume()
    second.run()
    assert rest.of("started")[0].resumed and rest.of("started")[0].step == 5

    # Progress counters survive the restart too.
    assert (second.tokens_seen, second.examples_seen) == (
        reference.tokens_seen,
        reference.examples_seen,
    )
    combined = {**losses(part), **losses(rest)}
    assert sorted(combined) == list(range(1, TOTAL + 1))
    for step, loss in losses(full).items():
        assert combined[step] == pytest.approx(loss, abs=1e-6), step
    for (name, a), b in zip(
        reference.model.state_dict().items(), second.model.state_dict().values(), strict=True
    ):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=0, msg=name)


def test_dropout_makes_resume_depend_on_the_rng_state(tmp_path):
    """Control for the test above: a checkpoint without rng.pt resumes onto another trajectory."""
    full = Recorder()
    make_trainer(tmp_path / "full", listeners=[full], checkpoint_every=4).run()
    ckpt = tmp_path / "full" / "checkpoints" / "step-000008"
    rest = Recorder()
    second = make_trainer(tmp_path / "other", seed=99, listeners=[rest])
    (ckpt / "rng.pt").unlink()  # optional file: loading works, the RNG streams are not restored
    state = json.loads((ckpt / "trainer_state.json").read_text())
    del state["files"]["rng.pt"]
    (ckpt / "trainer_state.json").write_text(json.dumps(state))
    scramble_global_rngs()
    second.resume(ckpt)
    second.run()
    assert losses(rest)[9] != pytest.approx(losses(full)[9], abs=1e-6)


def test_evaluation_does_not_change_the_training_trajectory(tmp_path):
    plain = Recorder()
    make_trainer(tmp_path / "plain", listeners=[plain]).run()

    def evaluate(model):
        # Eval code that draws random numbers (e.g. random masking) must not shift training.
        noise = torch.rand(3)
        random.random()
        np.random.rand()
        assert not model.training
        batch = RandomTokens(seed=7, n_batches=1).batch(0, 0)
        out = model(**batch)
        return {"loss": out.loss, "noise": noise.sum()}

    evald = Recorder()
    make_trainer(tmp_path / "eval", listeners=[evald], evaluate=evaluate, eval_every=3).run()
    assert losses(evald) == pytest.approx(losses(plain), abs=1e-7)
    evals = evald.of("eval")
    assert [e.step for e in evals] == [3, 6, 9, 12]
    assert all(e.split == "validation" and isinstance(e.metrics["loss"], float) for e in evals)


def test_gradient_accumulation_matches_one_big_batch(tmp_path):
    """Two micro-batches of 4 equal one batch of 8 (no padding, no dropout: same mean loss)."""

    class Halves:
        def __init__(self, big):
            self.big = big

        def __iter__(self):
            for batch in self.big:
                yield {k: v[:4] for k, v in batch.items()}
                yield {k: v[4:] for k, v in batch.items()}

    def build(data, accum):
        seed_everything(0)
        model = TinyLM(dropout=0.0)
        # SGD, not Adam: Adam rescales gradients that are ~0 in theory (e.g. attention key
        # biases) so float rounding noise would dominate the comparison.
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        cfg = TrainerConfig(total_steps=3, grad_accum_steps=accum, max_grad_norm=None)
        return Trainer(model, opt, data, cfg, device="cpu")

    big = RandomTokens(seed=5, n_batches=3, batch_size=8, pad=False)
    one = build(big, 1)
    one.run()
    two = build(Halves(RandomTokens(seed=5, n_batches=3, batch_size=8, pad=False)), 2)
    two.run()
    for a, b in zip(one.model.parameters(), two.model.parameters(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-5)


def test_reported_grad_norm_is_measured_before_clipping(tmp_path):
    seed_everything(0)
    model = TinyLM(dropout=0.0)
    copy = TinyLM(dropout=0.0)
    copy.load_state_dict(model.state_dict())
    data = RandomTokens(seed=2, n_batches=1)
    out = copy(**data.batch(0, 0))
    out.loss.backward()
    expected = torch.sqrt(sum((p.grad**2).sum() for p in copy.parameters() if p.grad is not None))

    rec = Recorder()
    opt = torch.optim.SGD(model.parameters(), lr=1.0)
    before = [p.detach().clone() for p in model.parameters()]
    cfg = TrainerConfig(total_steps=1, max_grad_norm=0.01)
    Trainer(model, opt, data, cfg, device="cpu", listeners=[rec]).run()
    assert rec.of("step")[0].grad_norm == pytest.approx(float(expected), rel=1e-5)
    # SGD with lr 1 moves the weights by exactly the clipped gradient: total norm 0.01.
    with torch.no_grad():
        moved = torch.sqrt(
            sum(((p - b) ** 2).sum() for p, b in zip(model.parameters(), before, strict=True))
        )
    assert float(moved) == pytest.approx(0.01, rel=1e-3)


def test_nan_loss_fails_the_run_and_keeps_the_last_good_checkpoint(tmp_path):
    class PoisonAt(RandomTokens):
        def batch(self, epoch, index):
            batch = super().batch(epoch, index)
            if epoch == 1 and index == 1:  # the 7th batch: step 7
                batch["poison"] = torch.ones(1)
            return batch

    rec = Recorder()
    trainer = make_trainer(
        tmp_path, listeners=[rec], data=PoisonAt(seed=1, n_batches=5), checkpoint_every=3
    )
    result = trainer.run()
    assert result.status == "failed" and result.step == 6
    failed = rec.of("failed")[0]
    assert "loss is nan at step 7" in failed.reason
    assert failed.checkpoint.endswith("step-000006")
    assert rec.kinds()[-1] == "failed"
    assert [e.step for e in rec.of("step")] == list(range(1, 7))
    # Weights were not touched by the NaN step: they equal the last good checkpoint.
    fresh = TinyLM(dropout=0.2)
    load_checkpoint(failed.checkpoint, fresh)
    for a, b in zip(fresh.parameters(), trainer.model.parameters(), strict=True):
        assert torch.equal(a, b) and torch.isfinite(b).all()


def test_pause_blocks_until_resumed_from_another_thread(tmp_path):
    control = RunControl()
    rec = Recorder()
    paused_seen = threading.Event()

    def steer(event):
        if event.kind == "step" and event.step == 3:
            control.pause()
        if event.kind == "paused":
            paused_seen.set()

    trainer = make_trainer(tmp_path, control=control, listeners=[rec, steer])
    thread = threading.Thread(target=trainer.run)
    thread.start()
    assert paused_seen.wait(30)
    # While paused, the loop sits at step 3 (a bounded wait, not a timing assertion).
    thread.join(0.2)
    assert thread.is_alive() and trainer.step == 3
    control.resume()
    thread.join(60)
    assert not thread.is_alive()
    kinds = rec.kinds()
    assert kinds.index("paused") < kinds.index("resumed") < kinds.index("finished")
    assert rec.of("paused")[0].step == 3 and trainer.step == TOTAL


def test_stop_while_paused_cancels_with_a_checkpoint(tmp_path):
    control = RunControl()
    rec = Recorder()

    def steer(event):
        if event.kind == "step" and event.step == 2:
            control.pause()
        if event.kind == "paused":
            threading.Thread(target=control.stop).start()

    result = make_trainer(tmp_path, control=control, listeners=[rec, steer]).run()
    assert result.status == "cancelled" and result.step == 2
    assert "resumed" not in rec.kinds()
    assert rec.of("cancelled")[0].checkpoint.endswith("step-000002")
    assert load_checkpoint(result.checkpoint).step == 2


def test_a_failing_listener_does_not_stop_training(tmp_path, caplog):
    def broken(event):
        raise RuntimeError("chart widget exploded")

    rec = Recorder()
    result = make_trainer(tmp_path, listeners=[broken, rec]).run()
    assert result.status == "finished"
    assert len(rec.of("step")) == TOTAL
    assert "chart widget exploded" in caplog.text


def test_one_shot_iterator_ends_the_run_early(tmp_path):
    data = iter(list(RandomTokens(seed=1, n_batches=4)))
    rec = Recorder()
    result = make_trainer(tmp_path, listeners=[rec], data=data).run()
    assert result.status == "finished" and result.reason == "data_exhausted"
    assert result.step == 4 and rec.of("finished")[0].reason == "data_exhausted"
    assert result.checkpoint.name == "step-000004"


def test_model_without_loss_fails_with_a_clear_error(tmp_path):
    class NoLabels(RandomTokens):
        def batch(self, epoch, index):
            batch = super().batch(epoch, index)
            return {"input_ids": batch["input_ids"], "labels": batch["labels"]}

    class LossFree(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)

        def forward(self, input_ids, labels):
            return {"logits": self.lin(input_ids[:, :2].float())}

    rec = Recorder()
    model = LossFree()
    trainer = Trainer(
        model,
        build_optimizer(model, lr=1e-3),
        NoLabels(),
        TrainerConfig(total_steps=2),
        device="cpu",
        listeners=[rec],
    )
    with pytest.raises(TrainingError, match="without a loss"):
        trainer.run()
    assert rec.kinds() == ["started", "failed"]
    assert "TrainingError" in rec.of("failed")[0].reason


def test_non_main_process_emits_nothing_and_writes_no_checkpoints(tmp_path):
    rec = Recorder()
    trainer = make_trainer(tmp_path, listeners=[rec], checkpoint_every=2)
    trainer.is_main_process = False
    assert trainer.run().status == "finished"
    assert rec.events == []
    assert trainer.checkpoints.list() == []


def test_bad_config_is_rejected():
    with pytest.raises(ValueError, match="grad_accum_steps"):
        TrainerConfig(total_steps=10, grad_accum_steps=0)
    with pytest.raises(ValueError, match="max_grad_norm"):
        TrainerConfig(total_steps=10, max_grad_norm=-1.0)


def test_step_event_losses_are_finite_numbers(tmp_path):
    rec = Recorder()
    make_trainer(tmp_path, listeners=[rec], log_every=5).run()
    steps = rec.of("step")
    # log_every=5 over 12 steps: events at 5, 10 and the last step.
    assert [e.step for e in steps] == [5, 10, 12]
    assert all(math.isfinite(e.loss) and e.grad_norm > 0 for e in steps)


def test_infinite_gradient_fails_the_run_before_the_weights_change(tmp_path):
    class SqrtAtZero(torch.nn.Module):
        """Finite loss (0) with an infinite gradient: d sqrt(w) / dw at w = 0."""

        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.tensor([1.0, 0.0]))

        def forward(self, x):
            return {"loss": torch.sqrt(self.w * x).sum()}

    class Data:
        def __iter__(self):
            yield {"x": torch.tensor([1.0, 1.0])}

    rec = Recorder()
    model = SqrtAtZero()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    trainer = Trainer(
        model, opt, Data(), TrainerConfig(total_steps=3), device="cpu", listeners=[rec]
    )
    result = trainer.run()
    assert result.status == "failed" and result.step == 0
    assert "gradient norm is inf at step 1" in rec.of("failed")[0].reason
    assert model.w.tolist() == [1.0, 0.0]


def test_resume_without_a_data_state_replays_the_epoch_position(tmp_path):
    """A plain list has no state_dict: the trainer skips the batches already consumed."""
    batches = list(RandomTokens(seed=4, n_batches=5))
    full = Recorder()
    make_trainer(tmp_path / "full", listeners=[full], data=list(batches)).run()

    control = RunControl()

    def stop_at_seven(event):
        if event.kind == "step" and event.step == 7:
            control.stop()

    part = Recorder()
    make_trainer(
        tmp_path / "split", control=control, listeners=[part, stop_at_seven], data=list(batches)
    ).run()
    assert not (tmp_path / "split" / "checkpoints" / "step-000007" / "data_state.pt").exists()
    rest = Recorder()
    second = make_trainer(tmp_path / "split", seed=5, listeners=[rest], data=list(batches))
    scramble_global_rngs()
    second.resume()
    second.run()
    combined = {**losses(part), **losses(rest)}
    for step, loss in losses(full).items():
        assert combined[step] == pytest.approx(loss, abs=1e-6), step


def test_set_epoch_is_called_for_each_epoch(tmp_path):
    class EpochAware(RandomTokens):
        def __init__(self):
            super().__init__(seed=1, n_batches=3)
            self.epochs_set = []

        def set_epoch(self, epoch):
            self.epochs_set.append(epoch)

    data = EpochAware()
    make_trainer(tmp_path, data=data, total_steps=7).run()
    assert data.epochs_set == [0, 1, 2]


def test_keyboard_interrupt_reports_cancelled_with_the_last_checkpoint(tmp_path):
    rec = Recorder()

    def ctrl_c_at_six(event):
        if event.kind == "step" and event.step == 6:
            raise KeyboardInterrupt

    trainer = make_trainer(tmp_path, listeners=[rec, ctrl_c_at_six], checkpoint_every=4)
    with pytest.raises(KeyboardInterrupt):
        trainer.run()
    cancelled = rec.of("cancelled")[0]
    assert cancelled.step == 6 and cancelled.checkpoint.endswith("step-000004")


RESUME_CHILD = """
import json, sys
import torch
torch.set_num_threads(1)
sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[3])  # tests/, for kit
from pathlib import Path
from test_loop import make_trainer, Recorder, losses
rec = Recorder()
trainer = make_trainer(Path(sys.argv[1]), seed=42, listeners=[rec], grad_accum_steps=2)
trainer.resume()
trainer.run()
print(json.dumps(losses(rec)))
"""


def test_resume_in_a_new_process_follows_the_same_trajectory(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    full = Recorder()
    make_trainer(tmp_path / "full", listeners=[full], grad_accum_steps=2).run()
    control = RunControl()

    def stop_at_four(event):
        if event.kind == "step" and event.step == 4:
            control.stop()

    make_trainer(
        tmp_path / "split", control=control, listeners=[stop_at_four], grad_accum_steps=2
    ).run()
    here = Path(__file__).resolve().parent
    out = subprocess.run(
        [sys.executable, "-c", RESUME_CHILD, str(tmp_path / "split"), str(here), str(here.parent)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=here.parents[1],
    )
    assert out.returncode == 0, out.stderr
    resumed = {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    assert sorted(resumed) == list(range(5, TOTAL + 1))
    for step, loss in resumed.items():
        assert loss == pytest.approx(losses(full)[step], abs=1e-6), step


def test_bf16_request_is_a_no_op_off_cuda(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("on CUDA bf16 really changes the numerics")
    fp32, bf16 = Recorder(), Recorder()
    make_trainer(tmp_path / "a", listeners=[fp32], precision="fp32").run()
    trainer = make_trainer(tmp_path / "b", listeners=[bf16], precision="bf16")
    trainer.run()
    assert trainer.scaler is None and bf16.of("started")[0].precision == "bf16"
    assert losses(bf16) == losses(fp32)


def _scripted_accuracy(holder, values):
    """An evaluation whose accuracy at step s is values[s]: the early stopping sees a known
    sequence whatever the model does."""
    return lambda model: {"accuracy": values[holder["trainer"].step]}


def test_early_stopping_finishes_after_patience_evaluations_without_improvement(tmp_path):
    from bert_engine.training import EarlyStopping

    # Evaluations every 2 steps: 0.5, 0.6 (best), 0.55, 0.6 (not better) -> patience 2 ends
    # the run at step 8 of 20; the later 0.9 is never reached.
    values = {2: 0.5, 4: 0.6, 6: 0.55, 8: 0.6, 10: 0.9}
    holder, rec = {}, Recorder()
    trainer = make_trainer(tmp_path, total_steps=20, eval_every=2, listeners=[rec])
    trainer.evaluate = _scripted_accuracy(holder, values)
    trainer.early_stopping = EarlyStopping("accuracy", patience=2)
    holder["trainer"] = trainer
    result = trainer.run()
    assert (result.status, result.step, result.reason) == ("finished", 8, "early_stopped")
    assert [e.step for e in rec.of("eval")] == [2, 4, 6, 8]
    (finished,) = rec.of("finished")
    assert finished.reason == "early_stopped" and finished.checkpoint.endswith("step-000008")
    assert (tmp_path / "checkpoints" / "step-000008").is_dir()


def test_early_stopping_counters_survive_a_resume(tmp_path):
    from bert_engine.training import EarlyStopping

    values = {2: 0.5, 4: 0.6, 6: 0.55, 8: 0.6, 10: 0.9}
    control = RunControl()
    holder = {}

    def stop_after_step_6(event):
        if event.kind == "checkpoint" and event.step == 6:
            control.stop()

    first = make_trainer(
        tmp_path,
        total_steps=20,
        eval_every=2,
        checkpoint_every=2,
        control=control,
        listeners=[stop_after_step_6],
    )
    first.evaluate = _scripted_accuracy(holder, values)
    first.early_stopping = EarlyStopping("accuracy", patience=2)
    holder["trainer"] = first
    assert first.run().status == "cancelled" and first.step == 6
    assert first.early_stopping.bad == 1

    # A fresh trainer (fresh counters) resumed from step 6 stops at step 8 like the
    # uninterrupted run, because the counters came back with the checkpoint.
    second = make_trainer(tmp_path, total_steps=20, eval_every=2, checkpoint_every=2)
    second.evaluate = _scripted_accuracy(holder, values)
    second.early_stopping = EarlyStopping("accuracy", patience=2)
    holder["trainer"] = second
    second.resume()
    assert (second.early_stopping.best, second.early_stopping.bad) == (0.6, 1)
    result = second.run()
    assert (result.step, result.reason) == (8, "early_stopped")


def test_early_stopping_on_a_metric_the_evaluation_lacks_is_a_clear_error(tmp_path):
    from bert_engine.training import EarlyStopping

    holder = {}
    trainer = make_trainer(tmp_path, total_steps=6, eval_every=2)
    trainer.evaluate = _scripted_accuracy(holder, {2: 0.5})
    trainer.early_stopping = EarlyStopping("macro_f1", patience=1)
    holder["trainer"] = trainer
    with pytest.raises(TrainingError, match="watches 'macro_f1'.*returned only accuracy"):
        trainer.run()
    with pytest.raises(TrainingError, match="needs an `evaluate`"):
        Trainer(
            TinyLM(),
            build_optimizer(TinyLM(), lr=1e-3),
            [],
            TrainerConfig(total_steps=1),
            device="cpu",
            early_stopping=EarlyStopping("loss", 1),
        )


def _slow_steps(seconds):
    # A listener that makes every step take at least `seconds` of wall time.
    import time

    def wait(event):
        if event.kind == "step":
            time.sleep(seconds)

    return wait


def test_time_budget_ends_the_run_and_decays_the_lr_by_time(tmp_path):
    rec = Recorder()
    trainer = make_trainer(
        tmp_path, listeners=[rec, _slow_steps(0.02)], total_steps=100_000, time_budget_s=0.4
    )
    result = trainer.run()
    assert result.status == "finished" and result.reason == "time_budget"
    assert 5 < result.step < 100_000 and trainer.elapsed_s >= 0.4
    assert rec.of("finished")[0].reason == "time_budget"
    assert load_checkpoint(result.checkpoint).step == result.step  # the end is saved
    steps = rec.of("step")
    lrs = [e.lr for e in steps]
    assert lrs[2] == pytest.approx(5e-3)  # warm-up (3 steps) reached the peak
    assert all(b <= a for a, b in zip(lrs[3:-1], lrs[4:], strict=True))  # then only down
    assert lrs[-1] < 0.3 * 5e-3  # most of the way to 0 when the time is up
    # Progress bars get an estimate of the last step instead of 100,000; the end is exact.
    assert all(e.total_steps < 100_000 for e in steps[3:])
    assert steps[-1].total_steps == result.step and steps[-1].eta_s == 0.0


def test_time_budget_carries_over_a_resume(tmp_path):
    control = RunControl()

    def stop_at_3(event):
        if event.kind == "step" and event.step == 3:
            control.stop()

    first = make_trainer(
        tmp_path,
        control=control,
        listeners=[_slow_steps(0.02), stop_at_3],
        total_steps=100_000,
        time_budget_s=0.4,
    )
    assert first.run().status == "cancelled"
    spent = first.elapsed_s
    assert 0.05 < spent < 0.4

    again = make_trainer(tmp_path, listeners=[_slow_steps(0.02)], total_steps=100_000,
                         time_budget_s=0.4)  # fmt: skip
    again.resume()
    assert again.elapsed_s == pytest.approx(spent)
    warmup_end = again.scheduler.lr_lambdas[0].warmup_end_fraction
    assert warmup_end == first.scheduler.lr_lambdas[0].warmup_end_fraction is not None
    result = again.run()
    assert result.reason == "time_budget" and again.elapsed_s >= 0.4
    # The budget is for the whole run: the second session used only what was left.
    assert again.elapsed_s - spent < 0.4


def test_bad_time_budget_is_rejected():
    with pytest.raises(ValueError, match="time_budget_s"):
        TrainerConfig(total_steps=10, time_budget_s=0)
