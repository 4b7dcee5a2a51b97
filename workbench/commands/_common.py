"""Helpers shared by the verbs: their shared arguments, which errors are the user's, and how to
print them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bert_engine.presets import Preset

from bert_engine.errors import BertbenchError


class CliError(BertbenchError):
    """A user error detected by the CLI itself (printed as one line, exit status 2)."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The errors that mean bad input (printed as a message, no traceback): the project's own
    family (`BertbenchError`) and a file the user named that does not exist. Anything else is
    a bug and keeps its traceback."""
    return (BertbenchError, FileNotFoundError)


def describe_error(exc: BaseException) -> str:
    """One or a few lines: the error's own message (they say what, where and how to fix)."""
    return str(exc).strip() or type(exc).__name__


def add_set_arg(parser: argparse.ArgumentParser, example: str = "pretrain.lr=1e-4") -> None:
    """`--set KEY=VALUE` (repeatable): overrides on top of a preset, into `args.overrides`."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override a setting, e.g. --set {example} (repeatable)",
    )


def add_run_args(parser: argparse.ArgumentParser, *, set_example: str, resume_help: str) -> None:
    """The arguments every training verb (pretrain, finetune) shares: PRESET, --set, --resume,
    --checkpoint, --allow-shared-device, --quiet (read back by `training_preset`)."""
    parser.add_argument("preset", nargs="?", help="preset name or file (not needed with --resume)")
    add_set_arg(parser, set_example)
    parser.add_argument("--resume", metavar="RUN", help=resume_help)
    parser.add_argument(
        "--checkpoint",
        metavar="STEP",
        help="with --resume: continue from this checkpoint (step-36, step-000036 or 36) "
        "instead of the latest",
    )
    parser.add_argument(
        "--allow-shared-device",
        action="store_true",
        help="train even while another run of this workspace trains on the same device",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the result")


def training_preset(args: argparse.Namespace) -> Preset | None:
    """The preset a training verb (pretrain, finetune) runs, from its `preset`, `--set` and
    `--resume` arguments; None when it continues a run, which keeps its saved preset."""
    if args.preset is None and args.resume is None:
        raise CliError("give a preset (see `bertbench presets list`) or --resume RUN")
    if getattr(args, "checkpoint", None) is not None and args.resume is None:
        raise CliError("--checkpoint picks the checkpoint to resume from: give --resume RUN too")
    if args.resume is not None and args.overrides:
        raise CliError("--set cannot change a resumed run (it continues its saved preset)")
    from bert_engine.presets import load_preset

    return load_preset(args.preset, args.overrides) if args.preset else None


def add_group(subparsers: Any, name: str, help_text: str) -> Any:
    """A verb group (`bertbench runs list`): without a sub-verb it prints its own help.
    Returns the group's sub-parsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    parser.set_defaults(group_parser=parser, func=None)
    return parser.add_subparsers(dest=f"{name}_command", metavar="VERB")


def console() -> Any:
    """A rich console for tables; wide when piped (no truncated names in files or tests)."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=240)
