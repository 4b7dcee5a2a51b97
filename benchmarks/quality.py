"""Does pre-training help? Pre-train a small BERT on WikiText-2 for a fixed budget (wall clock
or steps), fine-tune it on Rotten Tomatoes, and compare test accuracy with the same fine-tuning
from random weights (same tokenizer, architecture, seed and recipe).

    .venv/bin/python benchmarks/quality.py                    # CPU: 10 minutes of pre-training
    .venv/bin/python benchmarks/quality.py --budget-min 3     # a shorter wall-clock budget
    .venv/bin/python benchmarks/quality.py --steps 2400       # a step budget (reproducible)
    .venv/bin/python benchmarks/quality.py --gpu              # the issue's H100 recipe
    .venv/bin/python benchmarks/quality.py --pretrained RUN   # reuse a pre-training run
    .venv/bin/python benchmarks/quality.py --seeds 5 --pooling cls,mean --json out.json

Each starting point gets its own fine-tuning learning rate: every rate of the grid (`--lrs`) is
tried on both sides, the one with the best validation accuracy (the validation split is carved
out of the training file) is kept, and only that model is evaluated on the test split. The
right rate differs: pre-trained weights want a smaller step than a fresh initialisation.
With `--seeds N` every configuration is fine-tuned N times (seeds 0..N-1); a side's
configuration is chosen by its mean validation accuracy over the seeds, and the report gives
each side's mean test accuracy and standard deviation, and the paired difference with its
95% bootstrap interval over seeds and test examples (benchmarks/quality_stats.py).

Data from ../shared/data (or $BERTBENCH_SHARED_DATA). Reference on the same test split:
TF-IDF (word 1-2 grams) + logistic regression, 78.0% accuracy.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TFIDF_LR_ACCURACY = 0.780  # measured once on this test split; printed when sklearn is missing

# Defaults per machine kind; any of them can be overridden on the command line.
# cpu: a tiny BERT, enough steps in 10 minutes on 2 cores to learn something.
# gpu: the recipe (small = 4 layers x 512, WordPiece 16k, MLM only, 5 minutes of
#      pre-training, 3 epochs of fine-tuning at seq 64), bf16 on an H100. Thousands of steps
#      (WikiText-2 is ~2.5M tokens: many epochs), so dropout stays on; post-LN BERT, so a
#      moderate peak lr with warm-up.
PROFILES: dict[str, dict[str, Any]] = {
    "cpu": {
        "budget_min": 10.0,
        "size": "tiny",
        "objective": "mlm",
        "vocab": 8000,
        "pretrain_lr": 1e-3,
        "pretrain_batch": 32,
        "pretrain_seq_len": 128,
        "pack": True,
        "schedule": "linear",
        "warmup": 200,
        "dropout": 0.0,
        "device": "cpu",
        "precision": "fp32",
        "epochs": 3,
        "lrs": "3e-4,1e-3",
        "reinit": "0,1",
        "batch_size": 32,
        "jobs": 1,
    },
    "gpu": {
        "budget_min": 5.0,
        "size": "small",
        "objective": "mlm",
        "vocab": 16000,
        "pretrain_lr": 5e-4,
        "pretrain_batch": 128,
        "pretrain_seq_len": 128,
        "pack": True,
        "schedule": "linear",
        "warmup": 500,
        "dropout": 0.1,
        "device": "cuda",
        "precision": "bf16",
        "epochs": 3,
        "lrs": "3e-5,1e-4,3e-4",
        "reinit": "0,1",
        "batch_size": 32,
        "jobs": 3,  # small models leave an H100 mostly idle: three fine-tunings share it
    },
}


def shared_data() -> Path:
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", root.parent / "shared" / "data"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gpu", action="store_true", help="the GPU profile (issue #4's H100 recipe)")
    ap.add_argument("--budget-min", type=float, help="pre-training wall clock (training only)")
    ap.add_argument("--steps", type=int, help="pre-training step budget (instead of wall clock)")
    ap.add_argument("--pretrained", help="reuse this pre-training run folder (no pre-training)")
    ap.add_argument("--size", help="BERT size (tiny, mini, small, ...)")
    ap.add_argument(
        "--objective", choices=["mlm+nsp", "mlm", "electra"], help="pre-training objective"
    )
    ap.add_argument("--vocab", type=int, help="WordPiece vocabulary size")
    ap.add_argument("--pretrain-lr", type=float, help="pre-training peak learning rate")
    ap.add_argument("--pretrain-batch", type=int, help="pre-training sequences per step")
    ap.add_argument("--pretrain-seq-len", type=int, help="pre-training sequence length")
    ap.add_argument(
        "--pack",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="pre-training rows packed full (MLM only; no padding) instead of BERT's segments",
    )
    ap.add_argument(
        "--schedule",
        choices=["linear", "cosine", "constant"],
        help="pre-training lr after warm-up; linear/cosine decay over the budget (steps or time)",
    )
    ap.add_argument("--warmup", type=int, help="pre-training warm-up steps (then the schedule)")
    ap.add_argument("--dropout", type=float, help="hidden and attention dropout of the model")
    ap.add_argument("--precision", help="fp32, bf16 (CUDA), auto")
    ap.add_argument("--epochs", type=int, help="fine-tuning epochs")
    ap.add_argument("--lrs", help="fine-tuning learning rates tried on both sides, comma separated")
    ap.add_argument(
        "--reinit",
        help="for the pre-trained side, also try re-initialising this many top encoder layers "
        "(comma separated; 0: keep all); chosen on validation with the lr",
    )
    ap.add_argument("--seeds", type=int, default=1, help="fine-tunings per configuration")
    ap.add_argument(
        "--pooling", default="cls", help="fine-tuning poolings tried on both sides: cls,mean"
    )
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument(
        "--adapt-steps",
        type=int,
        default=0,
        help="add two arms: task-adaptive pre-training of the pre-trained model, and of random "
        "weights (self-pre-training), for this many masked-LM steps on the training texts",
    )
    ap.add_argument("--adapt-lr", type=float, default=5e-4, help="adaptation peak lr")
    ap.add_argument("--batch-size", type=int, help="fine-tuning batch size")
    ap.add_argument("--max-seq-len", type=int, default=64, help="fine-tuning sequence length")
    ap.add_argument("--device", help="cpu, cuda, auto")
    ap.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch threads per process (default: torch's; on a busy machine 1 is much faster)",
    )
    ap.add_argument(
        "--finetune-threads",
        type=int,
        help="torch threads per fine-tuning process (default: --threads); with --jobs 2 on "
        "2 cores, 1 is fastest",
    )
    ap.add_argument("--jobs", type=int, help="fine-tuning runs in parallel processes")
    ap.add_argument("--out", default=None, help="runs folder (default: a temporary folder)")
    args = ap.parse_args(argv)
    for key, value in PROFILES["gpu" if args.gpu else "cpu"].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    args.lr_grid = [float(x) for x in str(args.lrs).split(",") if x.strip()]
    args.reinit_grid = [int(x) for x in str(args.reinit).split(",") if x.strip()]
    args.pooling_grid = [x.strip() for x in str(args.pooling).split(",") if x.strip()]
    if not args.lr_grid or not args.reinit_grid or not args.pooling_grid:
        ap.error("--lrs, --reinit and --pooling need at least one value each")
    if set(args.pooling_grid) - {"cls", "mean"}:
        ap.error("--pooling takes cls and/or mean")
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")
    if args.steps is not None and args.steps < 1:
        ap.error("--steps must be a positive number of steps")
    return args


def build_preset(args: argparse.Namespace, wiki: Path, runs: Path) -> Any:
    """The pre-training preset: wikitext-mini-cpu with this benchmark's settings."""
    from bert_engine.presets import load_preset

    # With a wall-clock budget the trainer's time budget ends the run (and the lr decays by time).
    max_steps = args.steps or 10_000_000
    budget = [] if args.steps else [f"pretrain.max_minutes={args.budget_min}"]
    return load_preset(
        "wikitext-mini-cpu",
        [
            f"data.source={wiki}",
            f"model.size={args.size}",
            f"model.objective={args.objective}",
            f"model.hidden_dropout={args.dropout}",
            f"model.attention_dropout={args.dropout}",
            f"tokenizer.vocab_size={args.vocab}",
            f"data.batch_size={args.pretrain_batch}",
            f"data.max_seq_len={args.pretrain_seq_len}",
            f"data.pack={str(bool(args.pack)).lower()}",
            f"pretrain.max_steps={max_steps}",
            f"pretrain.warmup_steps={min(args.warmup, max_steps)}",
            f"pretrain.schedule={args.schedule}",
            f"pretrain.lr={args.pretrain_lr}",
            f"pretrain.eval_every={min(500, max_steps)}",
            f"pretrain.checkpoint_every={min(1000, max_steps)}",
            f"pretrain.device={args.device}",
            f"pretrain.precision={args.precision}",
            f"tracking.runs_dir={runs}",
            "tracking.run_name=quality-pretrain",
            *budget,
        ],
    )


def run_pretraining(args: argparse.Namespace, wiki: Path, runs: Path) -> tuple[Path, float]:
    """Pre-trains for the step budget, or for the wall-clock budget (`pretrain.max_minutes`:
    the trainer stops by the clock, evaluates and checkpoints, and the lr schedule decays by
    time). The budget counts training only (not tokenizer training or the shard cache)."""
    from bert_engine.training.pretrain import run_pretraining as pretrain

    preset = build_preset(args, wiki, runs)

    def on_event(event: Any) -> None:
        if event.kind == "step" and event.step % 200 == 0:
            print(f"  pre-training step {event.step}: loss {event.loss:.3f}", flush=True)
        elif event.kind == "finished":
            print(f"  pre-training ended at step {event.step} ({event.reason})", flush=True)

    budget = f"{args.steps} steps" if args.steps else f"{args.budget_min:g} min"
    print(f"pre-training a {args.size} BERT on {wiki} for {budget} ...", flush=True)
    t0 = time.perf_counter()
    run = pretrain(preset, listeners=[on_event]).run_dir
    return run, time.perf_counter() - t0


def adapt_arm(args: argparse.Namespace, run: Path, init: str, rt: Path, runs: Path) -> Path:
    """A task-adaptive pre-training on Rotten Tomatoes' training texts, from `init` (the
    pre-training run or "random"), with the pre-training run's tokenizer and architecture."""
    from bert_engine.presets import Preset
    from bert_engine.schema.preset import drop_none
    from bert_engine.training.adapt import run_adaptation
    from bert_engine.training.pretrain import load_run_preset

    base = load_run_preset(run).model_dump(mode="python")
    base["tokenizer"] = {"path": str(run / "tokenizer.json")}
    base["name"] = "quality-" + ("adapted" if init != "random" else "self")
    base["tracking"] = {**base["tracking"], "runs_dir": str(runs), "run_name": base["name"]}
    base["finetune"] = {"init": init, "device": args.device, "precision": "fp32", "seed": 0}
    base["classification"] = {
        "train": str(rt / "train.csv"),
        "test": str(rt / "test.csv"),
        "validation_fraction": 0.1,
        "max_seq_len": args.max_seq_len,
    }
    base["adapt"] = {
        "steps": args.adapt_steps,
        "lr": args.adapt_lr,
        "warmup_steps": min(100, args.adapt_steps),
        "eval_every": max(1, args.adapt_steps // 4),
        "checkpoint_every": args.adapt_steps,
    }
    preset = Preset.model_validate(drop_none(base))
    print(f"adapting ({init}) on the training texts for {args.adapt_steps} steps ...", flush=True)
    outcome = run_adaptation(preset)
    if outcome.result.status != "finished":
        raise SystemExit(f"the adaptation from {init} ended {outcome.result.status}")
    return Path(outcome.run_dir)


def finetune_one(job: dict[str, Any]) -> tuple[dict[str, Any], float, list[int]]:
    """One fine-tuning of the grid: (results.json, seconds, 1/0 per test example). A top-level
    function so that a process pool can run it."""
    import torch

    from bert_engine.inference import read_bert_config, read_run_tokenizer
    from bert_engine.training.finetune import (
        ClassificationDataSettings,
        FinetuneSettings,
        finetune,
        read_results,
    )

    if job["threads"]:
        torch.set_num_threads(job["threads"])
    tokenizer = read_run_tokenizer(job["run"])
    config = read_bert_config(job["run"], tokenizer.vocab_size)
    label, lr, reinit = job["label"], job["lr"], job["reinit"]
    pooling, seed = job["pooling"], job["seed"]
    settings = FinetuneSettings(
        seed=seed,
        pooling=pooling,
        init=job["init"],
        epochs=job["epochs"],
        lr=lr,
        device=job["device"],
        precision=job["precision"],
        eval_metric="accuracy",
        reinit_layers=reinit,
    )
    what = f"{label}, lr {lr:g}" + (f", top {reinit} layers re-initialised" if reinit else "")
    what += f", {pooling} pooling, seed {seed}"
    print(f"fine-tuning ({what}) on Rotten Tomatoes ...", flush=True)
    t = time.perf_counter()
    ft_run = finetune(
        settings,
        data=ClassificationDataSettings.model_validate(job["data"]),
        runs_dir=job["runs"],
        name=f"quality-{label.replace(' ', '-')}-lr{lr:g}"
        + (f"-reinit{reinit}" if reinit else "")
        + f"-{pooling}-s{seed}",
        tokenizer=tokenizer if job["init"] == "random" else None,
        model_config=config,
        # --jobs N runs fine-tunings side by side on purpose: the device lock would refuse them.
        allow_shared_device=True,
    )
    res = read_results(ft_run)
    print(
        f"  {what}: validation accuracy {res.get('best_value') or float('nan'):.1%} "
        f"(step {res.get('best_step')}), test {res.get('test', {}).get('accuracy', 0):.1%}",
        flush=True,
    )
    return res, time.perf_counter() - t, test_correct(ft_run, job["data"]["test"])


def test_correct(run: Path, test_file: str) -> list[int]:
    """1 for each test example the run's best checkpoint classifies right, else 0."""
    from bert_engine.data.classification import read_examples
    from bert_engine.inference import Predictor

    examples = read_examples(Path(test_file))
    predictor = Predictor.from_run(run)
    predicted = predictor.classify([e.text for e in examples])
    return [int(p.label == e.label) for p, e in zip(predicted, examples, strict=True)]


def tfidf_baseline(train_file: Path, test_file: Path) -> float | None:
    """TF-IDF (word 1-2 grams) + logistic regression test accuracy, computed in this run
    (scikit-learn, in the `bench` extra); None when scikit-learn is missing."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        return None
    from bert_engine.data.classification import read_examples

    train, test = read_examples(train_file), read_examples(test_file)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    x = vectorizer.fit_transform([e.text for e in train])
    model = LogisticRegression(max_iter=2000, C=4.0).fit(x, [e.label for e in train])
    predicted = model.predict(vectorizer.transform([e.text for e in test]))
    return float(sum(p == e.label for p, e in zip(predicted, test, strict=True)) / len(test))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
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
    from bert_engine.tracking import read_summary
    from bert_engine.training.finetune import ClassificationDataSettings

    runs = Path(args.out or tempfile.mkdtemp(prefix="bertbench-quality-"))
    if args.pretrained:
        run, pre_s = Path(args.pretrained), 0.0
    else:
        run, pre_s = run_pretraining(args, wiki, runs)
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
    arms = [("pre-trained", str(run), run), ("random init", "random", run)]
    if args.adapt_steps:
        adapted = adapt_arm(args, run, str(run), rt, runs)
        self_trained = adapt_arm(args, run, "random", rt, runs)
        arms += [("pre-trained + adapted", str(adapted), adapted)]
        arms += [("adapted only", str(self_trained), self_trained)]
    jobs = [
        {
            "label": label,
            "init": init,
            "lr": lr,
            "reinit": reinit,
            "epochs": args.epochs,
            "device": args.device,
            "precision": "auto" if args.precision == "bf16" else "fp32",
            "data": classification.model_dump(mode="json"),
            "runs": str(runs),
            "run": str(source),
            "threads": args.finetune_threads or args.threads,
            "pooling": pooling,
            "seed": seed,
        }
        for label, init, source in arms
        for reinit in (args.reinit_grid if init != "random" else [0])
        for lr in args.lr_grid
        for pooling in args.pooling_grid
        for seed in range(args.seeds)
    ]
    # (label, lr, reinit, pooling, seed) -> (results.json, seconds, correct per test example)
    grid: dict[tuple[str, float, int, str, int], tuple[dict[str, Any], float, list[int]]] = {}
    if args.jobs > 1:
        # Separate processes (spawned: no forked torch state), each with its own threads.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(args.jobs, mp_context=context) as pool:
            for job, outcome in zip(jobs, pool.map(finetune_one, jobs), strict=True):
                grid[_key(job)] = outcome
    else:
        for job in jobs:
            grid[_key(job)] = finetune_one(job)
    tfidf = tfidf_baseline(rt / "train.csv", rt / "test.csv")
    report(args, run, summary, tokenizer, config, pre_s, grid, runs, tfidf)
    return 0


def _key(job: dict[str, Any]) -> tuple[str, float, int, str, int]:
    return job["label"], job["lr"], job["reinit"], job["pooling"], job["seed"]


def report(
    args: argparse.Namespace,
    run: Path,
    summary: dict[str, Any],
    tokenizer: Any,
    config: Any,
    pre_s: float,
    grid: dict[tuple[str, float, int, str, int], tuple[dict[str, Any], float, list[int]]],
    runs: Path,
    tfidf: float | None,
) -> None:
    import json
    import statistics

    import torch
    from quality_stats import paired_difference, summarise

    device = summary.get("device") or args.device
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, device "
        f"{device}, torch {torch.__version__}, {torch.get_num_threads()} threads, load average "
        f"{load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (1/5/15 min)"
    )
    print()
    print(f"machine: {machine}")
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
    from bert_engine.training.checkpoint import latest_checkpoint, read_trainer_state

    latest = latest_checkpoint(run / "checkpoints")
    tokens = read_trainer_state(latest).get("tokens_seen") if latest else None
    print(
        f"pre-training {run}: {config.num_layers}x{config.hidden_size}, vocab "
        f"{tokenizer.vocab_size}, {summary.get('step')} steps"
        + (f" ({tokens / 1e6:.2f}M tokens)" if tokens else "")
        + f" in {summary.get('elapsed_s', 0):.0f} s of training"
        + (f" ({pre_s:.0f} s with tokenizer and cache)" if pre_s else "")
        + f"; MLM accuracy {mlm}"
    )
    print(
        f"fine-tuning: {args.epochs} epochs, batch {args.batch_size}, max_seq_len "
        f"{args.max_seq_len}, {args.seeds} seed(s) per configuration, best epoch by validation "
        "accuracy; lr grid "
        + ", ".join(f"{lr:g}" for lr in args.lr_grid)
        + "; pooling "
        + ", ".join(args.pooling_grid)
        + "; pre-trained side also with the top "
        + " or ".join(str(n) for n in args.reinit_grid)
        + " encoder layers re-initialised"
    )
    print()
    print(
        "| init | lr | re-init layers | pooling | validation acc. | test accuracy (mean ± sd) "
        "| macro-F1 | fine-tune time |"
    )
    print("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |")
    chosen: dict[str, dict[str, Any]] = {}
    configs_out: list[dict[str, Any]] = []
    for label in dict.fromkeys(key[0] for key in grid):
        # (lr, reinit, pooling) -> that configuration's outcomes, one per seed
        configs: dict[tuple[float, int, str], list[tuple[dict[str, Any], float, list[int]]]] = {}
        for (lab, lr, n, pooling, _seed), outcome in sorted(grid.items(), key=lambda kv: kv[0]):
            if lab == label:
                configs.setdefault((lr, n, pooling), []).append(outcome)

        def validation(key: tuple[float, int, str], configs: Any = configs) -> float:
            return statistics.mean(res.get("best_value") or 0.0 for res, _, _ in configs[key])

        # The mean validation accuracy over seeds picks the configuration; test is only read.
        best = max(configs, key=validation)
        for key, outcomes in configs.items():
            lr, n, pooling = key
            arm = summarise([correct for _, _, correct in outcomes])
            f1 = statistics.mean(res.get("test", {}).get("macro_f1", 0.0) for res, _, _ in outcomes)
            secs = statistics.mean(t for _, t, _ in outcomes)
            mark = " **(selected)**" if key == best else ""
            print(
                f"| {label}{mark} | {lr:g} | {n} | {pooling} | {validation(key):.1%} | "
                f"{arm.mean:.1%} ± {100 * arm.std:.1f} | {f1:.3f} | {secs:.0f} s |"
            )
            configs_out.append(
                {
                    "init": label,
                    "lr": lr,
                    "reinit_layers": n,
                    "pooling": pooling,
                    "validation_accuracy": validation(key),
                    "test_accuracy": arm.per_seed,
                    "test_mean": arm.mean,
                    "test_std": arm.std,
                    "selected": key == best,
                }
            )
        chosen[label] = {"config": best, "correct": [c for _, _, c in configs[best]]}
    if tfidf is not None:
        print(f"| TF-IDF + LR (this run) | | | | | {tfidf:.1%} | | |")
    else:
        print(
            f"| TF-IDF + LR (reference; install scikit-learn to compute it) | | | | | "
            f"{TFIDF_LR_ACCURACY:.1%} | | |"
        )
    base = chosen["random init"]["correct"]
    sb = summarise(base)
    print(
        f"\ntest accuracy of the configuration chosen on validation ({args.seeds} seeds): "
        f"random init {sb.mean:.1%} ± {100 * sb.std:.1f}"
    )
    differences: dict[str, Any] = {}
    for label, picked in chosen.items():
        if label == "random init":
            continue
        sa, diff = summarise(picked["correct"]), paired_difference(picked["correct"], base)
        differences[label] = {"mean": diff.mean, "low95": diff.low, "high95": diff.high}
        print(
            f"{label} {sa.mean:.1%} ± {100 * sa.std:.1f}: {100 * diff.mean:+.1f} points, 95% "
            f"interval [{100 * diff.low:+.1f}, {100 * diff.high:+.1f}] (bootstrap over seeds "
            "and test examples)"
        )
    print(f"runs in {runs}")
    if args.json:
        out = {
            "machine": machine,
            "command": " ".join(sys.argv),
            "date": time.strftime("%Y-%m-%d"),
            "pretraining": {
                "run": str(run),
                "steps": summary.get("step"),
                "tokens": tokens,
                "elapsed_s": summary.get("elapsed_s"),
                "last": last,
            },
            "seeds": args.seeds,
            "configurations": configs_out,
            "selected": {
                side: {
                    "lr": v["config"][0],
                    "reinit_layers": v["config"][1],
                    "pooling": v["config"][2],
                    "test_mean": summarise(v["correct"]).mean,
                    "test_std": summarise(v["correct"]).std,
                }
                for side, v in chosen.items()
            },
            "difference": differences["pre-trained"],  # pre-trained - random init
            "differences": differences,  # every arm - random init
            "tfidf_lr": tfidf,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"results in {args.json}")


if __name__ == "__main__":
    sys.exit(main())
