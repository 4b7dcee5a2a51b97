"""The `bertbench` command line entry point.

The parser is assembled from `workbench.commands`: every module there registers its verbs with
`register(subparsers)` and handles them in `run(args) -> int`. User errors (a bad preset, a
missing file, a bad checkpoint...) end with a one-line message and a non-zero exit status,
never a traceback (set BERTBENCH_DEBUG=1 to see the traceback of any error).
"""

from __future__ import annotations

import argparse
import os
import sys

from bert_engine import __version__
from workbench.commands import command_modules
from workbench.commands._common import describe_error, user_errors


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bertbench",
        description="An experiment workbench for BERT: train tokenizers and BERT models, "
        "watch them learn, try the result.",
    )
    parser.add_argument("--version", action="version", version=f"bertbench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if args.command is None and sys.stdin.isatty() and sys.stdout.isatty():
        # `bertbench` alone opens the workbench in a terminal; piped or scripted, it prints help.
        from workbench.commands.ui import run_tui

        func = run_tui
    elif func is None:
        # A verb group without its sub-verb (`bertbench runs`).
        (getattr(args, "group_parser", None) or parser).print_help()
        return 0
    try:
        return int(func(args))
    except Exception as exc:
        # A bug (not a BertbenchError), or a debugging session: the traceback is what a
        # developer needs; Python prints it and exits with status 1.
        if not isinstance(exc, user_errors()) or os.environ.get("BERTBENCH_DEBUG"):
            raise
        print(f"error: {describe_error(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
