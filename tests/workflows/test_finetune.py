"""Fine-tuning workflow: real (tiny) BERTs really trained on small generated tasks."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from kit.finetune import tiny_config, write_task

from bert_engine.data.classification import LabelVocab, read_examples
from bert_engine.tracking import read_config, read_events, read_summary
from bert_engine.training import CheckpointEvent, EvalEvent, RunControl
from bert_engine.training.finetune import (
    ClassificationDataSettings,
    EarlyStopping,
    FinetuneError,
    FinetuneSettings,
    classification_metrics,
    finetune,
    read_results,
)


def _settings(**overrides: object) -> FinetuneSettings:
    base: dict[str, object] = dict(epochs=5, lr=1e-2, device="cpu", precision="fp32", seed=0)
    base.update(overrides)
    return FinetuneSettings.model_validate(base)


def _data(path: Path, **overrides: object) -> ClassificationDataSettings:
    base: dict[str, object] = dict(
        train=str(path), test_fraction=0.2, validation_fraction=0.15, batch_size=8, max_seq_len=32
    )
    base.update(overrides)
    return ClassificationDataSettings.model_validate(base)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("ft")
    task = write_task(tmp / "task.csv", n=240)
    return finetune(
        _settings(), data=_data(task), runs_dir=tmp / "runs", model_config=tiny_config()
    )


def _validation_reports(run: Path) -> list[dict]:
    files = sorted((run / "evaluation").glob("validation-step-*.json"))
    return [json.loads(f.read_text()) for f in files]


def test_beats_chance_on_a_separable_task(trained: Path) -> None:
    results = read_results(trained)
    assert results["status"] == "finished"
    # Three balanced labels: chance is 1/3.
    assert results["test"]["accuracy"] >= 0.8
    test = json.loads((trained / "evaluation" / "test.json").read_text())
    matrix = test["confusion_matrix"]
    assert sum(map(sum, matrix)) == results["examples"]["test"] == test["examples"]
    diagonal = sum(matrix[i][i] for i in range(len(matrix)))
    assert diagonal / test["examples"] == pytest.approx(results["test"]["accuracy"])
    assert test["labels"] == ["food", "sport", "tech"]
    assert read_summary(trained)["best"]["test/accuracy"]["value"] == results["test"]["accuracy"]


def test_run_directory_is_self_contained(trained: Path) -> None:
    assert LabelVocab.load(trained / "labels.json").labels == ["food", "sport", "tech"]
    for name in ("tokenizer.json", "bert_config.json", "config.toml", "metrics.jsonl"):
        assert (trained / name).is_file(), name
    config = read_config(trained)
    assert config["finetune"]["lr"] == 1e-2
    init = json.loads((trained / "init.json").read_text())
    assert init["source"] == "random"
    # One evaluation per epoch, each with its confusion matrix.
    assert len(_validation_reports(trained)) == 5


def test_best_checkpoint_follows_the_metric(trained: Path) -> None:
    reports = _validation_reports(trained)
    best = max(reports, key=lambda r: r["accuracy"])  # first of equals, as the manager keeps
    best_json = json.loads((trained / "checkpoints" / "best.json").read_text())
    assert best_json["step"] == best["step"] == read_results(trained)["best_step"]
    assert best_json["metric"] == "validation/accuracy"
    assert (trained / "checkpoints" / best_json["name"]).is_dir()


def test_the_run_folder_is_reported_before_training_starts(tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.csv", n=60)
    seen: list[tuple[str, Path | None]] = []  # (what, the folder reported so far)
    reported: list[Path] = []
    run = finetune(
        _settings(epochs=1),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
        listeners=[lambda event: seen.append((event.kind, reported[-1] if reported else None))],
        on_run_dir=reported.append,
    )
    assert reported == [run]  # once, the folder it returns
    assert seen[0] == ("started", run)  # known before the first event


def test_loss_metric_picks_the_lowest_loss(tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.csv", n=120, seed=3)
    run = finetune(
        _settings(epochs=3, eval_metric="loss", lr=2e-3),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
    )
    reports = _validation_reports(run)
    best = min(reports, key=lambda r: r["loss"])
    assert read_results(run)["best_step"] == best["step"]
    assert "test" not in read_results(run)  # no test split asked for


def test_early_stopping(tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.csv", n=90)
    # A learning rate this small cannot change any prediction, so validation accuracy never
    # improves after the first epoch: patience 2 ends the run after epoch 3 of 10.
    run = finetune(
        _settings(epochs=10, lr=1e-12, patience=2, warmup_ratio=0.0),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
    )
    results = read_results(run)
    per_epoch = results["steps_per_epoch"]
    assert results["stopped_early"] is True
    assert results["steps"] == 3 * per_epoch
    assert results["best_step"] == per_epoch
    assert read_summary(run)["status"] == "finished"
    assert len(_validation_reports(run)) == 3


def test_no_early_stop_without_patience() -> None:
    stopper = EarlyStopping("accuracy", None)
    assert not any(stopper.update(0.5) for _ in range(20))
    stopper = EarlyStopping("loss", 1)
    assert not stopper.update(1.0) and not stopper.update(0.9) and stopper.update(0.95)


def test_resume_follows_the_uninterrupted_run(tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.csv", n=96)
    kwargs = dict(data=_data(task, test_fraction=0.0), model_config=tiny_config())
    full = finetune(_settings(epochs=3), runs_dir=tmp_path / "a", **kwargs)

    control = RunControl()

    def stop_after_first_checkpoint(event: object) -> None:
        if isinstance(event, CheckpointEvent):
            control.stop()

    part = finetune(
        _settings(epochs=3),
        runs_dir=tmp_path / "b",
        control=control,
        listeners=[stop_after_first_checkpoint],
        **kwargs,
    )
    assert read_results(part)["status"] == "cancelled"
    resumed = finetune(None, resume=part)
    assert resumed == part
    a = [r["loss"] for r in _validation_reports(full)]
    b = [r["loss"] for r in _validation_reports(resumed)]
    assert b == pytest.approx(a, abs=1e-5)
    assert read_results(resumed)["status"] == "finished"
    with pytest.raises(FinetuneError, match="already finished"):
        finetune(None, resume=resumed)


def test_macro_f1_against_a_hand_computed_case() -> None:
    # truth 0,0,1,1 / predicted 0,1,1,1: label 0 P=1 R=.5 F1=2/3; label 1 P=2/3 R=1 F1=.8
    m = classification_metrics([0, 0, 1, 1], [0, 1, 1, 1], 3)
    assert m["accuracy"] == 0.75
    assert m["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)  # label 2 never occurs: left out
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 0, 0]]


def test_errors(tmp_path: Path) -> None:
    task = write_task(tmp_path / "task.csv", n=30)
    with pytest.raises(FinetuneError, match="no run named 'nothing-here'"):
        finetune(_settings(init="nothing-here"), data=_data(task), runs_dir=tmp_path / "runs")
    empty = tmp_path / "folder"
    empty.mkdir()
    with pytest.raises(FinetuneError, match="neither one of our runs"):
        finetune(_settings(init=str(empty)), data=_data(task), runs_dir=tmp_path / "runs")
    with pytest.raises(FinetuneError, match="data=ClassificationDataSettings"):
        finetune(_settings())
    with pytest.raises(FinetuneError, match="not a fine-tuning run"):
        finetune(None, resume=tmp_path)
    with pytest.raises(ValueError, match="eval_metric"):
        FinetuneSettings.model_validate({"eval_metric": "f1"})
    with pytest.raises(ValueError, match="extra"):
        FinetuneSettings.model_validate({"learning_rate": 1e-3})


def _shared_data() -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("BERTBENCH_SHARED_DATA", root.parent / "shared" / "data"))


@pytest.mark.skipif(
    not (_shared_data() / "sms-spam" / "train.csv").is_file(), reason="no shared sms-spam data"
)
def test_sms_spam_subset_beats_the_majority_class(tmp_path: Path) -> None:
    src = _shared_data() / "sms-spam"
    rows = read_examples(src / "train.csv")[:1200]
    test_rows = read_examples(src / "test.csv")[:300]

    def write(path: Path, examples: list) -> Path:
        import csv

        with path.open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows([e.text, e.label] for e in examples)
        return path

    run = finetune(
        _settings(epochs=4, lr=5e-3, eval_metric="macro_f1"),
        data=_data(
            write(tmp_path / "train.csv", rows),
            test=str(write(tmp_path / "t.csv", test_rows)),
            max_seq_len=48,
            batch_size=16,
        ),
        runs_dir=tmp_path / "runs",
        model_config=tiny_config(),
    )
    results = read_results(run)
    majority = max(sum(e.label == x for e in test_rows) for x in ("ham", "spam")) / len(test_rows)
    assert results["test"]["accuracy"] >= majority
    # Always answering the majority class scores macro-F1 < 0.5: spam must be found too.
    assert results["test"]["macro_f1"] > 0.75
    assert any(isinstance(e, EvalEvent) and e.split == "test" for e in read_events(run))


def _pretraining_source(tmp_path: Path) -> tuple[Path, object, object]:
    """A tokenizer and a BertForPreTraining with recognisable (non-initial) weights."""
    import torch

    from bert_engine.modeling import BertForPreTraining
    from bert_engine.tokenizers import WordPieceTokenizer

    task = write_task(tmp_path / "task.csv", n=60)
    texts = [e.text for e in read_examples(task)]
    tok = WordPieceTokenizer.train(texts, vocab_size=150, min_frequency=1)
    config = tiny_config().model_copy(update={"vocab_size": tok.vocab_size})
    torch.manual_seed(1)
    model = BertForPreTraining(config)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return task, tok, model


def test_init_from_a_huggingface_folder(tmp_path: Path) -> None:
    import torch

    from bert_engine.modeling.hf import export_hf

    task, tok, model = _pretraining_source(tmp_path)
    export_hf(model, tmp_path / "hf", tokenizer=tok)
    run = finetune(
        _settings(init=str(tmp_path / "hf"), epochs=1),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
    )
    init = json.loads((run / "init.json").read_text())
    assert init["source"].startswith("hf:")
    assert sorted(init["missing"]) == ["classifier.dense.bias", "classifier.dense.weight"]
    # The run's first checkpoint started from these weights: the embeddings moved only a little.
    from safetensors.torch import load_file

    (ckpt,) = sorted((run / "checkpoints").glob("step-*"))
    tuned = load_file(str(ckpt / "model.safetensors"))["bert.embeddings.position.weight"]
    original = model.state_dict()["bert.embeddings.position.weight"]  # type: ignore[attr-defined]
    assert torch.allclose(tuned[:4], original[:4], atol=0.05)
    assert (run / "tokenizer.json").read_text() == (tmp_path / "hf" / "tokenizer.json").read_text()


def test_init_from_one_of_our_runs_by_preset_name(tmp_path: Path) -> None:
    from bert_engine.tracking import Tracker, create_run
    from bert_engine.training import CheckpointManager, FinishedEvent, StartedEvent

    task, tok, model = _pretraining_source(tmp_path)
    config = model.config  # type: ignore[attr-defined]
    pre = create_run(tmp_path / "runs", "mypre", {"model": {"size": "tiny"}})
    tok.save(pre / "tokenizer.json")  # type: ignore[attr-defined]
    (pre / "bert_config.json").write_text(config.model_dump_json())
    CheckpointManager(pre / "checkpoints").save(7, model)  # type: ignore[arg-type]
    with Tracker(pre, tensorboard=False) as tracker:  # mark the run finished
        tracker(StartedEvent(step=0, total_steps=7))
        tracker(FinishedEvent(step=7))
    run = finetune(
        _settings(init="mypre", epochs=1),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
    )
    init = json.loads((run / "init.json").read_text())
    assert init["source"] == f"run:{pre / 'checkpoints' / 'step-000007'}"
    assert "nsp.dense.weight" in init["unused"] and "classifier.dense.weight" in init["missing"]
    assert read_config(run)["finetune"]["init"] == str(pre.resolve())
    assert (init["init_run"], init["init_status"], init["init_step"]) == (pre.name, "finished", 7)


def test_init_from_a_stopped_run_warns_and_records_its_step(tmp_path: Path) -> None:
    from bert_engine.tracking import Tracker, create_run
    from bert_engine.training import CancelledEvent, CheckpointManager, StartedEvent

    task, tok, model = _pretraining_source(tmp_path)
    pre = create_run(tmp_path / "runs", "halfway", {"model": {"size": "tiny"}})
    tok.save(pre / "tokenizer.json")  # type: ignore[attr-defined]
    (pre / "bert_config.json").write_text(model.config.model_dump_json())  # type: ignore[attr-defined]
    CheckpointManager(pre / "checkpoints").save(4, model)  # type: ignore[arg-type]
    with Tracker(pre, tensorboard=False) as tracker:  # stopped by the user at step 4
        tracker(StartedEvent(step=0, total_steps=50))
        tracker(CancelledEvent(step=4))
    said: list[str] = []
    run = finetune(
        _settings(init=str(pre), epochs=1),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
        on_message=said.append,
    )
    init = json.loads((run / "init.json").read_text())
    assert (init["init_run"], init["init_status"], init["init_step"]) == (pre.name, "stopped", 4)
    assert any("did not finish" in line and "step 4" in line for line in said), said


def test_reinit_layers_refreshes_the_top_layers_and_keeps_the_rest(tmp_path: Path) -> None:
    import torch

    from bert_engine.modeling import BertForPreTraining
    from bert_engine.modeling.hf import export_hf
    from bert_engine.training.finetune import initialise, plan_of

    task, tok, _ = _pretraining_source(tmp_path)
    layers = 2
    config = tiny_config().model_copy(update={"vocab_size": tok.vocab_size, "num_layers": 2})  # type: ignore[attr-defined]
    torch.manual_seed(2)
    model = BertForPreTraining(config)
    with torch.no_grad():  # recognisable, non-initial weights
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    export_hf(model, tmp_path / "hf", tokenizer=tok)
    pretrained = model.state_dict()
    top = f"bert.encoder.layers.{layers - 1}."
    plan = plan_of(_settings(init=str(tmp_path / "hf"), reinit_layers=1), data=_data(task))
    init = initialise(plan, ["a", "b"], [])
    state = init.model.state_dict()
    assert init.reinitialised and all(
        n.startswith((top, "bert.pooler.")) for n in init.reinitialised
    )
    assert {n for n in state if n.startswith((top, "bert.pooler."))} == set(init.reinitialised)
    for name, value in state.items():
        if name.startswith("classifier."):
            continue
        if name in init.reinitialised:
            # BERT's fresh init: unit LayerNorm gains, zero biases, small normal weights.
            assert not torch.equal(value, pretrained[name]), name
            if name.endswith("norm.weight"):
                assert torch.equal(value, torch.ones_like(value)), name
            elif name.endswith("bias"):
                assert torch.equal(value, torch.zeros_like(value)), name
            else:
                assert abs(float(value.std()) - 0.02) < 0.01, name
        else:
            assert torch.equal(value, pretrained[name]), name
    assert "re-initialised" in init.describe()

    too_many = plan_of(
        _settings(init=str(tmp_path / "hf"), reinit_layers=layers + 1), data=_data(task)
    )
    with pytest.raises(FinetuneError, match=f"only {layers} encoder layers"):
        initialise(too_many, ["a", "b"], [])


def test_mean_pooling_from_a_pretrained_model_trains_saves_and_predicts(tmp_path: Path) -> None:
    import torch

    from bert_engine.inference import Predictor
    from bert_engine.modeling.hf import export_hf

    task, tok, model = _pretraining_source(tmp_path)
    export_hf(model, tmp_path / "hf", tokenizer=tok)
    run = finetune(
        _settings(init=str(tmp_path / "hf"), pooling="mean", epochs=4),
        data=_data(task),
        runs_dir=tmp_path / "runs",
    )
    assert json.loads((run / "classifier.json").read_text()) == {"pooling": "mean"}
    # The pre-trained pooler is not used: reported, not loaded.
    init = json.loads((run / "init.json").read_text())
    assert "pooler.dense.weight" in init["unused"]
    assert not any("pooler" in k for k in init["loaded"])
    assert read_results(run)["test"]["accuracy"] >= 0.6  # three labels: chance is 1/3

    predictor = Predictor.from_run(run)
    assert predictor.model.pooling == "mean" and predictor.model.bert.pooler is None
    texts = [e.text for e in read_examples(task)][:6]
    first = predictor.classify(texts)
    # Batched with other texts or alone: mean pooling leaves padding out.
    alone = [predictor.classify([t])[0] for t in texts]
    for a, b in zip(first, alone, strict=True):
        assert a.label == b.label
        pa, pb = (torch.tensor(list(p.probabilities.values())) for p in (a, b))
        assert torch.allclose(pa, pb, atol=1e-5)


def test_runs_without_a_classifier_file_pool_the_cls_state(trained: Path) -> None:
    from bert_engine.inference import Predictor

    assert json.loads((trained / "classifier.json").read_text()) == {"pooling": "cls"}
    (trained / "classifier.json").unlink()  # as a run made before pooling was a choice
    try:
        assert Predictor.from_run(trained).model.pooling == "cls"
    finally:
        (trained / "classifier.json").write_text('{"pooling": "cls"}')


def hub_cache(root: Path, repo: str, folder: Path) -> Path:
    """`folder` laid out as the Hub's cache holds a downloaded model (refs/main -> snapshot)."""
    commit = "0123456789abcdef0123456789abcdef01234567"
    cached = root / ("models--" + repo.replace("/", "--"))
    snapshot = cached / "snapshots" / commit
    shutil.copytree(folder, snapshot)
    (cached / "refs").mkdir(parents=True)
    (cached / "refs" / "main").write_text(commit)
    return snapshot


def test_init_from_the_hub_uses_the_cache_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bert_engine.hub import HubError, fetch_checkpoint
    from bert_engine.modeling.hf import export_hf

    task, tok, model = _pretraining_source(tmp_path)
    export_hf(model, tmp_path / "hf", tokenizer=tok)
    snapshot = hub_cache(tmp_path / "hub", "someone/tiny-bert", tmp_path / "hf")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no network in tests: the cache only
    assert fetch_checkpoint("hf:someone/tiny-bert") == snapshot
    run = finetune(
        _settings(init="hf:someone/tiny-bert", epochs=1),
        data=_data(task, test_fraction=0.0),
        runs_dir=tmp_path / "runs",
    )
    init = json.loads((run / "init.json").read_text())
    assert init["source"] == f"hf:{snapshot}"
    assert sorted(init["missing"]) == ["classifier.dense.bias", "classifier.dense.weight"]
    # Not cached, offline: what to do, no traceback from the Hub library.
    with pytest.raises(HubError, match="offline.*download it once"):
        fetch_checkpoint("hf:someone/other-bert")
    with pytest.raises(HubError, match="not a Hub model name"):
        fetch_checkpoint("hf:../etc")


def test_init_by_a_preset_name_with_spaces_and_unicode_finds_its_runs(tmp_path: Path) -> None:
    from bert_engine.tracking import Tracker, create_run
    from bert_engine.training import FinishedEvent, StartedEvent
    from bert_engine.training.finetune.init import resolve_init

    name = "préset 中文😀"
    run = create_run(tmp_path / "runs", name, {"name": name})
    (run / "checkpoints").mkdir(exist_ok=True)
    with Tracker(run, tensorboard=False) as tracker:
        tracker(StartedEvent(step=0, total_steps=1))
        tracker(FinishedEvent(step=1))
    assert resolve_init(name, tmp_path / "runs") == ("run", run)
    with pytest.raises(FinetuneError, match="bertbench pretrain 'other name'"):
        resolve_init("other name", tmp_path / "runs")
