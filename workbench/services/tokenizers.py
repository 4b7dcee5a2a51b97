"""Tokenizers for the UIs: train one in a background thread (progress, cancel), keep it in the
workspace (`tokenizers/<name>/tokenizer.json` + `meta.json`), encode text with character
offsets for highlighting, and describe a vocabulary."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from bert_engine.files import read_json_object
from workbench.services.workspace import Workspace, WorkspaceError, check_name

TOKENIZER_FILE = "tokenizer.json"
META_FILE = "meta.json"
TERMINAL = ("finished", "cancelled", "failed")


@dataclass(frozen=True)
class TokenSpan:
    """One token of an encoding; `text[start:end]` is the input it covers (specials: empty)."""

    token: str
    id: int
    start: int
    end: int
    special: bool


@dataclass
class VocabStats:
    size: int
    specials: list[str]
    length_histogram: dict[int, int]  # visible length (markers removed) -> number of tokens
    continuation_share: float  # WordPiece "##" pieces / vocabulary
    word_start_share: float  # byte-level BPE "Ġ" (space-prefixed) pieces / vocabulary
    longest: list[str]


@dataclass(frozen=True)
class TokenizerEntry:
    name: str
    path: Path
    kind: str
    vocab_size: int
    created: str | None


@dataclass
class TokenizerJob:
    """A tokenizer being trained. Poll `stage/current/total/status`, or pass `on_progress`."""

    name: str
    status: str = "running"  # running, finished, cancelled, failed
    stage: str = "starting"
    current: int = 0
    total: int = 0
    error: str | None = None
    path: Path | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def cancel(self) -> None:
        self._cancel.set()

    def wait(self, timeout: float | None = None) -> str:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.status

    @property
    def done(self) -> bool:
        return self.status in TERMINAL


class TokenizerService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.folder = workspace.area("tokenizers")
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ training
    def train(
        self,
        name: str,
        source: str | Iterable[str] = "demo",
        *,
        kind: Literal["wordpiece", "bpe"] = "wordpiece",
        vocab_size: int = 8000,
        min_frequency: int = 2,
        lowercase: bool = True,
        pattern: Literal["gpt2", "gpt4"] = "gpt2",
        max_documents: int | None = None,
        overwrite: bool = False,
        on_progress: Callable[[TokenizerJob], None] | None = None,
    ) -> TokenizerJob:
        """Start training in a thread; the tokenizer lands in `tokenizers/<name>/`.

        `source`: "demo" (the built-in offline corpus), "hf:NAME", a file/folder/glob, a file
        in the workspace's uploads (its name), or an iterable of documents. `on_progress(job)`
        is called from the training thread after every progress step and at the end.
        """
        check_name(name, "tokenizer name")
        target = self.workspace.path("tokenizers", name)
        if target.exists() and not overwrite:
            raise WorkspaceError(
                f"a tokenizer named {name!r} already exists; pick another name or overwrite"
            )
        if kind not in ("wordpiece", "bpe"):
            raise WorkspaceError(f"tokenizer kind {kind!r}: use 'wordpiece' or 'bpe'")
        if vocab_size < 16:
            raise WorkspaceError(f"vocab_size {vocab_size} is too small; use at least 16")
        docs = self._documents(source, max_documents)
        job = TokenizerJob(name)

        def progress(stage: str, current: int, total: int) -> bool:
            job.stage, job.current, job.total = stage, current, total
            if on_progress is not None:
                on_progress(job)
            return not job._cancel.is_set()

        def work() -> None:
            from bert_engine.tokenizers import (
                BpeTokenizer,
                TrainingCancelled,
                WordPieceTokenizer,
            )

            try:
                if kind == "wordpiece":
                    tok: Any = WordPieceTokenizer.train(
                        docs(),
                        vocab_size=vocab_size,
                        min_frequency=min_frequency,
                        lowercase=lowercase,
                        progress=progress,
                    )
                else:
                    tok = BpeTokenizer.train(
                        docs(),
                        vocab_size=vocab_size,
                        min_frequency=min_frequency,
                        pattern=pattern,
                        progress=progress,
                    )
                if job._cancel.is_set():
                    raise TrainingCancelled("cancelled")
                target.mkdir(parents=True, exist_ok=True)
                tok.save(target / TOKENIZER_FILE)
                meta = {
                    "name": name,
                    "kind": kind,
                    "vocab_size": tok.vocab_size,
                    "source": source if isinstance(source, str) else "(texts)",
                    "min_frequency": min_frequency,
                    "lowercase": lowercase,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
                _write_json(target / META_FILE, meta)
                job.path = target / TOKENIZER_FILE
                job.status = "finished"
            except TrainingCancelled:
                job.status = "cancelled"
            except Exception as exc:  # shown in the UI; the thread must not die silently
                job.error = f"{type(exc).__name__}: {exc}"
                job.status = "failed"
            if on_progress is not None:
                on_progress(job)

        job._thread = threading.Thread(target=work, name=f"tokenizer-{name}", daemon=True)
        job._thread.start()
        return job

    def _documents(
        self, source: str | Iterable[str], max_documents: int | None
    ) -> Callable[[], Iterable[str]]:
        import itertools

        if not isinstance(source, str):
            texts = list(source)
            if not texts:
                raise WorkspaceError("no texts to train the tokenizer on")
            return lambda: texts[:max_documents] if max_documents else texts
        spec = source
        upload = self.workspace.area("uploads") / source
        if "/" not in source and source != "demo" and upload.is_file():
            spec = str(upload)
        # Confined (the web panel): the corpus must lie inside the workspace or a data folder.
        self.workspace.sandbox.source(spec, "corpus")

        def docs() -> Iterable[str]:
            from bert_engine.data.sources import open_source

            found = open_source(spec).documents()
            return itertools.islice(found, max_documents) if max_documents else found

        return docs

    # ------------------------------------------------------------------ reading
    def list(self) -> list[TokenizerEntry]:
        entries = []
        for folder in sorted(self.folder.iterdir()):
            if not self.workspace.sandbox.allows(folder):  # a link out: not read when confined
                continue
            if not (folder / TOKENIZER_FILE).is_file():
                continue
            meta = read_json_object(folder / META_FILE)
            entries.append(
                TokenizerEntry(
                    folder.name,
                    folder / TOKENIZER_FILE,
                    str(meta.get("kind", "?")),
                    int(meta.get("vocab_size", 0)),
                    meta.get("created"),
                )
            )
        return entries

    def path_of(self, ref: str | Path) -> Path:
        """A workspace tokenizer name, or a path to a tokenizer.json / run directory."""
        if isinstance(ref, str) and "/" not in ref and "\\" not in ref:
            candidate = self.workspace.path("tokenizers", ref) / TOKENIZER_FILE
            if candidate.is_file():
                self.workspace.resolve_inside(candidate, "tokenizer")  # the file may be a link
                return candidate
            if self.workspace.confined:  # a name only, never a path on the server
                raise self._unknown(ref)
        path = self.workspace.resolve_inside(ref, "tokenizer")
        if path.is_dir() and (path / TOKENIZER_FILE).is_file():
            return self.workspace.resolve_inside(path / TOKENIZER_FILE, "tokenizer")
        if path.is_file():
            return path
        raise self._unknown(ref)

    def _unknown(self, ref: str | Path) -> WorkspaceError:
        return WorkspaceError(
            f"no tokenizer {str(ref)!r}: not a workspace tokenizer "
            f"({', '.join(e.name for e in self.list()) or 'none yet'}) nor a tokenizer file"
        )

    def load(self, ref: str | Path) -> Any:
        """The tokenizer (cached; reloaded when the file changes)."""
        from bert_engine.tokenizers import load_tokenizer

        path = self.path_of(ref).resolve()
        stamp = path.stat().st_mtime
        with self._lock:
            cached = self._cache.get(str(path))
            if cached is not None and cached[0] == stamp:
                return cached[1]
        tok = load_tokenizer(path)
        with self._lock:
            self._cache[str(path)] = (stamp, tok)
        return tok

    def encode(self, ref: Any, text: str, *, add_special_tokens: bool = True) -> list[TokenSpan]:
        """The tokens of `text` with their character spans, for highlighting."""
        tok = self.load(ref) if isinstance(ref, (str, Path)) else ref
        enc = tok.encode(text, add_special_tokens=add_special_tokens)
        return [
            TokenSpan(t, int(i), int(s), int(e), bool(sp))
            for t, i, (s, e), sp in zip(
                enc.tokens, enc.ids, enc.offsets, enc.special_tokens_mask, strict=True
            )
        ]

    def vocab_stats(self, ref: Any, longest: int = 20) -> VocabStats:
        tok = self.load(ref) if isinstance(ref, (str, Path)) else ref
        vocab = tok.get_vocab()
        specials = list(tok.special_tokens)
        pieces = [t for t in vocab if t not in set(specials)]
        visible = [_visible(t) for t in pieces]
        histogram = dict(sorted(Counter(len(v) for v in visible).items()))
        n = max(len(pieces), 1)
        ranked = sorted(pieces, key=lambda t: (-len(_visible(t)), t))
        return VocabStats(
            size=len(vocab),
            specials=specials,
            length_histogram=histogram,
            continuation_share=sum(t.startswith("##") for t in pieces) / n,
            word_start_share=sum(t.startswith("Ġ") for t in pieces) / n,
            longest=ranked[:longest],
        )


def _visible(token: str) -> str:
    return token[2:] if token.startswith("##") and len(token) > 2 else token.lstrip("Ġ") or token


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from bert_engine.files import atomic_write_json

    atomic_write_json(path, data, durable=False)


def stats_dict(stats: VocabStats) -> dict[str, Any]:
    return asdict(stats)
