"""The Train tab in a real browser (Playwright driving Debian's chromium): open the page, start
a tiny run, wait until the live curves are drawn, and take the screenshot the README shows.

Skips when /usr/bin/chromium is missing, unless BERTBENCH_REQUIRE_BROWSER=1 (set by .ci/run,
which installs chromium): then a missing browser fails the test. BERTBENCH_UPDATE_SCREENSHOTS=1
also writes the screenshot to docs/images/web-train.png.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest
from kit.services import tiny_preset
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app

from workbench.services import Services

CHROMIUM = Path(os.environ.get("BERTBENCH_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "web-train.png"
# Counts a canvas's coloured pixels (saturated: not the white, grey or black of axes and
# text) and its distinct colours (quantised to 3 bits per channel).
COLOURS_JS = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let coloured = 0; const colours = new Set();
  for (let i = 0; i < data.length; i += 4) {
    const [r, g, b, a] = [data[i], data[i + 1], data[i + 2], data[i + 3]];
    if (a > 200 && Math.max(r, g, b) - Math.min(r, g, b) > 80) {
      coloured++; colours.add(((r >> 5) << 6) | ((g >> 5) << 3) | (b >> 5));
    }
  }
  return [coloured, colours.size];
}"""


def chromium() -> Path:
    if CHROMIUM.is_file():
        return CHROMIUM
    reason = f"no browser at {CHROMIUM}; install it with `apt-get install -y chromium`"
    if os.environ.get("BERTBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (BERTBENCH_REQUIRE_BROWSER=1: the browser test must run)")
    pytest.skip(reason)


def test_train_tab_draws_live_curves_in_a_browser(tmp_path: Path) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine

    services = Services(tmp_path / "ws")
    # 40 steps, evaluated every 10: a curve worth a screenshot, still seconds on a CPU.
    steps = {"max_steps": 40, "eval_every": 10, "checkpoint_every": 20}
    services.presets.save(tiny_preset(tmp_path, pretrain=steps), "tiny")
    shot = tmp_path / "web-train.png"
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(LIMIT * 1000)
            page.goto(url)
            page.get_by_role("tab", name="Train").click()
            preset = page.locator("#train-preset input")
            preset.click()
            preset.fill("tiny")
            preset.press("Enter")
            expect(preset).to_have_value("tiny")
            page.locator("#train-start").click()

            status = page.locator("#train-status textarea")
            # The run is named by its folder (tiny-<UTC time>), as everywhere.
            expect(status).to_have_value(re.compile(r"tiny-\d{8}T\d{6}Z: finished · step 40/40"))
            # The timer's last polls draw both charts. Gradio renders Vega-Lite on a canvas (no
            # marks in the DOM), so look at its pixels: many coloured ones, in several colours
            # (one per series; the chart model's specs are checked in test_web_charts.py).
            for chart, least in (("#train-loss-plot", 4), ("#train-metric-plot", 2)):
                canvas = page.locator(f"{chart} canvas")
                expect(canvas).to_have_count(1)
                _wait_for_colours(page, canvas, least)
            log = page.locator("#train-log textarea")
            expect(log).to_have_value(_contains("finished at step 40"))
            # One toast says the run ended, naming it and its results.
            ended = re.compile(r"tiny-\d{8}T\d{6}Z finished · best validation/loss \d")
            toasts = page.get_by_test_id("toast-text")
            expect(toasts.filter(has_text=ended)).to_have_count(1)
            page.screenshot(path=str(shot), full_page=True)
            # Not again: neither a Refresh nor, after a reload, following the ended run again.
            run_id = re.search(r"tiny-\d{8}T\d{6}Z", status.input_value()).group(0)
            page.locator("#train-refresh").click()
            page.wait_for_timeout(1500)  # a toast of the Refresh would be there by now
            # It stays until closed, after the "started" toast went (10 s).
            expect(toasts.filter(has_text="started")).to_have_count(0)
            expect(toasts.filter(has_text=ended)).to_have_count(1)
            page.reload(wait_until="load")
            page.get_by_role("tab", name="Train").click()
            chooser = page.locator("#train-run input")
            chooser.click()
            page.locator("#train-run").get_by_role("option", name=re.compile(run_id)).click()
            expect(status).to_have_value(re.compile(rf"{run_id}: finished · step 40/40"))
            page.wait_for_timeout(2000)  # two polls' worth: a toast would be there by now
            expect(toasts.filter(has_text="finished")).to_have_count(0)
        finally:
            browser.close()
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    if os.environ.get("BERTBENCH_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        SCREENSHOT.write_bytes(data)


def _wait_for_colours(page: object, canvas: object, least: int) -> None:
    """Until the canvas shows at least `least` series' worth of colour (LIMIT at most)."""
    deadline = time.monotonic() + LIMIT
    seen = (0, 0)
    while time.monotonic() < deadline:
        seen = tuple(canvas.evaluate(COLOURS_JS))  # type: ignore[attr-defined]
        if seen[0] >= 200 * least and seen[1] >= least:
            return
        page.wait_for_timeout(250)  # type: ignore[attr-defined]
    raise AssertionError(f"the chart drew {seen[0]} coloured pixels in {seen[1]} colours")


def _contains(text: str) -> object:
    import re

    return re.compile(re.escape(text))
