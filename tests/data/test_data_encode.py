import numpy as np
import pytest

from bert_engine.data.classification import (
    ClassificationCollator,
    Columns,
    LabelVocab,
    encode_examples,
    read_examples,
)
from bert_engine.data.collate import LengthBucketSampler
from bert_engine.data.errors import DataError

tokenizers = pytest.importorskip("bert_engine.tokenizers")


@pytest.fixture(scope="module")
def tok():
    text = ["a small cat sat on the mat", "the dog ran far away", "birds sing in the morning"] * 20
    return tokenizers.WordPieceTokenizer.train(text, vocab_size=100, min_frequency=1)


def test_encode_pairs_types_labels_and_truncation(tmp_path, tok):
    p = tmp_path / "nli.tsv"
    p.write_text(
        "premise\thypothesis\tlabel\n"
        "a small cat sat on the mat\tthe cat sat\tyes\n"
        "the dog ran far away\tbirds sing\tno\n"
        + "".join(f"the dog ran far away {i}\tthe cat\tno\n" for i in range(30))
    )
    ex = read_examples(p, Columns(text="premise", pair="hypothesis"))
    labels = LabelVocab.from_examples(ex)
    ds = encode_examples(ex, tok, labels, max_length=8)
    assert len(ds) == 32 and ds.labels.tolist()[:2] == [1, 0]
    ids, types, y = ds[0]
    want = tok.encode("a small cat sat on the mat", pair="the cat sat", max_length=8)
    assert ids.tolist() == want.ids and types.tolist() == want.type_ids and y == 1
    assert ds.lengths.max() <= 8
    sampler = LengthBucketSampler(ds.lengths, 4, seed=0)
    batch = ClassificationCollator(tok.pad_id)([ds[i] for i in next(iter(sampler))])
    assert batch["input_ids"].shape[1] % 8 == 0
    assert (batch["attention_mask"].sum(1).numpy() == ds.lengths[next(iter(sampler))]).all()


def test_unseen_label_while_encoding_names_the_line(tmp_path, tok):
    train = tmp_path / "t.csv"
    train.write_text("text,label\nthe cat,a\nthe dog,b\n")
    test = tmp_path / "x.csv"
    test.write_text("text,label\nthe bird,c\n")
    labels = LabelVocab.from_examples(read_examples(train))
    with pytest.raises(DataError, match=r"x.csv:2: label 'c' was not seen"):
        encode_examples(read_examples(test), tok, labels)
    assert np.array_equal(
        encode_examples(read_examples(train), tok, labels).labels, np.array([0, 1])
    )
