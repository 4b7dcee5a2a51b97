"""bert_engine.files: a failed or finished write never leaves a half file or a temp file."""

from pathlib import Path

import pytest

from bert_engine.files import atomic_write, atomic_write_json, atomic_write_text


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    atomic_write_text(target, "old\n")

    def half_then_crash(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed mid-write"):
        atomic_write(target, half_then_crash)
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


@pytest.mark.parametrize("durable", [True, False])
def test_replaces_content_exactly(tmp_path: Path, durable: bool) -> None:
    target = tmp_path / "data.json"
    atomic_write_text(target, "x" * 1000, durable=durable)
    atomic_write_json(target, {"café": [1, None]}, durable=durable)
    assert target.read_bytes() == b'{\n  "caf\\u00e9": [\n    1,\n    null\n  ]\n}\n'
    atomic_write_text(target, "a\r\nb\n", durable=durable)  # newlines kept as given
    assert target.read_bytes() == b"a\r\nb\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.json"]


def test_nan_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    target = tmp_path / "m.json"
    with pytest.raises(ValueError):
        atomic_write_json(target, {"loss": float("nan")})
    assert not target.exists() and not list(tmp_path.iterdir())
