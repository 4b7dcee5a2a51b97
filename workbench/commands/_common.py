"""Helpers shared by the verbs: which errors are the user's, and how to print them."""

from __future__ import annotations

import argparse
import sys
from typing import Any


class CliError(Exception):
    """A user error detected by the CLI itself (printed as one line, exit status 2)."""


def user_errors() -> tuple[type[BaseException], ...]:
    """The project's error types that mean "bad input" (printed as a message, no traceback).

    Only modules already loaded are consulted: a verb that can raise an error type has
    imported it, and `bertbench --help` stays free of torch.
    """
    errors: list[type[BaseException]] = [CliError, FileNotFoundError, ValueError]
    from bert_engine.presets import PresetError

    errors.append(PresetError)
    if "bert_engine._rustbpe" in sys.modules:
        from bert_engine._rustbpe import FormatError, TrainingCancelled

        errors += [FormatError, TrainingCancelled]
    if "bert_engine.training" in sys.modules:
        from bert_engine.training import CheckpointError, DeviceError, TrainingError

        errors += [CheckpointError, DeviceError, TrainingError]
    return tuple(errors)


def describe_error(exc: BaseException) -> str:
    """One or a few lines: the error's own message (they say what, where and how to fix)."""
    if type(exc).__name__ == "ValidationError" and hasattr(exc, "errors"):
        return "\n  ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')} (got {e.get('input')!r})"
            for e in exc.errors()
        )
    if isinstance(exc, FileNotFoundError) and exc.filename and not exc.args[1:]:
        return str(exc)
    return str(exc).strip() or type(exc).__name__


def training_preset(args: argparse.Namespace) -> Any:
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
