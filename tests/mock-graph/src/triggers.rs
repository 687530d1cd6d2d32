//! The control API's triggers of what else Graph posts to a calling bot about a call: roster updates
//! (`/communications/calls/{id}/participants`), operation results
//! (`/communications/calls/{id}/operations/{op-id}`) and raw notifications of any shape. Each is
//! signed and delivered like the call's own notifications, after them, to where the call's
//! notifications go; it works for every call the simulator still holds, terminated ones included.
//! The bodies are built as JSON: the generated types do not describe rosters or operations.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use msgraph_calls::runtime::{GraphError, GraphJson};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::control::{CallId, call_not_found};
use crate::{Sim, delivery};

/// The most participants one generated roster update carries.
const MAX_PARTICIPANTS: usize = 10_000;

/// Display names of generated participants, all beyond ASCII, as real rosters are.
const NAMES: [&str; 8] = [
    "Zoë Ångström",
    "Łukasz Żółkiewski",
    "中村 美咲",
    "Σωκράτης Παπαδόπουλος",
    "Ольга Смирнова",
    "محمد العلي",
    "Nguyễn Thị Hương",
    "Ana María Muñoz 🎧",
];

/// The operations Graph reports on, by their `@odata.type` without the namespace.
const OPERATIONS: [&str; 8] = [
    "playPromptOperation",
    "recordOperation",
    "subscribeToToneOperation",
    "muteParticipantOperation",
    "inviteParticipantsOperation",
    "cancelMediaProcessingOperation",
    "updateRecordingStatusOperation",
    "commsOperation",
];

/// The statuses of an operation.
const STATUSES: [&str; 5] = [
    "notStarted",
    "running",
    "completed",
    "failed",
    "unknownFutureValue",
];

/// The change types of a notification.
const CHANGE_TYPES: [&str; 3] = ["created", "updated", "deleted"];

pub(crate) fn router(sim: Arc<Sim>) -> axum::Router {
    axum::Router::new()
        .route("/_sim/calls/{id}/participants", post(roster))
        .route("/_sim/calls/{id}/operations", post(operation))
        .route("/_sim/calls/{id}/notifications", post(raw))
        .method_not_allowed_fallback(|| async { GraphError::method_not_allowed() })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(sim)
}

/// The body of `POST /_sim/calls/{id}/participants`. Without `participants` or `count`, the roster
/// is the caller and the bot.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RosterUpdate {
    /// `created`, `updated` (the default) or `deleted`.
    change_type: Option<String>,
    /// The participants, sent as they are.
    participants: Option<Vec<Map<String, Value>>>,
    /// How many participants to generate, with names beyond ASCII.
    count: Option<usize>,
    /// The display name of generated participants, before their number.
    display_name: Option<String>,
}

/// The body of `POST /_sim/calls/{id}/operations`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct OperationUpdate {
    /// The operation's type, such as `playPromptOperation` (the namespace may be given).
    #[serde(rename = "type")]
    kind: String,
    /// The operation's id; a new one by default.
    id: Option<String>,
    /// `completed` by default.
    status: Option<String>,
    /// A new id by default.
    client_context: Option<String>,
    /// A success for `completed`, a failure for `failed`, none otherwise, by default.
    result_info: Option<ResultInfo>,
    /// `deleted` for a finished operation, `updated` otherwise, by default (as Graph reports them).
    change_type: Option<String>,
    /// Properties of the operation's type, added to (or replacing) the defaults of the type.
    properties: Option<Map<String, Value>>,
}

/// An operation's result.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ResultInfo {
    code: i64,
    subcode: Option<i64>,
    message: Option<String>,
}

/// The answer to a trigger: the delivery's message id and the notification's resource.
fn accepted(message_id: String, resource_url: Option<String>) -> Response {
    (
        StatusCode::ACCEPTED,
        GraphJson(json!({ "messageId": message_id, "resourceUrl": resource_url })),
    )
        .into_response()
}

/// A body of one Graph-protocol notification.
fn notification(change_type: &str, resource_url: &str, resource_data: Value) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.commsNotifications",
        "value": [{
            "@odata.type": "#microsoft.graph.commsNotification",
            "changeType": change_type,
            "resourceUrl": resource_url,
            "resourceData": resource_data,
        }],
    })
}

fn change_type(given: Option<String>, default: &str) -> Result<String, GraphError> {
    let change = given.unwrap_or_else(|| default.to_owned());
    if CHANGE_TYPES.contains(&change.as_str()) {
        Ok(change)
    } else {
        Err(GraphError::bad_request(format!(
            "`changeType` must be one of {}; got `{change}`",
            CHANGE_TYPES.join(", ")
        )))
    }
}

/// Queues `body` for the call and answers with its message id.
fn send(sim: &Arc<Sim>, id: &str, body: Value) -> Response {
    let resource_url = body["value"][0]["resourceUrl"].as_str().map(str::to_owned);
    match delivery::enqueue(sim, id, None, body) {
        Some(message_id) => accepted(message_id, resource_url),
        None => call_not_found().into_response(),
    }
}

/// An `identitySet` of a user.
fn user(id: &str, display_name: &str, tenant_id: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.identitySet",
        "user": {
            "@odata.type": "#microsoft.graph.identity",
            "id": id,
            "displayName": display_name,
            "tenantId": tenant_id,
        },
    })
}

/// A participant of a roster with `identity`, in the roster of `sequence`.
fn participant(identity: Value, source_id: usize, sequence: u64) -> Value {
    let id = uuid::Uuid::new_v4().to_string();
    json!({
        "@odata.type": "#microsoft.graph.participant",
        "id": id,
        "info": {
            "@odata.type": "#microsoft.graph.participantInfo",
            "identity": identity,
            "endpointType": "default",
            "participantId": id,
            "region": "westus",
            "languageId": "en-US",
        },
        "mediaStreams": [{
            "@odata.type": "#microsoft.graph.mediaStream",
            "mediaType": "audio",
            "label": "main-audio",
            "sourceId": source_id.to_string(),
            "direction": "sendReceive",
            "serverMuted": false,
        }],
        "isMuted": false,
        "isInLobby": false,
        "metadata": "eyJyb2xlIjoiYXR0ZW5kZWUifQ==",
        "rosterSequenceNumber": sequence,
    })
}

async fn roster(
    State(sim): State<Arc<Sim>>,
    id: CallId,
    update: Result<GraphJson<RosterUpdate>, GraphError>,
) -> Response {
    let Ok(Path(id)) = id else {
        return call_not_found().into_response();
    };
    let update = match update {
        Ok(GraphJson(update)) => update,
        Err(err) => return err.into_response(),
    };
    let change = match change_type(update.change_type, "updated") {
        Ok(change) => change,
        Err(err) => return err.into_response(),
    };
    match (&update.participants, update.count) {
        (Some(_), Some(_)) => {
            return GraphError::bad_request("give `participants` or `count`, not both")
                .into_response();
        }
        (None, Some(count)) if count > MAX_PARTICIPANTS => {
            return GraphError::bad_request(format!(
                "`count` is at most {MAX_PARTICIPANTS}; got {count}"
            ))
            .into_response();
        }
        _ => {}
    }
    let Some((sequence, caller, tenant_id)) = sim.calls.with(|calls| {
        let call = calls.get_mut(&id)?;
        call.roster_sequence += 1;
        Some((
            call.roster_sequence,
            call.caller.clone(),
            call.tenant_id.clone(),
        ))
    }) else {
        return call_not_found().into_response();
    };
    let participants: Vec<Value> = match (update.participants, update.count) {
        (Some(given), _) => given.into_iter().map(Value::Object).collect(),
        (None, Some(count)) => (1..=count)
            .map(|n| {
                let name = match &update.display_name {
                    Some(name) => format!("{name} {n}"),
                    None => format!("{} {n}", NAMES[n % NAMES.len()]),
                };
                let identity = user(&uuid::Uuid::new_v4().to_string(), &name, &tenant_id);
                participant(identity, n, sequence)
            })
            .collect(),
        (None, None) => {
            let bot = json!({
                "@odata.type": "#microsoft.graph.identitySet",
                "application": {
                    "@odata.type": "#microsoft.graph.identity",
                    "id": sim.config.app_id,
                    "displayName": "Calling Bot",
                },
            });
            vec![
                participant(caller, 1, sequence),
                participant(bot, 2, sequence),
            ]
        }
    };
    let resource_url = format!("/communications/calls/{id}/participants");
    let body = notification(&change, &resource_url, Value::Array(participants));
    send(&sim, &id, body)
}

/// The properties an operation of type `kind` carries besides those of every operation.
fn specifics(kind: &str, operation_id: &str, tenant_id: &str) -> Map<String, Value> {
    let properties = match kind {
        "playPromptOperation" => json!({ "completionReason": "completedSuccessfully" }),
        "recordOperation" => json!({
            "completionReason": "stopToneDetected",
            "recordingLocation": format!("https://recordings.example.invalid/{operation_id}"),
            "recordingAccessToken": uuid::Uuid::new_v4().simple().to_string(),
        }),
        "inviteParticipantsOperation" => json!({
            "participants": [{
                "@odata.type": "#microsoft.graph.invitationParticipantInfo",
                "identity": user(&uuid::Uuid::new_v4().to_string(), NAMES[0], tenant_id),
            }],
        }),
        _ => json!({}),
    };
    match properties {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn operation(
    State(sim): State<Arc<Sim>>,
    id: CallId,
    update: Result<GraphJson<OperationUpdate>, GraphError>,
) -> Response {
    let Ok(Path(id)) = id else {
        return call_not_found().into_response();
    };
    let update = match update {
        Ok(GraphJson(update)) => update,
        Err(err) => return err.into_response(),
    };
    let kind = update
        .kind
        .strip_prefix("#microsoft.graph.")
        .unwrap_or(&update.kind)
        .to_owned();
    if !OPERATIONS.contains(&kind.as_str()) {
        return GraphError::bad_request(format!(
            "`type` must be one of {}; got `{}` (post other shapes to /_sim/calls/{{id}}/notifications)",
            OPERATIONS.join(", "),
            update.kind
        ))
        .into_response();
    }
    let status = update.status.unwrap_or_else(|| "completed".to_owned());
    if !STATUSES.contains(&status.as_str()) {
        return GraphError::bad_request(format!(
            "`status` must be one of {}; got `{status}`",
            STATUSES.join(", ")
        ))
        .into_response();
    }
    let finished = status == "completed" || status == "failed";
    let change = match change_type(
        update.change_type,
        if finished { "deleted" } else { "updated" },
    ) {
        Ok(change) => change,
        Err(err) => return err.into_response(),
    };
    let Some(tenant_id) = sim
        .calls
        .with(|calls| calls.get(&id).map(|call| call.tenant_id.clone()))
    else {
        return call_not_found().into_response();
    };
    let operation_id = update
        .id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let result_info = update.result_info.or_else(|| match status.as_str() {
        "completed" => Some(ResultInfo {
            code: 200,
            subcode: Some(0),
            message: Some("Action completed successfully.".to_owned()),
        }),
        "failed" => Some(ResultInfo {
            code: 500,
            subcode: Some(8500),
            message: Some("Action failed.".to_owned()),
        }),
        _ => None,
    });
    let resource_url = format!("/communications/calls/{id}/operations/{operation_id}");
    let mut data = json!({
        "@odata.type": format!("#microsoft.graph.{kind}"),
        "@odata.id": resource_url,
        "id": operation_id,
        "status": status,
        "clientContext": update
            .client_context
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
    });
    if let Some(info) = result_info {
        data["resultInfo"] = json!({
            "@odata.type": "#microsoft.graph.resultInfo",
            "code": info.code,
            "subcode": info.subcode,
            "message": info.message,
        });
    }
    let mut properties = specifics(&kind, &operation_id, &tenant_id);
    properties.extend(update.properties.unwrap_or_default());
    if let Value::Object(map) = &mut data {
        map.extend(properties);
    }
    send(&sim, &id, notification(&change, &resource_url, data))
}

async fn raw(
    State(sim): State<Arc<Sim>>,
    id: CallId,
    body: Result<GraphJson<Map<String, Value>>, GraphError>,
) -> Response {
    let Ok(Path(id)) = id else {
        return call_not_found().into_response();
    };
    match body {
        Ok(GraphJson(body)) => send(&sim, &id, Value::Object(body)),
        Err(err) => err.into_response(),
    }
}
