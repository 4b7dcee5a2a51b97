"""The Runs tab's trash in a real browser (Playwright driving Debian's chromium, issue #13):
choose a run, press Move to trash, read the confirmation (nothing moved yet), Keep it leaves it,
Move to trash + Yes moves it (its row goes, its folder is under <workspace>/trash/), Restore
brings it back. On run folders the real tracker wrote (kit.fixed_runs).

A screenshot of each step goes to the test's temporary folder (its path is printed; with
BERTBENCH_JOURNEY_SHOTS=DIR there too); a failure saves one of the page. Skips without
/usr/bin/chromium unless BERTBENCH_REQUIRE_BROWSER=1, as the other browser tests.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kit.fixed_runs import write_run
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app
from test_journey_failed_upload import pick
from test_web_browser import chromium

from workbench.services import Services

A = "keep-me-20260111T000000Z"
B = "other-20260112T000000Z"


class Steps:
    """A full-page screenshot per step, numbered, in `folder` (and BERTBENCH_JOURNEY_SHOTS)."""

    def __init__(self, page: Any, folder: Path, prefix: str = "trash") -> None:
        self.page, self.n, self.folders, self.prefix = page, 0, [folder], prefix
        if os.environ.get("BERTBENCH_JOURNEY_SHOTS"):
            self.folders.append(Path(os.environ["BERTBENCH_JOURNEY_SHOTS"]))

    def __call__(self, name: str) -> None:
        self.n += 1
        for folder in self.folders:
            folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(
                path=str(folder / f"{self.prefix}-{self.n:02d}-{name}.png"), full_page=True
            )


def test_trash_asks_first_keep_it_leaves_it_restore_brings_it_back(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services = Services(tmp_path / "ws")
    root = services.workspace.root
    write_run(root, "keep-me", 11, 1e-3)
    write_run(root, "other", 12, 3e-3)
    folder, trashed = root / "runs" / A, root / "trash" / A
    shots = tmp_path / "shots"
    print(f"step screenshots: {shots}")
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": 1280, "height": 1100})
        page.set_default_timeout(LIMIT * 1000)
        shot = Steps(page, shots)
        try:
            page.goto(url, wait_until="load")  # not networkidle: the Runs tab's timer polls
            page.get_by_role("tab", name="Runs").click()
            rows = page.locator("#runs-table .virtual-body [role=row]")
            row = rows.filter(has_text=A)
            expect(row).to_have_count(1)
            expect(rows.filter(has_text=B)).to_have_count(1)
            # 1. Choose the run; the organise controls are under the export ones.
            pick(page, "#runs-run", A)
            confirm = page.locator("#runs-trash-confirm")
            page.locator("#runs-trash").scroll_into_view_if_needed()
            expect(confirm).to_be_hidden()
            shot("chosen")

            # 2. Move to trash: a question, nothing moved yet.
            page.locator("#runs-trash").click()
            expect(confirm).to_be_visible()
            expect(confirm).to_contain_text(f"Move {A} to the trash? Nothing is deleted")
            expect(confirm).to_contain_text(f"{root / 'trash'}/")
            expect(page.locator("#runs-trash-yes")).to_be_visible()
            assert folder.is_dir() and not trashed.exists()
            shot("asked")

            # 3. Keep it: the question goes, the run stays.
            page.locator("#runs-trash-keep").click()
            expect(confirm).to_be_hidden()
            expect(row).to_have_count(1)
            assert folder.is_dir() and not trashed.exists()
            expect(page.locator("#runs-organise-status")).to_have_text("")
            shot("kept")

            # 4. Move to trash, Yes: its row goes, its folder is in trash/.
            page.locator("#runs-trash").click()
            expect(confirm).to_be_visible()
            page.locator("#runs-trash-yes").click()
            status = page.locator("#runs-organise-status")
            expect(status).to_contain_text(f"Moved {A} to trash/{A}; Restore brings it back.")
            expect(confirm).to_be_hidden()
            expect(row).to_have_count(0)
            expect(rows.filter(has_text=B)).to_have_count(1)
            assert (trashed / "summary.json").is_file() and not folder.exists()
            expect(page.locator("#runs-trashed input")).to_have_value(A)
            expect(page.locator("#runs-run input")).to_have_value("")
            page.locator("#runs-restore").scroll_into_view_if_needed()
            # The message stays (the Run list's change does not wipe it).
            page.wait_for_timeout(1000)
            expect(status).to_contain_text(f"Moved {A} to trash/{A}")
            shot("trashed")

            # 5. Restore: back in the table and in runs/, chosen again.
            page.locator("#runs-restore").click()
            expect(status).to_contain_text(f"Restored {A} from the trash.")
            expect(row).to_have_count(1)
            assert (folder / "summary.json").is_file() and not trashed.exists()
            expect(page.locator("#runs-run input")).to_have_value(A)
            page.wait_for_timeout(1000)
            expect(status).to_contain_text(f"Restored {A} from the trash.")
            expect(page.get_by_text("Error", exact=True)).to_have_count(0)
            shot("restored")
        except Exception as exc:
            failure = tmp_path / "runs-trash-failure.png"
            page.screenshot(path=str(failure), full_page=True)
            raise AssertionError(f"{exc}\n(screenshot of the page: {failure})") from exc
        finally:
            browser.close()
