"""Loading HF checkpoint folders (reports, errors, .bin) and exporting tokenizers with a model."""

from __future__ import annotations

import json

import pytest
import torch
from kit.modeling import make_batch, perturb_, small_config
from safetensors.torch import load_file, save_file

from bert_engine.modeling import (
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
)
from bert_engine.modeling.hf import export_hf, load_hf

transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

TEXTS = [
    "the cat sat on the mat",
    "a dog chased the cat around the garden",
    "Bright stars shine over quiet hills at night",
    "the garden was quiet and the stars were bright",
] * 5


def test_pretraining_checkpoint_into_classifier_reports_new_and_unused(tmp_path):
    export_hf(BertForPreTraining(small_config()), tmp_path)
    model, report = load_hf(tmp_path, BertForSequenceClassification, num_labels=3)
    assert sorted(m.split(" ")[0] for m in report.missing) == [
        "classifier.dense.bias",
        "classifier.dense.weight",
    ]
    assert report.unexpected == sorted(
        [
            "cls.predictions.bias",
            "cls.predictions.transform.LayerNorm.bias",
            "cls.predictions.transform.LayerNorm.weight",
            "cls.predictions.transform.dense.bias",
            "cls.predictions.transform.dense.weight",
            "cls.seq_relationship.bias",
            "cls.seq_relationship.weight",
        ]
    )
    assert "2 weights missing" in str(report) and "7 checkpoint weights not used" in str(report)
    with pytest.raises(ValueError, match="does not match BertForSequenceClassification"):
        load_hf(tmp_path, BertForSequenceClassification, strict=True)


def test_backbone_missing_layer_weights_are_reported(tmp_path):
    export_hf(BertModel(small_config()), tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    del state["encoder.layer.1.attention.self.key.weight"]
    save_file(state, tmp_path / "model.safetensors", metadata={"format": "pt"})
    _, report = load_hf(tmp_path, BertModel)
    assert report.missing == [
        "encoder.layers.1.attention.qkv.weight (HF encoder.layer.1.attention.self.key.weight)"
    ]


def test_pytorch_bin_and_tf_style_names_load(tmp_path):
    config = small_config()
    source = BertForMaskedLM(config)
    perturb_(source)
    export_hf(source, tmp_path)
    state = load_file(tmp_path / "model.safetensors")
    # Old checkpoints: LayerNorm gamma/beta, and an explicit (tied) decoder weight and bias.
    state = {k.replace("LayerNorm.weight", "LayerNorm.gamma"): v for k, v in state.items()}
    state = {k.replace("LayerNorm.bias", "LayerNorm.beta"): v for k, v in state.items()}
    state["cls.predictions.decoder.weight"] = state["bert.embeddings.word_embeddings.weight"]
    state["cls.predictions.decoder.bias"] = state["cls.predictions.bias"]
    (tmp_path / "model.safetensors").unlink()
    torch.save(state, tmp_path / "pytorch_model.bin")
    model, report = load_hf(tmp_path, BertForMaskedLM)
    assert report.ok, str(report)
    for (name, a), b in zip(source.state_dict().items(), model.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_pickled_code_in_bin_is_refused(tmp_path):
    export_hf(BertModel(small_config()), tmp_path)
    (tmp_path / "model.safetensors").unlink()
    torch.save({"weights": torch.zeros(1), "evil": print}, tmp_path / "pytorch_model.bin")
    with pytest.raises(ValueError, match="refused to load: it refers to print"):
        load_hf(tmp_path, BertModel)


def test_folder_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_hf(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match="config.json is missing"):
        load_hf(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "bert", "hidden_act": "relu"}))
    with pytest.raises(ValueError, match="hidden_act"):
        load_hf(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps(small_config().to_hf_dict()))
    with pytest.raises(FileNotFoundError, match="neither model.safetensors"):
        load_hf(tmp_path)


def test_shape_mismatch_with_config_is_an_error(tmp_path):
    export_hf(BertModel(small_config()), tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["intermediate_size"] = 64
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="weight shapes do not match"):
        load_hf(tmp_path, BertModel)


def test_config_validation_and_sizes():
    assert BertConfig.from_size("base").intermediate_size == 3072
    assert BertConfig.from_size("tiny").num_layers == 2
    with pytest.raises(ValueError, match="divisible by num_heads"):
        BertConfig(hidden_size=100, num_heads=12)
    with pytest.raises(ValueError, match="unknown BERT size"):
        BertConfig.from_size("huge")
    with pytest.raises(ValueError):
        BertConfig(num_layers=0)
    with pytest.raises(ValueError, match="pad_token_id"):
        BertConfig(vocab_size=10, pad_token_id=10)


def test_labels_names_round_trip(tmp_path):
    model = BertForSequenceClassification(small_config(), 2, label_names=["ham", "spam"])
    export_hf(model, tmp_path)
    back, report = load_hf(tmp_path, BertForSequenceClassification)
    assert report.ok and back.label_names == ["ham", "spam"]
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path)
    assert theirs.config.id2label == {0: "ham", 1: "spam"}


def wordpiece_tokenizer(vocab_size: int):
    tok = tokenizers.BertWordPieceTokenizer(lowercase=True)
    tok.train_from_iterator(
        TEXTS, vocab_size=vocab_size, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    )
    return tok._tokenizer  # the plain `tokenizers.Tokenizer`, like what our façade saves


def bpe_tokenizer(vocab_size: int):
    tok = tokenizers.Tokenizer(tokenizers.models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = tokenizers.decoders.ByteLevel()
    trainer = tokenizers.trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
        initial_alphabet=tokenizers.pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(TEXTS, trainer)
    tok.post_processor = tokenizers.processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
    )
    return tok


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_export_with_tokenizer_loads_in_auto_tokenizer(tmp_path, kind):
    tok = wordpiece_tokenizer(120) if kind == "wordpiece" else bpe_tokenizer(300)
    config = small_config(vocab_size=tok.get_vocab_size())
    model = BertForSequenceClassification(config, 2)
    perturb_(model)
    model.eval()
    export_hf(model, tmp_path, tokenizer=tok)
    files = {p.name for p in tmp_path.iterdir()}
    expected = {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
    }
    assert expected | ({"vocab.txt"} if kind == "wordpiece" else set()) == files
    specials = json.loads((tmp_path / "special_tokens_map.json").read_text())
    assert specials == {
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "mask_token": "[MASK]",
    }
    if kind == "wordpiece":
        lines = (tmp_path / "vocab.txt").read_text().splitlines()
        assert lines[:5] == ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        assert len(lines) == tok.get_vocab_size()
    auto_tok = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert auto_tok.pad_token == "[PAD]" and auto_tok.mask_token_id == 4
    pair = ("The cat sat quietly", "stars over the garden")
    ours_ids = tok.encode(*pair).ids
    assert auto_tok(*pair)["input_ids"] == ours_ids
    theirs = transformers.AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    batch = auto_tok([pair[0], TEXTS[1]], [pair[1], TEXTS[2]], padding=True, return_tensors="pt")
    with torch.no_grad():
        expected_logits = theirs(**batch).logits
        got = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]).logits
    torch.testing.assert_close(got, expected_logits, atol=1e-5, rtol=1e-5)


def test_export_refuses_a_tokenizer_without_save(tmp_path):
    with pytest.raises(TypeError, match="save\\(path\\)"):
        export_hf(BertModel(small_config()), tmp_path, tokenizer=object())


def test_export_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    model = BertModel(small_config())
    export_hf(model, tmp_path)
    export_hf(model, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "model.safetensors"]


def test_padded_batch_of_pairs_gives_same_logits_as_each_alone():
    """Padding must not leak into real tokens: each row padded equals the row unpadded."""
    config = small_config()
    model = BertForSequenceClassification(config, 2)
    perturb_(model)
    model.eval()
    inputs = make_batch(config, 4, 12, padded=True, seed=9)
    with torch.no_grad():
        batched = model(**inputs).logits
        for row in range(4):
            n = int(inputs["attention_mask"][row].sum())
            alone = {k: v[row : row + 1, :n] for k, v in inputs.items()}
            torch.testing.assert_close(model(**alone).logits[0], batched[row])


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_export_with_our_tokenizer_facade(tmp_path, kind):
    facade = pytest.importorskip("bert_engine.tokenizers")
    cls = facade.WordPieceTokenizer if kind == "wordpiece" else facade.BpeTokenizer
    tok = cls.train(TEXTS, vocab_size=150 if kind == "wordpiece" else 320, min_frequency=1)
    model = BertForMaskedLM(small_config(vocab_size=tok.vocab_size))
    export_hf(model, tmp_path, tokenizer=tok)
    assert (tmp_path / "vocab.txt").exists() == (kind == "wordpiece")
    auto_tok = transformers.AutoTokenizer.from_pretrained(tmp_path)
    assert auto_tok.mask_token == "[MASK]" and auto_tok.mask_token_id == tok.mask_id
    pair = ("The cat sat quietly", "stars over the garden")
    assert auto_tok(*pair)["input_ids"] == list(tok.encode(pair[0], pair=pair[1]).ids)
    theirs, info = transformers.AutoModelForMaskedLM.from_pretrained(
        tmp_path, output_loading_info=True
    )
    assert not info["missing_keys"] and not info["unexpected_keys"]
