"""Test helpers shared across the suite, one module per area: small models and data sets that
the tests build for themselves (tests/conftest.py puts tests/ on the path: `from kit.x import y`).

- training: a tiny language model and random-token batches for the trainer's tests
- modeling: small BERT configs, batches and perturbations for the model's tests
- pretrain, finetune: presets, corpora and labelled tasks for the workflow tests
- services: tiny presets, corpora, labelled sets and waits (service-layer and UI tests)
- tui, tui_runs: Pilot helpers for the TUI tests
- web, web_train: the web panel's fixture type and client helpers
"""
