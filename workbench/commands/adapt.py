"""`bertbench adapt PRESET [--set KEY=VALUE ...] [--resume RUN]`: task-adaptive pre-training
(masked-LM on the preset's classification training texts, from `finetune.init`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.commands._common import CliError, add_run_args, training_preset


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "adapt",
        help="continue masked-LM on a classification task's training texts",
        description="Task-adaptive pre-training: masked-LM on the texts of the preset's "
        "classification training split (never its validation or test texts), starting from "
        "finetune.init (a pre-training run) or from random weights. Settings in the preset's "
        "[adapt] section. The result is a pre-training run: fine-tune from it with "
        "--set finetune.init=RUN, or use `bertbench finetune PRESET --adapt` for both steps.",
    )
    add_run_args(
        p,
        set_example="adapt.steps=2000",
        resume_help="continue this adaptation run folder where it stopped",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    preset = training_preset(args)
    outcome = adapt(preset, args)
    result = outcome.result
    if result.status == "finished":
        print(f"adapted at step {result.step}: {outcome.run_dir}")
        print(f"fine-tune from it with: --set finetune.init={outcome.run_dir}")
        return 0
    if result.status == "cancelled":
        print(
            f"stopped at step {result.step}; continue with: bertbench adapt --resume "
            f"{outcome.run_dir}",
            file=sys.stderr,
        )
        return 130
    print(f"error: adaptation failed at step {result.step}: {result.reason}", file=sys.stderr)
    return 1


def adapt(preset: Any, args: argparse.Namespace) -> Any:
    """Run (or resume) the adaptation with the CLI's progress bar; returns its outcome."""
    from bert_engine.training import RunControl, stop_on_interrupt
    from bert_engine.training.adapt import run_adaptation
    from bert_engine.training.pretrain import run_pretraining
    from workbench.commands._progress import EventProgress

    control = RunControl()
    with EventProgress(enabled=not args.quiet) as progress, stop_on_interrupt(control):
        common: dict[str, Any] = dict(
            control=control,
            listeners=[progress.on_event],
            progress=progress.on_stage,
            on_run_dir=progress.on_run_dir,
            allow_shared_device=args.allow_shared_device,
        )
        if preset is None:  # --resume: an adaptation is a pre-training run
            return run_pretraining(None, resume=args.resume, checkpoint=args.checkpoint, **common)
        return run_adaptation(preset, **common)


def adapted_init(preset: Any, args: argparse.Namespace) -> Path:
    """`finetune --adapt`: adapt first; the folder of the finished adaptation run."""
    if preset is None:
        raise CliError("--adapt starts a new fine-tune: give a preset, not --resume")
    if preset.adapt is None:
        raise CliError(
            f"preset {preset.name!r} has no [adapt] section; add one (e.g. [adapt] steps = 500) "
            "or --set adapt.steps=500"
        )
    outcome = adapt(preset, args)
    if outcome.result.status != "finished":
        raise CliError(
            f"the adaptation ended {outcome.result.status} at step {outcome.result.step} "
            f"({outcome.run_dir}); fine-tuning did not start"
        )
    print(f"adapted: {outcome.run_dir}")
    return Path(outcome.run_dir)
