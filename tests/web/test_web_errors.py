"""The Try tab's Error analysis (gradio_client) over a real tiny fine-tuned run that makes
mistakes, in the session panel's workspace: heatmap, per-label table, filtered errors; an
older run offers Compute; a pre-training run is refused in words."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from kit.errors import finetuned_run, older_copy
from kit.web import WebPanel, plot_spec, refusal, rows

from workbench.services.analysis import load_analysis

STATUS, SPLIT, TRUE, PRED, MATRIX, CLASSES, ERRORS, COMPUTE = range(8)


def value(out: Any) -> Any:
    """A component's value, whether it came back as a value or as an update."""
    return out.get("value") if isinstance(out, dict) and "__type__" in out else out


def table(out: Any) -> list[list[Any]]:
    return rows(value(out))


@pytest.fixture(scope="module")
def errors_run(web: WebPanel, tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = tmp_path_factory.mktemp("web-errors")
    return finetuned_run(tmp, web.services.workspace.root / "runs", name="web-errors").name


def test_shows_the_matrix_the_table_and_the_errors(web: WebPanel, errors_run: str) -> None:
    expected = load_analysis(web.services.runs, errors_run)
    out = web.client.predict(errors_run, None, "any", "any", api_name="/try_errors")
    assert out[STATUS] == expected.describe()
    assert value(out[SPLIT]) == "test"
    cells = {(r["true"], r["predicted"]): r for r in plot_spec(out[MATRIX])["data"]["values"]}
    for i, t in enumerate(expected.labels):
        for j, p in enumerate(expected.labels):
            assert cells[(t, p)]["count"] == expected.matrix[i][j]
            assert cells[(t, p)]["share"] == pytest.approx(expected.shares[i][j], abs=1e-4)
    classes = table(out[CLASSES])
    assert [r[0] for r in classes] == expected.labels
    assert [r[4] for r in classes] == [c.support for c in expected.per_class]
    assert [r[2] for r in classes] == [round(c.recall, 4) for c in expected.per_class]
    errors = table(out[ERRORS])
    assert len(errors) == expected.total_errors > 0
    assert [r[3] for r in errors] == sorted((r[3] for r in errors), reverse=True)
    # Filtered by true and predicted label: the matrix cell's count of rows.
    t, p = errors[0][1], errors[0][2]
    out = web.client.predict(errors_run, "validation", t, p, api_name="/try_errors")
    validation = load_analysis(web.services.runs, errors_run, "validation")
    i, j = validation.labels.index(t), validation.labels.index(p)
    filtered = table(out[ERRORS])
    assert len(filtered) == validation.matrix[i][j]
    assert {(r[1], r[2]) for r in filtered} <= {(t, p)}
    assert value(out[SPLIT]) == "validation" and value(out[TRUE]) == t and value(out[PRED]) == p


def test_an_older_run_offers_compute(web: WebPanel, errors_run: str) -> None:
    runs = web.services.workspace.root / "runs"
    older_copy(runs / errors_run, "web-older")
    try:
        out = web.client.predict("web-older", None, "any", "any", api_name="/try_errors")
        assert "has no error analysis" in refusal(out)
        assert "Compute" in refusal(out)
        out = web.client.predict("web-older", api_name="/try_errors_compute")
        assert value(out[SPLIT]) == "test" and "misclassified" in out[STATUS]
        assert len(table(out[ERRORS])) == load_analysis(web.services.runs, errors_run).total_errors
    finally:
        shutil.rmtree(runs / "web-older")


def test_refusals_in_words(web: WebPanel, errors_run: str, tmp_path: Path) -> None:
    out = web.client.predict(None, None, "any", "any", api_name="/try_errors")
    assert "pick a run" in refusal(out)
    pre = web.services.workspace.root / "runs" / "web-pre"
    pre.mkdir()
    (pre / "config.toml").write_text("[model]\n")
    try:
        out = web.client.predict("web-pre", None, "any", "any", api_name="/try_errors")
        assert "pre-training run" in refusal(out)
    finally:
        shutil.rmtree(pre)
