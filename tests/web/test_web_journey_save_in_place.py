"""Journey 3 in the browser (docs/journeys.md, "Journey 3: edit, save in place, reload, diff",
section "In the web panel"), Playwright driving Debian's chromium: duplicate a bundled preset
under a typed name, edit a field in the form, Save in place, reload the page and load it again,
diff it against the bundled origin; Save on a bundled preset is refused beside the button.

A failure saves a screenshot of the page (its path is in the failure message). Skips without
/usr/bin/chromium unless BERTBENCH_REQUIRE_BROWSER=1, as the other browser tests.
"""

from __future__ import annotations

from pathlib import Path

import tomllib
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app
from test_journey_failed_upload import pick
from test_web_browser import chromium

from workbench.services import Services


def test_edit_save_in_place_reload_diff(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services = Services(tmp_path / "ws")
    saved = services.workspace.root / "presets" / "my-quick.toml"
    shot = tmp_path / "save-in-place.png"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(LIMIT * 1000)
        try:
            page.goto(url, wait_until="load")  # not networkidle: the Runs tab's timer polls
            expect(page.locator("#presets-table")).to_contain_text("quickstart")
            # Save on the bundled quickstart (in the editor at start): refused beside Save.
            page.locator("#presets-save-here").click()
            here = page.locator("#presets-here-status")
            expect(here).to_contain_text("bundled preset and cannot be changed")
            expect(here).to_contain_text("Save as")
            # 1. Duplicate quickstart as my-quick, load it.
            pick(page, "#presets-choice", "quickstart")
            page.locator("#presets-new-name input, #presets-new-name textarea").fill("my-quick")
            page.locator("#presets-duplicate").click()
            status = page.locator("#presets-status")
            expect(status).to_contain_text("Copied quickstart to my-quick")
            expect(page.locator("#presets-choice input")).to_have_value("my-quick")
            page.get_by_role("button", name="Load into the editor").click()
            expect(status).to_have_text("Loaded my-quick into the editor.")
            expect(page.locator("#presets-loaded textarea, #presets-loaded input")).to_have_value(
                "my-quick"
            )
            # 2. Edit a field in the form: the TOML follows.
            page.get_by_role("button", name="[pretrain]").click()
            steps = page.get_by_label("pretrain.max_steps", exact=True)
            steps.fill("777")
            steps.press("Tab")
            expect(page.locator("#presets-editor")).to_contain_text("max_steps = 777")
            # 3. Save in place.
            page.locator("#presets-save-here").click()
            expect(here).to_contain_text("Saved my-quick.toml in place")
            assert tomllib.loads(saved.read_text())["pretrain"]["max_steps"] == 777
            assert "# Dropout only slows" in saved.read_text()
            # 4. Reload the page, load my-quick again: the value is there.
            page.reload(wait_until="load")
            pick(page, "#presets-choice", "my-quick")
            page.get_by_role("button", name="Load into the editor").click()
            expect(page.locator("#presets-status")).to_have_text("Loaded my-quick into the editor.")
            expect(page.locator("#presets-editor")).to_contain_text("max_steps = 777")
            # 5. Diff against the bundled origin: the name and exactly that field.
            page.get_by_text("Diff two presets").click()
            pick(page, "#presets-diff-a", "my-quick")
            # Type as a user does (key by key: the list filters on each key), then click the
            # exact option in B's own list (A's list stays in the page).
            box = page.locator("#presets-diff-b input")
            box.click()
            box.fill("")
            box.press_sequentially("quickstart")
            options = page.locator("#presets-diff-b").get_by_role("listbox").get_by_role("option")
            # Both names containing the text are offered, the exact one first (exact_first):
            # Enter would take it too (step 6).
            expect(options).to_have_count(2)
            assert options.all_inner_texts() == ["quickstart", "classify-quickstart"]
            options.and_(page.get_by_role("option", name="quickstart", exact=True)).click()
            expect(box).to_have_value("quickstart")
            page.get_by_role("button", name="Diff", exact=True).click()
            diff = page.locator("#presets-diff-table")
            expect(diff).to_contain_text("pretrain.max_steps")
            expect(diff).to_contain_text("777")
            # The data rows (not the header, nor the hidden sizing row): name, pretrain.max_steps.
            expect(diff.locator(".virtual-body [role=row]")).to_have_count(2)
            expect(page.get_by_text("Error", exact=True)).to_have_count(0)
            page.screenshot(path=str(tmp_path / "journey3.png"), full_page=False)
            # 6. Typing a name and Enter takes that name, not a longer one containing it
            # (classify-quickstart, bert-base-gpu-512 come first in the bundled order).
            for name in ("quickstart", "bert-base-gpu", "my-quick"):
                pick(page, "#presets-choice", name)
        except Exception as exc:
            page.screenshot(path=str(shot), full_page=True)
            raise AssertionError(f"{exc}\n(screenshot of the page: {shot})") from exc
        finally:
            browser.close()
