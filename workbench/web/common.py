"""Small helpers every tab uses: service errors as Gradio messages, uploaded-file reading.

Every handler runs with whatever a client sends (the page's dropdown choices are not enforced by
Gradio's API); the services check names and, with `Services(confine_paths=True)` as the panel is
started, every path (services/sandbox.py)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import gradio as gr

from bert_engine.errors import BertbenchError
from workbench.services import RunBusyError

F = TypeVar("F", bound=Callable[..., Any])

# The errors the services raise on bad input: their messages say what and how to fix it, so
# they go to the user verbatim. Anything else is a bug and keeps its traceback in the log.
# BertbenchError: the project's one error family (RunBusyError, CheckpointError...); OSError:
# a file the user named is missing. ValueError and KeyError stay, as before, for the engine's
# remaining plain input checks (the CLI and the TUI take those for bugs).
USER_ERRORS: tuple[type[BaseException], ...] = (BertbenchError, ValueError, KeyError, OSError)


def user_errors(fn: F) -> F:
    """Turn the services' input errors into `gr.Error` (a red toast in the browser, an
    `AppError` carrying the same message for gradio_client)."""

    def message(exc: BaseException) -> str:
        # KeyError quotes its message; the services' own errors define __str__ properly.
        text = str(exc.args[0]) if type(exc) is KeyError and exc.args else str(exc)
        if isinstance(exc, RunBusyError):
            text += " (here: restart the panel with bertbench web --runs-per-device N)"
        return text

    if _is_generator(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except USER_ERRORS as exc:
                raise gr.Error(message(exc), print_exception=False) from exc

        return gen_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except USER_ERRORS as exc:
            raise gr.Error(message(exc), print_exception=False) from exc

    return wrapper  # type: ignore[return-value]


def _is_generator(fn: Callable[..., Any]) -> bool:
    import inspect

    return inspect.isgeneratorfunction(fn)


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
