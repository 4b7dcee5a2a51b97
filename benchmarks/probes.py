"""What fill-mask probes cost a pre-training run (#16.1: under 2% of the step budget).

The CPU quality profile's model (tiny 2x128, MLM, 8k WordPiece, packed rows of 128 x 32)
is timed side by side, interleaved round by round so machine load hits both alike: a training
step (forward, backward, AdamW) and one probe pass (the default 5 sentences, no gradients). A
run probes once per evaluation, so the cost is probe time / (eval_every x step time).

    .venv/bin/python benchmarks/probes.py [--rounds 5] [--eval-every 200] [--threads 2]
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from bert_engine.schema.bert import BertConfig
from bert_engine.tokenizers import WordPieceTokenizer
from bert_engine.training.pretrain import MaskedLMBert
from bert_engine.training.probes import make_probe_runner, pick_probes

WIKI = Path(__file__).resolve().parents[1].parent / "shared/data/wikitext-2-raw"


def texts() -> list[str]:
    """WikiText-2 train lines when ../shared/data has them, else generated sentences."""
    path = WIKI / "train.txt.gz"
    if path.is_file():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            return [line.strip() for line in f if len(line.split()) > 8][:20000]
    rng = np.random.default_rng(0)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = ["".join(rng.choice(letters, rng.integers(3, 9))) for _ in range(3000)]
    return [" ".join(rng.choice(words, 20)) for _ in range(20000)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=10, help="training steps timed per round")
    ap.add_argument("--eval-every", type=int, default=200, help="pretrain.eval_every default")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    lines = texts()
    tok = WordPieceTokenizer.train(lines, vocab_size=8000, lowercase=True)
    config = BertConfig(
        vocab_size=tok.vocab_size, num_layers=2, hidden_size=128, num_heads=2,
        intermediate_size=512, hidden_dropout=0.0, attention_dropout=0.0,
    )  # fmt: skip
    torch.manual_seed(0)
    model = MaskedLMBert(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(5, tok.vocab_size, (32, 128))
    labels = torch.full_like(ids, -100)
    picked = torch.rand(ids.shape) < 0.15
    labels[picked] = ids[picked]
    sentences = [np.asarray(tok.encode(t, add_special_tokens=False).ids) for t in lines[-500:]]
    chosen = pick_probes(sentences, tok, 5, seed=0)
    if not chosen:
        raise SystemExit("no probe sentence found in the corpus sample")
    probe = make_probe_runner(chosen, tok)

    def step() -> None:
        model.train()
        out = model(input_ids=ids, labels=labels)
        out["loss"].backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    def probes() -> None:
        model.eval()
        with torch.no_grad():
            probe(model)

    step(), probes()  # warm-up
    step_s, probe_s = [], []
    for _ in range(args.rounds):
        t = time.perf_counter()
        for _ in range(args.steps):
            step()
        step_s.append((time.perf_counter() - t) / args.steps)
        t = time.perf_counter()
        probes()
        probe_s.append(time.perf_counter() - t)
    s, p = statistics.median(step_s), statistics.median(probe_s)
    print(f"training step (32 x 128, tiny 2x128, 8k vocab): {s * 1e3:.1f} ms (median)")
    print(f"probe pass ({len(chosen)} sentences):                      {p * 1e3:.1f} ms (median)")
    print(f"probe / step: {p / s:.2f}; cost at eval_every = {args.eval_every}: "
          f"{p / (args.eval_every * s):.3%} of the step budget (target < 2%)")  # fmt: skip


if __name__ == "__main__":
    main()
