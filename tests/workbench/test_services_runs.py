"""Runs through the service on tiny real runs: listing, compare, export, and the playgrounds
(fill-mask on a pre-training run, classify on a run fine-tuned from it)."""

from __future__ import annotations

import json

import pytest
from kit.services import tiny_preset, write_labelled

from workbench.services import RunLibrary, Services, WorkspaceError

LIMIT = 120.0


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Services, str, str]:
    """A workspace with a finished pre-training run and a classifier fine-tuned from it."""
    tmp = tmp_path_factory.mktemp("runs")
    services = Services(tmp / "ws")
    pre = services.manager.start_pretraining(tiny_preset(tmp))
    pre_status = services.manager.wait(pre, LIMIT)
    assert pre_status.status == "finished", pre_status.error
    task = write_labelled(tmp / "task.csv")
    ft_preset = tiny_preset(
        tmp,
        finetune={
            "init": str(pre_status.run_dir),
            "epochs": 2,
            "lr": 1e-3,
            "device": "cpu",
            "precision": "fp32",
        },
        classification={"train": str(task), "max_seq_len": 32, "batch_size": 16},
    )
    ft = services.manager.start_finetuning(ft_preset, name="classifier")
    ft_status = services.manager.wait(ft, LIMIT)
    assert ft_status.status == "finished", ft_status.error
    assert ft_status.run_dir is not None and ft_status.run_dir.name.startswith("classifier-")
    return services, pre_status.run_dir.name, ft_status.run_dir.name


def test_list_shows_both_kinds(trained: tuple[Services, str, str]) -> None:
    services, pre, ft = trained
    infos = {i.run_id: i for i in services.runs.list()}
    assert infos[pre].kind == "pretrain" and infos[ft].kind == "finetune"
    assert infos[pre].status == infos[ft].status == "finished"
    assert "validation/accuracy" in infos[ft].best


def test_fill_mask_on_the_pretraining_run(trained: tuple[Services, str, str]) -> None:
    services, pre, _ = trained
    mask = services.runs.mask_token(pre)
    out = services.runs.fill_mask(pre, f"the cat {mask} a red ball {mask}", top_k=4)
    assert out.tokens[0] == "[CLS]" and out.tokens.count(mask) == 2
    assert [m.position for m in out.masks] == [i for i, t in enumerate(out.tokens) if t == mask]
    for m in out.masks:
        probs = [p for _, p in m.candidates]
        assert len(probs) == 4 and probs == sorted(probs, reverse=True)
        assert 0 < sum(probs) <= 1.0 + 1e-6
    # The predictor is loaded once and reused for the playground.
    assert services.runs.predictor(pre) is services.runs.predictor(pre)
    with pytest.raises(Exception, match="classif"):
        services.runs.classify(pre, "a cat")


def test_classify_on_the_finetuned_run(trained: tuple[Services, str, str]) -> None:
    services, _, ft = trained
    result = services.runs.classify(ft, "the dog was very happy")
    labels = [label for label, _ in result.probabilities]
    assert sorted(labels) == ["animals", "food"]
    assert result.label == labels[0]
    assert sum(p for _, p in result.probabilities) == pytest.approx(1.0, abs=1e-5)
    assert result.tokens[0] == "[CLS]" and result.tokens[-1] == "[SEP]"
    assert "".join(t.removeprefix("##") for t in result.tokens[1:-1]) == "thedogwasveryhappy"
    with pytest.raises(Exception, match="MASK|mask"):
        services.runs.fill_mask(ft, "the [MASK] was happy")


def test_compare_overlays_curves_and_diffs_configs(trained: tuple[Services, str, str]) -> None:
    services, pre, ft = trained
    comparison = services.runs.compare([pre, ft])
    assert comparison.runs == [pre, ft]
    assert set(comparison.curves["train/loss"]) == {pre, ft}
    steps, values = comparison.curves["train/loss"][pre]
    assert steps == list(range(1, 7)) and len(values) == 6
    assert comparison.config_diff["finetune.epochs"] == {pre: None, ft: 2}
    assert "tokenizer.vocab_size" not in comparison.config_diff
    with pytest.raises(ValueError, match="at least two"):
        services.runs.compare([pre])


def test_export_to_huggingface_format(trained: tuple[Services, str, str]) -> None:
    services, _, ft = trained
    folder = services.runs.export_hf(ft, "my-export")
    assert folder == services.workspace.root / "exports" / "my-export"
    config = json.loads((folder / "config.json").read_text())
    assert config["id2label"] == {"0": "animals", "1": "food"}
    for name in ("model.safetensors", "tokenizer.json", "vocab.txt"):
        assert (folder / name).is_file()
    with pytest.raises(WorkspaceError, match="already exists"):
        services.runs.export_hf(ft, "my-export")
    with pytest.raises(WorkspaceError):
        services.runs.export_hf(ft, "../outside")
    transformers = pytest.importorskip("transformers")
    model = transformers.AutoModelForSequenceClassification.from_pretrained(folder)
    tok = transformers.AutoTokenizer.from_pretrained(folder)
    ours = services.runs.classify(ft, "the dog was very happy")
    import torch

    with torch.no_grad():
        logits = model(**tok("the dog was very happy", return_tensors="pt")).logits
    probs = torch.softmax(logits, -1)[0].tolist()
    assert probs == pytest.approx(
        [dict(ours.probabilities)[k] for k in ("animals", "food")], abs=1e-5
    )


def test_predictor_cache_is_bounded(trained: tuple[Services, str, str]) -> None:
    services, pre, ft = trained
    library = RunLibrary(services.workspace, max_predictors=1)
    first = library.predictor(pre)
    assert library.predictor(pre) is first
    library.predictor(ft)  # evicts the pre-training run's predictor
    assert library.predictor(pre) is not first


def test_tensorboard_command_and_unknown_runs(trained: tuple[Services, str, str]) -> None:
    services, pre, _ = trained
    command = services.runs.tensorboard_command(pre)
    assert command.startswith("tensorboard --logdir ") and pre in command
    for bad in ("../x", "nope", "/etc", str(services.workspace.runs_dir / pre)):
        with pytest.raises(WorkspaceError):
            services.runs.curves(bad)  # strings are run ids only
    assert services.runs.curves(services.workspace.runs_dir / pre) == services.runs.curves(pre)
    with pytest.raises(WorkspaceError):
        services.manager.continue_run("../" + pre)


def test_insight_attention_and_neighbours_on_both_kinds(trained: tuple[Services, str, str]) -> None:
    """What the Try views show: attention of a text, nearest words over the input embeddings
    and over contextual vectors sampled from the run's own data (corpus, training file)."""
    from bert_engine.errors import InputError
    from workbench.services import insight

    services, pre, ft = trained
    for run in (pre, ft):
        seen = insight.attention(services.runs, run, "the cat sees a red ball")
        predictor = services.runs.predictor(run)
        assert seen.tokens == predictor.tokenizer.encode("the cat sees a red ball").tokens
        assert abs(sum(seen.row(0, None, 0)) - 1.0) < 1e-5
        near = insight.neighbours(services.runs, run, "cat", k=5)
        assert len(near) == 5 and near == predictor.neighbours("cat", 5)
        texts = insight.corpus_sample(services.runs, run, 50)
        assert texts and all(isinstance(t, str) and t for t in texts)
        found = insight.neighbours(services.runs, run, "cat", k=3, contextual=True, sample=50)
        assert found == predictor.contextual_neighbours("cat", texts, 3)
    with pytest.raises(InputError, match="type a word"):
        insight.neighbours(services.runs, pre, "  ")
    with pytest.raises(InputError, match="type a text"):
        insight.attention(services.runs, pre, "")
