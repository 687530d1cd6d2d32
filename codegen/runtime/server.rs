//! Support for the generated server stubs: Graph-style error bodies, request reading with a size
//! limit, bearer authentication hooks, and the status types that keep a service from answering
//! with an undocumented status.

use std::future::Future;

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
        Self { status, code: code.into(), message: message.into() }
    }

    /// `400 BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// `401 InvalidAuthenticationToken`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
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
            .and_then(|now| now.format(&time::format_description::well_known::Rfc3339).ok())
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

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.message)
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

/// The answer to a path no operation serves.
pub async fn unknown_route() -> Response {
    GraphError::new(
        StatusCode::NOT_FOUND,
        "UnknownRoute",
        "no operation is served at this path; see the API description for the paths this server implements",
    )
    .into_response()
}

/// The answer to a method the path does not serve.
pub async fn method_not_allowed() -> Response {
    GraphError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowed",
        "this path does not serve this HTTP method; see the API description",
    )
    .into_response()
}

/// The answer to a path whose parameters cannot be read.
pub fn bad_path(err: impl std::fmt::Display) -> Response {
    GraphError::bad_request(format!("the path cannot be read: {err}")).into_response()
}

/// Reads a JSON body: `415` unless the content type is JSON, `413` over `limit` bytes, `408` if it
/// does not arrive within [`BODY_READ_TIMEOUT`], `400` if it cannot be read or does not parse into
/// `T` (the message names the line and column).
pub async fn read_json<T: DeserializeOwned>(headers: &HeaderMap, body: Body, limit: usize) -> Result<T, GraphError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence != "application/json" && !essence.ends_with("+json") {
        let shown = if content_type.is_empty() { "none" } else { content_type };
        return Err(GraphError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!("the request body must be sent with `Content-Type: application/json`; the request has {shown}"),
        ));
    }
    let bytes = match tokio::time::timeout(BODY_READ_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(err)) => {
            let over_limit = err.into_inner().downcast_ref::<http_body_util::LengthLimitError>().is_some();
            return Err(if over_limit {
                GraphError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    format!("the request body is larger than the limit of {limit} bytes"),
                )
            } else {
                GraphError::bad_request("the request body could not be read; send it again, complete")
            });
        }
        Err(_) => {
            return Err(GraphError::new(
                StatusCode::REQUEST_TIMEOUT,
                "RequestTimeout",
                format!("the request body did not arrive within {} seconds", BODY_READ_TIMEOUT.as_secs()),
            ));
        }
    };
    serde_json::from_slice(&bytes).map_err(|err| {
        let problem = match err.classify() {
            serde_json::error::Category::Data => "a value has the wrong type",
            serde_json::error::Category::Eof => "the JSON ends early",
            _ => "the body is not valid JSON",
        };
        GraphError::bad_request(format!("{problem}: {err}"))
    })
}

/// Establishes who sent a request before any operation sees it.
pub trait Authenticator: Send + Sync + 'static {
    /// What the authenticator established, handed to the service.
    type Identity: Send + 'static;

    /// Checks the request's headers; an error is answered as it is, and the service is not called.
    fn authenticate(&self, headers: &HeaderMap) -> impl Future<Output = Result<Self::Identity, GraphError>> + Send;
}

/// The bearer token of a request, as [`RequireBearer`] found it.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(pub String);

impl std::fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BearerToken(redacted)")
    }
}

/// The default authenticator: requires `Authorization: Bearer <token>` with a non-empty token and
/// checks nothing else. Deployments that validate tokens implement [`Authenticator`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireBearer;

impl Authenticator for RequireBearer {
    type Identity = BearerToken;

    async fn authenticate(&self, headers: &HeaderMap) -> Result<BearerToken, GraphError> {
        bearer_token(headers).map(|token| BearerToken(token.to_owned()))
    }
}

/// The token of `Authorization: Bearer <token>`; `401` if it is missing or empty.
pub fn bearer_token(headers: &HeaderMap) -> Result<&str, GraphError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        GraphError::unauthorized("the request has no `Authorization` header; send `Authorization: Bearer {token}`")
    })?;
    let value = value
        .to_str()
        .map_err(|_| GraphError::unauthorized("the `Authorization` header is not valid text"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(GraphError::unauthorized("the `Authorization` header must use the `Bearer` scheme"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(GraphError::unauthorized("the bearer token is empty; send `Authorization: Bearer {token}`"));
    }
    Ok(token)
}

/// Checks a parsed request body against the constraints of the API description.
pub trait Validate {
    /// `Err` with a message naming the property and what is wrong.
    fn validate(&self, checks: &Checks) -> Result<(), String>;
}

/// How strictly [`Validate`] applies the description's constraints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checks {
    /// Accept `http://` URLs on a loopback host (`127.0.0.1`, `[::1]`, `localhost`) where the
    /// description asks for `https://`. For local development only.
    pub allow_http_loopback: bool,
}

/// Checks a string against the constraints the description gives it.
pub fn check_string(checks: &Checks, wire_name: &str, value: &str, prefix: Option<&str>, uri: bool) -> Result<(), String> {
    if let Some(prefix) = prefix {
        let starts = value.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix));
        let loopback_exception =
            checks.allow_http_loopback && prefix.eq_ignore_ascii_case("https://") && is_http_loopback(value);
        if !starts && !loopback_exception {
            return Err(format!("`{wire_name}` must start with `{prefix}`; got `{value}`"));
        }
    }
    if uri && reqwest::Url::parse(value).is_err() {
        return Err(format!("`{wire_name}` must be an absolute URI; got `{value}`"));
    }
    Ok(())
}

/// Whether `value` is an `http://` URL whose host is a loopback address or `localhost`.
pub fn is_http_loopback(value: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(value) else {
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

/// Checks that an open enum value is a member the description names.
pub fn check_enum<E: super::OpenEnum + std::fmt::Display>(wire_name: &str, value: &E, members: &[&str]) -> Result<(), String> {
    if value.is_known() {
        Ok(())
    } else {
        Err(format!("`{wire_name}` is `{value}`, which is not one of {}", members.join(", ")))
    }
}

macro_rules! status_class {
    ($name:ident, $range:expr, $what:literal) => {
        #[doc = concat!("A status of the ", $what, " class; other statuses cannot be made.")]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct $name(StatusCode);

        impl $name {
            #[doc = concat!("The status, if `code` is in the ", $what, " class.")]
            pub fn new(code: u16) -> Option<Self> {
                if $range.contains(&code) { StatusCode::from_u16(code).ok().map(Self) } else { None }
            }

            /// The status.
            pub fn status(self) -> StatusCode {
                self.0
            }
        }
    };
}

status_class!(ClientErrorStatus, 400..=499u16, "`4XX`");
status_class!(ServerErrorStatus, 500..=599u16, "`5XX`");

/// Which kind of URL a notification was posted to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryRoute {
    /// The bot's calling webhook, configured at registration.
    Webhook,
    /// A per-call callback URL the bot named in a request, such as reject's `callbackUri`.
    Callback,
}

/// How one accepted notification request arrived.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The kind of URL it was posted to.
    pub route: DeliveryRoute,
    /// The request path.
    pub path: String,
    /// What the token established; `None` when authentication is disabled.
    pub claims: Option<super::GraphClaims>,
    /// The request headers (such as `X-Microsoft-Skype-Chain-ID`).
    pub headers: HeaderMap,
}
