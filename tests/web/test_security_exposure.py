"""Who may reach the panel: beyond loopback, `bertbench web` needs --auth (or the explicit
--insecure-no-auth); the refusal says how, before anything listens. --data-dir folders must
exist, and the panel's services confine every path to the workspace and those folders."""

from __future__ import annotations

import argparse
import socket
from pathlib import Path

import pytest

from workbench.commands import ui
from workbench.commands._common import CliError
from workbench.services import Services
from workbench.web.exposure import ExposureError, is_loopback


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    ui.register(parser.add_subparsers())
    return parser.parse_args(["web", *argv])


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "gpu-box.example.org"])
def test_a_network_address_without_auth_is_refused_with_the_fix(host: str) -> None:
    with pytest.raises(CliError) as info:
        ui.web_options(parse("--host", host))
    message = str(info.value)
    assert message.startswith(f"--host {host}")
    assert "--auth USER:PASS" in message and "--insecure-no-auth" in message


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
def test_loopback_needs_no_auth(host: str) -> None:
    assert is_loopback(host)
    assert ui.web_options(parse("--host", host)).auth is None


def test_auth_or_the_explicit_flag_allow_a_network_address() -> None:
    with_auth = ui.web_options(parse("--host", "0.0.0.0", "--auth", "ann:pw"))
    assert with_auth.auth == ("ann", "pw") and not with_auth.insecure_no_auth
    without = ui.web_options(parse("--host", "0.0.0.0", "--insecure-no-auth"))
    assert without.auth is None and without.insecure_no_auth


def test_launch_refuses_before_listening(tmp_path: Path) -> None:
    """The same rule in `launch` itself (for code that skips the CLI): nothing listens."""
    from workbench.web.app import free_port, launch

    services = Services(tmp_path / "ws")
    port = free_port()
    with pytest.raises(ExposureError, match="--auth"):
        launch(services, host="0.0.0.0", port=port, block=False, quiet=True)
    with socket.socket() as sock:  # still free: no server was started
        sock.bind(("0.0.0.0", port))


def test_launch_with_auth_sets_the_apps_auth(tmp_path: Path) -> None:
    from urllib.error import HTTPError
    from urllib.request import urlopen

    from workbench.web.app import launch

    services = Services(tmp_path / "ws")
    panel = launch(services, port=0, auth=("ann", "pw"), block=False, quiet=True)
    try:
        assert panel.app.auth == [("ann", "pw")]
        # The API refuses a client that has not logged in.
        with pytest.raises(HTTPError) as info:
            urlopen(panel.url.rstrip("/") + "/gradio_api/info", timeout=30)
        assert info.value.code == 401
    finally:
        panel.close()
        services.close()


def test_data_dirs_must_exist_and_confine_the_services(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # web_services points Gradio's cache at the workspace: restored after the test.
    monkeypatch.setenv(ui.GRADIO_CACHE_ENV, "unset")
    monkeypatch.delenv(ui.GRADIO_CACHE_ENV)
    with pytest.raises(CliError, match="--data-dir .*no such folder"):
        ui.web_options(parse("--data-dir", str(tmp_path / "missing")))
    (tmp_path / "corpora").mkdir()
    options = ui.web_options(
        parse("--workspace", str(tmp_path / "ws"), "--data-dir", str(tmp_path / "corpora"))
    )
    services = ui.web_services(options)
    workspace = services.workspace
    assert workspace.confined
    assert workspace.sandbox.data_dirs == ((tmp_path / "corpora").resolve(),)
    assert (
        workspace.resolve_inside(tmp_path / "corpora" / "a.txt")
        == (tmp_path / "corpora" / "a.txt").resolve()
    )
    with pytest.raises(ValueError, match="--data-dir"):
        workspace.resolve_inside(tmp_path / "elsewhere.txt", "data file")


def test_the_tui_and_cli_services_stay_unconfined(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    assert not services.workspace.confined
    assert services.workspace.resolve_inside("/etc/hostname") == Path("/etc/hostname").resolve()
