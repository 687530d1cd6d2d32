//! The server's response enums: one per operation, with a variant per documented status that can
//! be built only with a status the spec admits there. A code is its own variant (`Accepted`,
//! `Status201`); a range carries its status in the runtime's type for the class (`Informational`
//! for `1XX`, `Success` for `2XX`, `Redirection` for `3XX`, `ClientError` for `4XX`, `ServerError`
//! for `5XX`); `default` carries a `DefaultStatus`
//! that refuses every status the operation documents otherwise. Bodies are JSON, text or bytes.

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::doc_attr;
use super::status::status_code;
use super::types::rust_type;
use crate::model::{
    Content, ErrorClass, ErrorStatus, FieldType, Operation, OtherClass, OtherStatus, SuccessStatus,
};

/// The Rust type of a body in the server module.
pub(super) fn body_type(content: &Content) -> TokenStream {
    match content {
        Content::Json(name) => {
            let ty = format_ident!("{}", name);
            quote!(crate::types::#ty)
        }
        Content::Text(FieldType::Named(name)) => {
            let ty = format_ident!("{}", name);
            quote!(crate::types::#ty)
        }
        Content::Text(ty) => rust_type(ty),
        Content::Bytes => quote!(::axum::body::Bytes),
    }
}

/// The response of `body` with the status `status`, an expression of type `StatusCode`.
fn respond(content: &Content, status: &TokenStream) -> TokenStream {
    match content {
        Content::Json(_) => quote!(crate::runtime::__private::json_response(#status, &body)),
        Content::Text(_) => quote!(crate::runtime::__private::text_response(#status, &body)),
        Content::Bytes => quote!(crate::runtime::__private::bytes_response(#status, body)),
    }
}

/// The variant name of a success status code.
fn code_variant(status: u16) -> Ident {
    let name = match status {
        200 => "Ok".to_owned(),
        201 => "Created".to_owned(),
        202 => "Accepted".to_owned(),
        204 => "NoContent".to_owned(),
        other => format!("Status{other}"),
    };
    format_ident!("{}", name)
}

/// One variant: its name, the type of its status (`None` for a code), its body, and its doc.
struct Variant {
    name: Ident,
    status_type: Option<TokenStream>,
    fixed_status: Option<u16>,
    body: Option<Content>,
    doc: String,
}

/// The variants of the response enum of `op`, named `name`, in the model's order.
fn variants(op: &Operation, name: &Ident) -> Vec<Variant> {
    let mut variants = Vec::new();
    for success in &op.success {
        let (variant, status_type, fixed_status) = match success.status {
            SuccessStatus::Code(code) => (code_variant(code), None, Some(code)),
            SuccessStatus::Range => (
                format_ident!("Success"),
                Some(quote!(crate::runtime::server::SuccessStatus)),
                None,
            ),
        };
        variants.push(Variant {
            name: variant,
            status_type,
            fixed_status,
            body: success.body.clone(),
            doc: format!("`{}`: {}", success.status, success.doc),
        });
    }
    for other in &op.other {
        let (variant, status_type, fixed_status) = match other.status {
            OtherStatus::Code(code) => (format_ident!("Status{}", code), None, Some(code)),
            OtherStatus::Range(OtherClass::Informational) => (
                format_ident!("Informational"),
                Some(quote!(crate::runtime::server::InformationalStatus)),
                None,
            ),
            OtherStatus::Range(OtherClass::Redirection) => (
                format_ident!("Redirection"),
                Some(quote!(crate::runtime::server::RedirectionStatus)),
                None,
            ),
        };
        variants.push(Variant {
            name: variant,
            status_type,
            fixed_status,
            body: other.body.clone(),
            doc: format!("`{}`: {}", other.status, other.doc),
        });
    }
    let Some(error) = &op.error_type else {
        return variants;
    };
    let body = Some(Content::Json(error.clone()));
    for status in &op.error_statuses {
        let (variant, status_type, fixed_status, doc) = match status {
            ErrorStatus::Class(ErrorClass::Client) => (
                format_ident!("ClientError"),
                Some(quote!(crate::runtime::server::ClientErrorStatus)),
                None,
                "`4XX`: a client error with its OData error body.".to_owned(),
            ),
            ErrorStatus::Class(ErrorClass::Server) => (
                format_ident!("ServerError"),
                Some(quote!(crate::runtime::server::ServerErrorStatus)),
                None,
                "`5XX`: a server error with its OData error body.".to_owned(),
            ),
            ErrorStatus::Default => (
                format_ident!("Default"),
                Some(quote!(crate::runtime::server::DefaultStatus<#name>)),
                None,
                "`default`: any status the operation does not otherwise document, with its OData \
                 error body."
                    .to_owned(),
            ),
            ErrorStatus::Code(code) => (
                format_ident!("Status{}", code),
                None,
                Some(*code),
                format!("`{code}` with its error body."),
            ),
        };
        variants.push(Variant {
            name: variant,
            status_type,
            fixed_status,
            body: body.clone(),
            doc,
        });
    }
    variants
}

/// The response enum of `op`, named `name`.
pub(super) fn emit(op: &Operation, name: Ident) -> TokenStream {
    let doc = doc_attr(&format!(
        "The answers `{}` may give. Only documented statuses can be built.",
        op.name()
    ));
    let variants = variants(op, &name);
    let declared = variants.iter().map(|v| {
        let variant = &v.name;
        let doc = doc_attr(&v.doc);
        let fields = v
            .status_type
            .iter()
            .cloned()
            .chain(v.body.as_ref().map(body_type));
        let fields: Vec<TokenStream> = fields.collect();
        if fields.is_empty() {
            quote!(#doc #variant,)
        } else {
            quote!(#doc #variant(#(#fields),*),)
        }
    });
    let arms = variants.iter().map(|v| {
        let variant = &v.name;
        let status = match v.fixed_status {
            Some(code) => status_code(code),
            None => quote!(status.status()),
        };
        let binding = v.status_type.as_ref().map(|_| quote!(status));
        let body_binding = v.body.as_ref().map(|_| quote!(body));
        let bindings: Vec<&TokenStream> = binding.iter().chain(body_binding.iter()).collect();
        let pattern = if bindings.is_empty() {
            quote!(Self::#variant)
        } else {
            quote!(Self::#variant(#(#bindings),*))
        };
        let answer = match &v.body {
            Some(content) => respond(content, &status),
            None => quote!(#status.into_response()),
        };
        quote!(#pattern => #answer,)
    });
    let documents = op.error_statuses.contains(&ErrorStatus::Default).then(|| {
        let patterns = documented_patterns(op);
        let doc = format!(
            " The statuses `{}` documents other than by `default`.",
            op.name()
        );
        quote! {
            impl crate::runtime::server::Documented for #name {
                #[doc = #doc]
                fn documents(code: u16) -> bool {
                    matches!(code, #(#patterns)|*)
                }
            }
        }
    });
    quote! {
        #doc
        #[derive(Clone, Debug, PartialEq)]
        pub enum #name {
            #(#declared)*
        }

        impl ::axum::response::IntoResponse for #name {
            fn into_response(self) -> ::axum::response::Response {
                match self {
                    #(#arms)*
                }
            }
        }

        #documents
    }
}

/// The patterns of the statuses an operation documents other than by `default`; a code inside a
/// documented range is left out, so that no pattern is unreachable.
fn documented_patterns(op: &Operation) -> Vec<TokenStream> {
    let mut digits = Vec::new();
    let mut codes = Vec::new();
    for status in &op.success {
        match status.status {
            SuccessStatus::Code(code) => codes.push(code),
            SuccessStatus::Range => digits.push(2),
        }
    }
    for other in &op.other {
        match other.status {
            OtherStatus::Code(code) => codes.push(code),
            OtherStatus::Range(class) => digits.push(class.digit()),
        }
    }
    for status in &op.error_statuses {
        match status {
            ErrorStatus::Code(code) => codes.push(*code),
            ErrorStatus::Class(class) => digits.push(class.digit()),
            ErrorStatus::Default => {}
        }
    }
    codes.sort_unstable();
    codes.dedup();
    let codes: Vec<TokenStream> = codes
        .into_iter()
        .filter(|code| !digits.contains(&(code / 100)))
        .map(|code| quote!(#code))
        .collect();
    let ranges = digits.into_iter().map(|digit| {
        let (low, high) = (digit * 100, digit * 100 + 99);
        quote!(#low..=#high)
    });
    codes.into_iter().chain(ranges).collect()
}
