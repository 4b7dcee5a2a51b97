"""Data-parallel (DDP) support for the training workflows.

Started by `torchrun --nproc_per_node N -m workbench.cli pretrain PRESET`: torchrun sets RANK,
WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT, and `init_distributed` joins the process group (NCCL
on CUDA, gloo on CPU). Every rank trains on its own share of the data; rank 0 alone writes the
run folder, events and checkpoints.

Two pieces keep a distributed run stoppable and resumable:

* `SyncedControl` makes every rank see the same stop request (a stop on any rank, e.g. Ctrl-C
  forwarded by torchrun, stops all at the same step boundary; otherwise a rank left waiting in
  an all-reduce would hang).
* `RankStates` gathers every rank's data position at each optimizer step, so the checkpoint
  rank 0 writes lets each rank continue from exactly its own place.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from bert_engine.training.control import RunControl


@dataclass(frozen=True)
class DistContext:
    """Where this process sits in the job (a single process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def env_world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1") or 1)


def init_distributed(device: str = "auto") -> DistContext:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1); else a single process.

    NCCL when the run uses CUDA (device "auto" with a GPU, or "cuda..."), gloo otherwise.
    """
    if dist.is_available() and dist.is_initialized():
        return current_context()
    world = env_world_size()
    if world <= 1:
        return DistContext()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    use_cuda = torch.cuda.is_available() and (device == "auto" or device.startswith("cuda"))
    backend = "nccl" if use_cuda else "gloo"
    if use_cuda:
        torch.cuda.set_device(local_rank)
    dist.init_process_group(backend=backend, timeout=datetime.timedelta(minutes=30))
    return current_context()


def current_context() -> DistContext:
    if not (dist.is_available() and dist.is_initialized()):
        return DistContext()
    return DistContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        backend=dist.get_backend(),
    )


def rank_device(ctx: DistContext, requested: str) -> str:
    """Each rank's device: its own GPU under NCCL, the CPU under gloo."""
    if not ctx.enabled:
        return requested
    return f"cuda:{ctx.local_rank}" if ctx.backend == "nccl" else "cpu"


def broadcast_object(value: Any, ctx: DistContext) -> Any:
    """Rank 0's `value` on every rank."""
    if not ctx.enabled:
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def shutdown(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def _flag_tensor(value: bool, ctx: DistContext) -> torch.Tensor:
    device = f"cuda:{ctx.local_rank}" if ctx.backend == "nccl" else "cpu"
    return torch.tensor([1 if value else 0], dtype=torch.int32, device=device)


class SyncedControl(RunControl):
    """A `RunControl` whose stop request is the OR over all ranks (checked once per step).

    Pausing is not supported across ranks (a paused rank would stall the others' collectives),
    so `is_paused` is always False here.
    """

    def __init__(self, inner: RunControl, ctx: DistContext) -> None:
        super().__init__()
        self.inner, self.ctx = inner, ctx

    @property
    def should_stop(self) -> bool:
        flag = _flag_tensor(self.inner.should_stop, self.ctx)
        if self.ctx.enabled:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item())

    @property
    def is_paused(self) -> bool:
        return False

    def stop(self) -> None:
        self.inner.stop()


class RankStates:
    """Wraps a resumable data stream so rank 0's `state_dict()` holds every rank's position.

    After the last micro-batch of each optimizer step the ranks all-gather their stream states
    (a few hundred bytes); `load_state_dict` then picks this rank's own entry. The checkpoint's
    RNG state is rank 0's, so each micro-batch also reseeds torch from (seed, micro-batch
    number, rank): every rank's dropout then depends only on where it is in the run, and a
    resumed run repeats the uninterrupted one exactly on every rank.
    """

    def __init__(self, data: Any, ctx: DistContext, grad_accum_steps: int = 1, seed: int = 0):
        self.data, self.ctx, self.accum, self.seed = data, ctx, grad_accum_steps, seed
        self._gathered: list[Any] | None = None
        self._drawn = 0  # micro-batches handed out so far (the same on every rank)

    def __iter__(self) -> Iterator[Any]:
        for batch in self.data:
            self._drawn += 1
            torch.manual_seed(
                ((self.seed * 1_000_003 + self._drawn) * 1009 + self.ctx.rank) % 2**63
            )
            if self._drawn % self.accum == 0:
                self._gathered = self._gather(self.data.state_dict())
            yield batch

    def _gather(self, state: Any) -> list[Any]:
        if not self.ctx.enabled:
            return [state]
        out: list[Any] = [None] * self.ctx.world_size
        dist.all_gather_object(out, state)
        return out

    def state_dict(self) -> dict[str, Any]:
        states = self._gathered if self._gathered is not None else [self.data.state_dict()]
        return {"world_size": self.ctx.world_size, "drawn": self._drawn, "ranks": states}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if "ranks" not in state:  # a single-process checkpoint
            self.data.load_state_dict(state)
            return
        if state["world_size"] != self.ctx.world_size:
            from bert_engine.training.checkpoint import CheckpointError

            raise CheckpointError(
                f"the checkpoint was written by {state['world_size']} process(es) and this run "
                f"has {self.ctx.world_size}; resume with --nproc_per_node "
                f"{state['world_size']} (each process continues its own share of the data)"
            )
        self.data.load_state_dict(state["ranks"][self.ctx.rank])
        self._gathered = list(state["ranks"])
        self._drawn = int(state["drawn"])


def all_reduce_sums(values: Iterable[float], ctx: DistContext, device: str) -> list[float]:
    """Element-wise sums over ranks (evaluation totals)."""
    numbers = list(values)
    if not ctx.enabled:
        return numbers
    tensor = torch.tensor(numbers, dtype=torch.float64, device=device)
    dist.all_reduce(tensor)
    return tensor.tolist()
