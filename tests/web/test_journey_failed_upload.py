"""Journey "Web journey 4: a failed upload leaves the page usable" (docs/journeys.md), in a real
browser (Playwright driving Debian's chromium): upload a malformed .toml in Presets, see one
message under the upload button and no "Error" badge anywhere, then use the presets table, the
Preset chooser and both Diff choosers as if nothing had happened.

A failure saves a screenshot of the page (its path is in the failure message). Skips without
/usr/bin/chromium unless BERTBENCH_REQUIRE_BROWSER=1, as the other browser tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kit.services import tiny_preset
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app
from test_web_browser import chromium

from workbench.services import Services

if TYPE_CHECKING:
    from playwright.sync_api import Page

BROKEN = 'name = "broken\n[model\nsize = "tiny"\n'  # an unclosed string and table header


def test_a_failed_upload_leaves_the_page_usable(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services = Services(tmp_path / "ws")
    services.presets.save(tiny_preset(tmp_path), "tiny")
    broken = tmp_path / "broken.toml"
    broken.write_text(BROKEN, encoding="utf-8")
    shot = tmp_path / "failed-upload.png"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(LIMIT * 1000)
        try:
            page.goto(url, wait_until="load")  # not networkidle: the Runs tab's timer polls
            table = page.locator("#presets-table")
            expect(table).to_contain_text("tiny")

            # 1. Upload the malformed file: one message, under the upload button.
            with page.expect_file_chooser() as chooser:
                page.locator("#presets-upload").click()
            chooser.value.set_files(str(broken))
            status = page.locator("#presets-file-status")
            expect(status).to_contain_text("upload 'broken.toml'")
            expect(status).to_contain_text("not valid TOML")
            expect(page.get_by_text("not valid TOML")).to_have_count(1)
            # No "Error" badge over the table, the chooser or the Diff choosers.
            expect(page.get_by_text("Error", exact=True)).to_have_count(0)
            assert not (services.workspace.root / "presets" / "broken.toml").exists()

            # 2. The table and the chooser still work: pick `tiny`, it loads.
            expect(table).to_contain_text("quickstart")
            pick(page, "#presets-choice", "tiny")
            page.get_by_role("button", name="Load into the editor").click()
            expect(page.locator("#presets-status")).to_have_text("Loaded tiny into the editor.")
            expect(page.locator("#presets-editor")).to_contain_text("max_steps = 6")

            # 3. So do the Diff choosers.
            page.get_by_text("Diff two presets").click()
            pick(page, "#presets-diff-a", "tiny")
            pick(page, "#presets-diff-b", "mlm-only")
            page.get_by_role("button", name="Diff", exact=True).click()
            expect(page.locator("#presets-diff-status")).to_have_text("")
            diff = page.locator("#presets-diff-table")
            expect(diff).to_contain_text("pretrain.max_steps")  # tiny's 6 against 1000
            expect(diff).to_contain_text("mlm-only")  # the B column is headed by its preset
            expect(page.get_by_text("Error", exact=True)).to_have_count(0)
        except Exception as exc:
            page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"{exc}\n(screenshot of the page: {shot})") from exc
        finally:
            browser.close()


def pick(page: Page, chooser: str, name: str) -> None:
    """Choose `name` in a dropdown as a user does: type it, take the option offered (Enter;
    `name` matches one choice only)."""
    from playwright.sync_api import expect

    box = page.locator(f"{chooser} input")
    box.click()
    box.fill(name)
    box.press("Enter")
    expect(box).to_have_value(name)
