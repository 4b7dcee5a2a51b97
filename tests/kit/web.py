"""Shared pieces of the web panel tests (the fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any, NamedTuple

from workbench.services import Services

UPLOAD_LIMIT = 64 * 1024  # small, so the oversized-upload test needs no big file
RUN_LIMIT = 120.0  # seconds; a safety limit, not a timing assertion


class WebPanel(NamedTuple):
    url: str
    services: Services
    client: Any  # gradio_client.Client on the panel


def rows(table: Any) -> list[list[Any]]:
    """The rows of a Dataframe output as gradio_client returns it ({"headers", "data"})."""
    return [list(r) for r in table["data"]] if isinstance(table, dict) else list(table)


def points(plot: Any) -> list[dict[str, Any]]:
    """The points of a LinePlot output as gradio_client returns it ({"columns", "data"})."""
    return [dict(zip(plot["columns"], row, strict=True)) for row in plot["data"]]
