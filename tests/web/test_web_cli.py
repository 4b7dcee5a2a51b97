"""`bertbench web` argument handling, checked without launching a server."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest

from workbench.commands import ui
from workbench.commands._common import CliError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    ui.register(parser.add_subparsers())
    return parser.parse_args(["web", *argv])


def test_defaults_are_safe() -> None:
    options = ui.web_options(parse())
    assert options.host == "127.0.0.1"
    assert options.port == 7860
    assert options.auth is None
    assert options.runs_per_device == 1
    assert options.max_upload_bytes == 20 * 1024 * 1024


def test_options_are_passed_through() -> None:
    options = ui.web_options(
        parse(
            "--auth",
            "ann:s3cret:x",
            "--port",
            "0",
            "--runs-per-device",
            "2",
            "--max-upload-mb",
            "0.5",
        )
    )
    # Only the first ':' separates: passwords may contain colons.
    assert options.auth == ("ann", "s3cret:x")
    assert options.port == 0
    assert options.runs_per_device == 2
    assert options.max_upload_bytes == 512 * 1024


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (("--auth", "nopassword"), "--auth"),
        (("--auth", ":pw"), "--auth"),
        (("--auth", "user:"), "--auth"),
        (("--port", "70000"), "--port"),
        (("--port", "-1"), "--port"),
        (("--host", ""), "--host"),
        (("--runs-per-device", "0"), "--runs-per-device"),
        (("--max-upload-mb", "0"), "--max-upload-mb"),
    ],
)
def test_bad_options_name_the_flag(argv: tuple[str, ...], flag: str) -> None:
    with pytest.raises(CliError) as info:
        ui.web_options(parse(*argv))
    assert str(info.value).startswith(flag)


def test_a_non_numeric_port_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse("--port", "http")
    assert "--port" in capsys.readouterr().err


def test_gradio_cache_goes_into_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (set then deleted: the monkeypatch restores the variable's first state afterwards)
    monkeypatch.setenv(ui.GRADIO_CACHE_ENV, "unset")
    monkeypatch.delenv(ui.GRADIO_CACHE_ENV)
    options = ui.web_options(parse("--workspace", str(tmp_path / "ws"), "--runs-per-device", "3"))
    services = ui.web_services(options)
    assert services.workspace.root == (tmp_path / "ws").resolve()
    assert services.manager.max_per_device == 3
    assert services.workspace.max_upload_bytes == 20 * 1024 * 1024
    cache = Path(os.environ[ui.GRADIO_CACHE_ENV])
    assert cache.parent == services.workspace.root


def test_allow_shared_device_reaches_the_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ui.GRADIO_CACHE_ENV, str(tmp_path / "cache"))  # restored afterwards
    plain = ui.web_services(ui.web_options(parse("--workspace", str(tmp_path / "a"))))
    assert plain.manager.allow_shared_device is False
    argv = ("--workspace", str(tmp_path / "b"), "--allow-shared-device")
    shared = ui.web_services(ui.web_options(parse(*argv)))
    assert shared.manager.allow_shared_device is True
