"""Shared pieces of the web panel tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any, NamedTuple

from workbench.services import Services

UPLOAD_LIMIT = 64 * 1024  # small, so the oversized-upload test needs no big file
RUN_LIMIT = 120.0  # seconds; a safety limit, not a timing assertion


def launch_chromium(pw: Any, executable: Any) -> Any:
    """Debian's headless chromium under Playwright. CI runs as root, where chromium's sandbox
    cannot start; containers have a small /dev/shm."""
    return pw.chromium.launch(
        executable_path=str(executable),
        headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
    )


class WebPanel(NamedTuple):
    url: str
    services: Services
    client: Any  # gradio_client.Client on the panel


def rows(table: Any) -> list[list[Any]]:
    """The rows of a Dataframe output as gradio_client returns it ({"headers", "data"})."""
    return [list(r) for r in table["data"]] if isinstance(table, dict) else list(table)


def plot_spec(plot: Any) -> dict[str, Any]:
    """The Vega-Lite spec of a chart output (a gr.Plot value: {"type", "plot", "chart"})."""
    import json

    assert plot["type"] == "altair", plot
    return json.loads(plot["plot"])


def points(plot: Any) -> list[dict[str, Any]]:
    """The points of a chart output: rows {step, value, series, line, sparse}, where line is
    "raw", "smoothed" or "faint" (the raw curve under a smoothed one)."""
    return list(plot_spec(plot)["data"]["values"])


def refusal(outputs: Any, at: int = 0) -> str:
    """The message a refused request put in its status output (index `at`): the handler says
    why there, in a status line, instead of raising (an error would mark every output)."""
    message = outputs[at] if isinstance(outputs, (list, tuple)) else outputs
    assert isinstance(message, str) and message.startswith("**⚠ "), outputs
    return message
