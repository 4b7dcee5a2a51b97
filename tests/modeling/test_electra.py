"""ELECTRA pre-training (model.objective = "electra"): the model, its training, resume, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from kit.modeling import make_batch, small_config
from kit.pretrain import write_preset

from bert_engine.modeling import BertModel, ElectraForPreTraining
from bert_engine.modeling.electra import generator_config
from bert_engine.presets import load_preset
from bert_engine.tracking import read_events
from bert_engine.training.pretrain import load_pretrained, run_pretraining


def _masked(config, seed: int = 0) -> dict[str, torch.Tensor]:
    batch = make_batch(config, 4, 16, padded=True, seed=seed)
    g = torch.Generator().manual_seed(seed)
    real = batch["attention_mask"].bool()
    pick = (torch.rand(batch["input_ids"].shape, generator=g) < 0.3) & real
    pick[:, 1] = True  # at least one per row
    labels = torch.where(pick, batch["input_ids"], torch.full_like(batch["input_ids"], -100))
    batch["input_ids"] = torch.where(pick, torch.full_like(labels, 4), batch["input_ids"])
    return {**batch, "labels": labels}


def test_generator_is_narrower_with_the_same_head_size_and_shares_the_embeddings() -> None:
    config = small_config(num_heads=4, hidden_size=32, intermediate_size=48)
    gen = generator_config(config, 0.25)
    assert (gen.num_heads, gen.hidden_size, gen.num_layers) == (1, 8, config.num_layers)
    model = ElectraForPreTraining(config)
    names = [n for n, _ in model.named_parameters()]
    assert not any("embeddings" in n for n in names if n.startswith("generator."))
    assert model.bert.pooler is None


@pytest.mark.parametrize("unpad", [True, False])
def test_replaced_tokens_are_exactly_the_sampled_differences(unpad: bool) -> None:
    torch.manual_seed(0)
    config = small_config()
    model = ElectraForPreTraining(config, unpad=unpad)
    batch = _masked(config)
    out = model(**batch)
    real = int(batch["attention_mask"].sum())
    assert out.discriminator_logits.shape == (real,) and out.replaced.shape == (real,)
    masked = int((batch["labels"] != -100).sum())
    assert out.generator_logits.shape == (masked, config.vocab_size)
    # Only masked positions can be replaced.
    assert int(out.replaced.sum()) <= masked
    assert torch.isfinite(out.loss) and out.loss > 0
    out.loss.backward()
    assert model.generator.project.weight.grad is not None
    assert model.discriminator.out.weight.grad is not None


def test_training_lowers_the_loss_and_the_discriminator_beats_all_original() -> None:
    torch.manual_seed(0)
    config = small_config()
    model = ElectraForPreTraining(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    batch = _masked(config, seed=1)
    first = None
    for _ in range(60):
        out = model(**batch)
        optimizer.zero_grad()
        out.loss.backward()
        optimizer.step()
        first = float(out.loss.detach()) if first is None else first
    model.eval()
    with torch.no_grad():
        out = model(**batch)
    assert float(out.loss) < 0.5 * first
    said = out.discriminator_logits > 0
    accuracy = float((said == out.replaced).float().mean())
    baseline = float((~out.replaced).float().mean())
    assert out.replaced.any() and accuracy > baseline


def test_an_electra_run_trains_resumes_exactly_and_exports_its_discriminator(
    tmp_path: Path,
) -> None:
    transformers = pytest.importorskip("transformers")
    from bert_engine.modeling.hf import export_hf

    path = write_preset(tmp_path, objective="electra", steps=8, eval_every=4, checkpoint_every=4)
    preset = load_preset(str(path), ["data.pack=true"])
    whole = run_pretraining(preset)
    assert whole.result.status == "finished"
    evals = [e for e in read_events(whole.run_dir) if e.kind == "eval"]
    assert evals and {"rtd_accuracy", "rtd_baseline", "mlm_loss"} <= set(evals[-1].metrics)

    # Stopped at step 4 and resumed: the same losses as the uninterrupted run.
    cut = load_preset(str(path), ["data.pack=true", "tracking.run_name=cut"])
    from bert_engine.training import RunControl, StepEvent

    control = RunControl()

    def stop_at_4(event: object) -> None:
        if isinstance(event, StepEvent) and event.step == 4:
            control.stop()

    first = run_pretraining(cut, control=control, listeners=[stop_at_4])
    assert first.result.status == "cancelled"
    rest = run_pretraining(None, resume=first.run_dir)
    assert rest.result.status == "finished"

    def losses(run: Path) -> dict[int, float]:
        return {e.step: e.loss for e in read_events(run) if e.kind == "step" and e.loss}

    a, b = losses(whole.run_dir), losses(first.run_dir)
    after = [s for s in a if s > 4]
    assert after and all(s in b for s in after)
    assert [b[s] for s in after] == pytest.approx([a[s] for s in after], rel=1e-5)

    model, tokenizer = load_pretrained(whole.run_dir)
    assert isinstance(model, ElectraForPreTraining)
    export_hf(model, tmp_path / "hf", tokenizer=tokenizer)
    config = json.loads((tmp_path / "hf" / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    theirs = transformers.BertModel.from_pretrained(tmp_path / "hf", add_pooling_layer=False)
    ids = torch.tensor([tokenizer.encode("the red cat sees the old dog").ids])
    with torch.no_grad():
        ours = BertModel.forward(model.bert, ids).last_hidden_state
        assert torch.allclose(theirs.eval()(ids).last_hidden_state, ours, atol=1e-5)


def test_fine_tuning_from_an_electra_run_takes_the_discriminator(tmp_path: Path) -> None:
    from kit.finetune import write_task

    from bert_engine.schema import ClassificationDataSettings, FinetuneSettings
    from bert_engine.training.finetune import finetune, read_results

    path = write_preset(tmp_path, objective="electra", steps=4, eval_every=4, checkpoint_every=4)
    pre = run_pretraining(load_preset(str(path)))
    run = finetune(
        FinetuneSettings(init=str(pre.run_dir), pooling="mean", epochs=1, device="cpu"),
        data=ClassificationDataSettings(
            train=str(write_task(tmp_path / "task.csv", n=60)), test_fraction=0.0
        ),
        runs_dir=tmp_path / "runs",
    )
    init = json.loads((run / "init.json").read_text())
    assert "bert.encoder.layers.0.attention.qkv.weight" in init["loaded"]
    assert any(k.startswith("generator.") for k in init["unused"])
    assert any(k.startswith("discriminator.") for k in init["unused"])
    assert read_results(run)["status"] == "finished"


def test_the_memory_estimate_counts_at_least_the_electra_parameters() -> None:
    from bert_engine.training.memory import ModelShape, count_parameters

    config = small_config()
    actual = sum(p.numel() for p in ElectraForPreTraining(config).parameters())
    counted = count_parameters(ModelShape.of(config), "electra")
    assert actual <= counted <= 2 * actual
