"""The randomised input test's parts: a seeded event list, a driver that sends it to the app,
and the checks between and after the events.

Events go in as fast as the app takes them: each after the screen handled the one before
(`pilot.pause(0)`), not after the process went idle as `pilot.press` waits (with a run
training it never does, and each key would wait up to a second).

The event list is a pure function of the seed (replay: `BERTBENCH_FUZZ_SEED=N`). The driver
adds only what keeps a run sane: it dismisses the quit dialog and the command palette (keys
that open them are not in the alphabet, but a click on the footer can), and skips clicks on
what would quit or start a system process. Each skip is written in the journal.
"""

from __future__ import annotations

import asyncio
import random
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from textual import events as ev
from textual.app import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.binding import Binding
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.errors import NoWidget
from textual.geometry import Offset
from textual.pilot import Pilot
from textual.widget import Widget

from kit.tui import idle, wait_for

# Keys never sent: quitting (and the Help screen's q), the command palette, the Runs pane's
# TensorBoard (a server process). ctrl+c would copy.
FORBIDDEN = frozenset({"q", "ctrl+q", "ctrl+p", "ctrl+c", "b"})
TAB_KEYS = ("1", "2", "3", "4", "5")
MOVES = (
    "tab",
    "shift+tab",
    "up",
    "down",
    "left",
    "right",
    "enter",
    "space",
    "escape",
    "home",
    "end",
    "pageup",
    "pagedown",
    "backspace",
)
# Keys that never change a form field: everything else sent while a field has the focus
# counts as typing into the preset shown.
NOT_EDITING = frozenset({"tab", "shift+tab", "escape"})
TEXT = string.ascii_letters.replace("q", "").replace("Q", "") + string.digits + " -_./=:é"
STOP_KEYS = frozenset({"x"})  # the Train pane's Stop (the Tokenizer pane's Cancel)
PAUSE_KEYS = frozenset({"p"})
PRESS_KEYS = frozenset({"enter", "space", " "})  # press the focused button
# "Use in a preset" (Tokenizer's u, Runs' i, their buttons) puts a value into the preset form
# on purpose: the preset then counts as typed into. The app applies it a little later.
USE_KEYS = frozenset({"u", "i"})
USE_BUTTONS = frozenset({"tok-use", "runs-use"})
USE_WINDOW = 20  # events after a use action during which the loaded preset may receive it
# Widgets a click must not reach (a click on the footer presses that key).
FORBIDDEN_BUTTONS = frozenset({"runs-tensorboard"})
# What an event may do to the form (WEIGHTS: how often each kind comes).
KINDS = ("move", "tab", "pane", "type", "click", "burst", "wait")
WEIGHTS = (36, 8, 18, 13, 14, 8, 3)
# A burst: quick moves sent together, as a user moving through a list while it loads
# (the crash: Up Up, Tab, Down x6 while the preset form said "loading").
BURST = ("up", "down", "down", "tab", "shift+tab", "enter")


@dataclass(frozen=True)
class Event:
    kind: str  # move, tab, pane (a key), type (characters), click, burst (moves), wait
    keys: tuple[str, ...] = ()
    at: tuple[int, int] = (0, 0)

    def __str__(self) -> str:
        if self.kind == "click":
            return f"click@{self.at[0]},{self.at[1]}"
        if self.kind == "wait":
            return "wait"
        if self.kind == "type":
            return "type:" + repr("".join(self.keys))
        return " ".join(self.keys)


def binding_keys(bindings: Iterable[Any]) -> set[str]:
    keys: set[str] = set()
    for binding in bindings:
        if isinstance(binding, Binding):
            keys.update(k.strip() for k in binding.key.split(","))
    return keys


def pane_keys() -> list[str]:
    """Every key a pane, a dialog or the app binds (read from their BINDINGS), less FORBIDDEN."""
    from workbench.tui.app import TABS, BertbenchApp
    from workbench.tui.screens.preset_diff import DiffScreen
    from workbench.tui.screens.preset_save import SaveAsScreen
    from workbench.tui.screens.start_run import StartRunScreen

    keys = binding_keys(BertbenchApp.BINDINGS)
    for _, _, pane in TABS:
        keys |= binding_keys(pane.BINDINGS)
    for screen in (DiffScreen, SaveAsScreen, StartRunScreen):
        keys |= binding_keys(screen.BINDINGS)
    return sorted(keys - FORBIDDEN - set(TAB_KEYS))


def make_events(seed: int, count: int, size: tuple[int, int]) -> list[Event]:
    """`count` events drawn from `seed` alone (same seed, same list)."""
    rng = random.Random(seed)
    letters = pane_keys()
    events: list[Event] = []
    for _ in range(count):
        kind = rng.choices(KINDS, WEIGHTS)[0]
        if kind == "move":
            events.append(Event(kind, (rng.choice(MOVES),)))
        elif kind == "tab":
            events.append(Event(kind, (rng.choice(TAB_KEYS),)))
        elif kind == "pane":
            events.append(Event(kind, (rng.choice(letters),)))
        elif kind == "type":
            events.append(Event(kind, tuple(rng.choices(TEXT, k=rng.randint(1, 6)))))
        elif kind == "click":
            events.append(Event(kind, at=(rng.randrange(size[0]), rng.randrange(size[1]))))
        elif kind == "burst":
            events.append(Event(kind, tuple(rng.choices(BURST, k=rng.randint(3, 9)))))
        else:
            events.append(Event(kind))
    return events


def format_events(events: list[Event], marks: dict[int, str] | None = None) -> str:
    """One line per event, numbered, with what the driver made of it."""
    marks = marks or {}
    return "\n".join(
        f"{i:4d} {event}" + (f"   [{marks[i]}]" if i in marks else "")
        for i, event in enumerate(events)
    )


@dataclass
class Driver:
    """Sends events to the app and notes what they may have done."""

    pilot: Pilot[Any]
    marks: dict[int, str] = field(default_factory=dict)  # event index -> what the driver did
    touched: set[int] = field(default_factory=set)  # preset generations typed into
    may_stop: bool = False  # a key or click that stops a run was sent
    may_pause: bool = False
    use_until: int = -1  # the last event index a use action may still land on
    form_checks: int = 0  # preset forms compared with their files
    summary: str = ""  # what happened, in a line
    _files: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)

    @property
    def app(self) -> Any:
        return self.pilot.app

    def presets_pane(self) -> Any:
        from workbench.tui.panes.presets import PresetsPane

        return self.app.query_one(PresetsPane)

    async def send(self, index: int, event: Event) -> None:
        await self._dismiss_system_screens(index)
        pane = self.presets_pane()
        before = pane._generation
        typing = self._typing_into_form(event)
        if event.kind == "click":
            target = self._click_target(event.at)
            reason = forbidden_click(target)
            if reason:
                self.marks[index] = f"skipped: {reason}"
                return
            ident = getattr(target, "id", None)
            if ident in USE_BUTTONS:
                self.use_until = index + USE_WINDOW
            self.may_stop |= ident == "train-stop"
            self.may_pause |= ident == "train-pause"
            if target is not None:
                self.marks[index] = f"on {describe(target)}"
            await click_fast(self.pilot, event.at)
        elif event.kind == "wait":
            await self.pilot.pause(0.2)
        else:
            # A key of the pane, or Enter / Space on its focused button.
            focused = getattr(self.app.focused, "id", None)
            pressing = any(k in PRESS_KEYS for k in event.keys)
            self.may_stop |= any(k in STOP_KEYS for k in event.keys)
            self.may_stop |= pressing and focused == "train-stop"
            self.may_pause |= any(k in PAUSE_KEYS for k in event.keys)
            self.may_pause |= pressing and focused == "train-pause"
            if self._in_use_pane() and (
                any(k in USE_KEYS for k in event.keys) or (pressing and focused in USE_BUTTONS)
            ):
                self.use_until = index + USE_WINDOW
            await press_fast(self.pilot, event.keys)
        if typing or index <= self.use_until:
            self.touched.update({before, pane._generation})

    def _in_use_pane(self) -> bool:
        """Whether the tab on screen has a "use in a preset" action (Tokenizer, Runs)."""
        from textual.widgets import TabbedContent

        try:
            return self.app.query_one(TabbedContent).active in ("tokenizer", "runs")
        except NoMatches:
            return False

    def _typing_into_form(self, event: Event) -> bool:
        """Whether `event` may change a field of the preset form (conservative)."""
        try:
            form = self.presets_pane().query_one("#preset-form")
        except NoMatches:
            return False
        if event.kind == "click":
            target = self._click_target(event.at)
            return target is not None and form in (target, *target.ancestors)
        if event.kind == "wait" or all(k in NOT_EDITING for k in event.keys):
            return False
        focused = self.app.focused
        return focused is not None and form in focused.ancestors

    def _click_target(self, at: tuple[int, int]) -> Widget | None:
        try:
            widget, _ = self.app.screen.get_widget_at(*at)
        except NoWidget:
            return None
        return widget

    async def _dismiss_system_screens(self, index: int) -> None:
        from workbench.tui.screens.quit import QuitScreen

        while isinstance(self.app.screen, (QuitScreen, CommandPalette)):
            name = type(self.app.screen).__name__
            self.marks[index] = f"dismissed {name} first"
            await self.pilot.press("escape")
            await self.pilot.pause()

    def on_file(self, path: Any) -> dict[str, str]:
        """The form texts of the preset file at `path` (cached while the file is unchanged)."""
        from workbench.services import form

        key = (str(path), path.stat().st_mtime_ns)
        if key not in self._files:
            self._files[key] = form.to_form(self.app.services.presets.load(path)).texts()
        return self._files[key]

    def quick_check(self, when: str) -> None:
        """After every event, without waiting: a loaded form that nothing was typed into holds
        its file's values (a late load of another preset, or an edit of a row left behind,
        would change them)."""
        pane = self.presets_pane()
        if pane.current is None or pane.form is None or pane._generation in self.touched:
            return
        on_file = self.on_file(pane.current.path)
        for label, texts in (("loaded", pane.loaded), ("held", pane.texts)):
            wrong = {p: (v, on_file.get(p)) for p, v in texts.items() if on_file.get(p) != v}
            missing = sorted(set(on_file) - set(texts))
            assert not wrong and not missing, (
                f"{when}: the {label} form of {pane.current.name} differs from its file with "
                f"nothing typed into it: {wrong} (form value, file value); missing {missing}"
            )
        self.form_checks += 1

    async def check_form(self, when: str) -> None:
        """Once the pane has settled: the form on screen is the preset highlighted in the
        list, loaded, equal to its file and drawn with its values, unless the sequence typed
        into it."""
        pane = self.presets_pane()
        groups = ("presets-list", "presets-load", "presets-validate")
        await idle(self.pilot, groups=groups)
        await wait_for(self.pilot, lambda: not pane._drawing.locked(), what="the form drawn")
        if pane.current is None or pane._generation in self.touched:
            return
        name = pane.current.name
        status = str(pane.query_one("#preset-status").render())
        assert pane.form is not None, f"{when}: the form of {name} never loaded ({status!r})"
        highlighted = pane.query_one("#preset-list").highlighted
        if highlighted is not None and highlighted < len(pane.entries):
            listed = pane.entries[highlighted]
            assert listed.path == pane.current.path, (
                f"{when}: the list highlights {listed.name}, the form shows {name}"
            )
        self.quick_check(when)
        for path, row in pane._rows.items():
            assert row.text() == pane.texts[path], (
                f"{when}: {name}'s field {path} shows {row.text()!r}, the form holds "
                f"{pane.texts[path]!r}"
            )
        assert not pane.dirty and "edited" not in status, f"{when}: {name} says {status!r}"


async def press_fast(pilot: Pilot[Any], keys: Iterable[str]) -> None:
    """The keys as the terminal driver posts them (as `pilot.press` does, less its waits for
    an idle process), then wait until the screen has handled them."""
    app = pilot.app
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        try:
            char: str | None = unicodedata.lookup(
                _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
            )
        except KeyError:
            char = key if len(key) == 1 else None
        event = ev.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)
        await asyncio.sleep(0)
    await pilot.pause(0)


async def click_fast(pilot: Pilot[Any], at: tuple[int, int]) -> None:
    """Mouse down, up and click at screen offset `at`, as `pilot.click` sends them."""
    app, screen = pilot.app, pilot.app.screen
    x, y = at
    base = {"widget": screen, "x": x, "y": y, "delta_x": 0, "delta_y": 0, "button": 1}
    base |= {"shift": False, "meta": False, "ctrl": False, "screen_x": x, "screen_y": y}
    for kind in (ev.MouseDown, ev.MouseUp, ev.Click):
        app.mouse_position = Offset(x, y)
        screen._forward_event(kind(**base, **({"chain": 1} if kind is ev.Click else {})))
        await pilot.pause(0)


def forbidden_click(target: Widget | None) -> str:
    """Why a click on `target` is not sent ("" when it is)."""
    from textual.widgets._footer import FooterKey
    from textual.widgets._header import HeaderIcon

    if target is None:
        return ""
    if isinstance(target, FooterKey) and (
        target.key in FORBIDDEN or "quit" in target.action or "palette" in target.action
    ):
        return f"the footer's {target.key}"
    if isinstance(target, HeaderIcon):
        return "the command palette icon"
    if target.id in FORBIDDEN_BUTTONS:
        return f"#{target.id}"
    return ""


def describe(widget: Widget) -> str:
    return f"{type(widget).__name__}#{widget.id}" if widget.id else type(widget).__name__
