//! What the simulator sends a bot, as a stand-in webhook on 127.0.0.1 receives it: the headers of
//! real deliveries, one message id per delivery through its retries, redirects followed only to
//! allowed targets; and terminated calls freed after their retention period.

mod support;

use std::time::Duration;

use mock_graph::{Config, RunningMockGraph};
use serde_json::{Value, json};
use support::{Reply, StandIn};
use tests::fixtures::GRAPH_TOKEN;
use tests::http::{answer, client, post};
use tests::simulator::{place, start, wait_for};

/// A simulator that retries quickly.
async fn graph() -> RunningMockGraph {
    start(Config {
        retry_backoff: Duration::from_millis(20),
        ..Config::default()
    })
    .await
}

/// Rejects the call `id` as a bot does.
async fn reject(graph: &RunningMockGraph, id: &str) {
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
async fn settled(graph: &RunningMockGraph, id: &str, count: usize) -> Vec<Value> {
    let call = wait_for(graph, id, |c| {
        c["notifications"]
            .as_array()
            .is_some_and(|n| n.len() == count && n.iter().all(|d| d["done"] == true))
    })
    .await;
    call["notifications"].as_array().expect("records").clone()
}

#[tokio::test]
async fn a_delivery_keeps_its_message_id_through_retries_and_carries_graphs_headers() {
    let graph = graph().await;
    let webhook = StandIn::start(vec![Reply::Status(503), Reply::Status(500)]).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    webhook.wait_for(3).await;
    reject(&graph, &id).await;
    let received = webhook.wait_for(4).await;
    let records = settled(&graph, &id, 2).await;

    let created = &received[..3];
    let deleted = &received[3];
    assert_eq!(records[0]["attempts"], json!([503, 500, 202]));
    for attempt in created {
        assert_eq!(
            attempt.message_id(),
            records[0]["messageId"],
            "one id per delivery"
        );
        assert_eq!(attempt.notification()["changeType"], "created");
    }
    assert_eq!(deleted.message_id(), records[1]["messageId"]);
    assert_eq!(deleted.notification()["changeType"], "deleted");
    assert_ne!(
        created[0].message_id(),
        deleted.message_id(),
        "another delivery, another id"
    );
    for request in &received {
        assert_eq!(
            request.header("user-agent"),
            "Microsoft-Skype/3.0,(Calling/1.0)"
        );
        assert_eq!(request.header("x-microsoft-skype-chain-id"), id);
        assert_eq!(
            request.header("scenario-id"),
            received[0].header("scenario-id")
        );
        assert!(request.header("authorization").starts_with("Bearer "));
        assert_eq!(request.header("content-type"), "application/json");
        assert!(!request.message_id().is_empty());
    }
    assert!(!received[0].header("scenario-id").is_empty());
}

#[tokio::test]
async fn redirects_are_followed_only_to_targets_a_callback_may_have() {
    let graph = graph().await;

    // http on a host that is not loopback: refused by the rule, before anything is sent there.
    let refusing = StandIn::start(vec![Reply::Redirect(
        307,
        "http://example.invalid/x".to_owned(),
    )])
    .await;
    let id = place(&graph, json!({ "callbackUri": refusing.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(
        records[0]["attempts"],
        json!([null]),
        "refused, not retried"
    );
    assert_eq!(records[0]["refusedRedirect"], "http://example.invalid/x");
    assert!(
        records[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("refused")),
        "{:#}",
        records[0]
    );
    assert_eq!(refusing.received().len(), 1);

    // Loopback with http allowed: followed, the POST repeated with its body and message id.
    let moving = StandIn::start(Vec::new()).await;
    let elsewhere = format!("{}/api/calls/elsewhere", moving.base_url);
    let redirecting = StandIn::start(vec![Reply::Redirect(307, elsewhere.clone())]).await;
    let id = place(&graph, json!({ "callbackUri": redirecting.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(records[0]["attempts"], json!([202]));
    assert_eq!(records[0]["redirectedTo"], elsewhere);
    let moved = &moving.received()[0];
    assert_eq!(moved.method, "POST");
    assert_eq!(moved.path, "/api/calls/elsewhere");
    assert_eq!(moved.message_id(), records[0]["messageId"]);
    assert_eq!(moved.body, records[0]["payload"]);

    // A redirect loop: a few hops, then refused.
    let looping = StandIn::start(vec![Reply::Redirect(308, "/api/calls".to_owned()); 8]).await;
    let id = place(&graph, json!({ "callbackUri": looping.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(records[0]["attempts"], json!([null]));
    assert!(
        records[0]["refusedRedirect"].is_string(),
        "{:#}",
        records[0]
    );
    assert_eq!(
        looping.received().len(),
        4,
        "the request and three redirects"
    );
}

#[tokio::test]
async fn terminated_calls_are_freed_after_the_retention_period() {
    let graph = start(Config {
        retention: Duration::from_millis(100),
        ..Config::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let mut ids = Vec::new();
    for _ in 0..20 {
        let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
        reject(&graph, &id).await;
        ids.push(id);
    }
    let answered = place(&graph, json!({ "callbackUri": webhook.url })).await;
    let established = post(
        &format!("{}/_sim/calls/{answered}/answer", graph.base_url),
        &[],
        "",
    )
    .await;
    assert_eq!(established.status, 200);

    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while graph.graph.calls_held() > 1 {
        assert!(tokio::time::Instant::now() < deadline, "calls never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        webhook.received().len(),
        41,
        "every notification went out first"
    );
    for id in &ids {
        answer(client().get(format!("{}/_sim/calls/{id}", graph.base_url)))
            .await
            .assert_graph_error(404, "8522");
    }
    let kept = answer(client().get(format!("{}/_sim/calls/{answered}", graph.base_url))).await;
    assert_eq!(
        kept.json["state"], "established",
        "a call that goes on is kept"
    );
}
