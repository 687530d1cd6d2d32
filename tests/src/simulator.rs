//! The simulator as tests drive it: started on 127.0.0.1 for [`APP_ID`] with http callbacks
//! allowed, and its control API: place a call, read it back, wait until it gets somewhere, and
//! trigger the other notifications Graph sends about a call.

use std::time::Duration;

use mock_graph::{Config, MockGraph, RunningMockGraph};
use serde_json::Value;

use crate::fixtures::APP_ID;
use crate::http::{Answer, answer, client, post};

/// Starts a simulator with `config` on an ephemeral port of 127.0.0.1, for [`APP_ID`] and with
/// http callbacks on loopback allowed.
pub async fn start(config: Config) -> RunningMockGraph {
    MockGraph::start_local(Config {
        app_id: APP_ID.to_owned(),
        allow_http_callbacks: true,
        ..config
    })
    .await
    .expect("the simulator starts")
}

/// Places an incoming call (`POST /_sim/calls` with `body`) and returns its id.
pub async fn place(graph: &RunningMockGraph, body: Value) -> String {
    let answer = post(
        &format!("{}/_sim/calls", graph.base_url),
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await;
    assert_eq!(answer.status, 201, "{:#}", answer.json);
    answer.json["id"].as_str().expect("an id").to_owned()
}

/// Triggers a notification about the call `id`: posts `body` to `/_sim/calls/{id}/{what}`
/// (`participants`, `operations` or `notifications`) and returns the answer.
pub async fn trigger(graph: &RunningMockGraph, id: &str, what: &str, body: Value) -> Answer {
    post(
        &format!("{}/_sim/calls/{id}/{what}", graph.base_url),
        &[("content-type", "application/json")],
        body.to_string(),
    )
    .await
}

/// The call `id` as `GET /_sim/calls/{id}` shows it.
pub async fn show(graph: &RunningMockGraph, id: &str) -> Value {
    answer(client().get(format!("{}/_sim/calls/{id}", graph.base_url)))
        .await
        .json
}

/// Polls the call until `done` holds (up to 15 s).
pub async fn wait_for(graph: &RunningMockGraph, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let call = show(graph, id).await;
        if done(&call) {
            return call;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the call never got there: {call:#}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The call's delivery of `change`, once finished.
pub fn delivery<'a>(call: &'a Value, change: &str) -> Option<&'a Value> {
    call["notifications"]
        .as_array()?
        .iter()
        .find(|n| n["changeType"] == change && n["done"] == true)
}
