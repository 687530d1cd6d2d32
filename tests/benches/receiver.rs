//! The generated bot-side receiver served on 127.0.0.1, driven by a load loop over a few keep-alive
//! connections that post the documented incoming-call notification, against a minimal hand-written
//! axum handler doing the same work in the same group, so that each figure is a ratio from one run.
//! Two groups: `receiver/no-auth` (the receiver with authentication disabled, against a handler
//! that parses the body into `CommsNotifications` and answers `202`) and `receiver/jwt` (the
//! receiver validating an RS256 token signed by a test key whose JWKS is read from a file, against
//! a handler that validates the same token with `jsonwebtoken`, then parses and answers `202`).
//! A third group, `receiver/validate`, checks the same token in-process, without HTTP: the
//! receiver's `InboundAuth::check` against the anchor's `jsonwebtoken` validation, so the cost of
//! validation is read apart from the noise of loopback round trips.
//! Run with `cargo bench -p tests --bench receiver`.
//!
//! Each request carries its own message id (`X-Microsoft-Skype-Message-ID`), so the receiver
//! takes every one as a new delivery and queues its notification for the handler (which ignores
//! it), as it does for real traffic; without one, every request after the first would be a
//! delivery sent again, answered without being queued.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode, header};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use msgraph_calls::runtime::auth::{InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::receiver::MESSAGE_ID_HEADER;
use msgraph_calls::types::CommsNotifications;
use msgraph_calls::webhooks::{CommsNotificationsHandler, CommsNotificationsReceiver};
use tests::HttpExample;
use tests::fixtures::{self, APP_ID, KEY_ID, jwks_file, serve, signing_key};
use tokio::runtime::Runtime;

/// Keep-alive connections the load loop holds open.
const CONNECTIONS: usize = 4;

/// Requests each connection sends per iteration, one after the other.
const REQUESTS_PER_CONNECTION: usize = 25;

/// A handler that ignores every notification: the bench measures the receiver, not a bot.
struct Ignore;

impl CommsNotificationsHandler for Ignore {}

/// The documented notification and what the load loop posts it with.
struct Load {
    client: reqwest::Client,
    path: String,
    content_type: String,
    body: Bytes,
    /// `Bearer {token}`, or `None` without authentication.
    bearer: Option<String>,
    /// The next message id.
    next_id: Arc<AtomicU64>,
}

impl Load {
    /// Posts the notification [`REQUESTS_PER_CONNECTION`] times on each of [`CONNECTIONS`]
    /// connections to `base_url`, all answered `202`.
    async fn run(&self, base_url: &str) {
        let url = format!("{base_url}{}", self.path);
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..CONNECTIONS {
            let client = self.client.clone();
            let url = url.clone();
            let content_type = self.content_type.clone();
            let body = self.body.clone();
            let bearer = self.bearer.clone();
            let next_id = self.next_id.clone();
            tasks.spawn(async move {
                for _ in 0..REQUESTS_PER_CONNECTION {
                    let id = next_id.fetch_add(1, Ordering::Relaxed);
                    let mut request = client
                        .post(&url)
                        .header(header::CONTENT_TYPE, &content_type)
                        .header(MESSAGE_ID_HEADER, format!("bench-{id}"))
                        .body(body.clone());
                    if let Some(bearer) = &bearer {
                        request = request.header(header::AUTHORIZATION, bearer);
                    }
                    let response = request.send().await.expect("the server answers");
                    assert_eq!(response.status(), StatusCode::ACCEPTED);
                    response.bytes().await.expect("a body");
                }
            });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("a load task");
        }
    }
}

/// The anchor without authentication: parse the body into the generated type, answer `202`.
async fn parse_and_accept(body: Bytes) -> StatusCode {
    match serde_json::from_slice::<CommsNotifications>(&body) {
        Ok(notifications) => {
            black_box(notifications);
            StatusCode::ACCEPTED
        }
        Err(_) => StatusCode::BAD_REQUEST,
    }
}

/// What the anchor with authentication checks tokens with, built once.
struct Verifier {
    key: DecodingKey,
    validation: Validation,
}

/// The anchor with authentication: validate the bearer token with `jsonwebtoken` (RS256, the key
/// named by `kid`, `exp`, `nbf`, issuer, audience), then parse and answer `202`.
async fn verify_parse_and_accept(
    verifier: Arc<Verifier>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    if verify(&verifier, &headers) {
        parse_and_accept(body).await
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// Measures one token's validation, in-process: the receiver's `InboundAuth::check` against the
/// anchor's `jsonwebtoken` validation, in one group.
fn measure_validation(
    c: &mut Criterion,
    runtime: &Runtime,
    auth: &InboundAuth,
    verifier: &Verifier,
    token: &str,
) {
    let mut headers = HeaderMap::new();
    headers.insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("a header value"),
    );
    runtime.block_on(async {
        assert!(
            auth.check(&headers)
                .await
                .expect("the receiver accepts the token")
                .is_some()
        );
    });
    assert!(verify(verifier, &headers), "the anchor accepts the token");
    let mut group = c.benchmark_group("receiver/validate");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    group.bench_function("generated", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let started = std::time::Instant::now();
                for _ in 0..iterations {
                    black_box(auth.check(black_box(&headers)).await.is_ok());
                }
                started.elapsed()
            })
        })
    });
    group.bench_function("jsonwebtoken", |b| {
        b.iter(|| black_box(verify(verifier, black_box(&headers))))
    });
    group.finish();
}

/// The anchor's validation: `kid`, then `jsonwebtoken::decode` with the `Validation` built once.
fn verify(verifier: &Verifier, headers: &HeaderMap) -> bool {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
    else {
        return false;
    };
    let Ok(head) = jsonwebtoken::decode_header(token) else {
        return false;
    };
    head.kid.as_deref() == Some(KEY_ID)
        && black_box(jsonwebtoken::decode::<
            serde_json::Map<String, serde_json::Value>,
        >(token, &verifier.key, &verifier.validation))
        .is_ok()
}

/// Measures the load loop against the receiver and against its anchor, in one group.
fn measure(
    c: &mut Criterion,
    runtime: &Runtime,
    group: &str,
    load: &Load,
    urls: [(&str, &str); 2],
) {
    let mut group = c.benchmark_group(group);
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements(
            (CONNECTIONS * REQUESTS_PER_CONNECTION) as u64,
        ));
    for (name, url) in urls {
        group.bench_function(name, |b| b.iter(|| runtime.block_on(load.run(url))));
    }
    group.finish();
}

fn receiver(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let example = HttpExample::load("notifications/incoming.http");
    let path = example.path().to_owned();
    let content_type = example
        .header("Content-Type")
        .expect("the example names its content type")
        .to_owned();
    let body = Bytes::from(example.body.clone().expect("the example has a body"));
    parse_and_accept_checks(&body);

    let key = signing_key();
    let keys_dir = tempfile::tempdir().expect("temp dir");
    let jwks = jwks_file(keys_dir.path(), [&key]);
    let claims = fixtures::claims();
    let token = fixtures::token(&key);

    let (no_auth, no_auth_anchor, jwt, jwt_anchor, auth, verifier) = runtime.block_on(async {
        let no_auth = CommsNotificationsReceiver::new(
            Ignore,
            InboundAuth::insecure_disabled_for_local_development_only(),
        )
        .webhook_path(&path);
        let no_auth = serve(no_auth.into_router()).await;

        let no_auth_anchor = serve(axum::Router::new().route(
            &path,
            axum::routing::post(|body: Bytes| parse_and_accept(body)),
        ))
        .await;

        let auth = InboundAuth::jwt(JwtSettings::new(APP_ID, KeySource::File(jwks.clone())));
        let jwt = serve(
            CommsNotificationsReceiver::new(Ignore, auth.clone())
                .webhook_path(&path)
                .into_router(),
        )
        .await;

        let set: jsonwebtoken::jwk::JwkSet =
            serde_json::from_str(&std::fs::read_to_string(&jwks).expect("read the JWKS file"))
                .expect("a JWKS document");
        let jwk = set.find(KEY_ID).expect("the test key is published");
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[claims["iss"].as_str().expect("an issuer")]);
        validation.set_audience(&[APP_ID]);
        let verifier = Arc::new(Verifier {
            key: DecodingKey::from_jwk(jwk).expect("an RSA public key"),
            validation,
        });
        let anchor_verifier = verifier.clone();
        let jwt_anchor = serve(axum::Router::new().route(
            &path,
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                verify_parse_and_accept(anchor_verifier.clone(), headers, body)
            }),
        ))
        .await;
        (no_auth, no_auth_anchor, jwt, jwt_anchor, auth, verifier)
    });

    let client = tests::http::client();
    let next_id = Arc::new(AtomicU64::new(0));
    let mut load = Load {
        client,
        path,
        content_type,
        body,
        bearer: None,
        next_id,
    };
    measure(
        c,
        &runtime,
        "receiver/no-auth",
        &load,
        [("generated", &no_auth), ("axum", &no_auth_anchor)],
    );
    measure_validation(c, &runtime, &auth, &verifier, &token);
    load.bearer = Some(format!("Bearer {token}"));
    measure(
        c,
        &runtime,
        "receiver/jwt",
        &load,
        [("generated", &jwt), ("axum+jsonwebtoken", &jwt_anchor)],
    );
    drop(keys_dir);
}

/// The anchor accepts the documented notification, so both sides do the same work.
fn parse_and_accept_checks(body: &[u8]) {
    serde_json::from_slice::<CommsNotifications>(body).expect("the documented notification parses");
}

criterion_group!(benches, receiver);
criterion_main!(benches);
