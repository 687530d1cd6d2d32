//! What the body of a delivery holds: its notifications, typed where they fit the types and as
//! they came where they do not, and the call each one is about; or the legacy format of a call's
//! first notification.

use serde::Deserialize as _;

use super::calls::call_id;
use super::http::{GraphError, json_error};
use super::receiver::Dispatch;

/// One notification of an accepted delivery.
pub(crate) enum Incoming<N> {
    /// It fits the types.
    Typed(N),
    /// It is JSON that does not fit the types: the value as it came, and why.
    Unreadable(serde_json::Value, String),
}

/// The notifications of a body. A body that parses into the types is the fast path; a body that is
/// JSON of another shape is read notification by notification, so that one notification that does
/// not fit never costs the others, and nothing authenticated is refused for its shape. Only a body
/// that is not JSON is refused (`400`).
pub(crate) fn notifications_of<D: Dispatch>(
    bytes: &[u8],
) -> Result<Vec<Incoming<D::Notification>>, GraphError> {
    let shape_error = match serde_json::from_slice::<D::Body>(bytes) {
        Ok(body) => {
            return Ok(D::notifications(body)
                .into_iter()
                .map(Incoming::Typed)
                .collect());
        }
        Err(err) if err.is_data() => err,
        Err(err) => return Err(json_error(&err)),
    };
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|err| json_error(&err))?;
    let items = match value {
        serde_json::Value::Object(mut body) => match body.remove("value") {
            Some(serde_json::Value::Array(items)) => items,
            Some(serde_json::Value::Null) | None => Vec::new(),
            Some(other) => {
                body.insert("value".to_owned(), other);
                let problem = format!("the body does not fit the types: {shape_error}");
                return Ok(vec![Incoming::Unreadable(
                    serde_json::Value::Object(body),
                    problem,
                )]);
            }
        },
        other => {
            let problem = format!("the body does not fit the types: {shape_error}");
            return Ok(vec![Incoming::Unreadable(other, problem)]);
        }
    };
    Ok(items
        .into_iter()
        .map(|item| match D::Notification::deserialize(&item) {
            Ok(notification) => Incoming::Typed(notification),
            Err(err) => Incoming::Unreadable(item, err.to_string()),
        })
        .collect())
}

/// The call a notification is about, from its `resourceUrl`.
pub(crate) fn call_of<D: Dispatch>(notification: &Incoming<D::Notification>) -> Option<String> {
    let resource_url = match notification {
        Incoming::Typed(notification) => D::resource_url(notification),
        Incoming::Unreadable(value, _) => value.get("resourceUrl").and_then(|url| url.as_str()),
    };
    resource_url.and_then(call_id).map(str::to_owned)
}

/// Whether a body is in the legacy format (the Skype-era one, in which the first notification of a
/// call may come): notifications with `resource` and `subscriptionId` and no `resourceUrl`, alone
/// or in a `value` array. A bot answers it `204 No Content`, and Graph sends the notification again
/// in its own format. Only a body that names `subscriptionId` is read for this.
pub(crate) fn is_legacy(bytes: &[u8]) -> bool {
    const KEY: &[u8] = b"\"subscriptionId\"";
    if !bytes.windows(KEY.len()).any(|window| window == KEY) {
        return false;
    }
    let Ok(serde_json::Value::Object(body)) = serde_json::from_slice(bytes) else {
        return false;
    };
    let legacy = |item: &serde_json::Map<String, serde_json::Value>| {
        ["resource", "subscriptionId"]
            .iter()
            .all(|key| item.get(*key).is_some_and(|value| !value.is_null()))
            && !item.contains_key("resourceUrl")
    };
    match body.get("value") {
        Some(serde_json::Value::Array(items)) if !items.is_empty() => items
            .iter()
            .all(|item| item.as_object().is_some_and(legacy)),
        _ => legacy(&body),
    }
}

#[cfg(test)]
mod tests {
    use super::is_legacy;

    #[test]
    fn the_legacy_format_names_a_subscription_and_a_resource_but_no_resource_url() {
        for (body, legacy) in [
            (
                r#"{"value": [{"subscriptionId": "s", "resource": "/app/calls/a", "changeType": "created"}]}"#,
                true,
            ),
            (
                r#"{"subscriptionId": "s", "resource": "/app/calls/a"}"#,
                true,
            ),
            (
                r#"{"value": [{"subscriptionId": "s", "resource": "/app/calls/a", "resourceUrl": "/communications/calls/a"}]}"#,
                false,
            ),
            (
                r#"{"value": [{"subscriptionId": "s", "resource": "/app/calls/a"}, {"resourceUrl": "/communications/calls/a"}]}"#,
                false,
            ),
            (r#"{"value": [{"subscriptionId": "s"}]}"#, false),
            (
                r#"{"value": [{"subscriptionId": null, "resource": "r"}]}"#,
                false,
            ),
            (r#"{"value": [{"resource": "/app/calls/a"}]}"#, false),
            (r#"["subscriptionId"]"#, false),
            (r#"{"value": [{"changeType": "created"}]}"#, false),
        ] {
            assert_eq!(is_legacy(body.as_bytes()), legacy, "{body}");
        }
    }
}
