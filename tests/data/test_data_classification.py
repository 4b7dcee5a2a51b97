import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from bert_engine.data.classification import (
    ClassificationCollator,
    Columns,
    LabelVocab,
    load_classification,
    read_examples,
    split_examples,
)
from bert_engine.data.errors import DataError, DataFileNotFoundError


def shared_data() -> Path:
    env = os.environ.get("BERTBENCH_SHARED_DATA")
    root = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return root


def write_csv(path, rows, header="text,label", sep=","):
    lines = [header] + [sep.join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_tsv_jsonl_with_pairs(tmp_path):
    csv_p = write_csv(tmp_path / "a.csv", [('"good, fine"', "pos"), ("bad", "neg")])
    ex = read_examples(csv_p)
    assert [(e.text, e.label) for e in ex] == [("good, fine", "pos"), ("bad", "neg")]
    assert ex[1].where.endswith("a.csv:3")
    tsv_p = write_csv(tmp_path / "b.tsv", [("a cat", "a dog", "1")], "premise\thypo\ty", "\t")
    cols = Columns(text="premise", pair="hypo", label="y")
    (e,) = read_examples(tsv_p, cols)
    assert (e.text, e.text_pair, e.label) == ("a cat", "a dog", "1")
    jl = tmp_path / "c.jsonl"
    jl.write_text('{"text": "x y", "label": 2}\n\n{"text": "z", "label": 10}\n')
    assert [e.label for e in read_examples(jl)] == ["2", "10"]


def test_errors_name_file_line_and_columns(tmp_path):
    with pytest.raises(DataFileNotFoundError, match="missing.csv does not exist"):
        read_examples(tmp_path / "missing.csv")
    p = write_csv(tmp_path / "a.csv", [("hello", "pos")], header="sentence,label")
    with pytest.raises(DataError, match="no column 'text'; available columns: sentence, label"):
        read_examples(p)
    p = write_csv(tmp_path / "b.csv", [("hello", "pos"), ("  ", "neg")])
    with pytest.raises(DataError, match=r"b.csv:3: empty text in column 'text'"):
        read_examples(p)
    p = write_csv(tmp_path / "c.csv", [("hello", "pos"), ("there", "")])
    with pytest.raises(DataError, match=r"c.csv:3: no label"):
        read_examples(p)
    jl = tmp_path / "d.jsonl"
    jl.write_text('{"text": "a", "label": 1}\n{"txt": "b", "label": 0}\n')
    with pytest.raises(
        DataError, match=r"d.jsonl:2: no column 'text'; available columns: txt, label"
    ):
        read_examples(jl)


def test_label_vocab_order_save_load_and_unseen(tmp_path):
    p = write_csv(tmp_path / "a.csv", [("t", "10"), ("t", "2"), ("t", "1"), ("t", "2")])
    vocab = LabelVocab.from_examples(read_examples(p))
    assert vocab.labels == ["1", "2", "10"]  # numeric labels in numeric order
    vocab.save(tmp_path / "labels.json")
    assert json.loads((tmp_path / "labels.json").read_text()) == {"labels": ["1", "2", "10"]}
    loaded = LabelVocab.load(tmp_path / "labels.json")
    assert [loaded.encode(x) for x in ["1", "2", "10"]] == [0, 1, 2]
    assert loaded.decode(2) == "10"
    with pytest.raises(DataError, match="label '7' was not seen in the training data"):
        loaded.encode("7")
    with pytest.raises(DataError, match="at least 2 labels"):
        LabelVocab(["only"])


def test_unseen_validation_label_names_the_line(tmp_path):
    train = write_csv(tmp_path / "train.csv", [("a", "pos"), ("b", "neg")])
    val = write_csv(tmp_path / "val.csv", [("c", "pos"), ("d", "neutral")])
    with pytest.raises(DataError, match=r"val.csv:3: label 'neutral' was not seen"):
        load_classification(train, val)


def test_seeded_stratified_split(tmp_path):
    rows = [(f"text {i}", "spam" if i % 5 == 0 else "ham") for i in range(500)]
    p = write_csv(tmp_path / "a.csv", rows)
    ex = read_examples(p)
    rest, held = split_examples(ex, 0.2, seed=3)
    assert len(held) == 100 and len(rest) == 400
    assert {e.text for e in rest}.isdisjoint({e.text for e in held})
    assert Counter(e.label for e in held) == {"ham": 80, "spam": 20}
    assert split_examples(ex, 0.2, seed=3)[1] == held
    assert split_examples(ex, 0.2, seed=4)[1] != held
    data = load_classification(p, validation_fraction=0.1, test_fraction=0.2, seed=0)
    assert (len(data.train), len(data.validation), len(data.test)) == (360, 40, 100)
    assert data.labels.labels == ["ham", "spam"]


def test_classification_collator_pads_and_masks():
    rows = [
        (np.array([2, 7, 8, 3], np.int32), np.array([0, 0, 0, 0], np.int8), 1),
        (
            np.array([2, 9, 3, 10, 3, 11, 12, 13, 3], np.int32),
            np.array([0, 0, 0, 1, 1, 1, 1, 1, 1], np.int8),
            0,
        ),
    ]
    batch = ClassificationCollator(pad_id=0)(rows)
    assert batch["input_ids"].shape == (2, 16)
    assert batch["attention_mask"].sum(1).tolist() == [4, 9]
    assert batch["token_type_ids"][1, :9].tolist() == [0, 0, 0, 1, 1, 1, 1, 1, 1]
    assert batch["labels"].tolist() == [1, 0]


def test_shared_rotten_tomatoes_loads():
    root = shared_data() / "rotten-tomatoes"
    if not (root / "train.csv").exists():
        pytest.skip("shared data not present")
    data = load_classification(root / "train.csv", test=root / "test.csv", seed=0)
    assert data.labels.labels == ["negative", "positive"]
    assert len(data.train) + len(data.validation) == 11477 and len(data.test) == 1275
