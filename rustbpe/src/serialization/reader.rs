//! The JSON walker every component reader uses: typed field access whose errors name the
//! file, the field, what was expected and what was found.

use serde_json::{Map, Value};

use crate::{Error, Result};

/// Walks the JSON with the file name at hand for messages.
pub(super) struct Reader<'a> {
    pub(super) source: &'a str,
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) type Obj = Map<String, Value>;

impl Reader<'_> {
    pub(super) fn err(&self, msg: String) -> Error {
        Error::Format(format!("{}: {msg}", self.source))
    }

    pub(super) fn obj<'v>(&self, v: &'v Value, at: &str) -> Result<&'v Obj> {
        v.as_object()
            .ok_or_else(|| self.err(format!("`{at}` should be an object, found {}", kind(v))))
    }

    pub(super) fn field<'v>(&self, o: &'v Obj, key: &str, at: &str) -> Result<&'v Value> {
        o.get(key)
            .ok_or_else(|| self.err(format!("`{at}` has no `{key}` field")))
    }

    pub(super) fn string<'v>(&self, o: &'v Obj, key: &str, at: &str) -> Result<&'v str> {
        let v = self.field(o, key, at)?;
        v.as_str().ok_or_else(|| {
            self.err(format!(
                "`{at}.{key}` should be a string, found {}",
                kind(v)
            ))
        })
    }

    /// A boolean that may be absent (then `default`).
    pub(super) fn flag(&self, o: &Obj, key: &str, at: &str, default: bool) -> Result<bool> {
        match o.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(self.err(format!(
                "`{at}.{key}` should be true or false, found {}",
                kind(v)
            ))),
        }
    }

    pub(super) fn uint(&self, o: &Obj, key: &str, at: &str) -> Result<u64> {
        let v = self.field(o, key, at)?;
        v.as_u64().ok_or_else(|| {
            self.err(format!(
                "`{at}.{key}` should be a non-negative integer, found {v}"
            ))
        })
    }

    pub(super) fn type_of<'v>(&self, o: &'v Obj, at: &str) -> Result<&'v str> {
        self.string(o, "type", at)
    }

    /// Refuses a field that is set to anything but null / false / empty.
    pub(super) fn unsupported_if_set(
        &self,
        o: &Obj,
        key: &str,
        at: &str,
        what: &str,
    ) -> Result<()> {
        match o.get(key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(()),
            Some(Value::String(s)) if s.is_empty() => Ok(()),
            Some(v) => Err(self.err(format!(
                "`{at}.{key}` is {v}: {what} is not supported by bertbench"
            ))),
        }
    }
}
