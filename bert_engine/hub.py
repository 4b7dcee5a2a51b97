"""The Hugging Face Hub: fetch a BERT checkpoint for fine-tuning (`finetune.init = "hf:ORG/NAME"`)
and push an exported folder (`bertbench export --push REPO`).

Online, a checkpoint is downloaded into the Hub's cache (`$HF_HUB_CACHE`, by default
~/.cache/huggingface/hub); offline (no network, or `HF_HUB_OFFLINE=1`) the cached copy is used.
Only the config, safetensors weights and tokenizer files are fetched: nothing that would be
unpickled or run."""

from __future__ import annotations

import os
import re
from pathlib import Path

from bert_engine.errors import BertbenchError

HUB_PREFIX = "hf:"
# What a BERT checkpoint needs: never pickles (*.bin) or code (*.py).
FETCHED = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
]
_REPO = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")


class HubError(BertbenchError):
    """The Hub could not give what was asked (offline and not cached, unknown repository...)."""


def repo_id(spec: str) -> str:
    """ "hf:ORG/NAME" -> "ORG/NAME", checked (HubError otherwise)."""
    name = spec.removeprefix(HUB_PREFIX).strip()
    if not _REPO.match(name) or ".." in name:
        raise HubError(
            f"{spec!r} is not a Hub model name; write hf:ORG/NAME, e.g. "
            "hf:google-bert/bert-base-uncased"
        )
    return name


def fetch_checkpoint(spec: str, download: bool = True) -> Path:
    """The local folder of the Hub model `spec` ("hf:ORG/NAME"): downloaded when online, the
    cached copy when offline (or when `download` is False); a HubError that says what to do
    when neither works."""
    from huggingface_hub import snapshot_download

    name = repo_id(spec)
    # Read at each call (huggingface_hub reads them once, at import).
    cache = os.environ.get("HF_HUB_CACHE") or None
    offline = _offline() or not download
    why = (
        "not in the cache"
        if not download
        else "offline (HF_HUB_OFFLINE is set) and not in the cache"
    )
    if not offline:
        try:
            return Path(snapshot_download(name, allow_patterns=FETCHED, cache_dir=cache))
        except Exception as exc:  # noqa: BLE001 - no network, unknown, gated...: the cache
            why = _reason(exc)
    try:
        found = snapshot_download(
            name, allow_patterns=FETCHED, cache_dir=cache, local_files_only=True
        )
    except Exception:  # noqa: BLE001
        raise HubError(
            f"cannot get the Hub model {name!r}: {why}. Online, check the name (and "
            "`huggingface-cli login` for a gated model); offline, download it once where "
            "there is network (it is then cached), or set finetune.init to a local "
            "HuggingFace folder"
        ) from None
    return Path(found)


def push_folder(folder: str | Path, repo: str, private: bool = False) -> str:
    """Upload an exported folder to the Hub repository `repo` (created when missing); returns
    its address. A HubError when offline or not logged in."""
    from huggingface_hub import HfApi

    name = repo_id(repo)
    if _offline():
        raise HubError(
            f"cannot push {folder} to {name!r}: offline (HF_HUB_OFFLINE is set). The export "
            "itself is written; push it later with `bertbench export RUN --out DIR --push REPO`"
        )
    api = HfApi()
    try:
        api.create_repo(name, exist_ok=True, private=private)
        api.upload_folder(repo_id=name, folder_path=str(folder), commit_message="bertbench export")
    except Exception as exc:  # noqa: BLE001
        raise HubError(
            f"could not push {folder} to the Hub repository {name!r}: {_reason(exc)}. The export "
            "itself is written; push it later with `bertbench export RUN --out DIR --push REPO` "
            "once online and logged in (`huggingface-cli login` or $HF_TOKEN)"
        ) from None
    return f"https://huggingface.co/{name}"


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
