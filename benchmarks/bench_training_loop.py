"""Overhead of the Trainer (events, NaN guard, token counting, Tracker) over a bare PyTorch loop.

Both train the same small transformer on the same batches, interleaved round by round so
machine load hits both alike. Prints per-step times and the ratio Trainer / bare loop.

    .venv/bin/python benchmarks/bench_training_loop.py [--steps 30] [--rounds 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch
from torch import nn

from bert_engine.tracking import Tracker, create_run
from bert_engine.training import (
    Trainer,
    TrainerConfig,
    build_optimizer,
    build_scheduler,
    seed_everything,
    select_device,
)


class Model(nn.Module):
    def __init__(self, vocab: int = 1000, dim: int = 128) -> None:
        super().__init__()
        self.vocab = vocab
        self.embed = nn.Embedding(vocab, dim)
        layer = nn.TransformerEncoderLayer(dim, 4, 4 * dim, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(dim, vocab)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
    ) -> dict:
        hidden = self.encoder(self.embed(input_ids), src_key_padding_mask=attention_mask == 0)
        logits = self.head(hidden)
        return {"loss": nn.functional.cross_entropy(logits.view(-1, self.vocab), labels.view(-1))}


def batches(n: int) -> list[dict[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(0)
    out = []
    for _ in range(n):
        ids = torch.randint(0, 1000, (16, 64), generator=g)
        out.append({"input_ids": ids, "attention_mask": torch.ones_like(ids), "labels": ids})
    return out


def bare(data: list, steps: int, device: torch.device) -> float:
    seed_everything(0)
    model = Model().to(device)
    opt = build_optimizer(model, lr=1e-3)
    sched = build_scheduler(opt, total_steps=steps, warmup_steps=2)
    start = time.perf_counter()
    for batch in data[:steps]:
        batch = {k: v.to(device) for k, v in batch.items()}
        loss = model(**batch)["loss"]
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        loss.item()  # a real loop reads the loss to log it
    return (time.perf_counter() - start) / steps


def engine(data: list, steps: int, device: torch.device, root: Path) -> float:
    seed_everything(0)
    model = Model()
    opt = build_optimizer(model, lr=1e-3)
    sched = build_scheduler(opt, total_steps=steps, warmup_steps=2)
    tracker = Tracker(create_run(root, "bench"))
    trainer = Trainer(
        model,
        opt,
        data[:steps],
        TrainerConfig(total_steps=steps, checkpoint_on_finish=False),
        scheduler=sched,
        device=device,
        listeners=[tracker],
    )
    start = time.perf_counter()
    trainer.run()
    elapsed = time.perf_counter() - start
    tracker.close()
    return elapsed / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = select_device(args.device)
    data = batches(args.steps)
    bare(data, 3, device)  # warm-up: first-call costs are not what we measure
    with tempfile.TemporaryDirectory() as tmp:
        engine(data, 3, device, Path(tmp))
        b_times, e_times = [], []
        for _ in range(args.rounds):
            b_times.append(bare(data, args.steps, device))
            e_times.append(engine(data, args.steps, device, Path(tmp)))
    b, e = min(b_times), min(e_times)
    print(
        f"device {device}, torch threads {torch.get_num_threads()}, "
        f"{args.steps} steps x {args.rounds} rounds"
    )
    print(f"bare PyTorch loop      {b * 1e3:8.2f} ms/step (best round)")
    print(f"Trainer + Tracker      {e * 1e3:8.2f} ms/step (best round)")
    print(f"ratio Trainer / bare   {e / b:8.3f}")


if __name__ == "__main__":
    main()
