"""Tokenizers through the service: background training with progress and cancel, offsets for
highlighting, vocabulary statistics. Real training on a few hundred generated sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from kit.services import sentences, write_corpus

from workbench.services import TokenizerJob, TokenizerService, Workspace, WorkspaceError


@pytest.fixture()
def service(tmp_path: Path) -> TokenizerService:
    return TokenizerService(Workspace(tmp_path / "ws"))


def test_train_reports_progress_and_saves_in_the_workspace(service: TokenizerService) -> None:
    seen: list[tuple[str, int, int]] = []
    job = service.train(
        "wp",
        sentences(300),
        vocab_size=150,
        min_frequency=1,
        on_progress=lambda j: seen.append((j.stage, j.current, j.total)),
    )
    assert job.wait(60) == "finished", job.error
    assert job.path == service.workspace.root / "tokenizers" / "wp" / "tokenizer.json"
    assert seen and all(0 <= cur <= max(tot, cur) for _, cur, tot in seen)
    entry = service.list()[0]
    assert (entry.name, entry.kind) == ("wp", "wordpiece")
    assert entry.vocab_size == service.load("wp").vocab_size
    with pytest.raises(WorkspaceError, match="already exists"):
        service.train("wp", sentences(10))


def test_training_from_a_corpus_file_and_the_upload_area(service: TokenizerService) -> None:
    upload = service.workspace.area("uploads") / "corpus.txt"
    write_corpus(upload)
    job = service.train("bpe", "corpus.txt", kind="bpe", vocab_size=300, min_frequency=1)
    assert job.wait(60) == "finished", job.error
    assert service.load("bpe").vocab_size <= 300


def test_cancel_stops_training_and_writes_nothing(service: TokenizerService) -> None:
    def cancel_at_once(job: TokenizerJob) -> None:
        job.cancel()

    job = service.train("gone", sentences(300), vocab_size=150, on_progress=cancel_at_once)
    assert job.wait(60) == "cancelled"
    assert not (service.workspace.area("tokenizers") / "gone").exists()
    assert service.list() == []


def test_bad_names_never_start_training(service: TokenizerService) -> None:
    for bad in ("../x", "/abs", "a/b", ""):
        with pytest.raises(WorkspaceError):
            service.train(bad, sentences(10))


def test_encode_gives_offsets_into_the_text(service: TokenizerService) -> None:
    assert service.train("wp", sentences(300), vocab_size=150, min_frequency=1).wait(60)
    text = "The Teacher watches a paper boat near the lake."
    spans = service.encode("wp", text)
    assert spans[0].token == "[CLS]" and spans[0].special
    assert spans[-1].token == "[SEP]" and spans[-1].special
    words = [s for s in spans if not s.special]
    assert words
    for span in words:
        piece = span.token.removeprefix("##")
        assert text[span.start : span.end].lower() == piece or span.token == "[UNK]"
    # Spans follow the text left to right without overlapping.
    assert all(a.end <= b.start for a, b in zip(words, words[1:], strict=False))
    tok = service.load("wp")
    assert [s.id for s in spans] == tok.encode(text).ids


def test_vocab_stats(service: TokenizerService) -> None:
    assert service.train("wp", sentences(300), vocab_size=150, min_frequency=1).wait(60)
    assert service.train("bpe", sentences(300), kind="bpe", vocab_size=400).wait(60)
    wp, bpe = service.vocab_stats("wp"), service.vocab_stats("bpe")
    vocab = service.load("wp").get_vocab()
    assert wp.size == len(vocab)
    assert set(wp.specials) == {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}
    assert sum(wp.length_histogram.values()) == wp.size - len(wp.specials)
    assert 0 < wp.continuation_share < 1 and wp.word_start_share == 0
    assert 0 < bpe.word_start_share < 1 and bpe.continuation_share == 0
    lengths = [len(t.removeprefix("##")) for t in wp.longest]
    assert lengths == sorted(lengths, reverse=True)
    assert lengths[0] == max(wp.length_histogram)
