"""What every strict section of a preset shares."""

from __future__ import annotations

from pydantic import ConfigDict

# Unknown keys are errors (a typo must not be ignored); assignments are validated too.
STRICT = ConfigDict(extra="forbid", validate_assignment=True)

# The path rule (docs/presets.md), stated in every path field's help.
PATH_RULE = (
    "In a preset file relative to that file; typed in the TUI or web form relative to the "
    "workspace."
)
