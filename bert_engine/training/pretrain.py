"""The pre-training workflow: a preset in, a tracked run folder with a trained BERT out.

`run_pretraining(preset)` creates the run folder (tracking.create_run) holding the resolved
preset as `config.toml`, trains or loads the tokenizer (saved as `tokenizer.json`), builds the
shard cache, splits off held-out documents, and trains `BertForPreTraining` (MLM + NSP) or
`BertForMaskedLM` (MLM) with the generic `Trainer`: held-out evaluation (MLM loss, accuracy and
perplexity, NSP accuracy), periodic checkpoints (the last K and the best), metrics.jsonl,
TensorBoard and summary.json. `run_pretraining(None, resume=run_dir)` continues that run
exactly. Under torchrun each process trains on its share of the data (see `distributed.py`).
"""

from __future__ import annotations

import itertools
import logging
import math
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from bert_engine.data.collate import PretrainingBatches, PretrainingCollator
from bert_engine.data.errors import DataError
from bert_engine.data.masking import MlmMasker
from bert_engine.data.pretraining import PretrainingConfig, PretrainingExamples
from bert_engine.data.shards import Shard, TokenizedCorpus, build_shards
from bert_engine.data.sources import open_source
from bert_engine.modeling import (
    BertConfig,
    BertForMaskedLM,
    BertForPreTraining,
    ElectraForPreTraining,
    compile_model,
)
from bert_engine.presets import Preset, PresetError, validate_preset
from bert_engine.tokenizers import BpeTokenizer, Tokenizer, WordPieceTokenizer, load_tokenizer
from bert_engine.tracking import CONFIG_FILE, Tracker, create_run, read_config, write_projector
from bert_engine.training.checkpoint import CheckpointManager, latest_checkpoint, resume_point
from bert_engine.training.control import RunControl
from bert_engine.training.distributed import (
    DistContext,
    RankStates,
    SyncedControl,
    barrier,
    broadcast_object,
    init_distributed,
    rank_device,
)
from bert_engine.training.events import Listener
from bert_engine.training.guard import RunGuard
from bert_engine.training.loop import RunResult, Trainer, TrainerConfig, TrainingError
from bert_engine.training.memory import check_pretrain_memory
from bert_engine.training.optim import build_optimizer
from bert_engine.training.probes import make_probe_runner, parse_probes, pick_probes
from bert_engine.training.schedule import build_scheduler
from bert_engine.training.seed import seed_everything

log = logging.getLogger(__name__)

TOKENIZER_FILE = "tokenizer.json"
BEST_METRIC = "validation/loss"
# Progress of the preparation stages (tokenizer training, shard building) for a UI:
# progress(stage, done, total) -> False cancels.
Progress = Callable[[str, int, int], "bool | None"]


# ----------------------------------------------------------------------------- models
def _accuracy(logits: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(correct, counted) over targets != -100."""
    keep = targets != -100
    correct = (logits.argmax(-1) == targets) & keep
    return correct.sum(), keep.sum()


def _mlm_pairs(logits: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None) -> Any:
    # Masked-only logits come with their aligned targets; full logits align with labels.
    return (logits, targets) if targets is not None else (logits, labels)


class PretrainingBert(BertForPreTraining):
    """`BertForPreTraining` that takes the data pipeline's batch keys and reports metrics.

    A subclass (not a wrapper) so that its weights are exactly BertForPreTraining's.
    """

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,
    ) -> dict[str, Any]:
        out = super().forward(
            input_ids, token_type_ids, attention_mask, labels, next_sentence_label
        )
        logits, targets = _mlm_pairs(out.mlm_logits, labels, out.mlm_targets)  # type: ignore[arg-type]
        correct, counted = _accuracy(logits.detach(), targets)
        nsp_correct, nsp_counted = _accuracy(out.nsp_logits.detach(), next_sentence_label)  # type: ignore[arg-type]
        return {
            "loss": out.loss,
            "metrics": {
                "mlm_loss": out.mlm_loss.detach(),  # type: ignore[union-attr]
                "nsp_loss": out.nsp_loss.detach(),  # type: ignore[union-attr]
                "mlm_accuracy": correct / counted.clamp(min=1),
                "nsp_accuracy": nsp_correct / nsp_counted.clamp(min=1),
            },
            "counts": (out.mlm_loss, counted, out.nsp_loss, nsp_counted, correct, nsp_correct),
        }


class MaskedLMBert(BertForMaskedLM):
    """`BertForMaskedLM` with the data pipeline's batch keys and metrics (MLM objective)."""

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,  # always -1 here: ignored
    ) -> dict[str, Any]:
        out = super().forward(input_ids, token_type_ids, attention_mask, labels)
        logits, targets = _mlm_pairs(out.logits, labels, out.targets)  # type: ignore[arg-type]
        correct, counted = _accuracy(logits.detach(), targets)
        return {
            "loss": out.loss,
            "metrics": {"mlm_accuracy": correct / counted.clamp(min=1)},
            "counts": (out.loss, counted, None, None, correct, None),
        }


class ElectraBert(ElectraForPreTraining):
    """`ElectraForPreTraining` with the data pipeline's batch keys and metrics: the
    generator's MLM loss/accuracy and the discriminator's replaced-token detection (rtd)."""

    def forward(  # type: ignore[override]
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        next_sentence_label: torch.Tensor | None = None,  # always -1 here: ignored
    ) -> dict[str, Any]:
        out = super().forward(input_ids, token_type_ids, attention_mask, labels)
        correct, counted = _accuracy(out.generator_logits.detach(), out.generator_targets)
        said = out.discriminator_logits.detach() > 0
        rtd_correct = (said == out.replaced).sum()
        tokens = torch.tensor(out.replaced.numel(), device=said.device)
        originals = (~out.replaced).sum()
        return {
            "loss": out.loss,
            "metrics": {
                "mlm_loss": out.generator_loss.detach(),
                "mlm_accuracy": correct / counted.clamp(min=1),
                "rtd_loss": out.discriminator_loss.detach(),
                "rtd_accuracy": rtd_correct / tokens.clamp(min=1),
                "replaced": out.replaced.float().mean(),
            },
            "counts": (out.generator_loss, counted, None, None, correct, None),
            "rtd": (out.discriminator_loss, tokens, rtd_correct, originals),
        }


def build_model(preset: Preset, vocab_size: int) -> nn.Module:
    config: BertConfig = preset.bert_config(vocab_size)
    m = preset.model
    if m.objective == "electra":
        return ElectraBert(
            config,
            generator_fraction=m.generator_fraction,
            discriminator_weight=m.discriminator_weight,
        )
    cls = PretrainingBert if m.objective == "mlm+nsp" else MaskedLMBert
    return cls(config)


# ----------------------------------------------------------------------------- tokenizer
def prepare_tokenizer(preset: Preset, progress: Progress | None = None) -> Tokenizer:
    """Load `tokenizer.path`, or train a tokenizer on `tokenizer.source` (default data.source)."""
    t, d = preset.tokenizer, preset.data
    if t.path is not None:
        tok = load_tokenizer(t.path)
    else:
        source = open_source(
            t.source or d.source,
            text_column=d.text_column,
            doc_mode=d.doc_mode,
            hub_config=d.hub_config,
            hub_split=d.hub_split,
        )
        docs: Iterable[str] = source.documents()
        if t.max_documents is not None:
            docs = itertools.islice(docs, t.max_documents)
        cb = (
            None
            if progress is None
            else (lambda stage, cur, tot: progress(f"tokenizer {stage}", cur, tot))
        )
        if t.kind == "wordpiece":
            tok = WordPieceTokenizer.train(
                docs,
                vocab_size=t.vocab_size,
                min_frequency=t.min_frequency,
                limit_alphabet=t.limit_alphabet,
                lowercase=t.lowercase,
                strip_accents=t.strip_accents,
                progress=cb,
            )
        else:
            tok = BpeTokenizer.train(
                docs,
                vocab_size=t.vocab_size,
                min_frequency=t.min_frequency,
                pattern=t.pattern,
                progress=cb,
            )
    missing = [n for n in ("cls_id", "sep_id", "mask_id", "pad_id") if getattr(tok, n) is None]
    if missing:
        names = ", ".join(n.removesuffix("_id").upper() for n in missing)
        raise PresetError(
            f"tokenizer {t.path or t.kind}: lacks the special token(s) {names} that BERT "
            "pre-training needs; train one with the BERT special tokens"
        )
    want = preset.model.vocab_size
    if want is not None and want != tok.vocab_size:
        raise PresetError(
            f"model.vocab_size ({want}) differs from the tokenizer's vocabulary "
            f"({tok.vocab_size} tokens); leave model.vocab_size out to take the tokenizer's"
        )
    return tok


# ----------------------------------------------------------------------------- batches
def build_batches(
    corpus: TokenizedCorpus, preset: Preset, *, seed: int, rank: int = 0, world_size: int = 1
) -> PretrainingBatches:
    """The endless masked-batch stream of `data.pretraining_batches`, with blocks small enough
    that every rank gets documents (a block of documents belongs to one rank)."""
    d = preset.data
    block = min(512, -(-corpus.n_documents // world_size))
    config = PretrainingConfig(
        max_seq_len=d.max_seq_len,
        short_seq_prob=d.short_seq_prob,
        nsp=preset.model.objective == "mlm+nsp",
        pack=d.pack,
        block_documents=max(1, block),
    )
    examples = PretrainingExamples(corpus, config, seed=seed, rank=rank, world_size=world_size)
    masker = MlmMasker(
        corpus.vocab_size,
        corpus.special.mask,
        corpus.special.all,
        mlm_probability=d.mlm_probability,
        word_start=corpus.word_start if d.whole_word_masking else None,
    )
    collator = PretrainingCollator(corpus.special.pad, masker)
    bucket = 1 if d.pack else 16
    return PretrainingBatches(examples, collator, d.batch_size, bucket_batches=bucket, seed=seed)


# ----------------------------------------------------------------------------- held-out split
def _head(shard: Shard, n_docs: int) -> Shard:
    """The first `n_docs` documents of a shard (views, no copy)."""
    doc_offs = shard.document_offsets[: n_docs + 1]
    sent_offs = shard.sentence_offsets[: int(doc_offs[-1]) + 1]
    return Shard(shard.tokens[: int(sent_offs[-1])], sent_offs, doc_offs)


def _tail(shard: Shard, first_doc: int) -> Shard:
    """Documents `first_doc`.. of a shard, offsets rebased to start at 0."""
    doc_offs = shard.document_offsets[first_doc:]
    first_sent = int(doc_offs[0])
    sent_offs = shard.sentence_offsets[first_sent:]
    first_tok = int(sent_offs[0])
    return Shard(
        shard.tokens[first_tok : int(sent_offs[-1])],
        np.asarray(sent_offs, dtype=np.int64) - first_tok,
        np.asarray(doc_offs, dtype=np.int64) - first_sent,
    )


def split_held_out(
    corpus: TokenizedCorpus, fraction: float, min_docs: int = 1
) -> tuple[TokenizedCorpus, TokenizedCorpus | None]:
    """(training corpus, held-out corpus): the last `fraction` of the documents (at least
    `min_docs`) are held out; None when `fraction` is 0. Arrays are views of the cache."""
    n = corpus.n_documents
    if fraction <= 0:
        return corpus, None
    held = max(min_docs, round(n * fraction))
    if n - held < min_docs:
        raise DataError(
            f"the corpus has {n} document(s): too few to hold out {held} for evaluation and "
            f"train on the rest; use a larger corpus or data.held_out_fraction = 0"
        )
    keep = n - held
    train_shards, held_shards, start = [], [], 0
    for shard in corpus.shards:
        end = start + shard.n_documents
        if end <= keep:
            train_shards.append(shard)
        elif start >= keep:
            held_shards.append(shard)
        else:
            train_shards.append(_head(shard, keep - start))
            held_shards.append(_tail(shard, keep - start))
        start = end

    def make(shards: list[Shard]) -> TokenizedCorpus:
        return TokenizedCorpus(shards, corpus.meta, corpus.word_start)

    return make(train_shards), make(held_shards)


# ----------------------------------------------------------------------------- evaluation
def make_evaluate(
    batches: list[dict[str, torch.Tensor]], nsp: bool
) -> Callable[[nn.Module], dict[str, float]]:
    """Held-out metrics over a fixed list of batches: token-weighted MLM loss and accuracy,
    perplexity = exp(MLM loss), and NSP loss/accuracy for the BERT objective."""

    def evaluate(model: nn.Module) -> dict[str, float]:
        core = getattr(model, "module", model)  # DDP: evaluate the local replica
        device = next(core.parameters()).device
        mlm_loss = mlm_n = mlm_ok = nsp_loss = nsp_n = nsp_ok = 0.0
        rtd_loss = rtd_n = rtd_ok = rtd_orig = 0.0
        rtd_weight = getattr(core, "discriminator_weight", None)
        for batch in batches:
            out = core(**{k: v.to(device) for k, v in batch.items()})
            if "rtd" in out:  # ELECTRA: replaced-token detection over every real token
                r_loss, r_count, r_correct, r_originals = out["rtd"]
                rtd_loss += float(r_loss) * float(r_count)
                rtd_n += float(r_count)
                rtd_ok += float(r_correct)
                rtd_orig += float(r_originals)
            m_loss, m_count, n_loss, n_count, m_correct, n_correct = out["counts"]
            count = float(m_count)
            mlm_loss += float(m_loss) * count
            mlm_n += count
            mlm_ok += float(m_correct)
            if nsp:
                nsp_loss += float(n_loss) * float(n_count)
                nsp_n += float(n_count)
                nsp_ok += float(n_correct)
        mean_mlm = mlm_loss / max(mlm_n, 1.0)
        metrics = {
            "mlm_loss": mean_mlm,
            "mlm_accuracy": mlm_ok / max(mlm_n, 1.0),
            "perplexity": math.exp(min(mean_mlm, 50.0)),
        }
        if nsp:
            metrics["nsp_loss"] = nsp_loss / max(nsp_n, 1.0)
            metrics["nsp_accuracy"] = nsp_ok / max(nsp_n, 1.0)
            metrics["loss"] = mean_mlm + metrics["nsp_loss"]
        elif rtd_weight is not None:
            metrics["rtd_loss"] = rtd_loss / max(rtd_n, 1.0)
            metrics["rtd_accuracy"] = rtd_ok / max(rtd_n, 1.0)
            # What "nothing was replaced" scores: the bar the discriminator must clear.
            metrics["rtd_baseline"] = rtd_orig / max(rtd_n, 1.0)
            metrics["loss"] = mean_mlm + rtd_weight * metrics["rtd_loss"]
        else:
            metrics["loss"] = mean_mlm
        return metrics

    return evaluate


def _probe_runner(
    preset: Preset, tokenizer: Tokenizer, held: TokenizedCorpus | None
) -> Callable[[nn.Module], list[dict[str, Any]]] | None:
    """The preset's probe sentences, or `probe_count` picked from the held-out split (the
    same ones on a resume: the pick depends only on the seed and the data)."""
    p = preset.pretrain
    if p.probes:
        chosen = parse_probes(p.probes, tokenizer)
    elif p.probe_count and held is not None:
        sentences = [
            shard.tokens[int(a) : int(b)]
            for shard in held.shards
            for a, b in itertools.pairwise(shard.sentence_offsets[:2000])
        ]
        chosen = pick_probes(sentences, tokenizer, p.probe_count, seed=p.seed)
    else:
        return None
    return make_probe_runner(chosen, tokenizer) if chosen else None


# ----------------------------------------------------------------------------- the workflow
@dataclass
class PretrainOutcome:
    run_dir: Path
    result: RunResult


def load_run_preset(run_dir: str | Path) -> Preset:
    """The resolved preset a run was started with (its config.toml)."""
    path = Path(run_dir) / CONFIG_FILE
    if not path.is_file():
        raise PresetError(f"{run_dir}: not a run folder ({CONFIG_FILE} is missing)")
    return validate_preset(read_config(run_dir), path)


def _load_weights(model: nn.Module, source: str) -> None:
    """`pretrain.init_from`: the backbone must fit exactly; heads the model lacks (an NSP head
    when continuing an MLM+NSP run with MLM alone) are left out, heads it adds stay fresh."""
    from bert_engine.inference import read_weights

    path = Path(source)
    if (path / "checkpoints").is_dir():
        found = latest_checkpoint(path / "checkpoints")
        if found is None:
            raise PresetError(f"pretrain.init_from = {source!r}: the run has no checkpoint yet")
        path = found
    weights = read_weights(path)
    own = model.state_dict()
    try:
        result = model.load_state_dict({k: v for k, v in weights.items() if k in own}, strict=False)
    except RuntimeError as exc:
        raise PresetError(
            f"pretrain.init_from = {source!r}: its weights do not fit this model's [model] "
            f"settings ({exc}); use the same architecture as that run"
        ) from exc
    lacking = [k for k in result.missing_keys if k.startswith("bert.") and "pooler" not in k]
    if lacking:
        raise PresetError(
            f"pretrain.init_from = {source!r}: {len(lacking)} backbone weights are not in "
            f"{path} (e.g. {lacking[0]}); use the same architecture as that run"
        )


def _prepare_trainer(
    preset: Preset,
    ctx: DistContext,
    run_dir: Path,
    resume: str | Path | None,
    control: RunControl | None,
    listeners: Iterable[Listener],
    progress: Progress | None,
    chosen: Path | None = None,
) -> Trainer:
    """Tokenizer, shards, batches, model, optimizer: a Trainer ready to run (or resumed)."""
    p, d = preset.pretrain, preset.data
    # Tokenizer: trained once by rank 0 into the run folder; a resumed run reuses it.
    tok_path = run_dir / TOKENIZER_FILE
    if ctx.is_main and not tok_path.is_file():
        prepare_tokenizer(preset, progress).save(tok_path)
    barrier(ctx)
    tokenizer = load_tokenizer(tok_path)
    wanted = preset.model.vocab_size
    if wanted is not None and wanted != tokenizer.vocab_size:
        raise PresetError(
            f"model.vocab_size ({wanted}) differs from the tokenizer in {tok_path} "
            f"({tokenizer.vocab_size} tokens); leave model.vocab_size out to take the tokenizer's"
        )

    # Shards: rank 0 builds the cache, the others then open it (a cache hit).
    source = open_source(
        d.source,
        text_column=d.text_column,
        doc_mode=d.doc_mode,
        hub_config=d.hub_config,
        hub_split=d.hub_split,
    )
    shard_progress = None if progress is None else (lambda a, b: progress("shards", a, b))
    corpus = None
    if ctx.is_main:
        corpus = build_shards(
            source, tokenizer, d.cache_dir, workers=d.workers, progress=shard_progress
        )
    barrier(ctx)
    if corpus is None:
        corpus = build_shards(source, tokenizer, d.cache_dir, workers=d.workers)
    nsp = preset.model.objective == "mlm+nsp"
    train_corpus, held_corpus = split_held_out(corpus, d.held_out_fraction, 2 if nsp else 1)

    train_data: Any = build_batches(
        train_corpus, preset, seed=p.seed, rank=ctx.rank, world_size=ctx.world_size
    )
    if ctx.enabled:
        train_data = RankStates(train_data, ctx, p.grad_accum_steps, seed=p.seed)
    evaluate = None
    if held_corpus is not None:
        # A fixed set of batches (own seed, never advanced): every evaluation sees the same.
        held = build_batches(held_corpus, preset, seed=p.seed + 1)
        evaluate = make_evaluate(list(itertools.islice(held, d.eval_batches)), nsp)
    probe = _probe_runner(preset, tokenizer, held_corpus)

    # Same seed on every rank: identical init (DDP also broadcasts it) and RNG streams, so a
    # checkpoint's RNG state (rank 0's) is every rank's.
    seed_everything(p.seed)
    model = build_model(preset, tokenizer.vocab_size)
    if p.init_from is not None and resume is None:
        _load_weights(model, p.init_from)
    device = rank_device(ctx, p.device)
    optimizer = build_optimizer(model, lr=p.lr, weight_decay=p.weight_decay)
    scheduler = build_scheduler(
        optimizer, total_steps=p.max_steps, warmup_steps=p.warmup_steps, kind=p.schedule
    )
    train_model: nn.Module = model
    if p.compile:
        compile_model(model)
    if ctx.enabled:
        from torch.nn.parallel import DistributedDataParallel

        model.to(device)
        ids = [ctx.local_rank] if ctx.backend == "nccl" else None
        train_model = DistributedDataParallel(model, device_ids=ids)
    control = control or RunControl()
    trainer = Trainer(
        train_model,
        optimizer,
        train_data,
        TrainerConfig(
            total_steps=p.max_steps,
            time_budget_s=None if p.max_minutes is None else p.max_minutes * 60.0,
            grad_accum_steps=p.grad_accum_steps,
            max_grad_norm=p.clip_grad_norm or None,
            log_every=p.log_every,
            eval_every=p.eval_every or None,
            checkpoint_every=p.checkpoint_every or None,
            precision=p.precision,
        ),
        scheduler=scheduler,
        device=device,
        evaluate=evaluate,
        # Rank 0 alone manages the folder (a manager also clears leftovers on opening).
        checkpoints=CheckpointManager(
            run_dir / "checkpoints",
            keep_last=p.keep_last,
            best_metric=BEST_METRIC if evaluate is not None else None,
        )
        if ctx.is_main
        else None,
        control=SyncedControl(control, ctx) if ctx.enabled else control,
        listeners=listeners,
        is_main_process=ctx.is_main,
        probe=probe if evaluate is not None else None,
    )
    start = chosen or (latest_checkpoint(run_dir / "checkpoints") if resume is not None else None)
    if start is not None:
        trainer.resume(start)
    return trainer


def run_pretraining(
    preset: Preset | None,
    *,
    control: RunControl | None = None,
    listeners: Iterable[Listener] = (),
    resume: str | Path | None = None,
    progress: Progress | None = None,
    on_run_dir: Callable[[Path], None] | None = None,
    checkpoint: str | Path | None = None,
    allow_shared_device: bool = False,
) -> PretrainOutcome:
    """Run pre-training for `preset` (or continue the run folder `resume`).

    Returns the run folder and how the trainer ended (finished / cancelled / failed, the step,
    the last checkpoint). `on_run_dir` is called with the run folder as soon as it exists,
    before the tokenizer and the data are prepared; `progress(stage, done, total)` follows
    that preparation (returning False cancels it); events go to `listeners` and the run's
    Tracker. `resume`: a run folder (continues from its latest checkpoint) or one of its
    checkpoint folders; `checkpoint` picks another checkpoint of it (`step-36`). The device is
    locked for this workspace's runs folder while the run lives (DeviceBusyError when another
    live training holds it) unless `allow_shared_device`."""
    chosen: Path | None = None
    if resume is not None:
        resume, chosen = resume_point(resume, checkpoint)
        saved = load_run_preset(resume)
        if preset is not None and preset.model_dump() != saved.model_dump():
            log.warning("resuming %s with the preset saved in the run, not the one given", resume)
        preset = saved
    elif checkpoint is not None:
        raise PresetError("--checkpoint picks a checkpoint to resume from: give --resume RUN too")
    if preset is None:
        raise PresetError("pretrain needs a preset (or resume= a run folder)")
    ctx = init_distributed(preset.pretrain.device)
    check_pretrain_memory(preset)  # before anything is built or allocated
    with RunGuard(allow_shared=allow_shared_device, control=control) as guard:
        if ctx.is_main:  # one lock per run: rank 0 holds it for the whole job
            runs = Path(resume).parent if resume is not None else preset.tracking.runs_dir
            name = Path(resume).name if resume is not None else preset.tracking.run_name
            guard.claim(runs, preset.pretrain.device, name or preset.name)
        return _run(preset, ctx, guard, control, listeners, resume, chosen, progress, on_run_dir)


def _run(
    preset: Preset,
    ctx: DistContext,
    guard: RunGuard,
    control: RunControl | None,
    listeners: Iterable[Listener],
    resume: str | Path | None,
    chosen: Path | None,
    progress: Progress | None,
    on_run_dir: Callable[[Path], None] | None,
) -> PretrainOutcome:
    # The run folder: created by rank 0, its path shared with the other ranks.
    run_dir: Path | None = None
    if ctx.is_main:
        if resume is not None:
            run_dir = Path(resume)
        else:
            name = preset.tracking.run_name or preset.name
            run_dir = create_run(preset.tracking.runs_dir, name, preset.to_dict())
        guard.attach(run_dir)
    run_dir = Path(broadcast_object(str(run_dir), ctx))
    if on_run_dir is not None and ctx.is_main:
        on_run_dir(run_dir)

    try:
        trainer = _prepare_trainer(
            preset, ctx, run_dir, resume, control, listeners, progress, chosen
        )
    except BaseException:
        if ctx.is_main and resume is None:  # nothing trained: leave no empty run behind
            guard.detach()
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    tracker = Tracker(run_dir, tensorboard=preset.tracking.tensorboard) if ctx.is_main else None
    if tracker is not None:
        trainer.bus.add(tracker)
    try:
        result = trainer.run()
    finally:
        if tracker is not None:
            tracker.close()
    if ctx.is_main and preset.tracking.tensorboard and result.status in ("finished", "cancelled"):
        _projector(run_dir, trainer.model, result.step)
    if result.status == "failed" and ctx.is_main:
        log.error("pre-training failed at step %d: %s", result.step, result.reason)
    return PretrainOutcome(run_dir, result)


def _projector(run_dir: Path, model: nn.Module, step: int) -> None:
    """The trained input embeddings for TensorBoard's projector (Runs' TensorBoard opens it);
    a failure only costs the picture, never the run."""
    model = getattr(model, "module", model)  # DDP
    backbone = getattr(model, "bert", None)
    if backbone is None:
        return
    try:
        tokenizer = load_tokenizer(run_dir / TOKENIZER_FILE)
        tokens = [tokenizer.id_to_token(i) or "" for i in range(tokenizer.vocab_size)]
        write_projector(run_dir, backbone.embeddings.word.weight, tokens, step)
    except Exception as exc:  # noqa: BLE001 - the run itself is done and saved
        log.warning("could not write the embedding projector of %s: %s", run_dir, exc)


def load_pretrained(
    run_dir: str | Path, checkpoint: str | Path | None = None
) -> tuple[nn.Module, Tokenizer]:
    """(model, tokenizer) of a pre-training run: the best checkpoint, else the latest (or the
    one given). The model is a plain `BertForPreTraining` / `BertForMaskedLM` /
    `ElectraForPreTraining` in eval mode."""
    from bert_engine.training.checkpoint import load_checkpoint

    root = Path(run_dir)
    preset = load_run_preset(root)
    tokenizer = load_tokenizer(root / TOKENIZER_FILE)
    path = Path(checkpoint) if checkpoint is not None else _best_or_latest(root / "checkpoints")
    m, config = preset.model, preset.bert_config(tokenizer.vocab_size)
    model: nn.Module
    if m.objective == "electra":
        model = ElectraForPreTraining(
            config,
            generator_fraction=m.generator_fraction,
            discriminator_weight=m.discriminator_weight,
        )
    else:
        model = (BertForPreTraining if m.objective == "mlm+nsp" else BertForMaskedLM)(config)
    load_checkpoint(path, model)
    return model.eval(), tokenizer


def _best_or_latest(directory: Path) -> Path:
    manager = CheckpointManager(directory, best_metric=BEST_METRIC)
    best = manager.best()
    found = best["checkpoint"] if best else manager.latest()
    if found is None:
        raise TrainingError(f"{directory}: the run has no checkpoint yet")
    return Path(found)
