"""The Python examples in docs/finetuning.md run as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_runner import python_blocks, run_page


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the examples write task.csv and runs/ in the cwd
    # The inference and pooling examples use the first's names.
    assert len(python_blocks("finetuning.md")) == 3
    namespace = run_page("finetuning.md")
    assert namespace["results"]["test"]["accuracy"] >= 0.75
    # The transformers recipe gives the labels our predictor gives.
    ours = [
        p.label for p in namespace["predictor"].classify(["a goal in the match", "soup with bread"])
    ]
    assert namespace["labels"] == ours
