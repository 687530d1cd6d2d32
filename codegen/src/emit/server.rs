//! The server emitter, Graph side: for each service (operations grouped by tag) a trait with one
//! async method per operation, a response enum per operation that admits only documented statuses,
//! and a server that validates requests before the implementation sees them and serves every path
//! of an operation. Request bodies get `Validate` impls from the constraints in the model.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::doc_attr;
use super::params;
use crate::model::{Api, Content, FieldType, Operation, TypeKind};

/// Emits `src/server.rs`.
pub(crate) fn emit(api: &Api) -> TokenStream {
    let mut services: BTreeMap<&str, Vec<&Operation>> = BTreeMap::new();
    for op in &api.operations {
        services.entry(op.service.as_str()).or_default().push(op);
    }
    let imports = (!api.operations.is_empty()).then(|| {
        quote!(
            use ::axum::response::IntoResponse as _;
        )
    });
    let services = services
        .iter()
        .map(|(name, ops)| emit_service(api, name, ops));
    let responses = api
        .operations
        .iter()
        .map(|op| super::responses::emit(op, response_name(op)));
    let param_structs = api.operations.iter().filter_map(params::emit_struct);
    let validations = emit_validations(api);
    quote! {
        //! Server stubs for the API's operations: implement a service trait, then serve it with its
        //! server's `into_router`. Requests are authenticated, read and validated before the
        //! implementation is called; every rejected request gets a Graph-style error body.
        //!
        //! Response enums hold their bodies by value, as an implementation builds them: an answer
        //! is made once and written at once, so boxing a large body would buy nothing.
        #![allow(clippy::large_enum_variant)]

        #imports

        #(#services)*
        #(#responses)*
        #(#param_structs)*
        #validations
    }
}

pub(super) fn response_name(op: &Operation) -> proc_macro2::Ident {
    format_ident!("{}Response", crate::ident::variant_name(op.name()))
}

fn routes_doc(op: &Operation) -> String {
    op.paths()
        .map(|p| {
            let deprecated = if p.deprecated { " (deprecated)" } else { "" };
            format!("`{} {}`{deprecated}", op.method.as_str(), p.template)
        })
        .collect::<Vec<_>>()
        .join(" and ")
}

fn emit_service(api: &Api, name: &str, ops: &[&Operation]) -> TokenStream {
    let trait_name = format_ident!("{}", name);
    let server_name = format_ident!("{}Server", name);
    let trait_doc = doc_attr(&format!(
        "Implemented by a service that answers the `{name}` operations of the API, such as a simulator of \
         Microsoft Graph. Serve an implementation with [`{server_name}`]."
    ));
    let server_doc = doc_attr(&format!(
        "Serves a [`{name}`] implementation over HTTP. Before an operation is called, the request is \
         authenticated (`401`), its content type checked (`415`), its body read within the size limit \
         (`413`), parsed and validated (`400`); each refusal is a Graph-style `ODataError` body."
    ));
    let methods = ops.iter().map(|op| {
        let method = format_ident!("{}", op.name());
        let response = response_name(op);
        let params = op.path_params.iter().map(|p| {
            let name = format_ident!("{}", p.name);
            quote!(#name: ::std::string::String)
        });
        let body = op.body.as_ref().map(|b| {
            let ty = super::responses::body_type(&b.content);
            quote!(body: #ty,)
        });
        let query = params::struct_name(op).map(|name| quote!(params: #name,));
        let mut doc = op.summary.clone().unwrap_or_default();
        if let Some(description) = &op.description {
            doc.push_str(&format!("\n\n{description}"));
        }
        doc.push_str(&format!("\n\nServed at {}.", routes_doc(op)));
        let doc = doc_attr(doc.trim_start());
        quote! {
            #doc
            fn #method(&self, identity: Self::Identity, #(#params,)* #query #body) -> impl ::std::future::Future<Output = #response> + Send;
        }
    });
    let routes = ops.iter().flat_map(|op| {
        let handler = format_ident!("{}_handler", op.name());
        let method = format_ident!("{}", op.method.as_str().to_ascii_lowercase());
        op.paths().map(move |p| {
            let mut route = p.template.clone();
            for param in &op.path_params {
                route = route.replace(
                    &format!("{{{}}}", param.wire_name),
                    &format!("{{{}}}", param.name),
                );
            }
            quote!(.route(#route, ::axum::routing::#method(#handler::<T, A>)))
        })
    });
    let handlers = ops
        .iter()
        .map(|op| emit_handler(api, name, &server_name, op));
    quote! {
        #trait_doc
        pub trait #trait_name: Send + Sync + 'static {
            /// What the authenticator established about the caller, handed to every operation.
            type Identity: Send + 'static;

            #(#methods)*
        }

        #server_doc
        pub struct #server_name<T, A = crate::runtime::server::RequireBearer> {
            service: ::std::sync::Arc<T>,
            authenticator: A,
            body_limit: usize,
            checks: crate::runtime::server::Checks,
        }

        impl<T: #trait_name<Identity = crate::runtime::server::BearerToken>> #server_name<T, crate::runtime::server::RequireBearer> {
            /// Serves `service`, requiring a non-empty bearer token on every request.
            pub fn new(service: T) -> Self {
                Self::with_authenticator(service, crate::runtime::server::RequireBearer)
            }
        }

        impl<T, A> #server_name<T, A>
        where
            A: crate::runtime::server::Authenticator,
            T: #trait_name<Identity = A::Identity>,
        {
            /// Serves `service`, authenticating every request with `authenticator`.
            pub fn with_authenticator(service: T, authenticator: A) -> Self {
                Self {
                    service: ::std::sync::Arc::new(service),
                    authenticator,
                    body_limit: crate::runtime::DEFAULT_BODY_LIMIT,
                    checks: crate::runtime::server::Checks::default(),
                }
            }

            /// The largest request body accepted, in bytes (by default 64 KiB); larger ones get `413`.
            pub fn body_limit(mut self, bytes: usize) -> Self {
                self.body_limit = bytes;
                self
            }

            /// Accepts `http://` URLs on loopback hosts where the description asks for `https://`.
            /// For local development only.
            pub fn allow_http_loopback_urls(mut self, allow: bool) -> Self {
                self.checks.allow_http_loopback = allow;
                self
            }

            /// The routes of every operation, with Graph-style answers for unknown paths and methods.
            pub fn into_router(self) -> ::axum::Router {
                ::axum::Router::new()
                    #(#routes)*
                    .fallback(crate::runtime::__private::unknown_route)
                    .method_not_allowed_fallback(crate::runtime::__private::method_not_allowed)
                    .layer(::axum::extract::DefaultBodyLimit::disable())
                    .with_state(::std::sync::Arc::new(self))
            }
        }

        #(#handlers)*
    }
}

fn emit_handler(
    api: &Api,
    trait_name: &str,
    server_name: &proc_macro2::Ident,
    op: &Operation,
) -> TokenStream {
    let trait_name = format_ident!("{}", trait_name);
    let handler = format_ident!("{}_handler", op.name());
    let method = format_ident!("{}", op.name());
    let param_names: Vec<_> = op
        .path_params
        .iter()
        .map(|p| format_ident!("{}", p.name))
        .collect();
    // The path's parameters, in path order, as a tuple: their number is known here.
    let (path_arg, read_params) = if param_names.is_empty() {
        (quote!(), quote!())
    } else {
        let strings = param_names.iter().map(|_| quote!(::std::string::String));
        (
            quote!(path: ::std::result::Result<::axum::extract::Path<(#(#strings,)*)>, ::axum::extract::rejection::PathRejection>,),
            quote! {
                let (#(#param_names,)*) = match path {
                    Ok(::axum::extract::Path(params)) => params,
                    Err(err) => return crate::runtime::__private::bad_path(err),
                };
            },
        )
    };
    let read_body = match op.body.as_ref().map(|body| &body.content) {
        Some(Content::Json(name)) => {
            let ty = format_ident!("{}", name);
            // Only objects have constraints to check.
            let validate = matches!(api.types.get(name).map(|d| &d.kind), Some(TypeKind::Struct(_))).then(|| quote! {
                if let Err(message) = crate::runtime::__private::Validate::validate(&body, &server.checks) {
                    return crate::runtime::GraphError::bad_request(message).into_response();
                }
            });
            quote! {
                let body: crate::types::#ty = match crate::runtime::__private::read_json(&parts.headers, body, server.body_limit).await {
                    Ok(body) => body,
                    Err(err) => return err.into_response(),
                };
                #validate
            }
        }
        Some(Content::Bytes) => quote! {
            let body = match crate::runtime::__private::read_bytes(body, server.body_limit).await {
                Ok(body) => body,
                Err(err) => return err.into_response(),
            };
        },
        // Text request bodies are left out with their operations when lowering.
        Some(Content::Text(_)) | None => quote!(let _ = body;),
    };
    let read_query = params::emit_read(op);
    let query_arg = read_query.as_ref().map(|_| quote!(params,));
    let body_arg = op.body.as_ref().map(|_| quote!(body));
    let doc = format!(" Answers {}.", routes_doc(op));
    quote! {
        #[doc = #doc]
        async fn #handler<T, A>(
            ::axum::extract::State(server): ::axum::extract::State<::std::sync::Arc<#server_name<T, A>>>,
            #path_arg
            request: ::axum::extract::Request,
        ) -> ::axum::response::Response
        where
            A: crate::runtime::server::Authenticator,
            T: #trait_name<Identity = A::Identity>,
        {
            let (parts, body) = request.into_parts();
            let identity = match crate::runtime::server::Authenticator::authenticate(&server.authenticator, &parts.headers).await {
                Ok(identity) => identity,
                Err(err) => return err.into_response(),
            };
            #read_params
            #read_query
            #read_body
            server.service.#method(identity, #(#param_names,)* #query_arg #body_arg).await.into_response()
        }
    }
}

/// `Validate` for every struct a request body reaches.
fn emit_validations(api: &Api) -> TokenStream {
    let mut pending: Vec<String> = api
        .operations
        .iter()
        .filter_map(|op| op.body.as_ref()?.content.json_type().map(str::to_owned))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        if let Some(TypeKind::Struct(def)) = api.types.get(&name).map(|d| &d.kind) {
            for field in &def.fields {
                let mut ty = &field.ty;
                while let FieldType::Array(item) | FieldType::Map(item) = ty {
                    ty = item;
                }
                if let FieldType::Named(inner) = ty {
                    pending.push(inner.clone());
                }
            }
        }
    }
    let impls = seen.iter().filter_map(|name| {
        let TypeKind::Struct(def) = &api.types.get(name)?.kind else {
            return None;
        };
        let ident = format_ident!("{}", name);
        let checks = def.fields.iter().filter_map(|field| {
            let member = format_ident!("{}", field.name);
            let wire = &field.wire_name;
            // An optional property that came as `null` reads as `None` and is kept in
            // `additional_properties`; the description admits that only if it is nullable.
            let null_check = (!field.required && !field.nullable).then(|| {
                let message = format!("`{wire}` may not be null; leave it out instead");
                quote! {
                    if self.#member.is_none()
                        && self.additional_properties.get(#wire).is_some_and(::serde_json::Value::is_null)
                    {
                        return ::std::result::Result::Err(::std::string::String::from(#message));
                    }
                }
            });
            let check = value_check(api, &field.ty, wire, &field.checks, quote!(value)).map(|check| {
                if field.required {
                    quote!({ let value = &self.#member; #check })
                } else {
                    quote!(if let ::std::option::Option::Some(value) = &self.#member { #check })
                }
            });
            if null_check.is_none() && check.is_none() {
                return None;
            }
            Some(quote!(#null_check #check))
        });
        Some(quote! {
            impl crate::runtime::__private::Validate for crate::types::#ident {
                fn validate(&self, checks: &crate::runtime::server::Checks) -> ::std::result::Result<(), ::std::string::String> {
                    let _ = checks;
                    #(#checks)*
                    Ok(())
                }
            }
        })
    });
    quote!(#(#impls)*)
}

/// The check of one value, or `None` if nothing is checked.
fn value_check(
    api: &Api,
    ty: &FieldType,
    wire: &str,
    checks: &crate::model::StringChecks,
    value: TokenStream,
) -> Option<TokenStream> {
    match ty {
        FieldType::String if checks.pattern.is_some() || checks.uri => {
            let pattern = match &checks.pattern {
                Some(pattern) => quote!(::std::option::Option::Some({
                    static PATTERN: crate::runtime::__private::Pattern =
                        crate::runtime::__private::Pattern::new(#pattern);
                    &PATTERN
                })),
                None => quote!(::std::option::Option::None),
            };
            let uri = checks.uri;
            Some(
                quote!(crate::runtime::__private::check_string(checks, #wire, #value, #pattern, #uri)?;),
            )
        }
        FieldType::Named(name) => match &api.types.get(name)?.kind {
            TypeKind::Enum(def) => {
                let members = def.members.iter().map(|m| &m.wire_name);
                Some(
                    quote!(crate::runtime::__private::check_enum(#wire, #value, &[#(#members),*])?;),
                )
            }
            TypeKind::Struct(_) => {
                Some(quote!(crate::runtime::__private::Validate::validate(#value, checks)?;))
            }
            // A resource is what the sender says it is; nothing in it is checked.
            TypeKind::Resource(_) => None,
            TypeKind::Alias(alias) => value_check(api, &alias.ty, wire, checks, value),
        },
        FieldType::Array(item) => {
            let inner = value_check(api, item, wire, checks, quote!(item))?;
            Some(quote!(for item in #value.iter() { #inner }))
        }
        _ => None,
    }
}
