"""The pre-training race: bertbench against HuggingFace's own stack, same wall-clock time.

The same model size, tokenizer, corpus, batch size, sequence length, learning rate (constant
after the same warm-up on both sides, so neither schedule depends on a step count the other
cannot know) and threads; each side trains for `--minutes` of training time:

- bertbench: `run_pretraining` (MLM, packed rows, sparse MLM decoding, padding-free layout);
- HuggingFace: `BertForMaskedLM` + `DataCollatorForLanguageModeling` + `Trainer` on the same
  packed rows.

Both save checkpoints as they go; afterwards every checkpoint is evaluated on the *same* fixed
held-out batches (WikiText-2 validation, masked once with a fixed seed; evaluation time is not
race time). The result: held-out MLM loss and accuracy against training time for both, and
the share of HF's time bertbench needs to reach HF's final held-out loss (target: <= 40%).

    .venv/bin/python benchmarks/pretrain_race.py --minutes 10 --threads 2 \\
        --json benchmarks/results/pretrain-race.json

Data from ../shared/data (or $BERTBENCH_SHARED_DATA); `--corpus/--held-out` take other files.
Needs transformers and accelerate (the dev extra).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

# This folder holds a script named tokenizers.py, which would shadow HF's `tokenizers` package
# (the script's folder comes first on sys.path).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or os.getcwd()).resolve() != HERE]


def shared_data() -> Path:
    root = Path(__file__).resolve().parent.parent
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", root.parent / "shared" / "data"))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="training time of each side")
    ap.add_argument("--size", default="tiny", help="BERT size (tiny, mini, small, ...)")
    ap.add_argument("--vocab", type=int, default=8000, help="WordPiece vocabulary size")
    ap.add_argument("--batch", type=int, default=32, help="sequences per step")
    ap.add_argument("--seq-len", type=int, default=128, help="tokens per sequence")
    ap.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (both sides)")
    ap.add_argument("--warmup", type=int, default=200, help="warm-up steps (both sides)")
    ap.add_argument("--dropout", type=float, default=0.0, help="hidden and attention dropout")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (both sides)")
    ap.add_argument("--checkpoints", type=int, default=12, help="checkpoints per side (about)")
    ap.add_argument("--eval-rows", type=int, default=256, help="held-out sequences evaluated")
    ap.add_argument("--corpus", help="training text (default: WikiText-2 train)")
    ap.add_argument("--held-out", help="held-out text (default: WikiText-2 validation)")
    ap.add_argument("--out", help="working folder (default: a temporary folder)")
    ap.add_argument("--json", help="also write the results to this JSON file")
    ap.add_argument(
        "--steps-per-s-guess",
        type=float,
        default=6.0,
        help="bertbench's checkpoint spacing: its expected steps per second (about 6 for a "
        "tiny BERT at 128 tokens on 2 cores); HF checkpoints by time",
    )
    return ap.parse_args(argv)


def read_text(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:  # type: ignore[operator]
        return f.read()


def packed_rows(
    tokenizer: Any, text: str, seq_len: int, limit: int | None = None
) -> list[list[int]]:
    """[CLS] + seq_len-2 consecutive tokens + [SEP]: the rows both sides train on."""
    body = seq_len - 2
    ids: list[int] = []
    for line in text.splitlines():
        if line.strip():
            ids.extend(tokenizer.encode(line, add_special_tokens=False).ids)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    rows = [[cls, *ids[i : i + body], sep] for i in range(0, len(ids) - body + 1, body)]
    return rows[:limit] if limit is not None else rows


def fixed_masks(rows: list[list[int]], tokenizer: Any, seed: int = 0) -> dict[str, torch.Tensor]:
    """The held-out batch both sides are judged on: BERT's 80/10/10 masking of 15%, once."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.tensor(rows)
    labels = ids.clone()
    special = (ids == tokenizer.token_to_id("[CLS]")) | (ids == tokenizer.token_to_id("[SEP]"))
    picked = (torch.rand(ids.shape, generator=g) < 0.15) & ~special
    labels[~picked] = -100
    roll = torch.rand(ids.shape, generator=g)
    masked = ids.clone()
    masked[picked & (roll < 0.8)] = tokenizer.token_to_id("[MASK]")
    swap = picked & (roll >= 0.8) & (roll < 0.9)
    masked[swap] = torch.randint(5, tokenizer.vocab_size, (int(swap.sum()),), generator=g)
    return {"input_ids": masked, "attention_mask": torch.ones_like(ids), "labels": labels}


@torch.no_grad()
def evaluate(logits_of: Any, held: dict[str, torch.Tensor], batch: int = 32) -> tuple[float, float]:
    """Token-weighted MLM cross-entropy and accuracy over the held-out batch."""
    loss_sum = correct = count = 0.0
    for i in range(0, len(held["input_ids"]), batch):
        ids, mask = held["input_ids"][i : i + batch], held["attention_mask"][i : i + batch]
        labels = held["labels"][i : i + batch]
        logits = logits_of(ids, mask).float()
        keep = labels != -100
        loss_sum += float(
            torch.nn.functional.cross_entropy(logits[keep], labels[keep], reduction="sum")
        )
        correct += float((logits[keep].argmax(-1) == labels[keep]).sum())
        count += float(keep.sum())
    return loss_sum / max(count, 1.0), correct / max(count, 1.0)


# ----------------------------------------------------------------------------- bertbench
def run_bertbench(
    args: argparse.Namespace, work: Path, corpus: Path, tok_file: Path, every: int
) -> list[dict[str, float]]:
    from bert_engine.presets import Preset
    from bert_engine.tracking import read_events
    from bert_engine.training.pretrain import run_pretraining

    preset = Preset.model_validate(
        {
            "name": "race",
            "tokenizer": {"path": str(tok_file)},
            "model": {
                "size": args.size,
                "objective": "mlm",
                "hidden_dropout": args.dropout,
                "attention_dropout": args.dropout,
                "max_position_embeddings": max(512, args.seq_len),
            },
            "data": {
                "source": str(corpus),
                "doc_mode": "line",
                "cache_dir": str(work / "cache"),
                "max_seq_len": args.seq_len,
                "pack": True,
                "batch_size": args.batch,
                "held_out_fraction": 0.0,
                "workers": 1,
            },
            "pretrain": {
                "max_steps": 10_000_000,
                "max_minutes": args.minutes,
                "lr": args.lr,
                "warmup_steps": args.warmup,
                "schedule": "constant",
                "log_every": every,
                "eval_every": 0,
                "checkpoint_every": every,
                "keep_last": 1000,
                "device": "cpu",
                "precision": "fp32",
            },
            "tracking": {"runs_dir": str(work / "runs"), "tensorboard": False},
        }
    )
    print(f"bertbench: training for {args.minutes:g} min ...", flush=True)
    outcome = run_pretraining(preset)
    elapsed = {e.step: e.elapsed_s for e in read_events(outcome.run_dir) if e.kind == "step"}
    last = next(e for e in reversed(read_events(outcome.run_dir)) if e.kind == "finished")
    elapsed[last.step] = last.elapsed_s
    points = []
    for ckpt in sorted((outcome.run_dir / "checkpoints").glob("step-*")):
        step = int(ckpt.name.split("-")[1])
        if step in elapsed:
            points.append({"step": step, "time_s": elapsed[step], "path": str(ckpt)})
    return points


def bertbench_logits(path: str, vocab: int, args: argparse.Namespace) -> Any:
    from bert_engine.modeling import BertForMaskedLM
    from bert_engine.schema import ModelSettings
    from bert_engine.training.checkpoint import load_checkpoint

    config = ModelSettings(
        size=args.size, objective="mlm", max_position_embeddings=max(512, args.seq_len)
    ).bert_config(vocab)
    model = BertForMaskedLM(config)
    load_checkpoint(path, model)
    model.eval()
    return lambda ids, mask: model(ids, attention_mask=mask, full_logits=True).logits


# ----------------------------------------------------------------------------- HuggingFace
def run_hf(
    args: argparse.Namespace, work: Path, rows: list[list[int]], tok_file: Path, every: int
) -> list[dict[str, float]]:
    import transformers
    from transformers import (
        BertConfig,
        BertForMaskedLM,
        DataCollatorForLanguageModeling,
        PreTrainedTokenizerFast,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from bert_engine.schema import ModelSettings

    ours = ModelSettings(
        size=args.size, objective="mlm", max_position_embeddings=max(512, args.seq_len)
    )
    hf_tok = PreTrainedTokenizerFast(
        tokenizer_file=str(tok_file),
        pad_token="[PAD]",
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
    )
    config = BertConfig(**ours.bert_config(hf_tok.vocab_size).to_hf_dict())
    torch.manual_seed(0)
    model = BertForMaskedLM(config)
    budget = args.minutes * 60.0
    times: dict[int, float] = {}

    slot = budget / max(1, args.checkpoints)

    class Clock(TrainerCallback):  # stops by training time; a checkpoint every time slot
        start = 0.0
        next_save = slot

        def on_train_begin(self, *a: Any, **k: Any) -> None:
            Clock.start = time.perf_counter()

        def on_step_end(self, a: Any, state: Any, control: Any, **k: Any) -> Any:
            used = time.perf_counter() - Clock.start
            if used >= Clock.next_save or used >= budget:
                times[state.global_step] = used
                control.should_save = True
                Clock.next_save += slot
            if used >= budget:
                control.should_training_stop = True
            return control

    dataset = [{"input_ids": r} for r in rows]
    training = TrainingArguments(
        output_dir=str(work / "hf"),
        per_device_train_batch_size=args.batch,
        learning_rate=args.lr,
        warmup_steps=args.warmup,
        lr_scheduler_type="constant_with_warmup",
        weight_decay=0.01,
        max_grad_norm=1.0,
        max_steps=10_000_000,
        save_strategy="no",  # the clock callback asks for each checkpoint
        logging_steps=every,
        report_to=[],
        use_cpu=True,
        dataloader_num_workers=0,
        disable_tqdm=True,
        seed=0,
    )
    collator = DataCollatorForLanguageModeling(hf_tok, mlm_probability=0.15)
    print(
        f"HuggingFace {transformers.__version__}: training for {args.minutes:g} min ...", flush=True
    )
    Trainer(
        model=model,
        args=training,
        train_dataset=dataset,
        data_collator=collator,
        callbacks=[Clock()],
    ).train()
    points = []
    for ckpt in sorted((work / "hf").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])):
        step = int(ckpt.name.split("-")[1])
        if step in times:
            points.append({"step": step, "time_s": times[step], "path": str(ckpt)})
    return points


def hf_logits(path: str) -> Any:
    from transformers import BertForMaskedLM

    model = BertForMaskedLM.from_pretrained(path).eval()
    return lambda ids, mask: model(input_ids=ids, attention_mask=mask).logits


# ----------------------------------------------------------------------------- the race
def time_to_reach(points: list[dict[str, float]], loss: float) -> float | None:
    """Training time at which a curve first reaches `loss` (linear between checkpoints)."""
    prev = None
    for p in points:
        if p["loss"] <= loss:
            if prev is None:
                return p["time_s"]
            share = (prev["loss"] - loss) / max(prev["loss"] - p["loss"], 1e-12)
            return prev["time_s"] + share * (p["time_s"] - prev["time_s"])
        prev = p
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = shared_data() / "wikitext-2-raw"
    corpus = Path(args.corpus) if args.corpus else data / "train.txt.gz"
    held_file = Path(args.held_out) if args.held_out else data / "valid.txt.gz"
    if not corpus.is_file() or not held_file.is_file():
        print(f"no corpus at {corpus} / {held_file} (set BERTBENCH_SHARED_DATA)", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    from bert_engine.tokenizers import WordPieceTokenizer

    work = Path(args.out or tempfile.mkdtemp(prefix="bertbench-race-"))
    work.mkdir(parents=True, exist_ok=True)
    text = read_text(corpus)
    plain = work / "corpus.txt"  # both sides read the same lines
    plain.write_text(text, encoding="utf-8")
    print("training the shared WordPiece tokenizer ...", flush=True)
    tokenizer = WordPieceTokenizer.train(text.splitlines(), vocab_size=args.vocab, min_frequency=2)
    tok_file = work / "tokenizer.json"
    tokenizer.save(tok_file)
    rows = packed_rows(tokenizer, text, args.seq_len)
    held = fixed_masks(
        packed_rows(tokenizer, read_text(held_file), args.seq_len, args.eval_rows), tokenizer
    )
    # bertbench checkpoints by steps: about --checkpoints of them, from a guess of its rate.
    every = max(1, int(args.steps_per_s_guess * args.minutes * 60 / args.checkpoints))

    sides = {
        "bertbench": run_bertbench(args, work, plain, tok_file, every),
        "huggingface": run_hf(args, work, rows, tok_file, every),
    }
    print("evaluating every checkpoint on the same held-out batch ...", flush=True)
    for side, points in sides.items():
        for p in points:
            logits = (
                bertbench_logits(p["path"], tokenizer.vocab_size, args)
                if side == "bertbench"
                else hf_logits(p["path"])
            )
            p["loss"], p["accuracy"] = evaluate(logits, held)
    hf_final = sides["huggingface"][-1]
    ours_final = sides["bertbench"][-1]
    reach = time_to_reach(sides["bertbench"], hf_final["loss"])
    ratio = None if reach is None else reach / hf_final["time_s"]
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    machine = (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__}, {torch.get_num_threads()} threads, load {load[0]:.1f} "
        f"{load[1]:.1f} {load[2]:.1f}"
    )
    print(f"\nmachine: {machine}")
    print(
        f"{args.size} BERT, vocab {tokenizer.vocab_size}, batch {args.batch} x {args.seq_len}, "
        f"lr {args.lr:g}, {args.minutes:g} min each\n"
    )
    print("| side | step | time (s) | held-out MLM loss | accuracy |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for side, points in sides.items():
        for p in points:
            print(
                f"| {side} | {p['step']} | {p['time_s']:.0f} | {p['loss']:.3f} | "
                f"{p['accuracy']:.3f} |"
            )
    for name, final in (("HF", hf_final), ("bertbench", ours_final)):
        print(
            f"{name} final: held-out loss {final['loss']:.3f} at {final['time_s']:.0f} s "
            f"(step {final['step']})"
        )
    if ratio is None:
        print("bertbench did not reach HF's final held-out loss within the budget")
    else:
        print(
            f"bertbench reached HF's final held-out loss in {ratio:.0%} of HF's time "
            "(target <= 40%)"
        )
    if args.json:
        out = {
            "machine": machine,
            "command": " ".join(sys.argv),
            "date": time.strftime("%Y-%m-%d"),
            "settings": {k: v for k, v in vars(args).items() if k not in ("json", "out")},
            "curves": {
                s: [{k: v for k, v in p.items() if k != "path"} for p in pts]
                for s, pts in sides.items()
            },
            "time_to_hf_final_loss_s": reach,
            "ratio": ratio,
        }
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"results in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
