//! The thin pyo3 layer: the native module `bert_engine._rustbpe`. GIL released for all
//! heavy work; batch results returned as flat buffers (numpy-ready), not per-token objects.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBool, PyByteArray, PyDict};

use crate::encoding::{padded_length, PaddingLength};
use crate::models::Model;
use crate::normalizers::BertNormalizer;
use crate::pre_tokenizers::SplitPattern;
use crate::serialization;
use crate::tokenizer::{FlatBatch, Tokenizer};
use crate::trainers::{BpeTrainer, Progress, TrainerSpec, Training, WordPieceTrainer};
use crate::Error;

create_exception!(
    bert_engine._rustbpe,
    TrainingCancelled,
    PyException,
    "Training was cancelled by the progress callback."
);
create_exception!(
    bert_engine._rustbpe,
    FormatError,
    PyValueError,
    "A corrupt, foreign or unsupported tokenizer file."
);

/// Documents pulled from a Python iterable per parallel counting step.
const TEXT_CHUNK: usize = 4096;

fn to_py(e: Error) -> PyErr {
    match e {
        Error::Invalid(m) | Error::Data(m) => PyValueError::new_err(m),
        Error::Format(m) => FormatError::new_err(m),
        Error::Io(m) => PyOSError::new_err(m),
        Error::Cancelled => {
            TrainingCancelled::new_err("training cancelled by the progress callback")
        }
    }
}

/// Forwards progress to a Python callable, at most about once per percent per stage.
struct PyProgress {
    callback: Option<Py<PyAny>>,
    /// (stage, last permille reported)
    last: Mutex<(&'static str, i64)>,
    /// An exception the callback raised (training is cancelled and it becomes the cause).
    error: Mutex<Option<PyErr>>,
}

impl PyProgress {
    fn new(callback: Option<Py<PyAny>>) -> Self {
        PyProgress {
            callback,
            last: Mutex::new(("", -1)),
            error: Mutex::new(None),
        }
    }

    fn report(&self, p: Progress) -> bool {
        let due = match (p.current.min(p.total) * 1000).checked_div(p.total) {
            None => true, // total unknown: the caller already reports per chunk
            Some(permille) => {
                let permille = permille as i64;
                let Ok(mut last) = self.last.lock() else {
                    return true;
                };
                let due = last.0 != p.stage
                    || permille >= last.1 + 10
                    || (p.current >= p.total && last.1 < 1000);
                if due {
                    *last = (p.stage, permille);
                }
                due
            }
        };
        Python::attach(|py| {
            // Ctrl-C during training: Python only sees the signal when we look for it.
            let result = match py.check_signals() {
                Err(e) => Err(e),
                Ok(()) => match &self.callback {
                    Some(callback) if due => callback.call1(py, (p.stage, p.current, p.total)),
                    _ => return true,
                },
            };
            match result {
                Ok(v) => !v.bind(py).is_instance_of::<PyBool>() || v.is_truthy(py).unwrap_or(true),
                Err(e) => {
                    if let Ok(mut slot) = self.error.lock() {
                        slot.get_or_insert(e);
                    }
                    false
                }
            }
        })
    }

    /// The error to raise for a failed training: cancellation carries the callback's exception.
    fn error(&self, py: Python<'_>, e: Error) -> PyErr {
        let err = to_py(e.clone());
        if e == Error::Cancelled {
            if let Some(cause) = self.error.lock().ok().and_then(|mut s| s.take()) {
                // KeyboardInterrupt / SystemExit propagate as themselves.
                if !cause.is_instance_of::<PyException>(py) {
                    return cause;
                }
                let err = TrainingCancelled::new_err(format!(
                    "training cancelled: the progress callback raised {cause}"
                ));
                err.set_cause(py, Some(cause));
                return err;
            }
        }
        err
    }
}

#[pyclass(frozen, name = "Tokenizer", module = "bert_engine._rustbpe")]
struct PyTokenizer {
    inner: Tokenizer,
}

/// Feeds the corpus (files read in Rust, or an iterable pulled in chunks) into `training`.
fn feed(
    py: Python<'_>,
    training: &mut Training,
    files: Option<Vec<PathBuf>>,
    texts: Option<Bound<'_, PyAny>>,
    progress: &PyProgress,
) -> Result<(), PyErr> {
    if let Some(files) = files {
        let report = |p: Progress| progress.report(p);
        return py
            .detach(|| training.add_files(&files, &report))
            .map_err(|e| progress.error(py, e));
    }
    let Some(texts) = texts else {
        return Err(PyValueError::new_err(
            "give a corpus: files or an iterable of str",
        ));
    };
    let mut chunk: Vec<PyBackedStr> = Vec::with_capacity(TEXT_CHUNK);
    let mut index = 0usize;
    let mut iter = texts.try_iter()?;
    loop {
        let next = iter.next();
        let done = next.is_none();
        if let Some(item) = next {
            let item = item?;
            let text: PyBackedStr = item.extract().map_err(|_| {
                let ty = item
                    .get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default();
                PyValueError::new_err(format!("corpus item {index} is a {ty}, expected str"))
            })?;
            chunk.push(text);
            index += 1;
        }
        if chunk.len() == TEXT_CHUNK || (done && !chunk.is_empty()) {
            py.detach(|| training.add_texts(&chunk));
            chunk.clear();
            let current = training.documents;
            if !progress.report(Progress {
                stage: "count",
                current,
                total: 0,
            }) {
                return Err(progress.error(py, Error::Cancelled));
            }
        }
        if done {
            return Ok(());
        }
    }
}

fn train(
    py: Python<'_>,
    spec: TrainerSpec,
    files: Option<Vec<PathBuf>>,
    texts: Option<Bound<'_, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<PyTokenizer> {
    let progress = PyProgress::new(progress);
    let mut training = Training::new(spec);
    feed(py, &mut training, files, texts, &progress)?;
    let report = |p: Progress| progress.report(p);
    let tokenizer = py
        .detach(|| training.finish(&report))
        .map_err(|e| progress.error(py, e))?;
    Ok(PyTokenizer { inner: tokenizer })
}

/// Views plain numbers as bytes (native endianness, as numpy expects).
fn bytes_of<T: Copy>(v: &[T]) -> &[u8] {
    // SAFETY: only used with u8/u32/i64 slices: no padding, every byte initialized.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

#[pymethods]
impl PyTokenizer {
    /// Parses `tokenizer.json` text (`source` names it in errors).
    #[staticmethod]
    #[pyo3(signature = (text, source = "<string>"))]
    fn from_json(py: Python<'_>, text: &str, source: &str) -> PyResult<Self> {
        let inner = py
            .detach(|| serialization::from_json_str(text, source))
            .map_err(to_py)?;
        Ok(PyTokenizer { inner })
    }

    /// Reads a `tokenizer.json` file (ours or HF's).
    #[staticmethod]
    fn from_file(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| serialization::from_file(&path))
            .map_err(to_py)?;
        Ok(PyTokenizer { inner })
    }

    /// Reads a BERT `vocab.txt` and builds the BERT WordPiece pipeline around it.
    #[staticmethod]
    #[pyo3(signature = (path, lowercase = true, strip_accents = None, clean_text = true, handle_chinese_chars = true))]
    fn from_vocab_file(
        py: Python<'_>,
        path: PathBuf,
        lowercase: bool,
        strip_accents: Option<bool>,
        clean_text: bool,
        handle_chinese_chars: bool,
    ) -> PyResult<Self> {
        let normalizer = BertNormalizer {
            clean_text,
            handle_chinese_chars,
            strip_accents,
            lowercase,
        };
        let inner = py
            .detach(|| {
                let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, &e))?;
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    Error::Format(format!(
                        "{}: invalid UTF-8 at byte offset {}; expected a vocab.txt",
                        path.display(),
                        e.valid_up_to()
                    ))
                })?;
                serialization::from_vocab_txt(text, &path.display().to_string(), normalizer)
            })
            .map_err(to_py)?;
        Ok(PyTokenizer { inner })
    }

    #[staticmethod]
    #[pyo3(signature = (*, vocab_size, min_frequency, special_tokens, pattern, files = None, texts = None, progress = None))]
    #[allow(clippy::too_many_arguments)]
    fn train_bpe(
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        pattern: &str,
        files: Option<Vec<PathBuf>>,
        texts: Option<Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let pattern = match pattern {
            "gpt2" => SplitPattern::Gpt2,
            "gpt4" => SplitPattern::Gpt4,
            other => {
                return Err(PyValueError::new_err(format!(
                    "pattern {other:?} is unknown; use \"gpt2\" or \"gpt4\""
                )))
            }
        };
        let trainer = BpeTrainer {
            vocab_size,
            min_frequency,
            special_tokens,
        };
        train(
            py,
            TrainerSpec::Bpe { trainer, pattern },
            files,
            texts,
            progress,
        )
    }

    #[staticmethod]
    #[pyo3(signature = (
        *, vocab_size, min_frequency, special_tokens, limit_alphabet, lowercase, strip_accents,
        clean_text, handle_chinese_chars, max_input_chars_per_word, files = None, texts = None, progress = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn train_wordpiece(
        py: Python<'_>,
        vocab_size: usize,
        min_frequency: u64,
        special_tokens: Vec<String>,
        limit_alphabet: Option<usize>,
        lowercase: bool,
        strip_accents: Option<bool>,
        clean_text: bool,
        handle_chinese_chars: bool,
        max_input_chars_per_word: usize,
        files: Option<Vec<PathBuf>>,
        texts: Option<Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Self> {
        let unk_token = "[UNK]".to_owned();
        if !special_tokens.contains(&unk_token) {
            return Err(PyValueError::new_err(
                "WordPiece needs [UNK] among special_tokens (it stands for words the vocab cannot spell)",
            ));
        }
        let trainer = WordPieceTrainer {
            vocab_size,
            min_frequency,
            special_tokens,
            limit_alphabet,
            continuing_subword_prefix: "##".to_owned(),
            unk_token,
            max_input_chars_per_word,
        };
        let normalizer = BertNormalizer {
            clean_text,
            handle_chinese_chars,
            strip_accents,
            lowercase,
        };
        train(
            py,
            TrainerSpec::WordPiece {
                trainer,
                normalizer,
            },
            files,
            texts,
            progress,
        )
    }

    /// The canonical `tokenizer.json` text.
    fn to_json(&self) -> String {
        serialization::to_json_string(&self.inner)
    }

    /// The `vocab.txt` text (WordPiece only).
    fn vocab_txt(&self) -> PyResult<String> {
        serialization::to_vocab_txt(&self.inner).map_err(to_py)
    }

    #[getter]
    fn model_type(&self) -> &'static str {
        self.inner.model_type()
    }

    #[getter]
    fn vocab_size(&self) -> usize {
        self.inner.vocab_size()
    }

    fn token_to_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    fn id_to_token(&self, id: i64) -> Option<&str> {
        u32::try_from(id)
            .ok()
            .and_then(|id| self.inner.id_to_token(id))
    }

    fn get_vocab<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (token, id) in self.inner.vocab() {
            d.set_item(token, id)?;
        }
        Ok(d)
    }

    fn special_tokens(&self) -> Vec<&str> {
        self.inner.special_tokens()
    }

    /// BPE merges as token-string pairs, in rank order (empty for WordPiece).
    fn merges(&self) -> Vec<(String, String)> {
        match &self.inner.model {
            Model::Bpe(m) => m.merge_strings(),
            Model::WordPiece(_) => Vec::new(),
        }
    }

    /// Returns (ids, tokens, type_ids, offsets, special_tokens_mask, attention_mask).
    #[pyo3(signature = (text, pair = None, add_special_tokens = true, max_length = None))]
    #[allow(clippy::type_complexity)]
    fn encode(
        &self,
        py: Python<'_>,
        text: &str,
        pair: Option<&str>,
        add_special_tokens: bool,
        max_length: Option<usize>,
    ) -> PyResult<(
        Vec<u32>,
        Vec<String>,
        Vec<u32>,
        Vec<(u32, u32)>,
        Vec<u32>,
        Vec<u32>,
    )> {
        let e = py
            .detach(|| {
                self.inner
                    .encode(text, pair, add_special_tokens, max_length, true)
            })
            .map_err(to_py)?;
        let tokens = e
            .ids
            .iter()
            .map(|&id| self.inner.id_to_token(id).unwrap_or_default().to_owned())
            .collect();
        // Lists of ints (a Vec<u8> would become `bytes`).
        let widen = |v: Vec<u8>| v.into_iter().map(u32::from).collect::<Vec<u32>>();
        Ok((
            e.ids,
            tokens,
            e.type_ids,
            e.offsets,
            widen(e.special_tokens_mask),
            widen(e.attention_mask),
        ))
    }

    /// Encodes a batch in parallel without the GIL. Returns a dict of bytearrays:
    /// padded: `input_ids`, `attention_mask`, `token_type_ids`, `special_tokens_mask` (int64,
    /// N x width, width in `width`); unpadded: `ids` (uint32), `token_type_ids` and
    /// `special_tokens_mask` (uint8), flat; always `lengths` (int64, N).
    #[pyo3(signature = (texts, pairs = None, add_special_tokens = true, max_length = None, padding = None, pad_to_multiple_of = None, pad_id = None))]
    #[allow(clippy::too_many_arguments)]
    fn encode_batch<'py>(
        &self,
        py: Python<'py>,
        texts: Vec<PyBackedStr>,
        pairs: Option<Vec<PyBackedStr>>,
        add_special_tokens: bool,
        max_length: Option<usize>,
        padding: Option<&str>,
        pad_to_multiple_of: Option<usize>,
        pad_id: Option<u32>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let strategy = match (padding, max_length) {
            (None, _) => None,
            (Some("longest"), _) => Some(PaddingLength::Longest),
            (Some("max_length"), Some(n)) => Some(PaddingLength::Fixed(n)),
            (Some("max_length"), None) => {
                return Err(PyValueError::new_err(
                    "padding=\"max_length\" needs max_length",
                ));
            }
            (Some(other), _) => {
                return Err(PyValueError::new_err(format!(
                    "padding {other:?} is unknown; use \"longest\", \"max_length\" or None"
                )))
            }
        };
        let pad_id = match (strategy, pad_id) {
            (Some(_), None) => {
                return Err(PyValueError::new_err(
                    "padding needs a pad token, and this tokenizer has none",
                ));
            }
            (_, id) => id.unwrap_or(0),
        };
        let flat = py
            .detach(|| {
                let batch = self.inner.encode_batch_flat(
                    &texts,
                    pairs.as_deref(),
                    add_special_tokens,
                    max_length,
                )?;
                Ok::<_, Error>(flatten(batch, strategy, pad_to_multiple_of, pad_id))
            })
            .map_err(to_py)?;
        let d = PyDict::new(py);
        d.set_item("lengths", PyByteArray::new(py, bytes_of(&flat.lengths)))?;
        match flat.arrays {
            Arrays::Padded {
                width,
                ids,
                attention,
                type_ids,
                special,
            } => {
                d.set_item("width", width)?;
                d.set_item("input_ids", PyByteArray::new(py, bytes_of(&ids)))?;
                d.set_item("attention_mask", PyByteArray::new(py, bytes_of(&attention)))?;
                d.set_item("token_type_ids", PyByteArray::new(py, bytes_of(&type_ids)))?;
                d.set_item(
                    "special_tokens_mask",
                    PyByteArray::new(py, bytes_of(&special)),
                )?;
            }
            Arrays::Ragged {
                ids,
                type_ids,
                special,
            } => {
                d.set_item("ids", PyByteArray::new(py, bytes_of(&ids)))?;
                d.set_item("token_type_ids", PyByteArray::new(py, bytes_of(&type_ids)))?;
                d.set_item(
                    "special_tokens_mask",
                    PyByteArray::new(py, bytes_of(&special)),
                )?;
            }
        }
        Ok(d)
    }

    #[pyo3(signature = (ids, skip_special_tokens = true))]
    fn decode(&self, py: Python<'_>, ids: Vec<i64>, skip_special_tokens: bool) -> PyResult<String> {
        let ids: Vec<u32> = ids
            .into_iter()
            .map(|id| {
                u32::try_from(id).map_err(|_| {
                    PyValueError::new_err(format!("cannot decode id {id}: ids are >= 0"))
                })
            })
            .collect::<PyResult<_>>()?;
        py.detach(|| self.inner.decode(&ids, skip_special_tokens))
            .map_err(to_py)
    }
}

enum Arrays {
    Padded {
        width: usize,
        ids: Vec<i64>,
        attention: Vec<i64>,
        type_ids: Vec<i64>,
        special: Vec<i64>,
    },
    Ragged {
        ids: Vec<u32>,
        type_ids: Vec<u8>,
        special: Vec<u8>,
    },
}

struct Flat {
    lengths: Vec<i64>,
    arrays: Arrays,
}

fn flatten(
    batch: FlatBatch,
    strategy: Option<PaddingLength>,
    multiple_of: Option<usize>,
    pad_id: u32,
) -> Flat {
    let lengths: Vec<i64> = batch.lengths.iter().map(|&n| n as i64).collect();
    let arrays = match strategy {
        None => Arrays::Ragged {
            ids: batch.ids,
            type_ids: batch.type_ids,
            special: batch.special_tokens_mask,
        },
        Some(s) => {
            let longest = batch.lengths.iter().copied().max().unwrap_or(0) as usize;
            let width = padded_length(s, longest, multiple_of);
            let n = batch.lengths.len() * width;
            let mut ids = vec![pad_id as i64; n];
            let mut attention = vec![0i64; n];
            let mut type_ids = vec![0i64; n];
            let mut special = vec![1i64; n];
            for (row, (start, &len)) in batch.starts().into_iter().zip(&batch.lengths).enumerate() {
                let (src, dst) = (
                    start..start + len as usize,
                    row * width..row * width + len as usize,
                );
                for (d, s) in dst.zip(src) {
                    ids[d] = batch.ids[s] as i64;
                    attention[d] = 1;
                    type_ids[d] = batch.type_ids[s] as i64;
                    special[d] = batch.special_tokens_mask[s] as i64;
                }
            }
            Arrays::Padded {
                width,
                ids,
                attention,
                type_ids,
                special,
            }
        }
    };
    Flat { lengths, arrays }
}

#[pymodule]
fn _rustbpe(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyTokenizer>()?;
    m.add("TrainingCancelled", py.get_type::<TrainingCancelled>())?;
    m.add("FormatError", py.get_type::<FormatError>())?;
    Ok(())
}
