"""Who may reach the panel: loopback by default; any other address needs a password (or the
operator's explicit `--insecure-no-auth`). Gradio-free, so `bertbench web` refuses at once."""

from __future__ import annotations

import ipaddress

from bert_engine.errors import BertbenchError


def is_loopback(host: str) -> bool:
    """Whether `host` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to any interface
        return False


class ExposureError(BertbenchError, ValueError):
    """Serving beyond loopback without a password, and without saying so explicitly."""


def check_exposure(host: str, auth: tuple[str, str] | None, insecure_no_auth: bool) -> None:
    if is_loopback(host) or auth is not None or insecure_no_auth:
        return
    raise ExposureError(
        f"--host {host} makes the panel reachable from the network, and anyone who reaches it "
        "can train, read the workspace and write into it: add --auth USER:PASS to require a "
        "password, or --insecure-no-auth if the network is trusted and you want none "
        "(or keep the default --host 127.0.0.1 and tunnel: ssh -L 7860:127.0.0.1:7860 HOST)"
    )
