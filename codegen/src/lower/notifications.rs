//! Notification deliveries, in a pass of their own after the operations: the `x-webhooks`
//! extension (a URL configured outside the API), then the `callbacks` of every operation (a URL
//! the request names), each delivery once.

use openapiv3::{OpenAPI, Operation as OaOperation, PathItem, ReferenceOr, StatusCode};

use super::media::json_content;
use super::normalize::{self, Normalized};
use super::operations;
use super::schemas::TypeSpace;
use crate::error::{Error, Result};
use crate::ident;
use crate::model::{
    Field, FieldType, Notification, NotificationShape, NotificationTarget, TypeKind,
};
use crate::pointer::Pointer;

/// The extension that describes notifications posted to a URL configured outside the API.
const WEBHOOKS: &str = "x-webhooks";

/// Every notification delivery: webhooks first, then callbacks in operation order.
pub(super) fn lower(doc: &OpenAPI, types: &TypeSpace<'_>) -> Result<Vec<Notification>> {
    let mut notifications = webhooks(doc, types)?;
    notifications.extend(callbacks(doc, types)?);
    Ok(notifications)
}

fn webhooks(doc: &OpenAPI, types: &TypeSpace<'_>) -> Result<Vec<Notification>> {
    let Some(webhooks) = doc.extensions.get(WEBHOOKS) else {
        return Ok(Vec::new());
    };
    let at = Pointer::root().join(WEBHOOKS);
    let webhooks: indexmap::IndexMap<String, PathItem> =
        crate::load::deserialize_at(webhooks, at.clone()).map_err(|(pointer, message)| {
            Error::schema(
                &pointer,
                format!("`{WEBHOOKS}` must map names to OpenAPI path items: {message}"),
            )
        })?;
    let mut notifications = Vec::new();
    for (name, item) in &webhooks {
        let item_at = at.join(name);
        for (method, delivery) in item.iter() {
            let delivery_at = item_at.join(method);
            notifications.push(lower_delivery(
                types,
                delivery,
                NotificationTarget::Webhook,
                &delivery_at,
            )?);
        }
    }
    Ok(notifications)
}

/// The deliveries described as `callbacks` of the operations. A delivery that several operations
/// describe (such as one reached through an alias path) is lowered once, for the first of them.
fn callbacks(doc: &OpenAPI, types: &TypeSpace<'_>) -> Result<Vec<Notification>> {
    let mut notifications: Vec<Notification> = Vec::new();
    for site in operations::sites(doc)? {
        for (name, callback) in &site.operation.callbacks {
            let callback_at = site.at.join("callbacks").join(name);
            for (expression, callback_item) in callback {
                let item_at = callback_at.join(expression);
                for (delivery_method, delivery) in callback_item.iter() {
                    let target = NotificationTarget::Callback {
                        operation_id: operations::operation_id(&site)?,
                        expression: expression.clone(),
                    };
                    let notification =
                        lower_delivery(types, delivery, target, &item_at.join(delivery_method))?;
                    if !notifications
                        .iter()
                        .any(|known| known.operation_id == notification.operation_id)
                    {
                        notifications.push(notification);
                    }
                }
            }
        }
    }
    Ok(notifications)
}

/// Lowers one notification delivery. The body must refer to a component schema, so the model
/// borrows nothing from `delivery` (webhook items are parsed here and dropped after lowering).
fn lower_delivery(
    types: &TypeSpace<'_>,
    delivery: &OaOperation,
    target: NotificationTarget,
    at: &Pointer,
) -> Result<Notification> {
    let operation_id = delivery.operation_id.clone().ok_or_else(|| {
        Error::schema(
            &at.join("operationId"),
            "every notification delivery needs an `operationId`",
        )
    })?;
    let body_at = at.join("requestBody");
    let Some(ReferenceOr::Item(body)) = &delivery.request_body else {
        return Err(Error::unsupported(
            &body_at,
            "a notification delivery needs an inline `requestBody` with `application/json` content",
        ));
    };
    let Some((media_type, media)) = json_content(&body.content) else {
        return Err(Error::unsupported(
            &body_at.join("content"),
            "a notification body needs `application/json` content",
        ));
    };
    let schema_at = body_at.join("content").join(media_type).join("schema");
    let body_type = match media.schema.as_ref().map(normalize::normalize) {
        Some(Normalized::Ref(reference)) => types.resolve_schema_ref(reference, &schema_at)?,
        _ => {
            return Err(Error::unsupported(
                &schema_at,
                "a notification body must be a `$ref` to a component schema, such as `microsoft.graph.commsNotifications`",
            ));
        }
    };
    let success_status = delivery
        .responses
        .responses
        .keys()
        .find_map(|status| match status {
            StatusCode::Code(code @ 200..=299) => Some(*code),
            _ => None,
        })
        .ok_or_else(|| {
            Error::schema(
                &at.join("responses"),
                "a notification delivery needs a success response such as `'202'`",
            )
        })?;
    let doc = delivery
        .description
        .clone()
        .or_else(|| delivery.summary.clone())
        .unwrap_or_else(|| format!("Notifications delivered as `{operation_id}`."));
    let name = ident::variant_name(operation_id.split('.').next().unwrap_or(&operation_id));
    let shape = envelope(types, &body_type, &schema_at)?;
    Ok(Notification {
        name,
        operation_id,
        pointer: at.to_string(),
        target,
        body_type,
        success_status,
        shape,
        doc,
    })
}

/// Finds Graph's envelope in a notification body: `value[]`, each with `changeType` (an enum)
/// and `resourceData` (an object, or a union of resources).
fn envelope(types: &TypeSpace<'_>, body_type: &str, at: &Pointer) -> Result<NotificationShape> {
    let explain = || {
        Error::unsupported(
            at,
            "a notification body must follow Graph's envelope: an object whose `value` is an array of \
             objects with a `changeType` enum and a `resourceData` object or `x-graph-resource` union",
        )
    };
    let types = types.types();
    let field = |owner: &str, wire: &str| -> Result<Field> {
        match types.get(owner).map(|def| &def.kind) {
            Some(TypeKind::Struct(s)) => s.fields.iter().find(|f| f.wire_name == wire).cloned(),
            _ => None,
        }
        .ok_or_else(explain)
    };
    let named = |ty: &FieldType| match ty {
        FieldType::Named(name) => Ok(name.clone()),
        _ => Err(explain()),
    };
    let list = field(body_type, "value")?;
    let FieldType::Array(item) = &list.ty else {
        return Err(explain());
    };
    let item_type = named(item)?;
    let change = field(&item_type, "changeType")?;
    let resource = field(&item_type, "resourceData")?;
    let (change_type, resource_type) = (named(&change.ty)?, named(&resource.ty)?);
    // Where the resource is (`/communications/calls/{id}/...`): a string, if the item has it.
    let resource_url_field = field(&item_type, "resourceUrl")
        .ok()
        .filter(|f| f.ty == FieldType::String)
        .map(|f| (f.name, f.required));
    let is_enum = matches!(
        types.get(&change_type).map(|d| &d.kind),
        Some(TypeKind::Enum(_))
    );
    let is_resource = matches!(
        types.get(&resource_type).map(|d| &d.kind),
        Some(TypeKind::Struct(_) | TypeKind::Resource(_))
    );
    if !is_enum || !is_resource {
        return Err(explain());
    }
    Ok(NotificationShape {
        list_field: list.name,
        item_type,
        change_field: change.name,
        change_type,
        resource_field: resource.name,
        resource_type,
        resource_url_field,
    })
}
