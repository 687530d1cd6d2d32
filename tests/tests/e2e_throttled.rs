//! The whole flow while the simulator throttles reject: the example bot, with the client's default
//! retry policy and the call's 15-second window as its deadline, still rejects each call within
//! the window, after `429`s with `Retry-After` in seconds and `503`s with `Retry-After` as a date.

use std::path::Path;
use std::time::Duration;

use example_bot::{BotConfig, GraphCredential, RunningBot};
use mock_graph::{Config, RetryAfterForm, RunningMockGraph, Throttle};
use msgraph_calls::types::RejectReason;
use serde_json::{Value, json};
use tests::fixtures::{APP_ID, GRAPH_TOKEN, listen_local};
use tests::http::{answer, client};
use tests::simulator::{self, delivery, place, wait_for};

async fn bot(graph: &RunningMockGraph, record: &Path) -> RunningBot {
    let (listener, _) = listen_local().await;
    let config = BotConfig {
        graph_url: graph.base_url.clone(),
        app_id: APP_ID.to_owned(),
        jwks: format!("{}/_sim/jwks", graph.base_url),
        reason: RejectReason::Busy,
        callback_uri: None,
        record: Some(record.to_path_buf()),
        credential: GraphCredential::Token(GRAPH_TOKEN.to_owned()),
        cloud: msgraph_calls::Cloud::Global,
        shutdown_grace: example_bot::DEFAULT_SHUTDOWN_GRACE,
        handling_delay: std::time::Duration::ZERO,
    };
    example_bot::serve(config, listener)
        .await
        .expect("the bot starts")
}

fn terminated_and_told(call: &Value) -> bool {
    call["state"] == "terminated" && delivery(call, "deleted").is_some()
}

#[tokio::test]
async fn the_bot_rejects_within_the_window_while_graph_throttles_it() {
    for (status, form) in [(429, RetryAfterForm::Seconds), (503, RetryAfterForm::Date)] {
        let graph = simulator::start(Config {
            throttle: Throttle {
                status,
                count: 2,
                retry_after: Some(1),
                retry_after_form: form,
                ..Throttle::default()
            },
            retry_backoff: Duration::from_millis(50),
            ..Config::default()
        })
        .await;
        let dir = tempfile::tempdir().expect("temp dir");
        let bot = bot(&graph, &dir.path().join("record.jsonl")).await;
        let id = place(&graph, json!({ "callbackUri": bot.webhook_url() })).await;
        let call = wait_for(&graph, &id, terminated_and_told).await;
        assert_eq!(call["rejectReason"], "busy", "{status}");
        let throttle = answer(client().get(format!("{}/_sim/throttle", graph.base_url)))
            .await
            .json;
        assert_eq!(
            throttle["refused"], 2,
            "two refusals, then the reject: {status}"
        );
    }
}
