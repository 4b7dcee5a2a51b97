"""Training-step throughput of bert_engine's BERT against `transformers.BertForPreTraining`.

Both sides get the same config, the same weights, the same batches and the same optimizer
(AdamW); steps are timed interleaved (ours, theirs, theirs, ours, ...) in one process and the
median per-step time over repeats is reported, so background load hits both sides alike.

    python benchmarks/model.py                 # CPU: mini, seq 128, batch 32 (+ WikiText-2 pairs)
    python benchmarks/model.py --device cuda   # GPU: base, bf16, seq 128/512, eager and compiled,
                                               #      plus real variable-length WikiText-2 pairs

Tokens/s counts real (non-padding) tokens. On GPU, MFU = model FLOPs / time / 989 TFLOP/s
(H100 bf16 dense), with model FLOPs = 6 x matmul weights x tokens + attention, the MLM decoder
counted on masked tokens only (work that produces nothing, like padding, is not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import multiprocessing as mp
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/tokenizers.py would shadow HF's `tokenizers` package (which transformers imports).
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(ROOT))

from bert_engine.modeling import BertConfig, BertForPreTraining, compile_model  # noqa: E402
from bert_engine.modeling.hf import hf_state_dict_to_ours  # noqa: E402

H100_BF16_DENSE = 989e12
CLS, SEP, MASK = 2, 3, 4


@dataclass
class Batch:
    input_ids: torch.Tensor
    token_type_ids: torch.Tensor
    attention_mask: torch.Tensor
    mlm_labels: torch.Tensor
    nsp_labels: torch.Tensor

    def to(self, device: str) -> Batch:
        return Batch(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))

    @property
    def tokens(self) -> int:
        return int(self.attention_mask.sum())


def mask_tokens(ids: torch.Tensor, attention: torch.Tensor, g: torch.Generator, vocab: int):
    """BERT's masking: 15% of real non-special tokens; 80% [MASK], 10% random, 10% kept."""
    special = (ids == CLS) | (ids == SEP) | (attention == 0)
    pick = (torch.rand(ids.shape, generator=g) < 0.15) & ~special
    labels = torch.where(pick, ids, torch.full_like(ids, -100))
    roll = torch.rand(ids.shape, generator=g)
    ids = torch.where(pick & (roll < 0.8), torch.full_like(ids, MASK), ids)
    random_ids = torch.randint(5, vocab, ids.shape, generator=g)
    ids = torch.where(pick & (roll >= 0.8) & (roll < 0.9), random_ids, ids)
    return ids, labels


def synthetic_batch(config: BertConfig, batch: int, length: int, seed: int = 0) -> Batch:
    """A full-length batch (no padding) of random ids: [CLS] A [SEP] B [SEP]."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, config.vocab_size, (batch, length), generator=g)
    half = length // 2
    ids[:, 0], ids[:, half], ids[:, -1] = CLS, SEP, SEP
    types = torch.zeros_like(ids)
    types[:, half + 1 :] = 1
    attention = torch.ones_like(ids)
    ids, labels = mask_tokens(ids, attention, g, config.vocab_size)
    nsp = torch.randint(0, 2, (batch,), generator=g)
    return Batch(ids, types, attention, labels, nsp)


def shared_data() -> Path:
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def wikitext_pairs_batch(config: BertConfig, batch: int, max_len: int, seed: int = 0):
    """Real variable-length segment pairs from WikiText-2 (consecutive paragraphs, or a random
    one for half of them, as NSP does), tokenized by a WordPiece trained on WikiText-2, each
    pair truncated to max_len and the batch padded to its longest pair. None without the data."""
    path = shared_data() / "wikitext-2-raw" / "train.txt.gz"
    if not path.is_file():
        return None
    from tokenizers import BertWordPieceTokenizer

    with gzip.open(path, "rt", encoding="utf-8") as f:
        paragraphs = [line.strip() for line in f if line.strip() and not line.startswith(" =")]
    tok = BertWordPieceTokenizer(lowercase=True)
    tok.train_from_iterator(paragraphs, vocab_size=config.vocab_size, show_progress=False)
    rng = random.Random(seed)
    starts = rng.sample(range(len(paragraphs) - 1), batch)
    nsp = [rng.random() < 0.5 for _ in range(batch)]
    a = [paragraphs[i] for i in starts]
    b = [
        paragraphs[rng.randrange(len(paragraphs))] if r else paragraphs[i + 1]
        for i, r in zip(starts, nsp, strict=True)
    ]
    tok.enable_truncation(max_len)
    tok.enable_padding(pad_id=0)
    enc = tok.encode_batch(list(zip(a, b, strict=True)))
    ids = torch.tensor([e.ids for e in enc])
    types = torch.tensor([e.type_ids for e in enc])
    attention = torch.tensor([e.attention_mask for e in enc])
    g = torch.Generator().manual_seed(seed)
    ids, labels = mask_tokens(ids, attention, g, config.vocab_size)
    return Batch(ids, types, attention, labels, torch.tensor(nsp, dtype=torch.long))


def build_pair(config: BertConfig, device: str, attn: str = "sdpa"):
    """HF BertForPreTraining and ours with identical weights."""
    import transformers

    fields = {k: v for k, v in config.to_hf_dict().items() if k != "model_type"}
    hf_config = transformers.BertConfig(**fields, attn_implementation=attn)
    torch.manual_seed(0)
    theirs = transformers.BertForPreTraining(hf_config)
    ours = BertForPreTraining(config)
    state, report = hf_state_dict_to_ours(ours, theirs.state_dict())
    assert report.ok, str(report)
    ours.load_state_dict(state)
    return ours.to(device).train(), theirs.to(device).train()


def make_step(model: torch.nn.Module, is_ours: bool, batch: Batch, dtype: torch.dtype | None):
    # Fused AdamW on both sides (the default of HF's Trainer and of our trainer).
    opt = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)
    device = batch.input_ids.device.type
    autocast = (
        torch.autocast(device, dtype=dtype) if dtype is not None else contextlib.nullcontext()
    )

    def step() -> float:
        with autocast:
            if is_ours:
                out = model(
                    batch.input_ids,
                    batch.token_type_ids,
                    batch.attention_mask,
                    mlm_labels=batch.mlm_labels,
                    nsp_labels=batch.nsp_labels,
                )
            else:
                out = model(
                    input_ids=batch.input_ids,
                    token_type_ids=batch.token_type_ids,
                    attention_mask=batch.attention_mask,
                    labels=batch.mlm_labels,
                    next_sentence_label=batch.nsp_labels,
                )
        out.loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)
        return float(out.loss.detach())  # a sync point on GPU, so timings include all queued work

    return step


def model_flops(config: BertConfig, batch: Batch) -> float:
    """Training FLOPs of one step: 6 x weights x tokens for matmuls, plus attention."""
    h, i, v, n = config.hidden_size, config.intermediate_size, config.vocab_size, config.num_layers
    tokens = batch.tokens
    masked = int((batch.mlm_labels != -100).sum())
    seqs = batch.input_ids.shape[0]
    lengths = batch.attention_mask.sum(1).double()
    encoder = n * (4 * h * h + 2 * h * i) * tokens
    heads = (h * h + h * v) * masked + (h * h + 2 * h) * seqs  # MLM on masked; pooler + NSP
    attention = n * 4 * h * float((lengths**2).sum())  # q k^T and attn v, 2 FLOPs per MAC
    return 6 * (encoder + heads) + 3 * attention


def time_side_by_side(steps: dict, repeats: int, per_repeat: int, device: str) -> dict:
    """Interleave the sides (alternating who goes first); median seconds per step each."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    names = list(steps)
    for r in range(repeats):
        order = names if r % 2 == 0 else names[::-1]
        for name in order:
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(per_repeat):
                steps[name]()
            times[name].append((time.perf_counter() - start) / per_repeat)
    return {name: statistics.median(t) for name, t in times.items()}


def cpu_peak_rss(side: str, config_json: str, batch: Batch, threads: int) -> float:
    """Peak resident memory of a training step above what is resident (MiB), measured in a
    fresh process (Linux /proc), so the two sides do not share an allocator."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(_rss_probe, (side, config_json, batch, threads))


def _rss_probe(side: str, config_json: str, batch: Batch, threads: int) -> float:
    torch.set_num_threads(threads)
    config = BertConfig.model_validate_json(config_json)
    ours, theirs = build_pair(config, "cpu")
    model = ours if side == "ours" else theirs
    del theirs, ours
    step = make_step(model, side == "ours", batch, None)
    step()  # optimizer state now exists: what follows is the step's own working memory
    resident = _rss_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to the current RSS
    for _ in range(2):
        step()
    return _rss_mib("VmHWM") - resident


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def run_case(label, config, batch, device, dtype, compiled, repeats, per_repeat, memory, threads):
    ours, theirs = build_pair(config, device)
    if compiled:
        compile_model(ours)
        theirs = torch.compile(theirs)
    batch = batch.to(device)
    steps = {
        "ours": make_step(ours, True, batch, dtype),
        "transformers": make_step(theirs, False, batch, dtype),
    }
    peak: dict[str, float] = {}
    for name, step in steps.items():  # warm-up (and compilation), then peak memory of a step
        for _ in range(2):
            step()
        if device == "cuda":  # peak above what is resident (both models, optimizer states)
            torch.cuda.synchronize()
            resident = torch.cuda.memory_allocated()
            torch.cuda.reset_peak_memory_stats()
            step()
            peak[name] = (torch.cuda.max_memory_allocated() - resident) / 2**20
    if device == "cpu" and memory and Path("/proc/self/clear_refs").exists():
        cfg = config.model_dump_json()
        peak = {name: cpu_peak_rss(name, cfg, batch, threads) for name in steps}
    seconds = time_side_by_side(steps, repeats, per_repeat, device)
    tokens = batch.tokens
    flops = model_flops(config, batch)
    print(
        f"\n{label}  ({tokens} real tokens/step, "
        f"{100 * (1 - tokens / batch.input_ids.numel()):.0f}% padding)"
    )
    print(
        f"  {'side':<14}{'step ms':>10}{'tokens/s':>12}{'peak MiB':>10}"
        + (f"{'MFU':>8}" if device == "cuda" else "")
    )
    for name, s in seconds.items():
        mfu = f"{100 * flops / s / H100_BF16_DENSE:7.1f}%" if device == "cuda" else ""
        mem = f"{peak[name]:10.0f}" if name in peak else f"{'-':>10}"
        print(f"  {name:<14}{1000 * s:10.1f}{tokens / s:12.0f}{mem}{mfu}")
    ratio = seconds["transformers"] / seconds["ours"]
    print(f"  ours / transformers throughput: {ratio:.2f}x")
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=2, help="CPU threads (both sides)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2, help="steps per timed repeat")
    parser.add_argument("--no-memory", action="store_true", help="skip CPU peak-memory probes")
    parser.add_argument("--no-wikitext", action="store_true", help="skip the WikiText-2 batch")
    parser.add_argument("--no-compile", action="store_true", help="GPU: skip compiled runs")
    parser.add_argument("--compile", action="store_true", help="CPU: add compiled runs (slow)")
    parser.add_argument(
        "--attention-dropout",
        type=float,
        default=0.1,
        help="both sides (BERT: 0.1); with 0, ours uses varlen flash attention on CUDA",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = args.device
    print(f"torch {torch.__version__}, device {device}", end="")
    if device == "cuda":
        print(f" ({torch.cuda.get_device_name()})")
        torch.backends.cuda.matmul.allow_tf32 = True
    else:
        print(f", {torch.get_num_threads()} threads")
    import transformers

    print(f"transformers {transformers.__version__} (BertForPreTraining, attention 'sdpa')")
    memory = not args.no_memory
    if device == "cpu":
        config = BertConfig.from_size("mini", attention_dropout=args.attention_dropout)
        cases = [("mini, seq 128, batch 32, fp32", synthetic_batch(config, 32, 128))]
        if not args.no_wikitext:
            cases.append(
                (
                    "mini, WikiText-2 pairs up to 512, batch 8, fp32",
                    wikitext_pairs_batch(config, 8, 512),
                )
            )
        dtype, compile_modes = None, (False, True) if args.compile else (False,)
    else:
        config = BertConfig.from_size("base", attention_dropout=args.attention_dropout)
        cases = [
            (
                f"base, seq {length}, batch {size}, bf16 autocast",
                synthetic_batch(config, size, length),
            )
            for length, size in ((128, 256), (512, 64))
        ]
        if not args.no_wikitext:
            cases.append(
                (
                    "base, WikiText-2 pairs up to 512, batch 64, bf16 autocast",
                    wikitext_pairs_batch(config, 64, 512),
                )
            )
        dtype, compile_modes = torch.bfloat16, (False,) if args.no_compile else (False, True)
    for label, batch in cases:
        if batch is None:
            print(f"\n{label}: skipped, {shared_data()} is absent")
            continue
        for compiled in compile_modes:
            tag = ", torch.compile both" if compiled else ", eager"
            run_case(
                label + tag,
                config,
                batch,
                device,
                dtype,
                compiled,
                args.repeats,
                args.steps,
                memory and not compiled,
                args.threads,
            )


if __name__ == "__main__":
    main()
