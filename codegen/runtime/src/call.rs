//! One call of an operation, from the generated method to its result: its `client-request-id`
//! (the caller's or a fresh UUID, the same on every retry), its tracing span, what the retries
//! found out (attempts, a deadline that passed, a `404` after an attempt that may have succeeded),
//! and the [`Error`] that carries all of it with Graph's `request-id`.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use progenitor_client::ResponseValue;
use tracing::Instrument;

use super::client::{ClientState, TokenError};

/// What the request hooks learn about one call, shared with the generated method through a
/// task-local while the call runs.
#[derive(Debug)]
pub(crate) struct CallRecord {
    client_request_id: String,
    /// The `client-request-id` the operation itself sent as a header parameter, if it has one.
    sent_id: OnceLock<String>,
    attempts: AtomicU32,
    deadline_passed: AtomicBool,
    may_have_succeeded: AtomicBool,
    /// Why the token provider gave no token, if it failed.
    no_token: Mutex<Option<TokenError>>,
}

impl CallRecord {
    pub(crate) fn client_request_id(&self) -> &str {
        self.sent_id.get().unwrap_or(&self.client_request_id)
    }

    /// The operation sent `id` as its `client-request-id` header parameter.
    pub(crate) fn sent_own_id(&self, id: &str) {
        let _ = self.sent_id.set(id.to_owned());
    }

    pub(crate) fn attempted(&self, attempt: u32) {
        self.attempts.store(attempt, Ordering::Relaxed);
    }

    pub(crate) fn deadline_passed(&self) {
        self.deadline_passed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn may_have_succeeded(&self) {
        self.may_have_succeeded.store(true, Ordering::Relaxed);
    }

    /// The token provider failed with `err`, so the request was not sent.
    pub(crate) fn no_token(&self, err: TokenError) {
        if let Ok(mut slot) = self.no_token.lock() {
            *slot = Some(err);
        }
    }

    fn take_no_token(&self) -> Option<TokenError> {
        self.no_token.lock().ok()?.take()
    }
}

tokio::task_local! {
    static CALL: Arc<CallRecord>;
}

/// The record of the call running on this task, if any.
pub(crate) fn current() -> Option<Arc<CallRecord>> {
    CALL.try_with(Arc::clone).ok()
}

/// Why a call failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind<E> {
    /// Graph's answer, or a failure to reach Graph, after the retries the policy allowed.
    Failed(progenitor_client::Error<E>),
    /// The deadline passed, or a retry could not have ended before it: no further attempt was
    /// made. `last` is the last attempt's failure, `None` if the deadline passed before the first.
    DeadlineExceeded {
        /// The last attempt's failure.
        last: Option<progenitor_client::Error<E>>,
    },
    /// An attempt may have taken effect (it timed out or lost its connection once sent, or got a
    /// `5XX`), and a later one got `404`: the resource is gone, perhaps because of the first. For
    /// reject, the call was most likely rejected.
    MayHaveSucceeded {
        /// The `404`.
        not_found: progenitor_client::Error<E>,
    },
    /// The token provider gave no token, so nothing was sent. `source` is its error: from a
    /// credential (see `runtime::credential`), a `CredentialError` that names the credential, the
    /// tenant and why (`source.downcast_ref::<CredentialError>()`).
    NoToken {
        /// The token provider's error.
        source: TokenError,
    },
}

/// A failed call, with the ids to quote to Microsoft support: the `client-request-id` the client
/// sent and the `request-id` Graph answered with.
pub struct Error<E> {
    kind: ErrorKind<E>,
    client_request_id: Option<String>,
    request_id: Option<String>,
    attempts: u32,
}

impl<E> Error<E> {
    /// Why the call failed.
    pub fn kind(&self) -> &ErrorKind<E> {
        &self.kind
    }

    /// Why the call failed, by value.
    pub fn into_kind(self) -> ErrorKind<E> {
        self.kind
    }

    /// The error of the last attempt (progenitor's), if an attempt was made.
    pub fn last(&self) -> Option<&progenitor_client::Error<E>> {
        match &self.kind {
            ErrorKind::Failed(err) => Some(err),
            ErrorKind::DeadlineExceeded { last } => last.as_ref(),
            ErrorKind::MayHaveSucceeded { not_found } => Some(not_found),
            ErrorKind::NoToken { .. } => None,
        }
    }

    /// The last attempt's error, by value.
    pub fn into_last(self) -> Option<progenitor_client::Error<E>> {
        match self.kind {
            ErrorKind::Failed(err) => Some(err),
            ErrorKind::DeadlineExceeded { last } => last,
            ErrorKind::MayHaveSucceeded { not_found } => Some(not_found),
            ErrorKind::NoToken { .. } => None,
        }
    }

    /// The status of the last answer, if there was one.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        self.last().and_then(progenitor_client::Error::status)
    }

    /// Whether the deadline ended the call.
    pub fn is_deadline_exceeded(&self) -> bool {
        matches!(self.kind, ErrorKind::DeadlineExceeded { .. })
    }

    /// Whether an earlier attempt may have succeeded (a `404` after an uncertain attempt).
    pub fn may_have_succeeded(&self) -> bool {
        matches!(self.kind, ErrorKind::MayHaveSucceeded { .. })
    }

    /// The `client-request-id` every attempt of the call carried.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// Graph's `request-id` of the last answer: its `request-id` header, else the error body's
    /// `innerError.request-id`.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// How many attempts were made (0 if the deadline passed before the first).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}

impl<E> std::fmt::Display for Error<E>
where
    progenitor_client::Error<E>: std::fmt::Display,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            ErrorKind::Failed(err) => write!(f, "{err}")?,
            ErrorKind::DeadlineExceeded { last: None } => {
                write!(f, "the deadline passed before the request was sent")?
            }
            ErrorKind::DeadlineExceeded { last: Some(err) } => write!(
                f,
                "the deadline passed after {} attempt(s); the last failed: {err}",
                self.attempts
            )?,
            ErrorKind::MayHaveSucceeded { not_found } => write!(
                f,
                "an earlier attempt may have succeeded: a retry got {not_found}"
            )?,
            ErrorKind::NoToken { source } => {
                write!(f, "no token, so the request was not sent: {source}")?
            }
        }
        if let Some(id) = &self.client_request_id {
            write!(f, " (client-request-id {id}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request-id {id}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

impl<E> std::fmt::Debug for Error<E>
where
    progenitor_client::Error<E>: std::fmt::Display,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl<E> std::error::Error for Error<E>
where
    progenitor_client::Error<E>: std::error::Error + 'static,
{
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        if let ErrorKind::NoToken { source } = &self.kind {
            return Some(&**source as &(dyn std::error::Error + 'static));
        }
        self.last()
            .map(|err| err as &(dyn std::error::Error + 'static))
    }
}

impl<E> From<progenitor_client::Error<E>> for Error<E> {
    fn from(err: progenitor_client::Error<E>) -> Self {
        Self {
            kind: ErrorKind::Failed(err),
            client_request_id: None,
            request_id: None,
            attempts: 0,
        }
    }
}

/// Graph's `request-id` of an error: the response header, else the body's
/// `error.innerError.request-id`.
fn request_id<E: serde::Serialize>(err: &progenitor_client::Error<E>) -> Option<String> {
    let header = |headers: &reqwest::header::HeaderMap| {
        headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    match err {
        progenitor_client::Error::ErrorResponse(response) => {
            header(response.headers()).or_else(|| {
                let body = serde_json::to_value(&**response).ok()?;
                let id = body.pointer("/error/innerError/request-id")?.as_str()?;
                Some(id.to_owned())
            })
        }
        progenitor_client::Error::UnexpectedResponse(response) => header(response.headers()),
        _ => None,
    }
}

/// Runs one call of an operation: `call` is the generated method's body, run with a fresh record
/// (and its `client-request-id`) in a span, and its error completed with what the retries found.
#[doc(hidden)]
pub async fn run<T, E, F>(
    state: &ClientState,
    operation: &'static str,
    call: F,
) -> Result<ResponseValue<T>, Error<E>>
where
    E: serde::Serialize,
    F: Future<Output = Result<ResponseValue<T>, progenitor_client::Error<E>>>,
{
    let options = state.options();
    let client_request_id = match options.client_request_id() {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let record = Arc::new(CallRecord {
        client_request_id,
        sent_id: OnceLock::new(),
        attempts: AtomicU32::new(0),
        deadline_passed: AtomicBool::new(false),
        may_have_succeeded: AtomicBool::new(false),
        no_token: Mutex::new(None),
    });
    let error = |kind, request_id, record: &CallRecord| Error {
        kind,
        client_request_id: Some(record.client_request_id().to_owned()),
        request_id,
        attempts: record.attempts.load(Ordering::Relaxed),
    };
    if options
        .deadline()
        .is_some_and(|deadline| std::time::Instant::now() >= deadline)
    {
        return Err(error(
            ErrorKind::DeadlineExceeded { last: None },
            None,
            &record,
        ));
    }
    let span = tracing::info_span!(
        "graph.request",
        operation,
        client_request_id = %record.client_request_id,
        method = tracing::field::Empty,
    );
    let result = CALL.scope(record.clone(), call).instrument(span).await;
    result.map_err(|err| {
        let request_id = request_id(&err);
        let kind = if let Some(source) = record.take_no_token() {
            ErrorKind::NoToken { source }
        } else if record.deadline_passed.load(Ordering::Relaxed) {
            ErrorKind::DeadlineExceeded { last: Some(err) }
        } else if record.may_have_succeeded.load(Ordering::Relaxed) {
            ErrorKind::MayHaveSucceeded { not_found: err }
        } else {
            ErrorKind::Failed(err)
        };
        error(kind, request_id, &record)
    })
}
