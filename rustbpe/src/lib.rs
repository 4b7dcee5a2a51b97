//! rustbpe: BPE and WordPiece tokenizers, training and encoding, compatible with
//! HuggingFace `tokenizers` (`tokenizer.json`).
//!
//! The pipeline mirrors HF's: normalizer -> pre-tokenizer -> model -> post-processor,
//! with special tokens split out first (added vocabulary). Each stage lives in its own
//! module and is testable with `cargo test` alone; `bindings` is the thin pyo3 layer.

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
