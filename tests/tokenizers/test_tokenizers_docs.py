"""The Python examples in docs/tokenizers.md run as written (each stands alone)."""

from pathlib import Path

import pytest
from docs_runner import python_blocks, run_block

BLOCKS = python_blocks("tokenizers.md")


def test_doc_has_examples() -> None:
    assert len(BLOCKS) >= 5


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_doc_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_block("tokenizers.md", index, BLOCKS[index], {"__name__": "docs_example"})
