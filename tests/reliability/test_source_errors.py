"""Every OS error while reading a corpus or dataset is a one-line error naming the path: through
the CLI (exit 2, no traceback) and the Python API (a DataError, i.e. a ValueError)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bert_engine.data.classification import read_examples
from bert_engine.data.errors import DataError
from bert_engine.data.sources import open_source

ROOT = Path(__file__).resolve().parents[2]


def _proc_mem(tmp: Path) -> Path:
    return Path("/proc/self/mem")  # a regular file whose read fails with EIO


def _fifo(tmp: Path) -> Path:
    path = tmp / "pipe.txt"
    os.mkfifo(path)  # opening it for reading would block forever
    return path


def _directory_with_proc_mem(tmp: Path) -> Path:
    folder = tmp / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("fine text\n", encoding="utf-8")
    (folder / "b.txt").symlink_to("/proc/self/mem")
    return folder


def _empty_directory(tmp: Path) -> Path:
    folder = tmp / "empty"
    folder.mkdir()
    return folder


def _dangling_symlink(tmp: Path) -> Path:
    path = tmp / "gone.txt"
    path.symlink_to(tmp / "never-there.txt")
    return path


def _unreadable(tmp: Path) -> Path:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (the EIO and FIFO cases cover it)")
    path = tmp / "secret.txt"
    path.write_text("hidden\n", encoding="utf-8")
    path.chmod(0)
    return path


def _device(tmp: Path) -> Path:
    return Path("/dev/null")


CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "proc-mem": (_proc_mem, "Input/output error"),
    "fifo": (_fifo, "FIFO"),
    "dir-with-proc-mem": (_directory_with_proc_mem, "Input/output error"),
    "empty-dir": (_empty_directory, "holds no file"),
    "dangling-symlink": (_dangling_symlink, "symbolic link"),
    "unreadable": (_unreadable, "Permission denied"),
    "device": (_device, "character device"),
}
needs_proc = pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="no /proc")


@needs_proc
@pytest.mark.parametrize("case", list(CASES))
def test_python_api_raises_a_data_error_naming_the_path(case: str, tmp_path: Path) -> None:
    make, reason = CASES[case]
    path = make(tmp_path)
    with pytest.raises(DataError) as info:
        list(open_source(str(path)).documents())
    message = str(info.value)
    assert reason in message and "\n" not in message
    assert str(path) in message
    assert isinstance(info.value, ValueError)


@needs_proc
@pytest.mark.parametrize("case", [c for c in CASES if c not in ("empty-dir", "dir-with-proc-mem")])
def test_classification_files_too(case: str, tmp_path: Path) -> None:
    make, reason = CASES[case]
    path = make(tmp_path)
    with pytest.raises(DataError, match=reason) as info:
        read_examples(path)
    assert str(path) in str(info.value)


def test_a_directory_as_a_dataset_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="is a directory, not a regular file"):
        read_examples(tmp_path)


@needs_proc
@pytest.mark.parametrize("case", ["proc-mem", "fifo", "dangling-symlink", "dir-with-proc-mem"])
def test_cli_prints_one_line_and_exits_2(case: str, tmp_path: Path) -> None:
    make, reason = CASES[case]
    path = make(tmp_path)
    out = subprocess.run(
        [sys.executable, "-m", "workbench.cli", "tokenizer", "train", "--source", str(path)]
        + ["--out", str(tmp_path / "tok.json")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("error: ") and reason in lines[0]
    assert "Traceback" not in out.stderr
