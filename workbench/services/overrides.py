"""Overrides typed in a UI's text box, one `key=value` per line, checked exactly as the CLI's
`--set` checks them (`bert_engine.presets.apply_overrides`: the same keys, the same values,
the same bounds), with every problem tied to the line that causes it.

    lines, problems = override_lines(text)                # the lines, and the ones not key=value
    check = check_overrides(services.presets, "tiny", text)
    check.ok, check.overrides, check.problems, check.message()

`runfeed.parse_overrides` (the web panel's box) is the strict form of `override_lines`: the first
malformed line raises. No UI imports here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from workbench.services.workspace import check_name

if TYPE_CHECKING:
    from bert_engine.presets import Preset
    from workbench.services.presets import PresetService


NOT_KEY_VALUE = "not key=value; write e.g. pretrain.max_steps=100, one setting per line"


@dataclass(frozen=True)
class OverrideLine:
    number: int  # 1-based, in the text as typed (blank and comment lines count)
    text: str  # "key=value", stripped

    @property
    def key(self) -> str:
        return self.text.partition("=")[0].strip()


@dataclass(frozen=True)
class OverrideProblem:
    """What is wrong with one line (`line` None: the lines together, or the preset itself)."""

    line: int | None
    text: str  # the line as typed ("" when not about one line)
    key: str | None
    message: str  # why, and how to fix it when the checker says (did you mean, allowed values)

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"line {self.line} ({self.text}): {self.message}"


@dataclass
class OverrideCheck:
    """The outcome of `check_overrides`: the overrides to start with, or what to fix."""

    overrides: list[str] = field(default_factory=list)
    problems: list[OverrideProblem] = field(default_factory=list)
    preset: Preset | None = None  # the preset with the overrides applied, when ok

    @property
    def ok(self) -> bool:
        return not self.problems

    def message(self) -> str:
        """Every problem, one per line ("" when ok)."""
        return "\n".join(str(p) for p in self.problems)


def override_lines(text: str) -> tuple[list[OverrideLine], list[OverrideProblem]]:
    """The `key=value` lines of `text` (blank lines and `#` comments skipped), and a problem
    for each line that is not `key=value`."""
    lines: list[OverrideLine] = []
    problems: list[OverrideProblem] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, _ = line.partition("=")
        if not sep or not key.strip():
            problems.append(
                OverrideProblem(
                    number,
                    line,
                    key.strip() or None,
                    NOT_KEY_VALUE,
                )
            )
            continue
        lines.append(OverrideLine(number, line))
    return lines, problems


def _engine_words(message: str, item: str) -> str:
    """An `apply_overrides` message without its CLI prefix (`--set 'k=v': `, `--set: `): the
    dialog names the line instead."""
    for prefix in (f"--set {item!r}: ", "--set: "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def check_overrides(presets: PresetService, preset: str, text: str) -> OverrideCheck:
    """Check the override lines of `text` on top of the preset `preset` as `--set` would.

    All lines together, in order (a later line wins), as the run will get them; when that
    fails, each line alone on the preset, so that every problem names its line (an unknown key,
    with a "did you mean"; a value of the wrong type or out of bounds, with what is allowed).
    Settings that only clash with each other are said of the lines together."""
    from bert_engine.errors import BertbenchError
    from bert_engine.presets import apply_overrides

    lines, problems = override_lines(text)
    try:
        base = presets.load(preset)
    except (BertbenchError, OSError) as exc:
        return OverrideCheck(problems=[OverrideProblem(None, "", None, f"{preset}: {exc}")])
    overrides = [line.text for line in lines]
    try:
        together = apply_overrides(base, overrides) if overrides else base
    except BertbenchError as exc:
        clash = _engine_words(str(exc), "")
    else:
        return OverrideCheck(overrides, problems, None if problems else together)
    for line in lines:
        try:
            apply_overrides(base, [line.text])
        except BertbenchError as exc:
            words = _engine_words(str(exc), line.text)
            problems.append(OverrideProblem(line.number, line.text, line.key, words))
    if not any(p.line is not None and p.text in overrides for p in problems):
        problems.append(OverrideProblem(None, "", None, f"these settings together: {clash}"))
    return OverrideCheck(overrides, sorted(problems, key=lambda p: p.line or 0))


def check_run_name(name: str) -> str | None:
    """A typed run name, stripped; None when empty (the preset's name is used). A name that
    cannot be a folder name raises a `WorkspaceError` saying why."""
    name = name.strip()
    if not name:
        return None
    return check_name(name, "run name")
