"""Does pre-training help? Pre-train a small BERT on WikiText-2 for a fixed wall-clock budget,
fine-tune it on Rotten Tomatoes, and compare test accuracy with the same fine-tuning from random
weights (same tokenizer, same architecture, same seed and recipe).

    .venv/bin/python benchmarks/quality.py                       # 10 minutes of pre-training
    .venv/bin/python benchmarks/quality.py --budget-min 3 --epochs 2

Data from ../shared/data (or $BERTBENCH_SHARED_DATA). Reference on the same test split:
TF-IDF (word 1-2 grams) + logistic regression, 78.0% accuracy.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

TFIDF_LR_ACCURACY = 0.780


def shared_data() -> Path:
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", root.parent / "shared" / "data"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-min", type=float, default=10.0, help="pre-training wall clock")
    ap.add_argument("--size", default="tiny", help="BERT size (tiny, mini, ...)")
    ap.add_argument("--vocab", type=int, default=16000, help="WordPiece vocabulary size")
    ap.add_argument("--pretrain-lr", type=float, default=1e-3)
    ap.add_argument("--epochs", type=int, default=3, help="fine-tuning epochs")
    ap.add_argument("--lr", type=float, default=1e-3, help="fine-tuning learning rate")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-seq-len", type=int, default=64, help="fine-tuning sequence length")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    ap.add_argument("--out", default=None, help="runs folder (default: a temporary folder)")
    args = ap.parse_args(argv)

    data = shared_data()
    wiki = data / "wikitext-2-raw" / "train.txt.gz"
    rt = data / "rotten-tomatoes"
    if not wiki.is_file() or not (rt / "train.csv").is_file():
        print(f"shared data not found under {data} (set BERTBENCH_SHARED_DATA)", file=sys.stderr)
        return 2

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from bert_engine.inference import read_bert_config, read_run_tokenizer
    from bert_engine.presets import load_preset
    from bert_engine.tracking import read_summary
    from bert_engine.training import RunControl
    from bert_engine.training.finetune import (
        ClassificationDataSettings,
        FinetuneSettings,
        finetune,
        read_results,
    )
    from bert_engine.training.pretrain import pretrain

    runs = Path(args.out or tempfile.mkdtemp(prefix="bertbench-quality-"))
    budget_s = args.budget_min * 60
    preset = load_preset(
        "wikitext-mini-cpu",
        [
            f"data.source={wiki}",
            f"model.size={args.size}",
            f"tokenizer.vocab_size={args.vocab}",
            "pretrain.max_steps=1000000",  # the wall-clock budget ends the run
            "pretrain.warmup_steps=200",
            "pretrain.schedule=constant",
            f"pretrain.lr={args.pretrain_lr}",
            "pretrain.eval_every=500",
            "pretrain.checkpoint_every=1000",
            f"pretrain.device={args.device}",
            f"tracking.runs_dir={runs}",
            "tracking.run_name=quality-pretrain",
        ],
    )

    # The budget counts training only (not tokenizer training or the shard cache): the timer
    # starts with the trainer and stops it cleanly (a checkpoint is written on stop).
    control = RunControl()
    timer: list[threading.Timer] = []

    def start_timer(event: Any) -> None:
        if event.kind == "started" and not timer:
            timer.append(threading.Timer(budget_s, control.stop))
            timer[0].daemon = True
            timer[0].start()
        elif event.kind == "step" and event.step % 200 == 0:
            print(f"  pre-training step {event.step}: loss {event.loss:.3f}", flush=True)

    print(f"pre-training a {args.size} BERT on {wiki} for {args.budget_min:g} min ...", flush=True)
    t0 = time.perf_counter()
    run = pretrain(preset, control=control, listeners=[start_timer])
    if timer:
        timer[0].cancel()
    pre_s = time.perf_counter() - t0
    summary = read_summary(run)
    tokenizer = read_run_tokenizer(run)
    config = read_bert_config(run, tokenizer.vocab_size)

    classification = ClassificationDataSettings(
        train=str(rt / "train.csv"),
        test=str(rt / "test.csv"),
        validation_fraction=0.1,
        max_seq_len=args.max_seq_len,
        batch_size=args.batch_size,
    )
    results = {}
    for label, init in (("pre-trained", str(run)), ("random init", "random")):
        settings = FinetuneSettings(
            init=init, epochs=args.epochs, lr=args.lr, device=args.device, eval_metric="accuracy"
        )
        print(f"fine-tuning ({label}) on Rotten Tomatoes ...", flush=True)
        t = time.perf_counter()
        ft_run = finetune(
            settings,
            data=classification,
            runs_dir=runs,
            name=f"quality-{label.replace(' ', '-')}",
            tokenizer=tokenizer if init == "random" else None,
            model_config=config,
        )
        results[label] = (read_results(ft_run), time.perf_counter() - t)

    device = summary.get("device") or args.device
    print()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    last = summary.get("last", {})
    # Held-out when an evaluation ran within the budget, else the last training average.
    mlm = next(
        (
            f"{last[k]:.3f} ({k})"
            for k in ("validation/mlm_accuracy", "train/mlm_accuracy")
            if k in last
        ),
        "n/a",
    )
    print(
        f"pre-training: {args.size} ({config.num_layers}x{config.hidden_size}), vocab "
        f"{tokenizer.vocab_size}, {summary.get('step')} steps in "
        f"{summary.get('elapsed_s', 0):.0f} s "
        f"of training ({pre_s:.0f} s with tokenizer and cache); MLM accuracy {mlm}"
    )
    print(
        f"fine-tuning: {args.epochs} epochs, lr {args.lr}, batch {args.batch_size}, "
        f"max_seq_len {args.max_seq_len}, best epoch by validation accuracy"
    )
    print()
    print("| init | test accuracy | macro-F1 | fine-tune time |")
    print("| --- | ---: | ---: | ---: |")
    for label, (res, secs) in results.items():
        test = res.get("test", {})
        print(
            f"| {label} | {test.get('accuracy', float('nan')):.1%} | "
            f"{test.get('macro_f1', float('nan')):.3f} | {secs:.0f} s |"
        )
    print(f"| TF-IDF + LR (reference) | {TFIDF_LR_ACCURACY:.1%} | | |")
    a = results["pre-trained"][0].get("test", {}).get("accuracy", float("nan"))
    b = results["random init"][0].get("test", {}).get("accuracy", float("nan"))
    print(f"\npre-trained - random: {100 * (a - b):+.1f} accuracy points")
    print(f"runs in {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
