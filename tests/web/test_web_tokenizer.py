"""The Tokenizer tab through its API: upload a corpus, train with progress, list, stats,
encode with highlights; bad names and files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from gradio_client import handle_file
from kit.services import sentences, wait_until
from kit.web import WebPanel, refusal, rows


@pytest.fixture(scope="module")
def trained(web: WebPanel, tmp_path_factory: pytest.TempPathFactory) -> str:
    corpus = tmp_path_factory.mktemp("tok") / "stories.txt"
    corpus.write_text("\n".join(sentences(300)) + "\n", encoding="utf-8")
    _, message = web.client.predict(handle_file(corpus), api_name="/tokenizer_upload")
    assert "stories.txt" in message
    assert (web.services.workspace.root / "uploads" / "stories.txt").is_file()
    status, *_ = web.client.predict(
        "wp-web", "stories.txt", "wordpiece", 200, 1, None, False, api_name="/tokenizer_train"
    )
    assert status.startswith("Trained `wp-web`"), status
    return "wp-web"


def test_trained_tokenizer_is_listed_with_stats(web: WebPanel, trained: str) -> None:
    listed = web.client.predict(api_name="/tokenizers_list")
    assert trained in [c[0] if isinstance(c, (list, tuple)) else c for c in listed["choices"]]
    text, lengths = web.client.predict(trained, api_name="/tokenizer_stats")
    stats = web.services.tokenizers.vocab_stats(trained)
    assert f"**{stats.size}** tokens" in text
    counts = {int(r[0]): r[1] for r in rows(lengths)}
    assert counts == stats.length_histogram


def test_encode_highlights_every_token_with_its_id(web: WebPanel, trained: str) -> None:
    sample = "The farmer visits the wooden bridge."
    _, segments, table = web.client.predict(trained, sample, api_name="/tokenizer_encode")
    spans = web.services.tokenizers.encode(trained, sample)
    labelled = [
        (s["token"], s["class_or_confidence"]) for s in segments if s["class_or_confidence"]
    ]
    assert [label for _, label in labelled] == [f"{s.token} · {s.id}" for s in spans]
    # The pieces of real tokens are the input's own characters.
    assert all(
        piece == sample[s.start : s.end]
        for (piece, _), s in zip(labelled, spans, strict=True)
        if not s.special
    )
    assert [r[1] for r in rows(table)] == [s.id for s in spans]


def test_bad_requests_are_refused(web: WebPanel, trained: str, tmp_path: Path) -> None:
    def train(name: str) -> str:
        out = web.client.predict(
            name, "demo", "wordpiece", 200, 1, None, False, api_name="/tokenizer_train"
        )
        return refusal(out)

    assert "contains '..'" in train("../evil")
    assert "already exists" in train(trained)
    refused = web.client.predict("missing", "hello", api_name="/tokenizer_encode")
    assert "no tokenizer" in refusal(refused)
    binary = tmp_path / "blob.txt"
    binary.write_bytes(b"\xff\xfe\x00binary")
    refused = web.client.predict(handle_file(binary), api_name="/tokenizer_upload")
    assert "not UTF-8" in refusal(refused, at=1)
    assert not (web.services.workspace.root / "uploads" / "blob.txt").exists()
    assert not (web.services.workspace.root.parent / "evil").exists()


def test_cancel_stops_a_training(web: WebPanel, tmp_path: Path) -> None:
    # A corpus given as a path on the server, large enough (~1.5 s of training) that the
    # cancel arrives while it reads or merges.
    corpus = web.services.workspace.root / "uploads" / "big.txt"  # inside: the panel confines
    corpus.parent.mkdir(parents=True, exist_ok=True)
    corpus.write_text(
        "\n".join(f"{s} w{i}x{i * 7 % 9973}" for i, s in enumerate(sentences(150_000))),
        encoding="utf-8",
    )
    job = web.client.submit(
        "wp-cancelled",
        str(corpus),
        "wordpiece",
        20000,
        1,
        None,
        False,
        api_name="/tokenizer_train",
    )
    wait_until(lambda: len(job.outputs()) > 0 or job.done())  # the job is registered
    assert "Cancelling" in web.client.predict("wp-cancelled", api_name="/tokenizer_cancel")
    assert job.result()[0] == "Training `wp-cancelled` was cancelled."
    assert not (web.services.workspace.root / "tokenizers" / "wp-cancelled").exists()
    refused = web.client.predict("wp-cancelled", api_name="/tokenizer_cancel")
    assert "is training" in refusal(refused)
