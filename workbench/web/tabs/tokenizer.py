"""The Tokenizer tab: train a tokenizer (demo corpus, a file path, or an uploaded file) with
progress and cancel, look at its vocabulary, and see how it cuts text.

API names: /tokenizer_upload, /tokenizer_train, /tokenizer_cancel, /tokenizers_list,
/tokenizer_stats, /tokenizer_encode."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import gradio as gr
import pandas as pd

from workbench.services import Services, TokenizerJob, VocabStats
from workbench.services.tables import highlight_segments
from workbench.web.common import exact_first, failed, shown_in, uploaded

POLL_SECONDS = 0.2
TOKEN_COLUMNS = ["token", "id", "start", "end", "special"]


def build(services: Services) -> None:
    tokenizers = services.tokenizers
    workspace = services.workspace
    # Jobs by tokenizer name, shared by every browser tab: a cancel from any page reaches it.
    jobs: dict[str, TokenizerJob] = {}
    lock = threading.Lock()

    def sources() -> list[str]:
        uploads = sorted(p.name for p in workspace.area("uploads").iterdir() if p.is_file())
        return ["demo", *uploads]

    def names() -> list[str]:
        return exact_first([e.name for e in tokenizers.list()])

    # ------------------------------------------------------------------ layout
    with gr.Row():
        with gr.Column():
            source = gr.Dropdown(
                sources(),
                value="demo",
                label="Corpus",
                allow_custom_value=True,
                info="'demo' (built-in, offline), a file uploaded here (kept in the workspace's "
                "uploads/), or the path of a file in the workspace or a data folder of the panel",
            )
            upload = gr.UploadButton(
                "Upload a corpus (.txt, .jsonl, .csv, .gz)",
                file_types=[".txt", ".jsonl", ".csv", ".tsv", ".gz"],
                size="sm",
            )
            name = gr.Textbox(label="Name", placeholder="wp-8k", max_lines=1)
            kind = gr.Radio(["wordpiece", "bpe"], value="wordpiece", label="Kind")
            with gr.Row():
                vocab_size = gr.Number(8000, label="Vocabulary size", precision=0, minimum=16)
                min_frequency = gr.Number(2, label="Minimum frequency", precision=0, minimum=1)
                max_documents = gr.Number(
                    None, label="At most documents", precision=0, info="0 or empty: all"
                )
            overwrite = gr.Checkbox(label="Replace a tokenizer of that name")
            with gr.Row():
                train = gr.Button("Train", variant="primary")
                cancel = gr.Button("Cancel", variant="stop")
            # Upload's, Train's and Cancel's outcome (and the training's progress).
            progress_text = gr.Markdown(elem_id="tokenizer-progress")
        with gr.Column():
            with gr.Row():
                chosen = gr.Dropdown(names(), label="Tokenizer", scale=3, allow_custom_value=True)
                refresh = gr.Button("Refresh", size="sm", scale=1)
            stats_text = gr.Markdown(elem_id="tokenizer-stats")
            lengths = gr.BarPlot(
                x="length", y="tokens", title="Token lengths (characters)", height=220
            )
    text = gr.Textbox(
        label="Text to tokenize",
        value="The teacher paints a green hat.",
        lines=2,
    )
    encode = gr.Button("Tokenize")
    encode_status = gr.Markdown(elem_id="tokenizer-encode-status")
    highlight = gr.HighlightedText(
        label="Tokens (label: token · id)",
        combine_adjacent=False,
        show_legend=False,
        elem_classes=["tokens"],
    )
    with gr.Accordion("Token table", open=False):
        token_table = gr.Dataframe(headers=TOKEN_COLUMNS, interactive=False)

    # ------------------------------------------------------------------ handlers
    # Each handler's errors go to the status beside its control (common.shown_in).
    @shown_in(2, at=1)
    def on_upload(file: Any) -> list[Any]:
        filename, data = uploaded(file)
        path = workspace.save_upload(filename, data)
        return [gr.update(choices=sources(), value=path.name), f"Uploaded `{path.name}`."]

    @shown_in(4)
    def on_train(
        tok_name: str,
        corpus: str,
        tok_kind: str,
        size: float,
        min_freq: float,
        max_docs: float | None,
        replace: bool,
        progress: gr.Progress = gr.Progress(),  # noqa: B008  (Gradio injects it so)
    ) -> Iterator[list[Any]]:
        tok_name = (tok_name or "").strip()
        with lock:
            running = jobs.get(tok_name)
            if running is not None and not running.done:
                raise gr.Error(f"tokenizer {tok_name!r} is already training", print_exception=False)
            job = tokenizers.train(
                tok_name,
                (corpus or "demo").strip(),
                kind=tok_kind,  # type: ignore[arg-type]
                vocab_size=int(size or 0),
                min_frequency=int(min_freq or 1),
                max_documents=int(max_docs) if max_docs else None,
                overwrite=bool(replace),
            )
            jobs[tok_name] = job
        while not job.done:
            fraction = job.current / job.total if job.total else None
            progress(fraction, desc=f"{job.stage} {job.current}/{job.total or '?'}")
            yield [
                f"Training `{tok_name}`: {job.stage} {job.current}/{job.total or '?'}",
                gr.update(),
                gr.update(),
                gr.update(),
            ]
            job.wait(POLL_SECONDS)
        if job.status == "failed":
            yield [failed(f"training {tok_name!r} failed: {job.error}"), *[gr.skip()] * 3]
            return
        if job.status == "cancelled":
            yield [f"Training `{tok_name}` was cancelled.", gr.update(), gr.update(), gr.update()]
            return
        stats = tokenizers.vocab_stats(tok_name)
        yield [
            f"Trained `{tok_name}`: {stats.size} tokens.",
            gr.update(choices=names(), value=tok_name),
            describe(stats),
            histogram(stats),
        ]

    @shown_in(1)
    def on_cancel(tok_name: str) -> str:
        job = jobs.get((tok_name or "").strip())
        if job is None or job.done:
            raise gr.Error(f"no tokenizer {tok_name!r} is training", print_exception=False)
        job.cancel()
        return f"Cancelling `{tok_name}`…"

    def on_list() -> Any:
        return gr.update(choices=names())

    @shown_in(2)
    def on_stats(tok_name: str) -> list[Any]:
        if not tok_name:
            return ["", None]
        stats = tokenizers.vocab_stats(tok_name)
        return [describe(stats), histogram(stats)]

    @shown_in(3)
    def on_encode(tok_name: str, sample: str) -> list[Any]:
        if not tok_name:
            raise gr.Error(
                "choose a tokenizer in the Tokenizer list (or train one) first",
                print_exception=False,
            )
        spans = tokenizers.encode(tok_name, sample or "")
        table = pd.DataFrame(
            [[s.token, s.id, s.start, s.end, s.special] for s in spans], columns=TOKEN_COLUMNS
        )
        return ["", highlight_segments(sample or "", spans), table]

    # ------------------------------------------------------------------ wiring
    upload.upload(on_upload, upload, [source, progress_text], api_name="tokenizer_upload")
    train.click(
        on_train,
        [name, source, kind, vocab_size, min_frequency, max_documents, overwrite],
        [progress_text, chosen, stats_text, lengths],
        api_name="tokenizer_train",
        concurrency_limit=None,  # each training is its own thread; polling costs nothing
    )
    cancel.click(on_cancel, name, progress_text, api_name="tokenizer_cancel")
    refresh.click(on_list, None, chosen, api_name="tokenizers_list")
    chosen.change(on_stats, chosen, [stats_text, lengths], api_name="tokenizer_stats")
    gr.on(
        [encode.click, text.submit],
        on_encode,
        [chosen, text],
        [encode_status, highlight, token_table],
        api_name="tokenizer_encode",
    )


def describe(stats: VocabStats) -> str:
    return (
        f"**{stats.size}** tokens · specials {', '.join(stats.specials) or 'none'} · "
        f"continuations (##) {stats.continuation_share:.0%} · "
        f"word starts (Ġ) {stats.word_start_share:.0%}\n\n"
        f"Longest: {', '.join(f'`{t}`' for t in stats.longest[:10])}"
    )


def histogram(stats: VocabStats) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "length": [str(k) for k in stats.length_histogram],
            "tokens": list(stats.length_histogram.values()),
        }
    )
