"""The generic training core: optimizer, schedules, the step loop, control, events, checkpoints.

Model- and data-agnostic: a model is any `nn.Module` called as `model(**batch)` returning an
object with a `.loss`; data is an iterable of batch dicts. BERT-specific workflows build on it.
"""

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
    ResumedEvent,
    StartedEvent,
    StepEvent,
    event_from_dict,
)
from bert_engine.training.loop import RunResult, Trainer, TrainerConfig, TrainingError
from bert_engine.training.optim import build_optimizer, parameter_groups, split_decay_parameters
from bert_engine.training.schedule import WarmupDecay, build_scheduler
from bert_engine.training.seed import capture_rng_state, restore_rng_state, seed_everything

__all__ = [
    "CancelledEvent",
    "CheckpointError",
    "CheckpointEvent",
    "CheckpointInfo",
    "CheckpointManager",
    "DeviceError",
    "EarlyStopping",
    "EvalEvent",
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
