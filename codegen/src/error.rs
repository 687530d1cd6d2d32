//! The one error type of the generator: every problem names where in the spec it is (a JSON pointer)
//! and what to do about it.

use crate::pointer::Pointer;

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
    #[error(
        "{pointer}: the client generator failed{}: {message}",
        on_operation(operation)
    )]
    Client {
        /// Where in the spec the operation is.
        pointer: String,
        /// The operation id, when the failure concerns one operation.
        operation: Option<String>,
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

/// ` on operation `x``, naming the operation a client generator failure concerns, if any.
fn on_operation(operation: &Option<String>) -> String {
    operation
        .as_ref()
        .map(|id| format!(" on operation `{id}`"))
        .unwrap_or_default()
}

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
