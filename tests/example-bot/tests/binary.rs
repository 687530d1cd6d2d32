//! The `example-bot` binary as the README runs it, against an in-process simulator: it rejects an
//! incoming call, records what it received, and refuses bad deliveries without going down. On
//! SIGTERM it handles every notification it acknowledged, rejects included, before it exits.

use std::process::Command;
use std::time::Duration;

use mock_graph::{Config, MockGraph};
use tests::fixtures::DEMO_APP_ID;
use tests::process::start_reporting_url;

#[tokio::test]
async fn the_binary_rejects_a_placed_call_and_survives_bad_requests() {
    let graph = MockGraph::start_local(Config {
        app_id: DEMO_APP_ID.into(),
        allow_http_callbacks: true,
        ..Config::default()
    })
    .await
    .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("calls.jsonl");
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-bot"));
    command
        .args([
            "--listen",
            "127.0.0.1:0",
            "--graph-url",
            &graph.base_url,
            "--app-id",
            DEMO_APP_ID,
        ])
        .args([
            "--jwks",
            &format!("{}/_sim/jwks", graph.base_url),
            "--reason",
            "forbidden",
        ])
        .arg("--record")
        .arg(&record)
        .env("GRAPH_TOKEN", "demo");
    let (_running, webhook) = start_reporting_url(command);

    let http = reqwest::Client::new();
    for (body, auth, status) in [
        ("{", Some("Bearer x.y.z"), 401),
        ("{}", None, 401),
        ("x".repeat(100_000).as_str(), None, 401),
    ] {
        let mut request = http
            .post(&webhook)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        assert_eq!(
            request.send().await.expect("an answer").status().as_u16(),
            status
        );
    }

    let placed: serde_json::Value = http
        .post(format!("{}/_sim/calls", graph.base_url))
        .json(&serde_json::json!({ "callbackUri": webhook }))
        .send()
        .await
        .expect("placed")
        .json()
        .await
        .expect("json");
    let id = placed["id"].as_str().expect("an id").to_owned();
    let mut call = serde_json::Value::Null;
    for _ in 0..400 {
        call = http
            .get(format!("{}/_sim/calls/{id}", graph.base_url))
            .send()
            .await
            .expect("shown")
            .json()
            .await
            .expect("json");
        let deleted = call["notifications"].as_array().is_some_and(|n| {
            n.iter()
                .any(|d| d["changeType"] == "deleted" && d["done"] == true)
        });
        if deleted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(call["state"], "terminated", "{call:#}");
    assert_eq!(call["rejectReason"], "forbidden");
    let lines = std::fs::read_to_string(&record).expect("the record");
    let changes: Vec<String> = lines
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).expect("json")["changeType"]
                .as_str()
                .expect("change")
                .to_owned()
        })
        .collect();
    assert_eq!(changes, ["created", "deleted"]);
}

#[cfg(unix)]
#[tokio::test]
async fn on_sigterm_the_binary_handles_and_records_every_acknowledged_notification() {
    use std::collections::BTreeSet;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tests::fixtures::{APP_ID, jwks_file, signing_key, token};
    use tests::http::post;

    const CALLS: usize = 20;
    // A Graph stand-in that takes half a second over each reject, so rejects are still under way
    // when the signal arrives; it counts the rejects it finished answering.
    let rejected = Arc::new(AtomicUsize::new(0));
    let counter = rejected.clone();
    let graph_url = tests::fixtures::serve(axum::Router::new().fallback(move || {
        let counter = counter.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(500)).await;
            counter.fetch_add(1, Ordering::SeqCst);
            axum::http::StatusCode::ACCEPTED
        }
    }))
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = signing_key();
    let jwks = jwks_file(dir.path(), [&key]);
    let record = dir.path().join("calls.jsonl");
    let mut command = Command::new(env!("CARGO_BIN_EXE_example-bot"));
    command
        .args(["--listen", "127.0.0.1:0", "--graph-url", &graph_url])
        .args(["--app-id", APP_ID, "--shutdown-grace", "20"])
        .arg("--jwks")
        .arg(&jwks)
        .arg("--record")
        .arg(&record)
        .env("GRAPH_TOKEN", "demo");
    let (mut running, webhook) = start_reporting_url(command);

    let incoming = tests::HttpExample::load("notifications/incoming.http").json();
    let bearer = format!("Bearer {}", token(&key));
    let deliveries: Vec<_> = (0..CALLS)
        .map(|i| {
            let mut body = incoming.clone();
            body["value"][0]["resourceUrl"] = format!("/communications/calls/call-{i}").into();
            let (webhook, bearer) = (webhook.clone(), bearer.clone());
            tokio::spawn(async move {
                let headers = [
                    ("content-type", "application/json"),
                    ("authorization", bearer.as_str()),
                ];
                post(&webhook, &headers, body.to_string()).await.status
            })
        })
        .collect();
    for delivery in deliveries {
        assert_eq!(delivery.await.expect("delivered"), 202);
    }

    running.terminate();
    let status = running
        .exit_within(Duration::from_secs(40))
        .await
        .expect("the bot exits within its grace period and a margin");
    assert!(status.success(), "a clean shutdown: {status}");
    assert_eq!(
        rejected.load(Ordering::SeqCst),
        CALLS,
        "every acknowledged call was rejected before the bot exited"
    );
    let recorded: BTreeSet<String> = std::fs::read_to_string(&record)
        .expect("the record")
        .lines()
        .map(|line| {
            serde_json::from_str::<serde_json::Value>(line).expect("json")["resourceUrl"]
                .as_str()
                .expect("a resource URL")
                .to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = (0..CALLS)
        .map(|i| format!("/communications/calls/call-{i}"))
        .collect();
    assert_eq!(
        recorded, expected,
        "every acknowledged notification is recorded"
    );
}

#[test]
fn the_binary_refuses_to_start_without_exactly_one_credential() {
    let run = |args: &[&str], secret: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_example-bot"));
        command
            .args(["--listen", "127.0.0.1:0", "--client-id", DEMO_APP_ID])
            .args(args)
            .env_remove("GRAPH_TOKEN")
            .env_remove("AZURE_CLIENT_SECRET");
        if let Some(secret) = secret {
            command.env("AZURE_CLIENT_SECRET", secret);
        }
        let output = command.output().expect("the binary runs");
        assert!(!output.status.success(), "it must not start with {args:?}");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    assert!(run(&[], None).contains("no credential"));
    assert!(run(&["--tenant", "t"], None).contains("AZURE_CLIENT_SECRET"));
    assert!(run(&["--tenant", "t", "--azure-cli"], Some("s")).contains("more than one credential"));
    assert!(run(&["--cloud", "moon", "--token", "x"], None).contains("us-gov-l5-dod"));
}
