//! Training files: UTF-8 text read line by line, in chunks (never whole), with progress in
//! bytes.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;

use super::{Progress, ProgressFn};
use crate::{Error, Result};

/// Bytes read from a file at a time.
pub const FILE_CHUNK: usize = 8 << 20;

/// Calls `add` with the complete lines of the files, in order, reading `chunk` bytes at a
/// time; reports progress in bytes ("count" stage). Invalid UTF-8 is an `Error::Data`
/// naming the file and byte offset; a missing file or a directory an `Error::Io`.
pub fn read_lines(
    paths: &[PathBuf],
    chunk: usize,
    progress: ProgressFn,
    mut add: impl FnMut(&[&str]),
) -> Result<()> {
    let mut total = 0u64;
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|e| Error::io(p, &e))?;
        if meta.is_dir() {
            return Err(Error::Io(format!(
                "{}: is a directory, expected a text file",
                p.display()
            )));
        }
        total += meta.len();
    }
    let mut done = 0u64;
    if !progress(Progress {
        stage: "count",
        current: 0,
        total,
    }) {
        return Err(Error::Cancelled);
    }
    for p in paths {
        let mut file = File::open(p).map_err(|e| Error::io(p, &e))?;
        let mut buf: Vec<u8> = Vec::with_capacity(chunk);
        let mut base = 0u64; // file offset of buf[0]
        loop {
            let old = buf.len();
            buf.resize(old + chunk, 0);
            let n = read_full(&mut file, &mut buf[old..]).map_err(|e| Error::io(p, &e))?;
            buf.truncate(old + n);
            let eof = n == 0;
            // Complete lines only; a line never splits a UTF-8 character at '\n'.
            let cut = if eof {
                buf.len()
            } else {
                buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
            };
            if cut > 0 {
                let text = std::str::from_utf8(&buf[..cut]).map_err(|e| {
                    Error::Data(format!(
                        "{}: invalid UTF-8 at byte offset {}; training files must be UTF-8 text",
                        p.display(),
                        base + e.valid_up_to() as u64
                    ))
                })?;
                let lines: Vec<&str> = text.lines().collect();
                add(&lines);
                buf.drain(..cut);
                base += cut as u64;
                done += cut as u64;
                if !progress(Progress {
                    stage: "count",
                    current: done,
                    total: total.max(done),
                }) {
                    return Err(Error::Cancelled);
                }
            }
            if eof {
                break;
            }
        }
    }
    Ok(())
}

fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(paths: &[PathBuf], chunk: usize) -> Result<Vec<String>> {
        let mut all = Vec::new();
        read_lines(paths, chunk, &|_| true, |lines| {
            all.extend(lines.iter().map(|l| l.to_string()))
        })?;
        Ok(all)
    }

    #[test]
    fn files_are_read_in_chunks_line_by_line() {
        let dir = std::env::temp_dir().join(format!("rustbpe-chunks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = "héllo wörld\r\nnaïve 日本語 text\n\nlast line without newline";
        let good = dir.join("good.txt");
        std::fs::write(&good, text).unwrap();
        let whole: Vec<&str> = text.lines().collect();
        for chunk in [1, 3, 7, 64] {
            let lines = lines_of(std::slice::from_ref(&good), chunk).unwrap();
            assert_eq!(lines, whole, "chunk {chunk}");
        }
        let bad = dir.join("bad.txt");
        std::fs::write(&bad, b"ok line\nsecond \xff line\n").unwrap();
        for chunk in [2, 5, 64] {
            let err = lines_of(std::slice::from_ref(&bad), chunk);
            assert!(
                matches!(&err, Err(Error::Data(m)) if m.contains("bad.txt") && m.contains("byte offset 15")),
                "{err:?}"
            );
        }
        let err = lines_of(std::slice::from_ref(&dir), 64);
        assert!(
            matches!(&err, Err(Error::Io(m)) if m.contains("is a directory")),
            "{err:?}"
        );
        let cancelled = read_lines(&[good], 4, &|p| p.current == 0, |_| {});
        assert_eq!(cancelled.unwrap_err(), Error::Cancelled);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
