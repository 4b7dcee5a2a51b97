from collections import Counter

from bert_engine.data.demo import clean_paragraphs, demo_corpus_path
from bert_engine.data.sources import DemoSource, open_source


def test_clean_paragraphs_keeps_prose_and_drops_code_and_markup():
    doc = """Return the :func:`len` of ``items`` as a number, counting every element.

    >>> count([1, 2])
    2

    :param items: the things
    x = f(1, 2)

    Short line.
    """
    assert clean_paragraphs(doc) == ["Return the len of items as a number, counting every element."]


def test_demo_corpus_is_built_once_and_is_english_prose(tmp_path):
    path = demo_corpus_path(tmp_path)
    mtime = path.stat().st_mtime_ns
    assert demo_corpus_path(tmp_path).stat().st_mtime_ns == mtime  # cached, not rebuilt
    text = path.read_text(encoding="utf-8")
    assert len(text.encode()) > 1_000_000
    assert not any(line.lstrip().startswith(">>>") for line in text.splitlines())
    words = Counter(w.lower() for w in text.split())
    assert {"the", "of", "is", "a", "to"} <= {w for w, _ in words.most_common(10)}
    docs = list(open_source("demo", cache_dir=tmp_path).documents())
    assert len(docs) > 300
    assert docs == list(DemoSource(tmp_path).documents())
