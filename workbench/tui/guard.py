"""Errors in the TUI never end it, nor a run.

A `BertbenchError` (bad input: its message says what, where and how to fix it) is shown as
it is; any other exception is a bug: a short notice, and its traceback appended to
`<workspace>/logs/tui-errors.log`. Three layers apply this:

- `Guarded`, the base of every pane and dialog: an exception escaping one of its message
  handlers, timers or workers is reported instead of reaching Textual (which would close the
  app and cut the runs off);
- `guarded(doing, show)`, on a worker body or handler: the same, with what was being done
  ("could not list runs") and, optionally, the pane's own place for the message;
- the app's `run_action` (key bindings) and its last-resort crash handling (`app.py`).
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import time
import traceback
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual.message import Message
from textual.timer import Timer, TimerCallback
from textual.worker import Worker

from bert_engine.errors import BertbenchError

if TYPE_CHECKING:
    from textual.dom import DOMNode
    from textual.widget import Widget

    from workbench.services import Services
    from workbench.tui.app import BertbenchApp

LOG_FILE = Path("logs") / "tui-errors.log"  # inside the workspace
NOTICE_SECONDS = 12  # long enough to read a path
_MAX_SHOWN = 300  # characters of an unexpected error's message in a notice
REPEAT_QUIET_S = 10.0  # the same error again within this time is not shown or logged again
_write_lock = threading.Lock()
_last_shown: weakref.WeakKeyDictionary[Any, dict[str, float]] = weakref.WeakKeyDictionary()

F = TypeVar("F", bound=Callable[..., Any])


def log_path(root: Path) -> Path:
    return root / LOG_FILE


def write_log(path: Path, exc: BaseException, where: str) -> None:
    """Append `exc`'s traceback, with the UTC time and where it happened, to `path`."""
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    text = "".join(traceback.format_exception(exc))
    entry = f"--- {stamp} · {where}\n{text}\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _write_lock, path.open("a", encoding="utf-8") as log:
            log.write(entry)  # one write per entry: entries of two threads never interleave
    except OSError:  # a read-only or full disk must not turn one error into a crash
        logging.getLogger(__name__).exception("could not write %s", path)


def describe(exc: BaseException, doing: str = "") -> str:
    """The text shown for `exc`: a user error's own message; a bug's class and message."""
    if isinstance(exc, BertbenchError):
        text = str(exc) or type(exc).__name__
    else:
        message = str(exc)
        if len(message) > _MAX_SHOWN:
            message = message[:_MAX_SHOWN] + "…"
        text = f"unexpected {type(exc).__name__}" + (f": {message}" if message else "")
    return f"{doing}: {text}" if doing else text


def report(
    node: DOMNode, exc: BaseException, doing: str = "", show: Callable[[str], None] | None = None
) -> None:
    """Tell the user about `exc` (on the UI thread): `show(text)` in the pane when given,
    else an error notice; a bug also gets a notice naming the log, where its traceback goes."""
    text = describe(exc, doing)
    unexpected = not isinstance(exc, BertbenchError)
    if unexpected and _repeated(node.app, text):  # e.g. a handler of every step: one notice
        return
    if unexpected:
        path = log_path(app_of(node).services.workspace.root)
        write_log(path, exc, f"{type(node).__name__}" + (f": {doing}" if doing else ""))
    if show is not None:
        try:
            show(text)
        except Exception as failed:  # the pane's own display broke: the notice still says it
            unexpected = True
            write_log(log_path(app_of(node).services.workspace.root), failed, "showing an error")
    if show is None or unexpected:
        if unexpected:
            text += f"\n(a bug: the details are in {LOG_FILE.as_posix()} in the workspace)"
        node.app.notify(
            text,
            title="Unexpected error" if unexpected else "",
            severity="error",
            timeout=NOTICE_SECONDS,
            markup=False,  # messages quote user text and tokens such as [MASK]
        )


def _repeated(app: Any, text: str) -> bool:
    now = time.monotonic()
    shown = _last_shown.setdefault(app, {})
    if now - shown.get(text, -REPEAT_QUIET_S) < REPEAT_QUIET_S:
        return True
    shown[text] = now
    return False


def report_soon(
    node: DOMNode, exc: BaseException, doing: str = "", show: Callable[[str], None] | None = None
) -> None:
    """`report` from any thread (a worker's): it runs on the UI thread; when the app is
    closing, a bug's traceback still reaches the log."""
    app = node.app
    if threading.get_ident() == getattr(app, "_thread_id", None):
        report(node, exc, doing, show)
        return
    try:
        app.call_from_thread(report, node, exc, doing, show)
    except Exception:  # the app is closing: the log is all that is left
        if not isinstance(exc, BertbenchError):
            write_log(log_path(app_of(node).services.workspace.root), exc, type(node).__name__)


def app_of(node: DOMNode) -> BertbenchApp:
    return cast("BertbenchApp", node.app)


def guarded(doing: str = "", show: str | None = None) -> Callable[[F], F]:
    """Decorate a pane method (a worker body, a handler): an exception it raises is reported
    (see `report`) and the method returns None.

    `doing` says what failed, formatted with the method's arguments ("could not read {run}");
    `show` names the pane's method that displays a message in the pane itself."""

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        def context(self: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, Any]:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            return doing.format(**bound.arguments), getattr(self, show) if show else None

        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(self: Any, *args: Any, **kwargs: Any) -> Any:
                try:
                    return await fn(self, *args, **kwargs)
                except Exception as exc:
                    report_soon(self, exc, *context(self, args, kwargs))
                    return None

            return cast(F, run_async)

        @functools.wraps(fn)
        def run(self: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                return fn(self, *args, **kwargs)
            except Exception as exc:
                report_soon(self, exc, *context(self, args, kwargs))
                return None

        return cast(F, run)

    return decorate


if TYPE_CHECKING:
    _Mixin = Widget
else:
    # A plain mixin: Textual follows a widget's first DOMNode base for its default CSS and
    # bindings, which must stay the pane's own (Vertical, ModalScreen...).
    _Mixin = object


class Guarded(_Mixin):
    """Mixed into the panes and dialogs (`class TrainPane(Guarded, Vertical)`): the typed
    `services`, and no exception of theirs ever reaches Textual, which would end the app."""

    @property
    def services(self) -> Services:
        return app_of(self).services

    async def _dispatch_message(self, message: Message) -> None:
        # Every event and message handler of this widget, `@on` ones and callbacks included.
        # Textual stops a widget's message loop after an exception reaches it.
        try:
            await super()._dispatch_message(message)
        except Exception as exc:
            report(self, exc, f"handling {type(message).__name__}")

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Worker[Any]:
        return super().run_worker(self._guard_work(work), *args, **kwargs)

    def set_interval(
        self, interval: float, callback: TimerCallback | None = None, **kwargs: Any
    ) -> Timer:
        return super().set_interval(interval, self._guard_callback(callback), **kwargs)

    def set_timer(
        self, delay: float, callback: TimerCallback | None = None, **kwargs: Any
    ) -> Timer:
        return super().set_timer(delay, self._guard_callback(callback), **kwargs)

    def _guard_work(self, work: Any) -> Any:
        if inspect.isawaitable(work):
            awaitable = cast("Awaitable[Any]", work)

            async def run_awaitable() -> Any:
                try:
                    return await awaitable
                except Exception as exc:
                    report(self, exc)
                    return None

            return run_awaitable()
        if inspect.iscoroutinefunction(work):

            async def run_async() -> Any:
                try:
                    return await work()
                except Exception as exc:
                    report_soon(self, exc)
                    return None

            return run_async

        def run() -> Any:  # a thread worker
            try:
                return work()
            except Exception as exc:
                report_soon(self, exc)
                return None

        return run

    def _guard_callback(self, callback: TimerCallback | None) -> TimerCallback | None:
        if callback is None:
            return None

        async def tick() -> None:
            try:
                result = callback()
                if inspect.isawaitable(result):
                    await result
            except Exception as exc:
                report(self, exc, "a timer")

        return tick
