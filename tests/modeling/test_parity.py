"""Numerical parity with HuggingFace `transformers` BERT, in both directions (fp32, eval)."""

from __future__ import annotations

import json

import pytest
import torch
from kit.modeling import make_batch, perturb_, small_config
from safetensors import safe_open

from bert_engine.modeling import (
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)
from bert_engine.modeling.hf import export_hf, load_hf

transformers = pytest.importorskip("transformers")

SHAPES = [  # (config overrides, batch, length)
    ({}, 3, 17),
    ({"hidden_size": 48, "num_heads": 3, "num_layers": 3, "intermediate_size": 64}, 2, 40),
    ({"hidden_size": 16, "num_heads": 1, "num_layers": 1, "type_vocab_size": 3}, 4, 5),
]
TOL = dict(atol=1e-5, rtol=1e-5)


def hf_config(config, **extra):
    fields = {k: v for k, v in config.to_hf_dict().items() if k != "model_type"}
    return transformers.BertConfig(**fields, **extra, attn_implementation="sdpa")


def hf_model(cls_name, config, **extra):
    cls = getattr(transformers, cls_name)
    model = cls(hf_config(config, **extra))
    perturb_(model, seed=1)
    return model.eval()


def valid(hidden, mask):
    """Hidden states at real tokens only: values at padding positions are meaningless."""
    return hidden[mask.bool()]


@pytest.mark.parametrize("overrides,batch,length", SHAPES)
@pytest.mark.parametrize("padded", [False, True])
def test_backbone_matches_hf(tmp_path, overrides, batch, length, padded):
    config = small_config(**overrides)
    theirs = hf_model("BertModel", config)
    theirs.save_pretrained(tmp_path)
    ours, report = load_hf(tmp_path, BertModel)
    assert report.ok, str(report)
    ours.eval()
    inputs = make_batch(config, batch, length, padded=padded)
    with torch.no_grad():
        expected = theirs(**inputs)
        for unpad in (False, True):  # the plain padded path and the padding-free path
            ours.unpad = unpad
            got = ours(**inputs)
            mask = inputs["attention_mask"]
            torch.testing.assert_close(
                valid(got.last_hidden_state, mask), valid(expected.last_hidden_state, mask), **TOL
            )
            torch.testing.assert_close(got.pooled_output, expected.pooler_output, **TOL)
        ours.unpad = False
        # The padded path also reproduces HF at padding positions.
        torch.testing.assert_close(
            ours(**inputs).last_hidden_state, expected.last_hidden_state, **TOL
        )


@pytest.mark.parametrize("overrides,batch,length", SHAPES)
@pytest.mark.parametrize("padded", [False, True])
def test_pretraining_heads_match_hf(tmp_path, overrides, batch, length, padded):
    config = small_config(**overrides)
    theirs = hf_model("BertForPreTraining", config)
    theirs.save_pretrained(tmp_path)
    ours, report = load_hf(tmp_path, BertForPreTraining)
    assert report.ok, str(report)
    ours.eval()
    inputs = make_batch(config, batch, length, padded=padded)
    with torch.no_grad():
        expected = theirs(**inputs)
        got = ours(**inputs)
    mask = inputs["attention_mask"]
    torch.testing.assert_close(
        valid(got.mlm_logits, mask), valid(expected.prediction_logits, mask), **TOL
    )
    torch.testing.assert_close(got.nsp_logits, expected.seq_relationship_logits, **TOL)


@pytest.mark.parametrize("padded", [False, True])
def test_masked_lm_matches_hf(tmp_path, padded):
    config = small_config()
    theirs = hf_model("BertForMaskedLM", config)
    theirs.save_pretrained(tmp_path)
    ours, report = load_hf(tmp_path, BertForMaskedLM)
    assert report.ok, str(report)
    ours.eval()
    inputs = make_batch(config, 3, 12, padded=padded)
    with torch.no_grad():
        expected = theirs(**inputs).logits
        got = ours(**inputs).logits
    mask = inputs["attention_mask"]
    torch.testing.assert_close(valid(got, mask), valid(expected, mask), **TOL)


@pytest.mark.parametrize("num_labels", [1, 2, 5])
@pytest.mark.parametrize("padded", [False, True])
def test_classification_matches_hf(tmp_path, num_labels, padded):
    config = small_config()
    theirs = hf_model("BertForSequenceClassification", config, num_labels=num_labels)
    theirs.save_pretrained(tmp_path)
    ours, report = load_hf(tmp_path, BertForSequenceClassification)
    assert report.ok, str(report)
    assert ours.num_labels == num_labels
    ours.eval()
    inputs = make_batch(config, 4, 9, padded=padded)  # pairs: token types 0 then 1
    with torch.no_grad():
        expected = theirs(**inputs).logits
        got = ours(**inputs).logits
    torch.testing.assert_close(got, expected, **TOL)
    single = {k: v for k, v in inputs.items() if k != "token_type_ids"}  # single texts
    with torch.no_grad():
        torch.testing.assert_close(ours(**single).logits, theirs(**single).logits, **TOL)


EXPORTS = [
    (BertModel, "AutoModel", {}),
    (BertForPreTraining, "AutoModelForPreTraining", {}),
    (BertForMaskedLM, "AutoModelForMaskedLM", {}),
    (BertForSequenceClassification, "AutoModelForSequenceClassification", {"num_labels": 3}),
]


@pytest.mark.parametrize("ours_cls,auto_name,options", EXPORTS)
def test_export_loads_in_hf_with_same_outputs(tmp_path, ours_cls, auto_name, options):
    config = small_config(hidden_size=48, num_heads=3)
    ours = ours_cls(config, **options)
    perturb_(ours, seed=2)
    ours.eval()
    export_hf(ours, tmp_path)
    auto = getattr(transformers, auto_name)
    theirs, info = auto.from_pretrained(tmp_path, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"], info
    assert not info.get("mismatched_keys"), info
    architecture = json.loads((tmp_path / "config.json").read_text())["architectures"][0]
    assert type(theirs).__name__ == architecture == ours_cls.__name__
    theirs.eval()
    inputs = make_batch(config, 3, 11, padded=True)
    mask = inputs["attention_mask"]
    with torch.no_grad():
        got, expected = ours(**inputs), theirs(**inputs)
    if ours_cls is BertModel:
        pairs = [
            (valid(got.last_hidden_state, mask), valid(expected.last_hidden_state, mask)),
            (got.pooled_output, expected.pooler_output),
        ]
    elif ours_cls is BertForPreTraining:
        pairs = [
            (valid(got.mlm_logits, mask), valid(expected.prediction_logits, mask)),
            (got.nsp_logits, expected.seq_relationship_logits),
        ]
    elif ours_cls is BertForMaskedLM:
        pairs = [(valid(got.logits, mask), valid(expected.logits, mask))]
    else:
        pairs = [(got.logits, expected.logits)]
    for a, b in pairs:
        torch.testing.assert_close(a, b, **TOL)
    with safe_open(tmp_path / "model.safetensors", "pt") as f:
        assert f.metadata() == {"format": "pt"}


def test_round_trip_through_export_is_exact(tmp_path):
    config = small_config()
    ours = BertForPreTraining(config)
    perturb_(ours)
    export_hf(ours, tmp_path)
    back, report = load_hf(tmp_path, BertForPreTraining)
    assert report.ok
    for (name, a), (_, b) in zip(ours.state_dict().items(), back.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
