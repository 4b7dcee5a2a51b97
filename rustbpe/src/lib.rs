//! rustbpe: BPE and WordPiece tokenizers, training and encoding, compatible with
//! HuggingFace `tokenizers` (`tokenizer.json`).
//!
//! The pipeline and the layout mirror HF's: normalizer -> pre-tokenizer -> model ->
//! post-processor (`processors`), with special tokens split out first (added vocabulary),
//! and a decoder back (`decoders`); `trainers` learns models, `serialization` reads and
//! writes `tokenizer.json` one component at a time. Each stage lives in its own module and
//! is testable with `cargo test` alone; `bindings` is the thin pyo3 layer.

pub mod added_vocabulary;
pub mod decoders;
pub mod encoding;
pub mod error;
pub mod models;
pub mod normalizers;
pub mod pre_tokenizers;
pub mod processors;
pub mod serialization;
pub mod tokenizer;
pub mod trainers;

#[cfg(feature = "python")]
mod bindings;

pub use error::{Error, Result};
