"""The panel on a 400 px wide page (a phone; issue #13), in a real browser (Playwright driving
Debian's chromium): the Train tab's two charts one below the other, each the whole width with
nothing sticking out (legends included), the chart controls and the run chooser one per line;
the Runs table keeps its columns and scrolls sideways inside its box; the page itself never
scrolls sideways. On a tiny real run started from the page and a run folder the real tracker
wrote (kit.fixed_runs).

Screenshots of both tabs go to the test's temporary folder (its path is printed; with
BERTBENCH_JOURNEY_SHOTS=DIR there too). Skips without /usr/bin/chromium unless
BERTBENCH_REQUIRE_BROWSER=1, as the other browser tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from kit.fixed_runs import write_run
from kit.services import tiny_preset
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app
from test_web_browser import chromium
from test_web_runs_trash_browser import Steps

from workbench.services import Services

WIDTH = 400
FIXED = "fixed-20260111T000000Z"


def open_tab(page: Any, name: str) -> None:
    """Click a tab; on a narrow page the last ones are behind the "More tabs" button."""
    tab = page.get_by_role("tab", name=name)
    if tab.count():
        tab.click()
        return
    page.get_by_role("button", name="More tabs").click()
    page.locator(".overflow-dropdown button", has_text=name).click()


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not shown"
    return found


def within_the_page(found: dict[str, float], what: str) -> None:
    assert found["x"] >= 0 and found["x"] + found["width"] <= WIDTH + 0.5, (what, found)


def no_sideways_scroll(page: Any) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= WIDTH


def test_a_400_px_page_stacks_the_charts_and_scrolls_the_runs_table(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services = Services(tmp_path / "ws")
    services.presets.save(tiny_preset(tmp_path), "tiny")
    write_run(services.workspace.root, "fixed", 11, 1e-3)
    shots = tmp_path / "shots"
    print(f"screenshots: {shots}")
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": WIDTH, "height": 900})
        page.set_default_timeout(LIMIT * 1000)
        shot = Steps(page, shots, "narrow")
        try:
            page.goto(url, wait_until="load")  # not networkidle: the Runs tab's timer polls
            open_tab(page, "Train")
            preset = page.locator("#train-preset input")
            preset.click()
            preset.fill("tiny")
            preset.press("Enter")
            expect(preset).to_have_value("tiny")
            page.locator("#train-start").click()
            status = page.locator("#train-status textarea")
            expect(status).to_have_value(re.compile(r"tiny-\d{8}T\d{6}Z: finished"))
            for chart in ("#train-loss-plot", "#train-metric-plot"):
                expect(page.locator(f"{chart} canvas")).to_have_count(1)
            # The toasts (started, and the run's end) read and closed: they cover the top.
            ended = page.get_by_test_id("toast-text").filter(has_text=" finished · ")
            expect(ended).to_have_count(1)
            closers = page.get_by_test_id("toast-close")
            while closers.count():
                closers.first.click()
                page.wait_for_timeout(300)
            # The two charts: one below the other, each nearly the whole width.
            loss, metric = box(page, "#train-loss-plot"), box(page, "#train-metric-plot")
            assert metric["y"] >= loss["y"] + loss["height"] - 1, (loss, metric)
            for found, what in ((loss, "loss chart"), (metric, "metrics chart")):
                assert found["width"] > 300, (what, found)
                within_the_page(found, what)
            # Their drawings (the legend is drawn under each chart, inside it) fit the page.
            for chart in ("#train-loss-plot", "#train-metric-plot"):
                drawn = box(page, f"{chart} canvas")
                within_the_page(drawn, f"{chart}'s drawing")
                assert drawn["height"] > 250, (chart, drawn)
            # The run chooser and the chart controls: one per line, the whole width.
            run, refresh = box(page, "#train-run"), box(page, "#train-refresh")
            assert refresh["y"] >= run["y"] + run["height"] - 1 and run["width"] > 300
            chart, smoothing = box(page, "#train-chart"), box(page, "#train-smoothing")
            assert smoothing["y"] >= chart["y"] + chart["height"] - 1
            assert chart["width"] > 300 and smoothing["width"] > 300
            no_sideways_scroll(page)
            page.locator("#train-chart-controls").scroll_into_view_if_needed()
            shot("train-400px")

            # The Runs table: its columns keep their widths, the table scrolls sideways.
            open_tab(page, "Runs")
            table = page.locator("#runs-table")
            row = table.locator(".virtual-body [role=row]").filter(has_text=FIXED)
            expect(row).to_be_visible()
            found = box(page, "#runs-table")
            within_the_page(found, "runs table")
            viewport = table.locator(".virtual-table-viewport")
            wide, shown = viewport.evaluate("e => [e.scrollWidth, e.clientWidth]")
            assert wide > shown + 300, (wide, shown)  # kept wide: nothing squeezed
            line = row.bounding_box()
            assert line is not None and line["height"] < 80, line  # one line, not wrapped narrow
            no_sideways_scroll(page)
            shot("runs-400px")
            last = table.locator("thead th").last
            assert box(page, "#runs-table thead th >> nth=-1")["x"] > WIDTH  # out of view...
            viewport.evaluate("e => { e.scrollLeft = e.scrollWidth; }")
            expect(last).to_be_in_viewport()  # ...until the table is scrolled sideways
            no_sideways_scroll(page)
            shot("runs-400px-scrolled")
        except Exception as exc:
            failure = tmp_path / "narrow-failure.png"
            page.screenshot(path=str(failure), full_page=True)
            raise AssertionError(f"{exc}\n(screenshot of the page: {failure})") from exc
        finally:
            browser.close()
