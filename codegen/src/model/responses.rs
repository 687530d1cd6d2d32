//! The statuses and bodies of an operation's responses: success codes and the `2XX` range, the
//! statuses that carry the error body (codes, `4XX`/`5XX`, `default`), and what a body holds by
//! media type.

use super::FieldType;

/// Statuses that carry an operation's error body.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorStatus {
    /// One status code from `400` to `599`, such as `404`.
    Code(u16),
    /// Every status of a class: `4XX` or `5XX`.
    Class(ErrorClass),
    /// `default`: every status from `100` to `599` that the operation does not otherwise document.
    Default,
}

/// A class of error statuses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ErrorClass {
    /// `4XX`: the request is at fault.
    Client,
    /// `5XX`: the server is at fault.
    Server,
}

impl ErrorClass {
    /// The first digit of the statuses of the class.
    pub fn digit(self) -> u16 {
        match self {
            ErrorClass::Client => 4,
            ErrorClass::Server => 5,
        }
    }
}

impl ErrorStatus {
    fn sort_key(self) -> (u16, bool, u16) {
        match self {
            ErrorStatus::Code(code) => (code / 100, false, code),
            ErrorStatus::Class(class) => (class.digit(), true, 0),
            ErrorStatus::Default => (10, true, 0),
        }
    }
}

/// By class; within a class, single codes in order, then the whole class (`404`, `4XX`, `500`,
/// `5XX`); `default` last.
impl Ord for ErrorStatus {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

impl PartialOrd for ErrorStatus {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The status as OpenAPI writes it: `404` or `4XX`.
impl std::fmt::Display for ErrorStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ErrorStatus::Code(code) => write!(f, "{code}"),
            ErrorStatus::Class(class) => write!(f, "{}XX", class.digit()),
            ErrorStatus::Default => f.write_str("default"),
        }
    }
}

/// What a request or response body holds, by media type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Content {
    /// `application/json` (or `+json`): a value of the named type.
    Json(String),
    /// `text/plain`: a value written as text, such as the integer of a `$count`; a number, a
    /// boolean or a string.
    Text(FieldType),
    /// `application/octet-stream`: bytes.
    Bytes,
}

impl Content {
    /// The named type a JSON body holds, if it is one.
    pub fn json_type(&self) -> Option<&str> {
        match self {
            Content::Json(name) => Some(name),
            Content::Text(_) | Content::Bytes => None,
        }
    }
}

/// The status of a success response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuccessStatus {
    /// One status code from `200` to `299`, such as `202`.
    Code(u16),
    /// `2XX`: every success status.
    Range,
}

/// The status as OpenAPI writes it: `202` or `2XX`.
impl std::fmt::Display for SuccessStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuccessStatus::Code(code) => write!(f, "{code}"),
            SuccessStatus::Range => f.write_str("2XX"),
        }
    }
}

/// A documented success response.
#[derive(Clone, Debug, PartialEq)]
pub struct SuccessResponse {
    /// The status: a code or the `2XX` range.
    pub status: SuccessStatus,
    /// The body, if the response has one.
    pub body: Option<Content>,
    /// Documentation from the spec.
    pub doc: String,
}

/// A class of statuses that are neither successes nor errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OtherClass {
    /// `1XX`: informational.
    Informational,
    /// `3XX`: a redirection.
    Redirection,
}

impl OtherClass {
    /// The first digit of the statuses of the class.
    pub fn digit(self) -> u16 {
        match self {
            OtherClass::Informational => 1,
            OtherClass::Redirection => 3,
        }
    }
}

/// The status of an informational or redirection response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OtherStatus {
    /// One status code from `100` to `199` or `300` to `399`, such as `303`.
    Code(u16),
    /// Every status of a class: `1XX` or `3XX`.
    Range(OtherClass),
}

/// The status as OpenAPI writes it: `303` or `3XX`.
impl std::fmt::Display for OtherStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OtherStatus::Code(code) => write!(f, "{code}"),
            OtherStatus::Range(class) => write!(f, "{}XX", class.digit()),
        }
    }
}

/// A documented informational or redirection response. The server can answer it; the client,
/// which follows redirects itself, reads it as an unexpected response.
#[derive(Clone, Debug, PartialEq)]
pub struct OtherResponse {
    /// The status: a code or a range.
    pub status: OtherStatus,
    /// The body, if the response has one.
    pub body: Option<Content>,
    /// Documentation from the spec.
    pub doc: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_statuses_sort_and_print_as_the_spec_writes_them() {
        let mut statuses = [
            ErrorStatus::Class(ErrorClass::Server),
            ErrorStatus::Code(500),
            ErrorStatus::Class(ErrorClass::Client),
            ErrorStatus::Code(409),
            ErrorStatus::Default,
            ErrorStatus::Code(404),
        ];
        statuses.sort();
        let printed: Vec<String> = statuses.iter().map(ToString::to_string).collect();
        assert_eq!(printed, ["404", "409", "4XX", "500", "5XX", "default"]);
    }
}
