"""The CLI's verbs: one module per verb (or verb group).

Each module defines `register(subparsers) -> None`, which adds its sub-parser(s) and sets
`func=run` (a `run(args) -> int` returning the exit status) with `parser.set_defaults`.
`workbench.cli` discovers the modules of this package, so a new verb is a new file.
Modules import heavy packages (torch) inside `run`, keeping `bertbench --help` fast.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    """Every verb module of this package, in name order (the order of `bertbench --help`)."""
    modules = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if callable(getattr(module, "register", None)):
            modules.append(module)
    return modules
