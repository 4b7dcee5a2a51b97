import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from kit.pretrain import write_corpus, write_preset

from bert_engine.tracking import read_events, read_summary
from workbench.cli import main

REPO = Path(__file__).resolve().parents[2]


def _cli(*args, cwd=None, timeout=300):
    return subprocess.run(
        [sys.executable, "-m", "workbench.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"},
    )


def _runs(folder):
    return sorted(p for p in (folder / "runs").iterdir() if p.is_dir())


def test_pretrain_runs_list_compare_and_export(tmp_path, capsys):
    path = write_preset(tmp_path, steps=6, eval_every=3, checkpoint_every=3)
    assert main(["pretrain", str(path), "--quiet"]) == 0
    assert main(["pretrain", str(path), "--quiet", "--set", "pretrain.lr=1e-3"]) == 0
    out = capsys.readouterr().out
    assert out.count("finished at step 6") == 2
    a, b = _runs(tmp_path)
    assert read_summary(a)["status"] == read_summary(b)["status"] == "finished"

    assert main(["runs", "list", "--root", str(tmp_path / "runs")]) == 0
    listed = capsys.readouterr().out
    assert a.name in listed and b.name in listed and "finished" in listed

    assert main(["runs", "compare", str(a), str(b)]) == 0
    compared = capsys.readouterr().out
    assert "pretrain.lr" in compared and "0.003" in compared and "0.001" in compared

    out_dir = tmp_path / "hf"
    assert main(["export", str(a), "--out", str(out_dir)]) == 0
    for name in ("config.json", "model.safetensors", "tokenizer.json", "vocab.txt"):
        assert (out_dir / name).is_file(), name
    config = json.loads((out_dir / "config.json").read_text())
    assert config["architectures"] == ["BertForPreTraining"] and config["num_hidden_layers"] == 1


def test_export_of_a_mean_pooled_fine_tuned_run(tmp_path, capsys):
    from kit.finetune import tiny_config, write_task

    from bert_engine.schema import ClassificationDataSettings, FinetuneSettings
    from bert_engine.training.finetune import finetune

    task = write_task(tmp_path / "task.csv", n=60)
    run = finetune(
        FinetuneSettings(init="random", pooling="mean", epochs=1, device="cpu"),
        data=ClassificationDataSettings(train=str(task), test_fraction=0.0, max_seq_len=32),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
    )
    assert main(["export", str(run), "--out", str(tmp_path / "hf")]) == 0
    assert "BertForSequenceClassification from step-" in capsys.readouterr().out
    config = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert config["architectures"] == ["BertModel"] and config["bertbench_pooling"] == "mean"
    assert (tmp_path / "hf" / "classifier.safetensors").is_file()


def test_exported_model_loads_in_transformers_with_equal_logits(tmp_path):
    transformers = __import__("pytest").importorskip("transformers")
    import torch

    from bert_engine.training.pretrain import load_pretrained

    path = write_preset(tmp_path, objective="mlm", steps=3, eval_every=3, checkpoint_every=3)
    assert main(["pretrain", str(path), "--quiet"]) == 0
    (run,) = _runs(tmp_path)
    assert main(["export", str(run), "--out", str(tmp_path / "hf")]) == 0
    ours, tok = load_pretrained(run)
    theirs = transformers.AutoModelForMaskedLM.from_pretrained(tmp_path / "hf").eval()
    hf_tok = transformers.AutoTokenizer.from_pretrained(tmp_path / "hf")
    text = "the red cat sees the old dog"
    ids = tok.encode(text).ids
    assert hf_tok(text)["input_ids"] == list(ids)
    x = torch.tensor([ids])
    with torch.no_grad():
        a = ours(x).logits
        b = theirs(input_ids=x).logits
    assert torch.allclose(a, b, atol=1e-5)


def test_tokenizer_train_and_encode(tmp_path, capsys):
    corpus = write_corpus(tmp_path / "corpus.txt")
    out = tmp_path / "tok" / "tokenizer.json"
    assert (
        main(
            [
                "tokenizer",
                "train",
                "--source",
                str(corpus),
                "--vocab-size",
                "300",
                "--min-frequency",
                "1",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert out.is_file()
    capsys.readouterr()
    assert main(["tokenizer", "encode", str(out), "The quick horse", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["tokens"][0] == "[CLS]" and data["tokens"][-1] == "[SEP]"
    assert "horse" in data["tokens"] and len(data["ids"]) == len(data["offsets"])
    horse = data["tokens"].index("horse")
    assert data["offsets"][horse] == [10, 15]
    assert main(["tokenizer", "encode", str(out), "The quick horse", "--pair", "a dog"]) == 0
    table = capsys.readouterr().out
    assert "horse" in table and "10-15" in table and "dog" in table

    bpe = tmp_path / "bpe.json"
    assert (
        main(
            [
                "tokenizer",
                "train",
                "--source",
                str(corpus),
                "--kind",
                "bpe",
                "--vocab-size",
                "300",
                "--min-frequency",
                "1",
                "--out",
                str(bpe),
            ]
        )
        == 0
    )
    assert json.loads(bpe.read_text())["model"]["type"] == "BPE"


def test_presets_show_diff_new_share(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["presets", "list"]) == 0
    assert "quickstart" in capsys.readouterr().out
    assert main(["presets", "show", "mlm-only", "--set", "pretrain.max_steps=900"]) == 0
    shown = capsys.readouterr().out
    assert 'objective = "mlm"' in shown and "max_steps = 900" in shown and "extends" not in shown
    assert main(["presets", "diff", "quickstart", "mlm-only"]) == 0
    assert "model.objective: 'mlm+nsp' -> 'mlm'" in capsys.readouterr().out

    assert main(["presets", "new", "my-exp", "--from", "quickstart"]) == 0
    created = tmp_path / "presets" / "my-exp.toml"
    assert created.is_file()
    assert main(["presets", "new", "my-exp", "--from", "quickstart"]) == 2  # no overwrite
    assert main(["presets", "validate", "my-exp"]) == 0
    capsys.readouterr()
    assert main(["presets", "diff", "quickstart", "my-exp"]) == 0
    assert set(line.split(":")[0] for line in capsys.readouterr().out.splitlines()) == {
        "name",
        "description",
    }
    assert main(["presets", "share", "my-exp", "--out", "shared.toml"]) == 0
    assert "extends" not in (tmp_path / "shared.toml").read_text()


def test_user_errors_exit_nonzero_with_one_line_and_no_traceback(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = [
        (["pretrain", "no-such-preset"], "no preset file or name"),
        (["pretrain", "quickstart", "--set", "pretrain.lrr=1"], "did you mean 'pretrain.lr'"),
        (["pretrain"], "give a preset"),
        (["export", str(tmp_path), "--out", str(tmp_path / "x")], "not a run folder"),
        (["runs", "list", "--root", str(tmp_path / "nothing")], "no runs folder"),
        (["tokenizer", "encode", str(tmp_path / "missing.json"), "hi"], "not found"),
    ]
    for args, expected in cases:
        assert main(args) == 2, args
        err = capsys.readouterr().err
        assert err.startswith("error: ") and expected in err, (expected, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) <= 3
    done = _cli("pretrain", "no-such-preset", cwd=tmp_path)  # the real exit status
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: no preset file or name")


def test_missing_corpus_fails_cleanly(tmp_path):
    path = write_preset(tmp_path)
    (tmp_path / "corpus.txt").unlink()
    done = _cli("pretrain", path, "--quiet", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "corpus.txt" in done.stderr


def test_help_without_arguments_and_for_groups(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    for verb in ("pretrain", "presets", "runs", "export", "tokenizer"):
        assert verb in text
    assert main(["presets"]) == 0
    assert "validate" in capsys.readouterr().out


def test_ctrl_c_writes_a_checkpoint(tmp_path):
    path = write_preset(tmp_path, steps=2000, eval_every=1000, checkpoint_every=1000)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "workbench.cli", "pretrain", str(path), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 240
    metrics = None
    while time.monotonic() < deadline:
        found = list((tmp_path / "runs").glob("*/metrics.jsonl"))
        if found and '"event":"step"' in found[0].read_text():
            metrics = found[0]
            break
        time.sleep(0.2)
    assert metrics is not None, proc.communicate(timeout=30)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "--resume" in err
    run = metrics.parent
    events = read_events(run)
    assert events[-1].kind == "cancelled" and events[-1].checkpoint
    stopped_at = events[-1].step
    assert (run / "checkpoints" / f"step-{stopped_at:06d}").is_dir()
    assert read_summary(run)["status"] == "stopped"


def test_non_finite_loss_fails_with_exit_1_and_a_failed_event(tmp_path, capsys):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    path = write_preset(tmp_path, steps=2, eval_every=2, checkpoint_every=2)
    assert main(["pretrain", str(path), "--quiet"]) == 0
    (good,) = _runs(tmp_path)
    weights = good / "checkpoints" / "step-000002" / "model.safetensors"
    state = load_file(weights)
    with safe_open(weights, "pt") as f:
        metadata = f.metadata()
    # The embedding LayerNorm scale: every token passes through it.
    name = next(k for k in state if "embeddings" in k and state[k].ndim == 1)
    state[name][0] = float("nan")  # same size file: only the value is bad
    save_file(state, weights, metadata=metadata)
    capsys.readouterr()

    code = main(["pretrain", str(path), "--quiet", "--set", f"pretrain.init_from={good}"])
    assert code == 1
    err = capsys.readouterr().err
    assert "training failed at step 0" in err and "Traceback" not in err
    bad = next(r for r in _runs(tmp_path) if r != good)
    assert read_summary(bad)["status"] == "failed"
    assert read_events(bad)[-1].kind == "failed"
