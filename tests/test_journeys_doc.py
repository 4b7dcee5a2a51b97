"""docs/journeys.md and the journey tests stay in step: every test the page names exists and
names its journey back, and every journey test file is named on the page."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "journeys.md"


def named_tests() -> set[str]:
    return set(re.findall(r"`(tests/[\w/]+\.py)`", PAGE.read_text(encoding="utf-8")))


def test_every_named_test_exists_and_names_its_journey() -> None:
    named = named_tests()
    assert len(named) >= 5, named
    headings = re.findall(r"^## (.+)$", PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    for path in sorted(named):
        file = ROOT / path
        assert file.is_file(), f"docs/journeys.md names {path}, which does not exist"
        doc = file.read_text(encoding="utf-8")
        assert "journeys.md" in doc and any(h.split(":")[0] in doc for h in headings), (
            f"{path} does not say which journey of docs/journeys.md it follows"
        )


def test_every_journey_test_is_on_the_page() -> None:
    files = {
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("test_*journey*.py")
        if p.name != Path(__file__).name
    }
    assert files, "no journey tests found"
    missing = files - named_tests()
    assert not missing, f"journey tests docs/journeys.md does not name: {sorted(missing)}"
