"""The step engine every training workflow (pre-training, fine-tuning) runs on.

`Trainer` knows nothing about BERT or about any data format. It needs:

* a model: any `nn.Module` called as `model(**batch)` that returns an object (or a dict) with
  a scalar `loss`, and optionally `metrics`: a dict of scalar values to average and report;
* an optimizer (and optionally a scheduler that steps once per optimizer step);
* training data: an iterable of batch dicts of tensors. If it has `state_dict()` and
  `load_state_dict()`, that state is saved in checkpoints so a resumed run reads exactly the
  batches an uninterrupted one would have. Re-iterable data starts a new epoch when it runs out
  (calling `set_epoch(epoch)` when it has one); a one-shot iterator ends the run early.

Each optimizer step: check the `RunControl` (pause / stop), run `grad_accum_steps` forward /
backward passes, clip gradients, refuse to step on a non-finite loss or gradient, step, and emit
events. Evaluations and checkpoints happen at step boundaries, so every checkpoint is a
consistent state from which the run continues exactly as if it had never stopped.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

from bert_engine.errors import BertbenchError
from bert_engine.training.checkpoint import CheckpointManager, LoadedCheckpoint, load_checkpoint
from bert_engine.training.control import RunControl
from bert_engine.training.device import (
    autocast,
    move_to_device,
    needs_grad_scaler,
    resolve_precision,
    select_device,
)
from bert_engine.training.early_stopping import EarlyStopping
from bert_engine.training.events import (
    CancelledEvent,
    CheckpointEvent,
    EvalEvent,
    Event,
    EventBus,
    FailedEvent,
    FinishedEvent,
    Listener,
    PausedEvent,
    ProbeEvent,
    ResumedEvent,
    StartedEvent,
    StepEvent,
)
from bert_engine.training.schedule import set_time_fraction
from bert_engine.training.seed import capture_rng_state, restore_rng_state

log = logging.getLogger(__name__)

Batch = Mapping[str, Any]
Evaluate = Callable[[nn.Module], Mapping[str, Any]]


class TrainingError(BertbenchError, RuntimeError):
    """The training setup or the model's output cannot be used (a message says how to fix it)."""


@dataclass
class TrainerConfig:
    total_steps: int
    grad_accum_steps: int = 1
    # Stop once this much wall time (pauses excluded, over all sessions) is spent, even before
    # total_steps; a WarmupDecay schedule then decays by time.
    time_budget_s: float | None = None
    # None: no clipping (the gradient norm is still measured and reported).
    max_grad_norm: float | None = 1.0
    log_every: int = 1
    eval_every: int | None = None
    checkpoint_every: int | None = None
    checkpoint_on_finish: bool = True
    precision: str = "fp32"
    eval_split: str = "validation"

    def __post_init__(self) -> None:
        positive = {"total_steps": self.total_steps, "grad_accum_steps": self.grad_accum_steps}
        positive["log_every"] = self.log_every
        if self.eval_every is not None:
            positive["eval_every"] = self.eval_every
        if self.checkpoint_every is not None:
            positive["checkpoint_every"] = self.checkpoint_every
        for name, value in positive.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainerConfig.{name} must be a positive integer, got {value!r}")
        if self.time_budget_s is not None and not self.time_budget_s > 0:
            raise ValueError(f"time_budget_s must be > 0 or None, got {self.time_budget_s}")
        if self.max_grad_norm is not None and not self.max_grad_norm > 0:
            raise ValueError(f"max_grad_norm must be > 0 or None, got {self.max_grad_norm}")


@dataclass
class RunResult:
    """How `Trainer.run` ended: status is "finished", "cancelled" or "failed"."""

    status: str
    step: int
    reason: str | None = None
    checkpoint: Path | None = None
    last_loss: float | None = None
    eval_metrics: dict[str, float] = field(default_factory=dict)


class _DataExhausted(Exception):
    pass


def _loss_of(output: Any) -> torch.Tensor:
    loss = output.get("loss") if isinstance(output, Mapping) else getattr(output, "loss", None)
    if loss is None:
        raise TrainingError(
            f"the model returned {type(output).__name__} without a loss: training needs "
            "model(**batch) to return an object or dict with a scalar `loss` (are the labels "
            "missing from the batch?)"
        )
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TrainingError(f"the model's loss must be a scalar tensor, got {loss!r:.80}")
    return loss.reshape(())


def _metrics_of(output: Any) -> Mapping[str, Any]:
    metrics = (
        output.get("metrics") if isinstance(output, Mapping) else getattr(output, "metrics", None)
    )
    return metrics if isinstance(metrics, Mapping) else {}


def _as_float(value: Any) -> float:
    return float(value.detach().float().item()) if isinstance(value, torch.Tensor) else float(value)


def _count(batch: Batch) -> tuple[torch.Tensor | None, int | None]:
    """Real (non-padding) tokens and examples in a batch, when they can be told."""
    mask = batch.get("attention_mask")
    if isinstance(mask, torch.Tensor):
        tokens: torch.Tensor | None = mask.sum()
    else:
        ids = batch.get("input_ids")
        tokens = torch.tensor(float(ids.numel())) if isinstance(ids, torch.Tensor) else None
    examples = next(
        (v.shape[0] for v in batch.values() if isinstance(v, torch.Tensor) and v.ndim), None
    )
    return tokens, examples


class Trainer:
    """Runs optimizer steps, emitting events, until done, stopped or failed.

    `is_main_process=False` (the other ranks of a distributed run) trains identically but emits
    no events and writes no checkpoints. The model may be wrapped (DDP, torch.compile).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        train_data: Iterable[Batch],
        config: TrainerConfig,
        *,
        scheduler: Any = None,
        device: str | torch.device | None = "auto",
        evaluate: Evaluate | None = None,
        checkpoints: CheckpointManager | None = None,
        control: RunControl | None = None,
        listeners: Iterable[Listener] = (),
        is_main_process: bool = True,
        early_stopping: EarlyStopping | None = None,
        probe: Callable[[nn.Module], list[dict[str, Any]]] | None = None,
    ) -> None:
        if early_stopping is not None and evaluate is None:
            raise TrainingError("early stopping needs an `evaluate` callback to watch a metric")
        self.config = config
        self.early_stopping = early_stopping
        self.device = select_device(device)
        self.precision = resolve_precision(config.precision, self.device)
        self.model = model.to(self.device)
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.train_data = train_data
        self.evaluate = evaluate
        # Fill-mask probes (training/probes.py), run with each evaluation.
        self.probe = probe
        self.checkpoints = checkpoints
        self.control = control or RunControl()
        self.bus = EventBus(listeners)
        self.is_main_process = is_main_process
        self.scaler = (
            torch.amp.GradScaler("cuda") if needs_grad_scaler(self.device, self.precision) else None
        )
        # Progress, all saved in checkpoints.
        self.step = 0
        self.epoch = 0
        self.batches_in_epoch = 0  # micro-batches drawn in the current epoch
        self.tokens_seen = 0
        self.examples_seen = 0
        self.elapsed_s = 0.0  # wall time over all sessions, pauses excluded
        self.last_eval: dict[str, float] = {}
        self._iterator: Iterator[Batch] | None = None
        self._pending_rng: dict[str, Any] | None = None
        self._skip_batches = 0
        self._resumed = False
        self._last_checkpoint: Path | None = None
        # This session's clock (see run): elapsed_s = before + (now - start - paused).
        self._session_start = 0.0
        self._paused_s = 0.0
        self._elapsed_before = 0.0

    # ----------------------------------------------------------------------------- resume
    def resume(self, path: str | Path | None = None) -> LoadedCheckpoint:
        """Load a checkpoint (default: the checkpoint manager's latest) to continue from it.

        Restores model, optimizer, scheduler, grad scaler, progress counters, the data
        iterator's position and — when `run()` starts — every RNG stream.
        """
        if path is None:
            if self.checkpoints is None or self.checkpoints.latest() is None:
                where = (
                    self.checkpoints.directory if self.checkpoints else "(no checkpoint manager)"
                )
                raise TrainingError(f"no checkpoint to resume from in {where}")
            path = self.checkpoints.latest()
        assert path is not None
        loaded = load_checkpoint(
            path,
            self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            scaler=self.scaler,
            map_location=self.device,
        )
        state = loaded.trainer_state
        self.step = loaded.step
        self.epoch = int(state.get("epoch", 0))
        self.batches_in_epoch = int(state.get("batches_in_epoch", 0))
        self.tokens_seen = int(state.get("tokens_seen", 0))
        self.examples_seen = int(state.get("examples_seen", 0))
        self.elapsed_s = float(state.get("elapsed_s", 0.0))
        self.last_eval = dict(state.get("last_eval") or {})
        if self.early_stopping is not None and state.get("early_stopping"):
            self.early_stopping.load_state_dict(state["early_stopping"])
        self._pending_rng = loaded.rng_state
        if self.checkpoints is not None:  # later checkpoints are an abandoned attempt's
            self.checkpoints.rewind(loaded.step)
        load_data_state = getattr(self.train_data, "load_state_dict", None)
        if loaded.data_state is not None and callable(load_data_state):
            load_data_state(loaded.data_state)
        elif self.batches_in_epoch:
            # Without a data state, replay the epoch up to where it stopped (best effort: exact
            # only when the data yields the same order every time for a given epoch).
            log.info("data has no state_dict; skipping %d batches to resume", self.batches_in_epoch)
            self._skip_batches = self.batches_in_epoch
        self._iterator = None
        self._resumed = True
        self._last_checkpoint = Path(path)
        return loaded

    # -------------------------------------------------------------------------------- run
    def run(self) -> RunResult:
        """Train until `total_steps`, a stop request, a non-finite loss or an error.

        Returns a RunResult for finished / cancelled / non-finite-loss runs. Other exceptions
        (a model bug, out of memory, a disk error) are re-raised after a `failed` event.
        """
        cfg = self.config
        if self._pending_rng is not None:
            restore_rng_state(self._pending_rng)
            self._pending_rng = None
        self.model.train()
        self._emit(
            StartedEvent(
                step=self.step,
                total_steps=cfg.total_steps,
                resumed=self._resumed,
                device=str(self.device),
                precision=self.precision,
            )
        )
        session_start_step = self.step
        # Wall-clock time of this session minus pauses (evaluation and checkpoints included):
        # what a person means by "elapsed", and the honest basis for an ETA and a time budget.
        self._session_start = time.perf_counter()
        self._paused_s = 0.0
        self._elapsed_before = self.elapsed_s
        window = _Window()
        last_loss: float | None = None
        try:
            out_of_time = self._time_is_up()  # a resumed run may have spent its budget
            while self.step < cfg.total_steps and not out_of_time:
                if self.control.is_paused:
                    self._emit(PausedEvent(step=self.step))
                    pause_start = time.perf_counter()
                    self.control.wait_if_paused()
                    self._paused_s += time.perf_counter() - pause_start
                    if not self.control.should_stop:
                        self._emit(ResumedEvent(step=self.step))
                if self.control.should_stop:
                    return self._cancel(session_start_step, last_loss)
                started = time.perf_counter()
                try:
                    outcome = self._train_step(window)
                except _DataExhausted:
                    log.warning(
                        "training data ran out at step %d of %d", self.step, cfg.total_steps
                    )
                    return self._finish(reason="data_exhausted", last_loss=last_loss)
                if isinstance(outcome, str):  # non-finite loss or gradient
                    return self._fail(outcome, last_loss)
                last_loss = outcome
                self.step += 1
                now = time.perf_counter()
                window.seconds += now - started  # compute time only: the basis of throughput
                self.elapsed_s = self._elapsed_now(now)
                out_of_time = self._time_is_up()
                final = self.step == cfg.total_steps or out_of_time
                if self.step % cfg.log_every == 0 or final:
                    session_s = self.elapsed_s - self._elapsed_before
                    done = self.step - session_start_step
                    eta = session_s / done * (cfg.total_steps - self.step)
                    if cfg.time_budget_s is not None:
                        eta = max(0.0, min(eta, cfg.time_budget_s - self.elapsed_s))
                    self._emit(window.event(self, eta, self._total_estimate(done, session_s)))
                    window = _Window()
                stop_early = False
                if self.evaluate is not None and (
                    (cfg.eval_every and self.step % cfg.eval_every == 0) or final
                ):
                    self._run_eval()
                    stop_early = self._stop_early()
                if (cfg.checkpoint_every and self.step % cfg.checkpoint_every == 0) or (
                    final and cfg.checkpoint_on_finish
                ):
                    self._save(train_loss=last_loss)
                if stop_early and not final:
                    return self._finish(reason="early_stopped", last_loss=last_loss)
            if self.step < cfg.total_steps:  # the time budget ended the run
                return self._finish(reason="time_budget", last_loss=last_loss)
            return self._finish(reason="completed", last_loss=last_loss)
        except KeyboardInterrupt:
            # Mid-step: the in-memory state is inconsistent, so only existing checkpoints count.
            self._emit(CancelledEvent(step=self.step, checkpoint=self._checkpoint_str()))
            raise
        except Exception as exc:
            self._emit(
                FailedEvent(
                    step=self.step,
                    reason=f"{type(exc).__name__}: {exc}",
                    checkpoint=self._checkpoint_str(),
                )
            )
            raise

    # ------------------------------------------------------------------------ internals
    def _elapsed_now(self, now: float | None = None) -> float:
        now = time.perf_counter() if now is None else now
        return self._elapsed_before + (now - self._session_start - self._paused_s)

    def _time_is_up(self) -> bool:
        budget = self.config.time_budget_s
        if budget is None:
            return False
        spent = self.elapsed_s
        if dist.is_available() and dist.is_initialized():
            # Every rank must stop at the same step: the slowest clock decides.
            t = torch.tensor([spent], dtype=torch.float64, device=_collective_device(self.device))
            dist.all_reduce(t, op=dist.ReduceOp.MAX)
            spent = float(t.item())
        return spent >= budget

    def _total_estimate(self, done: int, session_s: float) -> int:
        """total_steps, or under a time budget the step it will likely end at (for progress
        bars): this session's pace over the time left."""
        cfg = self.config
        if cfg.time_budget_s is None or done <= 0 or session_s <= 0:
            return cfg.total_steps
        left = max(0.0, cfg.time_budget_s - self.elapsed_s)
        return min(cfg.total_steps, self.step + int(left * done / session_s))

    def _emit(self, event: Event) -> None:
        if self.is_main_process:
            self.bus.emit(event)

    def _checkpoint_str(self) -> str | None:
        if self._last_checkpoint is None and self.checkpoints is not None:
            self._last_checkpoint = self.checkpoints.latest()
        return str(self._last_checkpoint) if self._last_checkpoint else None

    def _next_batch(self) -> Batch:
        while True:
            if self._iterator is None:
                set_epoch = getattr(self.train_data, "set_epoch", None)
                if callable(set_epoch):
                    set_epoch(self.epoch)
                self._iterator = iter(self.train_data)
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self._iterator is self.train_data:  # a one-shot iterator cannot restart
                    raise _DataExhausted from None
                if self.batches_in_epoch == 0 and self._skip_batches == 0:
                    raise TrainingError("the training data yielded no batches at all") from None
                self.epoch += 1
                self.batches_in_epoch = 0
                self._skip_batches = 0
                self._iterator = None
                continue
            if self._skip_batches:
                self._skip_batches -= 1
                continue
            self.batches_in_epoch += 1
            if not isinstance(batch, Mapping):
                raise TrainingError(
                    f"training data must yield dicts of tensors (model(**batch)), "
                    f"got {type(batch).__name__}"
                )
            return batch

    def _train_step(self, window: _Window) -> float | str:
        """One optimizer step. Returns the mean loss, or a reason string if it must fail."""
        cfg = self.config
        accum = cfg.grad_accum_steps
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum = torch.zeros((), device=self.device)
        token_sum = torch.zeros((), device=self.device)
        counted_tokens = False
        examples = 0
        for micro in range(accum):
            batch = move_to_device(dict(self._next_batch()), self.device)
            # DDP: only the last micro-batch needs to all-reduce gradients.
            no_sync = getattr(self.model, "no_sync", None)
            sync_ctx = (
                no_sync() if callable(no_sync) and micro < accum - 1 else contextlib.nullcontext()
            )
            with sync_ctx:
                with autocast(self.device, self.precision):
                    output = self.model(**batch)
                loss = _loss_of(output).float()
                scaled = loss / accum
                (self.scaler.scale(scaled) if self.scaler is not None else scaled).backward()
            loss_sum += loss.detach()
            window.add_metrics(_metrics_of(output))
            tokens, batch_examples = _count(batch)
            if tokens is not None:
                token_sum += tokens.to(token_sum.device, torch.float32)
                counted_tokens = True
            examples += batch_examples or 0
        if self.scaler is not None:
            self.scaler.unscale_(self.optimizer)
        params = [
            p
            for group in self.optimizer.param_groups
            for p in group["params"]
            if p.grad is not None
        ]
        if not params:
            grad_norm = torch.zeros(())
        elif cfg.max_grad_norm is not None:
            grad_norm = torch.nn.utils.clip_grad_norm_(params, cfg.max_grad_norm)
        elif hasattr(torch.nn.utils, "get_total_norm"):  # torch >= 2.6: measure, don't rescale
            grad_norm = torch.nn.utils.get_total_norm([p.grad for p in params])
        else:
            grad_norm = torch.nn.utils.clip_grad_norm_(params, math.inf)
        # One host sync per step: we must know the loss is finite before touching the weights
        # (the token count rides along so that it costs no extra sync).
        loss_value, norm_value, token_value = torch.stack(
            [loss_sum / accum, grad_norm.float().to(self.device), token_sum]
        ).tolist()
        if not math.isfinite(loss_value):
            return f"loss is {loss_value} at step {self.step + 1}; weights were not updated"
        if not math.isfinite(norm_value) and self.scaler is None:
            return (
                f"gradient norm is {norm_value} at step {self.step + 1}; weights were not updated"
            )
        lr = float(self.optimizer.param_groups[0]["lr"])
        if self.scaler is not None:
            self.scaler.step(self.optimizer)  # skips the step itself on fp16 overflow
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.scheduler is not None:
            if self.config.time_budget_s is not None:
                set_time_fraction(self.scheduler, self._elapsed_now() / self.config.time_budget_s)
            self.scheduler.step()
        tokens_done = int(round(token_value)) if counted_tokens else None
        self.tokens_seen += tokens_done or 0
        self.examples_seen += examples
        window.add_step(loss_value, norm_value, lr, tokens_done, examples)
        return loss_value

    def _run_eval(self) -> None:
        assert self.evaluate is not None
        # Evaluation must not change the training trajectory (e.g. random masking in the eval
        # data would otherwise advance the generators), so the RNG streams are put back after.
        rng = capture_rng_state()
        self.model.eval()
        try:
            with torch.no_grad(), autocast(self.device, self.precision):
                raw = self.evaluate(self.model)
                probes = self.probe(self.model) if self.probe is not None else None
        finally:
            self.model.train()
            restore_rng_state(rng)
        metrics = {str(k): _as_float(v) for k, v in dict(raw).items()}
        self.last_eval = metrics
        self._emit(EvalEvent(step=self.step, metrics=metrics, split=self.config.eval_split))
        if probes:
            self._emit(ProbeEvent(step=self.step, probes=probes))

    def _stop_early(self) -> bool:
        """Feeds the evaluation just made to the early stopping; True: end the run now."""
        if self.early_stopping is None:
            return False
        value = self.last_eval.get(self.early_stopping.metric)
        if value is None:
            raise TrainingError(
                f"early stopping watches {self.early_stopping.metric!r} but the evaluation "
                f"returned only {', '.join(sorted(self.last_eval)) or 'nothing'}; pick one of "
                "those metrics"
            )
        return self.early_stopping.update(value)

    def _trainer_state(self) -> dict[str, Any]:
        return {
            "early_stopping": (
                self.early_stopping.state_dict() if self.early_stopping is not None else None
            ),
            "epoch": self.epoch,
            "batches_in_epoch": self.batches_in_epoch,
            "tokens_seen": self.tokens_seen,
            "examples_seen": self.examples_seen,
            "elapsed_s": self.elapsed_s,
            "last_eval": self.last_eval,
            "config": asdict(self.config),
        }

    def _save(self, train_loss: float | None) -> Path | None:
        if self.checkpoints is None or not self.is_main_process:
            return None
        metrics = {f"{self.config.eval_split}/{k}": v for k, v in self.last_eval.items()}
        if train_loss is not None:
            metrics["train/loss"] = train_loss
        state_dict = getattr(self.train_data, "state_dict", None)
        path, is_best = self.checkpoints.save(
            self.step,
            self.model,
            optimizer=self.optimizer,
            scheduler=self.scheduler,
            scaler=self.scaler,
            rng_state=capture_rng_state(),
            data_state=state_dict() if callable(state_dict) else None,
            trainer_state=self._trainer_state(),
            metrics=metrics,
        )
        self._last_checkpoint = path
        self._emit(CheckpointEvent(step=self.step, path=str(path), is_best=is_best))
        return path

    def _already_saved(self) -> bool:
        return self._last_checkpoint is not None and self._last_checkpoint.name.endswith(
            f"-{self.step:06d}"
        )

    def _cancel(self, session_start_step: int, last_loss: float | None) -> RunResult:
        # Save unless nothing happened since the last checkpoint (e.g. stop right after resume).
        if self.step > session_start_step and not self._already_saved():
            self._save(train_loss=last_loss)
        checkpoint = self._checkpoint_str()
        self._emit(CancelledEvent(step=self.step, checkpoint=checkpoint))
        return RunResult(
            "cancelled",
            self.step,
            reason="stopped on request",
            checkpoint=Path(checkpoint) if checkpoint else None,
            last_loss=last_loss,
            eval_metrics=self.last_eval,
        )

    def _fail(self, reason: str, last_loss: float | None) -> RunResult:
        # The last good checkpoint is kept as is: nothing is written from a broken state.
        checkpoint = self._checkpoint_str()
        self._emit(FailedEvent(step=self.step, reason=reason, checkpoint=checkpoint))
        return RunResult(
            "failed",
            self.step,
            reason=reason,
            checkpoint=Path(checkpoint) if checkpoint else None,
            last_loss=last_loss,
            eval_metrics=self.last_eval,
        )

    def _finish(self, reason: str, last_loss: float | None) -> RunResult:
        if reason != "completed" and self.config.checkpoint_on_finish and not self._already_saved():
            self._save(train_loss=last_loss)
        checkpoint = self._checkpoint_str() if self.checkpoints is not None else None
        self._emit(
            FinishedEvent(
                step=self.step, elapsed_s=self.elapsed_s, reason=reason, checkpoint=checkpoint
            )
        )
        return RunResult(
            "finished",
            self.step,
            reason=reason,
            checkpoint=Path(checkpoint) if checkpoint else None,
            last_loss=last_loss,
            eval_metrics=self.last_eval,
        )


def _collective_device(device: torch.device) -> torch.device:
    """NCCL reduces CUDA tensors only; gloo reduces CPU tensors."""
    return device if dist.get_backend() == "nccl" else torch.device("cpu")


class _Window:
    """Sums since the last StepEvent, turned into averages when the event is emitted."""

    def __init__(self) -> None:
        self.steps = 0
        self.loss = 0.0
        self.grad_norm = 0.0
        self.lr = 0.0
        self.seconds = 0.0
        self.tokens: int | None = None
        self.examples = 0
        self.metric_sums: dict[str, torch.Tensor | float] = {}
        self.metric_counts: dict[str, int] = {}

    def add_metrics(self, metrics: Mapping[str, Any]) -> None:
        for name, value in metrics.items():
            # Tensors stay on the device until the event is built: no sync per micro-batch.
            value = value.detach().float() if isinstance(value, torch.Tensor) else float(value)
            self.metric_sums[name] = self.metric_sums.get(name, 0.0) + value
            self.metric_counts[name] = self.metric_counts.get(name, 0) + 1

    def add_step(
        self, loss: float, grad_norm: float, lr: float, tokens: int | None, examples: int
    ) -> None:
        self.steps += 1
        self.loss += loss
        self.grad_norm += grad_norm
        self.lr = lr
        if tokens is not None:
            self.tokens = (self.tokens or 0) + tokens
        self.examples += examples

    def event(self, trainer: Trainer, eta: float, total_steps: int) -> StepEvent:
        def rate(n: int | None) -> float | None:
            return n / self.seconds if n and self.seconds > 0 else None

        return StepEvent(
            step=trainer.step,
            total_steps=total_steps,
            loss=self.loss / self.steps,
            lr=self.lr,
            grad_norm=self.grad_norm / self.steps,
            tokens_per_s=rate(self.tokens),
            examples_per_s=rate(self.examples),
            elapsed_s=trainer.elapsed_s,
            eta_s=eta,
            epoch=trainer.epoch,
            metrics={k: _as_float(v) / self.metric_counts[k] for k, v in self.metric_sums.items()},
        )
