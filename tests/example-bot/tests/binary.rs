//! The `example-bot` binary as the README runs it, against an in-process simulator: it rejects an
//! incoming call, records what it received, and refuses bad deliveries without going down.

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
