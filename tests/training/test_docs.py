"""The Python examples in docs/training.md and docs/tracking.md run as written."""

import pytest
from docs_runner import run_page


@pytest.mark.parametrize("name", ["training.md", "tracking.md"])
def test_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples write checkpoints/ and runs/ relative to the cwd
    run_page(name)
