"""The Python examples in docs/model.md run as written and show what the page says."""

from pathlib import Path

import pytest
from docs_runner import run_page

from bert_engine.modeling import BertForSequenceClassification


def test_examples_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the interop example exports to folders in the cwd
    ns = run_page("model.md")
    config = ns["config"]  # the page's "mini" row: 4 layers, 256 hidden, 4 heads, 1024 ff
    assert (config.num_layers, config.hidden_size, config.num_heads) == (4, 256, 4)
    assert config.intermediate_size == 1024
    assert ns["out"].mlm_logits.shape == (2, config.vocab_size)  # masked-only: 1 label per row
    assert isinstance(ns["model"], BertForSequenceClassification)
    report = ns["report"]  # the new head is missing; the pre-training heads are unused
    assert report.missing and all("classifier" in name for name in report.missing)
    assert report.unexpected
    assert (tmp_path / "out" / "folder" / "vocab.txt").is_file()
