//! The generated client against a recording server on 127.0.0.1: the documented requests go out
//! as documented, every 2XX is success on each of reject's paths, and error bodies become typed
//! errors.

use msgraph_calls::types::RejectRequestBody;
use std::time::Duration;

use msgraph_calls::{AttemptError, Client, ErrorKind, RetryPolicy};
use tests::HttpExample;
use tests::fixtures::CALL_ID;
use tests::recorder::{Recorder, Reply};

fn client(recorder: &Recorder) -> Client {
    Client::builder()
        .base_url(format!("{}/beta", recorder.base_url))
        .bearer_token("test-token")
        .retry_policy(RetryPolicy::default().initial_delay(Duration::from_millis(10)))
        .build()
}

#[tokio::test]
async fn documented_requests_are_sent_as_documented() {
    for name in ["busy", "none"] {
        let documented = HttpExample::load(&format!("reject/{name}.http"));
        let recorder = Recorder::start(Reply::empty(202)).await;
        let body: RejectRequestBody =
            serde_json::from_value(documented.json()).expect("documented body parses");
        // The page's path; `reject` itself posts to the official `microsoft.graph.reject`.
        client(&recorder)
            .communications_calls_call_reject(CALL_ID, &body)
            .await
            .expect("202 is success");

        let requests = recorder.requests();
        assert_eq!(requests.len(), 1);
        let sent = &requests[0];
        assert_eq!(sent.method.as_str(), documented.method());
        assert_eq!(sent.uri.path(), documented.path());
        assert_eq!(sent.headers["authorization"], "Bearer test-token");
        assert_eq!(
            sent.headers["content-type"],
            documented.header("Content-Type").expect("documented")
        );
        let sent_body: serde_json::Value = serde_json::from_slice(&sent.body).expect("JSON body");
        assert_eq!(sent_body, documented.json());
        assert_eq!(sent.headers["content-length"], sent.body.len().to_string());
        assert!(
            sent.headers.get("api-version").is_none(),
            "the documented request has no api-version header"
        );
    }
}

#[tokio::test]
async fn every_success_status_is_success_on_every_path() {
    let body = RejectRequestBody {
        reason: Some(msgraph_calls::types::RejectReason::Busy),
        ..Default::default()
    };
    for status in [202, 204, 200] {
        let recorder = Recorder::start(Reply::empty(status)).await;
        let client = client(&recorder);
        let official = client.reject(CALL_ID, &body).await.expect("success");
        assert_eq!(official.status().as_u16(), status);
        let page = client
            .communications_calls_call_reject(CALL_ID, &body)
            .await
            .expect("success");
        assert_eq!(page.status().as_u16(), status);
        let legacy = client
            .app_calls_call_reject(CALL_ID, &body)
            .await
            .expect("success");
        assert_eq!(legacy.status().as_u16(), status);
        let paths: Vec<String> = recorder
            .requests()
            .iter()
            .map(|r| r.uri.path().to_owned())
            .collect();
        assert_eq!(
            paths,
            [
                format!("/beta/communications/calls/{CALL_ID}/microsoft.graph.reject"),
                format!("/beta/communications/calls/{CALL_ID}/reject"),
                format!("/beta/app/calls/{CALL_ID}/reject")
            ]
        );
    }
}

#[tokio::test]
async fn odata_errors_are_typed() {
    let error_body = r#"{"error":{"code":"8522","message":"Call not found","innerError":{"request-id":"b1a2","date":"2026-11-27T02:00:00Z"}}}"#;
    for status in [404, 503] {
        let recorder = Recorder::start(Reply::json(status, error_body)).await;
        let err = client(&recorder)
            .reject(CALL_ID, &RejectRequestBody::default())
            .await
            .expect_err("an error status is an error");
        // The ids to quote to Microsoft support: the one the client sent, and Graph's from
        // `innerError` (the response has no `request-id` header).
        let sent = recorder.requests();
        let client_request_id = sent[0].headers["client-request-id"].to_str().unwrap();
        assert_eq!(err.client_request_id(), Some(client_request_id));
        assert_eq!(err.request_id(), Some("b1a2"));
        assert!(err.to_string().contains(client_request_id), "{err}");
        // 503 is retried three times; 404 is not.
        let attempts = if status == 503 { 4 } else { 1 };
        assert_eq!((err.attempts(), sent.len()), (attempts, attempts as usize));
        let ErrorKind::Failed(AttemptError::ErrorResponse(response)) = err.into_kind() else {
            panic!("expected a typed ODataError")
        };
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(response.error.code, "8522");
        assert_eq!(response.error.message, "Call not found");
        let inner = response.error.inner_error.as_ref().expect("innerError");
        assert_eq!(inner.request_id.as_deref(), Some("b1a2"));
        assert_eq!(inner.date.as_deref(), Some("2026-11-27T02:00:00Z"));
    }
}

#[tokio::test]
async fn a_non_json_error_body_is_still_a_clear_error() {
    let recorder = Recorder::start(Reply::text(502, "Bad Gateway from a proxy")).await;
    let err = client(&recorder)
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("502 is an error");
    match err.last() {
        Some(AttemptError::InvalidResponsePayload(bytes, _)) => {
            assert_eq!(&bytes[..], b"Bad Gateway from a proxy")
        }
        other => panic!("expected the raw body of the undecodable error, got {other:?}"),
    }
    assert!(
        err.to_string()
            .to_lowercase()
            .contains("invalid response payload"),
        "{err}"
    );
}

#[tokio::test]
async fn tokens_come_from_an_async_provider() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = counter.clone();
    let client = Client::builder()
        .base_url(&recorder.base_url)
        .token_provider(move |request: msgraph_calls::TokenRequest| {
            assert_eq!(request.scope(), "https://graph.microsoft.com/.default");
            assert_eq!(request.tenant_id(), None);
            let n = seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async move { Ok::<_, msgraph_calls::TokenError>(format!("token-{n}")) }
        })
        .build();
    for _ in 0..2 {
        client
            .reject(CALL_ID, &RejectRequestBody::default())
            .await
            .expect("success");
    }
    let tokens: Vec<String> = recorder
        .requests()
        .iter()
        .map(|r| {
            r.headers["authorization"]
                .to_str()
                .expect("ascii")
                .to_owned()
        })
        .collect();
    assert_eq!(tokens, ["Bearer token-0", "Bearer token-1"]);
}

#[tokio::test]
async fn a_failing_token_provider_fails_the_call_without_sending() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let client = Client::builder()
        .base_url(&recorder.base_url)
        .token_provider(|_request: msgraph_calls::TokenRequest| async {
            Err::<String, msgraph_calls::TokenError>("no credentials".into())
        })
        .build();
    let err = client
        .reject(CALL_ID, &RejectRequestBody::default())
        .await
        .expect_err("no token, no call");
    assert!(err.to_string().contains("no credentials"), "{err}");
    assert!(recorder.requests().is_empty());
}

#[test]
fn the_default_base_url_is_the_documented_one() {
    assert_eq!(
        msgraph_calls::DEFAULT_BASE_URL,
        "https://graph.microsoft.com/beta"
    );
    assert_eq!(
        Client::builder().build().base_url(),
        msgraph_calls::DEFAULT_BASE_URL
    );
    let custom = Client::builder()
        .base_url("http://127.0.0.1:9/beta/")
        .build();
    assert_eq!(
        custom.base_url(),
        "http://127.0.0.1:9/beta",
        "a trailing slash is dropped"
    );
    let documented = HttpExample::load("reject/busy.http");
    assert!(
        documented
            .start_line
            .contains(msgraph_calls::DEFAULT_BASE_URL)
    );
}
