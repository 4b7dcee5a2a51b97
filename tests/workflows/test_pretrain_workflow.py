import json
import math

import pytest
from kit.pretrain import write_preset

from bert_engine.modeling import BertForMaskedLM, BertForPreTraining
from bert_engine.presets import load_preset
from bert_engine.tokenizers import load_tokenizer
from bert_engine.tracking import read_curves, read_summary
from bert_engine.training import RunControl, list_checkpoints
from bert_engine.training.pretrain import (
    load_pretrained,
    load_run_preset,
    run_pretraining,
    split_held_out,
)


def test_a_few_dozen_steps_lower_the_loss_and_evaluate_held_out(tmp_path):
    preset = load_preset(write_preset(tmp_path, steps=40, eval_every=20, checkpoint_every=10))
    run_dir = run_pretraining(preset).run_dir

    steps, losses = read_curves(run_dir)["train/loss"]
    assert steps == list(range(1, 41))
    first, last = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert last < first - 1.0, (first, last)

    curves = read_curves(run_dir)
    for metric in ("mlm_loss", "mlm_accuracy", "perplexity", "nsp_accuracy", "loss"):
        eval_steps, values = curves[f"validation/{metric}"]
        assert eval_steps == [20, 40]
    _, perplexity = curves["validation/perplexity"]
    _, mlm_loss = curves["validation/mlm_loss"]
    assert perplexity[-1] == pytest.approx(math.exp(mlm_loss[-1]))
    assert mlm_loss[-1] < mlm_loss[0]
    assert 0.0 <= curves["validation/nsp_accuracy"][1][-1] <= 1.0

    # The run folder: resolved preset, tokenizer, keep-last checkpoints (+ best), summary.
    assert load_run_preset(run_dir) == preset
    tok = load_tokenizer(run_dir / "tokenizer.json")
    assert tok.vocab_size <= 120 and tok.mask_id is not None
    names = [c.path.name for c in list_checkpoints(run_dir / "checkpoints")]
    assert names[-2:] == ["step-000030", "step-000040"]
    best = json.loads((run_dir / "checkpoints" / "best.json").read_text())
    assert best["metric"] == "validation/loss"
    summary = read_summary(run_dir)
    assert summary["status"] == "finished" and summary["step"] == 40

    model, tok2 = load_pretrained(run_dir)
    assert type(model) is BertForPreTraining and tok2.vocab_size == tok.vocab_size
    assert model.config.vocab_size == tok.vocab_size and model.config.num_layers == 1


def test_resumed_run_matches_uninterrupted_losses(tmp_path):
    path = write_preset(tmp_path, steps=12, eval_every=3, checkpoint_every=100)
    preset = load_preset(path)
    straight = run_pretraining(preset).run_dir

    control = RunControl()

    def stop_at_5(event):
        if event.kind == "step" and event.step == 5:
            control.stop()

    first = run_pretraining(preset, control=control, listeners=[stop_at_5])
    assert first.result.status == "cancelled" and first.result.step == 5
    # The stop wrote a checkpoint at step 5 even though checkpoint_every is 100.
    assert [c.step for c in list_checkpoints(first.run_dir / "checkpoints")] == [5]

    again = run_pretraining(None, resume=first.run_dir).run_dir
    assert again == first.run_dir
    s1, l1 = read_curves(straight)["train/loss"]
    s2, l2 = read_curves(again)["train/loss"]
    assert s1 == s2 == list(range(1, 13))
    for a, b in zip(l1, l2, strict=True):
        assert abs(a - b) <= 1e-6
    e1 = read_curves(straight)["validation/loss"]
    e2 = read_curves(again)["validation/loss"]
    assert e1[0] == e2[0] and all(abs(a - b) <= 1e-6 for a, b in zip(e1[1], e2[1], strict=True))
    assert read_summary(again)["status"] == "finished"


def test_mlm_objective_with_packing(tmp_path):
    path = write_preset(
        tmp_path, objective="mlm", steps=20, eval_every=10, data_extra="pack = true"
    )
    run_dir = run_pretraining(load_preset(path)).run_dir
    curves = read_curves(run_dir)
    assert "validation/nsp_accuracy" not in curves
    losses = curves["train/loss"][1]
    assert sum(losses[-4:]) / 4 < sum(losses[:4]) / 4
    model, _ = load_pretrained(run_dir)
    assert type(model) is BertForMaskedLM


def test_held_out_split_is_disjoint_and_complete(tmp_path):
    from bert_engine.data.shards import SpecialIds, TokenizedCorpus

    special = SpecialIds(0, 2, 3, 4, (0, 1, 2, 3, 4))
    docs = [[[10 + d, 11 + d], [12 + d]] for d in range(10)]
    corpus = TokenizedCorpus.from_token_documents(docs, vocab_size=64, special=special)
    train, held = split_held_out(corpus, 0.2)
    assert train.n_documents == 8 and held.n_documents == 2
    assert [list(map(list, held.document_tokens(i))) for i in range(2)] == [
        [[18, 19], [20]],
        [[19, 20], [21]],
    ]
    assert [list(map(list, train.document_tokens(i))) for i in range(8)] == [
        [[10 + d, 11 + d], [12 + d]] for d in range(8)
    ]
    assert split_held_out(corpus, 0.0)[1] is None


def test_max_minutes_ends_pretraining_by_the_clock(tmp_path):
    # 100,000 steps would take minutes; a 1.5-second budget ends the run, evaluated and saved.
    path = write_preset(tmp_path, steps=100_000, eval_every=1000, checkpoint_every=1000)
    preset = load_preset(path, ["pretrain.max_minutes=0.025"])
    events = []
    run_dir = run_pretraining(preset, listeners=[events.append]).run_dir
    finished = [e for e in events if e.kind == "finished"][0]
    assert finished.reason == "time_budget" and 1.5 <= finished.elapsed_s < 60
    assert 0 < finished.step < 100_000
    summary = read_summary(run_dir)
    assert summary["status"] == "finished" and summary["step"] == finished.step
    assert "validation/mlm_accuracy" in summary["last"]  # the final evaluation ran
    assert [c.step for c in list_checkpoints(run_dir / "checkpoints")][-1] == finished.step
    lrs = read_curves(run_dir)["train/lr"][1]
    assert lrs[-1] < 0.5 * max(lrs)  # decayed by time, not still at the peak of 100k steps


def test_a_finished_run_leaves_its_embeddings_for_the_tensorboard_projector(tmp_path):
    written = write_preset(tmp_path, steps=6, eval_every=6, checkpoint_every=6)
    preset = load_preset(written, ["tracking.tensorboard=true"])
    run_dir = run_pretraining(preset).run_dir
    tensorboard = run_dir / "tensorboard"
    config = (tensorboard / "projector_config.pbtxt").read_text()
    assert "word_embeddings" in config
    folder = next(p for p in tensorboard.rglob("tensors.tsv")).parent
    rows = (folder / "tensors.tsv").read_text().splitlines()
    labels = (folder / "metadata.tsv").read_text().splitlines()
    tokenizer = load_tokenizer(run_dir / "tokenizer.json")
    model, _ = load_pretrained(run_dir)
    weights = model.bert.embeddings.word.weight
    assert len(rows) == len(labels) == min(tokenizer.vocab_size, 5000)
    assert labels[:3] == [tokenizer.id_to_token(i) for i in range(3)]
    first = [float(v) for v in rows[4].split("\t")]
    assert first == pytest.approx(weights[4].tolist(), abs=1e-4)

    # The model card of an export of it: a fill-mask model with its held-out numbers.
    import yaml

    from bert_engine.model_card import model_card

    card = model_card(run_dir, step=6, model_class="BertForPreTraining")
    meta = yaml.safe_load(card[4:].partition("\n---\n")[0])
    assert meta["pipeline_tag"] == "fill-mask" and meta["library_name"] == "transformers"
    assert "| validation/mlm_loss (last) |" in card and "6 steps" in card
