"""`bertbench pretrain PRESET [--set KEY=VALUE ...] [--resume RUN]`."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from workbench.commands._common import add_run_args, training_preset


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "pretrain",
        help="pre-train a tokenizer and BERT from a preset",
        description="Pre-train from a preset (a name from `bertbench presets list` or a file). "
        "Ctrl-C stops cleanly with a checkpoint; continue with --resume RUN. For several "
        "GPUs: torchrun --nproc_per_node N -m workbench.cli pretrain PRESET.",
    )
    add_run_args(
        p,
        set_example="pretrain.lr=1e-4",
        resume_help="continue this run folder (or one of its checkpoint folders) where it stopped",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    preset = training_preset(args)

    from bert_engine.training import RunControl, stop_on_interrupt
    from bert_engine.training.distributed import env_world_size
    from bert_engine.training.pretrain import run_pretraining
    from workbench.commands._progress import EventProgress

    control = RunControl()
    rank = int(os.environ.get("RANK", "0"))
    show = not args.quiet and rank == 0
    with EventProgress(enabled=show) as progress, stop_on_interrupt(control):
        outcome = run_pretraining(
            preset,
            control=control,
            listeners=[progress.on_event],
            resume=args.resume,
            progress=progress.on_stage,
            on_run_dir=progress.on_run_dir,
            checkpoint=args.checkpoint,
            allow_shared_device=args.allow_shared_device,
        )
    from bert_engine.training.distributed import current_context, shutdown

    shutdown(current_context())
    result = outcome.result
    if rank != 0:
        return 0 if result.status == "finished" else 1
    where = outcome.run_dir
    if result.status == "finished":
        loss = f", last loss {result.last_loss:.4f}" if result.last_loss is not None else ""
        print(f"finished at step {result.step}{loss}: {where}")
        if env_world_size() == 1:
            print(f"export it with: bertbench export {where} --out <folder>")
        return 0
    if result.status == "cancelled":
        print(
            f"stopped at step {result.step}; checkpoint {result.checkpoint}; continue with: "
            f"bertbench pretrain --resume {where}",
            file=sys.stderr,
        )
        return 130
    print(
        f"error: training failed at step {result.step}: {result.reason}; last good checkpoint: "
        f"{result.checkpoint or 'none'}",
        file=sys.stderr,
    )
    return 1
