"""The Python examples in docs/finetuning.md run as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_runner import python_blocks, run_page


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write task.csv and runs/ in the cwd
    assert len(python_blocks("finetuning.md")) == 2  # the inference example uses the first's run
    namespace = run_page("finetuning.md")
    assert namespace["results"]["test"]["accuracy"] >= 0.75
