"""`bertbench tui` (also `bertbench` alone) and `bertbench web`: the two interactive UIs."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import Any

from workbench.commands._common import CliError
from workbench.web.exposure import ExposureError, check_exposure, is_loopback

GRADIO_CACHE_ENV = "GRADIO_TEMP_DIR"
GRADIO_CACHE = ".gradio"  # a hidden folder of the workspace root


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("tui", help="open the workbench in the terminal (the default)")
    p.add_argument("--workspace", help="workspace folder (default $BERTBENCH_WORKSPACE or .)")
    p.add_argument(
        "--allow-shared-device",
        action="store_true",
        help="start runs even while another process of this workspace trains on the device",
    )
    p.set_defaults(func=run_tui)
    p = subparsers.add_parser(
        "web",
        help="open the workbench in a browser (Gradio panel)",
        description="Serve the workbench as a web page. It listens on 127.0.0.1 only: from a "
        "laptop, tunnel to it with `ssh -L 7860:127.0.0.1:7860 HOST`. Every file a browser names "
        "must lie inside the workspace or a --data-dir folder. See docs/web.md (Security).",
    )
    p.add_argument("--workspace", help="workspace folder (default $BERTBENCH_WORKSPACE or .)")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; any other address, "
        "e.g. 0.0.0.0, needs --auth or --insecure-no-auth)",
    )
    p.add_argument("--port", type=int, default=7860, help="port (default 7860; 0: any free one)")
    p.add_argument("--auth", metavar="USER:PASS", help="require this user name and password")
    p.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="allow a --host beyond this machine without --auth (anyone who reaches the port "
        "can use the panel)",
    )
    p.add_argument(
        "--data-dir",
        action="append",
        default=[],
        metavar="PATH",
        help="a folder whose files the panel may read (corpora, labelled data, tokenizers), "
        "besides the workspace; repeatable. Nothing else outside the workspace is readable",
    )
    p.add_argument(
        "--runs-per-device",
        type=int,
        default=1,
        metavar="N",
        help="trainings allowed at once on one device (default 1)",
    )
    p.add_argument(
        "--max-upload-mb",
        type=float,
        default=20.0,
        metavar="MB",
        help="largest file accepted by an upload (default 20)",
    )
    p.add_argument(
        "--allow-shared-device",
        action="store_true",
        help="start runs even while another process of this workspace trains on the device",
    )
    p.set_defaults(func=run_web)


def run_tui(args: argparse.Namespace) -> int:
    from workbench.tui import run_tui as tui

    shared = bool(getattr(args, "allow_shared_device", False))
    return tui(getattr(args, "workspace", None), allow_shared_device=shared)


def parse_auth(value: str | None) -> tuple[str, str] | None:
    if value is None:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise CliError(f"--auth {value!r}: expected USER:PASS, both non-empty")
    return user, password


@dataclass(frozen=True)
class WebOptions:
    workspace: str | None
    host: str
    port: int
    auth: tuple[str, str] | None
    runs_per_device: int
    max_upload_bytes: int
    allow_shared_device: bool = False
    insecure_no_auth: bool = False
    data_dirs: tuple[str, ...] = ()


def web_options(args: argparse.Namespace) -> WebOptions:
    """The checked options of `bertbench web` (a `CliError` naming the bad one otherwise)."""
    auth = parse_auth(args.auth)
    if not 0 <= args.port < 65536:
        raise CliError(f"--port {args.port}: expected a port between 1 and 65535 (0: any free)")
    if not args.host or any(c.isspace() for c in args.host):
        raise CliError(f"--host {args.host!r}: expected an address such as 127.0.0.1")
    if args.runs_per_device < 1:
        raise CliError(f"--runs-per-device {args.runs_per_device}: expected 1 or more")
    if not 0 < args.max_upload_mb <= 10_000:
        raise CliError(f"--max-upload-mb {args.max_upload_mb}: expected 0 < MB <= 10000")
    insecure = bool(getattr(args, "insecure_no_auth", False))
    try:
        check_exposure(args.host, auth, insecure)
    except ExposureError as exc:
        raise CliError(str(exc)) from None
    data_dirs = tuple(getattr(args, "data_dir", None) or ())
    for folder in data_dirs:
        if not os.path.isdir(os.path.expanduser(folder)):
            raise CliError(f"--data-dir {folder}: no such folder; create it or fix the path")
    return WebOptions(
        workspace=args.workspace,
        host=args.host,
        port=args.port,
        auth=auth,
        runs_per_device=args.runs_per_device,
        max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
        allow_shared_device=bool(getattr(args, "allow_shared_device", False)),
        insecure_no_auth=insecure,
        data_dirs=data_dirs,
    )


def web_services(options: WebOptions) -> Any:
    """The workspace's `Services`, and Gradio's file cache moved into the workspace.

    Gradio keeps a copy of every uploaded and downloaded file in its cache folder, by default
    the shared /tmp/gradio; inside the workspace, the panel's files stay in the one folder the
    user chose (and out of other users' reach on a shared GPU box). Gradio reads the variable
    when it is imported, so this runs before the panel's modules load."""
    from workbench.services import Services, default_root

    services = Services(
        options.workspace or default_root(),
        max_per_device=options.runs_per_device,
        max_upload_bytes=options.max_upload_bytes,
        allow_shared_device=options.allow_shared_device,
        # The panel may be reached by others: every path they name stays inside the workspace
        # and the --data-dir folders (services/sandbox.py).
        confine_paths=True,
        data_dirs=options.data_dirs,
    )
    os.environ.setdefault(GRADIO_CACHE_ENV, str(services.workspace.root / GRADIO_CACHE))
    return services


def run_web(args: argparse.Namespace) -> int:
    options = web_options(args)
    services = web_services(options)
    from workbench.web.app import launch

    if options.insecure_no_auth and not is_loopback(options.host) and options.auth is None:
        print(
            f"warning: listening on {options.host} without a password (--insecure-no-auth): "
            "anyone who can reach this port can use the panel and write into the workspace",
            flush=True,
        )
    launch(
        services,
        host=options.host,
        port=options.port,
        auth=options.auth,
        insecure_no_auth=options.insecure_no_auth,
    )
    return 0
