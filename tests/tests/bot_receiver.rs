//! The generated bot-side receiver on 127.0.0.1: documented notifications reach the handler typed
//! and whole, real-traffic variants (rosters, operations, resources of no known kind) reach it
//! typed and lose nothing, and no bad token or bad payload ever reaches the handler. Keys are
//! generated here; nothing leaves 127.0.0.1.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::runtime::receiver::{Delivery, DeliveryRoute};
use msgraph_calls::types::{CommsNotification, CommsNotificationResourceData, CommsNotifications};
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use tests::HttpExample;
use tests::fixtures::{
    self, APP_ID, KEY_ID, ROTATED_KEY_ID, UNKNOWN_KEY_ID, jwks_file, listen_local, serve, serve_on,
    signing_key,
};
use tests::http::{Answer, post};
use tests::resources::{TRAFFIC, assert_written_back, kind, same_but_enum_case};
use tokio::sync::mpsc;

/// What the handler saw: the method called, the route, and the notification.
type Seen = (&'static str, DeliveryRoute, CommsNotification);

struct Forwarding(mpsc::UnboundedSender<Seen>);

impl CommsNotificationsHandler for Forwarding {
    async fn created(&self, delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("created", delivery.route, notification));
    }

    async fn updated(&self, delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("updated", delivery.route, notification));
    }

    async fn deleted(&self, delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("deleted", delivery.route, notification));
    }

    async fn other_change(&self, delivery: &Delivery, notification: CommsNotification) {
        let _ = self.0.send(("other", delivery.route, notification));
    }

    /// Seen as a notification that holds only `raw` (what came) and `problem`.
    async fn unreadable_notification(
        &self,
        delivery: &Delivery,
        notification: serde_json::Value,
        problem: String,
    ) {
        let mut seen = CommsNotification::default();
        seen.additional_properties
            .insert("raw".to_owned(), notification);
        seen.additional_properties
            .insert("problem".to_owned(), problem.into());
        let _ = self.0.send(("unreadable", delivery.route, seen));
    }
}

struct Bot {
    url: String,
    key: SigningKey,
    seen: mpsc::UnboundedReceiver<Seen>,
    _keys_dir: tempfile::TempDir,
}

impl Bot {
    /// A bot whose JWKS file holds one freshly generated key.
    async fn start() -> Self {
        let key = signing_key();
        let dir = tempfile::tempdir().expect("temp dir");
        let jwks = jwks_file(dir.path(), [&key]);
        let auth = InboundAuth::jwt(JwtSettings::new(APP_ID, KeySource::File(jwks)));
        let (tx, seen) = mpsc::unbounded_channel();
        let receiver = CommsNotificationsReceiver::new(Forwarding(tx), auth)
            .webhook_path("/api/calls")
            .callback_path("/api/calls/callback");
        let url = serve(receiver.into_router()).await;
        Self {
            url,
            key,
            seen,
            _keys_dir: dir,
        }
    }

    fn token(&self) -> String {
        fixtures::token(&self.key)
    }

    async fn deliver(&self, path: &str, token: Option<&str>, body: &str) -> Answer {
        self.deliver_as(path, token, "application/json", body).await
    }

    async fn deliver_as(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> Answer {
        let bearer = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", content_type)];
        if let Some(bearer) = &bearer {
            headers.push(("authorization", bearer.as_str()));
        }
        post(&format!("{}{path}", self.url), &headers, body.to_owned()).await
    }

    async fn next(&mut self) -> Seen {
        tokio::time::timeout(Duration::from_secs(5), self.seen.recv())
            .await
            .expect("the handler is called within 5 s")
            .expect("the handler channel is open")
    }

    /// The next `count` notifications the handler saw, in the order it saw them.
    async fn next_n(&mut self, count: usize) -> Vec<Seen> {
        let mut seen = Vec::with_capacity(count);
        for _ in 0..count {
            seen.push(self.next().await);
        }
        seen
    }

    /// Asserts the handler saw nothing more.
    async fn nothing_more(&mut self) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(self.seen.try_recv().is_err(), "the handler was called");
    }
}

#[tokio::test]
async fn documented_notifications_reach_the_handler_typed_and_whole() {
    let mut bot = Bot::start().await;
    for (example, method, path, route) in [
        (
            "notifications/incoming.http",
            "created",
            "/api/calls",
            DeliveryRoute::Webhook,
        ),
        (
            "notifications/deleted.http",
            "deleted",
            "/api/calls/callback",
            DeliveryRoute::Callback,
        ),
    ] {
        let documented = HttpExample::load(example);
        let answer = bot
            .deliver(
                path,
                Some(&bot.token()),
                documented.body.as_deref().expect("body"),
            )
            .await;
        assert_eq!(answer.status, 202, "{:#}", answer.json);
        let (called, seen_route, notification) = bot.next().await;
        assert_eq!((called, seen_route), (method, route));
        assert!(notification.resource_data.is_some(), "the call is typed");
        let expected = &documented.json()["value"][0];
        assert_eq!(
            &serde_json::to_value(&notification).expect("serializes"),
            expected
        );
    }
    bot.nothing_more().await;
}

#[tokio::test]
async fn extra_properties_and_unknown_members_are_accepted_and_kept() {
    let mut bot = Bot::start().await;
    let text = tests::read("tests/fixtures/traffic/future-members.json");
    let answer = bot.deliver("/api/calls", Some(&bot.token()), &text).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let (called, _, notification) = bot.next().await;
    assert_eq!(
        called, "other",
        "an unknown change type goes to other_change"
    );
    let original: serde_json::Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        serde_json::to_value(&notification).expect("serializes"),
        original["value"][0]
    );
    let payload: CommsNotifications = serde_json::from_str(&text).expect("parses");
    assert_eq!(
        serde_json::to_value(&payload).expect("serializes"),
        original,
        "the envelope keeps its extras too"
    );
}

#[tokio::test]
async fn rosters_operations_and_unknown_resources_reach_the_handler_typed_and_whole() {
    let mut bot = Bot::start().await;
    for (fixture, kinds) in TRAFFIC {
        let text = tests::read(&format!("tests/fixtures/traffic/{fixture}"));
        let sent: serde_json::Value = serde_json::from_str(&text).expect("json");
        let answer = bot.deliver("/api/calls", Some(&bot.token()), &text).await;
        assert_eq!(answer.status, 202, "{fixture}: {:#}", answer.json);
        // A delivery's notifications of one call come in order; those without a call in any
        // order: each is found by what it holds.
        let mut seen = bot.next_n(kinds.len()).await;
        for (index, expected) in kinds.iter().enumerate() {
            let item = &sent["value"][index];
            let method = item["changeType"]
                .as_str()
                .filter(|change| ["created", "updated", "deleted"].contains(change))
                .unwrap_or("other");
            let what = format!("{fixture}, notification {index}");
            let found = seen.iter().position(|(_, _, n)| {
                serde_json::to_value(n).is_ok_and(|written| same_but_enum_case(&written, item))
            });
            let (called, _, notification) =
                seen.swap_remove(found.unwrap_or_else(|| panic!("{what}: not handed over")));
            assert_eq!(called, method, "{what}");
            assert_eq!(
                notification.resource_data.as_ref().map(kind),
                *expected,
                "{what}"
            );
            let written = serde_json::to_value(&notification).expect("serializes");
            assert_written_back(&written, item, &what);
        }
    }
    bot.nothing_more().await;
}

#[tokio::test]
async fn bodies_that_are_not_json_get_400_and_never_reach_the_handler() {
    let mut bot = Bot::start().await;
    let token = bot.token();
    let text = bot
        .deliver_as("/api/calls", Some(&token), "text/plain", "{}")
        .await;
    text.assert_graph_error(415, "UnsupportedMediaType");
    for body in [r#"{"value": "#, "not json", ""] {
        let answer = bot.deliver("/api/calls", Some(&token), body).await;
        answer.assert_graph_error(400, "BadRequest");
    }
    let unknown = bot.deliver("/somewhere/else", Some(&token), "{}").await;
    unknown.assert_graph_error(404, "UnknownRoute");
    bot.nothing_more().await;
}

#[tokio::test]
async fn json_of_another_shape_is_accepted_and_handed_over_as_it_came() {
    let mut bot = Bot::start().await;
    let token = bot.token();
    // The whole body does not fit: it is handed over whole.
    for body in ["[]", r#"{"value": {"a": 1}}"#, "7"] {
        let answer = bot.deliver("/api/calls", Some(&token), body).await;
        assert_eq!(answer.status, 202, "{body}: {:#}", answer.json);
        let (called, _, seen) = bot.next().await;
        assert_eq!(called, "unreadable", "{body}");
        let sent: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(seen.additional_properties["raw"], sent, "{body}");
        assert!(seen.additional_properties["problem"].is_string());
    }
    // One notification that does not fit costs the others nothing. A call
    // whose `targets` hold a `null` does not fit; the same object, where nothing says it is a
    // call, is a resource of no kind, kept as it came.
    let mixed = r#"{"value": [
        {"changeType": 7},
        {"changeType": "created", "resourceData": {"state": "incoming"}},
        null,
        {"changeType": "deleted", "resourceUrl": "/communications/calls/c1", "resourceData": {"targets": [null]}},
        {"changeType": "updated", "resourceData": {"targets": [null]}}
    ]}"#;
    let answer = bot.deliver("/api/calls", Some(&token), mixed).await;
    assert_eq!(answer.status, 202, "{:#}", answer.json);
    let sent: serde_json::Value = serde_json::from_str(mixed).expect("json");
    // Notifications without a call run on their own, in any order: each is found by what it holds.
    let mut seen = bot.next_n(5).await;
    let mut take = |called: &str, sent: &serde_json::Value| -> CommsNotification {
        let found = seen.iter().position(|(c, _, n)| {
            *c == called
                && (n.additional_properties.get("raw") == Some(sent)
                    || serde_json::to_value(n).ok().as_ref() == Some(sent))
        });
        let index = found.unwrap_or_else(|| panic!("no {called} notification holds {sent:#}"));
        seen.swap_remove(index).2
    };
    take("unreadable", &sent["value"][0]);
    take("created", &sent["value"][1]);
    take("unreadable", &sent["value"][2]);
    take("unreadable", &sent["value"][3]);
    let updated = take("updated", &sent["value"][4]);
    assert_eq!(
        updated.resource_data,
        Some(CommsNotificationResourceData::Unknown(
            sent["value"][4]["resourceData"].clone()
        ))
    );
    bot.nothing_more().await;
}

fn encode_json(value: &serde_json::Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// A token signed with HMAC-SHA256, using `secret` as the key.
fn hs256_token(claims: &serde_json::Value, kid: &str, secret: &[u8]) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .expect("sign")
}

#[tokio::test]
async fn bad_tokens_are_refused_and_never_reach_the_handler() {
    let mut bot = Bot::start().await;
    let valid = fixtures::claims();
    let with = |change: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        let mut claims = valid.as_object().expect("object").clone();
        change(&mut claims);
        serde_json::Value::Object(claims)
    };
    // The bot's own key, signing the valid claims as `change` edits them.
    let signed = |change: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>)| {
        Some(bot.key.sign(&with(change)).expect("sign"))
    };
    let now = valid["iat"].as_u64().expect("iat");
    let other_key = SigningKey::generate(UNKNOWN_KEY_ID).expect("key");
    // An impostor that names the bot's trusted key id, and a genuine token with edited claims.
    let impostor = SigningKey::generate(bot.key.kid()).expect("key");
    let tampered = {
        let genuine = bot.key.sign(&valid).expect("sign");
        let parts: Vec<&str> = genuine.split('.').collect();
        let edited = encode_json(&with(&|c| {
            c.insert("tid".into(), "another-tenant".into());
        }));
        format!("{}.{edited}.{}", parts[0], parts[2])
    };
    let public_key_text = bot.key.jwk().to_string();
    let cases: Vec<(&str, Option<String>, u16)> = vec![
        ("no token", None, 401),
        ("malformed", Some("not-a-jwt".to_owned()), 401),
        (
            "expired",
            signed(&|c| {
                c.insert("exp".into(), (now - 3600).into());
            }),
            401,
        ),
        (
            "not yet valid",
            signed(&|c| {
                c.insert("nbf".into(), (now + 3600).into());
            }),
            401,
        ),
        (
            "wrong audience",
            signed(&|c| {
                c.insert("aud".into(), "another-bot".into());
            }),
            403,
        ),
        (
            "wrong issuer",
            signed(&|c| {
                c.insert("iss".into(), "https://evil.example".into());
            }),
            403,
        ),
        (
            "no tid",
            signed(&|c| {
                c.remove("tid");
            }),
            403,
        ),
        (
            "unknown key",
            Some(other_key.sign(&valid).expect("sign")),
            401,
        ),
        (
            "known kid, other key",
            Some(impostor.sign(&valid).expect("sign")),
            401,
        ),
        ("tampered claims", Some(tampered), 401),
        (
            "alg none",
            Some(format!(
                "{}.{}.",
                encode_json(&serde_json::json!({"alg": "none", "typ": "JWT", "kid": KEY_ID})),
                encode_json(&valid)
            )),
            401,
        ),
        (
            "HS256 with the public key",
            Some(hs256_token(&valid, KEY_ID, public_key_text.as_bytes())),
            401,
        ),
    ];
    let body = HttpExample::load("notifications/incoming.http")
        .body
        .expect("body");
    for (name, token, status) in cases {
        let answer = bot.deliver("/api/calls", token.as_deref(), &body).await;
        assert_eq!(answer.status, status, "{name}: {:#}", answer.json);
        let code = if status == 401 {
            "InvalidAuthenticationToken"
        } else {
            "Forbidden"
        };
        answer.assert_graph_error(status, code);
    }
    bot.nothing_more().await;
    let answer = bot.deliver("/api/calls", Some(&bot.token()), &body).await;
    assert_eq!(
        answer.status, 202,
        "a valid token after all the refusals: {:#}",
        answer.json
    );
    assert_eq!(bot.next().await.0, "created");
}

#[tokio::test]
async fn keys_from_a_url_are_cached_and_an_unknown_kid_refreshes_once() {
    let first = signing_key();
    let second = SigningKey::generate(ROTATED_KEY_ID).expect("key");
    let published = Arc::new(Mutex::new(SigningKey::jwks([&first])));
    let fetches = Arc::new(AtomicUsize::new(0));
    let jwks_router = {
        let published = published.clone();
        let fetches = fetches.clone();
        axum::Router::new().route(
            "/keys",
            axum::routing::get(move || {
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = published.lock().expect("lock").clone();
                async move { axum::Json(body) }
            }),
        )
    };
    let keys_url = format!("{}/keys", serve(jwks_router).await);
    let settings = JwtSettings::new(APP_ID, KeySource::parse(&keys_url))
        .with_unknown_kid_refresh_gap(Duration::ZERO);
    let (tx, mut seen) = mpsc::unbounded_channel();
    let bot_url = serve(
        CommsNotificationsReceiver::new(Forwarding(tx), InboundAuth::jwt(settings)).into_router(),
    )
    .await;
    let body = HttpExample::load("notifications/incoming.http")
        .body
        .expect("body");
    let claims = fixtures::claims();
    // Each delivery has a message id of its own: the same body is not a delivery sent again.
    let sent = AtomicUsize::new(0);
    let deliver = |token: String| {
        let url = format!("{bot_url}/api/calls");
        let body = body.clone();
        let message_id = format!("message-{}", sent.fetch_add(1, Ordering::SeqCst));
        async move {
            let bearer = format!("Bearer {token}");
            post(
                &url,
                &[
                    ("content-type", "application/json"),
                    ("authorization", &bearer),
                    ("x-microsoft-skype-message-id", &message_id),
                ],
                body,
            )
            .await
            .status
        }
    };

    assert_eq!(deliver(first.sign(&claims).expect("sign")).await, 202);
    assert_eq!(deliver(first.sign(&claims).expect("sign")).await, 202);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        1,
        "known keys come from the cache"
    );

    *published.lock().expect("lock") = SigningKey::jwks([&first, &second]);
    assert_eq!(
        deliver(second.sign(&claims).expect("sign")).await,
        202,
        "a rotated-in key is found"
    );
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        2,
        "the unknown kid caused exactly one refresh"
    );

    let stranger = SigningKey::generate(UNKNOWN_KEY_ID).expect("key");
    assert_eq!(deliver(stranger.sign(&claims).expect("sign")).await, 401);
    assert_eq!(
        fetches.load(Ordering::SeqCst),
        3,
        "one refresh, then refused"
    );
    for _ in 0..3 {
        assert!(seen.recv().await.is_some());
    }
}

/// Posts the documented notification `example` (such as `deleted`) to the webhook at `url`,
/// without a token.
async fn post_unsigned(url: &str, example: &str) -> tests::http::Answer {
    let body = HttpExample::load(&format!("notifications/{example}.http"))
        .body
        .expect("body");
    post(
        &format!("{url}/api/calls"),
        &[("content-type", "application/json")],
        body,
    )
    .await
}

#[tokio::test]
async fn disabled_authentication_accepts_unsigned_deliveries() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let auth = InboundAuth::insecure_disabled_for_local_development_only();
    let url = serve(CommsNotificationsReceiver::new(Forwarding(tx), auth).into_router()).await;
    let answer = post_unsigned(&url, "deleted").await;
    assert_eq!(answer.status, 202);
    assert_eq!(seen.recv().await.expect("called").0, "deleted");
}

/// A handler that takes its time: the sender is answered before it finishes.
struct Slow(mpsc::UnboundedSender<Seen>);

impl CommsNotificationsHandler for Slow {
    async fn created(&self, delivery: &Delivery, notification: CommsNotification) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let _ = self.0.send(("created", delivery.route, notification));
    }
}

#[tokio::test]
async fn a_slow_handler_never_holds_the_request_open() {
    let (tx, mut seen) = mpsc::unbounded_channel();
    let auth = InboundAuth::insecure_disabled_for_local_development_only();
    let url = serve(CommsNotificationsReceiver::new(Slow(tx), auth).into_router()).await;
    let answer = post_unsigned(&url, "incoming").await;
    assert_eq!(answer.status, 202);
    assert!(
        seen.try_recv().is_err(),
        "answered while the handler was still running"
    );
    assert_eq!(seen.recv().await.expect("handler finishes").0, "created");
}

#[tokio::test]
async fn the_issuers_are_graphs_by_default_and_configurable() {
    let key = signing_key();
    let mut claims = fixtures::claims();
    claims["iss"] = "https://api.botframework.com".into();
    let token = key.sign(&claims).expect("sign");
    let jwks = || KeySource::Jwks(SigningKey::jwks([&key]).to_string());
    for (settings, status) in [
        (JwtSettings::new(APP_ID, jwks()), 202),
        (
            JwtSettings::new(APP_ID, jwks()).with_issuers(["https://graph.microsoft.com"]),
            403,
        ),
    ] {
        assert_eq!(
            deliver_with(settings, std::slice::from_ref(&token)).await,
            [status],
            "{claims}"
        );
    }
}

/// A key endpoint that publishes an OpenID configuration naming its JWKS, can be made to fail, and
/// counts the JWKS fetches.
struct KeyEndpoint {
    openid_url: String,
    fetches: Arc<AtomicUsize>,
    failing: Arc<std::sync::atomic::AtomicBool>,
}

async fn key_endpoint(keys: serde_json::Value) -> KeyEndpoint {
    let fetches = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (listener, base) = listen_local().await;
    let openid = serde_json::json!({ "issuer": "https://graph.microsoft.com", "jwks_uri": format!("{base}/keys") });
    let (counter, broken) = (fetches.clone(), failing.clone());
    let router = axum::Router::new()
        .route(
            "/openid",
            axum::routing::get(move || async move { axum::Json(openid) }),
        )
        .route(
            "/keys",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let status = if broken.load(Ordering::SeqCst) {
                    500
                } else {
                    200
                };
                let keys = keys.clone();
                async move {
                    (
                        axum::http::StatusCode::from_u16(status).expect("status"),
                        axum::Json(keys),
                    )
                }
            }),
        );
    serve_on(listener, router);
    KeyEndpoint {
        openid_url: format!("{base}/openid"),
        fetches,
        failing,
    }
}

/// Serves a receiver with `settings` and delivers one notification per token, in order.
async fn deliver_with(settings: JwtSettings, tokens: &[String]) -> Vec<u16> {
    answers_with(settings, tokens)
        .await
        .iter()
        .map(|a| a.status)
        .collect()
}

/// Like [`deliver_with`], with the whole answers.
async fn answers_with(settings: JwtSettings, tokens: &[String]) -> Vec<Answer> {
    let (tx, _seen) = mpsc::unbounded_channel();
    let url = serve(
        CommsNotificationsReceiver::new(Forwarding(tx), InboundAuth::jwt(settings)).into_router(),
    )
    .await;
    let mut answers = Vec::new();
    for token in tokens {
        answers.push(post_deleted(&url, token).await);
    }
    answers
}

/// Posts the documented `deleted` notification to the webhook at `url` with `token`.
async fn post_deleted(url: &str, token: &str) -> Answer {
    let body = HttpExample::load("notifications/deleted.http")
        .body
        .expect("body");
    let bearer = format!("Bearer {token}");
    let headers = [
        ("content-type", "application/json"),
        ("authorization", bearer.as_str()),
    ];
    post(&format!("{url}/api/calls"), &headers, body).await
}

#[tokio::test]
async fn keys_come_through_an_openid_configuration_and_unknown_kids_cannot_force_refreshes() {
    let key = signing_key();
    let endpoint = key_endpoint(SigningKey::jwks([&key])).await;
    let claims = fixtures::claims();
    let mut tokens = vec![key.sign(&claims).expect("sign")];
    for i in 0..5 {
        tokens.push(
            SigningKey::generate(format!("random-{i}"))
                .expect("key")
                .sign(&claims)
                .expect("sign"),
        );
    }
    let statuses = deliver_with(
        JwtSettings::new(APP_ID, KeySource::parse(&endpoint.openid_url)),
        &tokens,
    )
    .await;
    assert_eq!(statuses, [202, 401, 401, 401, 401, 401]);
    assert_eq!(
        endpoint.fetches.load(Ordering::SeqCst),
        1,
        "within the default gap, unknown kids cause no fetch"
    );
}

#[tokio::test]
async fn a_failing_key_endpoint_falls_back_to_known_keys_and_is_not_hammered() {
    let key = signing_key();
    let token = fixtures::token(&key);

    // Known keys outlive a failed refresh: every request finds the keys stale here.
    let endpoint = key_endpoint(SigningKey::jwks([&key])).await;
    let settings = JwtSettings::new(APP_ID, KeySource::parse(&endpoint.openid_url))
        .with_refresh_interval(Duration::ZERO)
        .with_unknown_kid_refresh_gap(Duration::ZERO);
    let (tx, _seen) = mpsc::unbounded_channel();
    let url = serve(
        CommsNotificationsReceiver::new(Forwarding(tx), InboundAuth::jwt(settings)).into_router(),
    )
    .await;
    assert_eq!(post_deleted(&url, &token).await.status, 202);
    endpoint.failing.store(true, Ordering::SeqCst);
    assert_eq!(
        post_deleted(&url, &token).await.status,
        202,
        "the known key still works"
    );
    assert_eq!(
        endpoint.fetches.load(Ordering::SeqCst),
        2,
        "the stale keys were refreshed, and that failed"
    );

    // With no keys at all, a failing endpoint is tried once per gap, not once per request.
    let broken = key_endpoint(SigningKey::jwks([&key])).await;
    broken.failing.store(true, Ordering::SeqCst);
    let statuses = deliver_with(
        JwtSettings::new(APP_ID, KeySource::parse(&broken.openid_url)),
        &vec![token; 4],
    )
    .await;
    assert_eq!(statuses, [503, 503, 503, 503]);
    assert_eq!(broken.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn keys_are_never_fetched_over_plain_http_from_other_hosts() {
    let key = signing_key();
    let token = fixtures::token(&key);
    let settings = JwtSettings::new(APP_ID, KeySource::parse("http://keys.example.invalid/jwks"));
    let answer = answers_with(settings, &[token]).await.remove(0);
    answer.assert_graph_error(503, "SigningKeysUnavailable");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .expect("message")
            .contains("must be https")
    );
}

#[tokio::test]
async fn critical_header_parameters_and_blank_tenants_are_refused() {
    let key = signing_key();
    let jwks = KeySource::Jwks(SigningKey::jwks([&key]).to_string());
    let claims = fixtures::claims();
    let mut blank_tenant = claims.clone();
    blank_tenant["tid"] = " \t ".into();
    let tokens = [
        key.sign_with_header(
            &serde_json::json!({ "crit": ["x-extension"], "x-extension": true }),
            &claims,
        )
        .expect("sign"),
        key.sign(&blank_tenant).expect("sign"),
        key.sign_with_header(&serde_json::json!({ "x-note": "not critical" }), &claims)
            .expect("sign"),
    ];
    let answers = answers_with(JwtSettings::new(APP_ID, jwks), &tokens).await;
    answers[0].assert_graph_error(401, "InvalidAuthenticationToken");
    assert!(
        answers[0].json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("crit")),
        "{:#}",
        answers[0].json
    );
    answers[1].assert_graph_error(403, "Forbidden");
    assert_eq!(
        answers[2].status, 202,
        "a header parameter that is not critical is ignored: {:#}",
        answers[2].json
    );
}

#[tokio::test]
async fn clocks_may_be_five_minutes_apart_by_default() {
    let key = signing_key();
    let jwks = || KeySource::Jwks(SigningKey::jwks([&key]).to_string());
    let now = fixtures::claims()["iat"].as_u64().expect("iat");
    let token = |exp: u64, nbf: u64| {
        let mut claims = fixtures::claims();
        claims["exp"] = exp.into();
        claims["nbf"] = nbf.into();
        key.sign(&claims).expect("sign")
    };
    let tokens = [
        token(now - 4 * 60, now - 3600),
        token(now + 3600, now + 4 * 60),
        token(now - 6 * 60, now - 3600),
        token(now + 3600, now + 6 * 60),
    ];
    assert_eq!(
        deliver_with(JwtSettings::new(APP_ID, jwks()), &tokens).await,
        [202, 202, 401, 401],
        "expired 4 minutes ago, valid in 4 minutes, expired 6 minutes ago, valid in 6 minutes"
    );
    let strict = JwtSettings::new(APP_ID, jwks()).with_leeway(Duration::from_secs(60));
    assert_eq!(
        deliver_with(strict, &tokens[..2]).await,
        [401, 401],
        "the skew is configurable"
    );
}

#[tokio::test]
async fn key_urls_that_redirect_are_refused_without_following_them() {
    let key = signing_key();
    let followed = Arc::new(AtomicUsize::new(0));
    let (listener, base) = listen_local().await;
    let other = format!("{base}/other");
    let counter = followed.clone();
    let jwks = SigningKey::jwks([&key]);
    let router = axum::Router::new()
        .route(
            "/keys",
            axum::routing::get(move || async move {
                (
                    axum::http::StatusCode::FOUND,
                    [(axum::http::header::LOCATION, other)],
                )
            }),
        )
        .route(
            "/other",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { axum::Json(jwks) }
            }),
        );
    serve_on(listener, router);
    let keys_url = format!("{base}/keys");
    let token = fixtures::token(&key);

    let answer = answers_with(
        JwtSettings::new(APP_ID, KeySource::parse(&keys_url)),
        std::slice::from_ref(&token),
    )
    .await
    .remove(0);
    answer.assert_graph_error(503, "SigningKeysUnavailable");
    let message = answer.json["error"]["message"].as_str().expect("message");
    assert!(message.contains("redirect"), "{message}");
    assert_eq!(followed.load(Ordering::SeqCst), 0, "never followed");

    // A client of the bot's own that follows redirects still gets no keys from elsewhere.
    let following = JwtSettings::new(APP_ID, KeySource::parse(&keys_url))
        .with_http_client(tests::http::client());
    let answer = answers_with(following, &[token]).await.remove(0);
    answer.assert_graph_error(503, "SigningKeysUnavailable");
    assert!(
        answer.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("was redirected")),
        "{:#}",
        answer.json
    );
}

/// A JWKS document of `keys` padded with an unknown property to 2 MiB, still a valid key set.
fn padded_jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> serde_json::Value {
    let mut document = SigningKey::jwks(keys);
    document["padding"] = "x".repeat(2 * 1024 * 1024).into();
    document
}

#[tokio::test]
async fn key_documents_over_one_mebibyte_are_refused_and_known_keys_kept() {
    let first = signing_key();
    let second = SigningKey::generate(ROTATED_KEY_ID).expect("key");
    let small = SigningKey::jwks([&first]);
    let huge = padded_jwks([&first, &second]);
    let serve_huge = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let switch = serve_huge.clone();
    let keys_url = format!(
        "{}/keys",
        serve(axum::Router::new().route(
            "/keys",
            axum::routing::get(move || {
                let document = if switch.load(Ordering::SeqCst) {
                    huge.clone()
                } else {
                    small.clone()
                };
                async move { axum::Json(document) }
            }),
        ))
        .await
    );
    let settings = JwtSettings::new(APP_ID, KeySource::parse(&keys_url))
        .with_refresh_interval(Duration::ZERO)
        .with_unknown_kid_refresh_gap(Duration::ZERO);
    let (tx, _seen) = mpsc::unbounded_channel();
    let url = serve(
        CommsNotificationsReceiver::new(Forwarding(tx), InboundAuth::jwt(settings)).into_router(),
    )
    .await;
    let claims = fixtures::claims();
    let (old, new) = (
        first.sign(&claims).expect("sign"),
        second.sign(&claims).expect("sign"),
    );

    let refused = post_deleted(&url, &old).await;
    refused.assert_graph_error(503, "SigningKeysUnavailable");
    let message = refused.json["error"]["message"].as_str().expect("message");
    assert!(message.contains("larger than 1024 KiB"), "{message}");

    serve_huge.store(false, Ordering::SeqCst);
    assert_eq!(post_deleted(&url, &old).await.status, 202);
    serve_huge.store(true, Ordering::SeqCst);
    assert_eq!(
        post_deleted(&url, &new).await.status,
        401,
        "a key only an oversized document names is not learned"
    );
    assert_eq!(
        post_deleted(&url, &old).await.status,
        202,
        "the known key outlives the refused refresh"
    );
}

#[tokio::test]
async fn an_endless_key_document_is_read_only_up_to_the_limit() {
    // A raw HTTP server that answers with a chunked body that never ends, and counts what it wrote
    // until the client hung up.
    let (listener, base) = listen_local().await;
    let writer = tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let (mut stream, _) = listener.accept().await.expect("a connection");
        let mut request = [0u8; 4096];
        let _ = stream.read(&mut request).await;
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        stream.write_all(head.as_bytes()).await.expect("head");
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        let mut written = 0usize;
        while stream.write_all(chunk.as_bytes()).await.is_ok() {
            written += 0x10000;
        }
        written
    });
    let key = signing_key();
    let answer = answers_with(
        JwtSettings::new(APP_ID, KeySource::parse(&format!("{base}/keys"))),
        &[fixtures::token(&key)],
    )
    .await
    .remove(0);
    answer.assert_graph_error(503, "SigningKeysUnavailable");
    let message = answer.json["error"]["message"].as_str().expect("message");
    assert!(message.contains("larger than 1024 KiB"), "{message}");
    let written = tokio::time::timeout(Duration::from_secs(10), writer)
        .await
        .expect("the client hung up")
        .expect("the server task");
    assert!(
        written < 32 * 1024 * 1024,
        "the client stopped reading near the limit; the server wrote {written} bytes"
    );
}

/// Each refusal names its reason, as `jsonwebtoken::decode` and the receiver's own checks word it:
/// the receiver checks tokens itself from the key set's parsed keys, and says what it said before.
#[tokio::test]
async fn each_refused_token_says_why() {
    let key = signing_key();
    let jwks = KeySource::Jwks(SigningKey::jwks([&key]).to_string());
    let valid = fixtures::claims();
    let now = valid["iat"].as_u64().expect("iat");
    let signed = |change: &dyn Fn(&mut serde_json::Value)| {
        let mut claims = valid.clone();
        change(&mut claims);
        key.sign(&claims).expect("sign")
    };
    let genuine = key.sign(&valid).expect("sign");
    let (message, _) = genuine.rsplit_once('.').expect("a signed token");
    let (header, _) = message.split_once('.').expect("a header");
    let other_claims = encode_json(&serde_json::json!({ "tid": "another-tenant" }));
    let cases: Vec<(&str, String, u16, &str)> = vec![
        (
            "no exp",
            signed(&|c| {
                c.as_object_mut().map(|c| c.remove("exp"));
            }),
            401,
            "the token has no `exp` claim",
        ),
        (
            "exp as text",
            signed(&|c| c["exp"] = "tomorrow".into()),
            401,
            "the token has no `exp` claim",
        ),
        (
            "negative exp",
            signed(&|c| c["exp"] = (-1).into()),
            401,
            "the token has no `exp` claim",
        ),
        (
            "exp as a fraction",
            signed(&|c| c["exp"] = (now as f64 + 3600.5).into()),
            202,
            "",
        ),
        (
            "iss as a number",
            signed(&|c| c["iss"] = 7.into()),
            401,
            "the token has no `iss` claim",
        ),
        (
            "no aud",
            signed(&|c| {
                c.as_object_mut().map(|c| c.remove("aud"));
            }),
            401,
            "the token has no `aud` claim",
        ),
        (
            "aud among others",
            signed(&|c| c["aud"] = serde_json::json!(["another-bot", APP_ID])),
            202,
            "",
        ),
        (
            "nbf as text",
            signed(&|c| c["nbf"] = "now".into()),
            401,
            "the token is not valid: Invalid format for claim: nbf",
        ),
        (
            "expired",
            signed(&|c| c["exp"] = (now - 3600).into()),
            401,
            "the token has expired",
        ),
        (
            "not valid yet",
            signed(&|c| c["nbf"] = (now + 3600).into()),
            401,
            "the token is not valid yet (`nbf`)",
        ),
        (
            "signature not base64url",
            format!("{message}.not*base64"),
            401,
            "the token is not valid: Base64 error: Invalid symbol 42, offset 3.",
        ),
        (
            "other claims under the signature",
            format!(
                "{header}.{other_claims}.{}",
                genuine.rsplit('.').next().unwrap_or("")
            ),
            401,
            "the token's signature does not match the signing key",
        ),
        (
            "two parts",
            message.to_owned(),
            401,
            "the bearer token is not a well-formed JWT: InvalidToken",
        ),
        (
            "issuer in a list",
            signed(&|c| c["iss"] = serde_json::json!(["https://graph.microsoft.com"])),
            403,
            "the token was issued by ``, not by https://graph.microsoft.com or https://api.botframework.com",
        ),
    ];
    let tokens: Vec<String> = cases.iter().map(|(_, token, ..)| token.clone()).collect();
    let answers = answers_with(JwtSettings::new(APP_ID, jwks), &tokens).await;
    for ((name, _, status, message), answer) in cases.iter().zip(&answers) {
        assert_eq!(answer.status, *status, "{name}: {:#}", answer.json);
        if *status != 202 {
            assert_eq!(answer.json["error"]["message"], *message, "{name}");
        }
    }
}
