"""Journey (1) in the TUI, with Pilot: fine-tune on your own CSV, see its test accuracy in Train
and Runs, classify a sentence and a file in Try (docs/journeys.md, "Journey 1: fine-tune on your
own CSV", TUI steps).

Against real tiny runs: a pre-trained `quickstart` run made beforehand (the journey's starting
point); then keys and clicks only: the path typed with completion, the columns completed from
the file's header, save as, use, fine-tune, Runs, Try. An SVG screenshot is saved on failure.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit.services import tiny_overrides, write_corpus
from kit.tui import idle, settle, started
from kit.tui_runs import confirm_start
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Select, Static

from workbench.services import Services
from workbench.tui.app import BertbenchApp
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.screens.run_errors import RunErrorsScreen
from workbench.tui.widgets.field_row import field_id
from workbench.tui.widgets.path_preview import DataPreview

LIMIT = 180.0  # seconds: a safety limit for tiny runs on a busy machine
GOOD = ["great", "lovely", "superb", "moving"]
BAD = ["awful", "boring", "poor", "dull"]


def write_reviews(path: Path, n: int = 60) -> Path:
    """A user's file: columns id, review, stars (not the preset's text/label names)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "review", "stars"])
        for i in range(n):
            stars, words = ("good", GOOD) if i % 2 == 0 else ("bad", BAD)
            word = words[(i // 2) % len(words)]
            writer.writerow([i, f"the film was {word} and the cast was {word} too", stars])
    return path


@pytest.fixture
def pretrained(workspace: Path, tmp_path: Path) -> Iterator[Path]:
    """The TUI tests' empty workspace with a finished tiny `quickstart` pre-training
    (finetune-csv starts from the newest quickstart run) and the user's CSV files in data/."""
    root = workspace
    services = Services(root)
    corpus = write_corpus(tmp_path / "corpus.txt")
    run = services.manager.start_pretraining(
        "quickstart", tiny_overrides(corpus, tmp_path / "cache", 12)
    )
    status = services.manager.wait(run, LIMIT)
    assert status.status == "finished", status.error
    write_reviews(root / "data" / "reviews.csv")
    (root / "data" / "new-reviews.csv").write_text(
        "review\nthe film was superb and the cast was superb too\nthe film was awful\n",
        encoding="utf-8",
    )
    yield root


async def type_into(pilot: Pilot[None], selector: str, *keys: str) -> Input:
    """Click a text box, empty it, press `keys` (one character or key name each)."""
    box = pilot.app.query_one(selector, Input)
    box.scroll_visible(animate=False)  # a click lands on what is on screen
    await pilot.pause()
    await pilot.click(selector)
    await settle(pilot, lambda: pilot.app.focused is box)
    await pilot.press("end", "ctrl+u", *keys)
    await pilot.pause()
    return box


async def complete(pilot: Pilot[None], box: Input, typed: str, expected: str) -> None:
    """Type `typed`, wait for the greyed completion, accept it with Right."""
    await pilot.press(*typed)
    await settle(pilot, lambda: box._suggestion == expected)  # what Textual shows greyed
    await pilot.press("right")
    await settle(pilot, lambda: box.value == expected)


@pytest.mark.asyncio
async def test_journey_own_csv_in_the_tui(pretrained: Path, tmp_path: Path) -> None:
    app = BertbenchApp(root=pretrained)
    async with app.run_test(size=(140, 40)) as pilot:
        try:
            await journey(pilot, pretrained)
        except BaseException:
            failure = tmp_path / "journey-own-csv-failure.svg"
            app.save_screenshot(str(failure))
            print(f"screenshot of the failure: {failure}")
            raise


async def journey(pilot: Pilot[None], workspace: Path) -> None:
    app = pilot.app
    await started(pilot)
    pane = app.query_one(PresetsPane)

    # 1. Presets: open finetune-csv and its [classification] section.
    await settle(pilot, lambda: bool(pane.entries))
    index = next(i for i, e in enumerate(pane.entries) if e.name == "finetune-csv")
    pane.query_one("#preset-list", OptionList).highlighted = index
    await settle(pilot, lambda: pane.current is not None and pane.current.name == "finetune-csv")
    await settle(pilot, lambda: pane.validation is not None and bool(pane.loaded))
    names = [s.name for s in pane.sections]
    pane.query_one("#preset-sections", OptionList).highlighted = names.index("classification")
    await settle(pilot, lambda: "classification.train" in pane._rows)

    # 2. Type the training file's path with completion: each Right accepts the greyed rest.
    # (An absolute path: the same file whichever way relative paths resolve.)
    train = await type_into(pilot, f"#{field_id('classification.train')}")
    root = f"{workspace}/"
    await pilot.press(*root)
    await complete(pilot, train, "d", f"{root}data/")
    await complete(pilot, train, "r", f"{root}data/reviews.csv")

    # 3. The file's preview: rows, columns, label counts (of the suggested label column).
    preview = app.query_one(DataPreview)
    await settle(pilot, lambda: preview.info is not None and preview.info.rows == 60, LIMIT)
    summary = str(preview.query_one(".data-summary", Static).render())
    assert "60 rows" in summary and "columns id, review, stars" in summary
    assert "suggested: text review, label stars" in summary
    assert preview.info.label_counts == {"good": 30, "bad": 30}

    # 4. The column fields complete from the file's header.
    text = await type_into(pilot, f"#{field_id('classification.text_column')}")
    await complete(pilot, text, "re", "review")
    label = await type_into(pilot, f"#{field_id('classification.label_column')}")
    await complete(pilot, label, "st", "stars")
    await settle(pilot, lambda: preview.info is not None and preview.info.label_column == "stars")
    assert "not in the file" not in str(preview.query_one(".data-summary", Static).render())
    # A short run: small sequences and batches.
    await type_into(pilot, f"#{field_id('classification.max_seq_len')}", "3", "2")
    await type_into(pilot, f"#{field_id('classification.batch_size')}", "1", "6")
    await settle(pilot, lambda: pane.validation is not None and pane.validation.ok, LIMIT)
    await idle(pilot, LIMIT)
    assert pane.validation is not None and pane.validation.ok, pane.validation.errors

    # 5. Save as my-reviews, then Use it for training.
    await pilot.press("ctrl+s")
    await settle(pilot, lambda: app.screen.query("SaveAsScreen Input") or False)
    await pilot.press("ctrl+u", *"my-reviews", "enter")
    saved = workspace / "presets" / "my-reviews.toml"
    await settle(
        pilot, lambda: saved.is_file() and getattr(pane.current, "name", "") == "my-reviews"
    )
    await idle(pilot, LIMIT)
    await pilot.click("#preset-use")
    train_select = app.query_one("#train-preset", Select)
    await settle(pilot, lambda: train_select.value == "my-reviews", LIMIT)

    # 6. Fine-tune, watch it end; Train shows the test accuracy.
    await pilot.click("#train-finetune")
    await confirm_start(pilot)  # the start dialog: no overrides, Start
    side = app.query_one("#train-run", Static)
    await settle(pilot, lambda: "test accuracy" in str(side.render()), LIMIT)
    shown = str(side.render())
    assert "my-reviews-" in shown and "finished" in shown

    # 7. Runs lists it with its test scores.
    await pilot.press("escape", "4")
    table = app.query_one("#runs-table", DataTable)

    def run_row() -> list[str] | None:
        for key in table.rows:
            row = [str(c).strip() for c in table.get_row(key)]
            if any(cell.startswith("my-reviews-") for cell in row):
                return row
        return None

    await settle(pilot, lambda: run_row() is not None, LIMIT)
    row = run_row()
    assert row is not None and any("accuracy" in str(cell) for cell in row), row  # best column
    run_id = next(cell for cell in row if cell.startswith("my-reviews-"))

    # 8. Try: classify a sentence with it...
    await pilot.press("5")
    try_pane = app.query_one(TryPane)
    await settle(pilot, lambda: run_id in try_pane.kinds, LIMIT)
    app.query_one("#try-run", Select).value = run_id
    await type_into(pilot, "#try-text", *"the film was great", "enter")
    await settle(pilot, lambda: hasattr(try_pane.result, "probabilities"), LIMIT)
    assert try_pane.result.label in ("good", "bad")
    assert "label:" in str(try_pane.query_one("#try-result", Static).render())

    # ... and a file, its path completed too; the predictions are saved in exports/.
    box = await type_into(pilot, "#try-file")
    await complete(pilot, box, "d", "data/")
    await complete(pilot, box, "n", "data/new-reviews.csv")
    await pilot.press("enter")
    await settle(pilot, lambda: hasattr(try_pane.result, "output"), LIMIT)
    result = try_pane.result
    assert result.rows == 2 and result.output.parent == workspace / "exports"
    assert "2 rows classified" in str(try_pane.query_one("#try-result", Static).render())
    table_rows = list(csv.reader(result.output.open(encoding="utf-8")))
    assert table_rows[0] == ["review", "predicted", "p(bad)", "p(good)"]
    assert len(table_rows) == 3

    # 10. Where is it wrong: x opens the error analysis of the test split (Esc leaves the box).
    await pilot.press("escape", "x")
    await settle(pilot, lambda: isinstance(app.screen, RunErrorsScreen), LIMIT)
    errors = app.screen
    await settle(pilot, lambda: errors.analysis is not None, LIMIT)
    analysis = errors.analysis
    assert analysis.split == "test" and sorted(analysis.labels) == ["bad", "good"]
    assert sum(map(sum, analysis.matrix)) == analysis.examples > 0
    assert analysis.total_errors == analysis.examples - sum(
        analysis.matrix[i][i] for i in range(len(analysis.labels))
    )
    await pilot.press("escape")
    await settle(pilot, lambda: not isinstance(app.screen, RunErrorsScreen))
