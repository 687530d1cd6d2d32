//! What both servers share: Graph-style error bodies, JSON request bodies read within a size limit
//! and a deadline, bearer tokens, and the answers to unknown routes.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The default limit on a request body: 64 KiB.
pub const DEFAULT_BODY_LIMIT: usize = 64 * 1024;

/// How long a request body may take to arrive once its headers have.
pub const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// A request the server turns away, answered as Graph answers: `{"error": {"code", "message",
/// "innerError": {"request-id", "date"}}}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphError {
    /// The HTTP status.
    pub status: StatusCode,
    /// A code naming the problem, such as `InvalidAuthenticationToken`.
    pub code: String,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl GraphError {
    /// An error with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `400 BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// `401 InvalidAuthenticationToken`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
    }

    /// `403 Forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "Forbidden", message)
    }

    /// The body Graph sends with this error.
    pub fn body(&self) -> serde_json::Value {
        let date = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .ok()
            .and_then(|now| {
                now.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        serde_json::json!({
            "error": {
                "code": self.code,
                "message": self.message,
                "innerError": {
                    "request-id": uuid::Uuid::new_v4().to_string(),
                    "date": date,
                }
            }
        })
    }
}

impl GraphError {
    /// `404`: no operation is served at the request's path.
    pub fn unknown_route() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "UnknownRoute",
            "no operation is served at this path; see the API description for the paths this server implements",
        )
    }

    /// `405`: the path does not serve the request's method.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "this path does not serve this HTTP method; see the API description",
        )
    }
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for GraphError {}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        json_response(self.status, &self.body())
    }
}

/// A JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, [(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(err) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("the response could not be serialized: {err}"),
        )
        .into_response(),
    }
}

/// A `text/plain` response: the value as its text, such as the digits of a count.
pub fn text_response<T: std::fmt::Display>(status: StatusCode, body: &T) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// An `application/octet-stream` response.
pub fn bytes_response(status: StatusCode, body: axum::body::Bytes) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/octet-stream")],
        body,
    )
        .into_response()
}

/// Reads a body of bytes, whatever its content type: `413` over `limit` bytes, `408` if it does
/// not arrive within [`BODY_READ_TIMEOUT`], `400` if it cannot be read.
pub async fn read_bytes(body: Body, limit: usize) -> Result<axum::body::Bytes, GraphError> {
    read_limited(body, limit).await.map(axum::body::Bytes::from)
}

/// The status `code`. Generated code passes only codes from 100 to 599 that have no name, which
/// are all valid.
pub fn status_code(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// The answer to a path no operation serves.
pub async fn unknown_route() -> Response {
    GraphError::unknown_route().into_response()
}

/// The answer to a method the path does not serve.
pub async fn method_not_allowed() -> Response {
    GraphError::method_not_allowed().into_response()
}

/// The answer to a path whose parameters cannot be read.
pub fn bad_path(err: impl std::fmt::Display) -> Response {
    GraphError::bad_request(format!("the path cannot be read: {err}")).into_response()
}

/// Reads a JSON body: `415` unless the content type is JSON, `413` over `limit` bytes, `408` if it
/// does not arrive within [`BODY_READ_TIMEOUT`], `400` if it cannot be read or does not parse into
/// `T` (the message names the line and column).
pub async fn read_json<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<T, GraphError> {
    let bytes = read_json_bytes(headers, body, limit).await?;
    serde_json::from_slice(&bytes).map_err(|err| json_error(&err))
}

/// A `400` that says why a body is not the JSON it should be, with its line and column.
pub(crate) fn json_error(err: &serde_json::Error) -> GraphError {
    let problem = match err.classify() {
        serde_json::error::Category::Data => "a value has the wrong type",
        serde_json::error::Category::Eof => "the JSON ends early",
        _ => "the body is not valid JSON",
    };
    GraphError::bad_request(format!("{problem}: {err}"))
}

/// Reads the bytes of a JSON body, refused as [`read_json`] refuses it, but for its parse.
pub(crate) async fn read_json_bytes(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<u8>, GraphError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        let shown = if content_type.is_empty() {
            "none"
        } else {
            content_type
        };
        return Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "the request body must be sent with `Content-Type: application/json`; the request has {shown}"
            ),
        ));
    }
    read_limited(body, limit).await
}

/// The bytes of a body within `limit`, read within [`BODY_READ_TIMEOUT`].
async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, GraphError> {
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, read_within(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyProblem::TooLarge)) => {
            return Err(GraphError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!("the request body is larger than the limit of {limit} bytes"),
            ));
        }
        Ok(Err(BodyProblem::Unreadable)) => {
            return Err(GraphError::bad_request(
                "the request body could not be read; send it again, complete",
            ));
        }
        Err(_) => {
            return Err(GraphError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!(
                    "the request body did not arrive within {} seconds",
                    BODY_READ_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    Ok(bytes)
}

/// How much of a body beyond the limit is read and thrown away before the `413` is sent, so that a
/// client still sending reads the answer instead of a closed connection.
const DRAIN_LIMIT: usize = 1024 * 1024;

/// Why a body was not read.
enum BodyProblem {
    /// It is larger than the limit.
    TooLarge,
    /// The connection failed while it arrived.
    Unreadable,
}

/// The body, if it is at most `limit` bytes. A larger body is read on, up to [`DRAIN_LIMIT`] bytes
/// more, and dropped.
async fn read_within(mut body: Body, limit: usize) -> Result<Vec<u8>, BodyProblem> {
    use http_body_util::BodyExt as _;

    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyProblem::Unreadable)?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen > limit.saturating_add(DRAIN_LIMIT) {
            return Err(BodyProblem::TooLarge);
        }
        if seen <= limit {
            bytes.extend_from_slice(&data);
        }
    }
    if seen > limit {
        Err(BodyProblem::TooLarge)
    } else {
        Ok(bytes)
    }
}

/// The token of `Authorization: Bearer <token>`; `401` if it is missing or empty.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, GraphError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        GraphError::unauthorized(
            "the request has no `Authorization` header; send `Authorization: Bearer {token}`",
        )
    })?;
    let value = value
        .to_str()
        .map_err(|_| GraphError::unauthorized("the `Authorization` header is not valid text"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(GraphError::unauthorized(
            "the `Authorization` header must use the `Bearer` scheme",
        ));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(GraphError::unauthorized(
            "the bearer token is empty; send `Authorization: Bearer {token}`",
        ));
    }
    Ok(token)
}

/// Whether `value` is an `http://` URL whose host is a loopback address or `localhost`.
pub fn is_http_loopback(value: &str) -> bool {
    let Ok(url) = url::Url::parse(value) else {
        return false;
    };
    if url.scheme() != "http" {
        return false;
    }
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// A JSON body, read and answered as Graph does. As an axum extractor it reads the request body
/// within [`DEFAULT_BODY_LIMIT`] and refuses with a Graph-style [`GraphError`] (`415`, `413`, `408`,
/// `400`); as a response it is `200 OK` with `Content-Type: application/json`, or pair it with a
/// status: `(StatusCode::CREATED, GraphJson(body))`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for GraphJson<T> {
    type Rejection = GraphError;

    async fn from_request(request: axum::extract::Request, _state: &S) -> Result<Self, GraphError> {
        let (parts, body) = request.into_parts();
        read_json(&parts.headers, body, DEFAULT_BODY_LIMIT)
            .await
            .map(GraphJson)
    }
}

impl<T: Serialize> IntoResponse for GraphJson<T> {
    fn into_response(self) -> Response {
        json_response(StatusCode::OK, &self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_byte_responses_say_what_they_hold() {
        let text = text_response(StatusCode::OK, &42);
        assert_eq!(text.status(), StatusCode::OK);
        assert_eq!(
            text.headers()[header::CONTENT_TYPE],
            "text/plain; charset=utf-8"
        );
        let bytes = bytes_response(
            StatusCode::ACCEPTED,
            axum::body::Bytes::from_static(b"\0\x01"),
        );
        assert_eq!(bytes.status(), StatusCode::ACCEPTED);
        assert_eq!(
            bytes.headers()[header::CONTENT_TYPE],
            "application/octet-stream"
        );
    }
}
