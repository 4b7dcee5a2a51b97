"""The path sandbox (services/sandbox.py) on its own: what a confined workspace accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.services import Services
from workbench.services.sandbox import Sandbox, SandboxError


@pytest.fixture
def box(tmp_path: Path) -> Sandbox:
    (tmp_path / "ws" / "corpus").mkdir(parents=True)
    (tmp_path / "data").mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("secret\n")
    (tmp_path / "ws" / "corpus" / "a.txt").write_text("a\n")
    (tmp_path / "data" / "b.txt").write_text("b\n")
    return Sandbox.of((tmp_path / "ws").resolve(), [tmp_path / "data"], confine=True)


def test_inside_the_workspace_and_the_data_folders(box: Sandbox, tmp_path: Path) -> None:
    assert box.path(tmp_path / "ws" / "corpus" / "a.txt", "file").name == "a.txt"
    assert box.path(tmp_path / "data" / "b.txt", "file").name == "b.txt"
    assert box.source(str(tmp_path / "ws" / "corpus"), "corpus")  # a folder
    assert box.source(str(tmp_path / "data" / "*.txt"), "corpus")  # a glob
    assert box.source("demo", "corpus") == "demo"


@pytest.mark.parametrize(
    "value",
    ["{o}/secret.txt", "{w}/../outside/secret.txt", "{w}/corpus/../../outside/secret.txt", "~"],
)
def test_outside_is_refused(box: Sandbox, tmp_path: Path, value: str) -> None:
    text = value.format(o=tmp_path / "outside", w=tmp_path / "ws")
    with pytest.raises(SandboxError, match="inside the workspace .* --data-dir"):
        box.path(text, "data file")


def test_links_that_lead_out_are_refused_wherever_they_are(box: Sandbox, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "corpus" / "link.txt").symlink_to(tmp_path / "outside" / "secret.txt")
    (ws / "out").symlink_to(tmp_path / "outside")
    with pytest.raises(SandboxError):
        box.path(ws / "out" / "secret.txt", "file")
    with pytest.raises(SandboxError, match="link.txt"):
        box.source(str(ws / "corpus"), "corpus")  # a folder holding the link
    with pytest.raises(SandboxError, match="link.txt"):
        box.source(str(ws / "corpus" / "*.txt"), "corpus")  # a glob reaching it
    with pytest.raises(SandboxError):
        box.source(str(tmp_path / "outside" / "*.txt"), "corpus")  # a glob outside


def test_malformed_values_and_the_hub(box: Sandbox) -> None:
    for value, words in (("a\x00b", "NUL"), ("x" * 5000, "5000 characters"), ("", "empty")):
        with pytest.raises(SandboxError, match=words):
            box.path(value, "file")
    with pytest.raises(SandboxError, match="HuggingFace"):
        box.source("hf:wikitext", "corpus")


def test_preset_settings(box: Sandbox, tmp_path: Path) -> None:
    inside = str(tmp_path / "data" / "b.txt")
    box.check_preset({"data": {"source": inside}, "finetune": {"init": "quickstart"}})
    box.check_preset({"finetune": {"init": "random", "checkpoint": "step-36"}})
    box.check_preset({"classification": {"train": "demo", "test": Path(inside)}})
    with pytest.raises(SandboxError, match="classification.test"):
        box.check_preset({"classification": {"train": "demo", "test": Path("/etc/hostname")}})
    with pytest.raises(SandboxError, match="finetune.init"):
        box.check_preset({"finetune": {"init": "/etc"}})
    with pytest.raises(SandboxError, match="data.cache_dir"):
        box.check_preset({"data": {"source": "demo", "cache_dir": "/tmp/elsewhere"}})


def test_unconfined_every_path_passes(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    sandbox = services.workspace.sandbox
    assert not sandbox.confine and sandbox.allows("/etc/hostname")
    sandbox.check_preset({"data": {"source": "/etc/hostname"}})
    assert sandbox.source("hf:wikitext", "corpus") == "hf:wikitext"


def test_a_hub_model_is_used_from_the_cache_only(
    box: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Confined (the web panel), `finetune.init = "hf:ORG/NAME"` must already be in the Hub
    cache: the panel never makes the server download a model."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    with pytest.raises(SandboxError, match="downloads none"):
        box.check_preset({"finetune": {"init": "hf:someone/bert"}})
    commit = "0" * 40
    cached = tmp_path / "hub" / "models--someone--bert"
    (cached / "snapshots" / commit).mkdir(parents=True)
    (cached / "snapshots" / commit / "config.json").write_text("{}")
    (cached / "refs").mkdir()
    (cached / "refs" / "main").write_text(commit)
    box.check_preset({"finetune": {"init": "hf:someone/bert"}})
