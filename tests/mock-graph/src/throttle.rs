//! Graph under pressure: reject answered with `429 Too Many Requests` or `503 Service Unavailable`
//! and a `Retry-After` (seconds, or an HTTP date), for the next N requests and then for a fraction
//! of them, so a bot's retries can be seen. Set at start ([`Throttle`] in the config, the
//! `--throttle-*` flags) or at any time with `PUT /_sim/throttle`; `GET /_sim/throttle` shows the
//! setting and how many requests it refused.

use std::sync::Arc;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use msgraph_calls::runtime::{GraphError, GraphJson};
use serde::{Deserialize, Serialize};

use crate::Sim;

/// How `Retry-After` is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RetryAfterForm {
    /// Delta-seconds: `Retry-After: 2`.
    #[default]
    Seconds,
    /// An HTTP date that many seconds ahead: `Retry-After: Fri, 27 Nov 2026 14:00:02 GMT`.
    Date,
}

/// When reject is refused, and how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct Throttle {
    /// `429` or `503`.
    pub status: u16,
    /// Refuse the next this many reject requests.
    pub count: u32,
    /// Then refuse this fraction of reject requests, at random (0 to 1).
    pub fraction: f64,
    /// The `Retry-After` in seconds; `None` sends none.
    pub retry_after: Option<u64>,
    /// How `Retry-After` is written.
    pub retry_after_form: RetryAfterForm,
}

impl Default for Throttle {
    /// Nothing refused.
    fn default() -> Self {
        Self {
            status: 429,
            count: 0,
            fraction: 0.0,
            retry_after: Some(1),
            retry_after_form: RetryAfterForm::Seconds,
        }
    }
}

impl Throttle {
    /// Refuses statuses other than `429` and `503`, and fractions outside 0 to 1.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !matches!(self.status, 429 | 503) {
            return Err(format!("`status` must be 429 or 503, not {}", self.status));
        }
        if !(0.0..=1.0).contains(&self.fraction) {
            return Err(format!(
                "`fraction` must be within 0 and 1, not {}",
                self.fraction
            ));
        }
        Ok(())
    }
}

/// The throttle and what it has done.
#[derive(Debug, Default)]
pub(crate) struct Throttling {
    state: Mutex<(Throttle, u64)>,
}

/// `GET /_sim/throttle`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Shown {
    #[serde(flatten)]
    throttle: Throttle,
    /// How many reject requests were refused so far.
    refused: u64,
}

impl Throttling {
    pub(crate) fn new(throttle: Throttle) -> Self {
        Self {
            state: Mutex::new((throttle, 0)),
        }
    }

    /// The refusal for the request that comes now, if it is refused.
    fn refusal(&self) -> Option<(u16, Option<u64>, RetryAfterForm)> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (throttle, refused) = &mut *state;
        let refuse = if throttle.count > 0 {
            throttle.count -= 1;
            true
        } else {
            throttle.fraction > 0.0 && random_unit() < throttle.fraction
        };
        if !refuse {
            return None;
        }
        *refused += 1;
        Some((
            throttle.status,
            throttle.retry_after,
            throttle.retry_after_form,
        ))
    }
}

/// A random number in `[0, 1)`.
fn random_unit() -> f64 {
    let random = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    random as f64 / (1u64 << 53) as f64
}

/// Whether `request` is a reject, on any of its paths.
fn is_reject(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == Method::POST
        && (path.ends_with("/reject") || path.ends_with("/microsoft.graph.reject"))
}

/// The middleware in front of the Graph API: answers a refused reject as Graph does, with its
/// `request-id` and the caller's `client-request-id`, before the service sees it.
pub(crate) async fn middleware(
    State(sim): State<Arc<Sim>>,
    request: Request,
    next: Next,
) -> Response {
    if !is_reject(&request) {
        return next.run(request).await;
    }
    let Some((status, retry_after, form)) = sim.throttling.refusal() else {
        return next.run(request).await;
    };
    let client_request_id = request.headers().get("client-request-id").cloned();
    let (code, message) = if status == 429 {
        (StatusCode::TOO_MANY_REQUESTS, "TooManyRequests")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable")
    };
    tracing::info!(status, ?retry_after, "reject throttled");
    let mut response = GraphError::new(
        code,
        message,
        "the simulator throttles reject; retry after the time given",
    )
    .into_response();
    let headers = response.headers_mut();
    if let Some(seconds) = retry_after {
        let value = match form {
            RetryAfterForm::Seconds => seconds.to_string(),
            RetryAfterForm::Date => httpdate_after(Duration::from_secs(seconds)),
        };
        if let Ok(value) = HeaderValue::try_from(value) {
            headers.insert("retry-after", value);
        }
    }
    if let Ok(id) = HeaderValue::try_from(uuid::Uuid::new_v4().to_string()) {
        headers.insert("request-id", id);
    }
    if let Some(id) = client_request_id {
        headers.insert("client-request-id", id);
    }
    response
}

/// The HTTP date `wait` from now, rounded up to a whole second so that the wait is at least
/// `wait`.
fn httpdate_after(wait: Duration) -> String {
    httpdate::fmt_http_date(SystemTime::now() + wait + Duration::from_millis(999))
}

/// The control routes: `GET` and `PUT /_sim/throttle`.
pub(crate) fn router(sim: Arc<Sim>) -> axum::Router {
    axum::Router::new()
        .route("/_sim/throttle", get(show).put(set))
        .with_state(sim)
}

async fn show(State(sim): State<Arc<Sim>>) -> Response {
    let state = sim
        .throttling
        .state
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let shown = Shown {
        throttle: state.0.clone(),
        refused: state.1,
    };
    axum::Json(shown).into_response()
}

async fn set(
    State(sim): State<Arc<Sim>>,
    throttle: Result<GraphJson<Throttle>, GraphError>,
) -> Response {
    let throttle = match throttle {
        Ok(GraphJson(throttle)) => throttle,
        Err(err) => return err.into_response(),
    };
    if let Err(problem) = throttle.check() {
        return GraphError::bad_request(problem).into_response();
    }
    let mut state = sim
        .throttling
        .state
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    state.0 = throttle.clone();
    axum::Json(throttle).into_response()
}
