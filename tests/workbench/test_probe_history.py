"""The probe history service both UIs read (#16.1), on a real tiny pre-training run."""

from kit.pretrain import write_preset

from bert_engine.presets import load_preset
from bert_engine.training.pretrain import run_pretraining
from workbench.cli import main
from workbench.services.probes import probe_history, probe_steps, probe_table


def test_history_steps_and_stepping_back(tmp_path):
    run = run_pretraining(load_preset(write_preset(tmp_path, steps=6, eval_every=2))).run_dir
    events = probe_history(run)
    assert probe_steps(events) == [2, 4, 6]
    last, back = probe_table(events), probe_table(events, step=3)
    assert last is not None and back is not None
    assert (last.step, back.step) == (6, 2)
    assert [r[0] for r in last.rows] == [r[0] for r in back.rows]
    sentence, answer, rank, top = back.rows[0]
    assert "[MASK]" in sentence and answer and int(rank) >= 1 and top.count("%") == 5
    assert probe_table([]) is None


def test_the_cli_prints_each_probe_at_each_evaluation(tmp_path, capsys):
    path = write_preset(tmp_path, steps=4, eval_every=4)
    assert main(["pretrain", str(path)]) == 0
    err = " ".join(capsys.readouterr().err.split())  # rich wraps at the console's width
    shown = err.count("probe: ")
    assert shown == load_preset(path).pretrain.probe_count
    assert err.count("[MASK]") >= shown and err.count(", rank ") == shown
