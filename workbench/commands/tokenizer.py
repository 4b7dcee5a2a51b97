"""`bertbench tokenizer train | encode`."""

from __future__ import annotations

import argparse
import json
from typing import Any

from workbench.commands._common import add_group, console


def register(subparsers: Any) -> None:
    verbs = add_group(subparsers, "tokenizer", "train a tokenizer or look at how one encodes")
    p = verbs.add_parser("train", help="train a WordPiece or BPE tokenizer on a corpus")
    p.add_argument(
        "--source",
        default="demo",
        help='corpus: "demo", "hf:NAME", a file, folder or glob (default: demo)',
    )
    p.add_argument("--kind", choices=["wordpiece", "bpe"], default="wordpiece")
    p.add_argument("--vocab-size", type=int, default=30522)
    p.add_argument("--min-frequency", type=int, default=2)
    p.add_argument("--no-lowercase", action="store_true", help="WordPiece: keep the case")
    p.add_argument("--pattern", choices=["gpt2", "gpt4"], default="gpt2", help="BPE regex")
    p.add_argument("--text-column", default="text", help="jsonl/csv/parquet text column")
    p.add_argument("--doc-mode", choices=["blank_line", "line"], default="blank_line")
    p.add_argument("--out", required=True, help="tokenizer.json to write")
    p.set_defaults(func=run_train)
    p = verbs.add_parser("encode", help="tokens, ids and character offsets of a text")
    p.add_argument("tokenizer", help="tokenizer.json, vocab.txt or a folder holding one")
    p.add_argument("text")
    p.add_argument("--pair", help="a second segment (sentence pair)")
    p.add_argument("--no-special", action="store_true", help="without [CLS]/[SEP]")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run_encode)


def run_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bert_engine.presets import TokenizerSettings
    from bert_engine.training.pretrain import TOKENIZER_FILE  # noqa: F401 (keeps names aligned)
    from workbench.commands._progress import EventProgress

    settings = TokenizerSettings(
        kind=args.kind,
        vocab_size=args.vocab_size,
        min_frequency=args.min_frequency,
        lowercase=not args.no_lowercase,
        pattern=args.pattern,
    )
    from bert_engine.presets import DataSettings, Preset
    from bert_engine.training.pretrain import prepare_tokenizer

    preset = Preset(
        tokenizer=settings,
        data=DataSettings(source=args.source, text_column=args.text_column, doc_mode=args.doc_mode),
    )
    with EventProgress() as progress:
        tok = prepare_tokenizer(preset, progress.on_stage)
    out = Path(args.out)
    if out.is_dir():
        out = out / "tokenizer.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tok.save(out)
    print(f"wrote {out}: {args.kind}, {tok.vocab_size} tokens")
    return 0


def run_encode(args: argparse.Namespace) -> int:
    from rich.table import Table

    from bert_engine.tokenizers import load_tokenizer

    tok = load_tokenizer(args.tokenizer)
    enc = tok.encode(args.text, pair=args.pair, add_special_tokens=not args.no_special)
    if args.json:
        print(
            json.dumps(
                {
                    "tokens": enc.tokens,
                    "ids": list(enc.ids),
                    "offsets": [list(o) for o in enc.offsets],
                }
            )
        )
        return 0
    table = Table("#", "token", "id", "offsets", "text")
    for i, (token, tid, (start, end), typ) in enumerate(
        zip(enc.tokens, enc.ids, enc.offsets, enc.type_ids, strict=True)
    ):
        source = args.pair if typ == 1 and args.pair is not None else args.text
        table.add_row(str(i), token, str(tid), f"{start}-{end}", source[start:end])
    console().print(table)
    print(f"{len(enc.ids)} tokens")
    return 0
