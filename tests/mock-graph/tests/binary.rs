//! The `mock-graph` binary as the README runs it: it starts from its flags, reports its address,
//! answers malformed, huge and unknown requests with Graph-style 4xx errors without going down, and
//! on SIGTERM stops accepting, finishes the deliveries under way, and gives up on them after its
//! grace period.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use support::{Reply, StandIn};
use tests::fixtures::DEMO_APP_ID;
use tests::http::{client, post};
use tests::process::{Running, start_reporting_url};
use tokio::sync::Notify;

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

/// The binary as a child process of the test, killed if the test ends first.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Process {
    /// Starts the binary on an ephemeral port with http callbacks allowed and `args`, and returns
    /// it with its base URL.
    fn start(args: &[&str]) -> (Self, String) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mock-graph"))
            .args(["--listen", "127.0.0.1:0", "--allow-http-callbacks"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let child = Self(child);
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the binary reports its URL");
        let url = line.trim().rsplit(' ').next().expect("a URL").to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{line}");
        (child, url)
    }

    /// Sends SIGTERM to this process, and to no other.
    fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
    }

    /// Whether the process has exited.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.0.try_wait().expect("the process can be waited for")
    }

    /// Waits until the process exits (up to 20 s) and returns its status.
    async fn exit(&mut self) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the binary never exited"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Places a call on the binary at `url` for `webhook`.
async fn place(url: &str, webhook: &StandIn) {
    let placed = post(
        &format!("{url}/_sim/calls"),
        &[("content-type", "application/json")],
        json!({ "callbackUri": webhook.url }).to_string(),
    )
    .await;
    assert_eq!(placed.status, 201, "{:#}", placed.json);
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_it_stops_accepting_and_finishes_the_deliveries_under_way() {
    let release = Arc::new(Notify::new());
    let webhook = StandIn::start(vec![Reply::Held(release.clone(), 503)]).await;
    let (mut child, url) = Process::start(&["--shutdown-grace", "30"]);
    place(&url, &webhook).await;
    webhook.wait_for(1).await;

    child.terminate();
    // Stops accepting: new connections are refused while the delivery is still under way.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while client()
        .get(format!("{url}/_sim/jwks"))
        .send()
        .await
        .is_ok()
    {
        assert!(tokio::time::Instant::now() < deadline, "still accepting");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(child.exited().is_none(), "a delivery is still under way");

    // The held attempt fails with 503; the retry, after shutdown began, is still made.
    release.notify_one();
    let received = webhook.wait_for(2).await;
    assert_eq!(received[0].message_id(), received[1].message_id());
    assert!(child.exit().await.success());
    assert_eq!(webhook.received().len(), 2);
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_it_gives_up_on_deliveries_after_the_grace_period() {
    let never = Arc::new(Notify::new());
    let webhook = StandIn::start(vec![Reply::Held(never, 202)]).await;
    let (mut child, url) = Process::start(&["--shutdown-grace", "1"]);
    place(&url, &webhook).await;
    webhook.wait_for(1).await;
    child.terminate();
    assert!(child.exit().await.success());
}
