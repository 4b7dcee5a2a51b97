"""Workspace safety: names can never lead outside the root; writes are atomic; uploads checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from workbench.services import Services, Workspace, WorkspaceError, check_name, slugify

BAD_NAMES = [
    "",
    "   ",
    "..",
    "../evil",
    "a/../../b",
    "sub/name",
    "sub\\name",
    "/etc/passwd",
    "C:\\temp\\x",
    ".hidden",
    "CON",
    "com1.toml",
    "nul.txt",
    "bad|name",
    "tab\tname",
    "trailing.",
    " padded ",
    "x" * 101,
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_unsafe_names_are_rejected_with_a_reason(name: str) -> None:
    with pytest.raises(WorkspaceError) as err:
        check_name(name)
    assert "name" in str(err.value)


@pytest.mark.parametrize("name", ["my-run", "résumé_2", "v1.2.toml", "データ", "a b"])
def test_ordinary_names_pass(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize("name", BAD_NAMES)
def test_no_write_outside_the_workspace(tmp_path: Path, name: str) -> None:
    ws = Workspace(tmp_path / "ws")
    before = set(tmp_path.rglob("*"))
    with pytest.raises(WorkspaceError):
        ws.write_text("presets", name, "x = 1\n")
    assert set(tmp_path.rglob("*")) == before


def test_symlink_leading_out_is_refused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws.area("presets") / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WorkspaceError, match="outside the workspace"):
        ws.path("presets", "link")
    assert list(outside.iterdir()) == []


def test_writes_are_atomic_and_unique_names_are_free(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    path = ws.write_text("presets", "a.toml", "one")
    ws.write_text("presets", "a.toml", "two")
    assert path.read_text() == "two"
    assert [p.name for p in path.parent.iterdir()] == ["a.toml"]  # no temp file left
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.write_text("presets", "a.toml", "three", overwrite=False)
    assert ws.unique_name("presets", "a", ".toml") == "a-2.toml"
    assert ws.unique_name("presets", "../../etc/passwd", ".toml") == "etc-passwd.toml"
    assert slugify("My run #2!") == "My-run-2"
    assert slugify("...") == "untitled"


def test_uploads_are_checked(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", max_upload_bytes=100)
    saved = ws.save_upload("corpus.txt", b"hello\nworld\n")
    assert saved.parent == ws.area("uploads") and saved.read_text() == "hello\nworld\n"
    with pytest.raises(WorkspaceError, match="limit is"):
        ws.save_upload("big.txt", b"x" * 101)
    with pytest.raises(WorkspaceError, match="not UTF-8"):
        ws.save_upload("latin1.txt", "café".encode("latin-1"))
    with pytest.raises(WorkspaceError, match="expected a file ending in"):
        ws.save_upload("script.sh", b"rm -rf /", suffixes=(".txt", ".csv"))
    with pytest.raises(WorkspaceError):
        ws.save_upload("../x.txt", b"x")


def test_importing_the_services_does_not_import_torch(tmp_path: Path) -> None:
    # The TUI draws its first frame before any engine import; torch alone takes seconds.
    code = (
        "import sys, workbench.services as s; "
        "s.Services(sys.argv[1]); "
        "assert 'torch' not in sys.modules, 'torch imported'; print('ok')"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ws")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_services_create_the_workspace_areas(tmp_path: Path) -> None:
    services = Services(tmp_path / "ws")
    assert sorted(p.name for p in (tmp_path / "ws").iterdir()) == [
        "exports",
        "presets",
        "runs",
        "tokenizers",
        "uploads",
    ]
    assert services.close() == []


def test_default_root_is_shared_with_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workbench.services import default_root

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BERTBENCH_WORKSPACE", raising=False)
    assert Services(default_root()).workspace.runs_dir == tmp_path / "runs"  # the CLI's default
    monkeypatch.setenv("BERTBENCH_WORKSPACE", str(tmp_path / "elsewhere"))
    assert Services(default_root()).workspace.root == tmp_path / "elsewhere"
