//! A stand-in for a bot's webhook on 127.0.0.1: it records every request it receives and answers
//! each with the next of the replies it was given, then with `202 Accepted`. And what a bot does to
//! the simulator: reject a call; and a call's delivery records once they are all done.
//!
//! Each test binary uses the parts it needs.
#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use mock_graph::RunningMockGraph;
use serde_json::Value;
use tests::fixtures::GRAPH_TOKEN;
use tests::http::post;
use tests::simulator::wait_for;
use tokio::sync::Notify;

/// How the stand-in answers one request.
#[derive(Clone)]
pub enum Reply {
    /// This status, with no body.
    Status(u16),
    /// This redirect status, with `Location`.
    Redirect(u16, String),
    /// This status, once the test releases the request with `notify_one`.
    Held(Arc<Notify>, u16),
}

/// A request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Received {
    /// The method.
    pub method: Method,
    /// The path.
    pub path: String,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as JSON, or `Null` if it is empty or not JSON.
    pub body: Value,
    /// The size of the body in bytes.
    pub size: usize,
}

impl Received {
    /// A header's value, or `""`.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// `X-Microsoft-Skype-Message-ID`.
    pub fn message_id(&self) -> &str {
        self.header("x-microsoft-skype-message-id")
    }

    /// The first notification of the body.
    pub fn notification(&self) -> &Value {
        &self.body["value"][0]
    }
}

/// A running stand-in webhook.
pub struct StandIn {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// `http://127.0.0.1:PORT/api/calls`, the webhook a call is placed with.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl StandIn {
    /// Starts a stand-in that answers its requests with `replies` in turn, then with `202`.
    pub async fn start(replies: Vec<Reply>) -> Self {
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let seen = received.clone();
        let replies = Arc::new(replies);
        let handler = move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let seen = seen.clone();
            let replies = replies.clone();
            async move {
                let reply = {
                    let mut seen = seen.lock().expect("stand-in lock");
                    seen.push(Received {
                        method,
                        path: uri.path().to_owned(),
                        headers,
                        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
                        size: body.len(),
                    });
                    replies.get(seen.len() - 1).cloned()
                };
                answer(reply).await
            }
        };
        let base_url = tests::fixtures::serve(axum::Router::new().fallback(handler)).await;
        Self {
            url: format!("{base_url}/api/calls"),
            base_url,
            received,
        }
    }

    /// The requests received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("stand-in lock").clone()
    }

    /// Waits until at least `count` requests arrived (up to 15 s) and returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} requests never arrived; got {}",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

async fn answer(reply: Option<Reply>) -> Response {
    let status = |code: u16| StatusCode::from_u16(code).expect("a status");
    match reply.unwrap_or(Reply::Status(202)) {
        Reply::Status(code) => status(code).into_response(),
        Reply::Redirect(code, location) => {
            (status(code), [(header::LOCATION, location)]).into_response()
        }
        Reply::Held(release, code) => {
            release.notified().await;
            status(code).into_response()
        }
    }
}

/// Rejects the call `id` as a bot does.
pub async fn reject(graph: &RunningMockGraph, id: &str) {
    let answer = post(
        &format!("{}/communications/calls/{id}/reject", graph.base_url),
        &[
            ("content-type", "application/json"),
            ("authorization", &format!("Bearer {GRAPH_TOKEN}")),
        ],
        r#"{"reason": "busy"}"#,
    )
    .await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
}

/// The call's records, once every one is done.
pub async fn settled(graph: &RunningMockGraph, id: &str, count: usize) -> Vec<Value> {
    let call = wait_for(graph, id, |c| {
        c["notifications"]
            .as_array()
            .is_some_and(|n| n.len() == count && n.iter().all(|d| d["done"] == true))
    })
    .await;
    call["notifications"].as_array().expect("records").clone()
}
