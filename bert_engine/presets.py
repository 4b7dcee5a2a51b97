"""Experiment presets: one validated schema for a whole experiment, stored as TOML.

A preset names the tokenizer, the model, the pre-training data and recipe, an optional
fine-tuning step and where runs are tracked. Every field has a description, bounds and a default,
so a UI can render a form from `Preset.model_json_schema()`.

Files may `extends = "other.toml"` (a path relative to the file, or a preset name) and are deep
merged over it; relative input paths resolve against the file that wrote them. Every problem is a
`PresetError` naming the file (and line when known), the key, the bad value and what is allowed.
See docs/presets.md.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

import tomli_w

from bert_engine.files import atomic_write_text
from bert_engine.modeling.config import SIZES, BertConfig

try:  # fine-tuning settings come from the fine-tuning workflow (optional section)
    from bert_engine.training.finetune import (  # type: ignore[attr-defined]
        ClassificationDataSettings,
        FinetuneSettings,
    )

    _HAVE_FINETUNE = True
except ImportError:  # pragma: no cover - before the fine-tuning workflow exists
    _HAVE_FINETUNE = False

PRESET_SUFFIX = ".toml"


class PresetError(ValueError):
    """A preset cannot be read or is invalid. The message says where, what and what is allowed."""


# ----------------------------------------------------------------------------- schema
_STRICT = ConfigDict(extra="forbid", validate_assignment=True)


class TokenizerSettings(BaseModel):
    """Train a tokenizer on the corpus, or load an existing one with `path`."""

    model_config = _STRICT

    path: str | None = Field(
        None,
        description="An existing tokenizer.json, vocab.txt or a folder holding one. When set, "
        "nothing is trained and the other fields are ignored. Relative to the preset file.",
    )
    kind: Literal["wordpiece", "bpe"] = Field(
        "wordpiece", description="WordPiece (BERT) or byte-level BPE (RoBERTa/GPT style)."
    )
    vocab_size: int = Field(
        30522, ge=16, le=1_048_576, description="Target vocabulary size in tokens."
    )
    min_frequency: int = Field(
        2,
        ge=1,
        le=1_000_000_000,
        description="Minimum number of occurrences for a merge or word piece.",
    )
    lowercase: bool = Field(True, description="WordPiece: lowercase the text first.")
    strip_accents: bool | None = Field(
        None, description="WordPiece: remove accents (default: when lowercasing)."
    )
    limit_alphabet: int = Field(
        1000,
        ge=1,
        le=1_048_576,
        description="WordPiece: most frequent characters kept in the alphabet.",
    )
    pattern: Literal["gpt2", "gpt4"] = Field(
        "gpt2", description="BPE: the pre-tokenization regex (GPT-2 or GPT-4 style)."
    )
    source: str | None = Field(
        None,
        description="Corpus to train the tokenizer on (same spec as data.source); default: "
        "data.source. Relative to the preset file.",
    )
    max_documents: int | None = Field(
        None, ge=1, le=10**12, description="Train on at most this many documents (default: all)."
    )


class ModelSettings(BaseModel):
    """The BERT architecture: a standard size, optionally with overrides."""

    model_config = _STRICT

    size: Literal["tiny", "mini", "small", "medium", "base", "large"] = Field(
        "base",
        description="Standard size: "
        + ", ".join(f"{k} {v[0]}x{v[1]}" for k, v in SIZES.items())
        + " (layers x hidden).",
    )
    objective: Literal["mlm+nsp", "mlm"] = Field(
        "mlm+nsp",
        description="mlm+nsp: BERT (masked LM + next-sentence prediction); mlm: RoBERTa style.",
    )
    num_layers: int | None = Field(None, ge=1, le=128, description="Override: encoder layers.")
    hidden_size: int | None = Field(None, ge=8, le=16384, description="Override: hidden size.")
    num_heads: int | None = Field(None, ge=1, le=256, description="Override: attention heads.")
    intermediate_size: int | None = Field(
        None, ge=8, le=262_144, description="Override: feed-forward size (default 4 x hidden)."
    )
    hidden_dropout: float = Field(0.1, ge=0.0, lt=1.0, description="Dropout probability.")
    attention_dropout: float = Field(
        0.1, ge=0.0, lt=1.0, description="Attention dropout probability."
    )
    max_position_embeddings: int = Field(
        512, ge=8, le=65536, description="Longest sequence the model can read, in tokens."
    )
    vocab_size: int | None = Field(
        None,
        ge=16,
        le=1_048_576,
        description="Embedding rows; default and recommended: the tokenizer's size.",
    )

    def bert_config(self, vocab_size: int) -> BertConfig:
        """The model's `BertConfig` for a tokenizer of `vocab_size` tokens."""
        layers, hidden, heads = SIZES[self.size]
        hidden = self.hidden_size or hidden
        return BertConfig(
            vocab_size=self.vocab_size or vocab_size,
            num_layers=self.num_layers or layers,
            hidden_size=hidden,
            num_heads=self.num_heads or heads,
            intermediate_size=self.intermediate_size or 4 * hidden,
            hidden_dropout=self.hidden_dropout,
            attention_dropout=self.attention_dropout,
            max_position_embeddings=self.max_position_embeddings,
        )


class DataSettings(BaseModel):
    """The pre-training corpus and how examples are cut and masked."""

    model_config = _STRICT

    source: str = Field(
        "demo",
        description='"demo" (built-in offline corpus), "hf:NAME" (hub dataset), or a file, '
        "folder or glob (.txt/.jsonl/.csv/.tsv/.parquet, optionally .gz). Relative to the "
        "preset file.",
    )
    text_column: str = Field("text", description="Column holding the text (jsonl/csv/parquet).")
    doc_mode: Literal["blank_line", "line"] = Field(
        "blank_line",
        description="Text files: documents separated by blank lines, or one per line.",
    )
    hub_config: str | None = Field(None, description="hf: sources: the dataset configuration.")
    hub_split: str = Field("train", description="hf: sources: the split to read.")
    cache_dir: str | None = Field(
        None,
        description="Where tokenized shards are cached (default: $BERTBENCH_CACHE or "
        "~/.cache/bertbench). Relative to the preset file.",
    )
    max_seq_len: int = Field(
        128, ge=8, le=65536, description="Tokens per training sequence, specials included."
    )
    short_seq_prob: float = Field(
        0.1, ge=0.0, le=1.0, description="Probability of a shorter random target length."
    )
    mlm_probability: float = Field(
        0.15, gt=0.0, lt=1.0, description="Fraction of tokens chosen for masked-LM prediction."
    )
    whole_word_masking: bool = Field(False, description="Mask all pieces of a word together.")
    pack: bool = Field(
        False, description="MLM only: join documents and cut full rows (no padding)."
    )
    batch_size: int = Field(32, ge=1, le=65536, description="Sequences per micro-batch.")
    held_out_fraction: float = Field(
        0.01,
        ge=0.0,
        le=0.5,
        description="Fraction of documents (the last ones) kept out of training for evaluation.",
    )
    eval_batches: int = Field(
        20, ge=1, description="Held-out batches per evaluation (a fixed set, same every time)."
    )
    workers: int | None = Field(
        None, ge=1, le=64, description="Processes that tokenize the corpus (default: CPUs, <=8)."
    )


class PretrainSettings(BaseModel):
    """The pre-training recipe."""

    model_config = _STRICT

    max_steps: int = Field(1000, ge=1, le=10**9, description="Optimizer steps to train.")
    max_minutes: float | None = Field(
        None,
        gt=0.0,
        le=525_600.0,
        description="Wall-clock budget (pauses excluded): stop after this many minutes even "
        "before max_steps; the lr schedule then decays by time. Empty: steps only.",
    )
    lr: float = Field(1e-4, gt=0.0, le=1.0, description="Peak learning rate (AdamW).")
    warmup_steps: int = Field(
        100, ge=0, le=10**9, description="Steps of linear warm-up to the peak."
    )
    schedule: Literal["linear", "cosine", "constant"] = Field(
        "linear", description="Decay after warm-up."
    )
    weight_decay: float = Field(0.01, ge=0.0, le=1.0, description="AdamW weight decay.")
    clip_grad_norm: float = Field(
        1.0,
        ge=0.0,
        le=1e6,
        description="Clip the gradient norm to this value; 0 turns clipping off.",
    )
    grad_accum_steps: int = Field(1, ge=1, le=4096, description="Micro-batches per optimizer step.")
    log_every: int = Field(10, ge=1, le=10**9, description="Steps between progress events.")
    eval_every: int = Field(
        200, ge=0, le=10**9, description="Steps between held-out evaluations; 0: only at the end."
    )
    checkpoint_every: int = Field(
        500, ge=0, le=10**9, description="Steps between checkpoints; 0: only at the end."
    )
    keep_last: int = Field(
        2, ge=1, le=1000, description="Newest checkpoints kept (the best is kept too)."
    )
    seed: int = Field(
        0, ge=0, le=2**32 - 1, description="Seed of every random stream (data, init, dropout)."
    )
    device: str = Field(
        "auto", description='"auto" (cuda, mps, cpu), "cpu", "cuda", "cuda:1", "mps".'
    )
    precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        "auto", description="auto: bf16 on CUDA GPUs that support it, else fp32."
    )
    compile: bool = Field(False, description="torch.compile the encoder layers (GPU).")
    ignore_memory_check: bool = Field(
        False,
        description="Start even when the memory estimate exceeds the device's free memory "
        "(see docs/training.md).",
    )
    init_from: str | None = Field(
        None,
        description="Start from the weights of another run (folder) or checkpoint instead of "
        "a random init (e.g. phase 2 from phase 1). Relative to the preset file.",
    )


class TrackingSettings(BaseModel):
    """Where and how runs are recorded."""

    model_config = _STRICT

    runs_dir: str = Field(
        "runs", description="Folder holding the run folders (relative to the working directory)."
    )
    run_name: str | None = Field(None, description="Run folder name prefix (default: preset name).")
    tensorboard: bool = Field(True, description="Also write TensorBoard scalars.")


class Preset(BaseModel):
    """A whole experiment: tokenizer, model, data, pre-training, fine-tuning, tracking."""

    model_config = _STRICT

    name: str = Field("experiment", min_length=1, description="Short name of the experiment.")
    description: str = Field("", description="What the experiment is for.")
    extends: str | None = Field(
        None, description="A preset (file relative to this one, or a name) this one builds on."
    )
    tokenizer: TokenizerSettings = Field(default_factory=TokenizerSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    data: DataSettings = Field(default_factory=DataSettings)
    pretrain: PretrainSettings = Field(default_factory=PretrainSettings)
    if _HAVE_FINETUNE:
        finetune: FinetuneSettings | None = Field(  # type: ignore[valid-type]
            None, description="Optional fine-tuning on a labelled dataset."
        )
        classification: ClassificationDataSettings | None = Field(  # type: ignore[valid-type]
            None, description="The labelled dataset for fine-tuning."
        )
    tracking: TrackingSettings = Field(default_factory=TrackingSettings)

    @model_validator(mode="after")
    def _cross_checks(self) -> Preset:
        m, d, p, t = self.model, self.data, self.pretrain, self.tokenizer
        if d.max_seq_len > m.max_position_embeddings:
            raise ValueError(
                f"data.max_seq_len ({d.max_seq_len}) exceeds model.max_position_embeddings "
                f"({m.max_position_embeddings}); lower data.max_seq_len or raise the model's"
            )
        if p.warmup_steps > p.max_steps:
            raise ValueError(
                f"pretrain.warmup_steps ({p.warmup_steps}) exceeds pretrain.max_steps "
                f"({p.max_steps}); use at most {p.max_steps}"
            )
        if t.path is None and m.vocab_size is not None and m.vocab_size != t.vocab_size:
            raise ValueError(
                f"model.vocab_size ({m.vocab_size}) differs from tokenizer.vocab_size "
                f"({t.vocab_size}); leave model.vocab_size out to take the tokenizer's"
            )
        if d.pack and m.objective != "mlm":
            raise ValueError(
                'data.pack = true needs model.objective = "mlm" (packed rows have no sentence '
                "pairs for next-sentence prediction)"
            )
        layers, hidden, heads = SIZES[m.size]
        hidden, heads = m.hidden_size or hidden, m.num_heads or heads
        if hidden % heads:
            divisors = [h for h in range(1, 65) if hidden % h == 0]
            raise ValueError(
                f"model.hidden_size ({hidden}) must be divisible by model.num_heads ({heads}); "
                f"possible head counts: {', '.join(map(str, divisors[-6:]))}"
            )
        return self

    # ---------------------------------------------------------------- conveniences
    def bert_config(self, vocab_size: int) -> BertConfig:
        return self.model.bert_config(vocab_size)

    def to_dict(self) -> dict[str, Any]:
        """Plain values in schema order, without unset optional values (TOML has no null)."""
        return _drop_none(self.model_dump(mode="python"))

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())


# Fields holding input paths: resolved against the directory of the file that set them.
PATH_KEYS: tuple[tuple[str, str], ...] = (
    ("tokenizer", "path"),
    ("tokenizer", "source"),
    ("data", "source"),
    ("data", "cache_dir"),
    ("classification", "train"),
    ("classification", "validation"),
    ("classification", "test"),
    ("pretrain", "init_from"),
)


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_drop_none(v) for v in value]
    return value


def _is_input_path(key: tuple[str, str], value: Any) -> bool:
    if not isinstance(value, str) or not value:
        return False
    if key in (("data", "source"), ("tokenizer", "source"), ("classification", "train")):
        return value != "demo" and not value.startswith("hf:")  # built-in / hub, not files
    return True


# ----------------------------------------------------------------------------- reading
def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PresetError(f"{path}: preset file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"{path}: cannot read the preset ({exc})") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PresetError(f"{path}: not valid TOML: {exc}") from None


def _absolutize(data: dict[str, Any], base: Path) -> dict[str, Any]:
    """Input paths set in this file, made absolute against the file's directory."""
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and _is_input_path((section, key), table.get(key)):
            value = os.path.expanduser(table[key])
            table[key] = os.path.normpath(value if os.path.isabs(value) else base / value)
    return data


def deep_merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`: tables merge key by key, every other value replaces."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _extends_target(ref: str, referrer: Path) -> Path:
    candidate = Path(os.path.expanduser(ref))
    if not candidate.is_absolute():
        candidate = referrer.parent / candidate
    if candidate.is_file():
        return candidate
    if ref.endswith(PRESET_SUFFIX) and (referrer.parent / ref).is_file():
        return referrer.parent / ref
    found = find_preset(ref)
    if found is not None:
        return found
    raise PresetError(
        f"{referrer}: extends = {ref!r}: no such preset file or name (looked for "
        f"{candidate} and presets named {Path(ref).stem!r} in {_search_text()}); "
        "fix the path (relative to this file) or the name"
    )


def read_preset_dict(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The merged raw table of a preset file and its `extends` chain (paths made absolute)."""
    return _read_chain(Path(path).resolve(), [])


def _read_chain(path: Path, seen: list[Path]) -> dict[str, Any]:
    if path in seen:
        chain = " -> ".join(str(p) for p in [*seen, path])
        raise PresetError(f"{seen[-1]}: inheritance loop: {chain}; remove one of the `extends`")
    data = _absolutize(_read_toml(path), path.parent)
    ref = data.pop("extends", None)
    if ref is None:
        return data
    if not isinstance(ref, str):
        raise PresetError(f"{path}: extends = {ref!r}: expected a string (a preset file or name)")
    parent = _read_chain(_extends_target(ref, path).resolve(), [*seen, path])
    return deep_merge(parent, data)


def load_preset(ref: str | os.PathLike[str], overrides: Iterable[str] = ()) -> Preset:
    """A preset from a file path or a preset name, inheritance merged, validated.

    `overrides` are `key=value` strings applied on top (see `apply_overrides`).
    """
    path = resolve_preset_ref(ref)
    preset = validate_preset(read_preset_dict(path), path)
    return apply_overrides(preset, overrides) if overrides else preset


def validate_preset(data: Mapping[str, Any], path: Path | None = None) -> Preset:
    """Validate a raw table; errors become one `PresetError` citing file, line, key, value."""
    try:
        return Preset.model_validate(dict(data))
    except ValidationError as exc:
        raise PresetError(_explain(exc, data, path)) from None


def resolve_preset_ref(ref: str | os.PathLike[str]) -> Path:
    """A path to an existing preset file, or the file of a preset name."""
    path = Path(os.path.expanduser(str(ref)))
    if path.is_file():
        return path.resolve()
    found = find_preset(str(ref))
    if found is not None:
        return found
    names = sorted({p.name for p in list_presets()})
    hint = difflib.get_close_matches(Path(str(ref)).stem, names, n=1)
    suggestion = f" (did you mean {hint[0]!r}?)" if hint else ""
    raise PresetError(
        f"no preset file or name {str(ref)!r}{suggestion}; presets: {', '.join(names) or 'none'}"
        f" (searched {_search_text()})"
    )


# ----------------------------------------------------------------------------- errors
def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = Preset
    for part in loc:
        if model is None or part not in model.model_fields:
            return None
        model = _submodel(model.model_fields[part].annotation)
    return model


def _submodel(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            sub = _submodel(arg)
            if sub is not None:
                return sub
    return None


def _line_of(path: Path | None, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line of `key` under `[table]` in the file (for the message only)."""
    if path is None or not loc:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    table = ".".join(str(p) for p in loc[:-1])
    key = re.escape(str(loc[-1]))
    current = ""
    for number, line in enumerate(lines, 1):
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            current = header.group(1).strip()
            if current == ".".join(str(p) for p in loc):  # a whole table, e.g. [pretrian]
                return number
            continue
        if current == table and re.match(rf"\s*{key}\s*=", line):
            return number
        if not table and current == "" and re.match(rf"\s*{key}\s*=", line):
            return number
        if not current and table and re.match(rf"\s*{re.escape(table)}\.{key}\s*=", line):
            return number
    return None


def _allowed_text(model: type[BaseModel] | None, name: str) -> str:
    if model is None or name not in model.model_fields:
        return ""
    info = model.model_fields[name]
    bounds = []
    for meta in info.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                bounds.append(f"{sym} {getattr(meta, attr)}")
    literal = _literal_values(info.annotation)
    parts = []
    if literal:
        parts.append("one of " + ", ".join(repr(v) for v in literal))
    if bounds:
        parts.append(" and ".join(bounds))
    if info.description:
        parts.append(info.description.rstrip("."))
    return "; ".join(parts)


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _literal_values(arg)
            if found:
                return found
    return ()


def _explain(exc: ValidationError, data: Mapping[str, Any], path: Path | None) -> str:
    messages = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not isinstance(p, int) or True)
        key = ".".join(str(p) for p in loc)
        line = _line_of(path, loc)
        where = f"{path}:{line}" if path and line else (str(path) if path else "preset")
        if err["type"] == "extra_forbidden":
            parent = _model_at(loc[:-1])
            names = list(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
            hint = (
                f" (did you mean {'.'.join([*map(str, loc[:-1]), close[0]])!r}?)" if close else ""
            )
            messages.append(f"{where}: unknown key {key!r}{hint}; allowed here: {', '.join(names)}")
        elif not loc:  # a cross-field rule
            messages.append(f"{where}: {err['msg'].removeprefix('Value error, ')}")
        else:
            parent = _model_at(loc[:-1])
            allowed = _allowed_text(parent, str(loc[-1]))
            value = err.get("input")
            messages.append(
                f"{where}: {key} = {value!r}: {err['msg']}"
                + (f" (allowed: {allowed})" if allowed else "")
            )
    return "\n".join(messages)


# ----------------------------------------------------------------------------- overrides, diff
def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def schema_keys(model: type[BaseModel] = Preset, prefix: str = "") -> list[str]:
    """Every settable key, flattened (`pretrain.lr`, `model.size`, ...)."""
    keys = []
    for name, info in model.model_fields.items():
        sub = _submodel(info.annotation)
        if sub is not None:
            keys.extend(schema_keys(sub, f"{prefix}{name}."))
        else:
            keys.append(prefix + name)
    return keys


def apply_overrides(preset: Preset, overrides: Iterable[str]) -> Preset:
    """A copy of `preset` with `key=value` overrides (value: a TOML literal, else a string).

    Input paths in overrides are relative to the working directory.
    """
    data = preset.model_dump(mode="python")
    known = schema_keys()
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise PresetError(f"--set {item!r}: expected KEY=VALUE, e.g. pretrain.lr=1e-4")
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PresetError(f"--set {item!r}: unknown key {key!r}{hint}")
        parts = key.split(".")
        value = _parse_value(raw.strip())
        if len(parts) == 2 and tuple(parts) in PATH_KEYS and _is_input_path(tuple(parts), value):
            value = str(Path(os.path.expanduser(value)).resolve())  # type: ignore[arg-type]
        table = data
        for part in parts[:-1]:
            if table.get(part) is None:
                table[part] = {}
            table = table[part]
        table[parts[-1]] = value
    try:
        return Preset.model_validate(_drop_none(data))
    except ValidationError as exc:
        raise PresetError(_explain(exc, data, None).replace("preset:", "--set:")) from None


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def diff(a: Preset, b: Preset) -> dict[str, tuple[Any, Any]]:
    """{flattened key: (value in a, value in b)} for every key whose values differ."""
    fa, fb = flatten(a.model_dump(mode="python")), flatten(b.model_dump(mode="python"))
    return {
        k: (fa.get(k), fb.get(k))
        for k in [*fa, *(k for k in fb if k not in fa)]
        if fa.get(k) != fb.get(k)
    }


# ----------------------------------------------------------------------------- writing
def _relative_paths(data: dict[str, Any], base: Path) -> dict[str, Any]:
    for section, key in PATH_KEYS:
        table = data.get(section)
        if isinstance(table, dict) and _is_input_path((section, key), table.get(key)):
            try:
                table[key] = Path(os.path.relpath(table[key], base)).as_posix()
            except ValueError:  # another drive on Windows: keep it absolute
                pass
    return data


def preset_toml(preset: Preset, relative_to: Path | None = None) -> str:
    """Self-contained TOML (no `extends`), keys in schema order; input paths relative to
    `relative_to` (a folder) when given, else absolute."""
    data = preset.to_dict()
    data.pop("extends", None)
    if relative_to is not None:
        data = _relative_paths(data, relative_to)
    return tomli_w.dumps(data)


def save_preset(preset: Preset, path: str | os.PathLike[str]) -> Path:
    """Write a flattened preset (paths relative to its new location), atomically."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, preset_toml(preset, target.resolve().parent), durable=False)
    return target


def safe_preset_name(name: str) -> str:
    """A preset name usable as a file name (letters, digits, '-', '_', '.')."""
    from bert_engine.tracking import safe_name

    clean = safe_name(name.removesuffix(PRESET_SUFFIX))
    if not clean:
        raise PresetError(f"{name!r} is not usable as a preset name; use letters, digits, '-'")
    return clean


def new_preset_text(name: str, base: str, base_path: Path) -> str:
    """A small preset that extends `base` and changes only its name (to edit by hand)."""
    in_search = any(base_path.parent.resolve() == d.resolve() for _, d in search_dirs())
    ref = base_path.stem if in_search else str(base_path)
    text = tomli_w.dumps({"name": name, "description": f"based on {base}", "extends": ref})
    return text + (
        "\n# Add only what changes, e.g.:\n# [pretrain]\n# max_steps = 1000\n"
        "# See `bertbench presets show " + ref + "` for every setting.\n"
    )


# ----------------------------------------------------------------------------- discovery
def bundled_dir() -> Path:
    """The presets shipped with bertbench: `presets/` next to the packages (the repository in
    an editable install; the wheel's `include` puts it in site-packages too)."""
    return Path(__file__).resolve().parent.parent / "presets"


def user_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(Path.home(), ".config")
    return Path(base) / "bertbench" / "presets"


def search_dirs() -> list[tuple[str, Path]]:
    """Where preset names are looked up, first match wins: ./presets, user, bundled."""
    found: list[tuple[str, Path]] = []
    for origin, folder in (
        ("local", Path.cwd() / "presets"),
        ("user", user_dir()),
        ("bundled", bundled_dir()),
    ):
        # In the repository ./presets is the bundled folder: list it once, as bundled.
        if origin != "bundled" and folder.resolve() == bundled_dir().resolve():
            continue
        if all(folder.resolve() != f.resolve() for _, f in found):
            found.append((origin, folder))
    return found


def _search_text() -> str:
    return ", ".join(str(d) for _, d in search_dirs())


@dataclass(frozen=True)
class PresetInfo:
    name: str
    path: Path
    origin: str  # local, user or bundled
    description: str
    shadowed: bool = False  # a preset of the same name earlier in the search order wins


def find_preset(name: str) -> Path | None:
    stem = name.removesuffix(PRESET_SUFFIX)
    if not stem or "/" in stem or os.sep in stem:
        return None
    for _, folder in search_dirs():
        candidate = folder / f"{stem}{PRESET_SUFFIX}"
        if candidate.is_file():
            return candidate.resolve()
    return None


def list_presets() -> list[PresetInfo]:
    found: list[PresetInfo] = []
    seen: set[str] = set()
    for origin, folder in search_dirs():
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{PRESET_SUFFIX}")):
            try:
                description = str(_read_toml(path).get("description", ""))
            except PresetError:
                description = "(unreadable)"
            found.append(PresetInfo(path.stem, path, origin, description, path.stem in seen))
            seen.add(path.stem)
    return found
