//! Delivering notifications as Graph does: a signed JWT per attempt, bounded retries with
//! exponential backoff on refused connections, timeouts and 5xx, and a record of every attempt.
//! Deliveries run on their own tasks; nothing here blocks the API.

use std::sync::Arc;
use std::time::Duration;

use msgraph_calls::runtime::mock::SigningKey;
use msgraph_calls::types::{
    Call, ChangeType, CommsNotification, CommsNotificationResourceData, CommsNotifications,
};

use crate::Sim;
use crate::state::DeliveryRecord;

/// The notification envelope for one change of a call.
pub(crate) fn envelope(change: ChangeType, call_id: &str, resource: Call) -> CommsNotifications {
    let notification = CommsNotification {
        odata_type: Some("#microsoft.graph.commsNotification".to_owned()),
        change_type: Some(change),
        resource_url: Some(format!("/communications/calls/{call_id}")),
        resource_data: Some(CommsNotificationResourceData::Call(Box::new(resource))),
        additional_properties: Default::default(),
    };
    CommsNotifications {
        odata_type: Some("#microsoft.graph.commsNotifications".to_owned()),
        value: Some(vec![notification]),
        additional_properties: Default::default(),
    }
}

/// The minimal call a `deleted` notification carries.
pub(crate) fn deleted_call(call_id: &str) -> Call {
    let mut call = Call {
        odata_type: Some("#microsoft.graph.call".to_owned()),
        ..Default::default()
    };
    call.additional_properties.insert(
        "@odata.id".to_owned(),
        format!("/communications/calls/{call_id}").into(),
    );
    call
}

/// Posts `payload` to `url` for the call `call_id` on a task of its own, after the call's earlier
/// deliveries.
pub(crate) fn spawn(sim: Arc<Sim>, call_id: String, url: String, payload: CommsNotifications) {
    let change_type = payload
        .value
        .as_ref()
        .and_then(|v| v.first())
        .and_then(|n| n.change_type.as_ref())
        .map(|c| c.to_string())
        .unwrap_or_default();
    let body = serde_json::to_value(&payload).unwrap_or_default();
    let Some((index, order, tenant_id)) = sim.calls.with(|calls| {
        let call = calls.get_mut(&call_id)?;
        call.deliveries.push(DeliveryRecord {
            change_type: change_type.clone(),
            url: url.clone(),
            attempts: Vec::new(),
            status: None,
            error: None,
            done: false,
            payload: body.clone(),
        });
        Some((
            call.deliveries.len() - 1,
            call.delivery_order.clone(),
            call.tenant_id.clone(),
        ))
    }) else {
        return;
    };
    tokio::spawn(async move {
        let _in_order = order.lock().await;
        deliver(&sim, &call_id, index, &url, &tenant_id, &body).await;
    });
}

async fn deliver(
    sim: &Sim,
    call_id: &str,
    index: usize,
    url: &str,
    tenant_id: &str,
    body: &serde_json::Value,
) {
    let config = &sim.config;
    let mut backoff = config.retry_backoff;
    for attempt in 1..=config.delivery_attempts.max(1) {
        let claims = SigningKey::graph_claims(&config.app_id, tenant_id, Duration::from_secs(600));
        let outcome = match sim.key.sign(&claims) {
            Ok(token) => sim
                .http
                .post(url)
                .bearer_auth(token)
                .header("user-agent", "Microsoft-Skype/3.0,(Calling/1.0)")
                .header("x-microsoft-skype-chain-id", call_id)
                .header(
                    "x-microsoft-skype-message-id",
                    uuid::Uuid::new_v4().to_string(),
                )
                .json(body)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|err| err.to_string()),
            Err(err) => Err(err),
        };
        let (status, error) = match &outcome {
            Ok(status) => (Some(*status), None),
            Err(err) => (None, Some(err.clone())),
        };
        let retry = match status {
            Some(status) => status >= 500,
            None => true,
        } && attempt < config.delivery_attempts;
        tracing::info!(
            call_id,
            url,
            attempt,
            ?status,
            error = error.as_deref(),
            "notification delivery"
        );
        sim.calls.with(|calls| {
            if let Some(record) = calls
                .get_mut(call_id)
                .and_then(|c| c.deliveries.get_mut(index))
            {
                record.attempts.push(status);
                record.status = status;
                record.error = error.clone();
                record.done = !retry;
            }
        });
        if !retry {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = backoff.saturating_mul(2);
    }
}
