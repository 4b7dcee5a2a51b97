"""The generic training core: optimizer, schedules, the step loop, control, events, checkpoints.

Model- and data-agnostic: a model is any `nn.Module` called as `model(**batch)` returning an
object with a `.loss`; data is an iterable of batch dicts. BERT-specific workflows build on it.

The names below are imported on first use (PEP 562), so that the torch-free parts
(`events`, `control`, `early_stopping`), and what builds on them (`bert_engine.tracking`),
load without torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bert_engine.training.checkpoint import (
        CheckpointError,
        CheckpointInfo,
        CheckpointManager,
        LoadedCheckpoint,
        latest_checkpoint,
        list_checkpoints,
        load_checkpoint,
        write_checkpoint,
    )
    from bert_engine.training.control import RunControl, stop_on_interrupt
    from bert_engine.training.device import DeviceError, autocast, resolve_precision, select_device
    from bert_engine.training.early_stopping import EarlyStopping
    from bert_engine.training.events import (
        CancelledEvent,
        CheckpointEvent,
        EvalEvent,
        Event,
        EventBus,
        FailedEvent,
        FinishedEvent,
        PausedEvent,
        ProbeEvent,
        ResumedEvent,
        StartedEvent,
        StepEvent,
        event_from_dict,
    )
    from bert_engine.training.loop import RunResult, Trainer, TrainerConfig, TrainingError
    from bert_engine.training.optim import build_optimizer, parameter_groups, split_decay_parameters
    from bert_engine.training.schedule import WarmupDecay, build_scheduler
    from bert_engine.training.seed import capture_rng_state, restore_rng_state, seed_everything

_HOMES: dict[str, str] = {
    "CancelledEvent": "events",
    "CheckpointError": "checkpoint",
    "CheckpointEvent": "events",
    "CheckpointInfo": "checkpoint",
    "CheckpointManager": "checkpoint",
    "DeviceError": "device",
    "EarlyStopping": "early_stopping",
    "EvalEvent": "events",
    "ProbeEvent": "events",
    "Event": "events",
    "EventBus": "events",
    "FailedEvent": "events",
    "FinishedEvent": "events",
    "LoadedCheckpoint": "checkpoint",
    "PausedEvent": "events",
    "ResumedEvent": "events",
    "RunControl": "control",
    "RunResult": "loop",
    "StartedEvent": "events",
    "StepEvent": "events",
    "Trainer": "loop",
    "TrainerConfig": "loop",
    "TrainingError": "loop",
    "WarmupDecay": "schedule",
    "autocast": "device",
    "build_optimizer": "optim",
    "build_scheduler": "schedule",
    "capture_rng_state": "seed",
    "event_from_dict": "events",
    "latest_checkpoint": "checkpoint",
    "list_checkpoints": "checkpoint",
    "load_checkpoint": "checkpoint",
    "parameter_groups": "optim",
    "resolve_precision": "device",
    "restore_rng_state": "seed",
    "seed_everything": "seed",
    "select_device": "device",
    "split_decay_parameters": "optim",
    "stop_on_interrupt": "control",
    "write_checkpoint": "checkpoint",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


__all__ = [
    "CancelledEvent",
    "CheckpointError",
    "CheckpointEvent",
    "CheckpointInfo",
    "CheckpointManager",
    "DeviceError",
    "EarlyStopping",
    "EvalEvent",
    "ProbeEvent",
    "Event",
    "EventBus",
    "FailedEvent",
    "FinishedEvent",
    "LoadedCheckpoint",
    "PausedEvent",
    "ResumedEvent",
    "RunControl",
    "RunResult",
    "StartedEvent",
    "StepEvent",
    "Trainer",
    "TrainerConfig",
    "TrainingError",
    "WarmupDecay",
    "autocast",
    "build_optimizer",
    "build_scheduler",
    "capture_rng_state",
    "event_from_dict",
    "latest_checkpoint",
    "list_checkpoints",
    "load_checkpoint",
    "parameter_groups",
    "resolve_precision",
    "restore_rng_state",
    "seed_everything",
    "select_device",
    "split_decay_parameters",
    "stop_on_interrupt",
    "write_checkpoint",
]
