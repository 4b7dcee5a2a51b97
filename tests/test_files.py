"""bert_engine.files: a failed or finished write never leaves a half file or a temp file."""

from pathlib import Path

import pytest

from bert_engine.files import (
    atomic_write,
    atomic_write_json,
    atomic_write_text,
    is_abandoned_temp,
    temp_sibling,
)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old\n")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("durable", [True, False])
def test_replaces_content_exactly(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "data.json"
    atomic_write_text(target, "x" * 1000, durable=durable)
    atomic_write_json(target, {"café": [1, None]}, durable=durable)
    assert target.read_bytes() == b'{\n  "caf\\u00e9": [\n    1,\n    null\n  ]\n}\n'
    atomic_write_text(target, "a\r\nb\n", durable=durable)  # newlines kept as given
    assert target.read_bytes() == b"a\r\nb\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_nan_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    with pytest.raises(ValueError):
        atomic_write_json(target, {"loss": float("nan")})
    assert not target.exists() and not list(tmp_path.iterdir())


def test_abandoned_temp_files_are_told_apart_from_live_ones(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from bert_engine.training import CheckpointManager

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(gone.stdout)
    mine = temp_sibling(tmp_path / "latest")  # this process: still writing, maybe
    dead = tmp_path / f".tmp-latest-{dead_pid}-0123abcd.tmp"
    alive = tmp_path / f".tmp-latest-{os.getppid()}-0123abcd.tmp"  # the parent is running
    other = tmp_path / ".tmp-notes.txt"
    for f in (mine, dead, alive, other):
        f.write_text("half", encoding="utf-8")
    assert [is_abandoned_temp(f) for f in (mine, dead, alive, other)] == [False, True, False, False]
    # Opening a checkpoint folder clears what a killed writer left, and only that.
    CheckpointManager(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (mine, alive, other)
    )
