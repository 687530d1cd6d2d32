//! The client emitter. Progenitor writes the client; it is given a view of the model in which every
//! body and error type is a named schema replaced by the shared type from `types`, so progenitor
//! generates no types of its own. A panic inside progenitor becomes an [`Error::Client`].

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::TokenStream;
use progenitor_impl::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle};
use quote::{format_ident, quote};
use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::model::{
    Api, Content, ErrorClass, ErrorStatus, FieldType, Operation, Param, ParamLocation,
    SuccessStatus, TypeKind,
};

/// Emits `src/client.rs`.
pub(crate) fn emit(api: &Api) -> Result<TokenStream> {
    let view = progenitor_view(api);
    let document: openapiv3::OpenAPI =
        serde_json::from_value(view).map_err(|err| Error::Client {
            pointer: "#".to_owned(),
            operation: None,
            message: format!("the client view of the model is not valid OpenAPI: {err}"),
        })?;
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::runtime::client::ClientState));
    for name in referenced_types(api) {
        settings.with_replacement(&name, format!("crate::types::{name}"), std::iter::empty());
    }
    let mut generator = Generator::new(&settings);
    let generated = catch_unwind(AssertUnwindSafe(|| generator.generate_tokens(&document)));
    let first = api.operations.first();
    let blame = |message: String| Error::Client {
        pointer: first
            .map(|op| op.primary.pointer.clone())
            .unwrap_or_else(|| "#/paths".to_owned()),
        operation: first.map(|op| op.primary.operation_id.clone()),
        message,
    };
    let tokens = match generated {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(err)) => return Err(blame(err.to_string())),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "it panicked".to_owned());
            return Err(blame(format!(
                "{message}; simplify the operation's responses"
            )));
        }
    };
    // Parsed once for both rewrites.
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|err| blame(format!("progenitor wrote code that does not parse: {err}")))?;
    fix_progenitor_output(&mut file);
    super::client_calls::wrap_calls(&mut file);
    let encode_query = encode_query(api);
    // The hook reads the operation only to encode its query.
    let info = if encode_query.is_some() {
        format_ident!("info")
    } else {
        format_ident!("_info")
    };
    Ok(quote! {
        //! The client, written by progenitor from the model's operations. Its types are the shared
        //! ones in `crate::types`.
        #![allow(clippy::all, unused_imports, dead_code)]

        #file

        impl crate::runtime::__private::GeneratedClient for Client {
            const DEFAULT_BASE_URL: &'static str = crate::DEFAULT_BASE_URL;

            const USER_AGENT: &'static str = concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));

            fn from_parts(base_url: &str, http: reqwest::Client, state: crate::runtime::client::ClientState) -> Self {
                Self::new_with_client(base_url, http, state)
            }
        }

        impl Client {
            /// A builder for a client of the API at [`crate::DEFAULT_BASE_URL`].
            pub fn builder() -> crate::ClientBuilder {
                crate::ClientBuilder::new()
            }

            /// The base URL requests go to.
            pub fn base_url(&self) -> &str {
                self.baseurl()
            }

            /// A copy of the client whose calls end by `deadline`: no attempt starts after it, no
            /// retry is started that could not end before it, each attempt's timeout ends at it,
            /// and a call it cuts short fails with `ErrorKind::DeadlineExceeded`.
            pub fn with_deadline(&self, deadline: ::std::time::Instant) -> Self {
                let mut client = self.clone();
                client.inner.options_mut().set_deadline(deadline);
                client
            }

            /// A copy of the client whose calls send `id` as their `client-request-id` instead of
            /// a fresh UUID.
            pub fn with_client_request_id(&self, id: impl Into<::std::sync::Arc<str>>) -> Self {
                let mut client = self.clone();
                client.inner.options_mut().set_client_request_id(id);
                client
            }

            /// A copy of this client whose requests carry a token for the tenant `tenant_id`
            /// (the token provider is asked for that tenant), such as the `tid` of the
            /// notification a bot answers. Cheap: the HTTP client and the token provider are
            /// shared.
            pub fn for_tenant(&self, tenant_id: impl ::std::convert::Into<::std::sync::Arc<str>>) -> Self {
                Self::new_with_client(self.baseurl(), self.client().clone(), self.inner().for_tenant(tenant_id))
            }

            /// The tenant this client's requests are for, if it names one.
            pub fn tenant_id(&self) -> ::std::option::Option<&str> {
                self.inner().tenant_id()
            }
        }

        impl ClientHooks<crate::runtime::client::ClientState> for Client {
            async fn pre<E>(&self, request: &mut reqwest::Request, #info: &OperationInfo) -> ::std::result::Result<(), Error<E>> {
                #encode_query
                crate::runtime::__private::prepare_request(self.inner(), request).await
            }

            async fn exec(&self, request: reqwest::Request, info: &OperationInfo) -> reqwest::Result<reqwest::Response> {
                crate::runtime::__private::execute(self.client(), self.inner(), request, info.operation_id).await
            }
        }
    })
}

/// The names of the types progenitor must take from `crate::types`.
fn referenced_types(api: &Api) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for op in &api.operations {
        let bodies = op.body.iter().map(|b| &b.content);
        let responses = op.success.iter().filter_map(|s| s.body.as_ref());
        let json = bodies.chain(responses).filter_map(Content::json_type);
        names.extend(json.map(str::to_owned));
        names.extend(op.error_type.iter().cloned());
        for param in &op.params {
            let item = match &param.ty {
                FieldType::Array(item) => item.as_ref(),
                ty => ty,
            };
            if let FieldType::Named(name) = item {
                names.insert(name.clone());
            }
        }
    }
    names
}

/// The statement of the request hook that writes the query string as the API's parameters are
/// written: progenitor sends a list as repeated keys, and encodes as an HTML form does. `None`
/// when no operation has a query parameter.
fn encode_query(api: &Api) -> Option<TokenStream> {
    let mut arms = Vec::new();
    let mut any_query = false;
    for op in &api.operations {
        let query = op
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Query);
        any_query |= query.clone().next().is_some();
        let lists: Vec<&str> = query
            .filter(|p| matches!(p.ty, FieldType::Array(_)))
            .map(|p| p.wire_name.as_str())
            .collect();
        if !lists.is_empty() {
            let methods = op.paths().map(|p| &p.client_method);
            arms.push(quote!(#(#methods)|* => &[#(#lists),*],));
        }
    }
    any_query.then(|| {
        if arms.is_empty() {
            return quote!(crate::runtime::__private::encode_query(request, &[]););
        }
        quote! {
            // The parameters sent as one comma-separated value, by operation.
            let comma_lists: &[&str] = match info.operation_id {
                #(#arms)*
                _ => &[],
            };
            crate::runtime::__private::encode_query(request, comma_lists);
        }
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn json_content(name: &str) -> Value {
    json!({ "application/json": { "schema": schema_ref(name) } })
}

/// A body as progenitor reads it. JSON is the shared type. Bytes, and text that is a string, are a
/// byte stream. A number or boolean written as text is also valid JSON, so progenitor reads it as
/// JSON of its scalar type (the request hook sends no `Accept` header that would say otherwise).
fn content_view(api: &Api, content: &Content) -> Value {
    let binary = json!({ "type": "string", "format": "binary" });
    match content {
        Content::Json(name) => json_content(name),
        Content::Bytes => json!({ "application/octet-stream": { "schema": binary } }),
        Content::Text(ty) => match scalar_schema(api, ty) {
            Some(schema) => json!({ "application/json": { "schema": schema } }),
            None => json!({ "text/plain": { "schema": { "type": "string" } } }),
        },
    }
}

/// The JSON schema of a number or boolean type, seen through aliases; `None` for anything else.
fn scalar_schema(api: &Api, ty: &FieldType) -> Option<Value> {
    let integer = |format: &str| json!({ "type": "integer", "format": format });
    Some(match ty {
        FieldType::Bool => json!({ "type": "boolean" }),
        FieldType::I8 => integer("int8"),
        FieldType::U8 => integer("uint8"),
        FieldType::I16 => integer("int16"),
        FieldType::I32 => integer("int32"),
        FieldType::I64 => integer("int64"),
        FieldType::F64 => json!({ "type": "number", "format": "double" }),
        FieldType::Named(name) => match &api.types.get(name)?.kind {
            TypeKind::Alias(alias) => return scalar_schema(api, &alias.ty),
            _ => return None,
        },
        _ => return None,
    })
}

/// The model as the plain OpenAPI progenitor understands: one operation per path, named after its
/// client method.
fn progenitor_view(api: &Api) -> Value {
    let mut paths = Map::new();
    for op in &api.operations {
        for path in op.paths() {
            let mut operation = operation_view(api, op);
            operation["operationId"] = json!(path.client_method);
            if path.deprecated {
                operation["deprecated"] = json!(true);
                let note = format!(
                    "Deprecated path: use `{}` instead.\n\n",
                    op.primary.template
                );
                let description = operation["description"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                operation["description"] = json!(format!("{note}{description}"));
            }
            let entry = paths
                .entry(path.template.clone())
                .or_insert_with(|| json!({}));
            entry[op.method.as_str().to_ascii_lowercase()] = operation;
        }
    }
    let schemas: Map<String, Value> = referenced_types(api)
        .into_iter()
        .map(|name| (name, json!({ "type": "object" })))
        .collect();
    json!({
        "openapi": "3.0.3",
        "info": { "title": api.title, "version": api.version, "description": api.description },
        "paths": paths,
        "components": { "schemas": schemas },
    })
}

/// One operation as progenitor reads it. Progenitor matches statuses in order, takes `default`
/// for a success, and needs one body type for all successes, so the view is simpler than the
/// model: a `2XX` range stands for the success codes; successes with different bodies (`200` with
/// JSON, `204` without) are all a byte stream; `default` becomes `4XX` and `5XX`; and a code is
/// left out where its whole class is listed. A status `default` admits outside those
/// classes reaches the caller as an unexpected response.
fn operation_view(api: &Api, op: &Operation) -> Value {
    let mut parameters: Vec<Value> = op
        .path_params
        .iter()
        .map(|p| {
            json!({
                "name": p.wire_name,
                "in": "path",
                "required": true,
                "description": p.doc,
                "schema": { "type": "string" },
            })
        })
        .collect();
    parameters.extend(op.params.iter().map(param_view));
    let mut responses = Map::new();
    let range = op.success.iter().find(|s| s.status == SuccessStatus::Range);
    let one_body = op.success.iter().all(|s| s.body == op.success[0].body);
    for success in &op.success {
        if range.is_some() && success.status != SuccessStatus::Range {
            continue;
        }
        let mut response = json!({ "description": success.doc });
        let body = if one_body {
            success.body.clone()
        } else {
            Some(Content::Bytes)
        };
        if let Some(body) = &body {
            response["content"] = content_view(api, body);
        }
        responses.insert(success.status.to_string(), response);
    }
    if let Some(error) = &op.error_type {
        let mut classes = BTreeSet::new();
        for status in &op.error_statuses {
            match status {
                ErrorStatus::Class(class) => {
                    classes.insert(*class);
                }
                ErrorStatus::Default => {
                    classes.extend([ErrorClass::Client, ErrorClass::Server]);
                }
                ErrorStatus::Code(_) => {}
            }
        }
        let codes: Vec<ErrorStatus> = op
            .error_statuses
            .iter()
            .filter(|status| match status {
                ErrorStatus::Code(code) => !classes.iter().any(|class| class.digit() == code / 100),
                _ => false,
            })
            .copied()
            .collect();
        let listed = codes
            .into_iter()
            .chain(classes.into_iter().map(ErrorStatus::Class));
        for status in listed {
            responses.insert(
                status.to_string(),
                json!({ "description": "An error, as an OData error body.", "content": json_content(error) }),
            );
        }
    }
    let mut operation = json!({
        "parameters": parameters,
        "responses": responses,
        "summary": op.summary,
        "description": op.description.clone().unwrap_or_default(),
    });
    if let Some(body) = &op.body {
        operation["requestBody"] = json!({
            "required": body.required,
            "description": body.doc,
            "content": content_view(api, &body.content),
        });
    }
    operation
}

/// A query or header parameter as progenitor reads it. Progenitor sends a query array as repeated
/// keys; the request hook joins a comma list's keys into one value (see [`encode_query`]).
fn param_view(param: &Param) -> Value {
    let mut view = json!({
        "name": param.wire_name,
        "in": param.location.as_str(),
        "required": param.required,
        "description": param.doc,
        "schema": schema_view(&param.ty),
    });
    if param.location == ParamLocation::Query {
        view["style"] = json!("form");
    }
    view
}

/// The schema of a parameter's type; a named type is replaced by the shared one from `types`.
fn schema_view(ty: &FieldType) -> Value {
    match ty {
        FieldType::Bool => json!({ "type": "boolean" }),
        FieldType::I32 => json!({ "type": "integer", "format": "int32" }),
        FieldType::I64 => json!({ "type": "integer", "format": "int64" }),
        FieldType::F64 => json!({ "type": "number", "format": "double" }),
        FieldType::Named(name) => schema_ref(name),
        FieldType::Array(item) => json!({ "type": "array", "items": schema_view(item) }),
        _ => json!({ "type": "string" }),
    }
}

/// Two fixes to what progenitor writes:
/// - multi-line `#[doc]` attributes become one attribute per line, each starting with a space, so
///   that formatting never indents a doc line into a Markdown code block;
/// - header names given as literals to `header_map.append` are written in lower case: progenitor
///   passes the spec's spelling (`If-Match`), which `HeaderName::from_static` refuses with a panic.
fn fix_progenitor_output(file: &mut syn::File) {
    use syn::visit_mut::VisitMut;

    struct Fixes;

    impl VisitMut for Fixes {
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            syn::visit_mut::visit_expr_method_call_mut(self, call);
            let on_header_map =
                matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("header_map"));
            if call.method == "append"
                && on_header_map
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(name),
                    ..
                })) = call.args.first_mut()
            {
                *name = syn::LitStr::new(&name.value().to_ascii_lowercase(), name.span());
            }
        }

        fn visit_attributes_mut(&mut self, attributes: &mut Vec<syn::Attribute>) {
            let mut split = Vec::with_capacity(attributes.len());
            for attribute in attributes.drain(..) {
                let text = match &attribute.meta {
                    syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(text),
                            ..
                        }) => Some(text.value()),
                        _ => None,
                    },
                    _ => None,
                };
                match text {
                    Some(text) if text.contains('\n') => {
                        for line in text.lines() {
                            let line = format!(" {}", line.trim());
                            let line = line.trim_end();
                            split.push(syn::parse_quote!(#[doc = #line]));
                        }
                    }
                    _ => split.push(attribute),
                }
            }
            *attributes = split;
        }
    }

    Fixes.visit_file_mut(file);
}
