"""The error-analysis service over a real tiny fine-tuned run in a workspace: what both UIs
show (matrix, shares, per-class table, filtered errors), and the clear refusals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from kit.errors import finetuned_run, older_copy

from bert_engine.training.finetune.analysis import errors_file, read_rows
from workbench.services import Services, WorkspaceError
from workbench.services.analysis import (
    ANY,
    AnalysisError,
    NoAnalysisError,
    class_table,
    compute_analysis,
    error_table,
    load_analysis,
)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Services, str]:
    tmp = tmp_path_factory.mktemp("analysis")
    services = Services(tmp / "ws")
    run = finetuned_run(tmp, services.workspace.root / "runs")
    return services, run.name


def test_loads_the_test_split_first_with_every_error(ws: tuple[Services, str]) -> None:
    services, run = ws
    a = load_analysis(services.runs, run)
    assert a.split == "test" and a.splits == ["test", "validation"]
    assert a.labels == ["food", "sport", "tech"]
    assert sum(map(sum, a.matrix)) == a.examples
    assert a.total_errors == a.examples - sum(a.matrix[i][i] for i in range(3)) > 0
    assert len(a.errors) == a.total_errors and a.true == a.predicted == ANY
    # Shares are of the true label's row: each row sums to 1.
    for row in a.shares:
        assert sum(row) == pytest.approx(1.0)
    assert [r[0] for r in class_table(a)] == a.labels
    assert [r[4] for r in class_table(a)] == [sum(row) for row in a.matrix]
    table = error_table(a)
    assert [r[3] for r in table] == sorted((r[3] for r in table), reverse=True)
    assert "misclassified" in a.describe()


def test_filters_by_true_and_predicted_label(ws: tuple[Services, str]) -> None:
    services, run = ws
    everything = load_analysis(services.runs, run, "validation")
    for true in everything.labels:
        for predicted in everything.labels:
            a = load_analysis(services.runs, run, "validation", true=true, predicted=predicted)
            expected = [e for e in everything.errors if (e.true, e.predicted) == (true, predicted)]
            assert a.errors == expected
            # A cell off the diagonal counts exactly the errors it filters to.
            if true != predicted:
                i, j = a.labels.index(true), a.labels.index(predicted)
                assert len(a.errors) == a.matrix[i][j]
    only_true = load_analysis(services.runs, run, "validation", true="sport")
    assert {e.true for e in only_true.errors} <= {"sport"}
    assert len(only_true.errors) == sum(n for j, n in enumerate(only_true.matrix[1]) if j != 1)
    assert "shown (true sport, predicted any)" in only_true.describe()


def test_clear_errors(ws: tuple[Services, str], tmp_path: Path) -> None:
    services, run = ws
    with pytest.raises(AnalysisError, match="no label 'sports'.*food, sport, tech"):
        load_analysis(services.runs, run, true="sports")
    with pytest.raises(AnalysisError, match="has no analysis of 'train'; it has test, validation"):
        load_analysis(services.runs, run, "train")
    with pytest.raises(WorkspaceError, match="contains '..'"):
        load_analysis(services.runs, "../x")
    # A pre-training run (a config, no labels.json).
    pre = services.workspace.root / "runs" / "pre"
    pre.mkdir()
    (pre / "config.toml").write_text("[model]\n")
    with pytest.raises(AnalysisError, match="pre-training run: error analysis is for fine-tuned"):
        load_analysis(services.runs, "pre")
    shutil.rmtree(pre)


def test_an_older_run_offers_to_compute_it(ws: tuple[Services, str]) -> None:
    services, run = ws
    old = older_copy(services.workspace.root / "runs" / run, "older")
    with pytest.raises(NoAnalysisError, match="bertbench evaluate .*older --split test"):
        load_analysis(services.runs, "older")
    a = compute_analysis(services.runs, "older", "test")
    assert a.matrix == load_analysis(services.runs, run).matrix  # same model, same split
    assert len(read_rows(old / errors_file("test"))) == a.total_errors
    assert load_analysis(services.runs, "older").splits == ["test"]
    with pytest.raises(AnalysisError, match="split must be one of validation, test"):
        compute_analysis(services.runs, "older", "train")
    shutil.rmtree(old)
