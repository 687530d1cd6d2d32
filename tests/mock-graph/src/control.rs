//! The control API under `/_sim`: place an incoming call, inspect a call and the notifications
//! delivered for it, answer a call, count the calls held (`/_sim/stats`, for load runs), publish
//! the signing keys, and hand out a notification token. The triggers of a call's other
//! notifications are in `triggers`.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::runtime::{AdditionalProperties, GraphError, GraphJson};
use msgraph_calls::types::{
    Call, CallDirection, ChangeType, ChatInfo, Identity, IdentitySet, InvitationParticipantInfo,
    MeetingInfo, Modality, ParticipantInfo,
};
use serde::Deserialize;

use crate::state::{self, CallState};
use crate::{Sim, delivery};

/// The body of `POST /_sim/calls`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PlaceCall {
    callback_uri: String,
    source: Option<ParticipantInfo>,
    targets: Option<Vec<InvitationParticipantInfo>>,
    requested_modalities: Option<Vec<Modality>>,
    chat_info: Option<ChatInfo>,
    meeting_info: Option<MeetingInfo>,
    tenant_id: Option<String>,
}

pub(crate) fn router(sim: Arc<Sim>) -> axum::Router {
    axum::Router::new()
        .route("/_sim/calls", post(place_call))
        .route("/_sim/calls/{id}", get(show_call))
        .route("/_sim/calls/{id}/answer", post(answer_call))
        .route("/_sim/stats", get(stats))
        .route("/_sim/jwks", get(jwks))
        .route("/_sim/token", get(token))
        .method_not_allowed_fallback(|| async { GraphError::method_not_allowed() })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(sim)
}

/// Whether the simulator may post to `url`: `https`, or `http` on loopback when allowed.
pub(crate) fn callback_allowed(sim: &Sim, url: &str) -> Result<(), GraphError> {
    let parsed = reqwest::Url::parse(url).map_err(|err| {
        GraphError::bad_request(format!("`callbackUri` is not a URL ({err}): `{url}`"))
    })?;
    if delivery::may_post_to(&parsed, sim.config.allow_http_callbacks) {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "`callbackUri` must be https, as Graph requires; got `{url}` (start with --allow-http-callbacks to allow http on loopback)"
    )))
}

fn identity(display_name: &str, id: &str) -> Identity {
    Identity {
        display_name: Some(display_name.to_owned()),
        id: Some(id.to_owned()),
        ..Default::default()
    }
}

fn located<T>(mut value: T, extras: impl FnOnce(&mut T) -> &mut AdditionalProperties) -> T {
    let map = extras(&mut value);
    map.insert("region".to_owned(), "westus".into());
    map.insert("languageId".to_owned(), "en-US".into());
    value
}

async fn place_call(
    State(sim): State<Arc<Sim>>,
    placed: Result<GraphJson<PlaceCall>, GraphError>,
) -> Response {
    let placed = match placed {
        Ok(GraphJson(placed)) => placed,
        Err(err) => return err.into_response(),
    };
    if let Err(err) = callback_allowed(&sim, &placed.callback_uri) {
        return err.into_response();
    }
    let id = uuid::Uuid::new_v4().to_string();
    let tenant_id = placed
        .tenant_id
        .clone()
        .unwrap_or_else(|| sim.config.tenant_id.clone());
    let source = placed.source.unwrap_or_else(|| {
        let user = identity("Simulated caller", &uuid::Uuid::new_v4().to_string());
        located(
            ParticipantInfo {
                identity: Some(IdentitySet {
                    user: Some(user),
                    ..Default::default()
                }),
                region: Some("westus".to_owned()),
                language_id: Some("en-US".to_owned()),
                ..Default::default()
            },
            |p| &mut p.additional_properties,
        )
    });
    let source = ParticipantInfo {
        additional_properties: strip_location(source.additional_properties),
        ..source
    };
    let caller = serde_json::to_value(&source.identity).unwrap_or_default();
    let targets = placed.targets.unwrap_or_else(|| {
        let bot = identity("Calling Bot", &sim.config.app_id);
        vec![located(
            InvitationParticipantInfo {
                identity: Some(IdentitySet {
                    application: Some(bot),
                    ..Default::default()
                }),
                ..Default::default()
            },
            |t| &mut t.additional_properties,
        )]
    });
    let mut call = Call {
        state: Some(msgraph_calls::types::CallState::Incoming),
        direction: Some(CallDirection::Incoming),
        source: Some(source),
        targets: Some(targets),
        requested_modalities: Some(
            placed
                .requested_modalities
                .unwrap_or_else(|| vec![Modality::Audio]),
        ),
        chat_info: placed.chat_info,
        meeting_info: placed.meeting_info,
        tenant_id: Some(tenant_id.clone()),
        ..Default::default()
    };
    // The official `call` declares no `@odata.type`; Graph sends one, kept as an extra property.
    call.additional_properties
        .insert("@odata.type".to_owned(), "#microsoft.graph.call".into());
    call.additional_properties.insert(
        "@odata.id".to_owned(),
        format!("/communications/calls/{id}").into(),
    );
    sim.calls.with(|calls| {
        calls.insert(
            id.clone(),
            state::Call {
                state: CallState::Incoming,
                reject_reason: None,
                callback: placed.callback_uri.clone(),
                tenant_id,
                scenario_id: uuid::Uuid::new_v4().to_string(),
                caller,
                roster_sequence: 0,
                notified: false,
                rang_at: Instant::now(),
                rejected_at: None,
                deliveries: Vec::new(),
                queue: Default::default(),
            },
        );
    });
    sim.stats.placed();
    tracing::info!(call_id = %id, webhook = %placed.callback_uri, "incoming call placed");
    delivery::enqueue(
        &sim,
        &id,
        None,
        delivery::envelope(ChangeType::Created, &id, call),
    );
    spawn_ring_timeout(sim, id.clone());
    (
        StatusCode::CREATED,
        GraphJson(serde_json::json!({ "id": id })),
    )
        .into_response()
}

/// The documented shape keeps `region` and `languageId` as properties of the participant itself.
fn strip_location(map: AdditionalProperties) -> AdditionalProperties {
    map.into_iter()
        .filter(|(k, _)| k != "region" && k != "languageId")
        .collect()
}

/// Ends the call when its ring window passes unanswered, and tells the bot.
fn spawn_ring_timeout(sim: Arc<Sim>, id: String) {
    tokio::spawn(async move {
        tokio::time::sleep(sim.config.ring_timeout).await;
        let rang_out = sim.calls.with(|calls| {
            let call = calls.get_mut(&id)?;
            (call.state == CallState::Incoming).then(|| call.state = CallState::Terminated)
        });
        if rang_out.is_some() {
            tracing::info!(call_id = %id, "the call rang out unanswered");
            delivery::enqueue(
                &sim,
                &id,
                None,
                delivery::envelope(ChangeType::Deleted, &id, delivery::deleted_call(&id)),
            );
            sim.free_later(id);
        }
    });
}

pub(crate) fn call_not_found() -> GraphError {
    GraphError::new(StatusCode::NOT_FOUND, "8522", "Call not found")
}

/// The call id of a `/_sim/calls/{id}` path, or the Graph-style answer to an unreadable one.
pub(crate) type CallId = Result<Path<String>, PathRejection>;

async fn show_call(State(sim): State<Arc<Sim>>, id: CallId) -> Response {
    let Ok(Path(id)) = id else {
        return call_not_found().into_response();
    };
    let shown = sim.calls.with(|calls| {
        calls.get(&id).map(|call| {
            serde_json::json!({
                "id": id,
                "state": call.state,
                "rejectReason": call.reject_reason,
                "rejectedAfterMs": rejected_after_ms(call),
                "notifications": call.deliveries,
            })
        })
    });
    match shown {
        Some(body) => GraphJson(body).into_response(),
        None => call_not_found().into_response(),
    }
}

/// The milliseconds from the call's placement to its reject, if the bot rejected it.
fn rejected_after_ms(call: &state::Call) -> Option<f64> {
    call.rejected_at
        .map(|at| at.duration_since(call.rang_at).as_secs_f64() * 1000.0)
}

/// `GET /_sim/stats`: the calls held by state (terminated ones count until they are freed, after
/// the retention period), and the calls placed and rejected since the start with the time from
/// placement to reject (see `stats`).
async fn stats(State(sim): State<Arc<Sim>>) -> Response {
    let (incoming, established, terminated) = sim.calls.with(|calls| {
        let mut counts = (0, 0, 0);
        for call in calls.values() {
            match call.state {
                CallState::Incoming => counts.0 += 1,
                CallState::Established => counts.1 += 1,
                CallState::Terminated => counts.2 += 1,
            }
        }
        counts
    });
    let mut body = sim.stats.to_json();
    body["held"] = (incoming + established + terminated).into();
    body["incoming"] = incoming.into();
    body["established"] = established.into();
    body["terminated"] = terminated.into();
    GraphJson(body).into_response()
}

async fn answer_call(State(sim): State<Arc<Sim>>, id: CallId) -> Response {
    let Ok(Path(id)) = id else {
        return call_not_found().into_response();
    };
    let ring_timeout = sim.config.ring_timeout;
    let outcome = sim.calls.with(|calls| match calls.get_mut(&id) {
        Some(call)
            if call.state == CallState::Incoming && call.rang_at.elapsed() <= ring_timeout =>
        {
            call.state = CallState::Established;
            Ok(())
        }
        Some(call) if call.state == CallState::Established => Err(GraphError::new(
            StatusCode::CONFLICT,
            "CallAlreadyAnswered",
            "the call was already answered",
        )),
        _ => Err(call_not_found()),
    });
    match outcome {
        Ok(()) => GraphJson(serde_json::json!({ "id": id, "state": CallState::Established }))
            .into_response(),
        Err(err) => err.into_response(),
    }
}

async fn jwks(State(sim): State<Arc<Sim>>) -> Response {
    GraphJson(SigningKey::jwks([&sim.key])).into_response()
}

/// How long a token from `GET /_sim/token` is valid.
const HANDED_OUT_TOKEN_LIFETIME: std::time::Duration = std::time::Duration::from_secs(3600);

/// `GET /_sim/token`: a notification token signed as deliveries are, for the configured bot and
/// tenant and valid for an hour, to post notifications to a bot by hand or from a test tool.
async fn token(State(sim): State<Arc<Sim>>) -> Response {
    let claims = SigningKey::graph_claims(
        &sim.config.app_id,
        &sim.config.tenant_id,
        HANDED_OUT_TOKEN_LIFETIME,
    );
    match sim.key.sign(&claims) {
        Ok(token) => GraphJson(serde_json::json!({
            "token": token,
            "expiresIn": HANDED_OUT_TOKEN_LIFETIME.as_secs(),
        }))
        .into_response(),
        Err(err) => GraphError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("the token could not be signed: {err}"),
        )
        .into_response(),
    }
}
