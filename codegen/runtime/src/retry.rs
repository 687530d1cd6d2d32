//! Retries as Graph asks for them, within the call's deadline: `429`, `503` and `504` are sent
//! again after `Retry-After` (seconds or an HTTP date) or an exponential backoff with jitter, a
//! connection that could not be opened is tried again, and every retry carries `Retry-Attempt`.
//! A retry is started only if its wait, and an attempt as long as the last one, end before the
//! deadline; each attempt's timeout is cut to the time left.

use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tracing::Instrument;

use super::call::CallRecord;

/// How a client retries: at most `max_retries` retries after the first attempt, waiting what
/// Graph's `Retry-After` says or else an exponential backoff from `initial_delay` with jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Three retries, as Microsoft's Graph SDKs make; backoff from 1 second; no wait over 180
    /// seconds (Graph's SDKs' bound).
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(180),
        }
    }
}

impl RetryPolicy {
    /// No retries: every request is sent once.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// At most `retries` retries after the first attempt.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff when Graph gives no `Retry-After`; each retry doubles it.
    pub fn initial_delay(mut self, delay: Duration) -> Self {
        self.initial_delay = delay;
        self
    }

    /// The longest wait: a `Retry-After` beyond it ends the retries (the answer is returned),
    /// and backoffs are capped at it.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The backoff before retry `retry` (1 for the first): `initial_delay * 2^(retry - 1)`, capped
    /// at `max_delay`, and then a random part of it taken off (full jitter above half), so that
    /// many clients throttled together do not come back together.
    fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let full = self
            .initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        full.mul_f64(0.5 + fastrand::f64() / 2.0)
    }
}

/// Whether Graph asks for the request to be sent again: too many requests, service unavailable,
/// gateway timeout.
fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 503 | 504)
}

/// The wait a response's `Retry-After` asks for, `now` being the client's clock: delta-seconds or
/// an HTTP date (a date in the past is no wait). `None` without the header or when it is neither.
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Whether sending the request twice does no harm, so that it may be sent again after an attempt
/// that failed once sent (a timeout, a dropped connection): idempotent methods, and reject, which
/// Graph answers with `404` once the call is rejected (reported as "may have succeeded").
fn repeatable(method: &Method, operation_id: &str) -> bool {
    method == Method::GET
        || method == Method::HEAD
        || method == Method::OPTIONS
        || method == Method::PUT
        || method == Method::DELETE
        || operation_id == "reject"
        || operation_id.ends_with("_reject")
}

/// What to do after an attempt.
enum Next {
    /// Return this result.
    Done(reqwest::Result<reqwest::Response>),
    /// Wait this long and send again. `uncertain`: the attempt may have taken effect.
    Retry {
        result: reqwest::Result<reqwest::Response>,
        wait: Option<Duration>,
        uncertain: bool,
    },
}

/// Sends `request` through `http`, retrying as `policy` allows and `deadline` leaves time for.
/// `record` is told how the call went (attempts, deadline, a `404` after an uncertain attempt).
pub(crate) async fn send(
    http: &reqwest::Client,
    policy: &RetryPolicy,
    deadline: Option<Instant>,
    record: Option<&CallRecord>,
    mut request: reqwest::Request,
    operation_id: &str,
) -> reqwest::Result<reqwest::Response> {
    let repeat_after_send = repeatable(request.method(), operation_id);
    let mut uncertain = false;
    let mut attempt: u32 = 1;
    loop {
        // A body that is a stream cannot be sent twice: such a request gets one attempt.
        let spare = if attempt <= policy.max_retries {
            request.try_clone()
        } else {
            None
        };
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            let timeout = request.timeout_mut();
            *timeout = Some(timeout.map_or(left, |t| t.min(left)));
        }
        if let Some(record) = record {
            record.attempted(attempt);
        }
        let span = tracing::info_span!(
            "graph.attempt",
            attempt,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        let started = Instant::now();
        let result = http.execute(request).instrument(span.clone()).await;
        let took = started.elapsed();
        if !span.is_disabled() {
            record_response(&span, &result);
        }
        let next = match result {
            Ok(response) if retryable_status(response.status()) => {
                let wait = retry_after(response.headers(), SystemTime::now());
                let uncertain = response.status().is_server_error();
                Next::Retry {
                    result: Ok(response),
                    wait,
                    uncertain,
                }
            }
            Ok(response) => {
                if uncertain
                    && response.status() == StatusCode::NOT_FOUND
                    && let Some(record) = record
                {
                    record.may_have_succeeded();
                }
                Next::Done(Ok(response))
            }
            Err(err) if deadline.is_some_and(|d| Instant::now() >= d) && err.is_timeout() => {
                if let Some(record) = record {
                    record.deadline_passed();
                }
                Next::Done(Err(err))
            }
            // The connection could not be made: nothing was sent.
            Err(err) if err.is_connect() => Next::Retry {
                result: Err(err),
                wait: None,
                uncertain: false,
            },
            // Sent, or perhaps sent: a timeout or a dropped connection.
            Err(err) if repeat_after_send && (err.is_timeout() || err.is_request()) => {
                Next::Retry {
                    result: Err(err),
                    wait: None,
                    uncertain: true,
                }
            }
            Err(err) => Next::Done(Err(err)),
        };
        let (result, wait, was_uncertain) = match next {
            Next::Done(result) => return result,
            Next::Retry {
                result,
                wait,
                uncertain,
            } => (result, wait, uncertain),
        };
        let Some(mut again) = spare else {
            return result;
        };
        let wait = match wait {
            Some(wait) if wait > policy.max_delay => return result,
            Some(wait) => wait,
            None => policy.backoff(attempt),
        };
        if let Some(deadline) = deadline {
            // The retry must end in time: its wait, then an attempt as long as this one was.
            if Instant::now() + wait + took >= deadline {
                if let Some(record) = record {
                    record.deadline_passed();
                }
                tracing::debug!(?wait, "no retry: it could not end before the deadline");
                return result;
            }
        }
        uncertain |= was_uncertain;
        drop(result);
        tracing::debug!(?wait, attempt, "retrying");
        tokio::time::sleep(wait).await;
        again
            .headers_mut()
            .insert("retry-attempt", HeaderValue::from(attempt));
        request = again;
        attempt += 1;
    }
}

/// Records an attempt's status and Graph's `request-id` on its span.
fn record_response(span: &tracing::Span, result: &reqwest::Result<reqwest::Response>) {
    match result {
        Ok(response) => {
            span.record("status", response.status().as_u16());
            if let Some(id) = response
                .headers()
                .get("request-id")
                .and_then(|v| v.to_str().ok())
            {
                span.record("request_id", id);
            }
        }
        Err(err) => {
            span.record("status", tracing::field::display(err));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        headers.insert(RETRY_AFTER, later.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(5)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(5));
        headers.insert(RETRY_AFTER, earlier.parse().unwrap());
        assert_eq!(retry_after(&headers, now), Some(Duration::ZERO));
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers, now), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("-1"));
        assert_eq!(retry_after(&headers, now), None);
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let policy = RetryPolicy::default()
            .initial_delay(Duration::from_millis(100))
            .max_delay(Duration::from_millis(350));
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = policy.backoff(2);
            assert!(second >= Duration::from_millis(100) && second <= Duration::from_millis(200));
            let capped = policy.backoff(40);
            assert!(capped <= Duration::from_millis(350));
        }
    }

    #[test]
    fn reject_and_idempotent_methods_are_repeatable() {
        assert!(repeatable(&Method::POST, "reject"));
        assert!(repeatable(&Method::POST, "app_calls_call_reject"));
        assert!(repeatable(&Method::DELETE, "delete_call"));
        assert!(!repeatable(&Method::POST, "create_call"));
    }
}
