"""The `bertbench` command line entry point."""

from __future__ import annotations

import argparse
import sys

from bert_engine import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bertbench",
        description="An experiment workbench for BERT: train tokenizers and BERT models, "
        "watch them learn, try the result.",
    )
    parser.add_argument("--version", action="version", version=f"bertbench {__version__}")
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
