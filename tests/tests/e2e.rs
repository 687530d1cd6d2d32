//! The whole reject flow over real HTTP on 127.0.0.1: the simulator places calls and signs
//! notifications, the example bot (a downstream user of the generated crate) receives them and
//! rejects through the generated client, and both records agree.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use example_bot::{BotConfig, GraphCredential, RunningBot};
use mock_graph::{Config, RunningMockGraph};
use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::runtime::receiver::Delivery;
use msgraph_calls::types::{CommsNotification, RejectReason, RejectRequestBody};
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use msgraph_calls::{AttemptError, Client};
use serde_json::{Value, json};
use tests::HttpExample;
use tests::fixtures::{APP_ID, GRAPH_TOKEN, jwks_file, listen_local, serve};
use tests::http::post;
use tests::resources::same_but_enum_case;
use tests::simulator::{self, delivery, place, show, wait_for};
use tokio::sync::mpsc;

async fn graph(ring_timeout: Duration) -> RunningMockGraph {
    simulator::start(Config {
        ring_timeout,
        retry_backoff: Duration::from_millis(50),
        ..Config::default()
    })
    .await
}

/// Starts the example bot against `graph`; with `callback`, it sends a per-call callback URL of its
/// own with every reject.
async fn bot(
    graph: &RunningMockGraph,
    reason: RejectReason,
    callback: bool,
    record: &Path,
    jwks: Option<String>,
) -> RunningBot {
    let (listener, base_url) = listen_local().await;
    let config = BotConfig {
        graph_url: graph.base_url.clone(),
        app_id: APP_ID.to_owned(),
        jwks: jwks.unwrap_or_else(|| format!("{}/_sim/jwks", graph.base_url)),
        reason,
        callback_uri: callback.then(|| format!("{base_url}/api/calls/callback")),
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

fn records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each record line is JSON"))
        .collect()
}

/// A documented-style incoming call: the documented caller and target.
fn documented_call(webhook: &str) -> Value {
    let incoming = HttpExample::load("notifications/incoming.http").json();
    let call = &incoming["value"][0]["resourceData"];
    json!({
        "callbackUri": webhook,
        "source": call["source"],
        "targets": call["targets"],
        "requestedModalities": call["requestedModalities"],
    })
}

#[tokio::test]
async fn every_reason_rejects_the_call_and_the_bot_is_told() {
    for (reason, wire) in [
        (RejectReason::Busy, "busy"),
        (RejectReason::None, "none"),
        (RejectReason::Forbidden, "forbidden"),
    ] {
        let graph = graph(Duration::from_secs(15)).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let record = dir.path().join("record.jsonl");
        let bot = bot(&graph, reason, false, &record, None).await;
        let id = place(&graph, documented_call(&bot.webhook_url())).await;
        let call = wait_for(&graph, &id, terminated_and_told).await;
        assert_eq!(call["rejectReason"], wire);
        let created = delivery(&call, "created").expect("created delivered");
        let deleted = delivery(&call, "deleted").expect("deleted delivered");
        assert_eq!(
            (created["status"].as_u64(), deleted["status"].as_u64()),
            (Some(202), Some(202))
        );
        assert_eq!(
            deleted["url"],
            bot.webhook_url(),
            "without a callbackUri, deleted goes to the webhook"
        );
        let lines = records(&record);
        assert_eq!(
            lines,
            [
                created["payload"]["value"][0].clone(),
                deleted["payload"]["value"][0].clone()
            ],
            "{wire}"
        );
        assert_eq!(
            lines[0]["resourceData"]["source"],
            documented_call("")["source"]
        );
        let again = client(&graph)
            .reject(&id, &RejectRequestBody::default())
            .await
            .expect_err("already rejected");
        assert_eq!(
            again.status().map(|s| s.as_u16()),
            Some(404),
            "a rejected call is gone"
        );
    }
}

#[tokio::test]
async fn a_per_call_callback_uri_receives_the_deleted_notification() {
    let graph = graph(Duration::from_secs(15)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, true, &record, None).await;
    let id = place(&graph, documented_call(&bot.webhook_url())).await;
    let call = wait_for(&graph, &id, terminated_and_told).await;
    assert_eq!(
        delivery(&call, "created").expect("created")["url"],
        bot.webhook_url()
    );
    let deleted = delivery(&call, "deleted").expect("deleted");
    assert_eq!(
        deleted["url"],
        format!("{}/api/calls/callback", bot.base_url)
    );
    assert_eq!(deleted["status"], 202);
    assert_eq!(records(&record).len(), 2);
}

#[tokio::test]
async fn a_group_call_invite_flows_and_is_recorded_whole() {
    let graph = graph(Duration::from_secs(15)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, false, &record, None).await;
    let invite: Value = serde_json::from_str(&tests::read(
        "tests/fixtures/traffic/group-call-invite.json",
    ))
    .expect("json");
    let group_call = &invite["value"][0]["resourceData"];
    let mut body = documented_call(&bot.webhook_url());
    body["chatInfo"] = group_call["chatInfo"].clone();
    body["meetingInfo"] = group_call["meetingInfo"].clone();
    let id = place(&graph, body).await;
    let call = wait_for(&graph, &id, terminated_and_told).await;
    let sent = &delivery(&call, "created").expect("created")["payload"]["value"][0];
    assert_eq!(sent["resourceData"]["chatInfo"], group_call["chatInfo"]);
    assert_eq!(
        sent["resourceData"]["meetingInfo"], group_call["meetingInfo"],
        "unknown properties of the invite are sent on"
    );
    assert_eq!(
        &records(&record)[0],
        sent,
        "the bot recorded exactly what was sent"
    );
}

/// A bot that never rejects: it only reports what it receives.
struct Passive(mpsc::UnboundedSender<(String, CommsNotification)>);

impl CommsNotificationsHandler for Passive {
    async fn created(&self, _delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("created".to_owned(), notification));
    }

    async fn deleted(&self, _delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("deleted".to_owned(), notification));
    }
}

async fn passive_bot(
    graph: &RunningMockGraph,
) -> (String, mpsc::UnboundedReceiver<(String, CommsNotification)>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let keys = KeySource::Url(format!("{}/_sim/jwks", graph.base_url));
    let receiver = CommsNotificationsReceiver::new(
        Passive(tx),
        InboundAuth::jwt(JwtSettings::new(APP_ID, keys)),
    );
    let base = serve(receiver.into_router()).await;
    (format!("{base}/api/calls"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<(String, CommsNotification)>) -> String {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a notification in time")
        .expect("open")
        .0
}

fn client(graph: &RunningMockGraph) -> Client {
    Client::builder()
        .base_url(&graph.base_url)
        .bearer_token(GRAPH_TOKEN)
        .build()
}

#[tokio::test]
async fn an_unanswered_call_times_out_and_a_late_reject_is_not_found() {
    let graph = graph(Duration::from_millis(700)).await;
    let (webhook, mut rx) = passive_bot(&graph).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    assert_eq!(next(&mut rx).await, "created");
    assert_eq!(
        next(&mut rx).await,
        "deleted",
        "the bot is told the call rang out"
    );
    let call = show(&graph, &id).await;
    assert_eq!(call["state"], "terminated");
    assert_eq!(call["rejectReason"], Value::Null);
    let body = RejectRequestBody {
        reason: Some(RejectReason::Busy),
        ..Default::default()
    };
    let err = client(&graph)
        .reject(&id, &body)
        .await
        .expect_err("too late");
    let Some(AttemptError::ErrorResponse(response)) = err.into_last() else {
        panic!("a typed error")
    };
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(
        (
            response.error.code.as_str(),
            response.error.message.as_str()
        ),
        ("8522", "Call not found")
    );
}

#[tokio::test]
async fn an_answered_call_cannot_be_rejected_and_an_unknown_one_is_not_found() {
    let graph = graph(Duration::from_secs(15)).await;
    let (webhook, mut rx) = passive_bot(&graph).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    assert_eq!(next(&mut rx).await, "created");
    let answered = post(
        &format!("{}/_sim/calls/{id}/answer", graph.base_url),
        &[],
        "",
    )
    .await;
    assert_eq!(answered.status, 200, "{:#}", answered.json);

    let client = client(&graph);
    let body = RejectRequestBody {
        reason: Some(RejectReason::Busy),
        ..Default::default()
    };
    let err = client
        .reject(&id, &body)
        .await
        .expect_err("answered calls are not rejected");
    let status = err.status().map(|s| s.as_u16()).expect("a status");
    assert!((400..500).contains(&status), "{err:?}");
    assert!(
        matches!(err.last(), Some(AttemptError::ErrorResponse(_))),
        "a typed ODataError"
    );
    assert_eq!(
        show(&graph, &id).await["state"],
        "established",
        "the call goes on"
    );

    let unknown = client
        .reject("no-such-call", &body)
        .await
        .expect_err("unknown");
    assert_eq!(unknown.status().map(|s| s.as_u16()), Some(404));
    let again = client.reject(&id, &body).await.expect_err("still answered");
    assert_eq!(again.status().map(|s| s.as_u16()), Some(status));
}

#[tokio::test]
async fn a_bot_that_trusts_other_keys_never_handles_the_simulators_notifications() {
    let graph = graph(Duration::from_secs(15)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    // Other keys under the simulator's own key id: only the signature tells them apart.
    let published =
        tests::http::answer(tests::http::client().get(format!("{}/_sim/jwks", graph.base_url)))
            .await
            .json;
    let kid = published["keys"][0]["kid"]
        .as_str()
        .expect("the simulator's kid");
    let other = SigningKey::generate(kid).expect("key");
    let jwks = jwks_file(dir.path(), [&other]);
    let bot = bot(
        &graph,
        RejectReason::Busy,
        false,
        &record,
        Some(jwks.display().to_string()),
    )
    .await;
    let id = place(&graph, documented_call(&bot.webhook_url())).await;
    let call = wait_for(&graph, &id, |c| delivery(c, "created").is_some()).await;
    let status = delivery(&call, "created").expect("created")["status"]
        .as_u64()
        .expect("answered");
    assert!(status == 401 || status == 403, "{call:#}");
    assert_eq!(
        call["state"], "incoming",
        "the bot never saw the call, so never rejected it"
    );
    assert!(records(&record).is_empty(), "the handler was never called");
}

/// Places `count` incoming calls for `webhook` at once; each task gives a call's id.
fn place_burst(
    graph: &RunningMockGraph,
    webhook: &str,
    count: usize,
) -> tokio::task::JoinSet<String> {
    let mut placing = tokio::task::JoinSet::new();
    for _ in 0..count {
        let (base, webhook) = (graph.base_url.clone(), webhook.to_owned());
        placing.spawn(async move {
            let answer = post(
                &format!("{base}/_sim/calls"),
                &[("content-type", "application/json")],
                json!({ "callbackUri": webhook }).to_string(),
            )
            .await;
            answer.json["id"].as_str().expect("an id").to_owned()
        });
    }
    placing
}

#[tokio::test]
async fn two_hundred_concurrent_calls_are_all_rejected_and_both_records_agree() {
    let graph = graph(Duration::from_secs(30)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, false, &record, None).await;
    let ids: BTreeSet<String> = place_burst(&graph, &bot.webhook_url(), 200)
        .join_all()
        .await
        .into_iter()
        .collect();
    assert_eq!(ids.len(), 200);
    for id in &ids {
        let call = wait_for(&graph, id, terminated_and_told).await;
        assert_eq!(call["rejectReason"], "busy");
        assert_eq!(
            call["notifications"].as_array().map(Vec::len),
            Some(2),
            "one created, one deleted: {call:#}"
        );
    }
    let lines = records(&record);
    assert_eq!(lines.len(), 400, "nothing lost, nothing duplicated");
    for change in ["created", "deleted"] {
        let seen: Vec<String> = lines
            .iter()
            .filter(|l| l["changeType"] == change)
            .map(|l| {
                l["resourceUrl"]
                    .as_str()
                    .expect("url")
                    .rsplit('/')
                    .next()
                    .expect("id")
                    .to_owned()
            })
            .collect();
        assert_eq!(seen.len(), 200, "{change}");
        assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), ids, "{change}");
    }
}

/// Every notification the deliveries of `call` carried, once per delivery: a delivery sent twice
/// under one message id counts once.
fn notifications_sent(call: &Value) -> Vec<Value> {
    let mut seen = BTreeSet::new();
    call["notifications"]
        .as_array()
        .expect("deliveries")
        .iter()
        .filter(|d| seen.insert(d["messageId"].to_string()))
        .flat_map(|d| {
            d["payload"]["value"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn a_mixed_stream_with_faults_is_recorded_losslessly_and_nothing_is_refused() {
    let graph = simulator::start(Config {
        retry_backoff: Duration::from_millis(50),
        faults: mock_graph::Faults {
            duplicate_every: 2,
            reorder_every: 3,
            hold: Duration::from_millis(200),
            ..mock_graph::Faults::default()
        },
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, false, &record, None).await;
    let id = place(&graph, documented_call(&bot.webhook_url())).await;
    wait_for(&graph, &id, terminated_and_told).await;

    let roster = json!({ "count": 3, "displayName": "Zoë Łukasz 李" });
    let operation = json!({ "type": "playPromptOperation", "clientContext": "prompt-1" });
    let unknown = json!({ "value": [{
        "changeType": "updated",
        "resourceUrl": format!("/communications/calls/{id}/widgets/1"),
        "resourceData": { "@odata.type": "#microsoft.graph.widget", "size": 3 }
    }]});
    let misshapen = json!({ "value": [
        { "changeType": 7, "resourceUrl": format!("/communications/calls/{id}") },
        { "changeType": "updated", "resourceUrl": format!("/communications/calls/{id}"),
          "resourceData": { "targets": [null] } }
    ]});
    for (what, body) in [
        ("participants", roster),
        ("operations", operation),
        ("notifications", unknown),
        ("notifications", misshapen),
    ] {
        let answer = simulator::trigger(&graph, &id, what, body).await;
        assert_eq!(answer.status, 202, "{what}: {:#}", answer.json);
    }
    let call = wait_for(&graph, &id, |call| {
        let deliveries = call["notifications"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        deliveries.len() >= 6 && deliveries.iter().all(|d| d["done"] == true)
    })
    .await;
    for delivery in call["notifications"].as_array().expect("deliveries") {
        assert_eq!(
            delivery["status"], 202,
            "nothing authenticated is refused: {delivery:#}"
        );
    }

    let sent = notifications_sent(&call);
    // The bot records what its handler saw; give the last handlers a moment to write.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut recorded = loop {
        let recorded = records(&record);
        if recorded.len() >= sent.len() || tokio::time::Instant::now() > deadline {
            break recorded;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    // The same notifications, whatever the order (faults reorder deliveries): each sent one is
    // recorded, once, equal to what was sent (enum members in their canonical spelling).
    for notification in &sent {
        let found = recorded
            .iter()
            .position(|r| same_but_enum_case(r, notification));
        let index = found.unwrap_or_else(|| panic!("not recorded as sent: {notification:#}"));
        recorded.swap_remove(index);
    }
    assert!(
        recorded.is_empty(),
        "recorded but never sent once: {recorded:#?}"
    );
}

#[tokio::test]
async fn a_shutdown_during_a_burst_of_500_calls_loses_no_acknowledged_notification() {
    const CALLS: usize = 500;
    let graph = simulator::start(Config {
        ring_timeout: Duration::from_secs(60),
        delivery_attempts: 1,
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, false, &record, None).await;
    let placing = place_burst(&graph, &bot.webhook_url(), CALLS);
    // Shut the bot down while the deliveries of the burst are arriving: once it has handled some.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while records(&record).len() < 50 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let ended = bot.shutdown().await.expect("the bot shuts down");
    assert!(
        matches!(ended, msgraph_calls::runtime::serve::Shutdown::Complete),
        "{ended:?}"
    );
    let ids: Vec<String> = placing.join_all().await;
    assert_eq!(ids.len(), CALLS);

    // Every notification the bot answered 202 was handled: it is in the record.
    let recorded: BTreeSet<(String, String)> = records(&record)
        .iter()
        .map(|n| (n["changeType"].to_string(), n["resourceUrl"].to_string()))
        .collect();
    let mut acknowledged = 0;
    for id in &ids {
        let call = wait_for(&graph, id, |call| {
            call["notifications"]
                .as_array()
                .is_some_and(|ds| !ds.is_empty() && ds.iter().all(|d| d["done"] == true))
        })
        .await;
        for delivery in call["notifications"].as_array().expect("deliveries") {
            if delivery["status"] == 202 {
                acknowledged += 1;
                let notification = &delivery["payload"]["value"][0];
                let key = (
                    notification["changeType"].to_string(),
                    notification["resourceUrl"].to_string(),
                );
                assert!(
                    recorded.contains(&key),
                    "acknowledged, never handled: {delivery:#}"
                );
            }
        }
    }
    assert!(
        acknowledged > 0,
        "the bot acknowledged some notifications before it stopped"
    );
}

#[tokio::test]
async fn a_legacy_first_notification_is_answered_204_and_the_call_rejected_after_the_resend() {
    let graph = simulator::start(Config {
        legacy_first_notification: true,
        retry_backoff: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let dir = tempfile::tempdir().expect("temp dir");
    let record = dir.path().join("record.jsonl");
    let bot = bot(&graph, RejectReason::Busy, false, &record, None).await;
    let id = place(&graph, documented_call(&bot.webhook_url())).await;
    let call = wait_for(&graph, &id, terminated_and_told).await;
    assert_eq!(call["rejectReason"], "busy");
    let first = &call["notifications"][0];
    assert_eq!(first["protocol"], "legacy", "{call:#}");
    assert_eq!(
        first["status"], 204,
        "the legacy notification gets 204: {call:#}"
    );
    let created: Vec<Value> = records(&record)
        .into_iter()
        .filter(|n| n["changeType"] == "created")
        .collect();
    assert_eq!(
        created.len(),
        1,
        "the handler saw the call once, in the Graph protocol"
    );
}
