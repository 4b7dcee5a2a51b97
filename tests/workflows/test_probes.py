"""Fill-mask probes (#16): recorded at every evaluation, top-k sorted, the true word's rank
right, in metrics.jsonl and TensorBoard, and the same sentences after a resume."""

import json

import pytest
import torch
from kit.pretrain import write_preset

from bert_engine.modeling import BertForMaskedLM
from bert_engine.presets import PresetError, load_preset
from bert_engine.schema.bert import BertConfig
from bert_engine.tokenizers import load_tokenizer
from bert_engine.training import RunControl
from bert_engine.training.pretrain import run_pretraining
from bert_engine.training.probes import make_probe_runner, parse_probes


def _probe_events(run_dir):
    lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
    events = [json.loads(line) for line in lines]
    return [e for e in events if e["event"] == "probe"], [e for e in events if e["event"] == "eval"]


@pytest.mark.parametrize("objective", ["mlm+nsp", "mlm", "electra"])
def test_probes_at_every_evaluation_from_the_held_out_split(tmp_path, objective):
    preset = load_preset(write_preset(tmp_path, objective=objective, steps=8, eval_every=4))
    run_dir = run_pretraining(preset).run_dir
    probes, evals = _probe_events(run_dir)
    assert [e["step"] for e in probes] == [e["step"] for e in evals] == [4, 8]
    first, last = probes
    # Default: probe_count sentences from the held-out split, each with a true word.
    assert 1 <= len(last["probes"]) <= preset.pretrain.probe_count
    assert [p["text"] for p in first["probes"]] == [p["text"] for p in last["probes"]]
    tok = load_tokenizer(run_dir / "tokenizer.json")
    for probe in last["probes"]:
        assert probe["text"].count("[MASK]") == 1
        assert probe["answer"] and tok.token_to_id(probe["answer"]) is not None
        probs = [p for _, p in probe["top"]]
        assert len(probs) == 5 and probs == sorted(probs, reverse=True)
        assert 0 < sum(probs) <= 1.0 + 1e-6
        assert 1 <= probe["rank"] <= tok.vocab_size
        if probe["top"][0][0] == probe["answer"]:
            assert probe["rank"] == 1


def test_written_probes_and_the_rank_against_a_plain_softmax(tmp_path):
    path = write_preset(tmp_path, steps=4, eval_every=4)
    text = path.read_text(encoding="utf-8").replace(
        "seed = 0",
        'seed = 0\nprobes = ["The red [MASK:cat] sees the dog.", "The [MASK] follows | the tree."]',
    )
    path.write_text(text, encoding="utf-8")
    run_dir = run_pretraining(load_preset(path)).run_dir
    (event,) = _probe_events(run_dir)[0]
    cat, unknown = event["probes"]
    assert cat["text"] == "The red [MASK] sees the dog." and cat["answer"] == "cat"
    assert unknown["answer"] is None and unknown["rank"] is None

    # The rank, recomputed from the model's logits with a plain softmax and sort.
    tok = load_tokenizer(run_dir / "tokenizer.json")
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=tok.vocab_size, hidden_size=32, num_layers=1, num_heads=2,
        intermediate_size=64, max_position_embeddings=64,
    )  # fmt: skip
    model = BertForMaskedLM(config).eval()
    (probe,) = parse_probes(["The red [MASK:cat] sees the dog."], tok)
    with torch.no_grad():
        (got,) = make_probe_runner([probe], tok)(model)
        logits = model.mask_logits(torch.tensor([probe.input_ids]))[0, probe.position]
    order = torch.softmax(logits, -1).argsort(descending=True).tolist()
    assert got["rank"] == order.index(tok.token_to_id("cat")) + 1
    assert [t for t, _ in got["top"]] == [tok.id_to_token(i) for i in order[:5]]


def test_a_probe_without_one_mask_is_refused_with_its_number(tmp_path):
    path = write_preset(tmp_path, steps=2, eval_every=2)
    run_dir = run_pretraining(load_preset(path)).run_dir
    tok = load_tokenizer(run_dir / "tokenizer.json")
    with pytest.raises(PresetError, match=r"pretrain.probes\[2\].*exactly one \[MASK\]"):
        parse_probes(["a [MASK] b", "no mask here"], tok)


def test_probe_count_zero_records_no_probes_and_resume_keeps_the_sentences(tmp_path):
    path = write_preset(tmp_path, steps=8, eval_every=2, checkpoint_every=4)
    off = path.read_text(encoding="utf-8").replace("seed = 0", "seed = 0\nprobe_count = 0")
    (tmp_path / "off.toml").write_text(off.replace('"tiny-test"', '"off"'), encoding="utf-8")
    assert _probe_events(run_pretraining(load_preset(tmp_path / "off.toml")).run_dir)[0] == []

    control = RunControl()
    seen: list[int] = []

    def stop_at_five(event):
        if getattr(event, "kind", "") == "step":
            seen.append(event.step)
            if event.step == 5:
                control.cancel()

    preset = load_preset(path)
    first = run_pretraining(preset, control=control, listeners=[stop_at_five]).run_dir
    resumed = run_pretraining(preset, resume=first).run_dir
    probes, _ = _probe_events(resumed)
    assert [e["step"] for e in probes] == [2, 4, 6, 8]
    assert len({tuple(p["text"] for p in e["probes"]) for e in probes}) == 1
