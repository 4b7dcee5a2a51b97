"""Mean pooling for classifiers (finetune.pooling = "mean"): the math, padding, HF export."""

from __future__ import annotations

import json

import pytest
import torch
from kit.modeling import make_batch, perturb_, small_config

from bert_engine.modeling import BertForSequenceClassification
from bert_engine.modeling.hf import CLASSIFIER_WEIGHTS, export_hf, load_hf


def _model(pooling: str, **options: object) -> BertForSequenceClassification:
    torch.manual_seed(0)
    model = BertForSequenceClassification(small_config(), 3, pooling=pooling, **options)
    perturb_(model)  # no zero biases: a wrong sum or count would show
    return model.eval()


def test_mean_pooling_is_the_mean_of_the_real_tokens_final_states() -> None:
    model = _model("mean", unpad=False)
    batch = make_batch(model.config, 4, 12, padded=True)
    with torch.no_grad():
        logits = model(**batch).logits
        hidden = model.bert(**batch).last_hidden_state
        mask = batch["attention_mask"]
        by_hand = torch.stack(
            [hidden[i, : int(mask[i].sum())].mean(dim=0) for i in range(len(hidden))]
        )
        expected = model.classifier(by_hand)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert model.bert.pooler is None  # mean pooling trains no pooler


def test_padded_and_unpadded_paths_agree_and_padding_does_not_count() -> None:
    packed, padded = _model("mean", unpad=True), _model("mean", unpad=False)
    padded.load_state_dict(packed.state_dict())
    batch = make_batch(packed.config, 5, 16, padded=True, seed=3)
    with torch.no_grad():
        a, b = packed(**batch).logits, padded(**batch).logits
        # Row 1 alone, cut to its real length: the same logits as inside the padded batch.
        n = int(batch["attention_mask"][1].sum())
        alone = packed(**{k: v[1:2, :n] for k, v in batch.items()}).logits
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.allclose(alone[0], a[1], atol=1e-5)


def test_cls_pooling_stays_the_default_and_unknown_pooling_is_refused() -> None:
    assert BertForSequenceClassification(small_config(), 2).pooling == "cls"
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        BertForSequenceClassification(small_config(), 2, pooling="max")


def test_mean_pooled_export_is_a_bert_model_plus_a_head_transformers_reproduces(tmp_path) -> None:
    transformers = pytest.importorskip("transformers")
    from safetensors.torch import load_file

    model = _model("mean", label_names=["neg", "neu", "pos"])
    export_hf(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["architectures"] == ["BertModel"]
    assert config["bertbench_pooling"] == "mean"
    assert config["id2label"] == {"0": "neg", "1": "neu", "2": "pos"}

    # What docs/finetuning.md tells transformers users to do.
    bert = transformers.BertModel.from_pretrained(tmp_path, add_pooling_layer=False).eval()
    head = load_file(tmp_path / CLASSIFIER_WEIGHTS)
    batch = make_batch(model.config, 3, 10, padded=True, seed=5)
    with torch.no_grad():
        hidden = bert(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = (hidden * mask).sum(1) / mask.sum(1)
        theirs = pooled @ head["weight"].T + head["bias"]
        ours = model(**batch).logits
    assert torch.allclose(theirs, ours, atol=1e-5)

    # And it loads back into ours as the same mean-pooled classifier.
    again, report = load_hf(tmp_path, BertForSequenceClassification)
    assert again.pooling == "mean" and report.ok, str(report)
    with torch.no_grad():
        assert torch.allclose(again.eval()(**batch).logits, ours, atol=1e-5)
