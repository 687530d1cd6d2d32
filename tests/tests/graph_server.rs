//! The generated Graph-side stub, served on 127.0.0.1 and called by the generated client: documented
//! requests, the deprecated path, typed responses, and every refused request with its status, code
//! and a server that goes on serving.

use std::sync::{Arc, Mutex};

use msgraph_calls::runtime::GraphError;
use msgraph_calls::runtime::server::{
    Authenticator, BearerToken, DefaultStatus, ServerErrorStatus, SuccessStatus,
};
use msgraph_calls::server::{CommunicationsActions, CommunicationsActionsServer, RejectResponse};
use msgraph_calls::types::{MainError, ODataError, RejectReason, RejectRequestBody};
use msgraph_calls::{AttemptError, Client};
use tests::HttpExample;
use tests::fixtures::{CALL_ID, serve};
use tests::http::{Answer, answer, client, post};

/// Records every reject it is given; answers 404 for the call id `gone`.
#[derive(Clone, Default)]
struct Recording {
    rejects: Arc<Mutex<Vec<(String, String, RejectRequestBody)>>>,
}

impl CommunicationsActions for Recording {
    type Identity = BearerToken;

    async fn reject(
        &self,
        identity: BearerToken,
        call_id: String,
        body: RejectRequestBody,
    ) -> RejectResponse {
        if call_id == "gone" {
            let error = ODataError {
                error: MainError {
                    code: "8522".into(),
                    message: "Call not found".into(),
                    ..Default::default()
                },
                additional_properties: Default::default(),
            };
            return RejectResponse::Default(
                DefaultStatus::new(404).expect("reject documents no 404"),
                error,
            );
        }
        self.rejects
            .lock()
            .expect("lock")
            .push((identity.0, call_id, body));
        RejectResponse::Accepted
    }
}

async fn start(service: Recording) -> String {
    serve(CommunicationsActionsServer::new(service).into_router()).await
}

#[tokio::test]
async fn documented_requests_are_accepted_through_the_generated_client() {
    let service = Recording::default();
    let base = start(service.clone()).await;
    let client = Client::builder()
        .base_url(&base)
        .bearer_token("token-1")
        .build();
    for name in ["busy", "none"] {
        let documented = HttpExample::load(&format!("reject/{name}.http"));
        let body: RejectRequestBody = serde_json::from_value(documented.json()).expect("parses");
        let accepted = client.reject(CALL_ID, &body).await.expect("accepted");
        assert_eq!(
            accepted.status().as_u16(),
            HttpExample::load("reject/accepted.http").status()
        );
    }
    let rejects = service.rejects.lock().expect("lock").clone();
    let reasons: Vec<_> = rejects
        .iter()
        .map(|(token, id, body)| (token.as_str(), id.as_str(), body.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("token-1", CALL_ID, Some(RejectReason::Busy)),
            ("token-1", CALL_ID, Some(RejectReason::None))
        ]
    );
}

#[tokio::test]
async fn the_deprecated_app_path_reaches_the_same_implementation() {
    let service = Recording::default();
    let base = start(service.clone()).await;
    let client = Client::builder().base_url(&base).bearer_token("t").build();
    let body = RejectRequestBody {
        reason: Some(RejectReason::Forbidden),
        ..Default::default()
    };
    client
        .app_calls_call_reject("app-call", &body)
        .await
        .expect("accepted");
    let rejects = service.rejects.lock().expect("lock").clone();
    assert_eq!(rejects.len(), 1);
    assert_eq!(rejects[0].1, "app-call");
    assert_eq!(rejects[0].2, body);
}

#[tokio::test]
async fn an_implementation_error_reaches_the_client_typed() {
    let base = start(Recording::default()).await;
    let client = Client::builder().base_url(&base).bearer_token("t").build();
    let err = client
        .reject("gone", &RejectRequestBody::default())
        .await
        .expect_err("404");
    let Some(AttemptError::ErrorResponse(response)) = err.into_last() else {
        panic!("expected a typed error")
    };
    assert_eq!(response.status().as_u16(), 404);
    assert_eq!(response.error.code, "8522");
}

#[test]
fn only_documented_statuses_can_be_built() {
    // Reject documents `2XX` and `202`; `default` admits every other status.
    type Default = DefaultStatus<RejectResponse>;
    assert!(Default::new(404).is_some());
    assert!(Default::new(500).is_some());
    assert!(Default::new(302).is_some());
    assert!(Default::new(200).is_none());
    assert!(Default::new(202).is_none());
    assert!(Default::new(600).is_none());
    assert!(SuccessStatus::new(204).is_some());
    assert!(SuccessStatus::new(404).is_none());
    assert!(ServerErrorStatus::new(503).is_some());
    assert!(ServerErrorStatus::new(404).is_none());
}

/// A refused request: its headers, body, and the status and code it must get.
struct Refused {
    name: &'static str,
    headers: Vec<(&'static str, &'static str)>,
    body: String,
    status: u16,
    code: &'static str,
}

fn refused_cases() -> Vec<Refused> {
    let json = vec![
        ("authorization", "Bearer t"),
        ("content-type", "application/json"),
    ];
    vec![
        Refused {
            name: "no token",
            headers: vec![("content-type", "application/json")],
            body: r#"{"reason":"busy"}"#.into(),
            status: 401,
            code: "InvalidAuthenticationToken",
        },
        Refused {
            name: "empty token",
            headers: vec![
                ("authorization", "Bearer "),
                ("content-type", "application/json"),
            ],
            body: r#"{"reason":"busy"}"#.into(),
            status: 401,
            code: "InvalidAuthenticationToken",
        },
        Refused {
            name: "basic auth",
            headers: vec![
                ("authorization", "Basic dTpw"),
                ("content-type", "application/json"),
            ],
            body: r#"{"reason":"busy"}"#.into(),
            status: 401,
            code: "InvalidAuthenticationToken",
        },
        Refused {
            name: "text body",
            headers: vec![
                ("authorization", "Bearer t"),
                ("content-type", "text/plain"),
            ],
            body: "busy".into(),
            status: 415,
            code: "UnsupportedMediaType",
        },
        Refused {
            name: "no content type",
            headers: vec![("authorization", "Bearer t")],
            body: r#"{"reason":"busy"}"#.into(),
            status: 415,
            code: "UnsupportedMediaType",
        },
        Refused {
            name: "malformed JSON",
            headers: json.clone(),
            body: r#"{"reason": "busy""#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "not an object",
            headers: json.clone(),
            body: r#"["busy"]"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "wrong type",
            headers: json.clone(),
            body: r#"{"reason": 5}"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "unknown reason",
            headers: json.clone(),
            body: r#"{"reason": "sleepy"}"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "http callback",
            headers: json.clone(),
            body: r#"{"reason": "busy", "callbackUri": "http://bot.contoso.com/api/calls"}"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "null reason",
            headers: json.clone(),
            body: r#"{"reason": null}"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "https callback without a host",
            headers: json.clone(),
            body: r#"{"reason": "busy", "callbackUri": "https://"}"#.into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "https callback with a space",
            headers: json.clone(),
            body: r#"{"reason": "busy", "callbackUri": "https://bot.contoso.com/api calls"}"#
                .into(),
            status: 400,
            code: "BadRequest",
        },
        Refused {
            name: "over 64 KiB",
            headers: json.clone(),
            body: format!(
                r#"{{"reason": "busy", "pad": "{}"}}"#,
                "x".repeat(70 * 1024)
            ),
            status: 413,
            code: "RequestEntityTooLarge",
        },
    ]
}

#[tokio::test]
async fn refused_requests_get_their_status_and_code_and_the_server_goes_on() {
    let service = Recording::default();
    let base = start(service.clone()).await;
    let url = format!("{base}/communications/calls/{CALL_ID}/reject");
    let good = [
        ("authorization", "Bearer t"),
        ("content-type", "application/json"),
    ];
    for case in refused_cases() {
        let answer = post(&url, &case.headers, case.body.clone()).await;
        assert_eq!(
            answer.status, case.status,
            "{}: {:#}",
            case.name, answer.json
        );
        answer.assert_graph_error(case.status, case.code);
        let next = post(&url, &good, r#"{"reason":"busy"}"#).await;
        assert_eq!(next.status, 202, "after {}: {:#}", case.name, next.json);
    }
    let count = service.rejects.lock().expect("lock").len();
    assert_eq!(
        count,
        refused_cases().len(),
        "refused requests never reach the implementation"
    );
}

#[tokio::test]
async fn documented_casings_are_accepted_and_reach_the_implementation_canonical() {
    let service = Recording::default();
    let base = start(service.clone()).await;
    let url = format!("{base}/app/calls/{CALL_ID}/reject");
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/json; charset=utf-8"),
    ];
    for (sent, parsed) in [
        ("Busy", RejectReason::Busy),
        ("None", RejectReason::None),
        ("FORBIDDEN", RejectReason::Forbidden),
    ] {
        let answer = post(
            &url,
            &headers,
            format!(r#"{{"reason":"{sent}","callbackUri":"https://bot.contoso.com/api/calls/1"}}"#),
        )
        .await;
        assert_eq!(answer.status, 202, "{sent}: {:#}", answer.json);
        let last = service
            .rejects
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("recorded");
        assert_eq!(last.2.reason, Some(parsed));
    }
}

#[tokio::test]
async fn unknown_paths_and_methods_get_graph_errors() {
    let base = start(Recording::default()).await;
    let unknown = post(
        &format!("{base}/communications/calls/{CALL_ID}/answer"),
        &[("authorization", "Bearer t")],
        "{}",
    )
    .await;
    unknown.assert_graph_error(404, "UnknownRoute");
    let get: Answer =
        answer(client().get(format!("{base}/communications/calls/{CALL_ID}/reject"))).await;
    get.assert_graph_error(405, "MethodNotAllowed");
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let base = serve(
        CommunicationsActionsServer::new(Recording::default())
            .body_limit(8)
            .into_router(),
    )
    .await;
    let answer = post(
        &format!("{base}/communications/calls/{CALL_ID}/reject"),
        &[
            ("authorization", "Bearer t"),
            ("content-type", "application/json"),
        ],
        r#"{"reason":"busy"}"#,
    )
    .await;
    answer.assert_graph_error(413, "RequestEntityTooLarge");
}

/// Accepts only the token `alice-token` and establishes the name `alice`.
struct NamedCallers;

impl Authenticator for NamedCallers {
    type Identity = String;

    async fn authenticate(&self, headers: &axum::http::HeaderMap) -> Result<String, GraphError> {
        match BearerToken::from_headers(headers)?.0.as_str() {
            "alice-token" => Ok("alice".to_owned()),
            _ => Err(GraphError::forbidden(
                "this token belongs to nobody this service knows",
            )),
        }
    }
}

#[derive(Clone, Default)]
struct ByName(Arc<Mutex<Vec<String>>>);

impl CommunicationsActions for ByName {
    type Identity = String;

    async fn reject(
        &self,
        identity: String,
        _call_id: String,
        _body: RejectRequestBody,
    ) -> RejectResponse {
        self.0.lock().expect("lock").push(identity);
        RejectResponse::Success(SuccessStatus::new(204).expect("204 is a success"))
    }
}

#[tokio::test]
async fn the_implementation_receives_what_the_authenticator_established() {
    let service = ByName::default();
    let base = serve(
        CommunicationsActionsServer::with_authenticator(service.clone(), NamedCallers)
            .into_router(),
    )
    .await;
    let alice = Client::builder()
        .base_url(&base)
        .bearer_token("alice-token")
        .build();
    let answered = alice
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect("204 is success");
    assert_eq!(answered.status().as_u16(), 204);
    let mallory = Client::builder()
        .base_url(&base)
        .bearer_token("mallory-token")
        .build();
    let err = mallory
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("refused");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403));
    assert_eq!(service.0.lock().expect("lock").clone(), ["alice"]);
}

#[tokio::test]
async fn http_loopback_callbacks_are_accepted_only_when_allowed() {
    let strict = start(Recording::default()).await;
    let relaxed = serve(
        CommunicationsActionsServer::new(Recording::default())
            .allow_http_loopback_urls(true)
            .into_router(),
    )
    .await;
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/json"),
    ];
    let body = |uri: &str| format!(r#"{{"reason":"busy","callbackUri":"{uri}"}}"#);
    for (base, uri, status) in [
        (&strict, "http://127.0.0.1:9/api/calls", 400),
        (&relaxed, "http://127.0.0.1:9/api/calls", 202),
        (&relaxed, "http://localhost:9/api/calls", 202),
        (&relaxed, "http://bot.contoso.com/api/calls", 400),
        (&relaxed, "http://127.0.0.1", 202),
        (&relaxed, "http://", 400),
        (&relaxed, "https://bot.contoso.com/api/calls", 202),
        (&relaxed, "https://bot.contoso.com", 202),
        (&relaxed, "https://bot.contoso.com?call=1", 202),
        (&relaxed, "https://bot.contoso.com/caf%C3%A9", 202),
        (&relaxed, "https://bot.contoso.com/café", 400),
        (&relaxed, "https://bücher.example/api", 400),
        (&relaxed, "https://bot.contoso.com/a{b}", 400),
    ] {
        let answer = post(
            &format!("{base}/communications/calls/{CALL_ID}/reject"),
            &headers,
            body(uri),
        )
        .await;
        assert_eq!(answer.status, status, "{uri}: {:#}", answer.json);
    }
}

/// A small deterministic generator, so that a failure names a reproducible case.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test]
async fn mangled_bodies_never_get_a_server_error_and_the_server_goes_on() {
    let base = start(Recording::default()).await;
    let url = format!("{base}/communications/calls/{CALL_ID}/reject");
    let headers = [
        ("authorization", "Bearer t"),
        ("content-type", "application/json"),
    ];
    let documented = HttpExample::load("reject/busy.http")
        .body
        .expect("body")
        .into_bytes();
    let mut random = XorShift(0x9e37_79b9_7f4a_7c15);
    for case in 0..150 {
        let mut body = documented.clone();
        match case % 3 {
            // Flip bytes of the documented body.
            0 => {
                for _ in 0..1 + random.next() % 4 {
                    let at = (random.next() as usize) % body.len();
                    body[at] = random.next() as u8;
                }
            }
            // Cut it short.
            1 => body.truncate((random.next() as usize) % body.len()),
            // Random bytes.
            _ => {
                body = (0..random.next() % 64)
                    .map(|_| random.next() as u8)
                    .collect()
            }
        }
        let answer = post(&url, &headers, body.clone()).await;
        assert!(
            answer.status == 202 || (400..500).contains(&answer.status),
            "case {case}: {:?} got {} {:#}",
            String::from_utf8_lossy(&body),
            answer.status,
            answer.json
        );
        if answer.status != 202 {
            assert!(
                answer.json["error"]["code"].is_string(),
                "case {case}: a Graph-style error"
            );
        }
    }
    assert_eq!(
        post(&url, &headers, r#"{"reason":"busy"}"#).await.status,
        202
    );
}
