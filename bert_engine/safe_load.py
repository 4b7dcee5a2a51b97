"""Loading torch files without ever running code from them.

`load_tensors` is `torch.load(weights_only=True)`: tensors and plain containers only. When torch
refuses a file it advises re-running with `weights_only=False`, which would execute whatever the
pickle holds; `UnsafeFileError` says instead what the file holds and what to do, and never
suggests that (nor allow-listing globals).
"""

from __future__ import annotations

import os
import pickle
import re
from typing import Any

from bert_engine.errors import BertbenchError

_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
# Paragraphs of torch's message that advise loosening the check, or only point at its docs.
_ADVICE = ("weights_only", "add_safe_globals", "safe_globals", "torch.load to learn more")


class UnsafeFileError(BertbenchError, ValueError):
    """A torch file holds more than tensors and plain containers (pickled code or classes), or
    is not a readable torch file; nothing from it was run."""


def refusal_message(path: str | os.PathLike[str], exc: BaseException) -> str:
    """Why `path` was not loaded, without torch's advice to disable the safety check."""
    text = str(exc)
    found = _GLOBAL.search(text)
    if found:
        return (
            f"{os.fspath(path)}: refused to load: it refers to {found.group(1)} (pickled code or "
            "a class, not just tensors), which bertbench never unpickles; if you did not write "
            "this file, delete it; recreate it with bertbench (or as safetensors)"
        )
    detail = " ".join(
        part.strip()
        for part in re.split(r"\n\s*\n", text)
        if part.strip() and not any(word in part for word in _ADVICE)
    )
    reason = f" ({detail})" if detail else ""
    return (
        f"{os.fspath(path)}: not a readable tensor file{reason}; it may be corrupt or truncated, "
        "or hold objects other than tensors; recreate it with bertbench (or as safetensors)"
    )


def load_tensors(path: str | os.PathLike[str], map_location: Any = None) -> Any:
    """`torch.load(path, weights_only=True)`; an `UnsafeFileError` when torch refuses it."""
    import torch

    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError) as exc:
        # `from None`: torch's own message (with its unsafe advice) stays out of tracebacks.
        raise UnsafeFileError(refusal_message(path, exc)) from None
