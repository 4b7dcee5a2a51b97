//! One error type for the crate; the Python layer turns it into `ValueError`/`OSError`.

use std::fmt;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// Bad argument or configuration (e.g. vocab smaller than alphabet + specials).
    Invalid(String),
    /// Input data problem (empty corpus, invalid UTF-8 at a given file and byte offset).
    Data(String),
    /// Unreadable, corrupt or foreign `tokenizer.json` / `vocab.txt`.
    Format(String),
    /// File system error, with the path in the message.
    Io(String),
    /// Training was cancelled through the progress callback.
    Cancelled,
}

impl Error {
    /// A file system error, with the path in the message.
    pub fn io(path: &Path, e: &std::io::Error) -> Self {
        Error::Io(format!("{}: {e}", path.display()))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Invalid(m) | Error::Data(m) | Error::Format(m) | Error::Io(m) => f.write_str(m),
            Error::Cancelled => f.write_str("training cancelled"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
