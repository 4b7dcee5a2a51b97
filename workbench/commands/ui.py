"""`bertbench tui` (also `bertbench` alone) and `bertbench web`: the two interactive UIs."""

from __future__ import annotations

import argparse
from typing import Any

from workbench.commands._common import CliError


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("tui", help="open the workbench in the terminal (the default)")
    p.add_argument("--workspace", help="workspace folder (default $BERTBENCH_WORKSPACE or .)")
    p.set_defaults(func=run_tui)
    p = subparsers.add_parser("web", help="open the workbench in a browser (Gradio panel)")
    p.add_argument("--workspace", help="workspace folder (default $BERTBENCH_WORKSPACE or .)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only)",
    )
    p.add_argument("--port", type=int, default=7860, help="port (default 7860)")
    p.add_argument("--auth", metavar="USER:PASS", help="require this user name and password")
    p.set_defaults(func=run_web)


def run_tui(args: argparse.Namespace) -> int:
    from workbench.tui import run_tui as tui

    return tui(getattr(args, "workspace", None))


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise CliError(f"--auth {value!r}: expected USER:PASS, both non-empty")
    return user, password


def run_web(args: argparse.Namespace) -> int:
    from workbench.services import Services, default_root
    from workbench.web.app import launch

    auth = parse_auth(args.auth)
    if not 0 < args.port < 65536:
        raise CliError(f"--port {args.port}: expected a port between 1 and 65535")
    launch(Services(args.workspace or default_root()), host=args.host, port=args.port, auth=auth)
    return 0
