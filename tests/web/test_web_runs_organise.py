"""Journey 5 (docs/journeys.md), the web steps: the Runs tab organises runs through its API
(issue #13 item 7): search, notes and tags, rename, move to the trash (after a confirmation
step) and restore; start and duration columns. On run folders the real tracker wrote
(kit.fixed_runs), apart from the shared finished runs."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from kit.fixed_runs import write_run
from kit.web import WebPanel, refusal, rows

from workbench.services.live import RUN_COLUMNS

A = "org-a-20260111T000000Z"
B = "org-b-20260112T000000Z"


@pytest.fixture
def two(web: WebPanel) -> Iterator[WebPanel]:
    root = web.services.workspace.root
    write_run(root, "org-a", 11, 1e-3)
    write_run(root, "org-b", 12, 3e-3)
    yield web
    for name in (A, B, "org-renamed"):
        for folder in (root / "runs" / name, root / "trash" / name):
            shutil.rmtree(folder, ignore_errors=True)


def listed(web: WebPanel, query: str) -> dict[str, dict[str, str]]:
    table, status = web.client.predict(query, api_name="/runs_search")
    assert status == ""
    return {r[0]: dict(zip(RUN_COLUMNS, r, strict=True)) for r in rows(table)}


def test_search_and_the_start_and_duration_columns(two: WebPanel) -> None:
    found = listed(two, "org-")
    assert set(found) == {A, B}
    assert found[A]["started"] == "2026-01-11 01:00" and found[A]["duration"] == "45s"
    assert set(listed(two, "ORG-B finished")) == {B}
    assert listed(two, "org- status:running") == {}


def test_notes_and_tags_are_saved_shown_and_searched(two: WebPanel) -> None:
    client = two.client
    said, table = client.predict(A, "good, sweep", "épreuve ✓", "", api_name="/runs_meta_save")
    assert said == f"Saved the notes and tags of `{A}` (2 tags)."
    stored = json.loads((two.services.runs.path(A) / "meta.json").read_text("utf-8"))
    assert stored == {"tags": ["good", "sweep"], "notes": "épreuve ✓"}
    tags, notes, status, new_name = client.predict(A, api_name="/runs_meta")
    assert (tags, notes, status, new_name) == ("good sweep", "épreuve ✓", "", A)
    assert set(listed(two, "tag:sweep épreuve")) == {A}
    assert listed(two, "org-")[A]["tags"] == "good sweep"
    out = client.predict(A, "a/b", "", "", api_name="/runs_meta_save")
    assert "'a/b' may hold only letters" in refusal(out)


def test_rename_refuses_bad_names_and_clashes(two: WebPanel) -> None:
    client = two.client
    assert "contains '..'" in refusal(client.predict(A, "../../etc", "", api_name="/runs_rename"))
    assert "already exists" in refusal(client.predict(A, B, "", api_name="/runs_rename"))
    out = client.predict(A, "org-renamed", "", api_name="/runs_rename")
    assert out[0] == f"Renamed `{A}` to `org-renamed`."
    assert "org-renamed" in {r[0] for r in rows(out[1])}
    assert (
        out[4] == "org-renamed"
    )  # the rename box follows (the Run list's change keeps the message)
    assert (two.services.workspace.runs_dir / "org-renamed" / "summary.json").is_file()


def test_trash_needs_a_confirmation_and_restore_brings_it_back(two: WebPanel) -> None:
    client = two.client
    trash = two.services.workspace.root / "trash"
    client.predict(A, "kept", "across the trash", "", api_name="/runs_meta_save")
    out = client.predict(A, "", api_name="/runs_trash")
    assert out[0] == f"Moved `{A}` to `trash/{A}`; **Restore** brings it back."
    assert tuple(out[5:]) == ("", "", "")  # no run chosen: tags, notes, rename box empty
    assert (trash / A / "summary.json").is_file() and A not in listed(two, "org-")
    out = client.predict(A, "", api_name="/runs_restore")
    assert out[0] == f"Restored `{A}` from the trash."
    assert tuple(out[5:]) == ("kept", "across the trash", A)  # chosen again, with its notes
    assert A in listed(two, "org-") and not (trash / A).exists()
    assert "no run 'nothing' in the trash" in refusal(
        client.predict("nothing", "", api_name="/runs_restore")
    )
