//! The simulator in-process on 127.0.0.1, with webhooks that misbehave on purpose: the control API
//! and the Graph API refuse bad requests with Graph-style errors and go on serving, http callbacks
//! need the local development flag, failed deliveries are recorded and retried with backoff (5xx,
//! refused connections, timeouts; never a 4xx), and a slow bot never blocks the API.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mock_graph::{Config, MockGraph};
use serde_json::json;
use tests::fixtures::{APP_ID, serve};
use tests::http::{Refusal, assert_refused, post};
use tests::simulator::{delivery, place, show, start, wait_for};

/// A webhook that answers the given statuses in turn, then 202, and counts what it gets.
async fn flaky_webhook(statuses: Vec<u16>, delay: Duration) -> (String, Arc<AtomicUsize>) {
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    let router = axum::Router::new().route(
        "/api/calls",
        axum::routing::post(move || {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let status = statuses.get(n).copied().unwrap_or(202);
            async move {
                tokio::time::sleep(delay).await;
                axum::http::StatusCode::from_u16(status).expect("status")
            }
        }),
    );
    (format!("{}/api/calls", serve(router).await), seen)
}

#[tokio::test]
async fn bad_requests_get_graph_errors_and_the_simulator_goes_on_serving() {
    let graph = start(Config {
        retry_backoff: Duration::from_millis(50),
        ..Config::default()
    })
    .await;
    let json = ("content-type", "application/json");
    let huge = format!(r#"{{"callbackUri": "{}"}}"#, "x".repeat(100 * 1024));
    let sim = &graph.base_url;
    let cases: Vec<Refusal> = vec![
        (format!("{sim}/_sim/calls"), vec![json], "{".into(), 400),
        (
            format!("{sim}/_sim/calls"),
            vec![json],
            r#"{"callbackUri": 5}"#.into(),
            400,
        ),
        (
            format!("{sim}/_sim/calls"),
            vec![json],
            r#"{"callbackUri": "http://bot.contoso.com/api/calls"}"#.into(),
            400,
        ),
        (
            format!("{sim}/_sim/calls"),
            vec![("content-type", "text/plain")],
            "{}".into(),
            415,
        ),
        (format!("{sim}/_sim/calls"), vec![json], huge, 413),
        (format!("{sim}/no/such/path"), vec![json], "{}".into(), 404),
        (
            format!("{sim}/communications/calls/x/reject"),
            vec![json],
            "{}".into(),
            401,
        ),
        (
            format!("{sim}/communications/calls/x/reject"),
            vec![json, ("authorization", "Bearer t")],
            "{".into(),
            400,
        ),
    ];
    assert_refused(cases).await;
    let (webhook, _) = flaky_webhook(vec![], Duration::ZERO).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    assert!(
        show(&graph, &id).await["state"].is_string(),
        "the simulator still serves"
    );
}

#[tokio::test]
async fn failed_deliveries_are_recorded_and_retried_with_backoff() {
    let retrying = Config {
        retry_backoff: Duration::from_millis(20),
        delivery_attempts: 4,
        ..Config::default()
    };

    // 5xx twice, then accepted.
    let graph = start(retrying.clone()).await;
    let (webhook, _) = flaky_webhook(vec![503, 500], Duration::ZERO).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    let call = wait_for(&graph, &id, |c| delivery(c, "created").is_some()).await;
    assert_eq!(
        delivery(&call, "created").expect("created")["attempts"],
        json!([503, 500, 202])
    );

    // A refused connection, every time: bounded.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address")
    };
    let id = place(
        &graph,
        json!({ "callbackUri": format!("http://{closed}/api/calls") }),
    )
    .await;
    let call = wait_for(&graph, &id, |c| delivery(c, "created").is_some()).await;
    let created = delivery(&call, "created").expect("created");
    assert_eq!(created["attempts"], json!([null, null, null, null]));
    assert!(created["error"].as_str().is_some_and(|e| !e.is_empty()));

    // A 4xx is the bot's answer, not a failure to deliver: no retry.
    let (webhook, seen) = flaky_webhook(vec![403], Duration::ZERO).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    let call = wait_for(&graph, &id, |c| delivery(c, "created").is_some()).await;
    assert_eq!(
        delivery(&call, "created").expect("created")["attempts"],
        json!([403])
    );
    assert_eq!(seen.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_slow_bot_never_blocks_the_api_and_timeouts_are_retried() {
    let config = Config {
        delivery_timeout: Duration::from_secs(1),
        delivery_attempts: 2,
        retry_backoff: Duration::from_millis(10),
        ..Config::default()
    };
    let graph = start(config).await;
    let (webhook, _) = flaky_webhook(vec![], Duration::from_secs(4)).await;
    let id = place(&graph, json!({ "callbackUri": webhook })).await;
    let pending = show(&graph, &id).await;
    assert_eq!(
        pending["notifications"][0]["done"], false,
        "the call was placed while its delivery was still under way"
    );
    let call = wait_for(&graph, &id, |c| delivery(c, "created").is_some()).await;
    assert_eq!(
        delivery(&call, "created").expect("created")["attempts"],
        json!([null, null]),
        "both attempts timed out"
    );
}

#[tokio::test]
async fn http_callbacks_need_the_local_development_flag() {
    let strict = MockGraph::start_local(Config {
        app_id: APP_ID.to_owned(),
        ..Config::default()
    })
    .await
    .expect("starts");
    let answer = post(
        &format!("{}/_sim/calls", strict.base_url),
        &[("content-type", "application/json")],
        json!({ "callbackUri": "http://127.0.0.1:9/api/calls" }).to_string(),
    )
    .await;
    answer.assert_graph_error(400, "BadRequest");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .expect("message")
            .contains("--allow-http-callbacks")
    );
}
