"""`bertbench classify RUN TEXT...` and `bertbench fill-mask RUN TEXT...`."""

from __future__ import annotations

import argparse
from typing import Any

from workbench.commands._common import CliError

BAR = 30  # characters of a full probability bar


def register(subparsers: Any) -> None:
    c = subparsers.add_parser(
        "classify",
        help="label texts with a fine-tuned run",
        description="Print each text's label and every label's probability.",
    )
    c.add_argument("run", help="a fine-tuning run folder")
    c.add_argument("texts", nargs="+", metavar="TEXT")
    c.add_argument("--pair", action="append", metavar="TEXT", help="second text (one per TEXT)")
    c.add_argument("--checkpoint", help="a step-* checkpoint instead of the best one")
    c.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    c.set_defaults(func=run_classify)

    f = subparsers.add_parser(
        "fill-mask",
        help="predict [MASK] tokens with a pre-training run",
        description='Top predictions for each [MASK] in each text, e.g. "the [MASK] module".',
    )
    f.add_argument("run", help="a pre-training run folder")
    f.add_argument("texts", nargs="+", metavar="TEXT")
    f.add_argument("--top-k", type=int, default=5, help="predictions per mask (default 5)")
    f.add_argument("--checkpoint", help="a step-* checkpoint instead of the best one")
    f.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    f.set_defaults(func=run_fill_mask)


def bar(p: float) -> str:
    filled = round(max(0.0, min(1.0, p)) * BAR)
    return "█" * filled + "·" * (BAR - filled)


def run_classify(args: argparse.Namespace) -> int:
    from bert_engine.inference import Predictor

    if args.pair is not None and len(args.pair) != len(args.texts):
        raise CliError(f"{len(args.pair)} --pair texts for {len(args.texts)} texts; give one each")
    predictor = Predictor.from_run(args.run, checkpoint=args.checkpoint, device=args.device)
    predictions = predictor.classify(args.texts, args.pair)
    for text, prediction in zip(args.texts, predictions, strict=True):
        print(f"{text}\n  -> {prediction.label}")
        width = max(len(x) for x in prediction.probabilities)
        ranked = sorted(prediction.probabilities.items(), key=lambda kv: -kv[1])
        for label, p in ranked:
            print(f"  {label:<{width}} {bar(p)} {p:6.1%}")
    return 0


def run_fill_mask(args: argparse.Namespace) -> int:
    from bert_engine.inference import Predictor

    if args.top_k < 1:
        raise CliError(f"--top-k must be at least 1, got {args.top_k}")
    predictor = Predictor.from_run(args.run, checkpoint=args.checkpoint, device=args.device)
    for result in predictor.fill_mask(args.texts, top_k=args.top_k):
        print(result.text)
        for n, mask in enumerate(result.masks, 1):
            if len(result.masks) > 1:
                print(f"  [MASK] #{n}")
            width = max(len(c.token) for c in mask.candidates)
            for c in mask.candidates:
                print(f"    {c.token:<{width}} {bar(c.probability)} {c.probability:6.1%}")
    return 0
