"""bert_engine: BERT models, tokenizers, data pipelines and trainers. Never imports UI code."""

__version__ = "0.1.0"
