//! The invariants the fuzz targets under `fuzz/` check, written once here so that the regression
//! tests (`tests/tests/fuzz_regressions.rs`) replay every input fuzzing ever found through the same
//! code. Each function takes arbitrary bytes and panics only when its invariant is broken.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, header};
use msgraph_calls::runtime::auth::{GRAPH_ISSUERS, InboundAuth, JwtSettings, KeySource};
use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::runtime::server::BearerToken;
use msgraph_calls::server::{CommunicationsActions, CommunicationsActionsServer, RejectResponse};
use msgraph_calls::types::{CommsNotifications, RejectRequestBody};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::fixtures::{APP_ID, CALL_ID, KEY_ID, TENANT_ID};

/// A notifications body parses or is refused with an error; what parses writes out, parses again to
/// the same value, and writes out the same text again.
pub fn notification_round_trip(data: &[u8]) {
    let Ok(first) = serde_json::from_slice::<CommsNotifications>(data) else {
        return;
    };
    let text = serde_json::to_string(&first).expect("a parsed body writes out");
    let second: CommsNotifications = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("the written body does not parse again ({err}): {text}"));
    assert_eq!(
        first, second,
        "the body changed through a round trip: {text}"
    );
    let again = serde_json::to_string(&second).expect("writes out");
    assert_eq!(text, again, "the written text changed through a round trip");
}

/// A reject body posted to the generated Graph-side server is accepted (`202`) or refused with a
/// `4xx` and a Graph-style error body (`{"error":{"code","message"}}`), never a `5xx`.
pub fn reject_body(data: &[u8]) {
    let runtime = runtime();
    let request = Request::post(format!("/communications/calls/{CALL_ID}/reject"))
        .header(header::AUTHORIZATION, "Bearer fuzz")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(data.to_vec()))
        .expect("a request");
    let router = reject_router().clone();
    let (status, body) = runtime.block_on(async move {
        let response = router.oneshot(request).await.expect("the router answers");
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("the body is read");
        (status, body)
    });
    if status.as_u16() == 202 {
        return;
    }
    assert!(
        status.is_client_error(),
        "{status} for {:?}",
        String::from_utf8_lossy(data)
    );
    let error: Value = serde_json::from_slice(&body).unwrap_or_else(|err| {
        panic!(
            "{status} with a body that is not JSON ({err}): {:?}",
            String::from_utf8_lossy(&body)
        )
    });
    assert!(
        error["error"]["code"].is_string() && error["error"]["message"].is_string(),
        "{status} without a Graph-style error: {error}"
    );
}

/// The service behind [`reject_body`]: it accepts every body the generated checks let through.
struct AcceptEverything;

impl CommunicationsActions for AcceptEverything {
    type Identity = BearerToken;

    async fn reject(&self, _: BearerToken, _: String, _: RejectRequestBody) -> RejectResponse {
        RejectResponse::Accepted
    }
}

fn reject_router() -> &'static axum::Router {
    static ROUTER: OnceLock<axum::Router> = OnceLock::new();
    ROUTER.get_or_init(|| CommunicationsActionsServer::new(AcceptEverything).into_router())
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    })
}

/// The bot's validation of notification tokens, with one fixed key, accepts only what that key
/// signed with claims a bot may trust. The first byte of `data` picks how the rest makes a token:
/// - `0`: the rest is the whole `Authorization` value: accepted only if it carries the one valid
///   token;
/// - `1`: the rest is spliced into the valid token at the offset its first byte gives: accepted only
///   if the token is unchanged;
/// - `2`: the rest is a claims object signed with the key: accepted only if the claims name this
///   bot, a Graph issuer, a future `exp` and no future `nbf` (within the leeway);
/// - `3`: the rest is a header object, with valid claims and the signature of the valid token:
///   never accepted unless the header is the valid token's own.
pub fn token_path(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let keys = token_keys();
    match mode % 4 {
        0 => {
            if let Some(token) = accepted(rest) {
                assert_eq!(token, keys.valid_token, "accepted another token");
            }
        }
        1 => {
            let Some((&at, insert)) = rest.split_first() else {
                return;
            };
            let mut token = keys.valid_token.as_bytes().to_vec();
            let at = usize::from(at).min(token.len());
            let end = (at + insert.len()).min(token.len());
            token.splice(at..end, insert.iter().copied());
            let mut value = b"Bearer ".to_vec();
            value.extend_from_slice(&token);
            if let Some(accepted) = accepted(&value) {
                assert_eq!(accepted, keys.valid_token, "accepted a changed token");
            }
        }
        2 => {
            let Ok(claims) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            let Ok(token) = keys.key.sign(&claims) else {
                return;
            };
            if accepted(format!("Bearer {token}").as_bytes()).is_some() {
                assert_trusted(&claims);
            }
        }
        _ => {
            let Ok(fields) = serde_json::from_slice::<Value>(rest) else {
                return;
            };
            let Some((_, signed_part)) = keys.valid_token.split_once('.') else {
                return;
            };
            use base64::Engine as _;
            let header =
                base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fields.to_string());
            let token = format!("{header}.{signed_part}");
            if accepted(format!("Bearer {token}").as_bytes()).is_some() {
                assert_eq!(
                    token, keys.valid_token,
                    "accepted a token with another header"
                );
            }
        }
    }
}

/// The clock skew the validation allows.
const LEEWAY: Duration = Duration::from_secs(5 * 60);

struct TokenKeys {
    key: SigningKey,
    auth: InboundAuth,
    valid_token: String,
}

fn token_keys() -> &'static TokenKeys {
    static KEYS: OnceLock<TokenKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let key = SigningKey::generate(KEY_ID).expect("an RSA key");
        let jwks = SigningKey::jwks([&key]).to_string();
        let auth =
            InboundAuth::jwt(JwtSettings::new(APP_ID, KeySource::Jwks(jwks)).with_leeway(LEEWAY));
        let claims = SigningKey::graph_claims(APP_ID, TENANT_ID, Duration::from_secs(24 * 3600));
        let valid_token = key.sign(&claims).expect("signs");
        TokenKeys {
            key,
            auth,
            valid_token,
        }
    })
}

/// The token of an accepted `Authorization` value, or `None` if it is refused (or cannot be a
/// header value).
fn accepted(value: &[u8]) -> Option<String> {
    let value = HeaderValue::from_bytes(value).ok()?;
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value.clone());
    let auth = &token_keys().auth;
    let outcome = runtime().block_on(auth.check(&headers));
    match outcome {
        Ok(Some(_)) => {
            let text = value.to_str().expect("an accepted header is text");
            let token = text
                .split_ascii_whitespace()
                .nth(1)
                .expect("an accepted header has a scheme and a token");
            Some(token.to_owned())
        }
        Ok(None) => panic!("JWT validation accepted a request without checking it"),
        Err(err) => {
            assert!(
                matches!(err.status.as_u16(), 401 | 403),
                "a refused token gets 401 or 403, not {}",
                err.status
            );
            None
        }
    }
}

/// Panics unless `claims` are what a bot may trust.
fn assert_trusted(claims: &Value) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let leeway = LEEWAY.as_secs_f64();
    let audience_ok = match &claims["aud"] {
        Value::String(aud) => aud == APP_ID,
        Value::Array(auds) => auds.iter().any(|aud| aud == APP_ID),
        _ => false,
    };
    assert!(
        audience_ok,
        "accepted claims for another audience: {claims}"
    );
    let issuer_ok = claims["iss"]
        .as_str()
        .is_some_and(|iss| GRAPH_ISSUERS.contains(&iss));
    assert!(issuer_ok, "accepted claims from another issuer: {claims}");
    let exp = claims["exp"].as_f64();
    assert!(
        exp.is_some_and(|exp| exp + leeway > now),
        "accepted claims without a future exp: {claims}"
    );
    if let Some(nbf) = claims.get("nbf") {
        assert!(
            nbf.as_f64().is_some_and(|nbf| nbf - leeway <= now),
            "accepted claims not valid yet: {claims}"
        );
    }
}

/// A spec, as YAML or JSON text, generates or is refused with an error that names where (a JSON
/// pointer), unless the text is not YAML at all.
pub fn spec_loader(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match codegen::generate(text, &codegen::Settings::new()) {
        Ok(_) => {}
        Err(codegen::Error::Syntax { .. }) => {}
        Err(err) => {
            let message = err.to_string();
            assert!(
                message.starts_with('#'),
                "the error names no JSON pointer: {message}"
            );
        }
    }
}
