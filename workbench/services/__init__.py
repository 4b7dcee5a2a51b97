"""The one service layer both UIs (the Textual TUI and the Gradio panel) call.

    services = Services("~/bertbench")              # the workspace root
    services.presets.list()                         # PresetService
    job = services.tokenizers.train("wp-8k", "demo")  # TokenizerService
    run_id = services.manager.start_pretraining("quickstart", ["pretrain.max_steps=50"])
    events, cursor = services.manager.events_since(run_id, 0)
    services.runs.list()                            # RunLibrary
    services.datafiles.inspect("uploads/reviews.csv")  # DataFileService: columns, preview
    services.close()                                # stop_all: every run checkpoints first

Importing this package does not import torch (the TUI must draw its first frame fast): the
engine is imported on first use. See docs/services.md.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from workbench.services.datafiles import DataFileError, DataFileInfo, DataFileService
from workbench.services.manager import (
    MessageEvent,
    ProgressEvent,
    RunBusyError,
    RunManager,
    RunStatus,
    UnknownRunError,
)
from workbench.services.presets import FieldError, FieldSpec, PresetEntry, PresetService, Validation
from workbench.services.runs import (
    Classification,
    Comparison,
    FillMaskOutput,
    MaskFill,
    RunInfo,
    RunLibrary,
)
from workbench.services.sandbox import Sandbox, SandboxError
from workbench.services.tensorboard import TensorBoard
from workbench.services.tokenizers import (
    TokenizerEntry,
    TokenizerJob,
    TokenizerService,
    TokenSpan,
    VocabStats,
)
from workbench.services.watch import RunsWatcher
from workbench.services.workspace import Workspace, WorkspaceError, check_name, slugify

WORKSPACE_ENV = "BERTBENCH_WORKSPACE"


def default_root() -> str:
    """`$BERTBENCH_WORKSPACE`, else the working directory: its `runs/` and `presets/` are then
    the very folders the CLI uses, so every interface sees the same runs and presets. Launched
    in the source checkout itself (as README shows), `./workspace/` (git-ignored) instead: its
    `presets/` is the bundled, tracked one, which a save must never write into."""
    chosen = os.environ.get(WORKSPACE_ENV)
    if chosen:
        return chosen
    cwd = os.getcwd()
    from bert_engine.preset_files import bundled_dir

    if os.path.realpath(cwd) == os.path.realpath(bundled_dir().parent):
        return os.path.join(cwd, "workspace")
    return cwd


class Services:
    """Everything a UI needs, over one workspace folder."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        max_per_device: int = 1,
        max_upload_bytes: int | None = None,
        allow_shared_device: bool = False,
        confine_paths: bool = False,
        data_dirs: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        """`confine_paths` (the web panel): every file a user names must lie inside the
        workspace or one of `data_dirs` (services/sandbox.py); the TUI and CLI leave it off."""
        kwargs = {} if max_upload_bytes is None else {"max_upload_bytes": max_upload_bytes}
        self.workspace = Workspace(root, confine_paths=confine_paths, data_dirs=data_dirs, **kwargs)
        self.presets = PresetService(self.workspace)
        self.tokenizers = TokenizerService(self.workspace)
        self.manager = RunManager(
            self.workspace,
            presets=self.presets,
            max_per_device=max_per_device,
            allow_shared_device=allow_shared_device,
        )
        self.runs = RunLibrary(self.workspace, self.manager)
        self.datafiles = DataFileService(self.workspace)
        # Polled by both UIs to refresh run lists when any process changes a run.
        self.watcher = RunsWatcher(self.workspace.runs_dir)
        # Started from the Runs views; stopped in close().
        self.tensorboard = TensorBoard(self.workspace.root / "logs" / "tensorboard.log")

    def close(self, timeout: float | None = None) -> list[RunStatus]:
        """Stop every active run (each writes a checkpoint before its thread ends) and
        TensorBoard."""
        self.tensorboard.stop()
        return self.manager.stop_all(wait=True, timeout=timeout)


__all__ = [
    "Classification",
    "Comparison",
    "DataFileError",
    "DataFileInfo",
    "DataFileService",
    "FieldError",
    "FieldSpec",
    "FillMaskOutput",
    "MaskFill",
    "MessageEvent",
    "PresetEntry",
    "PresetService",
    "ProgressEvent",
    "RunBusyError",
    "RunInfo",
    "RunLibrary",
    "RunManager",
    "RunStatus",
    "RunsWatcher",
    "Sandbox",
    "SandboxError",
    "Services",
    "TokenSpan",
    "TokenizerEntry",
    "TokenizerJob",
    "TokenizerService",
    "UnknownRunError",
    "Validation",
    "VocabStats",
    "Workspace",
    "WorkspaceError",
    "check_name",
    "default_root",
    "slugify",
]
