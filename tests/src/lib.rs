//! What the workspace tests share: where things are, the documented HTTP examples, the ids, keys
//! and local servers of [`fixtures`], raw requests and their answers ([`http`]), a recording server
//! ([`recorder`]), the simulator's control API ([`simulator`]), the project's binaries run
//! as processes ([`process`]), the kinds of notification resources ([`resources`]), and the
//! invariants fuzzing checks ([`invariants`]).

pub mod fixtures;
pub mod http;
pub mod invariants;
pub mod process;
pub mod recorder;
pub mod resources;
pub mod simulator;

use std::path::PathBuf;

/// The repository root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .to_path_buf()
}

/// Reads a file below the repository root.
pub fn read(relative: &str) -> String {
    let path = workspace_root().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// An HTTP message quoted in the API documentation, as stored under `spec/examples/`.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpExample {
    /// The request line or status line.
    pub start_line: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<String>,
}

impl HttpExample {
    /// Parses a documented HTTP message: a start line, headers, a blank line, a body.
    pub fn parse(text: &str) -> Self {
        let (head, body) = match text.split_once("\n\n") {
            Some((head, body)) if !body.trim().is_empty() => (head, Some(body.to_owned())),
            Some((head, _)) => (head, None),
            None => (text.trim_end(), None),
        };
        let mut lines = head.lines();
        let start_line = lines.next().unwrap_or_default().to_owned();
        let headers = lines
            .filter_map(|line| line.split_once(':'))
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
            .collect();
        Self {
            start_line,
            headers,
            body,
        }
    }

    /// Reads `spec/examples/{relative}`.
    pub fn load(relative: &str) -> Self {
        Self::parse(&read(&format!("spec/examples/{relative}")))
    }

    /// The method of a request.
    pub fn method(&self) -> &str {
        self.start_line
            .split_whitespace()
            .next()
            .unwrap_or_default()
    }

    /// The path of a request's URL, such as `/beta/communications/calls/…/reject`.
    pub fn path(&self) -> &str {
        let url = self
            .start_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default();
        let after_scheme = url.split_once("://").map(|(_, rest)| rest).unwrap_or(url);
        after_scheme
            .find('/')
            .map(|i| &after_scheme[i..])
            .unwrap_or("/")
    }

    /// The status code of a response.
    pub fn status(&self) -> u16 {
        self.start_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_default()
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.body.as_deref().expect("the example has a body"))
            .expect("the example body is JSON")
    }
}

/// The README's Rust examples, compiled and run as doctests so they stay true.
#[doc = include_str!("../../README.md")]
pub mod readme {}
