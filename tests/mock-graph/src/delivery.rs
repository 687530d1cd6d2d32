//! Delivering notifications as Graph does. A call's notifications go out in the order they were
//! queued, on one task per call while it has any to send. A delivery keeps one message id
//! (`X-Microsoft-Skype-Message-ID`) through all its attempts; every attempt carries the tenant's
//! current token (`tokens`: reused until shortly before it expires, as Graph does), and refused
//! connections, timeouts and 5xx are retried a bounded number of times with exponential backoff;
//! at most [`MAX_ATTEMPTS_IN_FLIGHT`] attempts are under way at once. Redirects are followed only
//! to targets the simulator may post to at all (`https`, or `http` on loopback when allowed), at
//! most [`MAX_REDIRECTS`] in a row; a refused one fails the delivery. A call's first notification
//! may go in the legacy format first, and again in the Graph protocol when the bot answers `204 No
//! Content`. Faults, when configured, duplicate, hold back or delay deliveries. Every attempt is
//! recorded; nothing here blocks the API.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use msgraph_calls::runtime::server::is_http_loopback;
use msgraph_calls::types::{
    Call, ChangeType, CommsNotification, CommsNotificationResourceData, CommsNotifications,
};
use serde_json::{Value, json};

use crate::Sim;
use crate::state::{Call as SimCall, DeliveryRecord, Protocol};

/// The `User-Agent` of Graph's deliveries.
const USER_AGENT: &str = "Microsoft-Skype/3.0,(Calling/1.0)";

/// How many delivery attempts are in flight at once, across all calls. Graph spreads its deliveries
/// over many machines; one simulator process bounds them so that a burst of calls reuses a few
/// hundred kept-alive connections instead of opening one per call (beyond a bot's accept backlog,
/// a connection waits a second for its SYN to be sent again).
pub(crate) const MAX_ATTEMPTS_IN_FLIGHT: usize = 256;

/// How many redirects in a row one attempt follows.
pub(crate) const MAX_REDIRECTS: usize = 3;

/// Whether the simulator may post to `url`: `https`, or `http` on loopback when `allow_http`.
pub(crate) fn may_post_to(url: &reqwest::Url, allow_http: bool) -> bool {
    url.scheme() == "https" || (allow_http && is_http_loopback(url.as_str()))
}

/// A redirect the simulator did not follow.
#[derive(Debug)]
struct RefusedRedirect {
    target: String,
    reason: String,
}

impl std::fmt::Display for RefusedRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "redirect to `{}` refused: {}", self.target, self.reason)
    }
}

impl std::error::Error for RefusedRedirect {}

/// The redirects deliveries follow: to targets that pass the rule callbacks pass, at most
/// [`MAX_REDIRECTS`] in a row. The rule is checked before anything is sent to the target. The
/// client's own rules apply to what is followed: `307` and `308` repeat the POST with its body,
/// while `301`, `302` and `303` become a `GET` without one; `Authorization` goes only to the same
/// origin.
pub(crate) fn redirect_policy(allow_http: bool) -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(move |attempt| {
        let target = attempt.url().to_string();
        if attempt.previous().len() > MAX_REDIRECTS {
            let reason = format!("more than {MAX_REDIRECTS} redirects in a row");
            attempt.error(RefusedRedirect { target, reason })
        } else if may_post_to(attempt.url(), allow_http) {
            attempt.follow()
        } else {
            let reason = if allow_http {
                "only https targets, or http on loopback, are followed"
            } else {
                "only https targets are followed"
            };
            let reason = reason.to_owned();
            attempt.error(RefusedRedirect { target, reason })
        }
    })
}

/// The refused redirect behind a failed request, if that is why it failed.
fn refused_redirect(err: &reqwest::Error) -> Option<&RefusedRedirect> {
    let mut source = std::error::Error::source(err);
    while let Some(err) = source {
        if let Some(refused) = err.downcast_ref::<RefusedRedirect>() {
            return Some(refused);
        }
        source = err.source();
    }
    None
}

/// How one attempt ended.
enum Outcome {
    /// The bot answered with `status`, at `url` (after redirects).
    Answered { status: u16, url: reqwest::Url },
    /// No answer came: `error` says why; `refused` names a refused redirect target.
    Failed {
        error: String,
        refused: Option<String>,
    },
}

/// The notification body for one change of a call.
pub(crate) fn envelope(change: ChangeType, call_id: &str, resource: Call) -> Value {
    let notification = CommsNotification {
        odata_type: Some("#microsoft.graph.commsNotification".to_owned()),
        change_type: Some(change),
        resource_url: Some(format!("/communications/calls/{call_id}")),
        resource_data: Some(CommsNotificationResourceData::Call(Box::new(resource))),
        additional_properties: Default::default(),
    };
    let body = CommsNotifications {
        odata_type: Some("#microsoft.graph.commsNotifications".to_owned()),
        value: Some(vec![notification]),
        additional_properties: Default::default(),
    };
    serde_json::to_value(&body).unwrap_or_default()
}

/// The minimal call a `deleted` notification carries.
pub(crate) fn deleted_call(call_id: &str) -> Call {
    let mut call = Call::default();
    call.additional_properties
        .insert("@odata.type".to_owned(), "#microsoft.graph.call".into());
    call.additional_properties.insert(
        "@odata.id".to_owned(),
        format!("/communications/calls/{call_id}").into(),
    );
    call
}

/// One delivery: a body, its destination and its message id.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    call_id: String,
    /// The delivery's record among the call's.
    index: usize,
    url: String,
    tenant_id: String,
    scenario_id: String,
    message_id: String,
    body: Bytes,
    /// For a legacy first notification: the same in the Graph protocol, to send after a `204`.
    graph_body: Option<Value>,
    /// The wait before it is sent.
    delay: Duration,
}

/// A property of the first notification in `body`, as text.
fn first(body: &Value, property: &str) -> Option<String> {
    body["value"][0][property].as_str().map(str::to_owned)
}

/// `body` in the legacy format of a call's first notification: each notification names its
/// resource by its `/app` path in `resource` and carries the subscription it came from, and the
/// body has no `@odata.type`.
fn legacy(sim: &Sim, tenant_id: &str, body: &Value) -> Value {
    let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
    let expires = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let notifications: Vec<Value> = body["value"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|notification| {
            let resource = notification["resourceUrl"]
                .as_str()
                .map(|url| url.replacen("/communications/", "/app/", 1));
            json!({
                "subscriptionId": sim.subscription_id,
                "subscriptionExpirationDateTime": expires,
                "changeType": notification["changeType"],
                "resource": resource,
                "resourceData": notification["resourceData"],
                "tenantId": tenant_id,
            })
        })
        .collect();
    json!({ "value": notifications })
}

/// Records a new delivery of `body` to `url` for `call` and returns it, ready to send.
fn record(call_id: &str, call: &mut SimCall, url: String, body: Value, protocol: Protocol) -> Job {
    let message_id = uuid::Uuid::new_v4().to_string();
    let bytes = Bytes::from(serde_json::to_vec(&body).unwrap_or_default());
    let resource_url = match protocol {
        Protocol::Graph => first(&body, "resourceUrl"),
        Protocol::Legacy => first(&body, "resource"),
    };
    call.deliveries.push(DeliveryRecord {
        change_type: first(&body, "changeType").unwrap_or_default(),
        resource_url,
        protocol,
        message_id: message_id.clone(),
        faults: Vec::new(),
        url: url.clone(),
        redirected_to: None,
        refused_redirect: None,
        attempts: Vec::new(),
        status: None,
        error: None,
        done: false,
        payload: body,
    });
    Job {
        call_id: call_id.to_owned(),
        index: call.deliveries.len() - 1,
        url,
        tenant_id: call.tenant_id.clone(),
        scenario_id: call.scenario_id.clone(),
        message_id,
        body: bytes,
        graph_body: None,
        delay: Duration::ZERO,
    }
}

/// Marks the delivery `job` of `call` with `fault`.
fn mark(call: &mut SimCall, job: &Job, fault: &'static str) {
    if let Some(record) = call.deliveries.get_mut(job.index) {
        record.faults.push(fault);
    }
}

/// A second send of `job` under its message id, recorded as a delivery of its own.
fn duplicate(call: &mut SimCall, job: &Job) -> Job {
    let mut record = call.deliveries[job.index].clone();
    record.faults.push("duplicate");
    call.deliveries.push(record);
    Job {
        index: call.deliveries.len() - 1,
        // One resend in the Graph protocol per notification, even if both copies get a 204.
        graph_body: None,
        ..job.clone()
    }
}

/// A random wait of at most `most`.
fn random_up_to(most: Duration) -> Duration {
    let nanos = u64::try_from(most.as_nanos()).unwrap_or(u64::MAX);
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    Duration::from_nanos(random % nanos.saturating_add(1))
}

/// Queues `body` for the call `call_id`, to go to `url` (where the call's notifications go if
/// `None`) after the call's earlier notifications, with the faults the simulator injects. The call's
/// first notification goes in the legacy format first when the simulator is so configured. Returns
/// the delivery's message id, or `None` if there is no such call.
pub(crate) fn enqueue(
    sim: &Arc<Sim>,
    call_id: &str,
    url: Option<String>,
    body: Value,
) -> Option<String> {
    let faults = &sim.config.faults;
    let count = sim.queued.fetch_add(1, Ordering::Relaxed) + 1;
    let every = |n: u32| n > 0 && count.is_multiple_of(u64::from(n));
    let (message_id, held, start) = sim.calls.with(|calls| {
        let call = calls.get_mut(call_id)?;
        let url = url.unwrap_or_else(|| call.callback.clone());
        let is_first = !std::mem::replace(&mut call.notified, true);
        let mut job = if is_first && sim.config.legacy_first_notification {
            let legacy = legacy(sim, &call.tenant_id, &body);
            Job {
                graph_body: Some(body),
                ..record(call_id, call, url, legacy, Protocol::Legacy)
            }
        } else {
            record(call_id, call, url, body, Protocol::Graph)
        };
        job.delay = faults.delay + random_up_to(faults.jitter);
        if !job.delay.is_zero() {
            mark(call, &job, "delayed");
        }
        let message_id = job.message_id.clone();
        let mut jobs = vec![job];
        if every(faults.duplicate_every) {
            jobs.push(duplicate(call, &jobs[0]));
        }
        let hold = every(faults.reorder_every) && call.queue.held.is_empty();
        if hold {
            for job in &jobs {
                mark(call, job, "heldBack");
            }
            call.queue.held = jobs;
        } else {
            let held = std::mem::take(&mut call.queue.held);
            call.queue.jobs.extend(jobs);
            call.queue.jobs.extend(held);
        }
        let start = !call.queue.jobs.is_empty() && !call.queue.running;
        call.queue.running |= start;
        Some((message_id, hold, start))
    })?;
    if start {
        sim.tasks.spawn(work(sim.clone(), call_id.to_owned()));
    }
    if held {
        let (sim, call_id, message_id) = (sim.clone(), call_id.to_owned(), message_id.clone());
        let tasks = sim.tasks.clone();
        tasks.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(sim.config.faults.hold) => {}
                () = sim.stopping.cancelled() => {}
            }
            release(&sim, &call_id, &message_id);
        });
    }
    Some(message_id)
}

/// Sends the held-back delivery `message_id` of the call now, if it is still held back.
fn release(sim: &Arc<Sim>, call_id: &str, message_id: &str) {
    let start = sim.calls.with(|calls| {
        let queue = &mut calls.get_mut(call_id)?.queue;
        if queue.held.first().map(|job| job.message_id.as_str()) != Some(message_id) {
            return None;
        }
        queue.jobs.extend(std::mem::take(&mut queue.held));
        Some(!std::mem::replace(&mut queue.running, true))
    });
    if start == Some(true) {
        sim.tasks.spawn(work(sim.clone(), call_id.to_owned()));
    }
}

/// Sends the call's queued deliveries one after another until none is left.
async fn work(sim: Arc<Sim>, call_id: String) {
    loop {
        let job = sim.calls.with(|calls| {
            let queue = &mut calls.get_mut(&call_id)?.queue;
            let job = queue.jobs.pop_front();
            queue.running = job.is_some();
            job
        });
        let Some(job) = job else {
            return;
        };
        if !job.delay.is_zero() {
            tokio::time::sleep(job.delay).await;
        }
        let status = deliver(&sim, &job).await;
        // A bot that answers a legacy notification with 204 asks for the Graph protocol.
        if let (Some(204), Some(body)) = (status, job.graph_body) {
            let again = sim.calls.with(|calls| {
                let call = calls.get_mut(&call_id)?;
                Some(record(&call_id, call, job.url, body, Protocol::Graph))
            });
            if let Some(again) = again {
                deliver(&sim, &again).await;
            }
        }
    }
}

/// Posts one delivery, retrying as Graph does, records every attempt, and returns the status of the
/// last.
async fn deliver(sim: &Sim, job: &Job) -> Option<u16> {
    let config = &sim.config;
    let mut backoff = config.retry_backoff;
    for attempt in 1..=config.delivery_attempts.max(1) {
        // Never closed, so it always grants a permit; the wait is what bounds the attempts.
        let permit = sim.attempts_in_flight.acquire().await;
        let outcome = match sim.token(&job.tenant_id) {
            Ok(token) => match sim
                .http
                .post(&job.url)
                .bearer_auth(token)
                .header("content-type", "application/json")
                .header("user-agent", USER_AGENT)
                .header("x-microsoft-skype-chain-id", &job.call_id)
                .header("x-microsoft-skype-message-id", &job.message_id)
                .header("scenario-id", &job.scenario_id)
                .body(job.body.clone())
                .send()
                .await
            {
                Ok(response) => Outcome::Answered {
                    status: response.status().as_u16(),
                    url: response.url().clone(),
                },
                Err(err) => match refused_redirect(&err) {
                    Some(refused) => Outcome::Failed {
                        error: refused.to_string(),
                        refused: Some(refused.target.clone()),
                    },
                    None => Outcome::Failed {
                        error: err.to_string(),
                        refused: None,
                    },
                },
            },
            Err(error) => Outcome::Failed {
                error,
                refused: None,
            },
        };
        let (status, error, refused, redirected_to) = match outcome {
            Outcome::Answered { status, url } => (
                Some(status),
                None,
                None,
                (url.as_str() != job.url).then(|| url.to_string()),
            ),
            Outcome::Failed { error, refused } => (None, Some(error), refused, None),
        };
        drop(permit);
        let retry = match status {
            Some(status) => status >= 500,
            None => refused.is_none(),
        } && attempt < config.delivery_attempts;
        tracing::info!(
            call_id = job.call_id,
            url = job.url,
            message_id = job.message_id,
            attempt,
            ?status,
            error = error.as_deref(),
            "notification delivery"
        );
        sim.calls.with(|calls| {
            if let Some(record) = calls
                .get_mut(&job.call_id)
                .and_then(|c| c.deliveries.get_mut(job.index))
            {
                record.attempts.push(status);
                record.status = status;
                record.error = error.clone();
                record.redirected_to = redirected_to.clone();
                record.refused_redirect = refused.clone();
                record.done = !retry;
            }
        });
        if !retry {
            return status;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
    None
}
