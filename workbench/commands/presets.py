"""`bertbench presets list | show | validate | diff | new | share`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.commands._common import CliError, add_group, add_set_arg, console


def register(subparsers: Any) -> None:
    verbs = add_group(subparsers, "presets", "list, show, check, compare and share presets")
    p = verbs.add_parser("list", help="presets found (./presets, user config, bundled)")
    p.set_defaults(func=run_list)
    p = verbs.add_parser("show", help="print a preset fully resolved (inheritance merged)")
    p.add_argument("preset", help="a preset name or file")
    add_set_arg(p)
    p.set_defaults(func=run_show)
    p = verbs.add_parser("validate", help="check preset files; one line per problem")
    p.add_argument("presets", nargs="+", metavar="PRESET", help="preset names or files")
    p.set_defaults(func=run_validate)
    p = verbs.add_parser("diff", help="the settings two presets differ in")
    p.add_argument("a", help="a preset name or file")
    p.add_argument("b", help="a preset name or file")
    p.set_defaults(func=run_diff)
    p = verbs.add_parser("new", help="start a preset that extends another")
    p.add_argument("name", help="name of the new preset (file NAME.toml)")
    p.add_argument("--from", dest="base", default="quickstart", help="preset to extend")
    p.add_argument("--dir", default="presets", help="folder to write it into (default ./presets)")
    p.set_defaults(func=run_new)
    p = verbs.add_parser("share", help="write one self-contained file (inheritance flattened)")
    p.add_argument("preset", help="a preset name or file")
    p.add_argument("--out", required=True, help="the file to write")
    add_set_arg(p)
    p.set_defaults(func=run_share)


def run_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from bert_engine.preset_files import list_presets, search_dirs

    found = list_presets()
    if not found:
        dirs = ", ".join(str(d) for _, d in search_dirs())
        print(f"no presets found (searched {dirs})")
        return 0
    table = Table("name", "origin", "description")
    for info in found:
        name = f"{info.name} (shadowed)" if info.shadowed else info.name
        table.add_row(name, info.origin, info.description)
    console().print(table)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from bert_engine.presets import load_preset, preset_toml

    print(preset_toml(load_preset(args.preset, args.overrides)), end="")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    import sys

    from bert_engine.presets import (
        PresetError,
        load_preset,
        missing_inputs,
        resolve_preset_ref,
        unusable_inputs,
    )

    failed = 0
    for ref in args.presets:
        try:
            preset = load_preset(ref)
        except PresetError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
            continue
        where = resolve_preset_ref(ref)
        missing = missing_inputs(preset)
        for key, path in missing:
            print(
                f"error: {where}: {key}: no file at {path} (relative to the preset file); "
                f"put the file there, or point {key} at yours (--set {key}=PATH)",
                file=sys.stderr,
            )
        unusable = unusable_inputs(preset)
        for key, _, problem in unusable:
            print(f"error: {where}: {key}: {problem}", file=sys.stderr)
        if missing or unusable:
            failed += 1
        else:
            print(f"ok: {preset.name} ({where})")
    return 2 if failed else 0


def run_diff(args: argparse.Namespace) -> int:
    from bert_engine.presets import diff, load_preset

    changes = diff(load_preset(args.a), load_preset(args.b))
    if not changes:
        print("no differences")
    for key, (a, b) in changes.items():
        print(f"{key}: {a!r} -> {b!r}")
    return 0


def run_new(args: argparse.Namespace) -> int:
    from bert_engine.files import atomic_write_text
    from bert_engine.presets import new_preset_text, resolve_preset_ref, safe_preset_name

    name = safe_preset_name(args.name)
    base = resolve_preset_ref(args.base)
    target = Path(args.dir) / f"{name}.toml"
    if target.exists():
        raise CliError(f"{target} already exists; pick another name or edit that file")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, new_preset_text(name, args.base, base), durable=False)
    print(f"wrote {target} (extends {args.base}); edit it, then: bertbench pretrain {target}")
    return 0


def run_share(args: argparse.Namespace) -> int:
    from bert_engine.presets import load_preset, save_preset

    out = save_preset(load_preset(args.preset, args.overrides), args.out)
    print(f"wrote {out} (self-contained: no extends, paths relative to it)")
    return 0
