//! The faults the simulator injects, as a stand-in webhook on 127.0.0.1 receives them: duplicate
//! deliveries under one message id, a delivery held back until after the call's next one (or until
//! its hold runs out), and delayed deliveries; and the bounds on the waits.

mod support;

use std::time::Duration;

use mock_graph::{Config, Faults, MockGraph, RunningMockGraph};
use serde_json::json;
use support::{StandIn, settled};
use tests::simulator::{place, start, trigger};

async fn graph(faults: Faults) -> RunningMockGraph {
    start(Config {
        faults,
        ..Config::default()
    })
    .await
}

/// The kinds of notification the stand-in received, in order: `call`, `participants`, `operation`.
fn kinds(webhook: &StandIn) -> Vec<&'static str> {
    webhook
        .received()
        .iter()
        .map(|r| match r.notification()["resourceUrl"].as_str() {
            Some(url) if url.ends_with("/participants") => "participants",
            Some(url) if url.contains("/operations/") => "operation",
            _ => "call",
        })
        .collect()
}

#[tokio::test]
async fn every_nth_delivery_is_sent_twice_under_one_message_id() {
    let graph = graph(Faults {
        duplicate_every: 2,
        ..Faults::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    webhook.wait_for(1).await;
    let roster = trigger(&graph, &id, "participants", json!({})).await;
    let operation = trigger(
        &graph,
        &id,
        "operations",
        json!({ "type": "commsOperation" }),
    )
    .await;
    let received = webhook.wait_for(4).await;
    assert_eq!(
        kinds(&webhook),
        ["call", "participants", "participants", "operation"]
    );
    assert_eq!(received[1].message_id(), roster.json["messageId"]);
    assert_eq!(received[2].message_id(), roster.json["messageId"]);
    assert_eq!(received[1].body, received[2].body);
    assert_eq!(received[3].message_id(), operation.json["messageId"]);
    assert_ne!(received[0].message_id(), received[1].message_id());

    let records = settled(&graph, &id, 4).await;
    let faults: Vec<_> = records.iter().map(|r| r["faults"].clone()).collect();
    assert_eq!(
        faults,
        [json!([]), json!([]), json!(["duplicate"]), json!([])]
    );
    assert_eq!(records[1]["messageId"], records[2]["messageId"]);
}

#[tokio::test]
async fn a_held_back_delivery_goes_after_the_calls_next_one() {
    let graph = graph(Faults {
        reorder_every: 2,
        hold: Duration::from_secs(30),
        ..Faults::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    webhook.wait_for(1).await;
    let roster = trigger(&graph, &id, "participants", json!({})).await;
    let operation = trigger(
        &graph,
        &id,
        "operations",
        json!({ "type": "commsOperation" }),
    )
    .await;
    let received = webhook.wait_for(3).await;
    assert_eq!(kinds(&webhook), ["call", "operation", "participants"]);
    assert_eq!(received[1].message_id(), operation.json["messageId"]);
    assert_eq!(received[2].message_id(), roster.json["messageId"]);
    let records = settled(&graph, &id, 3).await;
    assert_eq!(records[1]["faults"], json!(["heldBack"]));
    assert_eq!(records[2]["faults"], json!([]));
}

#[tokio::test]
async fn a_held_back_delivery_goes_alone_when_its_hold_runs_out() {
    let graph = graph(Faults {
        reorder_every: 1,
        hold: Duration::from_millis(100),
        ..Faults::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    let records = settled(&graph, &id, 1).await;
    assert_eq!(records[0]["faults"], json!(["heldBack"]));
    assert_eq!(records[0]["status"], 202);
    assert_eq!(webhook.received().len(), 1);
}

#[tokio::test]
async fn delayed_deliveries_arrive_in_order_and_waits_are_bounded() {
    let graph = graph(Faults {
        delay: Duration::from_millis(20),
        jitter: Duration::from_millis(50),
        ..Faults::default()
    })
    .await;
    let webhook = StandIn::start(Vec::new()).await;
    let id = place(&graph, json!({ "callbackUri": webhook.url })).await;
    for _ in 0..3 {
        trigger(&graph, &id, "participants", json!({})).await;
    }
    webhook.wait_for(4).await;
    assert_eq!(
        kinds(&webhook),
        ["call", "participants", "participants", "participants"]
    );
    let records = settled(&graph, &id, 4).await;
    assert!(records.iter().all(|r| r["faults"] == json!(["delayed"])));

    for faults in [
        Faults {
            delay: Duration::from_secs(61),
            ..Faults::default()
        },
        Faults {
            hold: Duration::from_secs(3600),
            ..Faults::default()
        },
    ] {
        let refused = MockGraph::new(Config {
            faults,
            ..Config::default()
        });
        assert!(refused.is_err());
    }
}
