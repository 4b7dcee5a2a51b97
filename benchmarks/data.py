"""Pre-training data loader speed and memory: MLM+NSP batches from the shard cache.

Three measurements, each in a fresh subprocess, side by side in one run:

1. ``ours``: ``PretrainingExamples`` -> ``PretrainingBatches`` (segment pairs, NSP, bucketing,
   padding, dynamic 80/10/10 masking) on one core, then on 2 cores (two processes, each one
   rank of ``world_size=2``, as two DataLoader workers would be); prints batches/s and
   tokens/s (real tokens, not padding). The target is >= 1M tokens/s, so the loader does not
   starve a GPU that trains BERT-base at ~100k-300k tokens/s.
2. ``peer``: the same examples collated and masked by HF transformers'
   ``DataCollatorForLanguageModeling`` (the usual choice), one core; the ratio is ours/peer on
   the collate+mask step alone.
3. ``stream``: a corpus about ten times larger than the cache's RAM budget (the shard size held in
   memory while building) is built and then streamed once end to end; prints RssAnon (memory the
   process owns; mapped shard pages are page cache, which the kernel evicts) at 10%, 50% and
   100% of the stream.

    python benchmarks/data.py                 # WikiText-2 train from ../shared/data, else demo
    python benchmarks/data.py --seconds 5 --batch-size 32 --max-seq-len 128

Inputs are cached under ``.bench-cache/data`` (the tokenizer and the shards).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/tokenizers.py would shadow HF's `tokenizers` (which transformers imports) when this
# file runs as a script: keep this folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
CACHE = ROOT / ".bench-cache" / "data"


def shared_data() -> Path:
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def corpus_spec() -> str:
    wiki = shared_data() / "wikitext-2-raw" / "train.txt.gz"
    return str(wiki) if wiki.exists() else "demo"


def rss_anon_mb(field: str = "RssAnon") -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def tokenizer(spec: str):
    from bert_engine.data.sources import open_source
    from bert_engine.tokenizers import WordPieceTokenizer, load_tokenizer

    path = CACHE / f"wordpiece-{Path(spec).name}.json"
    if path.exists():
        return load_tokenizer(path)
    tok = WordPieceTokenizer.train(open_source(spec, cache_dir=CACHE).documents(), vocab_size=16000)
    tok.save(path)
    return tok


def corpus(spec: str, shard_tokens: int = 1 << 24):
    from bert_engine.data.shards import build_shards
    from bert_engine.data.sources import open_source

    src = open_source(spec, cache_dir=CACHE)
    return build_shards(src, tokenizer(spec), CACHE, shard_tokens=shard_tokens, workers=2)


def batches(args: dict, rank: int = 0, world_size: int = 1):
    from bert_engine.data.collate import PretrainingBatches, PretrainingCollator
    from bert_engine.data.masking import MlmMasker
    from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples

    c = corpus(args["spec"])
    cfg = PretrainingConfig(max_seq_len=args["max_seq_len"])
    stream = PretrainingExamples(c, cfg, seed=0, rank=rank, world_size=world_size)
    masker = MlmMasker(c.vocab_size, c.special.mask, c.special.all)
    return PretrainingBatches(
        stream, PretrainingCollator(c.special.pad, masker), args["batch_size"]
    )


# ---------------------------------------------------------------- measurements (subprocesses)


def run_ours(args: dict, rank: int = 0, world_size: int = 1) -> dict:
    import torch

    torch.set_num_threads(args.get("threads", 1))  # 1 as in a DataLoader worker
    it = iter(batches(args, rank, world_size))
    for _ in range(20):  # warm-up: first blocks, page cache
        next(it)
    n = tokens = padded = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < args["seconds"]:
        b = next(it)
        n += 1
        tokens += int(b["attention_mask"].sum())
        padded += b["input_ids"].numel()
    dt = time.perf_counter() - t0
    return {"batches_s": n / dt, "tokens_s": tokens / dt, "padded_tokens_s": padded / dt}


def _ours_worker(args: dict, rank: int, queue: multiprocessing.Queue) -> None:
    queue.put(run_ours(args, rank, 2))


def run_ours_2(args: dict) -> dict:
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_ours_worker, args=(args, r, queue)) for r in range(2)]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    return {k: sum(r[k] for r in results) for k in results[0]}


def run_collate(args: dict, which: str) -> dict:
    """Collate + mask only, on the same pre-built examples, ours or HF's collator."""
    import itertools

    import torch

    from bert_engine.data.collate import PretrainingCollator
    from bert_engine.data.masking import MlmMasker
    from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples

    torch.set_num_threads(1)
    c = corpus(args["spec"])
    cfg = PretrainingConfig(max_seq_len=args["max_seq_len"])
    examples = list(itertools.islice(PretrainingExamples(c, cfg, seed=0), 20_000))
    bs = args["batch_size"]
    groups = [examples[i : i + bs] for i in range(0, len(examples) - bs + 1, bs)]
    if which == "ours":
        collate = PretrainingCollator(
            c.special.pad, MlmMasker(c.vocab_size, c.special.mask, c.special.all)
        )
        gen = torch.Generator().manual_seed(0)

        def step(group):
            return collate(group, gen)
    else:
        from transformers import DataCollatorForLanguageModeling, PreTrainedTokenizerFast

        tok_path = CACHE / f"wordpiece-{Path(args['spec']).name}.json"
        hf_tok = PreTrainedTokenizerFast(
            tokenizer_file=str(tok_path),
            pad_token="[PAD]",
            mask_token="[MASK]",
            cls_token="[CLS]",
            sep_token="[SEP]",
            unk_token="[UNK]",
        )
        hf = DataCollatorForLanguageModeling(hf_tok, mlm_probability=0.15, pad_to_multiple_of=8)
        rows = [
            [
                {
                    "input_ids": e.input_ids.tolist(),
                    "token_type_ids": [0] * e.len_a + [1] * (len(e.input_ids) - e.len_a),
                    "next_sentence_label": e.nsp_label,
                }
                for e in g
            ]
            for g in groups
        ]
        groups = rows

        def step(group):
            return hf(group)

    tokens = sum(
        len(e["input_ids"]) if isinstance(e, dict) else len(e.input_ids) for g in groups for e in g
    )
    for g in groups[:20]:
        step(g)
    t0 = time.perf_counter()
    for g in groups:
        step(g)
    dt = time.perf_counter() - t0
    return {"batches_s": len(groups) / dt, "tokens_s": tokens / dt, "corpus_tokens": c.n_tokens}


def run_stream(args: dict) -> dict:
    """Build a corpus ~10x the RAM budget (repeating the source files), then stream it once."""
    import torch

    from bert_engine.data.collate import PretrainingBatches, PretrainingCollator
    from bert_engine.data.masking import MlmMasker
    from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples
    from bert_engine.data.shards import build_shards
    from bert_engine.data.sources import TextSource, open_source

    torch.set_num_threads(1)
    spec = args["spec"]
    base = open_source(spec, cache_dir=CACHE)
    tok = tokenizer(spec)
    copies = CACHE / "stream"
    copies.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(args["copies"]):  # distinct files of the same text: a corpus N times larger
        p = copies / f"copy{i}.txt"
        if not p.exists():
            p.write_text("\n\n".join(base.documents()) + "\n", encoding="utf-8")
        paths.append(p)
    budget_tokens = args["budget_tokens"]
    before = rss_anon_mb()
    # A fresh cache every run, built in this process (workers=1), so the build is measured too.
    scratch = tempfile.TemporaryDirectory(dir=CACHE, prefix="stream-")
    t0 = time.perf_counter()
    c = build_shards(TextSource(paths), tok, scratch.name, shard_tokens=budget_tokens, workers=1)
    build_s = time.perf_counter() - t0
    after_build = rss_anon_mb()
    cfg = PretrainingConfig(max_seq_len=args["max_seq_len"])
    masker = MlmMasker(c.vocab_size, c.special.mask, c.special.all)
    stream = PretrainingBatches(
        PretrainingExamples(c, cfg, seed=0, epochs=1),
        PretrainingCollator(c.special.pad, masker),
        args["batch_size"],
    )
    marks = {}
    seen = 0
    total = c.n_tokens
    for b in stream:
        seen += int(b["attention_mask"].sum())
        for frac in (0.1, 0.5):
            if frac not in marks and seen >= frac * total:
                marks[frac] = rss_anon_mb()
    marks[1.0] = rss_anon_mb()
    scratch.cleanup()
    return {
        "build_s": build_s,
        "rss_file_mb": rss_anon_mb("RssFile"),
        "peak_rss_mb": rss_anon_mb("VmHWM"),
        "corpus_tokens": total,
        "budget_tokens": budget_tokens,
        "ratio": total / budget_tokens,
        "shards": len(c.shards),
        "rss_anon_mb": {
            "start": before,
            "after_build": after_build,
            **{f"{int(k * 100)}%": v for k, v in marks.items()},
        },
    }


# ---------------------------------------------------------------- driver


def subprocess_json(kind: str, args: dict) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--_child", kind, "--_args", json.dumps(args)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--max-seq-len", type=int, default=128)
    ap.add_argument("--copies", type=int, default=4, help="source copies in the streaming corpus")
    ap.add_argument("--skip-stream", action="store_true")
    ap.add_argument("--_child")
    ap.add_argument("--_args")
    a = ap.parse_args()
    if a._child:
        args = json.loads(a._args)
        fn = {
            "ours": lambda: run_ours(args),
            "ours2": lambda: run_ours_2(args),
            "collate_ours": lambda: run_collate(args, "ours"),
            "collate_hf": lambda: run_collate(args, "hf"),
            "stream": lambda: run_stream(args),
        }[a._child]
        print(json.dumps(fn()))
        return

    args = {
        "spec": corpus_spec(),
        "seconds": a.seconds,
        "batch_size": a.batch_size,
        "max_seq_len": a.max_seq_len,
        "copies": a.copies,
    }
    print(f"corpus: {args['spec']}   batch {a.batch_size} x max {a.max_seq_len}, MLM+NSP")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    t = time.perf_counter()
    subprocess_json("collate_ours", {**args})  # builds the tokenizer and the shard cache once
    print(f"setup: {time.perf_counter() - t:.1f}s (builds the tokenizer and shards on a first run)")

    one = subprocess_json("ours", args)
    two = subprocess_json("ours2", args)
    print(f"\n{'loader':32} {'batches/s':>10} {'tokens/s':>12} {'incl. pad':>12}")
    for name, r in (("ours, 1 core", one), ("ours, 2 cores (2 ranks)", two)):
        print(
            f"{name:32} {r['batches_s']:10.0f} {r['tokens_s']:12,.0f} {r['padded_tokens_s']:12,.0f}"
        )
    verdict = "ok" if two["tokens_s"] >= 1e6 else "BELOW TARGET"
    print(f"target >= 1,000,000 tokens/s on 2 cores: {verdict}")

    ours_c = subprocess_json("collate_ours", args)
    try:
        hf_c = subprocess_json("collate_hf", args)
    except subprocess.CalledProcessError as e:
        hf_c = None
        print(f"HF collator unavailable: {e.stderr.strip().splitlines()[-1]}")
    print(f"\n{'collate + mask only, 1 core':32} {'batches/s':>10} {'tokens/s':>12}")
    print(
        f"{'ours (PretrainingCollator)':32} {ours_c['batches_s']:10.0f} {ours_c['tokens_s']:12,.0f}"
    )
    if hf_c:
        print(
            f"{'HF DataCollatorForLanguageModeling':32} {hf_c['batches_s']:10.0f} "
            f"{hf_c['tokens_s']:12,.0f}"
        )
        print(f"ratio ours / HF: {ours_c['tokens_s'] / hf_c['tokens_s']:.1f}x")

    if not a.skip_stream:
        # RAM budget: a tenth of the streaming corpus (copies x the source), in tokens.
        sargs = {**args, "budget_tokens": max(1, ours_c["corpus_tokens"] * a.copies // 10)}
        s = subprocess_json("stream", sargs)
        print(
            f"\nstreaming {s['corpus_tokens']:,} tokens = {s['ratio']:.1f}x the RAM budget of "
            f"{s['budget_tokens']:,} tokens ({s['shards']} shards, built in {s['build_s']:.0f}s "
            "with workers=1)"
        )
        print("RssAnon MB: " + ", ".join(f"{k} {v:.0f}" for k, v in s["rss_anon_mb"].items()))
        print(
            f"(mapped shard pages, page cache the kernel can evict: RssFile {s['rss_file_mb']:.0f}"
            f" MB at the end; peak RSS of everything {s['peak_rss_mb']:.0f} MB)"
        )


if __name__ == "__main__":
    main()
