"""The Train tab's own-data block and Try's file classification through the API (what the
page's widgets call): an upload is kept in uploads/ and described, bad files are said in the
block's own line, columns are recounted, and Try refuses what it cannot classify."""

from __future__ import annotations

from pathlib import Path

from gradio_client import handle_file
from kit.services import write_labelled
from kit.web import UPLOAD_LIMIT, WebPanel, refusal, rows


def test_upload_describes_the_file_and_picks_columns(web: WebPanel, tmp_path: Path) -> None:
    source = write_labelled(tmp_path / "topics.csv", n=20)
    out = web.client.predict(
        handle_file(source), "tiny", "pre-training", api_name="/train_data_upload"
    )
    text, pair, label, summary, preview, counts, preset, kind = out
    assert text["value"] == "text" and label["value"] == "label" and pair["value"] == "(none)"
    assert text["choices"] == [["text", "text"], ["label", "label"]]
    assert "topics.csv" in summary and "20 rows, 2 columns" in summary
    assert "2 labels in *label*" in summary
    assert sorted(rows(counts)) == [["animals", 10], ["food", 10]]
    preview = preview.get("value", preview)  # an update of the table: its value
    assert preview["headers"] == ["text", "label"] and len(rows(preview)) == 5
    # The tiny preset has no [classification]: the data preset and kind are picked.
    assert preset["value"] == "finetune-csv" and kind["value"] == "fine-tuning"
    stored = web.services.workspace.root / "uploads" / "topics.csv"
    assert stored.read_bytes() == source.read_bytes()
    # Another label column: recounted (the picks are kept in the session for Start).
    summary, counts = web.client.predict("label", "(none)", "text", api_name="/train_data_columns")
    assert "20 labels in *text*" in summary and len(rows(counts)) == 20
    summary, counts = web.client.predict("text", "(none)", "label", api_name="/train_data_columns")
    assert "2 labels in *label*" in summary and len(rows(counts)) == 2


def test_bad_uploads_are_said_in_the_block(web: WebPanel, tmp_path: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"text,label\ncaf\xe9,a\n")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"text,label\n")
    big = tmp_path / "big.csv"
    big.write_bytes(b"text,label\n" + b"x,a\n" * (UPLOAD_LIMIT // 4 + 10))
    for path, expected in ((latin, "not UTF-8"), (empty, "no rows under the header")):
        out = web.client.predict(
            handle_file(path), "tiny", "pre-training", api_name="/train_data_upload"
        )
        summary = out[3]
        assert summary.startswith("✗ ") and expected in summary, summary
        assert out[0]["choices"] == []  # no columns offered for a file that cannot be used
    try:
        out = web.client.predict(
            handle_file(big), "tiny", "pre-training", api_name="/train_data_upload"
        )
    except Exception as exc:  # gradio itself refuses files above max_file_size
        assert "size" in str(exc).lower() or "large" in str(exc).lower(), exc
    else:
        assert "the limit is" in out[3]


def test_try_classify_file_needs_a_classifier(web: WebPanel, tmp_path: Path) -> None:
    source = write_labelled(tmp_path / "to-classify.csv", n=4)
    summary, _, download = web.client.predict(
        None, handle_file(source), api_name="/try_classify_file"
    )
    assert summary.startswith("✗ pick a fine-tuned run") and download is None
    summary, _, download = web.client.predict(
        "no-such-run", handle_file(source), api_name="/try_classify_file"
    )
    assert summary.startswith("✗ ") and "no-such-run" in summary and download is None


def test_finetuning_a_preset_whose_file_is_missing_is_refused_before_it_starts(
    web: WebPanel,
) -> None:
    from gradio_client import Client

    client = Client(web.url, verbose=False)  # a fresh session: no data file uploaded
    try:
        before = len(web.services.manager.runs())
        out = client.predict("finetune-csv", "fine-tuning", "", "", api_name="/train_start")
        assert "train.csv, does not exist: upload your data file" in refusal(out, at=-1)
        assert len(web.services.manager.runs()) == before  # nothing started
    finally:
        client.close()
