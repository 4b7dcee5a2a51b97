"""Every endpoint of the web panel, called with traversal payloads (docs/web.md, "Security").

The panel is launched as `bertbench web` launches it: `Services(confine_paths=True,
data_dirs=[...])`. A folder outside the workspace holds files with a unique secret; symlinks
inside the workspace point at it. Every endpoint the app registers (enumerated from the app
itself: a new endpoint without an entry in TABLE fails `test_every_endpoint_is_in_the_table`)
is called with each payload in each of its inputs that names something; no response (result,
error message, downloaded file) may contain any part of the secret, nothing may appear or
change outside the workspace, and the cases marked `refuses` must end in an error message.
"""

from __future__ import annotations

import json
import os
import random
import string
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from kit.services import tiny_preset, write_corpus
from kit.web import RUN_LIMIT, UPLOAD_LIMIT

from workbench.services import Services, form
from workbench.services.sandbox import NOT_PATHS, PATH_FIELDS

_RNG = random.Random(13)
SECRET = "qz" + "".join(_RNG.choice(string.ascii_lowercase) for _ in range(30))
WINDOW = 8  # no run of this many characters of the secret may come back


class Secure(NamedTuple):
    url: str
    services: Services
    client: Any
    app: Any
    root: Path  # holds outside/, data/ and ws/
    outside: Path
    data: Path
    run: str  # a finished tiny pre-training run
    downloads: Path


def plant_outside(outside: Path) -> None:
    """Files a careless endpoint would leak: text, TOML (a preset or run config), JSON."""
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET} {SECRET}\n\n" * 200)
    toml = f'name = "{SECRET}"\ndescription = "{SECRET}"\n[data]\nsource = "{SECRET}"\n'
    (outside / "secret.toml").write_text(toml)
    (outside / "config.toml").write_text(toml)  # looks like a run folder to a listing
    (outside / "checkpoints").mkdir()
    (outside / "tokenizer.json").write_text(json.dumps({"model": {"vocab": {SECRET: 0}}}))
    (outside / "meta.json").write_text(json.dumps({"kind": SECRET, "vocab_size": 1}))


def plant_links(ws: Path, outside: Path) -> None:
    """Symlinks inside the workspace that lead out, one in each area."""
    links = {
        ws / "leak": outside,
        ws / "presets" / "leak.toml": outside / "secret.toml",
        ws / "runs" / "leak": outside,
        ws / "tokenizers" / "leak": outside,
        ws / "uploads" / "leak.txt": outside / "secret.txt",
        ws / "exports" / "leak.toml": outside / "secret.toml",
        ws / "exports" / "leak": outside,
    }
    for link, target in links.items():
        link.symlink_to(target)


def snapshot(root: Path, *skip: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `root` except in `skip`: (size, mtime) of each, links not followed."""
    seen: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        if Path(folder) in skip:
            dirs.clear()
            continue
        for name in [*dirs, *files]:
            info = os.lstat(Path(folder) / name)
            seen[str(Path(folder, name).relative_to(root))] = (info.st_size, info.st_mtime_ns)
    return seen


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secure]:
    from gradio_client import Client

    from workbench.web.app import launch

    root = tmp_path_factory.mktemp("websec")
    outside, data, ws = root / "outside", root / "data", root / "ws"
    plant_outside(outside)
    data.mkdir()
    write_corpus(data / "corpus.txt")
    services = Services(
        ws, max_upload_bytes=UPLOAD_LIMIT, confine_paths=True, data_dirs=[str(data)]
    )
    services.presets.save(tiny_preset(ws), "tiny")  # its corpus and cache: inside ws
    status = services.manager.wait(services.manager.start_pretraining("tiny"), RUN_LIMIT)
    assert status.status == "finished" and status.run_dir is not None, status.error
    plant_links(ws, outside)
    panel = launch(services, port=0, block=False, quiet=True)
    downloads = tmp_path_factory.mktemp("websec-downloads")  # outside `root`: it changes
    client = Client(panel.url, verbose=False, download_files=str(downloads))
    try:
        yield Secure(
            panel.url,
            services,
            client,
            panel.app,
            root,
            outside,
            data,
            status.run_dir.name,
            downloads,
        )
    finally:
        client.close()
        panel.close()
        services.close()


def payloads(s: Secure) -> dict[str, str]:
    ws, secret = s.services.workspace.root, s.outside / "secret.txt"
    up = os.path.relpath("/", os.getcwd())
    return {
        "absolute": str(secret),
        "dotdot": os.path.join(up, str(secret).lstrip("/")),
        "dotdot-in-workspace": str(ws / "runs" / ".." / ".." / "outside" / "secret.txt"),
        "symlink": str(ws / "leak" / "secret.txt"),
        "symlink-name": "leak",
        "nul": "leak\x00.txt",
        "long": "a" * 5000,
        "con": "CON",
        "nul-device": "NUL",
        "com1": "COM1.toml",
        "url-encoded": "%2e%2e%2f" * 8 + "etc%2fpasswd",
    }


# ----------------------------------------------------------------------------- the table
Args = Callable[[str, "Secure"], tuple[Any, ...]]


@dataclass(frozen=True)
class Case:
    args: Args  # the endpoint's inputs with the payload placed in one of them
    refuses: bool = False  # every payload must end in an error message


VIEW = ("loss", 0, False)  # chart, smoothing, log scale of the Train tab


def toml(key: str) -> Args:
    """A preset text setting `key` ("data.source", "extends") to the payload."""
    section, _, leaf = key.rpartition(".")

    def text(p: str, s: Secure) -> tuple[Any, ...]:
        head = f"[{section}]\n" if section else ""
        return (f"{head}{leaf} = {json.dumps(p)}\n",)

    return text


def form_values(p: str, s: Secure) -> tuple[Any, ...]:
    """The form of the Presets tab with every path setting set to the payload."""
    from workbench.web.tabs.presets import widget_value

    shown = form.to_form(None)
    paths = {f"{a}.{b}" for a, b in PATH_FIELDS}
    values = [p if f.spec.path in paths else widget_value(f) for f in shown.fields()]
    return (list(form.optional_tables()), *values)


def file_payload(p: str, s: Secure) -> tuple[Any, ...]:
    return ({"path": p, "orig_name": "x.toml", "meta": {"_type": "gradio.FileData"}},)


def outside_corpus(s: Secure) -> str:
    """A preset saved under a payload name (valid ones are kept): Start on it is refused, as
    its corpus lies outside, so no training ever starts here."""
    return f'name = "x"\n[data]\nsource = "{s.outside / "secret.txt"}"\n'


OVERRIDE_KEYS = [f"{a}.{b}" for a, b in PATH_FIELDS]


def absent_preset(name: str, s: Secure) -> str:
    """`name`, with no workspace preset of that name: an earlier endpoint (Duplicate, Save) may
    rightly have made one inside the workspace, and starting it would then be no refusal."""
    folder = s.services.workspace.root / "presets"
    made = folder / f"{name}.toml"
    try:
        if made.parent == folder and made.is_file():
            made.unlink()
    except OSError:  # a name too long for the file system: no such preset either
        pass
    return name


TABLE: dict[str, list[Case]] = {
    # Presets tab
    "presets_list": [Case(lambda p, s: ())],
    "lambda": [Case(lambda p, s: ())],  # the presets table's value on page load
    "preset_load": [Case(lambda p, s: (absent_preset(p, s),), refuses=True)],
    "preset_validate": [Case(toml("extends")), *(Case(toml(k)) for k in OVERRIDE_KEYS)],
    "preset_form_to_toml": [Case(form_values)],
    "preset_save": [
        Case(lambda p, s: (toml("extends")(p, s)[0], "saved", True), refuses=True),
        Case(lambda p, s: (outside_corpus(s), p, True)),
    ],
    "preset_download": [
        Case(lambda p, s: (toml("extends")(p, s)[0], "x"), refuses=True),
        Case(lambda p, s: (outside_corpus(s), p)),
    ],
    "preset_upload": [Case(file_payload, refuses=True)],
    "preset_duplicate": [
        Case(lambda p, s: (absent_preset(p, s), "copied"), refuses=True),
        Case(lambda p, s: ("tiny", p)),
    ],
    "preset_save_in_place": [
        # A payload that is a plain name may be a preset duplicated under it: saved, inside.
        # The text is tiny's own, so a payload naming "tiny" leaves later endpoints' preset as is.
        Case(lambda p, s: (s.services.presets.text("tiny"), p)),
        Case(lambda p, s: (toml("extends")(p, s)[0], "no-such-preset"), refuses=True),
    ],
    "preset_rename": [
        Case(lambda p, s: (absent_preset(p, s), "renamed"), refuses=True),
        Case(lambda p, s: ("no-such-preset", p), refuses=True),
    ],
    "preset_diff": [
        Case(lambda p, s: (absent_preset(p, s), "tiny"), refuses=True),
        Case(lambda p, s: ("tiny", absent_preset(p, s)), refuses=True),
    ],
    # Tokenizer tab
    "tokenizer_upload": [Case(file_payload, refuses=True)],
    "tokenizer_train": [
        Case(lambda p, s: ("t-src", p, "wordpiece", 40, 1, 20, True), refuses=True),
        Case(lambda p, s: (p, str(s.data / "corpus.txt"), "wordpiece", 40, 1, 20, True)),
        Case(lambda p, s: ("t-kind", "demo", p, 40, 1, 20, True), refuses=True),
    ],
    "tokenizer_cancel": [Case(lambda p, s: (p,), refuses=True)],
    "tokenizers_list": [Case(lambda p, s: ())],
    "tokenizer_stats": [Case(lambda p, s: (p,), refuses=True)],
    "tokenizer_encode": [Case(lambda p, s: (p, "some text"), refuses=True)],
    # Train tab (fine-tuning of "tiny", which has no [finetune] table: nothing ever starts)
    "train_start": [
        Case(lambda p, s: (absent_preset(p, s), "pre-training", "", "", *VIEW), refuses=True),
        Case(lambda p, s: ("tiny", p, "", "", *VIEW), refuses=True),
        Case(lambda p, s: ("tiny", "fine-tuning", p, "", *VIEW), refuses=True),
        *(
            Case(lambda p, s, k=k: ("tiny", "pre-training", "", f"{k}={p}", *VIEW), refuses=True)
            for k in OVERRIDE_KEYS
            if k not in ("finetune.init", "finetune.checkpoint")  # names, when not paths
        ),
        Case(lambda p, s: ("tiny", "fine-tuning", "", f"finetune.init={p}", *VIEW), refuses=True),
        Case(lambda p, s: ("tiny", "fine-tuning", "", f"finetune.checkpoint={p}", *VIEW), True),
    ],
    "train_data_upload": [Case(lambda p, s: (file_payload(p, s)[0], "tiny", "fine-tuning"))],
    "train_data_columns": [
        Case(lambda p, s: (p, "", "")),
        Case(lambda p, s: ("", p, "")),
        Case(lambda p, s: ("", "", p)),
    ],
    "cleared": [Case(lambda p, s: ())],  # the Train tab's data file cleared
    "train_poll": [Case(lambda p, s: (p, *VIEW)), Case(lambda p, s: ("", p, 0, False))],
    "train_attach": [Case(lambda p, s: (p, *VIEW))],
    "train_runs": [Case(lambda p, s: (p, 0, False))],
    "train_reattach": [Case(lambda p, s: (p, 0, False))],
    "train_chart": [Case(lambda p, s: (p, 0, False))],
    "train_pause": [Case(lambda p, s: (p,), refuses=True)],
    "train_resume": [Case(lambda p, s: (p,), refuses=True)],
    "train_stop": [Case(lambda p, s: (p,), refuses=True)],
    "train_probes": [Case(lambda p, s: ())],  # the probe table after a poll (state only)
    "train_probes_redraw": [Case(lambda p, s: ())],
    # After Runs' Continue (private): follow the run in the Run list, then its probes.
    "train_follow": [Case(lambda p, s: (p, *VIEW))],
    "train_follow_probes": [Case(lambda p, s: ())],
    "train_probes_step": [Case(lambda p, s: (1,))],  # an evaluation number, no name
    # Runs tab
    "table": [Case(lambda p, s: ())],  # the runs table's value on page load
    "runs_list": [Case(lambda p, s: (p,))],
    "runs_select": [Case(lambda p, s: (p,))],
    "runs_watch": [Case(lambda p, s: (p,))],
    "runs_search": [Case(lambda p, s: (p,))],
    "runs_meta": [Case(lambda p, s: (p,), refuses=True)],
    "runs_meta_on_select": [Case(lambda p, s: (p,), refuses=True)],
    "runs_meta_save": [
        Case(lambda p, s: (p, "", "", ""), refuses=True),
        Case(lambda p, s: (s.run, "", p, p)),  # notes are any text, kept in the run folder
    ],
    "runs_rename": [
        Case(lambda p, s: (p, "renamed", ""), refuses=True),
        Case(lambda p, s: (s.run, p, ""), refuses=True),
    ],
    "on_trash_ask": [Case(lambda p, s: (p,), refuses=True)],
    "on_trash_cancel": [Case(lambda p, s: ())],
    "runs_trash": [Case(lambda p, s: (p, ""), refuses=True)],
    "runs_restore": [Case(lambda p, s: (p, ""), refuses=True)],
    "runs_curves": [
        Case(lambda p, s: (p, "loss", 0, False), refuses=True),
        Case(lambda p, s: (s.run, p, 0, False)),
    ],
    "runs_compare": [
        Case(lambda p, s: ([s.run, p], "train/loss", 0, False), refuses=True),
        Case(lambda p, s: ([s.run, "leak"], p, 0, False), refuses=True),
    ],
    "on_reshape": [Case(lambda p, s: ([s.run, p], "train/loss", 0, False), refuses=True)],
    "runs_continue": [Case(lambda p, s: (p,), refuses=True)],
    "runs_export": [
        Case(lambda p, s: (p, "", True), refuses=True),
        Case(lambda p, s: (s.run, p, True)),
    ],
    "runs_tensorboard": [Case(lambda p, s: (p,), refuses=True)],
    # Try tab
    "try_runs": [Case(lambda p, s: ())],
    "try_select": [Case(lambda p, s: (p, p))],
    "try_runs_on_load": [Case(lambda p, s: ())],
    "try_classify": [Case(lambda p, s: (p, "some text", ""), refuses=True)],
    "try_classify_file": [
        Case(lambda p, s: (p, None)),
        Case(lambda p, s: (s.run, file_payload(p, s)[0])),
    ],
    "try_mask_token": [Case(lambda p, s: (p,), refuses=True)],
    "try_fill_mask": [Case(lambda p, s: (p, "the [MASK] sat", 5), refuses=True)],
    "try_errors": [
        Case(lambda p, s: (p, None, "any", "any"), refuses=True),
        Case(lambda p, s: (s.run, p, p, p), refuses=True),
    ],
    "try_errors_filter": [Case(lambda p, s: (p, p, "any", "any"), refuses=True)],
    "try_errors_run": [Case(lambda p, s: (p,), refuses=True)],
    "try_errors_compute": [Case(lambda p, s: (p,), refuses=True)],
    "try_inside_runs": [Case(lambda p, s: (p,))],
    "try_inside_runs_on_load": [Case(lambda p, s: ())],
    "try_attention": [
        Case(lambda p, s: (p, "the cat", "1", "head 1", None), refuses=True),
        Case(lambda p, s: (s.run, p, p, p, p)),
    ],
    "try_attention_redraw": [Case(lambda p, s: (p, "the cat", "1", "head 1", None), refuses=True)],
    "try_neighbours": [
        Case(lambda p, s: (p, "cat", 5, False), refuses=True),
        Case(lambda p, s: (s.run, p, 5, True)),
    ],
}
# Where a payload is a valid name, these succeed inside the workspace (a tokenizer, preset or
# export named "%2e%2e%2f...", a chart key falling back to "loss"): only what comes back and
# what is written outside are checked for them.


def endpoints(app: Any) -> dict[str, Any]:
    """api_name -> the app's function, for every function a client can reach (private ones
    too: the browser calls them by index)."""
    return {fn.api_name: fn for fn in app.fns.values() if fn.fn is not None}


def test_every_endpoint_is_in_the_table(secure: Secure) -> None:
    registered = set(endpoints(secure.app))
    assert registered - set(TABLE) == set(), "add these endpoints to TABLE"
    assert set(TABLE) - registered == set(), "these endpoints are gone: remove them from TABLE"


# ----------------------------------------------------------------------------- calling
REFUSAL = "**⚠ "  # how web.common.failed starts a refusal shown beside its control


def call(s: Secure, fn: Any, args: tuple[Any, ...]) -> tuple[bool, str]:
    """(refused, everything that came back as text)."""
    if any(isinstance(a, dict) and "meta" in a for a in args):
        return raw_call(s, fn.api_name, args)
    try:
        if fn.api_visibility == "private":
            endpoint = s.client.endpoints[fn._id]
            endpoint.is_valid = True  # the client skips private ones; the browser does not
            out = s.client.predict(*args, fn_index=fn._id)
        else:
            out = s.client.predict(*args, api_name=f"/{fn.api_name}")
    except Exception as exc:  # AppError (a gr.Error) or any other refusal the client reports
        return True, f"{type(exc).__name__}: {exc}"
    return said_no(out), json.dumps(out, default=repr)


def said_no(out: Any) -> bool:
    """A handler refuses in its status output (web.common.shown_in: a "**⚠ ..." line)."""
    values = out if isinstance(out, (list, tuple)) else [out]
    return any(isinstance(v, str) and v.startswith(REFUSAL) for v in values)


def raw_call(s: Secure, api_name: str, args: tuple[Any, ...]) -> tuple[bool, str]:
    """POST /gradio_api/call/<name> as a crafted client would, without gradio_client's upload
    of local files: the server gets the path itself."""
    base = s.url.rstrip("/") + f"/gradio_api/call/{api_name}"
    body = json.dumps({"data": list(args)}).encode()
    request = urllib.request.Request(base, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        event = json.loads(response.read())["event_id"]
    with urllib.request.urlopen(f"{base}/{event}", timeout=RUN_LIMIT) as response:
        text = response.read().decode("utf-8", "replace")
    said = REFUSAL in text or json.dumps(REFUSAL)[1:-1] in text
    return "event: error" in text or said, text


def leaked(text: str) -> str | None:
    """The first run of WINDOW characters of the secret found in `text` (lower-cased)."""
    lower = text.lower()
    for i in range(len(SECRET) - WINDOW + 1):
        if SECRET[i : i + WINDOW] in lower:
            return SECRET[i : i + WINDOW]
    return None


def downloaded(s: Secure) -> str:
    if not s.downloads.is_dir():
        return ""
    return "".join(p.read_bytes().decode("latin-1") for p in s.downloads.rglob("*") if p.is_file())


@pytest.mark.parametrize("api_name", sorted(TABLE))
def test_no_endpoint_reads_or_writes_outside(secure: Secure, api_name: str) -> None:
    fn = endpoints(secure.app).get(api_name)
    if fn is None:
        pytest.fail(f"{api_name} is in TABLE but the app has no such endpoint")
    mine = (secure.services.workspace.root,)  # may change; nothing else under root may
    before = snapshot(secure.root, *mine)
    cwd_before = set(os.listdir(os.getcwd()))
    for case in TABLE[api_name]:
        done: set[str] = set()
        for label, payload in payloads(secure).items():
            args = case.args(payload, secure)
            if json.dumps(args) in done:  # an endpoint without inputs: once is enough
                continue
            done.add(json.dumps(args))
            refused, text = call(secure, fn, args)
            where = f"{api_name} with {label} payload"
            assert leaked(text) is None, f"{where}: the secret came back: {text[:400]}"
            assert leaked(downloaded(secure)) is None, f"{where}: a downloaded file holds it"
            if case.refuses:
                assert refused, f"{where}: expected a refusal, got {text[:300]}"
            assert "Traceback" not in text, f"{where}: {text[:600]}"
    assert snapshot(secure.root, *mine) == before, f"{api_name} changed files outside the workspace"
    assert set(os.listdir(os.getcwd())) == cwd_before, f"{api_name} wrote into {os.getcwd()}"


# ----------------------------------------------------------------------------- the words
def test_a_path_outside_is_refused_in_words(secure: Secure) -> None:
    refused, text = call(secure, endpoints(secure.app)["preset_load"], ("/etc/passwd",))
    assert refused and "root:" not in text
    assert "plain name" in text and "choose a preset from the list" in text
    fn = endpoints(secure.app)["train_start"]
    refused, text = call(secure, fn, ("tiny", "pre-training", "", "data.source=/etc/passwd", *VIEW))
    assert refused and "root:" not in text
    assert "data.source" in text and "inside the workspace" in text and "--data-dir" in text
    refused, text = call(
        secure, endpoints(secure.app)["tokenizer_train"], ("t", "/etc/passwd", "bpe", 40, 1, 5, 1)
    )
    assert refused and "inside the workspace" in text and "root:" not in text


def test_the_data_folders_and_the_workspace_stay_usable(secure: Secure) -> None:
    """The sandbox refuses what is outside, not everything: a corpus in a --data-dir folder and
    an upload in the workspace train a tokenizer; the symlinked entries are not listed."""
    fns = endpoints(secure.app)
    corpus = str(secure.data / "corpus.txt")
    refused, text = call(
        secure, fns["tokenizer_train"], ("from-data", corpus, "wordpiece", 60, 1, 30, 1)
    )
    assert not refused, text
    assert "Trained `from-data`" in text
    ws = secure.services.workspace
    (ws.area("uploads") / "mine.txt").write_text((secure.data / "corpus.txt").read_text())
    refused, text = call(
        secure, fns["tokenizer_train"], ("mine", "mine.txt", "wordpiece", 60, 1, 30, 1)
    )
    assert not refused, text
    assert "leak" not in [e.name for e in secure.services.presets.list()]
    assert "leak" not in [e.name for e in secure.services.tokenizers.list()]
    assert "leak" not in [r.run_id for r in secure.services.runs.list()]


def test_every_text_setting_of_the_schema_is_classified() -> None:
    """A new path setting in the schema must be added to sandbox.PATH_FIELDS (or NOT_PATHS)."""
    from bert_engine.preset_fields import field_specs
    from bert_engine.presets import Preset

    text = {s.path for s in field_specs(Preset) if s.type == "string"}
    listed = {f"{a}.{b}" for a, b in PATH_FIELDS}
    assert text - listed - NOT_PATHS == set(), "classify these settings in services/sandbox.py"
    assert listed <= text | {"classification.validation", "classification.test"}


def test_the_file_route_serves_nothing_outside(secure: Secure) -> None:
    """Gradio's download route serves exports/ (and its cache) only; links out are refused."""
    from urllib.error import HTTPError
    from urllib.parse import quote

    ws = secure.services.workspace.root
    for target in (
        secure.outside / "secret.txt",
        ws / "exports" / "leak.toml",
        ws / "exports" / "leak" / "secret.txt",
        ws / "exports" / ".." / ".." / "outside" / "secret.txt",
        ws / "leak" / "secret.txt",
    ):
        url = secure.url.rstrip("/") + "/gradio_api/file=" + quote(str(target))
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read().decode("latin-1")
        except HTTPError as exc:
            body = exc.read().decode("latin-1")
            assert exc.code in (403, 404), (target, exc.code)
        assert leaked(body) is None, f"{target} was served"


def test_an_upload_must_come_from_gradios_upload_folder(secure: Secure) -> None:
    """The panel's own check behind Gradio's: a handler never reads a file named by a client."""
    import gradio as gr

    from workbench.web.common import uploaded

    for path in (secure.outside / "secret.txt", secure.services.workspace.root / "leak.txt"):
        with pytest.raises(gr.Error, match="not uploaded through this page"):
            uploaded(str(path))
