//! One error type for every stage: it carries a kind (for tests and callers
//! that branch), a human message, the byte offset where the problem was seen,
//! and optionally the file it came from.

use std::fmt;

/// What went wrong, coarse enough to branch on and fine enough to test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The data ends before a structure that must be there.
    Truncated,
    /// The BTF magic is missing.
    BadMagic,
    /// A header field is inconsistent (version, lengths, alignment, unknown bytes).
    BadHeader,
    /// A section or record lies outside the data it must be inside.
    OutOfRange,
    /// The string section is empty, not NUL-terminated, or does not start with NUL.
    BadStrings,
    /// A name offset points outside the strings.
    BadStringOffset,
    /// A type id refers past the last type.
    BadTypeId,
    /// A kind this version does not know, and no layout section describes it.
    UnknownKind,
    /// A record is structurally wrong (e.g. FUNC not pointing at FUNC_PROTO).
    BadType,
    /// A split BTF was given without the base it extends.
    MissingBase,
    /// A limit that protects the machine was reached.
    Limit,
    /// The file is not a format we recognise, or a container is malformed.
    BadContainer,
    /// A compressed stream failed to decompress.
    Decompress,
    /// Operating system I/O.
    Io,
    /// The caller asked for something that cannot be done (bad argument).
    Usage,
    /// A BTF does not fit the kernel it was to be relocated onto.
    Incompatible,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    /// Byte offset in the input the error refers to, when there is one.
    pub offset: Option<u64>,
    /// The file (or section) the input came from, when known.
    pub file: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            offset: None,
            file: None,
        }
    }

    pub fn at(kind: ErrorKind, offset: impl Into<u64>, message: impl Into<String>) -> Self {
        Error {
            offset: Some(offset.into()),
            ..Error::new(kind, message)
        }
    }

    /// Names the file the error belongs to (kept if one is already set).
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        if self.file.is_none() {
            self.file = Some(file.into());
        }
        self
    }

    /// Shifts the offset by `base`: a parser reports offsets inside the
    /// slice it was given, the caller knows where that slice sits.
    pub fn rebased(mut self, base: u64) -> Self {
        if let Some(off) = self.offset.as_mut() {
            *off += base;
        }
        self
    }

    /// Adds context in front of the message, e.g. the section name.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{file}: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(off) = self.offset {
            write!(f, " (at offset {off:#x})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}
