"""BERT modules, models, and HuggingFace import/export. See docs/model.md."""

from bert_engine.schema.bert import SIZES, BertConfig

from .attention import AttentionOutput, SelfAttention, Unpadded
from .electra import ElectraForPreTraining, ElectraOutput
from .embeddings import Embeddings
from .encoder import Encoder, EncoderLayer
from .feed_forward import FeedForward
from .heads import ClassificationHead, MaskedLMHead, NextSentenceHead
from .models import (
    IGNORE_INDEX,
    BertForMaskedLM,
    BertForPreTraining,
    BertForSequenceClassification,
    BertModel,
    BertOutput,
    ClassifierOutput,
    MaskedLMOutput,
    PreTrainingOutput,
    compile_model,
    init_weights,
)
from .pooler import Pooler

__all__ = [
    "IGNORE_INDEX",
    "SIZES",
    "AttentionOutput",
    "BertConfig",
    "BertForMaskedLM",
    "BertForPreTraining",
    "BertForSequenceClassification",
    "BertModel",
    "BertOutput",
    "ClassificationHead",
    "ClassifierOutput",
    "ElectraForPreTraining",
    "ElectraOutput",
    "Embeddings",
    "Encoder",
    "EncoderLayer",
    "FeedForward",
    "MaskedLMHead",
    "MaskedLMOutput",
    "NextSentenceHead",
    "Pooler",
    "PreTrainingOutput",
    "SelfAttention",
    "Unpadded",
    "compile_model",
    "init_weights",
]
