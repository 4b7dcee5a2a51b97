"""`bertbench finetune PRESET [--set KEY=VALUE ...] [--resume RUN]` and
`bertbench evaluate RUN [--split test|validation] [--data FILE]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from workbench.commands._common import CliError, add_run_args, training_preset


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "finetune",
        help="fine-tune a classifier from a preset",
        description="Fine-tune BERT on a labelled dataset, from a preset with [finetune] and "
        "[classification] tables (e.g. classify-quickstart, finetune-csv). Each epoch ends with "
        "a validation evaluation; the best model is kept and evaluated on the test split. "
        "Ctrl-C stops cleanly with a checkpoint; continue with --resume RUN.",
    )
    add_run_args(
        p,
        set_example="finetune.lr=3e-4",
        resume_help="continue this fine-tuning run folder (or one of its checkpoint folders)",
    )
    p.add_argument(
        "--adapt",
        action="store_true",
        help="first continue masked-LM on the training texts (the preset's [adapt] section), "
        "then fine-tune from the adapted model",
    )
    p.set_defaults(func=run)

    e = subparsers.add_parser(
        "evaluate",
        help="evaluate a fine-tuned run on a split or a file",
        description="Accuracy, macro-F1, loss, per-class precision/recall/F1 and the confusion "
        "matrix of a fine-tuned run's best checkpoint, on its test or validation split or on "
        "another labelled file; the analysis and the misclassified examples "
        "(errors-<split>.jsonl) are saved in the run folder.",
    )
    e.add_argument("run", help="a fine-tuning run folder")
    e.add_argument("--split", choices=("test", "validation"), default="test")
    e.add_argument("--data", metavar="FILE", help="a labelled .csv/.tsv/.jsonl file instead")
    e.add_argument("--checkpoint", help="a step-* checkpoint instead of the best one")
    e.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    e.set_defaults(func=run_evaluate)


def run(args: argparse.Namespace) -> int:
    preset = training_preset(args)
    if getattr(args, "adapt", False):
        from bert_engine.presets import load_preset
        from workbench.commands.adapt import adapted_init

        init = adapted_init(preset, args)
        preset = load_preset(args.preset, [*args.overrides, f"finetune.init={init}"])
    from bert_engine.training import RunControl, stop_on_interrupt
    from bert_engine.training.finetune import finetune, read_results
    from workbench.commands._progress import EventProgress

    control = RunControl()
    messages: list[str] = []
    with EventProgress(enabled=not args.quiet) as progress, stop_on_interrupt(control):
        run_dir = finetune(
            preset,
            resume=args.resume,
            control=control,
            listeners=[progress.on_event],
            on_message=messages.append,
            checkpoint=args.checkpoint,
            allow_shared_device=args.allow_shared_device,
        )
    for message in messages:
        print(message)
    results = read_results(run_dir)
    if results["status"] == "cancelled":
        print(
            f"stopped at step {results['steps']}; continue with: bertbench finetune --resume "
            f"{run_dir}",
            file=sys.stderr,
        )
        return 130
    if results["status"] != "finished":
        print(f"error: fine-tuning {results['status']}; see {run_dir}/metrics.jsonl")
        return 1
    best = results.get("best_value")
    print(
        f"best validation {results['eval_metric']}: {best:.4f} at step {results['best_step']}"
        if best is not None
        else "no validation result"
    )
    if "test" in results:
        t = results["test"]
        print(
            f"test: accuracy {t['accuracy']:.4f}  macro-F1 {t['macro_f1']:.4f}  "
            f"loss {t['loss']:.4f}"
        )
    print(f"run: {run_dir}")
    print(f'try it: bertbench classify {run_dir} "some text"')
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from bert_engine.training.finetune.analysis import errors_file, evaluate_run, format_table
    from bert_engine.training.finetune.plan import FinetuneError

    try:
        result = evaluate_run(
            args.run,
            split=args.split,
            data_file=args.data,
            checkpoint=args.checkpoint,
            device=args.device,
        )
    except FinetuneError as exc:
        raise CliError(str(exc)) from exc
    summary = result.summary()
    name = args.data if args.data else f"{args.split} split"
    print(f"{result.checkpoint} on {name} ({summary['examples']} examples)")
    print(
        f"accuracy {summary['accuracy']:.4f}  macro-F1 {summary['macro_f1']:.4f}  "
        f"loss {summary['loss']:.4f}"
    )
    print()
    print(format_table(summary))
    run = Path(args.run)
    if result.saved:
        print(
            f"\n{summary['errors']} misclassified, most confident first: "
            f"{run / errors_file(result.split)}"
        )
    else:
        print("\n(the run is still training: the analysis is not saved in it)")
    return 0
