"""Journey (1) in the web panel, in a real browser: fine-tune on your own CSV, see its test
accuracy in Train and Runs, classify a sentence and a file (docs/journeys.md, "Journey 1: fine-tune
on your own CSV", web steps).

Against real tiny runs: a pre-trained `quickstart` run made beforehand (the journey's starting
point), then everything through the page: upload, columns, start, watch, Runs, Try. On failure
a screenshot is saved (its path printed); BERTBENCH_JOURNEY_SHOTS=DIR keeps one per step.
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kit.services import tiny_overrides, write_corpus
from kit.web import launch_chromium
from kit.web_train import LIMIT, running_app
from test_web_browser import chromium

from workbench.services import Services

GOOD = ["great", "lovely", "superb", "moving"]
BAD = ["awful", "boring", "poor", "dull"]


def write_reviews(path: Path, n: int = 60) -> Path:
    """A user's file: columns id, review, stars (not the preset's text/label names)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "review", "stars"])
        for i in range(n):
            stars, words = ("good", GOOD) if i % 2 == 0 else ("bad", BAD)
            word = words[(i // 2) % len(words)]
            writer.writerow([i, f"the film was {word} and the cast was {word} too", stars])
    return path


@pytest.fixture
def pretrained(tmp_path: Path) -> Iterator[tuple[Services, str]]:
    """A workspace with a finished tiny `quickstart` pre-training (finetune-csv starts from the
    newest quickstart run)."""
    services = Services(tmp_path / "ws")
    corpus = write_corpus(tmp_path / "corpus.txt")
    run = services.manager.start_pretraining(
        "quickstart", tiny_overrides(corpus, tmp_path / "cache", 12)
    )
    status = services.manager.wait(run, LIMIT)
    assert status.status == "finished", status.error
    assert status.run_dir is not None
    yield services, status.run_dir.name


class Shots:
    """Step screenshots when BERTBENCH_JOURNEY_SHOTS names a folder."""

    def __init__(self, page: Any) -> None:
        self.page, self.n = page, 0
        folder = os.environ.get("BERTBENCH_JOURNEY_SHOTS")
        self.folder = Path(folder) if folder else None

    def __call__(self, name: str) -> None:
        self.n += 1
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(self.folder / f"{self.n:02d}-{name}.png"), full_page=True)


def test_journey_own_csv_in_the_browser(tmp_path: Path, pretrained: tuple[Services, str]) -> None:
    executable = chromium()
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=LIMIT * 1000)  # a safety limit for a busy machine
    services, _ = pretrained
    reviews = write_reviews(tmp_path / "my-reviews.csv")  # on the user's machine
    to_classify = tmp_path / "new-reviews.csv"
    to_classify.write_text(
        "review\nthe film was superb and the cast was superb too\n"
        "the film was awful and the cast was awful too\nthe film was lovely\n",
        encoding="utf-8",
    )
    with running_app(services) as url, sync_playwright() as pw:
        browser = launch_chromium(pw, executable)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.set_default_timeout(LIMIT * 1000)
        shot = Shots(page)
        try:
            page.goto(url, wait_until="load")
            page.get_by_role("tab", name="Train").click()

            # 1. Upload the CSV: kept in uploads/, its columns offered, preview and label counts.
            page.locator("#train-data-file input[type=file]").set_input_files(str(reviews))
            summary = page.locator("#train-data-summary")
            expect(summary).to_contain_text("my-reviews.csv: 60 rows, 3 columns")
            expect(summary).to_contain_text("2 labels in stars")
            expect(page.locator("#train-data-text input")).to_have_value("review")
            expect(page.locator("#train-data-label input")).to_have_value("stars")
            counts = page.locator("#train-data-labels")
            expect(counts).to_contain_text("good")
            expect(counts).to_contain_text("30")
            expect(page.locator("#train-data-preview")).to_contain_text("the film was great")
            # A preset that can fine-tune and the fine-tuning kind are picked for the user.
            expect(page.locator("#train-preset input")).to_have_value("finetune-csv")
            expect(page.get_by_label("fine-tuning")).to_be_checked()
            assert (services.workspace.root / "uploads" / "my-reviews.csv").is_file()
            shot("uploaded")

            # 2. Shorten the run in Overrides (no path typed) and start it.
            page.locator("#train-overrides textarea").fill(
                "finetune.epochs=2\nclassification.max_seq_len=32\nclassification.batch_size=16"
            )
            page.locator("#train-start").click()
            status = page.locator("#train-status textarea")
            # 3. Watch it end; the test accuracy is in the status.
            expect(status).to_have_value(
                re.compile(r"finetune-csv-\d{8}T\d{6}Z: finished(.|\n)*test accuracy \d")
            )
            run_id = re.search(r"finetune-csv-\d{8}T\d{6}Z", status.input_value()).group(0)
            # A toast says so once, with the test scores.
            ended = page.get_by_test_id("toast-text").filter(has_text=f"{run_id} finished · ")
            expect(ended).to_have_count(1)
            expect(ended).to_contain_text(re.compile(r"test accuracy \d"))
            shot("finished")

            # 4. Runs lists it with its test scores.
            page.get_by_role("tab", name="Runs").click()
            row = page.locator("tr", has_text=run_id)
            expect(row).to_contain_text(re.compile(r"accuracy \d"))
            shot("runs")

            # 5. Try: classify a sentence with it...
            page.get_by_role("tab", name="Try").click()
            page.get_by_role("button", name="Refresh runs").click()
            run_box = page.get_by_label("Fine-tuned run")
            expect(run_box).to_have_value(re.compile(re.escape(run_id)))
            page.get_by_label("Text", exact=True).fill("the film was great and the cast too")
            page.get_by_role("button", name="Classify", exact=True).click()
            expect(page.get_by_text("Label probabilities")).to_be_visible()
            expect(page.locator(".output-class")).to_have_text(re.compile(r"^(good|bad)$"))
            shot("classified")

            # ... and a file, with its predictions as a CSV download.
            page.locator("#try-batch-file input[type=file]").set_input_files(str(to_classify))
            page.locator("#try-batch-go").click()
            batch = page.locator("#try-batch-summary")
            expect(batch).to_contain_text("3 rows classified")
            expect(page.locator("#try-batch-preview")).to_contain_text("p(good)")
            download = page.locator("#try-batch-download a")
            expect(download).to_have_count(1)
            shot("file-classified")
        except Exception:
            failure = tmp_path / "journey-own-csv-failure.png"
            page.screenshot(path=str(failure), full_page=True)
            print(f"screenshot of the failure: {failure}")
            raise
        finally:
            browser.close()
    written = sorted((services.workspace.root / "exports").glob(f"predictions-{run_id}-*.csv"))
    assert len(written) == 1
    table = list(csv.reader(written[0].open(encoding="utf-8")))
    assert table[0] == ["review", "predicted", "p(bad)", "p(good)"] and len(table) == 4
