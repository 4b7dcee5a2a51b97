"""Data pipelines: corpus sources, the pre-tokenized shard cache, BERT pre-training examples
(NSP/MLM), dynamic masking, batching, and classification datasets. See docs/data.md.

Modules (import from them directly; ``sources``, ``demo``, ``sentences`` and ``classification``
reading work without torch):

- ``sources``: ``open_source(spec)`` and the Text/Jsonl/Csv/Parquet/Hub/Demo sources
- ``demo``: the built-in offline corpus (Python's own documentation)
- ``shards``: ``build_shards(source, tokenizer)`` -> ``TokenizedCorpus`` (memory-mapped)
- ``pretraining``: ``PretrainingExamples`` (segment pairs, NSP, resumable)
- ``masking``: ``MlmMasker`` (80/10/10, whole-word option)
- ``collate``: padding, length bucketing, ``PretrainingBatches``
- ``classification``: labelled text datasets, ``LabelVocab``, splits
"""

from bert_engine.data.errors import DataError, DataFileNotFoundError

__all__ = ["DataError", "DataFileNotFoundError"]
