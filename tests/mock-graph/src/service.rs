//! The Graph side: the generated `CommunicationsActions` stub, implemented as the service behaves.
//! A reject within the ring window ends the call and tells the bot (`deleted`); an unknown, ended or
//! rung-out call is `404 Call not found`; an answered call is refused and goes on.

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode};
use msgraph_calls::runtime::GraphError;
use msgraph_calls::runtime::server::{Authenticator, BearerToken, DefaultStatus};
use msgraph_calls::server::{CommunicationsActions, CommunicationsActionsServer, RejectResponse};
use msgraph_calls::types::{ChangeType, ODataError, RejectRequestBody};

use crate::state::CallState;
use crate::{Sim, delivery};

struct Service(Arc<Sim>);

pub(crate) fn router(sim: Arc<Sim>) -> axum::Router {
    let allow_http = sim.config.allow_http_callbacks;
    let access_token = AccessToken(sim.config.access_token.clone());
    CommunicationsActionsServer::with_authenticator(Service(sim), access_token)
        .allow_http_loopback_urls(allow_http)
        .into_router()
}

/// Requires `Authorization: Bearer` with the configured access token, or with any non-empty token
/// when none is configured.
struct AccessToken(Option<String>);

impl Authenticator for AccessToken {
    type Identity = BearerToken;

    async fn authenticate(&self, headers: &HeaderMap) -> Result<BearerToken, GraphError> {
        let token = BearerToken::from_headers(headers)?;
        match &self.0 {
            Some(expected) if token.0 != *expected => Err(GraphError::unauthorized(
                "the access token is not the one this simulator was started with (--access-token)",
            )),
            _ => Ok(token),
        }
    }
}

fn refuse(error: GraphError) -> RejectResponse {
    let status = DefaultStatus::new(error.status.as_u16())
        .unwrap_or_else(|| DefaultStatus::new(400).expect("400 is not documented by reject"));
    match serde_json::from_value::<ODataError>(error.body()) {
        Ok(body) => RejectResponse::Default(status, body),
        Err(_) => RejectResponse::Default(
            status,
            ODataError {
                error: Default::default(),
                additional_properties: Default::default(),
            },
        ),
    }
}

impl CommunicationsActions for Service {
    type Identity = BearerToken;

    async fn reject(
        &self,
        _caller: BearerToken,
        call_id: String,
        body: RejectRequestBody,
    ) -> RejectResponse {
        let sim = &self.0;
        let reason = body
            .reason
            .map(|r| r.to_string())
            .unwrap_or_else(|| "none".to_owned());
        let ring_timeout = sim.config.ring_timeout;
        let outcome = sim.calls.with(|calls| match calls.get_mut(&call_id) {
            Some(call) if call.state == CallState::Incoming && call.rang_at.elapsed() <= ring_timeout => {
                call.state = CallState::Terminated;
                call.reject_reason = Some(reason.clone());
                let now = std::time::Instant::now();
                call.rejected_at = Some(now);
                sim.stats.rejected(now.duration_since(call.rang_at));
                if let Some(callback) = &body.callback_uri {
                    call.callback = callback.clone();
                }
                Ok(call.callback.clone())
            }
            Some(call) if call.state == CallState::Established => Err(GraphError::new(
                StatusCode::CONFLICT,
                "CallAlreadyAnswered",
                "the call was already answered; reject does not end answered calls, use delete call",
            )),
            _ => Err(GraphError::new(StatusCode::NOT_FOUND, "8522", "Call not found")),
        });
        match outcome {
            Ok(notify) => {
                tracing::info!(call_id, reason, notify, "call rejected");
                let deleted = delivery::envelope(
                    ChangeType::Deleted,
                    &call_id,
                    delivery::deleted_call(&call_id),
                );
                delivery::enqueue(sim, &call_id, Some(notify), deleted);
                sim.free_later(call_id);
                RejectResponse::Accepted
            }
            Err(error) => {
                tracing::info!(call_id, code = error.code, "reject refused");
                refuse(error)
            }
        }
    }
}
