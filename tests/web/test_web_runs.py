"""The Runs tab through its API, on tiny real runs: list, curves, compare (overlaid curves,
config diff), export as a zip, TensorBoard command, continue a stopped run."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest
from kit.services import wait_until
from kit.web import RUN_LIMIT, WebPanel, points, refusal, rows

from workbench.services.runs import has_checkpoint


def same_curve(drawn: list[tuple[int, float]], steps: list[int], values: list[float]) -> bool:
    """The plotted points are the curve's (the plot's JSON rounds values to 10 digits)."""
    return [s for s, _ in drawn] == steps and [v for _, v in drawn] == pytest.approx(values)


def test_list_shows_finished_runs(web: WebPanel, finished_runs: list[str]) -> None:
    table = rows(web.client.predict(api_name="/runs_list")[0])
    by_id = {r[0]: r for r in table}
    for run in finished_runs:
        info = next(i for i in web.services.runs.list() if i.run_id == run)
        assert by_id[run][1:4] == ["pretrain", "finished", f"{info.step}/{info.total_steps}"]
        metric, value = by_id[run][6].split()  # after started, duration
        assert metric == "loss"
        assert float(value) == pytest.approx(info.best["validation/loss"], rel=1e-3)


def test_the_list_redraws_by_itself_when_a_run_appears(
    web: WebPanel, finished_runs: list[str]
) -> None:
    table = web.client.predict(api_name="/runs_watch")[0]  # the Runs tab's timer
    assert {r[0] for r in rows(table)} >= set(finished_runs)
    seen = web.services.watcher.version
    # A run written by another process (here: by hand, as the CLI would) shows up.
    other = web.services.workspace.runs_dir / "elsewhere-20260101T000000Z"
    other.mkdir()
    (other / "summary.json").write_text('{"status": "finished", "step": 3}')
    try:
        table = web.client.predict(api_name="/runs_watch")[0]
        assert web.services.watcher.version > seen
        assert other.name in [r[0] for r in rows(table)]
    finally:
        shutil.rmtree(other)


def test_curves_of_one_run(web: WebPanel, finished_runs: list[str]) -> None:
    status, plot = web.client.predict(finished_runs[0], api_name="/runs_curves")
    assert status == ""
    steps, losses = web.services.runs.curves(finished_runs[0])["train/loss"]
    drawn = [(p["step"], p["value"]) for p in points(plot) if p["series"] == "train/loss"]
    assert same_curve(drawn, steps, losses)


def test_compare_overlays_curves_and_diffs_configs(web: WebPanel, finished_runs: list[str]) -> None:
    _, plot, metric, diff, values = web.client.predict(
        finished_runs, "validation/loss", api_name="/runs_compare"
    )
    comparison = web.services.runs.compare(finished_runs)
    by_run: dict[str, list[tuple[int, float]]] = {}
    for point in points(plot):
        by_run.setdefault(point["series"], []).append((point["step"], point["value"]))
    assert set(by_run) == set(finished_runs)  # one colour per run
    for run in finished_runs:
        steps, losses = comparison.curves["validation/loss"][run]
        assert same_curve(by_run[run], steps, losses)
    diff_rows = {r[0]: r[1:] for r in rows(diff)}
    assert diff_rows["pretrain.lr"] == ["0.001", "0.003"]
    assert diff["headers"] == ["setting", *finished_runs]
    assert "validation/loss" in [r[0] for r in rows(values)]
    # A metric the runs lack falls back to one they share.
    _, plot, metric, *_ = web.client.predict(finished_runs, "no/such", api_name="/runs_compare")
    # (an update of the metric chooser: the metrics both runs have, losses first)
    assert metric["value"] == "train/loss"
    assert "validation/loss" in [c[0] for c in metric["choices"]]


def test_compare_needs_two_distinct_runs(web: WebPanel, finished_runs: list[str]) -> None:
    refused = web.client.predict(finished_runs[:1], "train/loss", api_name="/runs_compare")
    assert "at least two" in refusal(refused)
    pair = [finished_runs[0], "../.."]
    assert "contains '..'" in refusal(
        web.client.predict(pair, "train/loss", api_name="/runs_compare")
    )


def test_export_downloads_a_zip_of_the_hf_folder(web: WebPanel, finished_runs: list[str]) -> None:
    downloaded, message = web.client.predict(
        finished_runs[0], "tiny-export", False, api_name="/runs_export"
    )
    assert "exports/tiny-export/" in message
    exports = web.services.workspace.root / "exports"
    with zipfile.ZipFile(downloaded) as archive:
        names = set(archive.namelist())
    on_disk = {
        str(Path("tiny-export") / p.relative_to(exports / "tiny-export"))
        for p in (exports / "tiny-export").rglob("*")
        if p.is_file()
    }
    assert names == on_disk
    assert {"tiny-export/config.json", "tiny-export/model.safetensors"} <= names
    again = web.client.predict(finished_runs[0], "tiny-export", False, api_name="/runs_export")
    assert "already exists" in refusal(again, at=1)
    outside = web.client.predict(finished_runs[0], "../out", False, api_name="/runs_export")
    assert "contains '..'" in refusal(outside, at=1)


def test_tensorboard_command(web: WebPanel, finished_runs: list[str]) -> None:
    _, command = web.client.predict(finished_runs[0], api_name="/runs_tensorboard")
    assert command == web.services.runs.tensorboard_command(finished_runs[0])


def test_continue_a_stopped_run_when_the_device_is_free(web: WebPanel) -> None:
    manager = web.services.manager
    run = manager.start_pretraining(
        "tiny", ["pretrain.max_steps=12", "pretrain.checkpoint_every=2"], name="tiny-stopped"
    )
    wait_until(lambda: manager.status(run).step >= 3 or not manager.status(run).active)
    stopped = manager.stop(run, wait=True, timeout=RUN_LIMIT)
    assert stopped.status == "stopped" and stopped.run_dir is not None
    run_id = stopped.run_dir.name

    # One training per device: while another run holds the CPU, continuing is refused.
    other = manager.start_pretraining("tiny", ["pretrain.max_steps=1000"], name="tiny-busy")
    try:
        busy = manager.status(other).run_name  # runs are named by their folder
        refused = refusal(web.client.predict(run_id, api_name="/runs_continue"))
        assert f"device cpu is busy with {busy}" in refused
        # In the panel's words: no keyword arguments or command-line flags.
        assert "max_per_device" not in refused and "--" not in refused
    finally:
        manager.stop(other, wait=True, timeout=RUN_LIMIT)

    # (The page's switch to the Train tab is a layout update, not sent to API callers.)
    message, table, _, _, train_run = web.client.predict(run_id, api_name="/runs_continue")
    assert message == f"Continuing `{run_id}` from its latest checkpoint: the Train tab follows it."
    assert run_id in [r[0] for r in rows(table)]
    # The Train tab's Run list is on the continued run (the manager's id).
    continued = [r for r in manager.runs() if r.run_dir == stopped.run_dir and r.run_id != run]
    assert [train_run["value"]] == [r.run_id for r in continued]
    final = manager.wait(run_id, RUN_LIMIT)  # the manager also takes the folder name
    assert final.status == "finished", final.error
    assert final.run_dir == stopped.run_dir and final.step == 12


def test_try_does_not_preselect_a_run_without_a_checkpoint(
    web: WebPanel, finished_runs: list[str]
) -> None:
    """A run that has not saved a checkpoint yet (here: one another process just started) is
    listed in Try but not chosen: choosing it on every page load showed a false error."""
    fresh = web.services.workspace.runs_dir / "fresh-20991231T000000Z"
    fresh.mkdir()
    (fresh / "config.toml").write_text('name = "fresh"\n', encoding="utf-8")
    (fresh / "summary.json").write_text('{"status": "running", "step": 1}', encoding="utf-8")
    try:
        _, pre = web.client.predict(api_name="/try_runs_on_load")
        listed = [value for _, value in pre["choices"]]
        assert listed[0] == fresh.name  # the newest run, listed first
        # Chosen: the newest that can answer (one of the tiny runs, finished or stopped).
        chosen = pre["value"]
        assert chosen in listed[1:] and has_checkpoint(fresh.parent / chosen)
    finally:
        shutil.rmtree(fresh)
