//! The thin pyo3 layer: the native module `bert_engine._rustbpe`. GIL released for all
//! heavy work; batch results returned as flat buffers (numpy-ready), not per-token objects.
// H-pipe
