//! The server emitter, bot side: for each notification body a handler trait with one method per
//! change type (Graph's `unknownFutureValue` sentinel goes to `other_change`), and the receiver's
//! `Dispatch` impl, which hands each accepted delivery to the trait and tells the receiver which
//! notifications are incoming calls.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc_attr;
use crate::Settings;
use crate::model::{
    Api, FieldType, Notification, NotificationShape, NotificationTarget, StructDef, TypeKind,
};

/// Emits `src/webhooks.rs`.
pub(crate) fn emit(api: &Api, settings: &Settings) -> TokenStream {
    let mut by_body: BTreeMap<&str, Vec<&Notification>> = BTreeMap::new();
    for notification in &api.notifications {
        by_body
            .entry(notification.body_type.as_str())
            .or_default()
            .push(notification);
    }
    let receivers = by_body
        .values()
        .map(|deliveries| emit_receiver(api, settings, deliveries));
    quote! {
        //! Stubs for receiving the notifications the API posts: implement a handler trait, then
        //! serve it with its receiver's `into_router`. A delivery is answered with its success
        //! status (such as `202 Accepted`) as soon as its token is valid and its body parsed; the
        //! handler runs afterwards, on the receiver's tasks, so a slow handler never holds the
        //! sender's request open.

        #(#receivers)*
    }
}

fn optional(api: &Api, owner: &str, field: &str) -> bool {
    match api.types.get(owner).map(|d| &d.kind) {
        Some(TypeKind::Struct(s)) => s.fields.iter().any(|f| f.name == field && !f.required),
        _ => true,
    }
}

fn struct_def<'a>(api: &'a Api, name: &str) -> Option<&'a StructDef> {
    match api.types.get(name).map(|d| &d.kind) {
        Some(TypeKind::Struct(s)) => Some(s),
        _ => None,
    }
}

/// The variant of enum `name` whose wire value is `wire`.
fn enum_variant(api: &Api, name: &str, wire: &str) -> Option<proc_macro2::Ident> {
    match api.types.get(name).map(|d| &d.kind) {
        Some(TypeKind::Enum(def)) => def
            .members
            .iter()
            .find(|m| m.wire_name == wire)
            .map(|m| format_ident!("{}", m.name)),
        _ => None,
    }
}

/// `Dispatch::incoming_call` for Graph's incoming call as the description types it: change type
/// `created`, and a resource whose `state` (an enum with `incoming`, or a string) is `incoming`.
/// `None` when the description cannot say, and then the receiver's default (no notification is an
/// incoming call) stands.
fn incoming_call(api: &Api, shape: &NotificationShape) -> Option<TokenStream> {
    let created = enum_variant(api, &shape.change_type, "created")?;
    let item = struct_def(api, &shape.item_type)?;
    let field = |name: &str| item.fields.iter().find(|f| f.name == name);
    let (change, resource) = (field(&shape.change_field)?, field(&shape.resource_field)?);
    if resource.ty != FieldType::Named(shape.resource_type.clone()) {
        return None;
    }
    // The resource is a call, or a union one of whose kinds is the call (an object with a `state`).
    let has_state = |name: &str| {
        struct_def(api, name).is_some_and(|def| def.fields.iter().any(|f| f.wire_name == "state"))
    };
    let (call_type, union_variant) = match api.types.get(&shape.resource_type).map(|d| &d.kind) {
        Some(TypeKind::Resource(union)) => union.kinds.iter().find_map(|kind| match &kind.ty {
            FieldType::Named(name) if has_state(name) => {
                Some((name.clone(), Some(format_ident!("{}", kind.variant))))
            }
            _ => None,
        })?,
        _ => (shape.resource_type.clone(), None),
    };
    let state = struct_def(api, &call_type)?
        .fields
        .iter()
        .find(|f| f.wire_name == "state")?;
    let (change_field, resource_field, state_field) = (
        format_ident!("{}", change.name),
        format_ident!("{}", resource.name),
        format_ident!("{}", state.name),
    );
    let change = if change.required {
        quote!(::std::option::Option::Some(&notification.#change_field))
    } else {
        quote!(notification.#change_field.as_ref())
    };
    let resource = if resource.required {
        quote!(::std::option::Option::Some(&notification.#resource_field))
    } else {
        quote!(notification.#resource_field.as_ref())
    };
    let resource = match union_variant {
        Some(variant) => {
            let union = format_ident!("{}", shape.resource_type);
            quote!(#resource.and_then(|resource| match resource {
                crate::types::#union::#variant(call) => ::std::option::Option::Some(&**call),
                _ => ::std::option::Option::None,
            }))
        }
        None => resource,
    };
    let state_of = if state.required {
        quote!(.map(|resource| &resource.#state_field))
    } else {
        quote!(.and_then(|resource| resource.#state_field.as_ref()))
    };
    let incoming = match &state.ty {
        FieldType::Named(name) => {
            let variant = enum_variant(api, name, "incoming")?;
            let name = format_ident!("{}", name);
            quote!(
                ::std::matches!(state, ::std::option::Option::Some(crate::types::#name::#variant))
            )
        }
        FieldType::String => {
            quote!(state.is_some_and(|state| state.eq_ignore_ascii_case("incoming")))
        }
        _ => return None,
    };
    let item = format_ident!("{}", shape.item_type);
    let change_type = format_ident!("{}", shape.change_type);
    Some(quote! {
        fn incoming_call(notification: &crate::types::#item) -> bool {
            let state = #resource #state_of;
            ::std::matches!(#change, ::std::option::Option::Some(crate::types::#change_type::#created)) && #incoming
        }
    })
}

fn emit_receiver(api: &Api, settings: &Settings, deliveries: &[&Notification]) -> TokenStream {
    let default_path = settings.default_webhook_path.as_str();
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
    let incoming_call = incoming_call(api, shape);

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
         Each method runs after the delivery was answered `{status}`. The notifications of one call reach \
         the handler one at a time, in the order they were received, and different calls in parallel: \
         a method that takes long delays the later notifications of its call, so work that outlives it \
         should be spawned or queued by the handler itself. Methods not implemented ignore their \
         notifications.",
        first.body_type,
        routes.join("\n")
    ));
    // Graph's `unknownFutureValue` sentinel is no change type of its own: it goes to
    // `other_change` with the members this version does not know.
    let members = match api.types.get(&shape.change_type).map(|d| &d.kind) {
        Some(TypeKind::Enum(def)) if def.evolvable => {
            def.members[..def.members.len().saturating_sub(1)].to_vec()
        }
        Some(TypeKind::Enum(def)) => def.members.clone(),
        _ => Vec::new(),
    };
    let resource_doc = format!(
        "its `{}` holds the typed [`crate::types::{}`]",
        shape.resource_field, shape.resource_type
    );
    let methods = members.iter().map(|m| {
        let method = format_ident!("{}", crate::ident::field_name(&m.wire_name));
        let mut doc = format!(" A notification with change type `{}`; {resource_doc}.", m.wire_name);
        if m.wire_name == "created" && incoming_call.is_some() {
            doc.push_str(
                " An incoming call (`state` `incoming`) must be answered or rejected before \
                 `delivery.deadline()`; `delivery.mark_decided()` claims that decision from the \
                 receiver's fallback.",
            );
        }
        quote! {
            #[doc = #doc]
            fn #method(&self, delivery: &crate::runtime::receiver::Delivery, notification: crate::types::#item) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (delivery, notification);
                async {}
            }
        }
    });
    let arms = members.iter().map(|m| {
        let variant = format_ident!("{}", m.name);
        let method = format_ident!("{}", crate::ident::field_name(&m.wire_name));
        quote!(::std::option::Option::Some(crate::types::#change_type::#variant) => self.0.#method(delivery, notification).await,)
    });
    let other_doc = format!(
        " A notification whose change type is missing or not one the description names; {resource_doc}."
    );
    let list = if optional(api, &first.body_type, &shape.list_field) {
        quote!(body.#list_field.unwrap_or_default())
    } else {
        quote!(body.#list_field)
    };
    let change = if optional(api, &shape.item_type, &shape.change_field) {
        quote!(notification.#change_field.clone())
    } else {
        quote!(::std::option::Option::Some(notification.#change_field.clone()))
    };
    let resource_url = match &shape.resource_url_field {
        Some((field, false)) => {
            let field = format_ident!("{}", field);
            quote!(notification.#field.as_deref())
        }
        Some((field, true)) => {
            let field = format_ident!("{}", field);
            quote!(::std::option::Option::Some(notification.#field.as_str()))
        }
        None => quote!({
            let _ = notification;
            ::std::option::Option::None
        }),
    };
    let receiver_doc = doc_attr(&format!(
        "Receives `{}` deliveries for a [`{handler}`]: checks the token, the content type, the size and \
         the body, answers `{status}`, then dispatches. See [`crate::runtime::receiver::Receiver`].",
        first.body_type
    ));
    let dispatch = format_ident!("{}Dispatch", first.body_type);
    quote! {
        #handler_doc
        pub trait #handler: Send + Sync + 'static {
            #(#methods)*

            #[doc = #other_doc]
            fn other_change(&self, delivery: &crate::runtime::receiver::Delivery, notification: crate::types::#item) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (delivery, notification);
                async {}
            }

            /// A notification that is JSON but does not fit the types (a value of another type, such
            /// as a change type that is no string), exactly as it came, and why it does not fit. The
            /// delivery was accepted all the same: nothing authenticated is refused for its shape.
            fn unreadable_notification(&self, delivery: &crate::runtime::receiver::Delivery, notification: ::serde_json::Value, problem: ::std::string::String) -> impl ::std::future::Future<Output = ()> + Send {
                let _ = (delivery, notification, problem);
                async {}
            }
        }

        #receiver_doc
        pub type #receiver<H> = crate::runtime::receiver::Receiver<#dispatch<H>>;

        #[doc(hidden)]
        pub struct #dispatch<H>(H);

        impl<H: #handler> crate::runtime::__private::Dispatch for #dispatch<H> {
            type Handler = H;
            type Body = crate::types::#body;
            type Notification = crate::types::#item;
            const STATUS: u16 = #status;
            const DEFAULT_PATH: &'static str = #default_path;

            fn new(handler: H) -> Self {
                Self(handler)
            }

            fn notifications(body: crate::types::#body) -> ::std::vec::Vec<crate::types::#item> {
                #list
            }

            fn resource_url(notification: &crate::types::#item) -> ::std::option::Option<&str> {
                #resource_url
            }

            #incoming_call

            async fn dispatch_unreadable(&self, delivery: &crate::runtime::receiver::Delivery, notification: ::serde_json::Value, problem: ::std::string::String) {
                self.0.unreadable_notification(delivery, notification, problem).await
            }

            async fn dispatch(&self, delivery: &crate::runtime::receiver::Delivery, notification: crate::types::#item) {
                match #change {
                    #(#arms)*
                    _ => self.0.other_change(delivery, notification).await,
                }
            }
        }
    }
}
