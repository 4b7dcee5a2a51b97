"""The Train and Try tabs driven through their API with gradio_client, on tiny real runs:
a pre-training run polled to its end, a run paused, resumed and stopped (checkpoint written),
a second start refused while one trains, a page reload re-attaching, fine-tuning started from
the tab, then classify and fill-mask on those runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gradio_client import Client
from kit.services import write_corpus, write_labelled
from kit.web import points as plot_points
from kit.web import refusal
from kit.web_train import dropdown_value, poll_until, running_app, timer_stopped, tiny_overrides

from workbench.services import Services


class Panel:
    def __init__(self, services: Services, url: str, tmp: Path) -> None:
        self.services, self.url, self.tmp = services, url, tmp
        self.client = Client(url, verbose=False)
        self.corpus = write_corpus(tmp / "corpus.txt")
        self.cache = tmp / "cache"

    def start(self, overrides: str, kind: str = "pre-training", preset: str = "quickstart") -> str:
        out = self.client.predict(preset, kind, "", overrides, api_name="/train_start")
        assert not out[-1], out[-1]  # the note under the buttons: empty when it started
        return str(dropdown_value(out[0]))

    def refused(
        self, overrides: str, kind: str = "pre-training", preset: str = "quickstart"
    ) -> str:
        """Why a start was refused: the note under the buttons (the last output)."""
        out = self.client.predict(preset, kind, "", overrides, api_name="/train_start")
        return refusal(out, at=-1)


@pytest.fixture(scope="module")
def panel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Panel]:
    tmp = tmp_path_factory.mktemp("web-train")
    services = Services(tmp / "ws")
    with running_app(services) as url:
        yield Panel(services, url, tmp)


@pytest.fixture(scope="module")
def pretrained(panel: Panel) -> tuple[str, tuple[Any, ...], tuple[Any, ...]]:
    """A tiny pre-training run started from the tab and polled until the timer stopped:
    (manager run id, last poll outputs, a full redraw after the end)."""
    run_id = panel.start(tiny_overrides(panel.corpus, panel.cache, max_steps=12))
    last = poll_until(panel.client, run_id, timer_stopped)
    redraw = tuple(panel.client.predict(run_id, api_name="/train_attach"))
    return run_id, last, redraw


def points(plot: dict[str, Any], series: str) -> list[tuple[int, float]]:
    return [(p["step"], p["value"]) for p in plot_points(plot) if p["series"] == series]


def test_a_run_is_followed_to_its_end(panel: Panel, pretrained: tuple[str, tuple, tuple]) -> None:
    run_id, last, redraw = pretrained
    _, loss_plot, metric_plot, status, log, timer = redraw
    name = panel.services.manager.status(run_id).run_name  # the run's folder: its identity
    assert name.startswith("quickstart-") and dropdown_value(redraw[0]) == run_id
    assert status.startswith(f"{name}: finished") and "step 12/12" in status
    # What the run achieved, once it ended: the best of its chosen metric and when.
    assert "\nresults: best validation/loss " in status and status.endswith(" at step 12")
    assert status == last[3]  # the poll that stopped the timer showed the end already
    train = points(loss_plot, "train/loss")
    assert [s for s, _ in train] == list(range(1, 13))  # log_every=1: one point per step
    assert all(v > 0 for _, v in train)
    assert [s for s, _ in points(loss_plot, "validation/loss")] == [4, 8, 12]  # eval_every=4
    assert [s for s, _ in points(metric_plot, "validation/mlm_accuracy")] == [4, 8, 12]
    assert all(0 <= p["value"] <= 1 for p in plot_points(metric_plot))
    # Preparation (tokenizer, shards) and the notable events are in the log, in order.
    lines = log.splitlines()
    kinds = ["tokenizer", "data shards", "started at step 0 of 12", "finished at step 12"]
    found = [next(i for i, line in enumerate(lines) if k in line) for k in kinds]
    assert found == sorted(found)
    assert timer == {"active": False, "__type__": "update"} or timer.get("active") is False


def test_pause_resume_stop_and_busy_and_reattach(
    panel: Panel, pretrained: tuple[str, tuple, tuple]
) -> None:
    run_id = panel.start(tiny_overrides(panel.corpus, panel.cache, max_steps=5000))

    def at_step(n: int) -> Any:
        return lambda out: (
            ": running" in out[3] and int(out[3].split("step ")[1].split("/")[0]) >= n
        )

    poll_until(panel.client, run_id, at_step(2))
    # One training per device: the second start names the active run.
    name = panel.services.manager.status(run_id).run_name  # the run's folder
    busy = panel.refused(tiny_overrides(panel.corpus, panel.cache))
    assert f"busy with {name}" in busy
    assert "max_per_device" not in busy and "--" not in busy  # the panel's words
    # A page reload (a new browser session) re-attaches to the active run.
    fresh = Client(panel.url, verbose=False)
    reattached = fresh.predict(api_name="/train_reattach")
    assert dropdown_value(reattached[1]) == run_id and reattached[-1]["active"] is True

    panel.client.predict(run_id, api_name="/train_pause")
    paused = poll_until(panel.client, run_id, lambda out: ": paused" in out[3])
    step = int(paused[3].split("step ")[1].split("/")[0])
    panel.client.predict(run_id, api_name="/train_resume")
    poll_until(panel.client, run_id, at_step(step + 1))

    panel.client.predict(run_id, api_name="/train_stop")
    end = poll_until(panel.client, run_id, timer_stopped)
    status, log = end[3], end[4]
    run_dir = panel.services.manager.status(run_id).run_dir
    head = status.splitlines()[0]
    assert head.startswith(f"{run_dir.name}: stopped") and "checkpoint step-" in head
    assert "results: best validation/loss" in status  # what the run achieved, once it ended
    assert "paused at step" in log and "resumed at step" in log and "stopped at step" in log
    checkpoint = head.split("checkpoint ")[1]
    assert run_dir is not None and (run_dir / "checkpoints" / checkpoint).is_dir()
    # Controls on an ended run say so.
    ended = panel.client.predict(run_id, api_name="/train_pause")
    assert "already ended" in refusal(ended, at=1)


def test_bad_starts_are_refused_with_the_reason(panel: Panel) -> None:
    assert re.search(
        "line 2 .* not key=value", panel.refused("pretrain.max_steps=3\nmax_steps 3\n")
    )
    assert "no preset '../../etc/passwd'" in panel.refused("", preset="../../etc/passwd")
    assert "no [finetune] and [classification]" in panel.refused("", kind="fine-tuning")
    unknown = panel.client.predict("pretrain-99", api_name="/train_stop")
    assert "no run 'pretrain-99'" in refusal(unknown, at=1)
    # An unknown key in Overrides is named in the panel's words, not as a CLI flag.
    typo = panel.refused("pretrain.max_stepz=3")
    assert "line 1 (pretrain.max_stepz=3): unknown key 'pretrain.max_stepz'" in typo
    assert "did you mean 'pretrain.max_steps'" in typo and "--set" not in typo


def test_start_names_every_bad_override_line(panel: Panel) -> None:
    """Start checks the Overrides box line by line (services/overrides.py, the TUI start
    dialog's check) and says every bad line at once: its number, text, key and why."""
    before = len(panel.services.manager.runs())
    text = "\n".join(
        [
            "# a comment line counts",
            "pretrain.max_stepz=3",
            "pretrain.max_steps=400",  # a good line: not named
            "max_steps 3",
            "",
            "model.num_layers=abc",
            "pretrain.lr=-1",
        ]
    )
    said = panel.refused(text)
    assert said.startswith("**⚠ could not start pre-training with quickstart, fix the Overrides")
    lines = said.removeprefix("**⚠ ").removesuffix("**").split("  \n")
    assert len(lines) == 5, lines  # the heading, then one line per bad override, in order
    assert lines[1] == (
        "line 2 (pretrain.max_stepz=3): unknown key 'pretrain.max_stepz' "
        "(did you mean 'pretrain.max_steps'?)"
    )
    assert lines[2].startswith("line 4 (max_steps 3): not key=value")
    assert lines[3].startswith("line 6 (model.num_layers=abc): model.num_layers = 'abc'")
    assert "valid integer" in lines[3] and "allowed: >= 1" in lines[3]
    assert lines[4].startswith("line 7 (pretrain.lr=-1): pretrain.lr = -1")
    assert "greater than 0" in lines[4]
    assert "line 3" not in said and "--set" not in said and "Error" not in said
    assert len(panel.services.manager.runs()) == before  # nothing started


@pytest.fixture(scope="module")
def finetuned(panel: Panel, pretrained: tuple[str, tuple, tuple]) -> str:
    """A classifier fine-tuned from the tab (kind fine-tuning) on the pre-training run."""
    pre_dir = panel.services.manager.status(pretrained[0]).run_dir
    task = write_labelled(panel.tmp / "task.csv")
    overrides = "\n".join(
        [
            f"finetune.init={pre_dir}",
            "finetune.epochs=2",
            "finetune.device=cpu",
            "finetune.precision=fp32",
            f"classification.train={task}",
            "classification.max_seq_len=32",
            "classification.batch_size=16",
            "tracking.tensorboard=false",
        ]
    )
    run_id = panel.start(overrides, kind="fine-tuning", preset="classify-quickstart")
    end = poll_until(panel.client, run_id, timer_stopped)
    run_dir = panel.services.manager.status(run_id).run_dir
    assert run_dir is not None and end[3].startswith(f"{run_dir.name}: finished"), end[3]
    # The results: the metric the preset chose (macro_f1), and the test split's scores.
    assert "results: best validation/macro_f1 " in end[3] and " · test accuracy " in end[3]
    assert "loaded" in end[4]  # the workflow's message on how the model was initialised
    assert run_dir is not None
    return run_dir.name


def test_try_lists_runs_by_kind(
    panel: Panel, pretrained: tuple[str, tuple, tuple], finetuned: str
) -> None:
    pre_dir = panel.services.manager.status(pretrained[0]).run_dir
    ft_choices, pre_choices = panel.client.predict(api_name="/try_runs")
    assert [value for _, value in ft_choices["choices"]] == [finetuned]
    assert pre_dir is not None and pre_dir.name in [value for _, value in pre_choices["choices"]]


def test_classify_shows_probabilities_and_tokens(panel: Panel, finetuned: str) -> None:
    text = "the dog was very happy"
    status, label, tokens = panel.client.predict(finetuned, text, "", api_name="/try_classify")
    assert status == ""
    confidences = {c["label"]: c["confidence"] for c in label["confidences"]}
    assert sorted(confidences) == ["animals", "food"]
    assert sum(confidences.values()) == pytest.approx(1.0, abs=1e-5)
    assert label["label"] == max(confidences, key=confidences.__getitem__)
    expected = panel.services.runs.classify(finetuned, text)
    assert label["label"] == expected.label
    chips = [(c["token"], c["class_or_confidence"]) for c in tokens]
    assert chips[0] == ("[CLS]", "special") and chips[-1] == ("[SEP]", "special")
    assert "".join(t.removeprefix("##") for t, _ in chips[1:-1]) == text.replace(" ", "")
    outside = panel.client.predict("../outside", text, "", api_name="/try_classify")
    assert "cannot classify" in refusal(outside)


def test_fill_mask_shows_top_predictions_per_mask(
    panel: Panel, pretrained: tuple[str, tuple, tuple]
) -> None:
    run_dir = panel.services.manager.status(pretrained[0]).run_dir
    assert run_dir is not None
    run = run_dir.name
    _, textbox = panel.client.predict(run, api_name="/try_mask_token")
    mask = panel.services.runs.mask_token(run)
    assert mask in textbox["label"]
    text = f"the cat {mask} a red ball {mask}"
    _, filled, table, first, second, third, fourth = panel.client.predict(
        run, text, 3, api_name="/try_fill_mask"
    )
    expected = panel.services.runs.fill_mask(run, text, top_k=3)
    rows = [tuple(row) for row in table["data"]]
    assert [(m, r) for m, r, _, _ in rows] == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]
    for number, m in enumerate(expected.masks, 1):
        got = [(t, p) for n, _, t, p in rows if n == number]
        assert [t for t, _ in got] == [t for t, _ in m.candidates]
        assert [p for _, p in got] == pytest.approx([p for _, p in m.candidates], abs=5e-5)
    for widget, m in ((first, expected.masks[0]), (second, expected.masks[1])):
        assert widget["visible"] is True
        assert widget["value"]["label"] == m.candidates[0][0]
    assert third["visible"] is False and fourth["visible"] is False
    chips = [(c["token"], c["class_or_confidence"]) for c in filled]
    guesses = [i for i, (_, kind) in enumerate(chips) if kind == "guess"]
    assert guesses == [m.position for m in expected.masks]  # each mask, in its place
    assert [chips[i][0] for i in guesses] == [m.candidates[0][0] for m in expected.masks]
    nothing = panel.client.predict(run, "no hidden word here", 3, api_name="/try_fill_mask")
    assert "no " + mask in refusal(nothing)


def test_look_inside_attention_and_neighbours(
    panel: Panel, pretrained: tuple[str, tuple, tuple], finetuned: str
) -> None:
    """Journey 7 (docs/journeys.md), the web steps. Try's "Look inside": the heatmap's cells
    are the run's attention probabilities for the
    chosen layer and head; the neighbours table is the service's answer."""
    from workbench.services import insight

    pre_dir = panel.services.manager.status(pretrained[0]).run_dir
    assert pre_dir is not None
    for run in (pre_dir.name, finetuned):
        status, plot, chips, layer, head, source = panel.client.predict(
            run, "the cat sees a red ball", "1", "head 1", None, api_name="/try_attention"
        )
        seen = insight.attention(panel.services.runs, run, "the cat sees a red ball")
        assert status.startswith(f"{len(seen.tokens)} tokens; layer 1/")
        cells = {(c["query"], c["key"]): c["weight"] for c in plot_points(plot)}
        names = [f"{i}:{t}" for i, t in enumerate(seen.tokens)]
        for q, query in enumerate(names):
            for k, key in enumerate(names):
                expected = float(seen.probabilities[0, 0, q, k])
                assert abs(cells[(query, key)] - expected) < 1e-3
        assert source["value"] == names[0] and len(chips) == len(seen.tokens)
        near_status, table = panel.client.predict(run, "cat", 5, False, api_name="/try_neighbours")
        expected_near = insight.neighbours(panel.services.runs, run, "cat", k=5)
        assert [row[0] for row in table["data"]] == [n.token for n in expected_near]
        assert "input embeddings" in near_status
    refused = refusal(panel.client.predict("", "cat", 5, False, api_name="/try_neighbours"))
    assert "pick a run" in refused
