//! One bot, many tenants: each incoming call is rejected with a token for the tenant its
//! notification token names (`tid`), asked of the bot's token provider; and a bot in a national
//! cloud accepts notification tokens from that cloud's issuers only. Graph is a recording server
//! on 127.0.0.1.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use example_bot::{BotConfig, GraphCredential};
use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::types::RejectReason;
use msgraph_calls::{Cloud, TokenError, TokenRequest};
use tests::HttpExample;
use tests::fixtures::{APP_ID, CALL_ID, jwks_file, listen_local, signing_key};
use tests::http::post;
use tests::recorder::{Recorder, Reply};

#[tokio::test]
async fn each_call_is_rejected_with_a_token_for_its_tenant() {
    let graph = Recorder::start(Reply::empty(202)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = signing_key();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    let provider = move |request: TokenRequest| {
        let tenant = request.tenant_id().unwrap_or("none").to_owned();
        seen.lock().unwrap().push(tenant.clone());
        async move { Ok::<_, TokenError>(format!("token-for-{tenant}")) }
    };
    let config = BotConfig {
        graph_url: graph.base_url.clone(),
        app_id: APP_ID.to_owned(),
        jwks: jwks_file(dir.path(), [&key]).display().to_string(),
        reason: RejectReason::Busy,
        callback_uri: None,
        record: None,
        credential: GraphCredential::Provider(Arc::new(provider)),
        cloud: Cloud::Global,
        shutdown_grace: example_bot::DEFAULT_SHUTDOWN_GRACE,
        handling_delay: std::time::Duration::ZERO,
    };
    let (listener, _) = listen_local().await;
    let bot = example_bot::serve(config, listener)
        .await
        .expect("the bot starts");
    let body = HttpExample::load("notifications/incoming.http")
        .json()
        .to_string();
    for tenant in ["tenant-x", "tenant-y"] {
        let claims = SigningKey::graph_claims(APP_ID, tenant, Duration::from_secs(300));
        let bearer = format!("Bearer {}", key.sign(&claims).expect("sign"));
        let answer = post(
            &bot.webhook_url(),
            &[
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
                // Two deliveries, not one sent again.
                ("x-microsoft-skype-message-id", tenant),
            ],
            body.clone(),
        )
        .await;
        assert_eq!(answer.status, 202);
    }
    // The rejects are sent after the answers; wait for both (bounded, so a failure cannot hang).
    tokio::time::timeout(Duration::from_secs(30), async {
        while graph.requests().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both calls rejected");
    let mut sent: Vec<(String, String)> = graph
        .requests()
        .iter()
        .map(|r| {
            let token = r.headers["authorization"].to_str().unwrap().to_owned();
            (r.uri.path().to_owned(), token)
        })
        .collect();
    sent.sort();
    let path = format!("/communications/calls/{CALL_ID}/microsoft.graph.reject");
    assert_eq!(
        sent,
        [
            (path.clone(), "Bearer token-for-tenant-x".to_owned()),
            (path, "Bearer token-for-tenant-y".to_owned()),
        ]
    );
    let mut asked = asked.lock().unwrap().clone();
    asked.sort();
    assert_eq!(asked, ["tenant-x", "tenant-y"]);
}

#[tokio::test]
async fn a_bot_in_a_national_cloud_accepts_that_clouds_issuers_only() {
    let graph = Recorder::start(Reply::empty(202)).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = signing_key();
    let config = BotConfig {
        graph_url: graph.base_url.clone(),
        app_id: APP_ID.to_owned(),
        jwks: jwks_file(dir.path(), [&key]).display().to_string(),
        reason: RejectReason::Busy,
        callback_uri: None,
        record: None,
        credential: GraphCredential::Token("t".to_owned()),
        cloud: Cloud::UsGovL4,
        shutdown_grace: example_bot::DEFAULT_SHUTDOWN_GRACE,
        handling_delay: std::time::Duration::ZERO,
    };
    let (listener, _) = listen_local().await;
    let bot = example_bot::serve(config, listener)
        .await
        .expect("the bot starts");
    for (issuer, status) in [
        ("https://graph.microsoft.com", 403),
        ("https://api.botframework.com", 403),
        ("https://graph.microsoft.us", 202),
        ("https://api.botframework.us", 202),
    ] {
        let mut claims = SigningKey::graph_claims(APP_ID, "tenant-x", Duration::from_secs(300));
        claims["iss"] = issuer.into();
        let bearer = format!("Bearer {}", key.sign(&claims).expect("sign"));
        let answer = post(
            &bot.webhook_url(),
            &[
                ("content-type", "application/json"),
                ("authorization", bearer.as_str()),
            ],
            r#"{"value": []}"#,
        )
        .await;
        assert_eq!(answer.status, status, "issuer {issuer}");
    }
}
