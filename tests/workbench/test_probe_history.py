"""The probe history service both UIs read (#16.1), on a real tiny pre-training run."""

from kit.pretrain import write_preset

from bert_engine.presets import load_preset
from bert_engine.training.pretrain import run_pretraining
from workbench.cli import main
from workbench.services.probes import (
    ProbeHistory,
    fit_sentence,
    format_probability,
    format_top,
    probe_history,
    probe_steps,
    probe_table,
)


def test_history_steps_and_stepping_back(tmp_path):
    run = run_pretraining(load_preset(write_preset(tmp_path, steps=6, eval_every=2))).run_dir
    events = probe_history(run)
    assert probe_steps(events) == [2, 4, 6]
    last, back = probe_table(events), probe_table(events, step=3)
    assert last is not None and back is not None
    assert (last.step, back.step) == (6, 2)
    assert [r[0] for r in last.rows] == [r[0] for r in back.rows]
    sentence, answer, rank, top = back.rows[0]
    assert "[MASK]" in sentence and answer and int(rank) >= 1 and top.count(" · ") == 4
    assert (back.index, back.count, last.index) == (0, 3, 2)
    assert back.label() == "step 2 (1/3)" and last.label() == "step 6 (3/3, latest)"
    assert probe_table([]) is None

    # The history both UIs step through: replays replace, stepping clamps, the newest follows.
    history = ProbeHistory()
    for event in [*events, events[1]]:  # a replayed evaluation replaces its step's
        assert history.add(event)
    assert history.steps == [2, 4, 6] and history.index is None
    history.move(-1)
    table = history.table()
    assert table is not None and (table.step, history.index) == (4, 1)
    history.move(-5)
    assert history.position == 0 and history.table().step == 2  # type: ignore[union-attr]
    history.move(1)
    history.move(1)  # onto the newest: follows the run again
    assert history.index is None and history.table().latest  # type: ignore[union-attr]
    history.pick(0)
    assert history.table().step == 2  # type: ignore[union-attr]
    assert not history.add(object())  # not a probe event


def test_probability_top_and_sentence_formats():
    assert [format_probability(p) for p in (0.2149, 1.0, 0.0113, 0.0999)] == [
        ".21",
        "1.00",
        ".011",
        ".10",
    ]
    assert format_top([("the", 0.21), ("a", 0.09), ("river", 0.05)]) == (
        "the .21 · a .090 · river .050"
    )
    assert format_top([("the", 0.21), ("a", 0.09)], limit=1) == "the .21"
    text = "the children played by the [MASK] until the evening came over the hills"
    for width in (12, 20, 30):
        cut = fit_sentence(text, width)
        assert len(cut) == width and "[MASK]" in cut and cut[0] == cut[-1] == "…"
    assert fit_sentence("[MASK] flows into the sea at the end", 12) == "[MASK] flow…"
    assert fit_sentence("short [MASK].", 40) == "short [MASK]."


def test_the_cli_prints_each_probe_at_each_evaluation(tmp_path, capsys):
    path = write_preset(tmp_path, steps=4, eval_every=4)
    assert main(["pretrain", str(path)]) == 0
    err = " ".join(capsys.readouterr().err.split())  # rich wraps at the console's width
    shown = err.count("probe: ")
    assert shown == load_preset(path).pretrain.probe_count
    assert err.count("[MASK]") >= shown and err.count(", rank ") == shown
