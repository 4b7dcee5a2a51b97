//! Trainers: count words (in parallel), then learn merges. `training` drives both steps for
//! a whole pipeline, `files` reads training files. The merge learner (`merges`) is shared:
//! byte-level BPE starts from the 256 byte symbols, WordPiece from the corpus alphabet with
//! `##` on non-initial symbols (exactly as HF's WordPieceTrainer, which wraps its BpeTrainer).

pub mod bpe;
pub mod files;
pub mod merges;
pub mod training;
pub mod word_counts;
pub mod wordpiece;

pub use bpe::BpeTrainer;
pub use merges::{MergeConfig, MergeOutput};
pub use training::{TrainerSpec, Training};
pub use word_counts::WordCounts;
pub use wordpiece::WordPieceTrainer;

/// A progress report. `stage` is e.g. "count" (units: documents or bytes) or "merge"
/// (units: merges done of the target).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: &'static str,
    pub current: u64,
    pub total: u64,
}

/// Called from time to time during training (never per word); return `false` to cancel,
/// which makes training return `Error::Cancelled`.
pub type ProgressFn<'a> = &'a (dyn Fn(Progress) -> bool + Sync);
