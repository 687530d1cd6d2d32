//! The server emitter, bot side: for each notification body a handler trait with one method per
//! change type, and a receiver that authenticates and parses each delivery, answers `202 Accepted`
//! at once, and hands the typed notifications to the handler on a spawned task.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Api, Notification, NotificationTarget, TypeKind};
use crate::types::doc_attr;

/// Emits `src/webhooks.rs`.
pub(crate) fn emit(api: &Api) -> TokenStream {
    let mut by_body: BTreeMap<&str, Vec<&Notification>> = BTreeMap::new();
    for notification in &api.notifications {
        by_body
            .entry(notification.body_type.as_str())
            .or_default()
            .push(notification);
    }
    let imports = (!by_body.is_empty()).then(|| {
        quote!(
            use ::axum::response::IntoResponse as _;
        )
    });
    let receivers = by_body
        .values()
        .map(|deliveries| emit_receiver(api, deliveries));
    quote! {
        //! Stubs for receiving the notifications the API posts: implement a handler trait, then
        //! serve it with its receiver's `into_router`. A delivery is answered `202 Accepted` as soon
        //! as its token is valid and its body parsed; the handler runs afterwards, on its own task,
        //! so a slow handler never holds the sender's request open.

        #imports

        #(#receivers)*
    }
}

fn optional(api: &Api, owner: &str, field: &str) -> bool {
    match api.types.get(owner).map(|d| &d.kind) {
        Some(TypeKind::Struct(s)) => s.fields.iter().any(|f| f.name == field && !f.required),
        _ => true,
    }
}

fn emit_receiver(api: &Api, deliveries: &[&Notification]) -> TokenStream {
    let first = deliveries[0];
    let shape = &first.shape;
    let body = format_ident!("{}", first.body_type);
    let item = format_ident!("{}", shape.item_type);
    let change_type = format_ident!("{}", shape.change_type);
    let list_field = format_ident!("{}", shape.list_field);
    let change_field = format_ident!("{}", shape.change_field);
    let handler = format_ident!("{}Handler", first.body_type);
    let receiver = format_ident!("{}Receiver", first.body_type);
    let status = first.success_status;

    let routes: Vec<String> = deliveries
        .iter()
        .map(|d| match &d.target {
            NotificationTarget::Webhook => format!(
                "- `{}`: posted to the bot's webhook. {}",
                d.operation_id, d.doc
            ),
            NotificationTarget::Callback {
                operation_id,
                expression,
            } => {
                format!(
                    "- `{}`: posted to `{expression}` of `{operation_id}`. {}",
                    d.operation_id, d.doc
                )
            }
        })
        .collect();
    let handler_doc = doc_attr(&format!(
        "Implemented by a receiver of `{}` notifications. Serve it with [`{receiver}`].\n\nDeliveries:\n{}\n\n\
         Each method runs after the delivery was answered `{status}`; work that outlives it should be \
         spawned or queued by the handler itself. Methods not implemented ignore their notifications.",
        first.body_type,
        routes.join("\n")
    ));
    let members = match api.types.get(&shape.change_type).map(|d| &d.kind) {
        Some(TypeKind::Enum(def)) => def.members.clone(),
        _ => Vec::new(),
    };
    let resource_doc = format!(
        "its `{}` holds the typed [`crate::types::{}`]",
        shape.resource_field, shape.resource_type
    );
    let methods = members.iter().map(|m| {
        let method = format_ident!("{}", crate::ident::field_name(&m.wire_name));
        let doc = format!(" A notification with change type `{}`; {resource_doc}.", m.wire_name);
        quote! {
            #[doc = #doc]
            fn #method(&self, delivery: &crate::runtime::Delivery, notification: crate::types::#item) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (delivery, notification);
                async {}
            }
        }
    });
    let arms = members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let method = format_ident!("{}", crate::ident::field_name(&m.wire_name));
        quote!(::std::option::Option::Some(crate::types::#change_type::#variant) => self.#method(&delivery, notification).await,)
    });
    let other_doc = format!(
        " A notification whose change type is missing or not one the description names; {resource_doc}."
    );
    let list = if optional(api, &first.body_type, &shape.list_field) {
        quote!(payload.#list_field.unwrap_or_default())
    } else {
        quote!(payload.#list_field)
    };
    let change = if optional(api, &shape.item_type, &shape.change_field) {
        quote!(notification.#change_field.clone())
    } else {
        quote!(::std::option::Option::Some(notification.#change_field.clone()))
    };
    let receiver_doc = doc_attr(&format!(
        "Receives `{}` deliveries for a [`{handler}`]: checks the token ([`crate::runtime::InboundAuth`]; `401`/`403`), \
         the content type (`415`), the size (`413`) and the body (`400`), answers `{status}`, then dispatches.",
        first.body_type
    ));
    quote! {
        #handler_doc
        pub trait #handler: Send + Sync + 'static {
            /// Every accepted delivery, after it was answered. By default, hands each notification
            /// to the method of its change type, in order.
            fn notifications(&self, delivery: crate::runtime::Delivery, payload: crate::types::#body) -> impl ::std::future::Future<Output = ()> + Send {
                async move {
                    for notification in #list {
                        match #change {
                            #(#arms)*
                            _ => self.other_change(&delivery, notification).await,
                        }
                    }
                }
            }

            #(#methods)*

            #[doc = #other_doc]
            fn other_change(&self, delivery: &crate::runtime::Delivery, notification: crate::types::#item) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (delivery, notification);
                async {}
            }
        }

        #receiver_doc
        pub struct #receiver<H> {
            handler: ::std::sync::Arc<H>,
            auth: crate::runtime::InboundAuth,
            webhook_paths: ::std::vec::Vec<::std::string::String>,
            callback_paths: ::std::vec::Vec<::std::string::String>,
            body_limit: usize,
        }

        impl<H: #handler> #receiver<H> {
            /// A receiver for `handler`, authenticating deliveries with `auth`. Until paths are
            /// added, it serves the webhook at `/api/calls`.
            pub fn new(handler: H, auth: crate::runtime::InboundAuth) -> Self {
                Self {
                    handler: ::std::sync::Arc::new(handler),
                    auth,
                    webhook_paths: ::std::vec::Vec::new(),
                    callback_paths: ::std::vec::Vec::new(),
                    body_limit: crate::runtime::DEFAULT_BODY_LIMIT,
                }
            }

            /// Serves the bot's calling webhook at `path` (such as `/api/calls`).
            pub fn webhook_path(mut self, path: impl ::std::convert::Into<::std::string::String>) -> Self {
                self.webhook_paths.push(path.into());
                self
            }

            /// Serves a per-call callback URL at `path` (the path of a `callbackUri` the bot sends).
            pub fn callback_path(mut self, path: impl ::std::convert::Into<::std::string::String>) -> Self {
                self.callback_paths.push(path.into());
                self
            }

            /// The largest body accepted, in bytes (by default 64 KiB).
            pub fn body_limit(mut self, bytes: usize) -> Self {
                self.body_limit = bytes;
                self
            }

            /// The routes, with Graph-style answers for unknown paths and methods.
            pub fn into_router(mut self) -> ::axum::Router {
                if self.webhook_paths.is_empty() && self.callback_paths.is_empty() {
                    self.webhook_paths.push("/api/calls".to_owned());
                }
                let routes: ::std::vec::Vec<(::std::string::String, crate::runtime::DeliveryRoute)> = self
                    .webhook_paths
                    .iter()
                    .map(|p| (p.clone(), crate::runtime::DeliveryRoute::Webhook))
                    .chain(self.callback_paths.iter().map(|p| (p.clone(), crate::runtime::DeliveryRoute::Callback)))
                    .collect();
                let shared = ::std::sync::Arc::new(self);
                let mut router = ::axum::Router::new();
                for (path, route) in routes {
                    let shared = shared.clone();
                    router = router.route(
                        &path,
                        ::axum::routing::post(move |request: ::axum::extract::Request| receive(shared.clone(), route, request)),
                    );
                }
                router
                    .fallback(crate::runtime::unknown_route)
                    .method_not_allowed_fallback(crate::runtime::method_not_allowed)
                    .layer(::axum::extract::DefaultBodyLimit::disable())
            }
        }

        /// Authenticates and parses one delivery, answers, then dispatches on a spawned task.
        async fn receive<H: #handler>(
            receiver: ::std::sync::Arc<#receiver<H>>,
            route: crate::runtime::DeliveryRoute,
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response {
            let (parts, body) = request.into_parts();
            let claims = match receiver.auth.check(&parts.headers).await {
                Ok(claims) => claims,
                Err(err) => return err.into_response(),
            };
            let payload: crate::types::#body = match crate::runtime::read_json(&parts.headers, body, receiver.body_limit).await {
                Ok(payload) => payload,
                Err(err) => return err.into_response(),
            };
            let delivery = crate::runtime::Delivery {
                route,
                path: parts.uri.path().to_owned(),
                claims,
                headers: parts.headers,
            };
            let handler = receiver.handler.clone();
            ::tokio::spawn(async move {
                handler.notifications(delivery, payload).await;
            });
            ::axum::http::StatusCode::from_u16(#status)
                .unwrap_or(::axum::http::StatusCode::ACCEPTED)
                .into_response()
        }
    }
}
