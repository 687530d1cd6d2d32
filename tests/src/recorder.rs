//! A test server on 127.0.0.1 that records every request it receives and answers with the
//! responses the test chooses, in order.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::IntoResponse;

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// The method.
    pub method: Method,
    /// The path and query.
    pub uri: Uri,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

/// The response the server gives to every request.
#[derive(Clone, Debug)]
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The `Content-Type`, if any.
    pub content_type: Option<&'static str>,
    /// The body.
    pub body: &'static str,
    /// More headers.
    pub headers: Vec<(&'static str, String)>,
    /// A wait before answering (the request is recorded at once).
    pub delay: std::time::Duration,
}

impl Reply {
    /// An empty response with `status`.
    pub fn empty(status: u16) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            content_type: None,
            body: "",
            headers: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// A JSON response.
    pub fn json(status: u16, body: &'static str) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            content_type: Some("application/json"),
            body,
            headers: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// A plain-text response.
    pub fn text(status: u16, body: &'static str) -> Self {
        Self {
            status: StatusCode::from_u16(status).expect("valid status"),
            content_type: Some("text/plain"),
            body,
            headers: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    /// The same response, given after `delay`.
    pub fn after(mut self, delay: std::time::Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The same response with the header `name: value` too.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// A running recording server.
pub struct Recorder {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
}

impl Recorder {
    /// Starts a server on an ephemeral port of 127.0.0.1 that answers every request with `reply`.
    pub async fn start(reply: Reply) -> Self {
        Self::start_sequence(vec![reply]).await
    }

    /// Starts a server that answers the n-th request with `replies[n]`, and every request after
    /// the last reply with the last.
    pub async fn start_sequence(replies: Vec<Reply>) -> Self {
        assert!(!replies.is_empty(), "at least one reply");
        let requests: Arc<Mutex<Vec<RecordedRequest>>> = Arc::default();
        let seen = requests.clone();
        let replies = Arc::new(replies);
        let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            let replies = replies.clone();
            async move {
                let reply = {
                    let mut seen = seen.lock().expect("recorder lock");
                    seen.push(RecordedRequest {
                        method,
                        uri,
                        headers,
                        body,
                    });
                    replies[(seen.len() - 1).min(replies.len() - 1)].clone()
                };
                // Even a zero sleep waits for the timer's next tick (a millisecond).
                if !reply.delay.is_zero() {
                    tokio::time::sleep(reply.delay).await;
                }
                let mut response = (reply.status, reply.body).into_response();
                if let Some(content_type) = reply.content_type {
                    response.headers_mut().insert(
                        axum::http::header::CONTENT_TYPE,
                        content_type.parse().expect("valid header"),
                    );
                }
                for (name, value) in &reply.headers {
                    response.headers_mut().insert(
                        axum::http::HeaderName::from_static(name),
                        value.parse().expect("valid header"),
                    );
                }
                response
            }
        };
        let base_url = crate::fixtures::serve(axum::Router::new().fallback(handler)).await;
        Self { base_url, requests }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("recorder lock").clone()
    }
}
