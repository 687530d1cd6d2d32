//! The client's retries, deadline and correlation ids against a recording server on 127.0.0.1:
//! `429` and `503` are sent again as `Retry-After` (seconds or an HTTP date) or the backoff says,
//! with `Retry-Attempt` and the same `client-request-id`; the policy's limit and a deadline end
//! them; a `404` after an attempt that may have succeeded says so; errors carry the request ids.
//! The waits are short (`Retry-After: 1`, 10 ms backoff) and nothing is timed: the tests count
//! requests and read headers.

use std::time::{Duration, Instant, SystemTime};

use msgraph_calls::types::RejectRequestBody;
use msgraph_calls::{AttemptError, Client, ErrorKind, RetryPolicy};
use tests::fixtures::CALL_ID;
use tests::recorder::{RecordedRequest, Recorder, Reply};

const NOT_FOUND: &str = r#"{"error":{"code":"8522","message":"Call not found","innerError":{"request-id":"inner-id","client-request-id":"echoed"}}}"#;
const THROTTLED: &str = r#"{"error":{"code":"TooManyRequests","message":"Too many requests"}}"#;
const UNAVAILABLE: &str = r#"{"error":{"code":"ServiceUnavailable","message":"Try again"}}"#;

fn client(recorder: &Recorder, policy: RetryPolicy) -> Client {
    Client::builder()
        .base_url(format!("{}/beta", recorder.base_url))
        .bearer_token("test-token")
        .retry_policy(policy)
        .build()
}

fn fast() -> RetryPolicy {
    RetryPolicy::default().initial_delay(Duration::from_millis(10))
}

fn header<'a>(request: &'a RecordedRequest, name: &str) -> Option<&'a str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII"))
}

/// Every request of one call carries the same `client-request-id`, and the n-th retry carries
/// `Retry-Attempt: n`.
fn assert_one_call(requests: &[RecordedRequest]) {
    let id = header(&requests[0], "client-request-id").expect("a client-request-id");
    for (n, request) in requests.iter().enumerate() {
        assert_eq!(header(request, "client-request-id"), Some(id));
        let attempt = (n > 0).then(|| n.to_string());
        assert_eq!(header(request, "retry-attempt"), attempt.as_deref());
        assert_eq!(request.body, requests[0].body, "the same body");
    }
}

async fn reject(
    client: &Client,
) -> Result<u16, msgraph_calls::Error<msgraph_calls::types::ODataError>> {
    let response = client
        .reject(CALL_ID, &RejectRequestBody::default())
        .await?;
    Ok(response.status().as_u16())
}

/// `Retry-After` in both of its forms: seconds, and an HTTP date.
#[tokio::test]
async fn a_429_is_retried_after_retry_after_in_seconds_or_as_a_date() {
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(1));
    for retry_after in ["1".to_owned(), date] {
        let recorder = Recorder::start_sequence(vec![
            Reply::json(429, THROTTLED).header("retry-after", retry_after.clone()),
            Reply::empty(202),
        ])
        .await;
        assert_eq!(
            reject(&client(&recorder, fast())).await.expect("rejected"),
            202,
            "Retry-After: {retry_after}"
        );
        let requests = recorder.requests();
        assert_eq!(requests.len(), 2, "Retry-After: {retry_after}");
        assert_one_call(&requests);
    }
}

#[tokio::test]
async fn three_503s_then_success() {
    let unavailable = Reply::json(503, UNAVAILABLE);
    let recorder = Recorder::start_sequence(vec![
        unavailable.clone(),
        unavailable.clone(),
        Reply::json(504, UNAVAILABLE),
        Reply::empty(202),
    ])
    .await;
    assert_eq!(
        reject(&client(&recorder, fast())).await.expect("rejected"),
        202
    );
    let requests = recorder.requests();
    assert_eq!(requests.len(), 4);
    assert_one_call(&requests);
}

#[tokio::test]
async fn retries_give_up_at_the_limit() {
    let recorder =
        Recorder::start(Reply::json(503, UNAVAILABLE).header("request-id", "graph-id")).await;
    let err = reject(&client(&recorder, fast().max_retries(2)))
        .await
        .expect_err("503 every time");
    let requests = recorder.requests();
    assert_eq!(requests.len(), 3);
    assert_one_call(&requests);
    assert_eq!(err.attempts(), 3);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.request_id(), Some("graph-id"), "the header comes first");
    assert_eq!(
        err.client_request_id(),
        header(&requests[0], "client-request-id")
    );
    assert!(matches!(
        err.kind(),
        ErrorKind::Failed(AttemptError::ErrorResponse(_))
    ));

    let once = Recorder::start(Reply::json(429, THROTTLED)).await;
    let err = reject(&client(&once, RetryPolicy::none()))
        .await
        .expect_err("429");
    assert_eq!((err.attempts(), once.requests().len()), (1, 1));
}

#[tokio::test]
async fn a_retry_after_beyond_the_longest_wait_is_not_waited_for() {
    let recorder = Recorder::start(Reply::json(429, THROTTLED).header("retry-after", "600")).await;
    let err = reject(&client(&recorder, fast())).await.expect_err("429");
    assert_eq!(recorder.requests().len(), 1);
    assert!(!err.is_deadline_exceeded());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
}

#[tokio::test]
async fn a_deadline_forbids_a_retry_that_could_not_end_before_it() {
    let recorder = Recorder::start_sequence(vec![
        Reply::json(429, THROTTLED).header("retry-after", "30"),
        Reply::empty(202),
    ])
    .await;
    let client = client(&recorder, fast());
    let deadline = Instant::now() + Duration::from_secs(10);
    let err = reject(&client.with_deadline(deadline))
        .await
        .expect_err("the wait would pass the deadline");
    assert_eq!(recorder.requests().len(), 1, "no retry");
    assert!(err.is_deadline_exceeded(), "{err}");
    let ErrorKind::DeadlineExceeded { last: Some(last) } = err.kind() else {
        panic!("the deadline, with the last answer: {err}")
    };
    assert_eq!(last.status().map(|s| s.as_u16()), Some(429));
    assert!(err.to_string().contains("deadline"), "{err}");

    // A deadline already passed: nothing is sent.
    let err = reject(&client.with_deadline(Instant::now()))
        .await
        .expect_err("too late");
    assert!(matches!(
        err.kind(),
        ErrorKind::DeadlineExceeded { last: None }
    ));
    assert_eq!((err.attempts(), recorder.requests().len()), (0, 1));
}

#[tokio::test]
async fn a_404_after_an_uncertain_attempt_may_have_succeeded() {
    let recorder = Recorder::start_sequence(vec![
        Reply::json(503, UNAVAILABLE),
        Reply::json(404, NOT_FOUND),
    ])
    .await;
    let err = reject(&client(&recorder, fast())).await.expect_err("404");
    assert_eq!(recorder.requests().len(), 2);
    assert!(err.may_have_succeeded(), "{err}");
    assert!(matches!(err.kind(), ErrorKind::MayHaveSucceeded { .. }));
    assert_eq!(err.request_id(), Some("inner-id"), "from innerError");

    // A 404 at the first attempt is the call not found.
    let direct = Recorder::start(Reply::json(404, NOT_FOUND)).await;
    let err = reject(&client(&direct, fast())).await.expect_err("404");
    assert!(!err.may_have_succeeded());
    assert!(matches!(
        err.kind(),
        ErrorKind::Failed(AttemptError::ErrorResponse(_))
    ));

    // A 429 says nothing was done: a 404 after it is the call not found.
    let throttled = Recorder::start_sequence(vec![
        Reply::json(429, THROTTLED).header("retry-after", "0"),
        Reply::json(404, NOT_FOUND),
    ])
    .await;
    let err = reject(&client(&throttled, fast())).await.expect_err("404");
    assert_eq!(throttled.requests().len(), 2);
    assert!(!err.may_have_succeeded());
}

#[tokio::test]
async fn every_call_has_its_own_client_request_id_unless_the_caller_sets_one() {
    let recorder = Recorder::start(Reply::empty(202)).await;
    let client = client(&recorder, fast());
    reject(&client).await.expect("rejected");
    reject(&client).await.expect("rejected");
    reject(&client.with_client_request_id("my-own-id"))
        .await
        .expect("rejected");
    let requests = recorder.requests();
    let ids: Vec<&str> = requests
        .iter()
        .map(|r| header(r, "client-request-id").expect("a client-request-id"))
        .collect();
    for id in &ids[..2] {
        let uuid = uuid::Uuid::parse_str(id).expect("a UUID");
        assert_eq!(uuid.get_version_num(), 4);
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(ids[2], "my-own-id");
    let agent = header(&requests[0], "user-agent").expect("a User-Agent");
    assert_eq!(agent, concat!("msgraph-calls/", env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn a_connection_that_cannot_be_opened_is_tried_again() {
    let (listener, base_url) = tests::fixtures::listen_local().await;
    drop(listener);
    let client = Client::builder()
        .base_url(base_url)
        .retry_policy(fast().max_retries(2))
        .build();
    let err = reject(&client).await.expect_err("nobody listens");
    assert_eq!(err.attempts(), 3);
    assert!(matches!(
        err.kind(),
        ErrorKind::Failed(AttemptError::CommunicationError(_))
    ));
    assert!(err.client_request_id().is_some());
}

/// A client whose attempts time out after 200 ms.
fn impatient(recorder: &Recorder) -> Client {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("a client");
    Client::builder()
        .base_url(format!("{}/beta", recorder.base_url))
        .http_client(http)
        .retry_policy(fast())
        .build()
}

#[tokio::test]
async fn a_reject_that_timed_out_once_sent_is_sent_again_and_a_404_may_have_succeeded() {
    let recorder = Recorder::start_sequence(vec![
        Reply::empty(202).after(Duration::from_secs(5)),
        Reply::json(404, NOT_FOUND),
    ])
    .await;
    let err = reject(&impatient(&recorder)).await.expect_err("404");
    let requests = recorder.requests();
    assert_eq!(requests.len(), 2);
    assert_one_call(&requests);
    assert!(err.may_have_succeeded(), "{err}");
    assert_eq!(err.attempts(), 2);
}

#[tokio::test]
async fn an_attempt_is_cut_short_at_the_deadline() {
    let recorder = Recorder::start(Reply::empty(202).after(Duration::from_secs(5))).await;
    let client = client(&recorder, fast());
    let err = reject(&client.with_deadline(Instant::now() + Duration::from_millis(300)))
        .await
        .expect_err("the answer comes after the deadline");
    assert_eq!(recorder.requests().len(), 1);
    let ErrorKind::DeadlineExceeded {
        last: Some(AttemptError::CommunicationError(timeout)),
    } = err.kind()
    else {
        panic!("the deadline, with the timed-out attempt: {err}")
    };
    assert!(timeout.is_timeout());
}
