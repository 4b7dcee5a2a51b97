"""BertbenchApp: the workbench in the terminal, one tab per pane.

Start-up stays fast: nothing here imports torch. Every pane loads its data in a thread worker
after the first frame, so the app is drawn before the engine is imported.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar

from textual import events, work
from textual.actions import ActionParseResult
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.message import Message
from textual.widget import Widget
from textual.widgets import (
    Button,
    DataTable,
    Header,
    ListView,
    OptionList,
    Select,
    TabbedContent,
    TabPane,
    Tabs,
    Tree,
)

from workbench.services import Services, default_root
from workbench.tui import textual_fixes
from workbench.tui.guard import log_path, report, write_log
from workbench.tui.idle_gc import IdleCollector
from workbench.tui.messages import (
    PresetChosen,
    RunEvent,
    RunsChanged,
    RunStarted,
    UseInPreset,
)
from workbench.tui.panes.playground import TryPane
from workbench.tui.panes.presets import PresetsPane
from workbench.tui.panes.runs import RunsPane
from workbench.tui.panes.tokenizer import TokenizerPane
from workbench.tui.panes.train import TrainPane
from workbench.tui.screens.help import HelpScreen
from workbench.tui.screens.quit import QuitScreen
from workbench.tui.widgets.pane_footer import PaneFooter

PaneT = TypeVar("PaneT", bound=Widget)

textual_fixes.apply()

TABS = (
    ("presets", "Presets", PresetsPane),
    ("tokenizer", "Tokenizer", TokenizerPane),
    ("train", "Train", TrainPane),
    ("runs", "Runs", RunsPane),
    ("try", "Try", TryPane),
)

# Widgets that do not take typed digits: focusing one keeps the number keys for tabs. A tab
# gets the first of its lists and tables (Space and Enter then act on it at once), else its
# first button or picker; the pane's keys are in the footer either way.
FIRST_FOCUS = ((OptionList, DataTable, ListView, Tree), (Button, Select))

# After a crash, the wait for the active runs' checkpoints (seconds).
CRASH_STOP_TIMEOUT_S = 300

DARK_THEME = "textual-dark"
LIGHT_THEME = "textual-light"
RUNS_WATCH_S = 1.5  # how often the runs folder is checked for changes by any process


class PaneTabs(TabbedContent):
    """TabbedContent that follows focus into a tab only while the focus is still there.

    Textual shows the tab of a newly focused widget through a message; one that arrives
    after the user already picked another tab (a number key right after start-up) would
    switch back. Checking that the focus is still inside the tab drops such stale ones."""

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        focused = self.app.focused
        if focused is not None and (
            focused is event.tab_pane or event.tab_pane in focused.ancestors
        ):
            super()._on_tab_pane_focused(event)
        else:
            event.stop()


class BertbenchApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "bertbench"
    # Classes on the screen that app.tcss lays the panes out by (80x24 is narrow and short).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-medium"), (130, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]
    BINDINGS = [
        *(
            Binding(str(i), f"show_tab('{tab_id}')", title, show=False)
            for i, (tab_id, title, _) in enumerate(TABS, start=1)
        ),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", show=False),
        Binding("ctrl+t", "toggle_theme", "Theme"),
        Binding(
            "escape", "leave_field", "leave a text box (number keys switch tabs again)", show=False
        ),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("q", "quit", "Quit", show=False),
    ]

    def __init__(self, root: str | Path | None = None, services: Services | None = None) -> None:
        super().__init__()
        self.services = services or Services(root or default_root())
        self.theme = DARK_THEME
        self.quitting = False
        self.crashed = False
        self.stopped_on_crash: list[str] = []
        self.idle_gc = IdleCollector()
        self._log_handler: logging.Handler | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with PaneTabs(initial="presets"):
            for number, (tab_id, title, pane) in enumerate(TABS, start=1):
                # The number in the title is the key that opens the tab.
                with TabPane(f"{number} {title}", id=tab_id):
                    yield pane(id=f"{tab_id}-pane")
        yield PaneFooter()

    def on_mount(self) -> None:
        # The first screen says where everything is written (README: the workspace).
        self.sub_title = f"workspace {shown_path(self.services.workspace.root)}"
        self._log_errors_of_the_services()
        self.call_after_refresh(start_resource_tracker)
        self.idle_gc.start()
        self.set_interval(0.5, self.idle_gc.tick)
        self.set_interval(RUNS_WATCH_S, self._watch_runs)

    @work(thread=True, exclusive=True, group="runs-watch")
    def _watch_runs(self) -> None:
        # Any process may change a run (the CLI, the web panel): lists refresh on their own.
        if self.services.watcher.poll():
            self.post_message(RunsChanged())

    def on_unmount(self) -> None:
        self.idle_gc.stop()
        self.services.tensorboard.stop()  # a child process: never left behind
        if self._log_handler is not None:
            logging.getLogger("workbench").removeHandler(self._log_handler)
            self._log_handler.close()

    def deliver_screenshot(
        self,
        filename: str | None = None,
        path: str | None = None,
        time_format: str | None = None,
    ) -> str | None:
        """The palette's Screenshot: an SVG in `<workspace>/screenshots/` (Textual's default,
        the Downloads folder, may not exist), and a notice saying where."""
        from datetime import datetime

        from bert_engine.files import atomic_write_text

        folder = self.services.workspace.root / "screenshots"
        stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
        target = folder / (filename or f"bertbench-{stamp}.svg")
        try:
            folder.mkdir(exist_ok=True)
            atomic_write_text(target, self.export_screenshot())
        except OSError as exc:
            self.notify(f"cannot save the screenshot: {exc}", severity="error")
            return None
        self.notify(f"saved {shown_path(target)}", title="Screenshot")
        return str(target)

    def _log_errors_of_the_services(self) -> None:
        """The services' own error log lines (a run that failed with a bug, a broken event
        subscriber) go to the TUI's error log too: Textual owns the terminal."""
        path = log_path(self.services.workspace.root)
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)
        handler.setLevel(logging.ERROR)
        handler.setFormatter(logging.Formatter("--- %(asctime)s · %(name)s\n%(message)s"))
        logging.getLogger("workbench").addHandler(handler)
        self._log_handler = handler

    # ------------------------------------------------------------------ errors
    async def run_action(
        self,
        action: str | ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        """Every action (key bindings, clickable links): an exception in one is reported (see
        `workbench.tui.guard`), never the end of the app."""
        try:
            return await super().run_action(action, default_namespace, namespaces)
        except Exception as exc:
            report(default_namespace or self, exc, f"action {action}")
            return True

    def _handle_exception(self, error: Exception) -> None:
        """Textual's end for an exception nothing caught (a bug outside the panes' guards).

        Before Textual closes the app (return code 1), the traceback goes to the error log and
        the runs still training stop with a checkpoint, as quitting does: no work is lost."""
        if not self.crashed:
            self.crashed = True
            path = log_path(self.services.workspace.root)
            write_log(path, error, "the app (it closed)")
            try:
                # Blocks the interface until the checkpoints are written: it is closing anyway.
                stopped = self.services.manager.stop_all(wait=True, timeout=CRASH_STOP_TIMEOUT_S)
                self.stopped_on_crash = [status.run_id for status in stopped]
            except Exception as failed:  # still close the app; `bertbench` stops them at exit
                write_log(path, failed, "stopping the runs after a crash")
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """What is printed after a crash: a short account, not Textual's full-screen traceback
        (BERTBENCH_DEBUG=1 shows that)."""
        if os.environ.get("BERTBENCH_DEBUG") or self._exception is None:
            super()._fatal_error()
            return
        from rich.text import Text
        from textual.worker import WorkerFailed

        error: BaseException = self._exception
        if isinstance(error, WorkerFailed):
            error = error.error
        lines = [f"bertbench stopped after an unexpected error: {type(error).__name__}: {error}"]
        if self.stopped_on_crash:
            runs = ", ".join(self.stopped_on_crash)
            lines.append(f"Stopped with a checkpoint: {runs} (continue them from the Runs tab).")
        lines.append(f"The traceback is in {log_path(self.services.workspace.root)}.")
        self.bell()
        self.panic(Text("\n".join(lines)))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(
            event, (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
        ):
            self.idle_gc.touch()
        await super().on_event(event)

    # ------------------------------------------------------------------ actions
    def action_show_tab(self, tab_id: str) -> None:
        tabs = self.query_one(TabbedContent)
        if tabs.active != tab_id:
            # Focus left on a widget of the tab being hidden would move to one of its
            # siblings and switch straight back: drop it first; `_focus_pane` places it.
            self.set_focus(None)
            tabs.active = tab_id

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id:
            self.call_after_refresh(self._focus_pane, event.pane.id)

    def _focus_pane(self, tab_id: str, *, keep: bool = True) -> None:
        """Move focus into the tab just shown, unless it is already there (`keep`).

        Focus left in a hidden tab would wander to another widget of that tab and switch
        back to it. The first list, table or button gets it (not a text box, so the number
        keys keep switching tabs); with none, the tab bar."""
        tabs = self.query_one(TabbedContent)
        if tabs.active != tab_id:
            return  # another tab was picked meanwhile
        pane = tabs.get_pane(tab_id)
        focused = self.focused
        if keep and focused is not None and (focused is pane or pane in focused.ancestors):
            return
        chain = [w for w in self.screen.focus_chain if pane in w.ancestors]
        for kinds in FIRST_FOCUS:
            for widget in chain:
                if isinstance(widget, kinds):
                    # Not widget.focus(): that is deferred, and a tab key pressed meanwhile
                    # would be undone by it.
                    self.screen.set_focus(widget)
                    return
        self.screen.set_focus(tabs.query_one(Tabs))

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            panes = {
                f"{number} {title}": list(pane.BINDINGS)
                for number, (_, title, pane) in enumerate(TABS, start=1)
            }
            self.push_screen(HelpScreen(str(self.services.workspace.root), panes))

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def action_leave_field(self) -> None:
        """Escape from a text box gives the number keys back to tab switching."""
        if self.screen is self.screen_stack[0]:
            self._focus_pane(self.query_one(TabbedContent).active, keep=False)

    async def action_quit(self) -> None:
        """Quit; with a run training, first ask: stop it (it checkpoints) or go back."""
        if self.quitting:
            return
        active = self.services.manager.runs(active_only=True)
        if not active:
            self.exit()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def chosen(stop: bool | None) -> None:
            if stop:
                self.stop_runs_and_exit()

        self.push_screen(QuitScreen(active), chosen)

    @work(thread=True, exclusive=True, group="quit")
    def stop_runs_and_exit(self) -> None:
        """Stop every run (each writes a checkpoint first), then leave. Runs in a thread so
        the notice stays on screen while the checkpoints are written."""
        self.quitting = True
        count = len(self.services.manager.runs(active_only=True))
        self.call_from_thread(
            self.notify,
            f"stopping {count} run{'s' if count != 1 else ''}… each writes a checkpoint first",
            title="Quitting",
            timeout=60,
        )
        self.services.manager.stop_all(wait=True)
        self.call_from_thread(self.exit)

    # ------------------------------------------------------------------ cross-pane messages
    # The app forwards them to the panes that care.
    # Threads post them at any time, also while the app closes and its panes are gone.
    def on_preset_chosen(self, message: PresetChosen) -> None:
        forward(self._pane(TrainPane), PresetChosen(message.name))
        self.action_show_tab("train")

    def on_run_started(self, message: RunStarted) -> None:
        forward(self._pane(TrainPane), RunStarted(message.run_id))
        if message.show and self._pane(TrainPane) is not None:
            self.action_show_tab("train")  # a Continue: follow the run where it is drawn

    def on_run_event(self, message: RunEvent) -> None:
        forward(self._pane(TrainPane), RunEvent(message.run_id, message.event))

    async def on_use_in_preset(self, message: UseInPreset) -> None:
        """Switch to Presets and put the thing into the preset on screen."""
        self.action_show_tab("presets")
        await self.query_one(PresetsPane).use_thing(message.kind, message.path, message.name)

    def on_runs_changed(self, message: RunsChanged) -> None:
        for pane in (self._pane(RunsPane), self._pane(TryPane)):
            forward(pane, RunsChanged())

    def _pane(self, kind: type[PaneT]) -> PaneT | None:
        """The pane of type `kind`; None once the app is closing (its panes removed)."""
        try:
            return self.query_one(kind)
        except NoMatches:
            return None


def start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker with the real stderr.

    Textual replaces `sys.stderr` with an object whose file descriptor is -1. The tracker,
    started by the first "spawn" process pool (the engine tokenizes a corpus in worker
    processes), hands `sys.stderr`'s descriptor to its process, and that fails ("bad value(s)
    in fds_to_keep"): every run with `data.workers` > 1 would fail in the TUI. Started here,
    once, with the process's own stderr, later pools reuse it."""
    import multiprocessing.resource_tracker
    from contextlib import redirect_stderr

    if sys.__stderr__ is None:
        return
    with redirect_stderr(sys.__stderr__):
        multiprocessing.resource_tracker.ensure_running()


def shown_path(path: Path) -> str:
    """A path as people write it: ~ for the home folder."""
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def forward(pane: Widget | None, message: Message) -> None:
    """Deliver `message` to `pane` only: stopped before posting, it does not bubble back up
    to the app (which would forward it again). No pane (the app is closing): dropped."""
    message.stop()
    if pane is not None:
        pane.post_message(message)
