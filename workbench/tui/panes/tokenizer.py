"""The Tokenizer pane: train a tokenizer (progress, cancel), list the trained ones, look at a
vocabulary, and type text to see how it is cut.

Training runs in the service's own thread (`services.tokenizers.train` returns a job); the
pane polls the job on a timer, so the UI never waits on it. Loading a tokenizer, its
statistics and each encoding run in thread workers.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, ProgressBar, Select, Static
from textual.widgets.option_list import Option

from workbench.services import TokenizerEntry, TokenizerJob, TokenSpan, VocabStats
from workbench.services.views import histogram_rows, token_segments
from workbench.tui.guard import Guarded, guarded
from workbench.tui.messages import UseInPreset

PATH_CHOICE = "__path__"
KINDS = [("WordPiece (BERT)", "wordpiece"), ("BPE (byte-level)", "bpe")]
# Alternating token backgrounds: theme variables, so both themes keep them readable.
TOKEN_STYLES = ("$text on $primary-muted", "$text on $accent-muted")
SPECIAL_STYLE = "bold $text-warning"


def token_style(index: int | None, special: bool = False) -> str:
    if special:
        return SPECIAL_STYLE
    return "" if index is None else TOKEN_STYLES[index % 2]


def highlighted(text: str, spans: list[TokenSpan]) -> Content:
    """The text with each token on its own background; specials shown as their token."""
    parts: list[Content | tuple[str, str] | str] = []
    for segment in token_segments(text, spans):
        if segment.special:
            parts.extend([" "] if parts else [])
            parts.append((segment.text, SPECIAL_STYLE))
            parts.append(" ")
        else:
            parts.append((segment.text, token_style(segment.index)))
    return Content.assemble(*parts)


def token_list(spans: list[TokenSpan]) -> Content:
    """Every token with its id, coloured like its stretch of text."""
    parts: list[tuple[str, str] | str] = []
    for index, span in enumerate(spans):
        if parts:
            parts.append(" ")
        parts.append((span.token, token_style(index, span.special)))
        parts.append((f" {span.id}", "$text-muted"))
    return Content.assemble(*parts)


def stats_text(entry: TokenizerEntry, stats: VocabStats) -> Content:
    rows = histogram_rows(stats.length_histogram, width=16)
    lines = [
        Content.styled(f"{entry.name} · {entry.kind} · {stats.size} tokens", "bold $text-primary"),
        Content(f"specials: {' '.join(stats.specials) or 'none'}"),
        Content(
            f"continuation pieces (##): {stats.continuation_share:.1%} · "
            f"word-start pieces (Ġ): {stats.word_start_share:.1%}"
        ),
        Content.styled("tokens by length (characters)", "$text-muted"),
        *(
            Content.assemble(f"{length:>4} ", (f"{count:>6} ", "$text-muted"), (bar, "$primary"))
            for length, count, bar in rows
        ),
        Content.assemble(("longest: ", "$text-muted"), " ".join(stats.longest[:8])),
    ]
    return Content("\n").join(lines)


class TokenizerPane(Guarded, Vertical):
    """Train, list, inspect and try tokenizers."""

    BINDINGS = [
        Binding("t", "train", "Train"),
        Binding("x", "cancel", "Cancel training"),
        Binding("e", "focus_text", "Encode text"),
        Binding("u", "use", "Use in preset"),
        Binding("r", "refresh", "Refresh", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.job: TokenizerJob | None = None
        self.timer: Timer | None = None
        self.entries: list[TokenizerEntry] = []
        self.current: TokenizerEntry | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="tok-main"):
            with VerticalScroll(id="tok-side"):
                yield Label("Train a tokenizer", classes="pane-title")
                with Horizontal(classes="field-line"):
                    yield Label("name", classes="tok-key")
                    yield Input(id="tok-name", compact=True, placeholder="e.g. wp-8k")
                with Horizontal(classes="field-line"):
                    yield Label("source", classes="tok-key")
                    yield Select(
                        [("demo (built-in corpus)", "demo")],
                        value="demo",
                        allow_blank=False,
                        id="tok-source",
                        compact=True,
                    )
                with Horizontal(classes="field-line", id="tok-path-line"):
                    yield Label("file", classes="tok-key")
                    yield Input(id="tok-path", compact=True, placeholder="/path/to/corpus.txt")
                with Horizontal(classes="field-line"):
                    yield Label("kind", classes="tok-key")
                    yield Select(
                        KINDS, value="wordpiece", allow_blank=False, id="tok-kind", compact=True
                    )
                with Horizontal(classes="field-line"):
                    yield Label("vocab size", classes="tok-key")
                    yield Input("8000", id="tok-vocab", type="integer", compact=True)
                with Horizontal(id="tok-buttons"):
                    yield Button("Train (t)", id="tok-train", variant="primary", compact=True)
                    yield Button("Cancel (x)", id="tok-cancel", compact=True, disabled=True)
                yield ProgressBar(id="tok-progress", show_eta=False)
                yield Static("", id="tok-job", markup=False)
                yield Label("Trained tokenizers", classes="pane-title")
                yield OptionList(id="tok-list", compact=True)
            with VerticalScroll(id="tok-detail"):
                yield Static("No tokenizer yet: train one on the left.", id="tok-stats")
                yield Button("Use in preset (u)", id="tok-use", compact=True)
                yield Input(id="tok-text", placeholder="type text to see its tokens (e)")
                yield Static("", id="tok-encoded")
                yield Static("", id="tok-ids")

    def on_mount(self) -> None:
        self.query_one("#tok-path-line").display = False
        self.query_one("#tok-progress").display = False  # shown while a tokenizer trains
        self.refresh_sources()
        self.load_list()

    # ------------------------------------------------------------------ sources and list
    def refresh_sources(self) -> None:
        """Offer demo, every file in the workspace's uploads/, or a path typed in."""
        services = self.services
        uploads = sorted(
            p.name for p in services.workspace.area("uploads").iterdir() if p.is_file()
        )
        select = self.query_one("#tok-source", Select)
        value = select.value
        options = [("demo (built-in corpus)", "demo")]
        options += [(f"uploads/{name}", name) for name in uploads]
        options.append(("a file path…", PATH_CHOICE))
        select.set_options(options)
        if value in {v for _, v in options}:
            select.value = value

    @work(thread=True, exclusive=True, group="tok-list")
    @guarded("could not list tokenizers", show="_job_error")
    def load_list(self, select: str | None = None) -> None:
        entries = self.services.tokenizers.list()
        self.app.call_from_thread(self._show_list, entries, select)

    def _show_list(self, entries: list[TokenizerEntry], select: str | None) -> None:
        services = self.services
        self.entries = entries
        options = self.query_one("#tok-list", OptionList)
        options.clear_options()
        options.add_options(
            Option(f"{e.name} · {e.kind} · {e.vocab_size}", id=e.name) for e in entries
        )
        name = self.query_one("#tok-name", Input)
        if not name.value or any(e.name == name.value for e in entries):
            name.value = services.workspace.unique_name("tokenizers", "tokenizer")
        if entries:
            index = next((i for i, e in enumerate(entries) if e.name == select), 0)
            options.highlighted = index
            self.open(entries[index])

    @on(OptionList.OptionHighlighted, "#tok-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        entry = next((e for e in self.entries if e.name == event.option_id), None)
        if entry is not None and entry is not self.current:
            self.open(entry)

    def open(self, entry: TokenizerEntry) -> None:
        self.current = entry
        self.query_one("#tok-stats", Static).update(f"loading {entry.name}…")
        self.load_stats(entry)
        self.encode(entry, self.query_one("#tok-text", Input).value)

    @work(thread=True, exclusive=True, group="tok-stats")
    @guarded("cannot read {entry.name}", show="_stats_error")  # e.g. a damaged file
    def load_stats(self, entry: TokenizerEntry) -> None:
        stats = self.services.tokenizers.vocab_stats(entry.name)
        self.app.call_from_thread(
            self.query_one("#tok-stats", Static).update, stats_text(entry, stats)
        )

    # ------------------------------------------------------------------ encoding
    @on(Input.Changed, "#tok-text")
    def _text_changed(self, event: Input.Changed) -> None:
        if self.current is not None:
            self.encode(self.current, event.value)

    @work(thread=True, exclusive=True, group="tok-encode")
    @guarded("cannot encode", show="_encode_error")
    def encode(self, entry: TokenizerEntry, text: str) -> None:
        if not text:
            self.app.call_from_thread(self._show_encoding, entry, text, [])
            return
        spans = self.services.tokenizers.encode(entry.name, text)
        self.app.call_from_thread(self._show_encoding, entry, text, spans)

    def _stats_error(self, text: str) -> None:
        self.query_one("#tok-stats", Static).update(Content(text))

    def _encode_error(self, text: str) -> None:
        self.query_one("#tok-encoded", Static).update(Content(text))

    def _show_encoding(self, entry: TokenizerEntry, text: str, spans: list[TokenSpan]) -> None:
        if entry is not self.current or text != self.query_one("#tok-text", Input).value:
            return  # an older request: a newer one is on its way
        encoded = self.query_one("#tok-encoded", Static)
        ids = self.query_one("#tok-ids", Static)
        if not spans:
            encoded.update("")
            ids.update("")
            return
        encoded.update(highlighted(text, spans))
        ids.update(Content.assemble((f"{len(spans)} tokens: ", "$text-muted"), token_list(spans)))

    def action_focus_text(self) -> None:
        self.query_one("#tok-text", Input).focus()

    @on(Button.Pressed, "#tok-use")
    def action_use(self) -> None:
        """Put the tokenizer shown into the preset being edited (Presets pane)."""
        entry = self.current
        if entry is None:
            self.notify("no tokenizer yet: train one first (t)", severity="warning")
            return
        self.post_message(UseInPreset("tokenizer", entry.path, entry.name))

    def action_refresh(self) -> None:
        self.refresh_sources()
        self.load_list(self.current.name if self.current else None)

    # ------------------------------------------------------------------ training
    @on(Select.Changed, "#tok-source")
    def _source_changed(self, event: Select.Changed) -> None:
        self.query_one("#tok-path-line").display = event.value == PATH_CHOICE

    @on(Button.Pressed, "#tok-train")
    @on(Input.Submitted, "#tok-name, #tok-vocab, #tok-path")
    def action_train(self) -> None:
        if self.job is not None and not self.job.done:
            self._job_text("a tokenizer is training; cancel it first (x)", error=True)
            return
        name = self.query_one("#tok-name", Input).value.strip()
        source = str(self.query_one("#tok-source", Select).value)
        if source == PATH_CHOICE:
            source = self.query_one("#tok-path", Input).value.strip()
            if not source:
                self._job_text("type the path of a text file (one document per line)", error=True)
                return
        kind = str(self.query_one("#tok-kind", Select).value)
        vocab_text = self.query_one("#tok-vocab", Input).value.strip()
        try:
            vocab_size = int(vocab_text)
        except ValueError:
            self._job_text(f"vocab size {vocab_text!r}: type a whole number", error=True)
            return
        job = self._start_training(name, source, kind, vocab_size)
        if job is None:
            return
        self.job = job
        self.query_one("#tok-cancel", Button).disabled = False
        self.query_one("#tok-train", Button).disabled = True
        bar = self.query_one("#tok-progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._job_text(f"training {name}…")
        self.timer = self.set_interval(0.1, self._poll)

    @guarded(show="_job_error")  # bad name, name taken, bad size: shown here
    def _start_training(
        self, name: str, source: str, kind: str, vocab_size: int
    ) -> TokenizerJob | None:
        return self.services.tokenizers.train(name, source, kind=kind, vocab_size=vocab_size)

    def _poll(self) -> None:
        job = self.job
        if job is None:
            return
        bar = self.query_one("#tok-progress", ProgressBar)
        if job.total:
            bar.update(total=job.total, progress=job.current)
        if not job.done:
            self._job_text(f"{job.name}: {job.stage} {job.current}/{job.total or '?'}")
            return
        if self.timer is not None:
            self.timer.stop()
            self.timer = None
        self.query_one("#tok-cancel", Button).disabled = True
        self.query_one("#tok-train", Button).disabled = False
        if job.status == "finished":
            bar.update(total=1, progress=1)
            self._job_text(f"✓ {job.name} trained")
            self.load_list(job.name)
        elif job.status == "cancelled":
            self._job_text(f"{job.name}: cancelled, nothing saved")
        else:
            self._job_text(f"{job.name} failed: {job.error}", error=True)

    @on(Button.Pressed, "#tok-cancel")
    def action_cancel(self) -> None:
        if self.job is not None and not self.job.done:
            self.job.cancel()
            self._job_text(f"{self.job.name}: cancelling…")

    def _job_error(self, text: str) -> None:
        self._job_text(text, error=True)

    def _job_text(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#tok-job", Static)
        status.update(text)
        status.set_class(error, "-error")
