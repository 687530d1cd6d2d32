//! The simulator throttles reject as Graph does under pressure, and the generated client copes:
//! `429` or `503` with `Retry-After` in seconds or as a date, for the next N requests (set at start
//! or through `PUT /_sim/throttle`), each refusal echoing the caller's `client-request-id` with a
//! `request-id` of its own; bad settings are refused.

use std::time::Duration;

use mock_graph::{Config, RetryAfterForm, Throttle};
use msgraph_calls::types::RejectRequestBody;
use msgraph_calls::{Client, RetryPolicy};
use serde_json::json;
use tests::fixtures::GRAPH_TOKEN;
use tests::http::{answer, client as http};
use tests::simulator::{place, show, start};

const WEBHOOK: &str = "http://127.0.0.1:9/api/calls";

fn client(base_url: &str, retries: u32) -> Client {
    Client::builder()
        .base_url(base_url)
        .bearer_token(GRAPH_TOKEN)
        .retry_policy(
            RetryPolicy::default()
                .max_retries(retries)
                .initial_delay(Duration::from_millis(10)),
        )
        .build()
}

async fn throttle_setting(base_url: &str) -> serde_json::Value {
    answer(http().get(format!("{base_url}/_sim/throttle")))
        .await
        .json
}

#[tokio::test]
async fn reject_is_throttled_at_start_and_the_client_retries() {
    let graph = start(Config {
        throttle: Throttle {
            status: 429,
            count: 1,
            retry_after: Some(1),
            ..Throttle::default()
        },
        ..Config::default()
    })
    .await;
    let id = place(&graph, json!({ "callbackUri": WEBHOOK })).await;
    client(&graph.base_url, 3)
        .reject(&id, &RejectRequestBody::default())
        .await
        .expect("rejected on the second attempt");
    assert_eq!(show(&graph, &id).await["state"], "terminated");
    let setting = throttle_setting(&graph.base_url).await;
    assert_eq!(
        (setting["refused"].clone(), setting["count"].clone()),
        (json!(1), json!(0))
    );
}

#[tokio::test]
async fn throttling_set_through_the_control_api_gives_up_with_the_ids() {
    let graph = start(Config::default()).await;
    let id = place(&graph, json!({ "callbackUri": WEBHOOK })).await;
    let set = Throttle {
        status: 503,
        count: 3,
        retry_after: Some(0),
        retry_after_form: RetryAfterForm::Date,
        ..Throttle::default()
    };
    let answer = put(&graph.base_url, serde_json::to_string(&set).unwrap()).await;
    assert_eq!(answer.status, 200, "{:#}", answer.json);

    let err = client(&graph.base_url, 2)
        .with_client_request_id("bot-chosen-id")
        .reject(&id, &RejectRequestBody::default())
        .await
        .expect_err("503 three times");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.client_request_id(), Some("bot-chosen-id"));
    assert!(err.request_id().is_some_and(|id| !id.is_empty()), "{err}");
    assert_eq!(show(&graph, &id).await["state"], "incoming", "not rejected");
    let setting = throttle_setting(&graph.base_url).await;
    assert_eq!(
        (setting["refused"].clone(), setting["count"].clone()),
        (json!(3), json!(0))
    );

    client(&graph.base_url, 0)
        .reject(&id, &RejectRequestBody::default())
        .await
        .expect("no longer throttled");
    assert_eq!(show(&graph, &id).await["state"], "terminated");
}

#[tokio::test]
async fn bad_throttle_settings_are_refused() {
    let graph = start(Config::default()).await;
    for body in [
        r#"{"status": 500}"#,
        r#"{"fraction": 2}"#,
        r#"{"count": -1}"#,
        r#"{"unknown": 1}"#,
    ] {
        let answer = put(&graph.base_url, body.to_owned()).await;
        assert_eq!(answer.status, 400, "{body}: {:#}", answer.json);
    }
    assert!(
        mock_graph::MockGraph::new(Config {
            throttle: Throttle {
                status: 404,
                ..Throttle::default()
            },
            ..Config::default()
        })
        .is_err()
    );
}

async fn put(base_url: &str, body: String) -> tests::http::Answer {
    answer(
        http()
            .put(format!("{base_url}/_sim/throttle"))
            .header("content-type", "application/json")
            .body(body),
    )
    .await
}

#[tokio::test]
async fn a_fraction_of_one_refuses_every_reject_and_zero_none() {
    let graph = start(Config::default()).await;
    let id = place(&graph, json!({ "callbackUri": WEBHOOK })).await;
    let every = r#"{"status": 429, "fraction": 1, "retryAfter": null}"#;
    assert_eq!(put(&graph.base_url, every.to_owned()).await.status, 200);
    for _ in 0..3 {
        let err = client(&graph.base_url, 0)
            .reject(&id, &RejectRequestBody::default())
            .await
            .expect_err("throttled");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    }
    assert_eq!(throttle_setting(&graph.base_url).await["refused"], 3);
    assert_eq!(
        put(&graph.base_url, r#"{"fraction": 0}"#.to_owned())
            .await
            .status,
        200
    );
    client(&graph.base_url, 0)
        .reject(&id, &RejectRequestBody::default())
        .await
        .expect("no longer throttled");
}
