"""Small helpers every tab uses: service errors as messages in the panel's words, shown next
to the control that failed; uploaded-file reading.

Every handler runs with whatever a client sends (the page's dropdown choices are not enforced by
Gradio's API); the services check names and, with `Services(confine_paths=True)` as the panel is
started, every path (services/sandbox.py)."""

from __future__ import annotations

import functools
import heapq
import inspect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from bert_engine.errors import BertbenchError

F = TypeVar("F", bound=Callable[..., Any])

# The errors the services raise on bad input: their messages say what and how to fix it, so
# they go to the user (in the panel's words, see `browser_words`). Anything else is a bug and
# keeps its traceback in the log.
# BertbenchError: the project's one error family (RunBusyError, CheckpointError...); OSError:
# a file the user named is missing. ValueError and KeyError stay, as before, for the engine's
# remaining plain input checks (the CLI and the TUI take those for bugs).
USER_ERRORS: tuple[type[BaseException], ...] = (BertbenchError, ValueError, KeyError, OSError)

SIDE_BY_SIDE = "ask whoever started this panel to allow trainings side by side"
# Service and engine texts written for the CLI or for Python callers, and what the browser
# says instead: the panel's field labels and buttons, never flags, keywords or class names.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # "DataFileNotFoundError: no file ..." -> "no file ..."
        (r"\b(?:[A-Z][A-Za-z]*\.)*[A-Z][A-Za-z]*(?:Error|Exception|Warning): ", ""),
        (r"--set ('[^']*')", r"the override \1"),
        (r"\bstart the manager with max_per_device=\d+ to train side by side", SIDE_BY_SIDE),
        (r"\bstart with allow_shared_device=True to train side by side", SIDE_BY_SIDE),
        (
            r"\bpass --allow-shared-device to train side by side(?: \(slower for both\))?",
            SIDE_BY_SIDE,
        ),
        (r"\bpass --device auto or cpu", "set the device to auto or cpu in the preset"),
        (r"\bbertbench (?:pretrain|finetune) --resume \S+ --checkpoint (\S+)", r"Continue (\1)"),
    )
)


@dataclass
class Page:
    """What the tabs of one page share (app.build_app makes it; a tab's build may take it):
    the tab strip (an output: `gr.Tabs(selected="train")` shows the Train tab) and the Train
    tab's hook to follow a run another tab started (set by the Train tab's build):
    `train_run` is its run chooser (an output: its value is the run id to follow) and
    `follow(event)` chains, after `event`, following the run in that chooser from its first
    event (its whole history) with the page's timer."""

    tabs: Any = None
    train_run: Any = None
    follow: Callable[[Any], Any] | None = None


def browser_words(text: str) -> str:
    """A service's message as the browser shows it (see `_REWRITES`)."""
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text


def error_text(exc: BaseException) -> str:
    """What the user reads for `exc` (a user error or a `gr.Error`)."""
    if isinstance(exc, gr.Error):
        return browser_words(str(exc.message))
    # KeyError quotes its message; the services' own errors define __str__ properly.
    text = str(exc.args[0]) if type(exc) is KeyError and exc.args else str(exc)
    return browser_words(text or type(exc).__name__)


def failed(text: str) -> str:
    """A status line (Markdown) saying what went wrong, in the panel's words."""
    return f"**⚠ {browser_words(text)}**"


def shown_in(outputs: int, at: int = 0) -> Callable[[F], F]:
    """Show a handler's user errors (and the `gr.Error`s it raises) in its own status output.

    The handler has `outputs` outputs; index `at` is a Markdown next to the control that
    triggered it. On an error that output gets the message and every other output is left as
    it was (`gr.skip()`): raising instead would put an "Error" badge over each output, and
    those badges swallow clicks until the page is reloaded. A generator handler's last update
    is the message, the outputs it already sent stay."""

    def outcome(exc: BaseException) -> list[Any]:
        values: list[Any] = [gr.skip()] * outputs
        values[at] = failed(error_text(exc))
        return values

    def decorate(fn: F) -> F:
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    yield from fn(*args, **kwargs)
                except (gr.Error, *USER_ERRORS) as exc:
                    yield outcome(exc) if outputs > 1 else outcome(exc)[0]

            return gen_wrapper  # type: ignore[return-value]

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except (gr.Error, *USER_ERRORS) as exc:
                return outcome(exc) if outputs > 1 else outcome(exc)[0]

        return wrapper  # type: ignore[return-value]

    return decorate


def user_errors(fn: F) -> F:
    """Turn the services' input errors into `gr.Error` (a red toast in the browser, an
    `AppError` carrying the same message for gradio_client). Only for a handler whose outputs
    may all show "Error" (best none: use `shown_in`)."""

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except USER_ERRORS as exc:
                raise gr.Error(error_text(exc), print_exception=False) from exc

        return gen_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as exc:
            raise gr.Error(error_text(exc), print_exception=False) from exc

    return wrapper  # type: ignore[return-value]


C = TypeVar("C", str, tuple[str, Any])


def exact_first(choices: Sequence[C]) -> list[C]:
    """`choices` in their order, except that a choice comes before every choice whose label
    contains its label (`quickstart` before `classify-quickstart`, `bert-base-gpu` before
    `bert-base-gpu-512`).

    A Gradio dropdown filters its choices by the typed text (labels that contain it, case
    ignored, in the given order) and Enter takes the first one: in this order, typing a name
    and pressing Enter takes that very name, never a longer one that contains it."""
    labels = [(c if isinstance(c, str) else str(c[0])).lower() for c in choices]
    # waiting[j]: how many choices must still come before j (their labels are inside j's);
    # after[i]: the choices that wait for i.
    waiting = [0] * len(labels)
    after: list[list[int]] = [[] for _ in labels]
    for i, small in enumerate(labels):
        for j, large in enumerate(labels):
            if len(small) < len(large) and small in large:
                waiting[j] += 1
                after[i].append(j)
    ready = [i for i, n in enumerate(waiting) if n == 0]
    heapq.heapify(ready)
    order: list[int] = []
    while ready:  # the earliest ready choice first: the given order wherever it can stay
        i = heapq.heappop(ready)
        order.append(i)
        for j in after[i]:
            waiting[j] -= 1
            if waiting[j] == 0:
                heapq.heappush(ready, j)
    return [choices[i] for i in order]


def uploaded(file: Any) -> tuple[str, bytes]:
    """(original file name, content) of a `gr.File` / `gr.UploadButton` value.

    Gradio stores each upload in its own cache folder under the name the user's file had."""
    if file is None:
        raise gr.Error("no file received; choose a file first", print_exception=False)
    path = Path(file if isinstance(file, str) else getattr(file, "name", file["path"]))
    # Gradio itself refuses input files outside its upload folder; checked again here, after
    # symlinks, so a crafted request can never make the panel read another file.
    from gradio.utils import get_upload_folder

    if not path.resolve().is_relative_to(Path(get_upload_folder()).resolve()):
        raise gr.Error(
            "that file was not uploaded through this page; choose the file again",
            print_exception=False,
        )
    return path.name, path.read_bytes()
