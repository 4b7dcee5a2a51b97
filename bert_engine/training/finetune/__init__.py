"""Fine-tuning BERT for text classification, in the order a run goes through them:

| module | what |
| --- | --- |
| `plan.py` | `FinetunePlan`, `plan_of`: a preset or bare settings, normalised; `FinetuneError` |
| `data.py` | the labelled splits, epoch batches (resumable), classification metrics |
| `init.py` | the classifier's weights: a pre-training run, a HuggingFace folder, or random |
| `workflow.py` | `finetune(...)` (Trainer, CheckpointManager, Tracker); `read_results` |
| `analysis.py` | error analysis: confusion matrix, per-class table, misclassified examples |

The settings (`FinetuneSettings`, `ClassificationDataSettings`) are part of the preset schema,
`bert_engine.schema`; they are re-exported here.
"""

from bert_engine.schema import ClassificationDataSettings, EvalMetric, FinetuneSettings
from bert_engine.training.early_stopping import EarlyStopping
from bert_engine.training.finetune.data import (
    EpochBatches,
    classification_metrics,
    evaluate_classifier,
    load_splits,
    metrics_report,
    ordered_batches,
)
from bert_engine.training.finetune.init import (
    DEFAULT_VOCAB,
    Initialised,
    initialise,
    reinit_top_layers,
    resolve_init,
)
from bert_engine.training.finetune.plan import (
    FinetuneError,
    FinetunePlan,
    FinetuneSource,
    plan_of,
)
from bert_engine.training.finetune.workflow import EVAL_DIR, RESULTS_FILE, finetune, read_results

__all__ = [
    "DEFAULT_VOCAB",
    "EVAL_DIR",
    "RESULTS_FILE",
    "ClassificationDataSettings",
    "EarlyStopping",
    "EpochBatches",
    "EvalMetric",
    "FinetuneError",
    "FinetunePlan",
    "FinetuneSettings",
    "FinetuneSource",
    "Initialised",
    "classification_metrics",
    "evaluate_classifier",
    "finetune",
    "initialise",
    "load_splits",
    "metrics_report",
    "ordered_batches",
    "plan_of",
    "read_results",
    "reinit_top_layers",
    "resolve_init",
]
