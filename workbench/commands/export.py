"""`bertbench export RUN --out DIR`: a HuggingFace-format folder (model + tokenizer)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.commands._common import CliError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a run's model and tokenizer as a HuggingFace folder",
        description="Export a pre-training or fine-tuned run (its best checkpoint, else the "
        "latest) as a folder that transformers' AutoModel*/AutoTokenizer load directly (a "
        "mean-pooled classifier: a BertModel plus classifier.safetensors, docs/finetuning.md).",
    )
    p.add_argument("run", help="a run folder")
    p.add_argument("--out", required=True, help="the folder to write")
    p.add_argument("--checkpoint", help="a specific checkpoint folder of the run")
    p.add_argument(
        "--push",
        metavar="REPO",
        help="then upload the folder to this Hugging Face Hub repository (ORG/NAME; created "
        "when missing; needs network and `huggingface-cli login` or $HF_TOKEN)",
    )
    p.add_argument("--private", action="store_true", help="with --push: a private repository")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not (Path(args.run) / "config.toml").is_file():
        raise CliError(f"{args.run} is not a run folder (config.toml is missing)")
    from bert_engine.hub import push_folder, repo_id
    from bert_engine.inference import Predictor
    from bert_engine.model_card import write_model_card
    from bert_engine.modeling.hf import export_hf
    from workbench.services.use import step_of

    if args.push:
        repo_id(args.push)  # a bad name is refused before anything is written
    predictor = Predictor.from_run(args.run, checkpoint=args.checkpoint)
    model, tokenizer = predictor.model, predictor.tokenizer
    out = export_hf(model, args.out, tokenizer=tokenizer)
    step = step_of(predictor.checkpoint) if predictor.checkpoint is not None else None
    write_model_card(out, args.run, step=step, model_class=type(model).__name__)
    where = predictor.checkpoint.name if predictor.checkpoint is not None else "?"
    print(
        f"wrote {out} ({type(model).__name__} from {where}, {tokenizer.vocab_size} tokens; "
        "model card README.md)"
    )
    if args.push:
        print(f"pushed to {push_folder(out, args.push, private=args.private)}")
    return 0
