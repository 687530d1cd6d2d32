//! The example bot in-process on 127.0.0.1: deliveries without a valid token, with a malformed or
//! huge body, or to an unknown path get Graph-style errors, and the bot goes on serving.

use example_bot::{BotConfig, GraphCredential};
use mock_graph::Config;
use msgraph_calls::types::RejectReason;
use tests::fixtures::{self, APP_ID, GRAPH_TOKEN, jwks_file, listen_local, signing_key};
use tests::http::{Refusal, assert_refused, post};
use tests::simulator;

#[tokio::test]
async fn bad_deliveries_get_graph_errors_and_the_bot_goes_on_serving() {
    let graph = simulator::start(Config::default()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = signing_key();
    let jwks = jwks_file(dir.path(), [&key]);
    let config = BotConfig {
        graph_url: graph.base_url.clone(),
        app_id: APP_ID.to_owned(),
        jwks: jwks.display().to_string(),
        reason: RejectReason::Busy,
        callback_uri: None,
        record: Some(dir.path().join("r.jsonl")),
        credential: GraphCredential::Token(GRAPH_TOKEN.to_owned()),
        cloud: msgraph_calls::Cloud::Global,
        shutdown_grace: example_bot::DEFAULT_SHUTDOWN_GRACE,
        handling_delay: std::time::Duration::ZERO,
    };
    let (listener, _) = listen_local().await;
    let bot = example_bot::serve(config, listener)
        .await
        .expect("the bot starts");
    let token = fixtures::token(&key);
    let bearer = format!("Bearer {token}");
    let json = ("content-type", "application/json");
    // Over the receiver's 4 MiB, and little enough over it that the bot reads it all and the
    // answer is read.
    let huge = format!(
        r#"{{"callbackUri": "{}"}}"#,
        "x".repeat(4 * 1024 * 1024 + 1024)
    );
    let cases: Vec<Refusal> = vec![
        (bot.webhook_url(), vec![json], "{}".into(), 401),
        (
            bot.webhook_url(),
            vec![json, ("authorization", "Bearer not.a.jwt")],
            "{}".into(),
            401,
        ),
        (
            bot.webhook_url(),
            vec![json, ("authorization", bearer.as_str())],
            "{".into(),
            400,
        ),
        (
            bot.webhook_url(),
            vec![json, ("authorization", bearer.as_str())],
            huge,
            413,
        ),
        (
            format!("{}/no/such/path", bot.base_url),
            vec![json],
            "{}".into(),
            404,
        ),
    ];
    assert_refused(cases).await;
    let ok = post(
        &bot.webhook_url(),
        &[json, ("authorization", bearer.as_str())],
        r#"{"value": []}"#,
    )
    .await;
    assert_eq!(ok.status, 202, "the bot still serves");
}
