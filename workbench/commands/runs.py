"""`bertbench runs list | compare A B`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workbench.commands._common import CliError, add_group, console


def register(subparsers: Any) -> None:
    verbs = add_group(subparsers, "runs", "list and compare tracked runs")
    p = verbs.add_parser("list", help="runs under a folder, newest first")
    p.add_argument("--root", default="runs", help="the runs folder (default ./runs)")
    p.set_defaults(func=run_list)
    p = verbs.add_parser("compare", help="settings and metrics of two runs side by side")
    p.add_argument("a", help="a run folder")
    p.add_argument("b", help="a run folder")
    p.set_defaults(func=run_compare)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "-" if value is None else str(value)


def run_list(args: argparse.Namespace) -> int:
    from rich.table import Table

    from bert_engine.tracking import list_runs

    root = Path(args.root)
    if not root.is_dir():
        raise CliError(f"no runs folder {root}; pass --root or start a run first")
    records = list_runs(root)
    if not records:
        print(f"no runs in {root}")
        return 0
    from workbench.services.live import best_validation, test_scores

    # The same columns and words as the Runs tab of the TUI and the web panel.
    table = Table("run", "status", "step", "train loss", "best validation", "test", "folder")
    for r in records:
        best = {k: v.get("value") for k, v in r.best.items() if isinstance(v, dict)}
        chosen = best_validation(best, r.eval_metric)
        if r.best_step is not None and chosen != "-":
            chosen += f" @ {r.best_step}"
        table.add_row(
            r.run_id,
            f"{r.status}: {r.reason}" if r.status == "failed" and r.reason else r.status,
            f"{r.step}/{r.total_steps}" if r.total_steps else _fmt(r.step),
            _fmt(r.last.get("train/loss")),
            chosen,
            test_scores(r.test),
            str(r.path),
        )
    console().print(table)
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from rich.table import Table

    from bert_engine.tracking import compare_runs

    for folder in (args.a, args.b):
        if (
            not (Path(folder) / "summary.json").is_file()
            and not (Path(folder) / "config.toml").is_file()
        ):
            raise CliError(f"{folder} is not a run folder (no summary.json or config.toml)")
    comparison = compare_runs(args.a, args.b)
    out = console()
    settings = Table("setting", "A", "B", title="settings that differ")
    for key, (a, b) in comparison.config_diff.items():
        settings.add_row(key, _fmt(a), _fmt(b))
    out.print(settings if comparison.config_diff else "same settings")
    metrics = Table("metric", "A last", "B last", "A best", "B best", title="metrics")
    for name, values in comparison.metrics.items():
        metrics.add_row(
            name, *(_fmt(values.get(k)) for k in ("a_last", "b_last", "a_best", "b_best"))
        )
    out.print(metrics)
    return 0
