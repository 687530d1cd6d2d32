//! The `mock-graph` binary as the README runs it: it starts from its flags, reports its address, and
//! answers malformed, huge and unknown requests with Graph-style 4xx errors without going down.

use std::process::Command;

use tests::fixtures::DEMO_APP_ID;
use tests::process::{Running, start_reporting_url};

/// Starts the binary on an ephemeral port and returns its base URL.
fn start(args: &[&str]) -> (Running, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mock-graph"));
    command.args(["--listen", "127.0.0.1:0"]).args(args);
    start_reporting_url(command)
}

async fn send(request: reqwest::RequestBuilder) -> (u16, serde_json::Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn bad_requests_get_graph_errors_and_the_binary_keeps_serving() {
    let (_running, url) = start(&[
        "--app-id",
        DEMO_APP_ID,
        "--ring-timeout",
        "5",
        "--allow-http-callbacks",
    ]);
    let http = reqwest::Client::new();
    let json = |path: &str, body: String| {
        http.post(format!("{url}{path}"))
            .header("content-type", "application/json")
            .body(body)
    };
    let huge = format!(r#"{{"callbackUri": "{}"}}"#, "x".repeat(200 * 1024));
    let cases = [
        (json("/_sim/calls", "{".into()), 400),
        (json("/_sim/calls", huge), 413),
        (
            http.post(format!("{url}/_sim/calls")).body("callbackUri=x"),
            415,
        ),
        (json("/nowhere", "{}".into()), 404),
        (http.get(format!("{url}/_sim/calls/unknown")), 404),
        (
            json("/communications/calls/unknown/reject", "{}".into()),
            401,
        ),
        (
            json("/communications/calls/unknown/reject", "{}".into()).bearer_auth("t"),
            404,
        ),
        (http.get(format!("{url}/_sim/calls")), 405),
        (http.post(format!("{url}/_sim/jwks")), 405),
        (http.get(format!("{url}/_sim/calls/%FF")), 404),
        (http.post(format!("{url}/_sim/calls/%FF/answer")), 404),
    ];
    for (request, status) in cases {
        let (got, body) = send(request).await;
        assert_eq!(got, status, "{body:#}");
        assert!(body["error"]["code"].is_string(), "{body:#}");
    }
    let (status, jwks) = send(http.get(format!("{url}/_sim/jwks"))).await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    let (status, placed) = send(json(
        "/_sim/calls",
        r#"{"callbackUri": "http://127.0.0.1:9/api/calls"}"#.into(),
    ))
    .await;
    assert_eq!(status, 201, "{placed:#}");
}

#[test]
fn bad_flags_are_refused_with_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_mock-graph"))
        .args(["--listen", "not-an-address"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--listen"));
}
