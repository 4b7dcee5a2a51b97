"""Tokenizer training and encoding: ours against HF `tokenizers`, `tiktoken` and PyPI `rustbpe`.

Every measurement runs in a fresh subprocess (so peak RSS is per measurement), all with the same
thread count, side by side in one run; the table prints seconds, MB/s, peak RSS and ratios.

    python benchmarks/tokenizers.py                 # WikiText-2 train, 1x and 4x
    python benchmarks/tokenizers.py --scales 1 --repeats 1

Corpus: ../shared/data/wikitext-2-raw/train.txt.gz, decompressed once to a temp file (one sequence
per line, as HF's `train(files)` reads it); the 4x corpus is that file repeated four times.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named like the HF package it measures: keep its folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
VOCAB = 30522
MIN_FREQ = 2
GPT2 = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
GPT4 = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"""
    r""" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)


def shared_data() -> Path:
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def peak_rss_mb() -> float:
    # VmHWM is this process's own high-water mark; ru_maxrss would carry over the parent's
    # RSS through fork + exec on Linux and hide the differences between the tools.
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_lines(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


# ---------------------------------------------------------------- one measurement per process


def train_ours(kind: str, path: str, pattern: str, feed: str) -> float:
    from bert_engine.tokenizers import BpeTokenizer, WordPieceTokenizer

    corpus: object = path if feed == "files" else iter(read_lines(path))
    t = time.perf_counter()
    if kind == "bpe":
        tok = BpeTokenizer.train(corpus, vocab_size=VOCAB, min_frequency=MIN_FREQ, pattern=pattern)
    else:
        tok = WordPieceTokenizer.train(corpus, vocab_size=VOCAB, min_frequency=MIN_FREQ)
    dt = time.perf_counter() - t
    assert tok.vocab_size == VOCAB, tok.vocab_size
    return dt


def hf_tokenizer(kind: str):  # noqa: ANN201
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

    if kind == "bpe":
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
    else:
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
    return tok


def train_hf(kind: str, path: str) -> float:
    from tokenizers import pre_tokenizers, trainers

    tok = hf_tokenizer(kind)
    if kind == "bpe":
        trainer = trainers.BpeTrainer(
            vocab_size=VOCAB,
            min_frequency=MIN_FREQ,
            special_tokens=SPECIALS,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
    else:
        trainer = trainers.WordPieceTrainer(
            vocab_size=VOCAB, min_frequency=MIN_FREQ, special_tokens=SPECIALS, show_progress=False
        )
    t = time.perf_counter()
    tok.train([path], trainer)
    return time.perf_counter() - t


def train_rustbpe(path: str) -> float:
    import rustbpe

    lines = read_lines(path)
    tok = rustbpe.Tokenizer()
    t = time.perf_counter()
    tok.train_from_iterator(iter(lines), VOCAB - len(SPECIALS))
    return time.perf_counter() - t


def train_for_encoding(kind: str, train_path: str, pattern: str = "gpt2"):  # noqa: ANN201
    from bert_engine.tokenizers import BpeTokenizer, WordPieceTokenizer

    if kind == "bpe":
        return BpeTokenizer.train(
            train_path, vocab_size=VOCAB, min_frequency=MIN_FREQ, pattern=pattern
        )
    return WordPieceTokenizer.train(train_path, vocab_size=VOCAB, min_frequency=MIN_FREQ)


def encode_ours(kind: str, path: str, pattern: str, train_path: str) -> float:
    tok = train_for_encoding(kind, train_path, pattern)
    lines = read_lines(path)
    t = time.perf_counter()
    out = tok.encode_batch(lines, add_special_tokens=False, padding=None)
    dt = time.perf_counter() - t
    assert len(out.lengths) == len(lines)
    return dt


def encode_hf(kind: str, path: str, train_path: str) -> float:
    from tokenizers import Tokenizer

    # The same vocabulary as ours: our trained tokenizer, loaded by HF from its tokenizer.json.
    ours = train_for_encoding(kind, train_path)
    with tempfile.TemporaryDirectory() as d:
        ours.save(Path(d) / "tokenizer.json")
        tok = Tokenizer.from_file(str(Path(d) / "tokenizer.json"))
    lines = read_lines(path)
    t = time.perf_counter()
    tok.encode_batch(lines, add_special_tokens=False)
    return time.perf_counter() - t


def byte_decoder() -> dict[str, int]:
    # GPT-2's bytes_to_unicode, inverted: token strings in tokenizer.json -> raw bytes.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs, strict=True)}


def encode_tiktoken(path: str, pattern: str, train_path: str) -> float:
    import tiktoken

    ours = train_for_encoding("bpe", train_path, pattern)
    dec = byte_decoder()
    ranks = {}
    specials = {}
    for token, i in ours.get_vocab().items():
        if token in SPECIALS:
            specials[token] = i
        else:
            ranks[bytes(dec[c] for c in token)] = i
    enc = tiktoken.Encoding(
        "bertbench",
        pat_str=GPT4 if pattern == "gpt4" else GPT2,
        mergeable_ranks=ranks,
        special_tokens=specials,
    )
    lines = read_lines(path)
    t = time.perf_counter()
    enc.encode_ordinary_batch(lines, num_threads=int(os.environ["BENCH_THREADS"]))
    return time.perf_counter() - t


def encode_rustbpe(path: str, train_path: str) -> float:
    import rustbpe

    tok = rustbpe.Tokenizer()
    tok.train_from_iterator(iter(read_lines(train_path)), VOCAB - len(SPECIALS))
    lines = read_lines(path)
    t = time.perf_counter()
    tok.batch_encode(lines)
    return time.perf_counter() - t


def run_one(spec: dict) -> dict:
    what, path = spec["what"], spec["path"]
    fns = {
        "train-ours": lambda: train_ours(spec["kind"], path, spec["pattern"], spec["feed"]),
        "train-hf": lambda: train_hf(spec["kind"], path),
        "train-rustbpe": lambda: train_rustbpe(path),
        "encode-ours": lambda: encode_ours(spec["kind"], path, spec["pattern"], spec["train"]),
        "encode-hf": lambda: encode_hf(spec["kind"], path, spec["train"]),
        "encode-tiktoken": lambda: encode_tiktoken(path, spec["pattern"], spec["train"]),
        "encode-rustbpe": lambda: encode_rustbpe(path, spec["train"]),
    }
    base = peak_rss_mb()
    seconds = fns[what]()
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "base_rss_mb": base}


# ---------------------------------------------------------------- orchestration


def measure(spec: dict, threads: int, repeats: int) -> dict:
    env = dict(os.environ)
    env.update(
        BENCH_THREADS=str(threads),
        RAYON_NUM_THREADS=str(threads),
        RAYON_RS_NUM_CPUS=str(threads),
        TOKENIZERS_PARALLELISM="true",
    )
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, __file__, "--one", json.dumps(spec)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        if out.returncode != 0:
            raise SystemExit(f"{spec}: failed\n{out.stderr[-3000:]}")
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
    }


def prepare(scale: int, tmp: Path) -> Path:
    src = shared_data() / "wikitext-2-raw" / "train.txt.gz"
    if not src.exists():
        raise SystemExit(f"missing {src}: set BERTBENCH_SHARED_DATA to the shared data folder")
    text = gzip.open(src, "rt", encoding="utf-8").read()
    path = tmp / f"wikitext2-train-x{scale}.txt"
    path.write_text(text * scale, encoding="utf-8")
    return path


def run_scale(path: Path, train1: Path, mb: float, threads: int, repeats: int) -> None:
    def cell(label: str, **spec: str) -> dict:
        r = measure({"path": str(path), **spec}, threads, repeats)
        print(
            f"{label:44s} {r['seconds']:8.3f} s {mb / r['seconds']:8.1f} MB/s "
            f"peak RSS {r['peak_rss_mb']:8.0f} MB",
            flush=True,
        )
        return r

    print("-- training (vocab 30522)")
    ob = cell("ours BPE gpt2 (files)", what="train-ours", kind="bpe", pattern="gpt2", feed="files")
    og4 = cell(
        "ours BPE gpt4 (iterator)", what="train-ours", kind="bpe", pattern="gpt4", feed="iter"
    )
    hb = cell("HF BpeTrainer + ByteLevel (files)", what="train-hf", kind="bpe")
    rb = cell("rustbpe (iterator, gpt4)", what="train-rustbpe")
    ow = cell(
        "ours WordPiece (files)", what="train-ours", kind="wordpiece", pattern="gpt2", feed="files"
    )
    hw = cell("HF WordPieceTrainer (files)", what="train-hf", kind="wordpiece")
    print(
        f"ratio BPE: HF/ours {hb['seconds'] / ob['seconds']:.2f}x (target >= 4)  "
        f"rustbpe/ours(gpt4) {rb['seconds'] / og4['seconds']:.2f}x (target >= 1.3)"
    )
    print(
        f"ratio WordPiece: HF/ours {hw['seconds'] / ow['seconds']:.2f}x (target >= 4)  "
        f"rustbpe/ours {rb['seconds'] / ow['seconds']:.2f}x (target >= 1.3)"
    )
    print(
        f"peak RSS ours/HF: BPE {ob['peak_rss_mb'] / hb['peak_rss_mb']:.2f}  "
        f"WordPiece {ow['peak_rss_mb'] / hw['peak_rss_mb']:.2f} (target <= 2)"
    )

    print("-- encoding (batch, whole corpus, no special tokens)")
    t = str(train1)
    eb = cell("ours BPE gpt2 encode_batch", what="encode-ours", kind="bpe", pattern="gpt2", train=t)
    eb4 = cell(
        "ours BPE gpt4 encode_batch", what="encode-ours", kind="bpe", pattern="gpt4", train=t
    )
    hfb = cell("HF encode_batch (our BPE vocab)", what="encode-hf", kind="bpe", train=t)
    tk = cell(
        "tiktoken batch (our BPE gpt4 vocab)", what="encode-tiktoken", pattern="gpt4", train=t
    )
    rbe = cell("rustbpe batch_encode (gpt4)", what="encode-rustbpe", train=t)
    ew = cell(
        "ours WordPiece encode_batch", what="encode-ours", kind="wordpiece", pattern="gpt2", train=t
    )
    hfw = cell("HF encode_batch (our WordPiece vocab)", what="encode-hf", kind="wordpiece", train=t)
    print(
        f"ratio encode BPE: ours/HF {hfb['seconds'] / eb['seconds']:.2f}x (target >= 3)  "
        f"ours(gpt4)/tiktoken {tk['seconds'] / eb4['seconds']:.2f}x  "
        f"ours(gpt4)/rustbpe {rbe['seconds'] / eb4['seconds']:.2f}x (target >= 1.2)"
    )
    print(f"ratio encode WordPiece: ours/HF {hfw['seconds'] / ew['seconds']:.2f}x")


def check_peers() -> None:
    import importlib

    for name, attr in (
        ("tokenizers", "Tokenizer"),
        ("tiktoken", "Encoding"),
        ("rustbpe", "Tokenizer"),
    ):
        module = importlib.import_module(name)
        if not hasattr(module, attr):
            raise SystemExit(
                f"the peer package {name!r} is not installed (found {module!r}); "
                "install the benchmark extras: uv pip install -e '.[bench]'"
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--scales", default="1,4", help="corpus multiples to run (default 1,4)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per cell; the median is shown")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    check_peers()
    if args.one:
        print(json.dumps(run_one(json.loads(args.one))))
        return

    print(f"threads={args.threads} vocab={VOCAB} min_frequency={MIN_FREQ} repeats={args.repeats}")
    with tempfile.TemporaryDirectory() as d:
        train1 = prepare(1, Path(d))
        for scale in (int(s) for s in args.scales.split(",")):
            path = train1 if scale == 1 else prepare(scale, Path(d))
            mb = path.stat().st_size / 1e6
            print(f"\n== WikiText-2 train x{scale}: {mb:.1f} MB ==")
            run_scale(path, train1, mb, args.threads, args.repeats)


if __name__ == "__main__":
    main()
