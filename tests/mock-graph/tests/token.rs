//! Tokens: `GET /_sim/token` hands out a notification token that a bot trusting the simulator's
//! keys accepts, for the configured bot and tenant; with an access token configured, reject requires
//! exactly that one.

use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
use mock_graph::{Config, DEFAULT_APP_ID, DEFAULT_TENANT_ID};
use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use serde_json::json;
use tests::http::{answer, client as http};
use tests::simulator::{place, show, start};

#[tokio::test]
async fn a_handed_out_token_passes_the_validation_of_a_bot_trusting_the_simulator() {
    let graph = start(Config::default()).await;
    let handed_out = answer(http().get(format!("{}/_sim/token", graph.base_url))).await;
    assert_eq!(handed_out.status, 200, "{:#}", handed_out.json);
    assert_eq!(handed_out.json["expiresIn"], 3600);
    let token = handed_out.json["token"].as_str().expect("a token");

    let jwks = KeySource::Url(format!("{}/_sim/jwks", graph.base_url));
    let mut headers = HeaderMap::new();
    headers.insert(
        AUTHORIZATION,
        HeaderValue::from_str(&format!("Bearer {token}")).expect("a header value"),
    );
    let claims = InboundAuth::jwt(JwtSettings::new(DEFAULT_APP_ID, jwks.clone()))
        .check(&headers)
        .await
        .expect("the bot accepts the token")
        .expect("with claims");
    assert_eq!(claims.tenant_id, DEFAULT_TENANT_ID);

    let refused = InboundAuth::jwt(JwtSettings::new("another-bot", jwks))
        .check(&headers)
        .await
        .expect_err("a token for another bot is refused");
    assert_eq!(refused.status.as_u16(), 403, "{:#}", refused.body());
}

#[tokio::test]
async fn with_an_access_token_configured_reject_refuses_any_other() {
    let graph = start(Config {
        access_token: Some("the-token".to_owned()),
        ..Config::default()
    })
    .await;
    let id = place(
        &graph,
        json!({ "callbackUri": "http://127.0.0.1:9/api/calls" }),
    )
    .await;
    let url = format!(
        "{}/communications/calls/{id}/microsoft.graph.reject",
        graph.base_url
    );
    for token in ["another-token", "the-token-", "THE-TOKEN"] {
        let refused = answer(http().post(&url).bearer_auth(token).json(&json!({}))).await;
        refused.assert_graph_error(401, "InvalidAuthenticationToken");
    }
    assert_eq!(show(&graph, &id).await["state"], "incoming");
    let accepted = answer(http().post(&url).bearer_auth("the-token").json(&json!({}))).await;
    assert_eq!(accepted.status, 202, "{:#}", accepted.json);
    assert_eq!(show(&graph, &id).await["state"], "terminated");
}
