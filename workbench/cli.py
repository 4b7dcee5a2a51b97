"""The `bertbench` command line entry point.

The parser is assembled from `workbench.commands`: every module there registers its verbs with
`register(subparsers)` and handles them in `run(args) -> int`. User errors (a bad preset, a
missing file, a bad checkpoint...) end with a one-line message and a non-zero exit status,
never a traceback (set BERTBENCH_DEBUG=1 to see the traceback of any error).

`bertbench --workspace DIR VERB ...` (or `$BERTBENCH_WORKSPACE`) runs any verb inside that
workspace, as the TUI and the web panel do: its `presets/` and `runs/` are the ones used, and
relative paths on the command line are relative to it.
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
    parser.add_argument(
        "--workspace",
        dest="global_workspace",
        metavar="DIR",
        help="run the command in this workspace folder (created if missing; default "
        "$BERTBENCH_WORKSPACE, else the current folder): its presets/ and runs/ are used and "
        "relative paths are relative to it",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in command_modules():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        enter_workspace(args)
    except OSError as exc:
        print(f"error: --workspace {args.global_workspace}: {exc.strerror or exc}", file=sys.stderr)
        return 2
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


def enter_workspace(args: argparse.Namespace) -> None:
    """Move into the workspace `--workspace` (or `$BERTBENCH_WORKSPACE`) names, so every verb
    reads and writes the same `presets/` and `runs/` the TUI and the web panel use there."""
    # services.WORKSPACE_ENV, spelled here: importing the services would load pydantic and
    # the schema for every verb, `presets list` too (tests/test_startup_imports.py).
    chosen = args.global_workspace or os.environ.get("BERTBENCH_WORKSPACE")
    if not chosen:
        return
    folder = os.path.abspath(os.path.expanduser(chosen))
    os.makedirs(folder, exist_ok=True)
    os.chdir(folder)
    if getattr(args, "workspace", None) is None and hasattr(args, "workspace"):
        args.workspace = folder  # tui / web: the same folder


if __name__ == "__main__":
    sys.exit(main())
