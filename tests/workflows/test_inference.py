"""Predictor: classification and fill-mask from run directories, checked against the models'
own outputs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from kit.finetune import FILLER, KEYWORDS, tiny_config, write_task

from bert_engine.files import atomic_write_json
from bert_engine.inference import BERT_CONFIG_FILE, Predictor, RunError
from bert_engine.modeling import BertConfig, BertForPreTraining, BertForSequenceClassification
from bert_engine.tokenizers import WordPieceTokenizer, load_tokenizer
from bert_engine.tracking import create_run
from bert_engine.training import CheckpointManager, load_checkpoint
from bert_engine.training.finetune import ClassificationDataSettings, FinetuneSettings, finetune

TEXTS = [
    "the football match and the goal",
    "some bread with cheese in the kitchen for a very long time " * 3,
    "compiler",
]


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("clf")
    task = write_task(tmp / "task.csv", n=90)
    return finetune(
        FinetuneSettings(epochs=2, lr=1e-2, device="cpu", precision="fp32"),
        data=ClassificationDataSettings(train=str(task), batch_size=8, max_seq_len=16),
        runs_dir=tmp / "runs",
        model_config=tiny_config(),
    )


@pytest.fixture(scope="module")
def mlm_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pre-training-style run: tokenizer, BERT config and a checkpoint of BertForPreTraining."""
    tmp = tmp_path_factory.mktemp("mlm")
    texts = [" ".join(FILLER + words) for words in KEYWORDS.values()]
    tok = WordPieceTokenizer.train(texts * 3, vocab_size=120, min_frequency=1)
    run = create_run(tmp / "runs", "pretrain", {"data": {"max_seq_len": 32}})
    tok.save(run / "tokenizer.json")
    config = tiny_config().model_copy(update={"vocab_size": tok.vocab_size})
    atomic_write_json(run / BERT_CONFIG_FILE, config.model_dump(mode="json"))
    torch.manual_seed(0)
    CheckpointManager(run / "checkpoints").save(5, BertForPreTraining(config))
    return run


def test_classify_equals_the_models_eval_outputs(classifier_run: Path) -> None:
    predictor = Predictor.from_run(classifier_run)
    assert predictor.checkpoint is not None
    best = predictor.checkpoint
    assert best.name == (classifier_run / "checkpoints" / "best.json").read_text().split('"')[3]
    predictions = predictor.classify(TEXTS)

    # The same weights loaded independently, each text run alone (no padding), in eval mode.
    config = BertConfig.model_validate_json((classifier_run / BERT_CONFIG_FILE).read_text())
    model = BertForSequenceClassification(config, 3)
    load_checkpoint(best, model)
    model.eval()
    tok = load_tokenizer(classifier_run / "tokenizer.json")
    for text, prediction in zip(TEXTS, predictions, strict=True):
        enc = tok.encode(text, max_length=16)
        with torch.no_grad():
            logits = model(torch.tensor([enc.ids])).logits[0]
        probs = torch.softmax(logits, -1).tolist()
        assert list(prediction.probabilities) == ["food", "sport", "tech"]
        assert list(prediction.probabilities.values()) == pytest.approx(probs, abs=1e-5)
        assert prediction.label == ["food", "sport", "tech"][int(logits.argmax())]
        assert prediction.tokens == enc.tokens
        assert len(prediction.tokens) <= 16  # truncated to the run's max_seq_len
    assert sum(predictions[0].probabilities.values()) == pytest.approx(1.0)


def test_fill_mask_matches_the_mlm_head(mlm_run: Path) -> None:
    predictor = Predictor.from_run(mlm_run, batch_size=2)
    texts = ["the [MASK] was on the [MASK]", "a [MASK] of bread", "cheese [MASK]"]
    results = predictor.fill_mask(texts, top_k=4)
    assert [len(r.masks) for r in results] == [2, 1, 1]
    model = predictor.model
    tok = predictor.tokenizer
    for text, result in zip(texts, results, strict=True):
        enc = tok.encode(text)
        assert result.tokens == enc.tokens
        with torch.no_grad():
            logits = model(torch.tensor([enc.ids])).mlm_logits[0]
        for mask in result.masks:
            assert result.tokens[mask.position] == "[MASK]"
            probs = [c.probability for c in mask.candidates]
            assert len(probs) == 4
            assert probs == sorted(probs, reverse=True)
            assert sum(probs) <= 1.0 + 1e-6
            expected = torch.softmax(logits[mask.position], -1)
            top = expected.topk(4)
            assert [c.token_id for c in mask.candidates] == top.indices.tolist()
            assert probs == pytest.approx(top.values.tolist(), abs=1e-5)
            assert [c.token for c in mask.candidates] == [
                tok.id_to_token(i) for i in top.indices.tolist()
            ]


def test_fill_mask_takes_the_mask_in_any_case(mlm_run: Path) -> None:
    predictor = Predictor.from_run(mlm_run)
    typed, exact = predictor.fill_mask(["a [mask] of [Mask] bread", "a [MASK] of [MASK] bread"])
    assert typed.tokens == exact.tokens and typed.text == exact.text
    assert [m.position for m in typed.masks] == [m.position for m in exact.masks]
    assert len(typed.masks) == 2
    assert [c.token_id for c in typed.masks[0].candidates] == [
        c.token_id for c in exact.masks[0].candidates
    ]


def test_errors(tmp_path: Path, classifier_run: Path, mlm_run: Path) -> None:
    with pytest.raises(RunError, match="does not exist"):
        Predictor.from_run(tmp_path / "nope")
    with pytest.raises(RunError, match="no checkpoints/ folder"):
        Predictor.from_run(tmp_path)
    with pytest.raises(RunError, match="not a fine-tuned classifier"):
        Predictor.from_run(mlm_run).classify(["hello"])
    with pytest.raises(RunError, match="without a masked-LM head"):
        Predictor.from_run(classifier_run).fill_mask(["the [MASK]"])
    with pytest.raises(RunError, match=r"text 2 has no \[MASK\]"):
        Predictor.from_run(mlm_run).fill_mask(["the [MASK]", "no mask here"])
    with pytest.raises(RunError, match="no checkpoint 'step-9'"):
        Predictor.from_run(mlm_run, checkpoint="step-9")
    predictor = Predictor.from_run(classifier_run)
    with pytest.raises(ValueError, match="text 1 is empty"):
        predictor.classify(["  "])
    with pytest.raises(TypeError, match="list of texts"):
        predictor.classify("a single string")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="1 text pairs for 2 texts"):
        predictor.classify(["a", "b"], pairs=["c"])
    # A truncated model file is reported with its path, not a crash.
    broken = mlm_run.parent / "broken"
    shutil.copytree(mlm_run, broken)
    weights = broken / "checkpoints" / "step-000005" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(RunError, match="model.safetensors: cannot read the weights"):
        Predictor.from_run(broken)


def test_attention_of_a_text_for_a_classifier_and_a_pretraining_run(
    classifier_run: Path, mlm_run: Path
) -> None:
    for run in (classifier_run, mlm_run):
        predictor = Predictor.from_run(run)
        seen = predictor.attention("the cat sat on the mat")
        enc = predictor.tokenizer.encode("the cat sat on the mat")
        assert seen.tokens == enc.tokens
        n = len(enc.tokens)
        config = predictor.model.config
        assert tuple(seen.probabilities.shape) == (config.num_layers, config.num_heads, n, n)
        with torch.no_grad():
            direct = predictor.model.bert.attentions(torch.tensor([enc.ids]))
        torch.testing.assert_close(seen.probabilities[-1], direct[-1][0])
        row = seen.row(0, None, 0)
        assert len(row) == n and sum(row) == pytest.approx(1.0, abs=1e-5)
        last = config.num_layers - 1
        assert seen.row(last, 0, 2) == pytest.approx(seen.probabilities[last, 0, 2].tolist())


def test_neighbours_find_a_planted_twin_and_match_a_hand_cosine(mlm_run: Path) -> None:
    predictor = Predictor.from_run(mlm_run)
    tok = predictor.tokenizer
    word = next(w for w in FILLER if len(tok.encode(w, add_special_tokens=False).ids) == 1)
    a = tok.encode(word, add_special_tokens=False).ids[0]
    twin = next(i for i in range(tok.vocab_size - 1, 0, -1) if tok.id_to_token(i) != word)
    table = predictor.model.bert.embeddings.word.weight
    with torch.no_grad():
        table[twin] = table[a] * 3.0 + 1e-4  # same direction: cosine ~1
    found = predictor.neighbours(word, k=5)
    assert found[0].token_id == twin and found[0].similarity == pytest.approx(1.0, abs=1e-3)
    assert [n.similarity for n in found] == sorted((n.similarity for n in found), reverse=True)
    specials = {tok.token_to_id(t) for t in tok.special_tokens}
    assert a not in {n.token_id for n in found} and not specials & {n.token_id for n in found}
    weights = table.detach()
    expected = torch.nn.functional.cosine_similarity(weights, weights[a][None], dim=1)
    for n in found:
        assert n.similarity == pytest.approx(float(expected[n.token_id]), abs=1e-5)


def test_contextual_neighbours_average_the_final_states_over_the_sample(mlm_run: Path) -> None:
    predictor = Predictor.from_run(mlm_run)
    tok = predictor.tokenizer
    texts = [" ".join(FILLER + words) for words in KEYWORDS.values()]
    word = next(w for w in FILLER if len(tok.encode(w, add_special_tokens=False).ids) == 1)
    found = predictor.contextual_neighbours(word, texts, k=4, min_count=1)
    assert len(found) == 4
    # By hand: each token's mean final hidden state over its occurrences.
    states: dict[int, list[torch.Tensor]] = {}
    with torch.no_grad():
        for text in texts:
            enc = tok.encode(text, max_length=predictor.max_length)
            hidden = predictor.model.bert.encode(torch.tensor([enc.ids])).padded()[0]
            for position, token_id in enumerate(enc.ids):
                states.setdefault(token_id, []).append(hidden[position])
    means = {i: torch.stack(v).mean(0) for i, v in states.items()}
    a = tok.encode(word, add_special_tokens=False).ids[0]
    for n in found:
        cos = torch.nn.functional.cosine_similarity(means[n.token_id], means[a], dim=0)
        assert n.similarity == pytest.approx(float(cos), abs=1e-4)
    with pytest.raises(ValueError, match="does not occur"):
        predictor.contextual_neighbours("zebra", ["no such animal here"], k=3)
