"""Organising runs through the service, on real run folders written by the tracker: notes and
tags, start time and duration, the search filter, rename (and what names a run), trash and
restore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kit.fixed_runs import write_run

from workbench.services import Services, WorkspaceError
from workbench.services.run_meta import matches


@pytest.fixture
def ws(tmp_path: Path) -> tuple[Services, str, str]:
    services = Services(tmp_path / "ws")
    a = write_run(services.workspace.root, "alpha", 5, 1e-3)
    b = write_run(services.workspace.root, "beta", 6, 3e-3)
    return services, a.name, b.name


def test_tags_and_notes_are_stored_in_the_run_folder(ws: tuple[Services, str, str]) -> None:
    services, a, _ = ws
    meta = services.runs.set_meta(a, "baseline, lr-sweep  Baseline", "épreuve 1 — ✓ good\n")
    assert meta.tags == ("baseline", "lr-sweep")  # split, duplicates (any case) dropped
    stored = json.loads((services.runs.path(a) / "meta.json").read_text(encoding="utf-8"))
    assert stored == {"tags": ["baseline", "lr-sweep"], "notes": "épreuve 1 — ✓ good\n"}
    info = services.runs.info(a)
    assert info.tags == ("baseline", "lr-sweep") and info.notes.startswith("épreuve")
    services.runs.set_meta(a, [], "")
    assert services.runs.info(a).tags == ()


@pytest.mark.parametrize(
    ("tags", "words"),
    [
        ("a/b", "may hold only letters"),
        ("x" * 40, "at most 32"),
        (" ".join(f"t{i}" for i in range(25)), "at most 20"),
        ("../../etc", "may hold only letters"),
    ],
)
def test_bad_tags_are_refused_with_the_reason(
    ws: tuple[Services, str, str], tags: str, words: str
) -> None:
    services, a, _ = ws
    with pytest.raises(WorkspaceError, match=words):
        services.runs.set_meta(a, tags, "")
    assert not (services.runs.path(a) / "meta.json").exists()


def test_notes_are_bounded(ws: tuple[Services, str, str]) -> None:
    services, a, _ = ws
    with pytest.raises(WorkspaceError, match="keep them under 4000"):
        services.runs.set_meta(a, "", "x" * 4001)


def test_a_damaged_meta_file_reads_as_none(ws: tuple[Services, str, str]) -> None:
    services, a, _ = ws
    (services.runs.path(a) / "meta.json").write_text("{not json", encoding="utf-8")
    assert services.runs.info(a).tags == () and services.runs.info(a).notes == ""


def test_start_time_and_duration_come_from_the_records(ws: tuple[Services, str, str]) -> None:
    services, a, _ = ws
    info = services.runs.info(a)
    # fixed_runs: started at 01:00 on the 5th, 40 steps a second apart, finished 5 s later.
    assert info.started == pytest.approx(1767574800.0)
    assert info.duration_s == pytest.approx(45.0)


def test_a_live_runs_duration_is_the_time_so_far(tmp_path: Path) -> None:
    from bert_engine.heartbeat import Heartbeat

    services = Services(tmp_path / "ws")
    run = write_run(services.workspace.root, "live", 5, 1e-3)
    with Heartbeat(run):
        info = services.runs.info(run.name)
        assert info.live
        assert info.duration_s is not None and info.duration_s > 3600 * 24  # since Jan 2026


def test_filter_matches_every_word_and_the_prefixed_forms(ws: tuple[Services, str, str]) -> None:
    services, a, b = ws
    services.runs.set_meta(a, "baseline", "the first try")
    services.runs.set_meta(b, "sweep", "lr 3e-3")
    runs = services.runs.list()

    def ids(query: str) -> list[str]:
        return [r.run_id for r in services.runs.filter(runs, query)]

    assert ids("") == [b, a]
    assert ids("ALPHA") == [a]
    assert ids("finished pretrain") == [b, a]
    assert ids("first beta") == []  # every word must match
    assert ids("tag:sweep") == [b]
    assert ids("tag:swe") == [b]  # a tag prefix, like status: and kind:
    assert ids("tag:sweepx") == []
    assert ids("status:fin tag:baseline") == [a]
    assert ids("status:running") == []
    assert ids("3e-3") == [b]
    assert not matches(runs[0], "kind:finetune")


def test_rename_moves_the_folder_and_refuses_clashes_and_bad_names(
    ws: tuple[Services, str, str],
) -> None:
    services, a, b = ws
    result = services.runs.rename(a, "my-baseline")
    assert result.path == services.workspace.runs_dir / "my-baseline"
    assert not (services.workspace.runs_dir / a).exists()
    info = services.runs.info("my-baseline")
    assert info.run_id == "my-baseline" and info.status == "finished" and info.step == 40
    summary = json.loads((result.path / "summary.json").read_text(encoding="utf-8"))
    assert summary["run_id"] == "my-baseline"
    # Listed by start time, not by the (now missing) timestamp in the name.
    assert [r.run_id for r in services.runs.list()] == [b, "my-baseline"]
    with pytest.raises(WorkspaceError, match="already exists"):
        services.runs.rename("my-baseline", b)
    for bad, words in [
        ("../../etc", "'..'"),
        ("/tmp/x", "absolute"),
        ("a b", "contains ' '"),
        ("", "empty"),
        ("x" * 200, "at most"),
    ]:
        with pytest.raises(WorkspaceError, match=words):
            services.runs.rename("my-baseline", bad)
    with pytest.raises(WorkspaceError, match="contains '..'"):
        services.runs.rename("../runs/" + b, "x")


def test_rename_points_other_runs_at_the_new_folder(ws: tuple[Services, str, str]) -> None:
    from bert_engine.tracking import read_config, write_config

    services, a, b = ws
    old = services.runs.path(a)
    tuned = services.runs.path(b)  # stands in for a fine-tune started from `a`
    write_config(tuned, {"finetune": {"init": str(old)}})
    (tuned / "init.json").write_text(
        json.dumps({"source": f"run:{old}/checkpoints/step-40", "init_run": a}), encoding="utf-8"
    )
    preset = services.workspace.area("presets") / "from-alpha.toml"
    preset.write_text(f'[finetune]\ninit = "runs/{a}"\n', encoding="utf-8")
    result = services.runs.rename(a, "renamed")
    assert result.updated == [b] and result.presets == ["from-alpha"]
    assert read_config(tuned)["finetune"]["init"] == str(result.path)
    init = json.loads((tuned / "init.json").read_text(encoding="utf-8"))
    assert init == {"source": f"run:{result.path}/checkpoints/step-40", "init_run": "renamed"}
    assert preset.read_text(encoding="utf-8") == f'[finetune]\ninit = "runs/{a}"\n'


def test_a_live_run_is_neither_renamed_nor_trashed(ws: tuple[Services, str, str]) -> None:
    from bert_engine.heartbeat import Heartbeat

    services, a, _ = ws
    with Heartbeat(services.runs.path(a)):
        with pytest.raises(WorkspaceError, match="stop it .* before you rename it"):
            services.runs.rename(a, "other")
        with pytest.raises(WorkspaceError, match="before you move to the trash"):
            services.runs.trash(a)
    assert (services.workspace.runs_dir / a).is_dir()


def test_trash_and_restore(ws: tuple[Services, str, str]) -> None:
    services, a, b = ws
    where = services.runs.trash(a)
    assert where == services.workspace.root / "trash" / a and (where / "summary.json").is_file()
    assert [r.run_id for r in services.runs.list()] == [b]
    assert services.runs.trashed() == [a]
    # A second run of the same name in the trash gets a suffix; nothing is overwritten.
    write_run(services.workspace.root, "alpha", 5, 1e-3)
    second = services.runs.trash(a)
    assert second.name == f"{a}-2" and where.is_dir()
    assert services.runs.restore(a) == services.workspace.runs_dir / a
    assert {r.run_id for r in services.runs.list()} == {a, b}
    services.runs.trash(a)
    write_run(services.workspace.root, "alpha", 5, 1e-3)  # a new run of that name
    with pytest.raises(WorkspaceError, match="exists already; rename it first"):
        services.runs.restore(a)
    with pytest.raises(WorkspaceError, match="no run 'nothing' in the trash"):
        services.runs.restore("nothing")
    with pytest.raises(WorkspaceError, match="'..'"):
        services.runs.restore("../runs")
    with pytest.raises(WorkspaceError, match="contains '..'"):
        services.runs.trash("../../etc")
