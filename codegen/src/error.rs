//! The one error type of the generator: every problem names where in the spec it is (a JSON pointer)
//! and what to do about it.

/// A problem with the spec or with generating code from it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The text is not YAML or JSON.
    #[error("the spec is not valid YAML or JSON: {message}")]
    Syntax {
        /// The parser's message, with line and column.
        message: String,
    },
    /// The document is not an OpenAPI 3.0 description.
    #[error("{pointer}: {message}")]
    Schema {
        /// Where in the spec, as a JSON pointer such as `#/paths/~1calls/post`.
        pointer: String,
        /// What is wrong there and what to do.
        message: String,
    },
    /// The document is OpenAPI, but uses something this generator does not support.
    #[error("{pointer}: {message}")]
    Unsupported {
        /// Where in the spec, as a JSON pointer.
        pointer: String,
        /// What is not supported and what to write instead.
        message: String,
    },
    /// The client generator failed on an operation.
    #[error("{pointer}: the client generator failed on operation `{operation}`: {message}")]
    Client {
        /// Where in the spec the operation is.
        pointer: String,
        /// The operation id.
        operation: String,
        /// What the client generator reported.
        message: String,
    },
    /// The embedded runtime crate is inconsistent; the generator itself must be fixed.
    #[error("the embedded runtime is broken: {message}")]
    Runtime {
        /// What is wrong with it.
        message: String,
    },
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn unsupported(pointer: &Pointer, message: impl Into<String>) -> Self {
        Error::Unsupported {
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }

    pub(crate) fn schema(pointer: &Pointer, message: impl Into<String>) -> Self {
        Error::Schema {
            pointer: pointer.to_string(),
            message: message.into(),
        }
    }
}

/// A JSON pointer into the spec, rendered as a URI fragment (`#/a/b~1c`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pointer(Vec<String>);

impl Pointer {
    /// The document root, `#`.
    pub fn root() -> Self {
        Self::default()
    }

    /// This pointer with one more reference token.
    pub fn join(&self, token: impl AsRef<str>) -> Self {
        let mut tokens = self.0.clone();
        tokens.push(token.as_ref().to_owned());
        Self(tokens)
    }

    /// Parses a local reference such as `#/components/schemas/x`.
    pub fn from_ref(reference: &str) -> Option<Self> {
        let rest = reference.strip_prefix('#')?;
        if rest.is_empty() {
            return Some(Self::root());
        }
        let rest = rest.strip_prefix('/')?;
        Some(Self(
            rest.split('/')
                .map(|token| token.replace("~1", "/").replace("~0", "~"))
                .collect(),
        ))
    }
}

impl std::fmt::Display for Pointer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("#")?;
        for token in &self.0 {
            write!(f, "/{}", token.replace('~', "~0").replace('/', "~1"))?;
        }
        Ok(())
    }
}
